"use client";

import { useState } from "react";
import type { Schemas } from "@/api/client";
import { usePromptHistory } from "@/api/hooks/variables";
import { useActivatePrompt, useRefineVariable } from "@/api/hooks/review";
import { Button, Spinner } from "@/components/ui/Button";
import { Badge, Notice, ProblemAlert } from "@/components/ui/Feedback";
import { noteSummary } from "@/lib/diff";
import { formatDateTime, formatRatio, humanise } from "@/lib/format";
import { DiffView } from "./DiffView";
import { EvaluationPanel } from "./EvaluationPanel";

type Analysis = Schemas["VariableAnalysisRead"];
type Prompt = Schemas["PromptRead"];

/** One variable: what the review found, a proposed prompt version with its diff, activation. */
export function VariableRefinement({
  projectId,
  variable,
  analysis,
  jobId,
  canEdit = true,
}: {
  projectId: string;
  variable: Schemas["VariableRead"];
  analysis?: Analysis;
  jobId?: string;
  /** Propose, score and activate versions (EDITOR and up); others read. */
  canEdit?: boolean;
}) {
  const history = usePromptHistory(variable.id);
  const refine = useRefineVariable();
  const activate = useActivatePrompt(variable.id);
  const prompts = history.data ?? [];
  const active = prompts.find((p) => p.isActive);
  const drafts = prompts.filter((p) => !p.isActive && (!active || p.version > active.version));
  const [shown, setShown] = useState<string | null>(null);
  const draft = drafts.find((p) => p.id === shown) ?? drafts[0];

  return (
    <article className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby={`refine-${variable.id}`}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id={`refine-${variable.id}`} className="text-lg font-semibold">
            {variable.displayName ?? variable.name}
          </h2>
          <p className="text-sm text-slate-600">
            Active prompt: version {active?.version ?? "—"}
            {analysis && analysis.reviewed > 0
              ? ` · ${analysis.reviewed} reviewed, accuracy ${formatRatio(analysis.accuracy)}`
              : " · not reviewed yet"}
          </p>
        </div>
        {canEdit && (
          <Button
            variant="primary"
            busy={refine.isPending}
            busyLabel="Analysing the corrections…"
            onClick={() => refine.mutate({ variableId: variable.id, jobId }, { onSuccess: (r) => setShown(r.draft.id) })}
          >
            Propose a new version
          </Button>
        )}
      </div>

      {analysis && analysis.errors.length > 0 && (
        <div>
          <h3 className="text-sm font-semibold">What went wrong</h3>
          <ul className="mt-1 space-y-1 text-sm text-slate-700">
            {analysis.errors.map((e) => (
              <li key={e.kind}>
                <Badge value="INCORRECT">{humanise(e.kind)}</Badge> × {e.count}
                {e.examples[0] && (
                  <span className="text-slate-600">
                    {" "}— e.g. model said “{String(e.examples[0].modelValue ?? "empty")}”
                    {e.examples[0].correctValueKnown ? `, should be “${String(e.examples[0].correctValue ?? "empty")}”` : ""}
                  </span>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}

      <ProblemAlert error={refine.error} action="Proposing a new version" />
      {refine.data?.llm.error && <Notice tone="warning">The model could not rewrite the instructions ({refine.data.llm.error}); the proposal uses the corrections only.</Notice>}
      {history.isPending && <Spinner label="Loading prompt versions…" />}
      <ProblemAlert error={history.error} action="Loading prompt versions" />

      {draft && active && (
        <div className="space-y-3 rounded-md border border-indigo-200 bg-indigo-50/40 p-4" data-testid="draft-panel">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <p className="text-sm">
              <strong>Proposed version {draft.version}</strong> <Badge value={draft.origin} /> · {formatDateTime(draft.createdAt)}
              {noteSummary(draft.note) && <span className="block text-slate-600">{noteSummary(draft.note)}</span>}
            </p>
            {canEdit && (
              <Button variant="primary" busy={activate.isPending} busyLabel="Activating…" onClick={() => activate.mutate(draft.id)}>
                Activate version {draft.version}
              </Button>
            )}
          </div>
          {drafts.length > 1 && (
            <p className="text-xs text-slate-600">
              Other proposals:{" "}
              {drafts.filter((d) => d.id !== draft.id).map((d) => (
                <button key={d.id} type="button" className="mr-2 text-indigo-700 underline" onClick={() => setShown(d.id)}>
                  version {d.version}
                </button>
              ))}
            </p>
          )}
          <DiffView before={active.promptText} after={draft.promptText} label={`Changes from version ${active.version} to ${draft.version}`} />
          <EvaluationPanel projectId={projectId} variable={variable} draft={draft} jobId={jobId} canEdit={canEdit} />
        </div>
      )}
      <ProblemAlert error={activate.error} action="Activating the version" />
      {activate.isSuccess && !draft && <Notice tone="success">Version {activate.data.version} is active: jobs started from now on use it.</Notice>}

      {prompts.length > 0 && (
        <PromptHistory
          prompts={prompts}
          active={active}
          canEdit={canEdit}
          activating={activate.isPending}
          onActivate={(id) => activate.mutate(id)}
        />
      )}
    </article>
  );
}

function PromptHistory({
  prompts,
  active,
  canEdit,
  activating,
  onActivate,
}: {
  prompts: Prompt[];
  active: Prompt | undefined;
  canEdit: boolean;
  activating: boolean;
  onActivate: (promptId: string) => void;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const opened = prompts.find((p) => p.id === open);
  return (
    <details className="text-sm">
      <summary className="cursor-pointer text-slate-700">All versions ({prompts.length})</summary>
      <ul className="mt-2 space-y-1">
        {[...prompts].sort((a, b) => b.version - a.version).map((p) => (
          <li key={p.id} className="flex flex-wrap items-center gap-2">
            <span className="font-medium">Version {p.version}</span>
            <Badge value={p.origin} />
            {p.isActive && <Badge value="COMPLETE">active</Badge>}
            <span className="text-slate-500">{formatDateTime(p.createdAt)}</span>
            {noteSummary(p.note) && <span className="text-slate-600">— {noteSummary(p.note)}</span>}
            {!p.isActive && active && (
              <button type="button" className="text-indigo-700 underline" onClick={() => setOpen(open === p.id ? null : p.id)}>
                {open === p.id ? "Hide changes" : `Changes from version ${active.version}`}
              </button>
            )}
            {!p.isActive && canEdit && (
              <Button size="sm" busy={activating} busyLabel="Activating…" onClick={() => onActivate(p.id)}>
                Re-activate version {p.version}
              </Button>
            )}
          </li>
        ))}
      </ul>
      {opened && active && (
        <div className="mt-3">
          <DiffView before={active.promptText} after={opened.promptText} label={`Changes from version ${active.version} to ${opened.version}`} />
        </div>
      )}
    </details>
  );
}
