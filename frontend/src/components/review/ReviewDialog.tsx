"use client";

import * as Dialog from "@radix-ui/react-dialog";
import { useEffect, useRef, useState, type FormEvent } from "react";
import type { Schemas } from "@/api/client";
import { useDocument } from "@/api/hooks/documents";
import { useMe } from "@/api/hooks/auth";
import {
  useExtraction,
  useExtractionFeedback,
  useParsedValue,
  useSubmitFeedback,
  useWithdrawFeedback,
} from "@/api/hooks/review";
import { useVariable } from "@/api/hooks/variables";
import { DocumentText } from "@/components/documents/DocumentViewer";
import { Button, Spinner } from "@/components/ui/Button";
import { Badge, Notice, ProblemAlert } from "@/components/ui/Feedback";
import { Checkbox, SelectField, TextArea, TextField } from "@/components/ui/Field";
import { formatConfidence, formatDateTime, humanise, variableTypeLabel } from "@/lib/format";
import { quoteSpan } from "@/lib/highlight";
import { stepIn } from "@/lib/pivot";
import { fieldError, problemOf } from "@/lib/problem";

type Verdict = Schemas["Verdict"];

const VERDICTS: { value: Verdict; label: string }[] = [
  { value: "CORRECT", label: "Correct" },
  { value: "INCORRECT", label: "Incorrect" },
  { value: "PARTIALLY_CORRECT", label: "Partly correct" },
];

/** One value in its document: the quote highlighted, the model's reasoning, and the verdicts
 * (who gave them); a role that may review (CODER and up) gives its own. */
export function ReviewDialog({
  jobId,
  extractionId,
  onClose,
  canReview,
  queue = [],
  onOpen,
}: {
  jobId: string;
  extractionId: string | null;
  onClose: () => void;
  canReview: boolean;
  /** The values in review order: the dialog then moves through them with the keyboard. */
  queue?: string[];
  onOpen?: (extractionId: string) => void;
}) {
  const extraction = useExtraction(extractionId ?? undefined);
  const x = extraction.data;
  const document = useDocument(x?.documentId);
  const previous = stepIn(queue, extractionId, -1);
  const next = stepIn(queue, extractionId, 1);
  const position = extractionId ? queue.indexOf(extractionId) : -1;
  const go = (id: string | null) => {
    if (id && onOpen) onOpen(id);
  };
  // After a save the dialog moves on; the value it moved to says the last one was saved.
  const [savedBefore, setSavedBefore] = useState<string | null>(null);
  const saveAndNext = () => {
    if (!next || !onOpen) return;
    setSavedBefore(next);
    go(next);
  };
  useEffect(() => {
    if (!extractionId || !onOpen) return;
    function onKey(event: KeyboardEvent) {
      if (typing(event)) return;
      if (event.key === "ArrowRight" || event.key === "j") go(next);
      else if (event.key === "ArrowLeft" || event.key === "k") go(previous);
      else return;
      event.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });
  return (
    <Dialog.Root open={Boolean(extractionId)} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
        <Dialog.Content className="fixed left-1/2 top-1/2 z-50 max-h-[92vh] w-[min(72rem,96vw)] -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg bg-white p-6 shadow-xl">
          <div className="mb-4 flex items-start justify-between gap-4">
            <div>
              <Dialog.Title className="text-lg font-semibold">
                {x ? `${x.variableDisplayName ?? x.variableName} — ${x.documentName}` : "Value"}
              </Dialog.Title>
              <Dialog.Description className="text-sm text-slate-600">
                {canReview
                  ? "Check the value against the highlighted quote, then record your verdict."
                  : "The value against the highlighted quote, and the verdicts reviewers gave on it."}
              </Dialog.Description>
            </div>
            <div className="flex items-center gap-2">
              {onOpen && position >= 0 && (
                <>
                  <Button size="sm" disabled={!previous} onClick={() => go(previous)} aria-keyshortcuts="ArrowLeft">
                    ← Previous
                  </Button>
                  <span className="text-sm tabular-nums text-slate-600" data-testid="review-position">
                    {position + 1} of {queue.length}
                  </span>
                  <Button size="sm" disabled={!next} onClick={() => go(next)} aria-keyshortcuts="ArrowRight">
                    Next →
                  </Button>
                </>
              )}
              <Dialog.Close className="rounded-md px-3 py-1 text-sm text-slate-700 hover:bg-slate-100">Close</Dialog.Close>
            </div>
          </div>
          {onOpen && canReview && (
            <p className="mb-3 text-xs text-slate-500">
              Keys: <kbd>C</kbd> correct and next · <kbd>I</kbd> incorrect (type the correction, <kbd>Enter</kbd> saves and
              moves on) · <kbd>←</kbd>/<kbd>→</kbd> previous/next.
            </p>
          )}
          {savedBefore !== null && savedBefore === extractionId && (
            <Notice tone="success">Verdict saved. Next value:</Notice>
          )}
          {extraction.isPending && <Spinner label="Loading the value…" />}
          <ProblemAlert error={extraction.error} action="Loading the value" />
          {x && (
            <div className="grid gap-6 lg:grid-cols-[3fr_2fr]">
              <div className="space-y-2">
                <h3 className="text-sm font-semibold">Document{x.page ? ` (page ${x.page})` : ""}</h3>
                {document.data?.content != null ? (
                  <DocumentText
                    text={document.data.content}
                    span={quoteSpan(document.data.content, x.charStart, x.charEnd, x.sourceText)}
                  />
                ) : x.context ? (
                  <DocumentText
                    text={`${x.context.truncatedBefore ? "…" : ""}${x.context.before}${x.context.quote}${x.context.after}${x.context.truncatedAfter ? "…" : ""}`}
                    span={{
                      start: (x.context.truncatedBefore ? 1 : 0) + x.context.before.length,
                      end: (x.context.truncatedBefore ? 1 : 0) + x.context.before.length + x.context.quote.length,
                    }}
                  />
                ) : document.isPending ? (
                  <Spinner label="Loading the document…" />
                ) : (
                  <p className="text-sm text-slate-600">No quote was given for this value.</p>
                )}
                {x.grounding === "NONE" && x.sourceText && (
                  <Notice tone="warning">The model&apos;s quote “{x.sourceText}” was not found in the document.</Notice>
                )}
              </div>
              <div className="space-y-4">
                <dl className="grid grid-cols-2 gap-2 text-sm">
                  <dt className="text-slate-500">Value</dt>
                  <dd className="font-medium" data-testid="review-value">
                    {x.status === "OUT_OF_LIST" ? (
                      <>
                        “{x.rawAnswer}” <span className="font-normal text-amber-800">— not one of the categories</span>
                      </>
                    ) : (
                      <>
                        {x.value ?? <em>empty</em>}
                        {x.unit ? ` ${x.unit}` : ""}
                      </>
                    )}
                  </dd>
                  <dt className="text-slate-500">Confidence</dt>
                  <dd className="tabular-nums">{formatConfidence(x.confidence)}</dd>
                  <dt className="text-slate-500">Quote found</dt>
                  <dd>{humanise(x.grounding)}</dd>
                  <dt className="text-slate-500">Prompt version</dt>
                  <dd>{x.promptVersion ?? "—"}</dd>
                  {x.flags.length > 0 && (
                    <>
                      <dt className="text-slate-500">Flags</dt>
                      <dd className="flex flex-wrap gap-1">{x.flags.map((f) => <Badge key={f} value="PAUSED">{humanise(f)}</Badge>)}</dd>
                    </>
                  )}
                </dl>
                <div>
                  <h3 className="text-sm font-semibold">Reasoning</h3>
                  <p className="text-sm text-slate-700">{x.reasoning ?? "The model gave no reasoning."}</p>
                </div>
                <CurrentVerdict feedback={x.currentFeedback} jobId={jobId} extractionId={x.id} canReview={canReview} />
                <Verdicts key={x.id} jobId={jobId} extraction={x} canReview={canReview} onSaved={saveAndNext} />
              </div>
            </div>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

type Feedback = Schemas["FeedbackRead"];

function correctionText(feedback: Feedback): string | null {
  if (!feedback.hasCorrectedValue) return null;
  const value = feedback.correctedValue;
  if (value == null) return "should be empty";
  return `should be “${Array.isArray(value) ? value.join("; ") : String(value)}”`;
}

/** The verdict that counts now (given on this value, or on the same document and variable in
 * an earlier job and carried here), who gave it, and a way to withdraw it. */
function CurrentVerdict({
  feedback,
  jobId,
  extractionId,
  canReview,
}: {
  feedback: Feedback | null | undefined;
  jobId: string;
  extractionId: string;
  canReview: boolean;
}) {
  const withdraw = useWithdrawFeedback(jobId);
  if (!feedback) return <p className="text-sm text-slate-600">No verdict yet.</p>;
  const correction = correctionText(feedback);
  return (
    <div className="rounded-md bg-slate-50 px-3 py-2 text-sm" data-testid="current-verdict">
      <p className="flex flex-wrap items-center gap-2">
        <span className="text-slate-500">Current verdict</span>
        <Badge value={feedback.verdict} />
        <span>
          by <span className="font-medium">{feedback.reviewerName ?? "a former reviewer"}</span>, {formatDateTime(feedback.createdAt)}
        </span>
      </p>
      {feedback.carried && (
        <p className="mt-1 text-slate-700">Given on this document in an earlier job; it applies to every later run until withdrawn.</p>
      )}
      {correction && <p className="mt-1 text-slate-700">Correction: {correction}</p>}
      {feedback.note && <p className="mt-1 text-slate-700">Note: {feedback.note}</p>}
      {canReview && (
        <div className="mt-2">
          <Button
            size="sm"
            busy={withdraw.isPending}
            busyLabel="Withdrawing…"
            onClick={() => {
              if (window.confirm("Withdraw this verdict? It will no longer apply to this value in any job.")) {
                withdraw.mutate(extractionId);
              }
            }}
          >
            Withdraw verdict
          </Button>
          <ProblemAlert error={withdraw.error} action="Withdrawing the verdict" />
        </div>
      )}
    </div>
  );
}

/** The reviewer's own verdict form (filled with their own latest verdict, not someone
 * else's, so that coders judge independently) and every verdict given on the value. */
function Verdicts({
  jobId,
  extraction,
  canReview,
  onSaved,
}: {
  jobId: string;
  extraction: Schemas["ExtractionDetail"];
  canReview: boolean;
  onSaved: () => void;
}) {
  const history = useExtractionFeedback(extraction.id);
  const me = useMe();
  const mine = history.data?.find((f) => f.reviewerId === me.data?.id && f.isReviewerCurrent);
  return (
    <>
      {!canReview ? (
        <p className="text-sm text-slate-600">Coders, editors and owners give verdicts; your role reads them.</p>
      ) : history.isPending ? (
        <Spinner label="Loading your verdict…" />
      ) : (
        <VerdictForm jobId={jobId} extraction={extraction} previous={mine} onSaved={onSaved} />
      )}
      <ProblemAlert error={history.error} action="Loading the verdicts" />
      <VerdictHistory items={history.data ?? []} />
    </>
  );
}

/** Every verdict on this value, once there is more than the current one. */
function VerdictHistory({ items }: { items: Feedback[] }) {
  if (items.length < 2) return null;
  return (
    <details className="text-sm">
      <summary className="cursor-pointer text-slate-700">All verdicts on this value ({items.length})</summary>
      <ul className="mt-2 space-y-1">
        {[...items]
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
          .map((f) => (
            <li key={f.id} className="flex flex-wrap items-center gap-2">
              <Badge value={f.verdict} />
              <span>{f.reviewerName ?? "a former reviewer"}</span>
              <span className="text-slate-500">{formatDateTime(f.createdAt)}</span>
              {f.isCurrent ? (
                <span className="text-xs text-emerald-700">current</span>
              ) : (
                f.isReviewerCurrent && <span className="text-xs text-slate-600">this reviewer&apos;s latest</span>
              )}
              {correctionText(f) && <span className="text-slate-600">— {correctionText(f)}</span>}
            </li>
          ))}
      </ul>
    </details>
  );
}

/** Whether a key press is typing into a field (shortcuts leave it alone). */
function typing(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  return Boolean(
    event.metaKey || event.ctrlKey || event.altKey || target?.closest("input:not([type=radio]):not([type=checkbox]), textarea, select"),
  );
}

function VerdictForm({
  jobId,
  extraction,
  previous: current,
  onSaved,
}: {
  jobId: string;
  extraction: Schemas["ExtractionDetail"];
  previous: Feedback | undefined;
  onSaved: () => void;
}) {
  const correctionField = useRef<HTMLInputElement>(null);
  const categoryField = useRef<HTMLSelectElement>(null);
  const [focusCorrection, setFocusCorrection] = useState(false);

  const submit = useSubmitFeedback(jobId);
  const [verdict, setVerdict] = useState<Verdict | null>(current?.verdict ?? null);
  const [corrected, setCorrected] = useState(
    current?.hasCorrectedValue && current.correctedValue != null ? String(current.correctedValue) : "",
  );
  const [trulyEmpty, setTrulyEmpty] = useState(Boolean(current?.hasCorrectedValue && current.correctedValue == null));
  const [note, setNote] = useState(current?.note ?? "");
  const [saved, setSaved] = useState(false);
  const [confirmed, setConfirmed] = useState(false);
  const problem = problemOf(submit.error);
  useEffect(() => setSaved(false), [verdict, corrected, note, trulyEmpty]);
  useEffect(() => setConfirmed(false), [corrected]);
  const variable = useVariable(extraction.variableId);
  const rules = variable.data?.classificationRules;
  const categories = extraction.variableType === "CATEGORY" ? (rules?.categories ?? []).map((c) => c.value) : [];
  const choosing = categories.length > 0 && !rules?.allowOther;
  // A category's correction is chosen from its list: wait for the list before showing a field.
  const fieldReady = extraction.variableType !== "CATEGORY" || !variable.isPending;
  useEffect(() => {
    const field = correctionField.current ?? categoryField.current;
    if (focusCorrection && field) {
      field.focus();
      setFocusCorrection(false);
    }
  }, [focusCorrection, fieldReady, choosing, verdict]);
  const correcting = Boolean(verdict && verdict !== "CORRECT" && !trulyEmpty && corrected.trim());
  // A typed value is echoed as it will be stored; an interpreted one needs a confirmation.
  const parsed = useParsedValue(extraction.variableId, correcting && !choosing ? corrected : "");
  const needsConfirmation = Boolean(parsed.data && !parsed.data.asTyped);

  const blocked = correcting && !choosing && (parsed.isPending || Boolean(parsed.error) || (needsConfirmation && !confirmed));

  function send(chosen: Verdict) {
    const body: Schemas["FeedbackCreate"] = { verdict: chosen, note: note.trim() || null };
    if (chosen !== "CORRECT") {
      if (trulyEmpty) body.correctedValue = null;
      else if (corrected.trim()) body.correctedValue = corrected.trim();
    }
    submit.mutate(
      { extractionId: extraction.id, body },
      {
        onSuccess: () => {
          setSaved(true);
          onSaved();
        },
      },
    );
  }

  function save(event: FormEvent) {
    event.preventDefault();
    if (!verdict || blocked) return;
    send(verdict);
  }

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (typing(event) || submit.isPending) return;
      if (event.key === "c" || event.key === "C") {
        setVerdict("CORRECT");
        send("CORRECT");
      } else if (event.key === "i" || event.key === "I") {
        setVerdict("INCORRECT");
        setFocusCorrection(true); // the correction field appears with the verdict

      } else return;
      event.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  return (
    <form onSubmit={save} className="space-y-3 rounded-md border border-slate-200 p-4" aria-label="Your verdict">
      <fieldset>
        <legend className="text-sm font-semibold">Your verdict</legend>
        <div className="mt-2 flex flex-wrap gap-4">
          {VERDICTS.map((option) => (
            <label key={option.value} className="flex items-center gap-2 text-sm">
              <input
                type="radio"
                name="verdict"
                value={option.value}
                checked={verdict === option.value}
                onChange={() => setVerdict(option.value)}
              />
              {option.label}
            </label>
          ))}
        </div>
        {fieldError(problem, "verdict") && <p className="text-sm text-red-700">{fieldError(problem, "verdict")}</p>}
      </fieldset>
      {verdict && verdict !== "CORRECT" && !fieldReady && <Spinner label="Loading the categories…" />}
      {verdict && verdict !== "CORRECT" && fieldReady && (
        <>
          {choosing ? (
            <SelectField
              ref={categoryField}
              onKeyDown={(event) => {
                // Enter saves and moves on from the category list too (a select does not submit).
                if (event.key === "Enter") {
                  event.preventDefault();
                  event.currentTarget.form?.requestSubmit();
                }
              }}
              label="Correct value"
              hint="One of the variable's categories"
              value={corrected}
              disabled={trulyEmpty}
              onChange={(e) => setCorrected(e.target.value)}
              error={fieldError(problem, "correctedValue")}
              options={[{ value: "", label: "Choose a category…" }, ...categories.map((c) => ({ value: c, label: c }))]}
            />
          ) : (
            <TextField
              label="Correct value"
              hint={`As it should have been coded (${variableTypeLabel(extraction.variableType)})${
                categories.length ? `: ${categories.join(", ")}, or another value` : ""
              }`}
              ref={correctionField}
              value={corrected}
              disabled={trulyEmpty}
              onChange={(e) => setCorrected(e.target.value)}
              error={fieldError(problem, "correctedValue") ?? (parsed.error ? problemOf(parsed.error)?.errors?.[0]?.message : undefined)}
            />
          )}
          {parsed.data && correcting && !choosing && (
            <p className="text-sm text-slate-700" aria-live="polite" data-testid="parsed-correction">
              Will be saved as <strong>{parsed.data.display ?? "empty"}</strong>
              {parsed.data.asTyped ? "." : ` (read from “${corrected.trim()}”).`}
            </p>
          )}
          {needsConfirmation && (
            <Checkbox
              label={`Yes, save ${parsed.data?.display ?? "empty"}`}
              checked={confirmed}
              onChange={(e) => setConfirmed(e.target.checked)}
            />
          )}
          <Checkbox label="The document does not give this value (should be empty)" checked={trulyEmpty} onChange={(e) => setTrulyEmpty(e.target.checked)} />
        </>
      )}
      <TextArea label="Note (optional)" rows={2} value={note} onChange={(e) => setNote(e.target.value)} error={fieldError(problem, "note")} />
      <ProblemAlert problem={problem} placedFields={["verdict", "correctedValue", "note"]} action="Saving the verdict" />
      {saved && <Notice tone="success">Verdict saved.</Notice>}
      <Button
        type="submit"
        variant="primary"
        disabled={!verdict || blocked}
        busy={submit.isPending}
        busyLabel="Saving…"
      >
        Save verdict
      </Button>
    </form>
  );
}
