"use client";

import type { Schemas } from "@/api/client";
import { useJobStatistics } from "@/api/hooks/jobs";
import { useAgreement } from "@/api/hooks/review";
import { Spinner } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { formatConfidence, formatCount, formatRatio } from "@/lib/format";

/** Per-variable figures of a job and, where values were reviewed, a calibration chart. */
export function QualityReport({ jobId, reviewJobId }: { jobId: string; reviewJobId?: string }) {
  const statistics = useJobStatistics(jobId);
  const agreement = useAgreement(jobId);
  const sampleAgreement = useAgreement(reviewJobId && reviewJobId !== jobId ? reviewJobId : undefined);
  const reviewed = agreement.data?.reviewed ? agreement.data : sampleAgreement.data;
  if (statistics.isPending) return <Spinner label="Loading the quality report…" />;
  return (
    <div className="space-y-5">
      <ProblemAlert error={statistics.error} action="Loading statistics" />
      {statistics.data && (
        <table className="w-full text-left text-sm" aria-label="Quality per variable" data-testid="quality-table">
          <thead className="border-b border-slate-200 text-slate-500">
            <tr>
              <th scope="col" className="py-1.5 pr-3 font-medium">Variable</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Filled</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Mean confidence</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Flagged</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Quote not found</th>
              <th scope="col" className="py-1.5 pr-3 text-right font-medium">Reviewed</th>
              <th scope="col" className="py-1.5 text-right font-medium">Accuracy</th>
            </tr>
          </thead>
          <tbody>
            {statistics.data.variables.map((v) => (
              <tr key={v.variableId} className="border-b border-slate-100">
                <td className="py-1.5 pr-3 font-medium">{v.variableName}</td>
                <td className="py-1.5 pr-3 text-right tabular-nums">{formatCount(v.filled)} of {formatCount(v.extractions)} ({formatRatio(v.filledRate)})</td>
                <td className="py-1.5 pr-3 text-right tabular-nums">{formatConfidence(v.meanConfidence)}</td>
                <td className="py-1.5 pr-3 text-right tabular-nums">{formatCount(v.flagged)}</td>
                <td className="py-1.5 pr-3 text-right tabular-nums">{formatCount(v.ungrounded)}</td>
                <td className="py-1.5 pr-3 text-right tabular-nums">{formatCount(v.reviewed)}</td>
                <td className="py-1.5 text-right tabular-nums">{formatRatio(v.accuracy)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div>
        <h3 className="text-sm font-semibold">Calibration</h3>
        {reviewed && reviewed.reviewed > 0 ? (
          <>
            <p className="mb-2 text-xs text-slate-600">
              Accuracy of reviewed values by the model&apos;s confidence{reviewed.jobId !== jobId ? " (from the sample review)" : ""}: a well calibrated model&apos;s bars reach the diagonal.
            </p>
            <div className="flex flex-wrap gap-6">
              {reviewed.variables.filter((v) => v.reviewed > 0).map((v) => (
                <CalibrationChart key={v.variableId} name={v.variableName} calibration={v.calibration} />
              ))}
            </div>
          </>
        ) : (
          <p className="text-sm text-slate-600">Review values of a sample to see how well confidence predicts accuracy.</p>
        )}
      </div>
    </div>
  );
}

const SIZE = 160;
const PAD = 24;

function CalibrationChart({ name, calibration }: { name: string; calibration: Schemas["CalibrationRead"] }) {
  const inner = SIZE - PAD * 2;
  const x = (v: number) => PAD + v * inner;
  const y = (v: number) => SIZE - PAD - v * inner;
  const bins = calibration.bins.filter((b) => b.count > 0);
  const summary = bins
    .map((b) => `${formatConfidence(b.lower)}–${formatConfidence(b.upper)}: ${formatRatio(b.accuracy)} of ${b.count}`)
    .join("; ");
  return (
    <figure className="text-xs">
      <svg width={SIZE} height={SIZE} role="img" aria-label={`Calibration of ${name}: ${summary || "no reviewed values"}`}>
        <rect x={PAD} y={PAD} width={inner} height={inner} fill="#f8fafc" stroke="#cbd5e1" />
        <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} stroke="#94a3b8" strokeDasharray="3 3" />
        {bins.map((b) => (
          <rect
            key={b.lower}
            x={x(b.lower) + 1}
            width={Math.max(x(b.upper) - x(b.lower) - 2, 1)}
            y={y(b.accuracy ?? 0)}
            height={Math.max(y(0) - y(b.accuracy ?? 0), 0)}
            fill="#6366f1"
            opacity={0.8}
          />
        ))}
        <text x={PAD - 4} y={SIZE - 8} fill="#475569">0</text>
        <text x={SIZE - PAD - 4} y={SIZE - 8} fill="#475569">1</text>
        <text x={SIZE / 2} y={SIZE - 8} fill="#475569" textAnchor="middle">confidence</text>
        <text x={10} y={PAD + 4} fill="#475569">1</text>
        <text x={12} y={SIZE / 2} fill="#475569" textAnchor="middle" transform={`rotate(-90 12 ${SIZE / 2})`}>accuracy</text>
      </svg>
      <figcaption className="text-center text-slate-700">
        {name}
        {calibration.expectedCalibrationError != null && ` · ECE ${calibration.expectedCalibrationError.toFixed(2)}`}
      </figcaption>
    </figure>
  );
}
