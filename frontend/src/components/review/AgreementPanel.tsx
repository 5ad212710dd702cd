"use client";

import { useAgreement } from "@/api/hooks/review";
import { Spinner } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { formatCount, formatRatioWithInterval } from "@/lib/format";

/** Per variable: how many values were reviewed, accuracy, and model–reviewer agreement. */
export function AgreementPanel({ jobId }: { jobId: string }) {
  const agreement = useAgreement(jobId);
  if (agreement.isPending) return <Spinner label="Loading agreement…" />;
  if (!agreement.data) return <ProblemAlert error={agreement.error} action="Loading agreement" />;
  const a = agreement.data;
  if (a.reviewed === 0) {
    return <p className="text-sm text-slate-600">No value reviewed yet: open values in the table and record verdicts.</p>;
  }
  return (
    <div className="space-y-2">
      <p className="text-sm text-slate-700">
        {formatCount(a.reviewed)} values reviewed · overall accuracy{" "}
        <strong>{formatRatioWithInterval(a.accuracy, a.accuracyInterval, a.reviewed)}</strong>
      </p>
      <table className="w-full text-left text-sm" aria-label="Agreement per variable" data-testid="agreement-table">
        <thead className="border-b border-slate-200 text-slate-500">
          <tr>
            <th scope="col" className="py-1.5 pr-3 font-medium">Variable</th>
            <th scope="col" className="py-1.5 pr-3 text-right font-medium">Reviewed</th>
            <th scope="col" className="py-1.5 pr-3 text-right font-medium">Correct / partly / wrong</th>
            <th scope="col" className="py-1.5 pr-3 text-right font-medium">Accuracy</th>
            <th scope="col" className="py-1.5 text-right font-medium">Cohen&apos;s κ</th>
          </tr>
        </thead>
        <tbody>
          {a.variables.map((v) => (
            <tr
              key={v.variableId}
              className={`border-b border-slate-100 ${v.enoughReviewed ? "" : "text-slate-400"}`}
              title={v.enoughReviewed ? undefined : `Fewer than ${v.minReviewed} reviewed values: an indication only`}
            >
              <td className="py-1.5 pr-3 font-medium">{v.variableName}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">
                {v.reviewed}
                {v.againstGold ? ` (${v.againstGold} against gold values)` : ""}
              </td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{v.correct} / {v.partiallyCorrect} / {v.incorrect}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{formatRatioWithInterval(v.accuracy, v.accuracyInterval, v.reviewed)}</td>
              <td className="py-1.5 text-right tabular-nums">{v.agreement.kappa == null ? "—" : v.agreement.kappa.toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="text-xs text-slate-500">
        Accuracy with its 95 % interval (Wilson) and the number of reviewed values; rows in grey rest on fewer than{" "}
        {a.variables[0]?.minReviewed ?? 10} reviewed values and are indications only.
      </p>
      <p className="text-xs text-slate-500">κ is computed for category and yes/no variables; it needs at least two reviewed values with some disagreement possible.</p>
    </div>
  );
}
