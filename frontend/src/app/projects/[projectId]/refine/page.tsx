"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useJobs } from "@/api/hooks/jobs";
import { useProjectPermissions } from "@/api/hooks/projects";
import { useAgreement } from "@/api/hooks/review";
import { useVariables } from "@/api/hooks/variables";
import { VariableRefinement } from "@/components/refine/VariableRefinement";
import { Spinner } from "@/components/ui/Button";
import { EmptyState, ProblemAlert } from "@/components/ui/Feedback";
import { latestJob } from "@/lib/jobs";

export default function RefinePage() {
  const { projectId } = useParams<{ projectId: string }>();
  const jobs = useJobs(projectId);
  const job = latestJob(jobs.data?.items, "SAMPLE");
  const agreement = useAgreement(job?.id);
  const variables = useVariables(projectId);
  const { canEdit, known } = useProjectPermissions(projectId);
  const analyses = new Map((agreement.data?.variables ?? []).map((a) => [a.variableId, a]));

  return (
    <div className="space-y-6">
      <p className="max-w-3xl text-sm text-slate-700">
        Each proposal is a new prompt version built from your corrections on the latest sample: clarified
        instructions, counter-examples and sharper category definitions. Compare it with the active
        version, then activate it; the next sample or full run uses the active versions.
        {known && !canEdit && " Editors propose and activate versions; you can read them here."}
      </p>
      {(jobs.isPending || variables.isPending) && <Spinner label="Loading…" />}
      <ProblemAlert error={jobs.error ?? variables.error ?? agreement.error} action="Loading the review" />
      {jobs.isSuccess && !job && (
        <EmptyState title="No sample reviewed yet">
          Run a sample and mark some values on the <Link className="text-indigo-700 underline" href={`/projects/${projectId}/sample`}>Sample step</Link> first.
        </EmptyState>
      )}
      {job && variables.data?.map((variable) => (
        <VariableRefinement
          key={variable.id}
          projectId={projectId}
          variable={variable}
          analysis={analyses.get(variable.id)}
          jobId={job.id}
          canEdit={canEdit}
        />
      ))}
      {job && (
        <Link href={`/projects/${projectId}/run`} className="inline-block rounded-md px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50">
          Next: the full run →
        </Link>
      )}
    </div>
  );
}
