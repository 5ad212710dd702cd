import { diffStats, lineDiff } from "@/lib/diff";

/** Line diff between two prompt texts: removed lines red, added lines green. */
export function DiffView({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = lineDiff(before, after);
  const stats = diffStats(lines);
  return (
    <div className="space-y-1">
      <p className="text-xs text-slate-600">
        {stats.added} line{stats.added === 1 ? "" : "s"} added, {stats.removed} removed
      </p>
      <pre
        className="max-h-96 overflow-auto rounded-md border border-slate-200 bg-white text-xs leading-relaxed"
        role="region"
        aria-label={label}
        tabIndex={0}
        data-testid="prompt-diff"
      >
        {lines.map((line, i) => (
          <div
            key={i}
            className={
              line.kind === "added"
                ? "bg-emerald-50 px-3 text-emerald-900"
                : line.kind === "removed"
                  ? "bg-red-50 px-3 text-red-900 line-through decoration-red-300"
                  : "px-3 text-slate-600"
            }
          >
            <span aria-hidden="true" className="mr-2 select-none">
              {line.kind === "added" ? "+" : line.kind === "removed" ? "−" : " "}
            </span>
            <span className="sr-only">{line.kind === "added" ? "added: " : line.kind === "removed" ? "removed: " : ""}</span>
            {line.text || " "}
          </div>
        ))}
      </pre>
    </div>
  );
}
