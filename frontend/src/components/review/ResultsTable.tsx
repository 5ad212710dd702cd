"use client";

import type { Schemas } from "@/api/client";
import { Badge } from "@/components/ui/Feedback";
import { formatConfidence, humanise } from "@/lib/format";
import { pivotWide } from "@/lib/pivot";

type Extraction = Schemas["ExtractionRead"];
type Feedback = Schemas["JobFeedbackRead"];

function displayValue(value: unknown): string | null {
  if (value == null) return null;
  return Array.isArray(value) ? value.join("; ") : String(value);
}

/** One row per unit of observation, one column per variable; each value opens its review. */
export function ResultsTable({
  extractions,
  variables,
  documentNames,
  feedback,
  onOpen,
  caption,
}: {
  extractions: Extraction[];
  variables: Schemas["VariableRead"][];
  documentNames: Map<string, string>;
  feedback?: Map<string, Feedback>;
  onOpen?: (extraction: Extraction) => void;
  caption: string;
}) {
  const rows = pivotWide(extractions, [...documentNames.keys()]);
  const entityMode = rows.some((r) => r.entityIndex > 0 || r.entityKey);
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full border-collapse text-left text-sm" data-testid="results-table">
        <caption className="sr-only">{caption}</caption>
        <thead className="border-b border-slate-300 bg-slate-50 text-slate-600">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Document</th>
            {entityMode && <th scope="col" className="px-3 py-2 font-medium">Entity</th>}
            {variables.map((v) => (
              <th key={v.id} scope="col" className="px-3 py-2 font-medium">
                {v.displayName ?? v.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} className="border-b border-slate-100 align-top">
              <th scope="row" className="max-w-56 truncate px-3 py-2 font-normal text-slate-700">
                {documentNames.get(row.documentId) ?? row.documentId.slice(0, 8)}
              </th>
              {entityMode && <td className="px-3 py-2 text-slate-600">{row.entityKey ?? row.entityIndex + 1}</td>}
              {variables.map((v) => {
                const cell = row.cells[v.id];
                if (!cell) return <td key={v.id} className="px-3 py-2 text-slate-400">—</td>;
                const verdict = feedback?.get(cell.id);
                // The reviewer's value replaces the model's in the dataset: show both.
                const corrected =
                  verdict?.hasCorrectedValue && verdict.verdict !== "CORRECT" ? displayValue(verdict.correctedValue) : undefined;
                const shown =
                  cell.status === "OUT_OF_LIST" ? (
                    <span title="Not one of the variable's categories">“{cell.rawAnswer}” (not in the list)</span>
                  ) : (
                    (cell.value ?? <em className="font-normal text-slate-500">empty</em>)
                  );
                const content = (
                  <>
                    <span className="block font-medium text-slate-900">
                      {corrected !== undefined ? (
                        <>
                          <span className="text-slate-400 line-through">{shown}</span> {corrected ?? <em className="font-normal">empty</em>}
                        </>
                      ) : (
                        shown
                      )}
                    </span>
                    <span className="mt-0.5 flex flex-wrap items-center gap-1 text-xs text-slate-500">
                      <span title="Confidence">conf. {formatConfidence(cell.confidence)}</span>
                      {cell.needsReview && !verdict && <Badge value="PAUSED">needs review</Badge>}
                      {cell.grounding === "NONE" && <Badge value="FAILED">no quote</Badge>}
                      {cell.flags.filter((f) => f !== "LOW_CONFIDENCE" && f !== "UNKNOWN_CATEGORY").slice(0, 2).map((f) => (
                        <Badge key={f} value="PAUSED">{humanise(f)}</Badge>
                      ))}
                      {verdict && (
                        <Badge value={verdict.verdict}>
                          {humanise(verdict.verdict).toLowerCase()}
                          {verdict.reviewerName ? ` · ${verdict.reviewerName}` : ""}
                          {verdict.carried ? " · earlier job" : ""}
                        </Badge>
                      )}
                    </span>
                  </>
                );
                return (
                  <td key={v.id} className="px-1 py-1">
                    {onOpen ? (
                      <button
                        type="button"
                        onClick={() => onOpen(cell)}
                        className="w-full rounded px-2 py-1 text-left hover:bg-indigo-50"
                        aria-label={`Review ${v.name} = ${cell.value ?? "empty"} in ${documentNames.get(row.documentId) ?? "document"}${
                          verdict ? ` (${humanise(verdict.verdict).toLowerCase()}${verdict.reviewerName ? ` by ${verdict.reviewerName}` : ""})` : ""
                        }`}
                        data-variable={v.name}
                      >
                        {content}
                      </button>
                    ) : (
                      <div className="px-2 py-1">{content}</div>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
