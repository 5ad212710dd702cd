"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useRef, useState, type FormEvent } from "react";
import type { Schemas } from "@/api/client";
import { useQueue, useSaveCodings, useStudyUnit, type StudyUnit } from "@/api/hooks/studies";
import { DocumentText } from "@/components/documents/DocumentViewer";
import { Button, Spinner } from "@/components/ui/Button";
import { Notice, ProblemAlert, ProgressBar, Section } from "@/components/ui/Feedback";
import { Checkbox, SelectField, TextArea, TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";
import { codingOf, draftOf, EMPTY_DRAFT, nextUnit, quoteFromSelection, type Draft } from "@/lib/reliability";

/** The coder's side of a study: their queue ("12 of 40 done") and one unit at a time, the
 * document on the left and the questions on the right. A blind study shows no model value. */
export default function CodingPage() {
  const { projectId, studyId } = useParams<{ projectId: string; studyId: string }>();
  const queue = useQueue(studyId);
  const [current, setCurrent] = useState<number | undefined>(undefined);
  const units = queue.data?.units ?? [];
  const unitIndex = current ?? nextUnit(units) ?? undefined;
  const unit = useStudyUnit(studyId, unitIndex);

  if (queue.isPending) return <Spinner label="Loading your units…" />;
  if (queue.error) return <ProblemAlert error={queue.error} action="Loading your units" />;
  const data = queue.data;
  return (
    <div className="space-y-4">
      <p className="text-sm">
        <Link href={`/projects/${projectId}/reliability`} className="text-indigo-700 hover:underline">
          ← Reliability studies
        </Link>
      </p>
      <div className="flex flex-wrap items-center gap-4">
        <p className="text-sm font-medium" data-testid="coding-progress">
          {data.done} of {data.total} done
        </p>
        <div className="w-64">
          <ProgressBar value={data.total ? (100 * data.done) / data.total : 0} label="Units coded" />
        </div>
        {data.mode === "BLIND" && <span className="text-xs text-slate-600">Blind: you see neither the model&apos;s values nor the other coders&apos;.</span>}
      </div>
      <div className="grid gap-4 lg:grid-cols-[12rem_1fr]">
        <nav aria-label="Your units" className="max-h-[70vh] overflow-y-auto">
          <ol className="space-y-1 text-sm">
            {data.units.map((u) => (
              <li key={u.unitIndex}>
                <button
                  type="button"
                  onClick={() => setCurrent(u.unitIndex)}
                  aria-current={u.unitIndex === unitIndex ? "true" : undefined}
                  className={`w-full rounded px-2 py-1 text-left ${u.unitIndex === unitIndex ? "bg-indigo-50 font-medium text-indigo-800" : "hover:bg-slate-50"}`}
                >
                  <span aria-hidden="true">{u.done ? "✓ " : "○ "}</span>
                  {u.unitIndex + 1}. {u.documentName}
                  {u.entityKey ? ` · ${u.entityKey}` : ""}
                </button>
              </li>
            ))}
          </ol>
        </nav>
        <div>
          {unit.isPending && unitIndex !== undefined && <Spinner label="Loading the unit…" />}
          <ProblemAlert error={unit.error} action="Loading the unit" />
          {unit.data && (
            <UnitForm
              key={`${unit.data.unitIndex}`}
              studyId={studyId}
              unit={unit.data}
              onSaved={() => setCurrent(nextUnit(units, unit.data.unitIndex) ?? undefined)}
            />
          )}
        </div>
      </div>
    </div>
  );
}

/** Character offset of a point in `container`'s text (a selection may end inside a mark). */
function offsetIn(container: HTMLElement, node: Node, offset: number): number | null {
  if (!container.contains(node)) return null;
  const range = document.createRange();
  range.setStart(container, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}

function initialDrafts(unit: StudyUnit): Record<string, Draft> {
  const drafts: Record<string, Draft> = {};
  for (const q of unit.questions) drafts[q.variableId] = EMPTY_DRAFT;
  for (const c of unit.codings) drafts[c.variableId] = draftOf(c.value, c.quote);
  return drafts;
}

function UnitForm({ studyId, unit, onSaved }: { studyId: string; unit: StudyUnit; onSaved: () => void }) {
  const save = useSaveCodings(studyId);
  const [drafts, setDrafts] = useState<Record<string, Draft>>(() => initialDrafts(unit));
  const [selection, setSelection] = useState<string | null>(null);
  const textRef = useRef<HTMLDivElement>(null);
  const problem = problemOf(save.error);

  useEffect(() => {
    const update = () => {
      const container = textRef.current;
      const chosen = window.getSelection();
      if (!container || !chosen || chosen.rangeCount === 0 || !chosen.anchorNode || !chosen.focusNode) {
        setSelection(null);
        return;
      }
      const start = offsetIn(container, chosen.anchorNode, chosen.anchorOffset);
      const end = offsetIn(container, chosen.focusNode, chosen.focusOffset);
      setSelection(start === null || end === null ? null : quoteFromSelection(unit.text, start, end));
    };
    document.addEventListener("selectionchange", update);
    return () => document.removeEventListener("selectionchange", update);
  }, [unit.text]);

  const setDraft = (variableId: string, change: Partial<Draft>) =>
    setDrafts((all) => ({ ...all, [variableId]: { ...(all[variableId] ?? EMPTY_DRAFT), ...change } }));

  const codings = unit.questions
    .map((q) => codingOf(q.variableId, q.type, drafts[q.variableId] ?? EMPTY_DRAFT))
    .filter((c): c is NonNullable<typeof c> => c !== undefined);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (codings.length === 0) return;
    save.mutate({ unitIndex: unit.unitIndex, body: { codings } }, { onSuccess: onSaved });
  };

  return (
    <div className="grid gap-4 xl:grid-cols-2">
      <Section title={unit.documentName} description={unit.entityKey ? `Entity: ${unit.entityKey}` : "Select text to use it as a quote."}>
        <div ref={textRef}>
          <DocumentText text={unit.text} />
        </div>
      </Section>
      <Section title={`Unit ${unit.unitIndex + 1}`} description="Your own reading of the document, variable by variable.">
        <form onSubmit={submit} className="space-y-5" aria-label="Coding form">
          {unit.questions.map((q, i) => {
            const draft = drafts[q.variableId] ?? EMPTY_DRAFT;
            const error = fieldError(problem, `codings[${codings.findIndex((c) => c.variableId === q.variableId)}].value`);
            return (
              <fieldset key={q.variableId} className="space-y-2 border-b border-slate-100 pb-4" data-testid="question">
                <legend className="text-sm font-semibold">
                  {i + 1}. {q.displayName || q.name}
                </legend>
                <p className="text-sm text-slate-700">{q.instructions}</p>
                <ValueInput question={q} draft={draft} error={error} index={i} onChange={(value) => setDraft(q.variableId, { value, none: false })} />
                <Checkbox
                  label="The document gives no value"
                  checked={draft.none}
                  onChange={(e) => setDraft(q.variableId, { none: e.target.checked })}
                />
                <TextArea
                  label="Quote you relied on"
                  rows={2}
                  value={draft.quote}
                  onChange={(e) => setDraft(q.variableId, { quote: e.target.value })}
                />
                <Button
                  size="sm"
                  variant="ghost"
                  disabled={!selection}
                  // Pressing the button must not clear the selection it is about to read.
                  onMouseDown={(event) => event.preventDefault()}
                  onClick={() => selection && setDraft(q.variableId, { quote: selection })}
                >
                  Use the selected text as the quote
                </Button>
              </fieldset>
            );
          })}
          <ProblemAlert error={save.error} placedFields={unit.questions.map((_, i) => `codings[${i}].value`)} action="Saving" />
          {save.isSuccess && <Notice tone="success">Saved.</Notice>}
          <Button type="submit" variant="primary" busy={save.isPending} busyLabel="Saving…" disabled={codings.length === 0}>
            Save and next
          </Button>
        </form>
      </Section>
    </div>
  );
}

function ValueInput({
  question,
  draft,
  error,
  index,
  onChange,
}: {
  question: Schemas["Question"];
  draft: Draft;
  error: string | undefined;
  index: number;
  onChange: (value: string) => void;
}) {
  const common = { label: "Value", error, value: draft.none ? "" : draft.value, disabled: draft.none };
  if (question.type === "CATEGORY") {
    const options = [{ value: "", label: "Choose…" }, ...question.categories.map((c) => ({ value: c, label: c }))];
    return <SelectField {...common} options={options} onChange={(e) => onChange(e.target.value)} />;
  }
  if (question.type === "BOOLEAN") {
    const options = [
      { value: "", label: "Choose…" },
      { value: "true", label: "Yes" },
      { value: "false", label: "No" },
    ];
    return <SelectField {...common} options={options} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <TextField
      {...common}
      name={`value-${index}`}
      inputMode={question.type === "NUMBER" ? "decimal" : undefined}
      placeholder={question.type === "DATE" ? "YYYY-MM-DD" : undefined}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
