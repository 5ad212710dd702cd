"use client";

import { useReliability, type Alpha } from "@/api/hooks/studies";
import { Spinner } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { humanise } from "@/lib/format";
import { formatAlpha, formatInterval, formatShare, READING_LABELS, readingOf } from "@/lib/reliability";

const READING_TONES = {
  reliable: "bg-emerald-100 text-emerald-800",
  tentative: "bg-amber-100 text-amber-800",
  unreliable: "bg-red-100 text-red-800",
  undefined: "bg-slate-100 text-slate-700",
} as const;

function ReadingBadge({ alpha }: { alpha: Alpha }) {
  const reading = readingOf(alpha.alpha);
  return (
    <span
      title={alpha.undefinedReason ?? undefined}
      className={`rounded-full px-2 py-0.5 text-xs font-medium ${READING_TONES[reading]}`}
    >
      {READING_LABELS[reading]}
    </span>
  );
}

/** Krippendorff's alpha per study and variable among the human coders, with its 95 %
 * bootstrap interval and reading, and the model against the adjudicated gold. */
export function ReliabilityTable({ jobId }: { jobId: string }) {
  const report = useReliability(jobId);
  if (report.isPending) return <Spinner label="Computing reliability…" />;
  if (report.error) return <ProblemAlert error={report.error} action="Loading reliability" />;
  const studies = report.data?.studies ?? [];
  if (studies.length === 0) {
    return <p className="text-sm text-slate-600">No reliability study on this job yet: open one on the Reliability tab.</p>;
  }
  return (
    <div className="space-y-4">
      {studies.map((study) => (
        <table
          key={study.studyId}
          className="w-full text-left text-sm"
          aria-label={`Reliability of the ${humanise(study.mode).toLowerCase()} study`}
          data-testid="reliability-table"
        >
          <caption className="mb-1 text-left text-xs text-slate-600">
            {humanise(study.mode)} study, {study.status.toLowerCase()}: {study.unitCount} units,{" "}
            {study.coders.map((c) => c.email).join(", ")}
          </caption>
          <thead className="border-b border-slate-200 text-slate-500">
            <tr>
              <th scope="col" className="py-1.5 pr-3 font-medium">Variable</th>
              <th scope="col" className="py-1.5 pr-3 font-medium">Level</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">α (coders)</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">95 % interval</th>
              <th scope="col" className="py-1.5 pr-3 font-medium">Reading</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Units paired</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Agreement</th>
              <th scope="col" className="py-1.5 text-right font-medium">Model vs gold α</th>
            </tr>
          </thead>
          <tbody>
            {study.variables.map((v) => (
              <tr key={v.variableId} className="border-b border-slate-100">
                <td className="py-1.5 pr-3 font-medium">{v.name}</td>
                <td className="py-1.5 pr-3">{v.humans.level ? humanise(v.humans.level) : "—"}</td>
                <td className="py-1.5 pr-3 text-right tabular-nums">{formatAlpha(v.humans.alpha)}</td>
                <td className="py-1.5 pr-3 text-right tabular-nums">
                  {formatInterval(v.humans.intervalLow, v.humans.intervalHigh)}
                </td>
                <td className="py-1.5 pr-3"><ReadingBadge alpha={v.humans} /></td>
                <td className="py-1.5 pr-3 text-right tabular-nums">
                  {v.humans.pairableUnits} of {v.humans.units}
                </td>
                <td className="py-1.5 pr-3 text-right tabular-nums">{formatShare(v.humans.percentAgreement)}</td>
                <td className="py-1.5 text-right tabular-nums">
                  {v.modelAgainstGold
                    ? `${formatAlpha(v.modelAgainstGold.alpha)} (${formatShare(v.modelAgainstGold.percentAgreement)} on ${v.goldUnits})`
                    : "no gold yet"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      <p className="text-xs text-slate-500">
        Krippendorff&apos;s alpha: ≥ .800 reliable, ≥ .667 tentative conclusions only, below that unreliable. The interval
        comes from resampling units (bootstrap).
      </p>
    </div>
  );
}
