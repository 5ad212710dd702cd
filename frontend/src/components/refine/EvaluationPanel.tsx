"use client";

import type { Schemas } from "@/api/client";
import { useJobs } from "@/api/hooks/jobs";
import { useEvaluatePrompt, useEvaluation } from "@/api/hooks/review";
import { Button } from "@/components/ui/Button";
import { ProblemAlert, ProgressBar } from "@/components/ui/Feedback";
import { formatRatio, formatRatioWithInterval } from "@/lib/format";

function show(value: unknown): string {
  if (value == null) return "empty";
  return Array.isArray(value) ? value.join("; ") : String(value);
}

/** Score a proposed version on the reviewed documents before adopting it: old vs new accuracy. */
export function EvaluationPanel({
  projectId,
  variable,
  draft,
  jobId,
  canEdit = true,
}: {
  projectId: string;
  variable: Schemas["VariableRead"];
  draft: Schemas["PromptRead"];
  jobId?: string;
  canEdit?: boolean;
}) {
  const jobs = useJobs(projectId);
  // Only ask for a result that exists (a 404 would be logged by the browser as an error).
  const scored = (jobs.data?.items ?? []).some(
    (j) => j.jobType === "EVALUATION" && j.promptVersions[variable.name] === draft.version,
  );
  const evaluate = useEvaluatePrompt();
  const evaluation = useEvaluation(scored || evaluate.isSuccess ? draft.id : undefined);
  const result = evaluation.data;
  const row = result?.variables.find((v) => v.variableId === variable.id);

  return (
    <div className="space-y-2 rounded-md border border-slate-200 bg-white p-3" data-testid="evaluation-panel">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm font-medium">Score on reviewed items</p>
        {canEdit && (
          <Button
            size="sm"
            busy={evaluate.isPending}
            busyLabel="Starting…"
            disabled={Boolean(result && !result.complete)}
            onClick={() => evaluate.mutate({ promptId: draft.id, jobId })}
          >
            {result ? "Score again" : `Score version ${draft.version} on reviewed items`}
          </Button>
        )}
      </div>
      <ProblemAlert error={evaluate.error ?? evaluation.error} action="Scoring the version" />
      {result && !result.complete && (
        <div className="space-y-1" aria-live="polite">
          <p className="text-sm text-slate-600">Running version {draft.version} on the reviewed documents…</p>
          <ProgressBar value={result.progress} label="Scoring progress" />
        </div>
      )}
      {!result && !canEdit && <p className="text-sm text-slate-600">Not scored yet: editors score proposals.</p>}
      {result?.complete && row && (
        <div className="space-y-2 text-sm" aria-live="polite">
          <p>
            Accuracy on {row.scored} reviewed answer{row.scored === 1 ? "" : "s"} it was not learnt from: version{" "}
            {row.oldPromptVersion ?? "—"} <strong>{formatRatioWithInterval(row.oldAccuracy, row.oldAccuracyInterval, row.scored)}</strong> →
            version {row.newPromptVersion ?? draft.version}{" "}
            <strong>{formatRatioWithInterval(row.newAccuracy, row.newAccuracyInterval, row.scored)}</strong> · {row.improved} improved,{" "}
            {row.regressed} got worse
            {row.undetermined ? `, ${row.undetermined} undetermined` : ""}
          </p>
          {row.learntFromExcluded > 0 && (
            <p className="text-slate-600">
              {row.learntFromExcluded} reviewed answer{row.learntFromExcluded === 1 ? " was" : "s were"} left out: the version was
              learnt from {row.learntFromExcluded === 1 ? "it" : "them"}.
            </p>
          )}
          {!row.comparable && (
            <p className="text-amber-800" data-testid="evaluation-too-few">
              Too few answers to call this an improvement (fewer than {row.minScoredToCompare}): review more values before
              relying on the difference ({formatRatio(row.oldAccuracy)} → {formatRatio(row.newAccuracy)}).
            </p>
          )}
          {row.changes.length > 0 && (
            <ul className="list-disc pl-5 text-slate-700">
              {row.changes.map((c) => (
                <li key={c.oldExtractionId}>
                  “{show(c.oldValue)}” → “{show(c.newValue)}”
                  {c.correctValueKnown && ` (reviewer: “${show(c.correctValue)}”)`}{" "}
                  {c.newCorrect === true ? "now right" : c.newCorrect === false ? "still wrong" : ""}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
