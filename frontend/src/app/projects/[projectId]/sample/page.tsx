"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useDocumentNames, useDocuments } from "@/api/hooks/documents";
import { useCreateJob, useJobResults, useJobs } from "@/api/hooks/jobs";
import { useProjectPermissions } from "@/api/hooks/projects";
import { useJobFeedback } from "@/api/hooks/review";
import { useVariables } from "@/api/hooks/variables";
import { JobProgressCard } from "@/components/jobs/JobProgressCard";
import { AgreementPanel } from "@/components/review/AgreementPanel";
import { ResultsTable } from "@/components/review/ResultsTable";
import { ReviewDialog } from "@/components/review/ReviewDialog";
import { Button, Spinner } from "@/components/ui/Button";
import { EmptyState, Notice, ProblemAlert, Section } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/Field";
import { documentLabel, matchesDocument } from "@/lib/format";
import { isRunning, latestJob } from "@/lib/jobs";
import { pivotWide, reviewOrder } from "@/lib/pivot";
import { fieldError, problemOf } from "@/lib/problem";

export default function SamplePage() {
  const { projectId } = useParams<{ projectId: string }>();
  const jobs = useJobs(projectId);
  const job = latestJob(jobs.data?.items, "SAMPLE");
  const variables = useVariables(projectId);
  const noVariables = variables.isSuccess && variables.data.length === 0;
  const permissions = useProjectPermissions(projectId);
  const { canEdit, canReview } = permissions;

  return (
    <div className="space-y-6">
      <Section id="sample-run" title="Run a sample" description="Code a few documents first, check the answers, then improve the prompts before the full run.">
        {permissions.known && !canEdit ? (
          <Notice>
            Editors start samples.{" "}
            {canReview ? "You review their values below: click one to give your verdict." : "You can read the values below."}
          </Notice>
        ) : !permissions.known ? null : noVariables ? (
          <EmptyState title="Define the schema first">
            A sample needs at least one variable: <Link className="text-indigo-700 underline" href={`/projects/${projectId}/schema`}>go to the Schema step</Link>.
          </EmptyState>
        ) : (
          <SampleLauncher projectId={projectId} hasJob={Boolean(job)} />
        )}
        {jobs.isPending && <Spinner label="Loading jobs…" />}
        <ProblemAlert error={jobs.error} action="Loading jobs" />
        {job && (
          <div className="mt-5 border-t border-slate-200 pt-4">
            <JobProgressCard projectId={projectId} jobId={job.id} title="Sample job" controls={canEdit} />
          </div>
        )}
      </Section>
      {job && <SampleReview projectId={projectId} jobId={job.id} live={isRunning(job.status)} canReview={canReview} />}
    </div>
  );
}

function SampleLauncher({ projectId, hasJob }: { projectId: string; hasJob: boolean }) {
  const create = useCreateJob(projectId);
  const documents = useDocuments(projectId, 0, 200, "READY");
  const [count, setCount] = useState("5");
  const [picking, setPicking] = useState(false);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState("");
  const problem = problemOf(create.error);
  const ready = documents.data?.total ?? 0;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (picking) create.mutate({ jobType: "SAMPLE", documentIds: [...picked] });
    else create.mutate({ jobType: "SAMPLE", documentCount: Number(count) || undefined });
  }

  if (documents.isSuccess && ready === 0) {
    return (
      <EmptyState title="No readable documents yet">
        Upload documents on the <Link className="text-indigo-700 underline" href={`/projects/${projectId}/setup`}>Setup step</Link>.
      </EmptyState>
    );
  }
  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Sample settings" noValidate>
      <fieldset className="flex flex-wrap gap-6">
        <legend className="sr-only">How to choose the sample</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="sample-mode" checked={!picking} onChange={() => setPicking(false)} />
          A random sample
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="sample-mode" checked={picking} onChange={() => setPicking(true)} />
          Documents I pick
        </label>
      </fieldset>
      {!picking ? (
        <TextField
          label="Documents in the sample"
          hint={`${ready} ready document${ready === 1 ? "" : "s"} in the project`}
          type="number"
          min={1}
          max={Math.max(ready, 1)}
          value={count}
          wrapperClassName="max-w-xs"
          onChange={(e) => setCount(e.target.value)}
          error={fieldError(problem, "documentCount")}
        />
      ) : (
        <fieldset className="max-h-72 space-y-1 overflow-y-auto rounded-md border border-slate-200 p-3">
          <legend className="px-1 text-sm font-medium">Documents to include ({picked.size} chosen)</legend>
          <TextField
            label="Search documents"
            hint="By name, external id or row"
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            wrapperClassName="mb-2 max-w-sm"
          />
          {(documents.data?.items ?? []).filter((doc) => matchesDocument(doc, search)).map((doc) => (
            <label key={doc.id} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={picked.has(doc.id)}
                onChange={(e) => {
                  const next = new Set(picked);
                  if (e.target.checked) next.add(doc.id);
                  else next.delete(doc.id);
                  setPicked(next);
                }}
              />
              {documentLabel(doc)}
            </label>
          ))}
        </fieldset>
      )}
      <ProblemAlert problem={problem} placedFields={["documentCount"]} action="Starting the sample" />
      <Button type="submit" variant="primary" busy={create.isPending} busyLabel="Starting…" disabled={picking && picked.size === 0}>
        {hasJob ? "Run a new sample" : "Run sample"}
      </Button>
    </form>
  );
}

function SampleReview({ projectId, jobId, live, canReview }: { projectId: string; jobId: string; live: boolean; canReview: boolean }) {
  const results = useJobResults(jobId, undefined, 5000, live);
  const variables = useVariables(projectId);
  const feedback = useJobFeedback(jobId);
  const { names } = useDocumentNames(projectId);
  const [open, setOpen] = useState<string | null>(null);
  const items = results.data?.items ?? [];
  return (
    <>
      <Section
        id="review"
        title="Review the answers"
        description={
          canReview
            ? "Click a value to see its quote in the document and mark it correct, incorrect or partly correct."
            : "Click a value to see its quote in the document and the verdicts given on it."
        }
        actions={
          <Button size="sm" onClick={() => void results.refetch()}>
            Refresh
          </Button>
        }
      >
        {results.isPending && <Spinner label="Loading results…" />}
        <ProblemAlert error={results.error} action="Loading results" />
        {results.isSuccess && items.length === 0 && (
          <EmptyState title="No values yet">They appear here as soon as the sample job has coded its documents.</EmptyState>
        )}
        {items.length > 0 && variables.data && (
          <ResultsTable
            caption="Sample results"
            extractions={items}
            variables={variables.data}
            documentNames={names}
            feedback={feedback.data}
            onOpen={(x) => setOpen(x.id)}
          />
        )}
      </Section>
      <Section
        id="agreement"
        title="Accuracy and agreement"
        actions={
          <Link href={`/projects/${projectId}/refine`} className="rounded-md px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50">
            Next: refine the prompts →
          </Link>
        }
      >
        <AgreementPanel jobId={jobId} />
      </Section>
      <ReviewDialog
        jobId={jobId}
        extractionId={open}
        onClose={() => setOpen(null)}
        canReview={canReview}
        queue={reviewOrder(pivotWide(items, [...names.keys()]), (variables.data ?? []).map((v) => v.id))}
        onOpen={setOpen}
      />
    </>
  );
}
