"use client";

import { useParams } from "next/navigation";
import { useState } from "react";
import { useDocumentNames } from "@/api/hooks/documents";
import { useJobResults, useJobs } from "@/api/hooks/jobs";
import { useProjectPermissions } from "@/api/hooks/projects";
import { useVariables } from "@/api/hooks/variables";
import { ExportForm } from "@/components/results/ExportForm";
import { QualityReport } from "@/components/results/QualityReport";
import { ReliabilityTable } from "@/components/studies/ReliabilityTable";
import { ResultsTable } from "@/components/review/ResultsTable";
import { Spinner } from "@/components/ui/Button";
import { EmptyState, Notice, ProblemAlert, Section } from "@/components/ui/Feedback";
import { SelectField, TextField } from "@/components/ui/Field";
import { formatDateTime, humanise, plural } from "@/lib/format";
import { latestJob } from "@/lib/jobs";

const PREVIEW_ROWS = 50;

export default function ResultsPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const jobs = useJobs(projectId);
  const complete = (jobs.data?.items ?? []).filter((j) => j.status === "COMPLETE" && j.jobType !== "EVALUATION");
  const fallback = latestJob(complete, "FULL") ?? latestJob(complete, "SAMPLE");
  const [chosen, setChosen] = useState("");
  const job = complete.find((j) => j.id === chosen) ?? fallback;
  const sample = latestJob(jobs.data?.items, "SAMPLE");
  const { canEdit, known } = useProjectPermissions(projectId);

  if (jobs.isPending) return <Spinner label="Loading jobs…" />;
  if (!job) {
    return (
      <div className="space-y-3">
        <ProblemAlert error={jobs.error} action="Loading jobs" />
        <EmptyState title="No finished job yet">Results appear here once a sample or the full run has finished.</EmptyState>
      </div>
    );
  }
  return (
    <div className="space-y-6">
      <SelectField
        label="Results of"
        wrapperClassName="max-w-md"
        value={job.id}
        onChange={(e) => setChosen(e.target.value)}
        options={complete.map((j) => ({ value: j.id, label: `${humanise(j.jobType)} run of ${formatDateTime(j.createdAt)} (${plural(j.totalItems, "document")})` }))}
      />
      <Preview projectId={projectId} jobId={job.id} />
      {canEdit ? (
        <Section id="export" title="Export the dataset">
          <ExportForm projectId={projectId} jobId={job.id} />
        </Section>
      ) : (
        known && <Notice>Editors and owners export the dataset; the preview and the quality report are here for everyone.</Notice>
      )}
      <Section id="quality" title="Quality report" description="Per-variable figures for the methods section.">
        <QualityReport jobId={job.id} reviewJobId={sample?.id} />
      </Section>
      <Section id="reliability" title="Inter-coder reliability" description="Krippendorff's alpha among the coders of this run's reliability studies.">
        <ReliabilityTable jobId={job.id} />
      </Section>
    </div>
  );
}

function Preview({ projectId, jobId }: { projectId: string; jobId: string }) {
  const [minConfidence, setMinConfidence] = useState("");
  const min = minConfidence.trim() === "" ? undefined : Number(minConfidence);
  const valid = min === undefined || (Number.isFinite(min) && min >= 0 && min <= 1);
  const results = useJobResults(jobId, valid ? min : undefined);
  const variables = useVariables(projectId);
  const { names } = useDocumentNames(projectId);
  const items = results.data?.items ?? [];
  const documentIds = [...new Set(items.map((x) => x.documentId))].slice(0, PREVIEW_ROWS);
  const shown = new Set(documentIds);
  return (
    <Section id="preview" title="Preview" description={`The first ${PREVIEW_ROWS} documents, as in the wide layout.`}>
      <TextField
        label="Hide values below this confidence"
        inputMode="decimal"
        wrapperClassName="mb-3 max-w-xs"
        value={minConfidence}
        onChange={(e) => setMinConfidence(e.target.value)}
        error={valid ? undefined : "Enter a number from 0 to 1."}
      />
      {results.isPending && <Spinner label="Loading results…" />}
      <ProblemAlert error={results.error} action="Loading results" />
      {results.isSuccess && items.length === 0 && <EmptyState title="No values at this confidence">Lower the threshold to see more.</EmptyState>}
      {items.length > 0 && variables.data && (
        <ResultsTable
          caption="Results preview"
          extractions={items.filter((x) => shown.has(x.documentId))}
          variables={variables.data}
          documentNames={names}
        />
      )}
    </Section>
  );
}
