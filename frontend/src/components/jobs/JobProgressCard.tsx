"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useJobAction, useJobProgress } from "@/api/hooks/jobs";
import { projectKeys } from "@/api/hooks/projects";
import { Button, Spinner } from "@/components/ui/Button";
import { Badge, ProblemAlert, ProgressBar } from "@/components/ui/Feedback";
import { formatCost, formatCount, formatDuration, formatEta, formatRatio, plural } from "@/lib/format";
import { isFinished, isRunning } from "@/lib/jobs";

/** Live progress of a job (polled while it runs) with pause / resume / cancel. When the job
 * finishes, everything that shows its results is refreshed. */
export function JobProgressCard({
  projectId,
  jobId,
  controls = true,
  title,
}: {
  projectId: string;
  jobId: string;
  controls?: boolean;
  title: string;
}) {
  const client = useQueryClient();
  const progress = useJobProgress(jobId);
  const action = useJobAction(projectId);
  const p = progress.data;
  const lastStatus = useRef<string | undefined>(undefined);

  useEffect(() => {
    const status = p?.status;
    if (lastStatus.current && lastStatus.current !== status && isFinished(status)) {
      void client.invalidateQueries({ queryKey: ["jobs"] });
      void client.invalidateQueries({ queryKey: ["review"] });
      void client.invalidateQueries({ queryKey: projectKeys.all });
    }
    lastStatus.current = status;
  }, [p?.status, client]);

  if (progress.isPending) return <Spinner label="Loading progress…" />;
  if (!p) return <ProblemAlert error={progress.error} action="Loading progress" />;
  const running = isRunning(p.status);
  return (
    <div className="space-y-3" data-testid="job-progress">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="flex items-center gap-2 font-medium">
          {title} <Badge value={p.status} />
        </p>
        {controls && (
          <div className="flex gap-2">
            {running && (
              <Button size="sm" busy={action.isPending && action.variables?.action === "pause"} onClick={() => action.mutate({ jobId, action: "pause" })}>
                Pause
              </Button>
            )}
            {p.status === "PAUSED" && (
              <Button size="sm" variant="primary" busy={action.isPending && action.variables?.action === "resume"} onClick={() => action.mutate({ jobId, action: "resume" })}>
                Resume
              </Button>
            )}
            {!isFinished(p.status) && (
              <Button
                size="sm"
                variant="danger"
                busy={action.isPending && action.variables?.action === "cancel"}
                onClick={() => {
                  if (window.confirm("Cancel this job? Documents already done keep their results.")) action.mutate({ jobId, action: "cancel" });
                }}
              >
                Cancel
              </Button>
            )}
          </div>
        )}
      </div>
      <ProgressBar value={p.percentage} label={`${title} progress`} />
      <p className="text-sm text-slate-700" aria-live="polite">
        {formatCount(p.done)} of {plural(p.total, "document")} ({p.percentage.toFixed(0)}%) · {formatEta(p.etaSeconds, p.status)}
      </p>
      {p.statusReason && <p className="text-sm text-amber-800">{p.statusReason}</p>}
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3 lg:grid-cols-6">
        <Figure label="Success rate" value={formatRatio(p.successRate, 1)} />
        <Figure label="Documents failed" value={formatCount(p.failed)} />
        <Figure label="Documents with a flagged value" value={formatCount(p.flagged)} />
        <Figure label="Per document" value={formatDuration(p.meanSecondsPerDocument)} />
        <Figure label="Tokens" value={formatCount(p.promptTokens + p.completionTokens)} />
        <Figure label="Cost" value={formatCost(p.costUsd)} />
      </dl>
      {running && p.currentDocuments.length > 0 && (
        <p className="truncate text-xs text-slate-500">Working on: {p.currentDocuments.join(", ")}</p>
      )}
      <ProblemAlert error={action.error} action="Changing the job" />
    </div>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div className="rounded-md bg-slate-50 px-3 py-2">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="font-medium tabular-nums">{value}</dd>
    </div>
  );
}
