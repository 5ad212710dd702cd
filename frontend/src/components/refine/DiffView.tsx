import { diffStats, foldUnchanged, lineDiff } from "@/lib/diff";

/** Line diff between two prompt texts: removed lines red, added green, long unchanged runs
 * folded. */
export function DiffView({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = lineDiff(before, after);
  const stats = diffStats(lines);
  return (
    <div className="space-y-1">
      <p className="text-xs text-slate-600">
        {stats.added} line{stats.added === 1 ? "" : "s"} added, {stats.removed} removed
      </p>
      <div
        className="max-h-96 overflow-auto rounded-md border border-slate-200 bg-white py-1 font-mono text-xs leading-relaxed"
        role="region"
        aria-label={label}
        tabIndex={0}
        data-testid="prompt-diff"
      >
        {foldUnchanged(lines, 2).map((row, i) =>
          row.kind === "skipped" ? (
            <p key={i} className="bg-slate-50 px-3 py-0.5 italic text-slate-500">
              … {row.count} unchanged line{row.count === 1 ? "" : "s"}
            </p>
          ) : (
            <p
              key={i}
              className={`whitespace-pre-wrap px-3 ${
                row.kind === "added"
                  ? "bg-emerald-50 text-emerald-900"
                  : row.kind === "removed"
                    ? "bg-red-50 text-red-900 line-through decoration-red-300"
                    : "text-slate-600"
              }`}
            >
              <span aria-hidden="true" className="mr-2 select-none">
                {row.kind === "added" ? "+" : row.kind === "removed" ? "−" : " "}
              </span>
              <span className="sr-only">{row.kind === "added" ? "added: " : row.kind === "removed" ? "removed: " : ""}</span>
              {row.text || " "}
            </p>
          ),
        )}
      </div>
    </div>
  );
}
