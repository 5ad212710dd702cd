"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { useDocumentNames } from "@/api/hooks/documents";
import { useCreateJob, useEstimateJob, useFlagged, useJobs } from "@/api/hooks/jobs";
import { useProjectPermissions } from "@/api/hooks/projects";
import { JobLogs } from "@/components/jobs/JobLogs";
import { JobProgressCard } from "@/components/jobs/JobProgressCard";
import { ReviewDialog } from "@/components/review/ReviewDialog";
import { Button, Spinner } from "@/components/ui/Button";
import { Badge, EmptyState, ProblemAlert, Section } from "@/components/ui/Feedback";
import { confirmLabel, estimateLines } from "@/lib/estimate";
import { formatConfidence, humanise } from "@/lib/format";
import { isFinished, isRunning, latestJob } from "@/lib/jobs";

export default function RunPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const jobs = useJobs(projectId);
  const create = useCreateJob(projectId);
  const estimate = useEstimateJob(projectId);
  const job = latestJob(jobs.data?.items, "FULL");
  const live = isRunning(job?.status);
  const { canEdit, canReview, known } = useProjectPermissions(projectId);
  const canStart = canEdit && (!job || isFinished(job.status));

  return (
    <div className="space-y-6">
      <Section
        id="full-run"
        title="Full run"
        description="Codes every ready document with the active prompt versions. You can leave this page: the job runs on the server."
        actions={
          canStart && (
            <Button
              variant="primary"
              busy={estimate.isPending}
              busyLabel="Estimating…"
              onClick={() => estimate.mutate({ jobType: "FULL" })}
            >
              {job ? "Start a new full run" : "Start the full run"}
            </Button>
          )
        }
      >
        {jobs.isPending && <Spinner label="Loading jobs…" />}
        <ProblemAlert error={jobs.error} action="Loading jobs" />
        <ProblemAlert error={estimate.error} action="Estimating the full run" />
        <ProblemAlert error={create.error} action="Starting the full run" />
        {canStart && estimate.data && (
          <div className="mb-4 rounded-md border border-indigo-200 bg-indigo-50 p-4 text-sm" role="dialog" aria-label="Confirm the full run">
            <p className="font-medium">Before the full run</p>
            <ul className="mt-2 list-disc pl-5">
              {estimateLines(estimate.data).map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
            <div className="mt-3 flex gap-2">
              <Button
                variant="primary"
                busy={create.isPending}
                busyLabel="Starting…"
                onClick={() => create.mutate({ jobType: "FULL" }, { onSuccess: () => estimate.reset() })}
              >
                {confirmLabel(estimate.data)}
              </Button>
              <Button onClick={() => estimate.reset()}>Not now</Button>
            </div>
          </div>
        )}
        {jobs.isSuccess && !job && (
          <EmptyState title="No full run yet">
            {canEdit || !known
              ? "When the sample looks right, start the full run with the button above."
              : "Editors start the full run once the sample looks right."}
          </EmptyState>
        )}
        {job && <JobProgressCard key={job.id} projectId={projectId} jobId={job.id} title="Full run" controls={canEdit} />}
        {job?.status === "COMPLETE" && (
          <p className="mt-3 text-sm">
            <Link className="font-medium text-indigo-700 underline" href={`/projects/${projectId}/results`}>
              See the results and export the dataset →
            </Link>
          </p>
        )}
      </Section>
      {job && (
        <>
          <Section id="logs" title="Live log">
            <JobLogs jobId={job.id} live={live} />
          </Section>
          <Section id="flagged" title="Flagged for review" description="Values below their confidence threshold, without a quote, or outside the allowed categories.">
            <FlaggedList projectId={projectId} jobId={job.id} live={live} canReview={canReview} />
          </Section>
        </>
      )}
    </div>
  );
}

function FlaggedList({ projectId, jobId, live, canReview }: { projectId: string; jobId: string; live: boolean; canReview: boolean }) {
  const flagged = useFlagged(jobId, live);
  const { names } = useDocumentNames(projectId);
  const [open, setOpen] = useState<string | null>(null);
  if (flagged.isPending) return <Spinner label="Loading…" />;
  const items = flagged.data?.items ?? [];
  return (
    <div className="space-y-2">
      <ProblemAlert error={flagged.error} action="Loading flagged values" />
      {items.length === 0 ? (
        <p className="text-sm text-slate-600">Nothing flagged{live ? " so far" : ""}.</p>
      ) : (
        <>
          <p className="text-sm text-slate-600">{flagged.data?.total} flagged value{flagged.data?.total === 1 ? "" : "s"}{flagged.data && flagged.data.total > items.length ? ` (first ${items.length} shown)` : ""}.</p>
          <table className="w-full text-left text-sm" aria-label="Flagged values">
            <thead className="border-b border-slate-200 text-slate-500">
              <tr>
                <th scope="col" className="py-1.5 pr-3 font-medium">Document</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Variable</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Value</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Confidence</th>
                <th scope="col" className="py-1.5 font-medium">Why</th>
              </tr>
            </thead>
            <tbody>
              {items.map((x) => (
                <tr key={x.id} className="border-b border-slate-100">
                  <td className="py-1.5 pr-3">{names.get(x.documentId) ?? x.documentId.slice(0, 8)}</td>
                  <td className="py-1.5 pr-3">{x.variableName}</td>
                  <td className="py-1.5 pr-3">
                    <button type="button" className="text-left text-indigo-700 hover:underline" onClick={() => setOpen(x.id)}>
                      {x.status === "OUT_OF_LIST" ? `“${x.rawAnswer}” (not in the list)` : (x.value ?? "empty")}
                    </button>
                  </td>
                  <td className="py-1.5 pr-3 tabular-nums">{formatConfidence(x.confidence)}</td>
                  <td className="py-1.5">
                    <span className="flex flex-wrap gap-1">
                      {x.flags.map((f) => <Badge key={f} value="PAUSED">{humanise(f)}</Badge>)}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <ReviewDialog
        jobId={jobId}
        extractionId={open}
        onClose={() => setOpen(null)}
        canReview={canReview}
        queue={items.map((x) => x.id)}
        onOpen={setOpen}
      />
    </div>
  );
}
