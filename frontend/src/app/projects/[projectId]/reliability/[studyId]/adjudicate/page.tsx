"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { useDisagreements, useSetGold, useStudy, type Disagreement } from "@/api/hooks/studies";
import { Button, Spinner } from "@/components/ui/Button";
import { EmptyState, Notice, ProblemAlert, Section } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/Field";
import { displayValue } from "@/lib/reliability";

/** Where the coders differ, their values and quotes side by side, and the gold value an
 * editor sets (one of theirs, one typed, or the majority wherever there is one). */
export default function AdjudicationPage() {
  const { projectId, studyId } = useParams<{ projectId: string; studyId: string }>();
  const study = useStudy(studyId);
  const disagreements = useDisagreements(studyId);
  const gold = useSetGold(studyId, study.data?.jobId);
  const open = (disagreements.data ?? []).filter((d) => !d.hasGold).length;
  return (
    <div className="space-y-4">
      <p className="text-sm">
        <Link href={`/projects/${projectId}/reliability`} className="text-indigo-700 hover:underline">
          ← Reliability studies
        </Link>
      </p>
      <Section
        title="Disagreements"
        description="Set the gold value of each: it then counts as the truth for accuracy, calibration, prompt scoring and exports."
        actions={
          <Button busy={gold.isPending} onClick={() => gold.mutate({ acceptMajority: true })}>
            Accept the majority where no gold is set
          </Button>
        }
      >
        <ProblemAlert error={gold.error} action="Setting the gold value" />
        {gold.isSuccess && <Notice tone="success">{gold.data.changed} gold value{gold.data.changed === 1 ? "" : "s"} set.</Notice>}
        {disagreements.isPending && <Spinner label="Loading disagreements…" />}
        <ProblemAlert error={disagreements.error} action="Loading disagreements" />
        {disagreements.data?.length === 0 && <EmptyState title="No disagreements">The coders agree on every unit they both coded.</EmptyState>}
        {disagreements.data && disagreements.data.length > 0 && (
          <p className="mb-3 text-sm text-slate-600" data-testid="disagreement-count">
            {disagreements.data.length} disagreement{disagreements.data.length === 1 ? "" : "s"}, {open} without a gold value.
          </p>
        )}
        <ul className="space-y-4">
          {(disagreements.data ?? []).map((d) => (
            <DisagreementItem
              key={`${d.unitIndex}:${d.variableId}`}
              disagreement={d}
              busy={gold.isPending}
              onGold={(value) => gold.mutate({ items: [{ unitIndex: d.unitIndex, variableId: d.variableId, value }] })}
            />
          ))}
        </ul>
      </Section>
    </div>
  );
}

function DisagreementItem({
  disagreement: d,
  busy,
  onGold,
}: {
  disagreement: Disagreement;
  busy: boolean;
  onGold: (value: unknown) => void;
}) {
  const [typed, setTyped] = useState("");
  return (
    <li className="rounded-md border border-slate-200 p-3" data-testid="disagreement">
      <p className="text-sm font-medium">
        Unit {d.unitIndex + 1} · {d.documentName} · {d.variableName}
        {d.hasGold && (
          <span className="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs text-emerald-800">
            Gold: {displayValue(d.gold)}
          </span>
        )}
      </p>
      <div className="mt-2 grid gap-3" style={{ gridTemplateColumns: `repeat(${Math.max(d.codings.length, 1)}, minmax(0, 1fr))` }}>
        {d.codings.map((c) => (
          <div key={c.coderId} className="rounded border border-slate-100 bg-slate-50 p-2 text-sm">
            <p className="text-xs text-slate-500">{c.coderEmail}</p>
            <p className="font-medium">{displayValue(c.value)}</p>
            {c.quote && <blockquote className="mt-1 border-l-2 border-slate-300 pl-2 text-xs italic text-slate-700">{c.quote}</blockquote>}
            <Button size="sm" variant="ghost" className="mt-1" disabled={busy} onClick={() => onGold(c.value)}>
              Make this the gold value
            </Button>
          </div>
        ))}
      </div>
      <form
        className="mt-2 flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          if (typed.trim()) onGold(typed.trim());
        }}
      >
        <TextField label="Or another value" value={typed} onChange={(e) => setTyped(e.target.value)} wrapperClassName="w-64" />
        <Button type="submit" size="sm" disabled={busy || !typed.trim()}>Set</Button>
      </form>
    </li>
  );
}
