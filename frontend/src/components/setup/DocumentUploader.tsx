"use client";

import { useRef, useState, type DragEvent, type FormEvent } from "react";
import type { Schemas } from "@/api/client";
import { useUploadDocuments } from "@/api/hooks/documents";
import { Button } from "@/components/ui/Button";
import { Badge, Notice, ProblemAlert, ProgressBar } from "@/components/ui/Feedback";
import { SelectField } from "@/components/ui/Field";
import { contentTypeLabel, formatCount } from "@/lib/format";
import { problemOf, type Problem } from "@/lib/problem";
import { guessColumns } from "@/lib/columns";

type FileResult = Schemas["FileResult"];

const BATCH = 10;

interface PendingTable {
  file: File;
  columns: string[];
}

const COLUMN_CODES = new Set(["TEXT_COLUMN_REQUIRED", "UNKNOWN_COLUMN"]);

/** A batch upload's answer for a table that needs its text column named. */
export function needsColumns(result: FileResult): boolean {
  return COLUMN_CODES.has(result.errorCode ?? "") && (result.availableColumns?.length ?? 0) > 0;
}

/** Drop or choose files: they go up in batches; a table comes back with its columns
 * (`availableColumns`), which feed the picker that names its text column. */
export function DocumentUploader({ projectId }: { projectId: string }) {
  const upload = useUploadDocuments(projectId);
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [results, setResults] = useState<FileResult[]>([]);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [tables, setTables] = useState<PendingTable[]>([]);
  const [error, setError] = useState<Problem | null>(null);

  async function send(files: File[]) {
    setError(null);
    setProgress({ done: 0, total: files.length });
    let done = 0;
    try {
      for (let i = 0; i < files.length; i += BATCH) {
        const batch = files.slice(i, i + BATCH);
        const report = await upload.mutateAsync({ files: batch });
        // A table without a (known) text column comes back with its columns for the picker.
        const asking = report.files.filter(needsColumns);
        const waiting = asking.flatMap((result) => {
          const file = batch.find((f) => f.name === result.filename);
          return file ? [{ file, columns: result.availableColumns ?? [] }] : [];
        });
        setTables((pending) => [...pending, ...waiting]);
        setResults((shown) => [...report.files.filter((r) => !needsColumns(r)), ...shown]);
        done += batch.length;
        setProgress({ done, total: files.length });
      }
    } catch (failure) {
      setError(problemOf(failure));
    } finally {
      setProgress(null);
    }
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    const files = [...event.dataTransfer.files];
    if (files.length) void send(files);
  }

  return (
    <div className="space-y-4">
      {/* A drop target for the mouse; the labelled file input inside is the keyboard way. */}
      {/* eslint-disable-next-line jsx-a11y/no-noninteractive-element-interactions */}
      <div
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        role="region"
        aria-label="Drop files here"
        data-testid="dropzone"
        className={`rounded-lg border-2 border-dashed px-6 py-8 text-center ${
          dragging ? "border-indigo-500 bg-indigo-50" : "border-slate-300 bg-slate-50"
        }`}
      >
        <p className="text-sm text-slate-700">
          Drag PDF, Word, text, Markdown or HTML files here — or a CSV, TSV, JSON or Parquet table
          whose rows are documents.
        </p>
        <div className="mt-3 flex items-center justify-center gap-3">
          <label htmlFor="document-files" className="text-sm font-medium text-slate-800">
            Choose files to upload
          </label>
          <input
            ref={input}
            id="document-files"
            type="file"
            multiple
            className="text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm"
            onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              if (files.length) void send(files);
              e.target.value = "";
            }}
          />
        </div>
      </div>

      {progress && (
        <div className="space-y-1" aria-live="polite">
          <p className="text-sm text-slate-700">
            Uploading and reading files… {progress.done} of {progress.total}
          </p>
          <ProgressBar value={(progress.done / Math.max(progress.total, 1)) * 100} label="Upload progress" />
        </div>
      )}
      <ProblemAlert problem={error} action="Uploading" />

      {tables.map((table) => (
        <ColumnPicker
          key={`${table.file.name}-${table.file.lastModified}`}
          table={table}
          busy={upload.isPending}
          onImport={async (columns) => {
            const report = await upload.mutateAsync({ files: [table.file], ...columns });
            setResults((shown) => [...report.files, ...shown]);
            setTables((pending) => pending.filter((p) => p !== table));
          }}
          onCancel={() => setTables((pending) => pending.filter((p) => p !== table))}
        />
      ))}

      {results.length > 0 && <UploadReport results={results} />}
    </div>
  );
}

function ColumnPicker({
  table,
  busy,
  onImport,
  onCancel,
}: {
  table: PendingTable;
  busy: boolean;
  onImport: (columns: { textColumn: string; idColumn?: string; titleColumn?: string }) => Promise<void>;
  onCancel: () => void;
}) {
  const guess = guessColumns(table.columns);
  const [textColumn, setTextColumn] = useState(guess.textColumn);
  const [idColumn, setIdColumn] = useState(guess.idColumn);
  const [titleColumn, setTitleColumn] = useState(guess.titleColumn);
  const [problem, setProblem] = useState<Problem | null>(null);
  const none = [{ value: "", label: "— none —" }];
  const options = table.columns.map((c) => ({ value: c, label: c }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    try {
      await onImport({ textColumn, idColumn: idColumn || undefined, titleColumn: titleColumn || undefined });
    } catch (failure) {
      setProblem(problemOf(failure));
    }
  }

  return (
    <form
      onSubmit={submit}
      aria-label={`Columns of ${table.file.name}`}
      className="space-y-3 rounded-lg border border-amber-300 bg-amber-50 p-4"
    >
      <p className="text-sm text-amber-900">
        <strong>{table.file.name}</strong> is a table. Pick the column that holds each row&apos;s text;
        every row becomes one document.
      </p>
      <div className="grid gap-3 md:grid-cols-3">
        <SelectField
          label="Text column"
          value={textColumn}
          onChange={(e) => setTextColumn(e.target.value)}
          options={options}
          error={problem?.errors.find((e) => e.field === "textColumn")?.message}
        />
        <SelectField
          label="ID column (optional)"
          value={idColumn}
          onChange={(e) => setIdColumn(e.target.value)}
          options={[...none, ...options]}
          error={problem?.errors.find((e) => e.field === "idColumn")?.message}
        />
        <SelectField
          label="Title column (optional)"
          value={titleColumn}
          onChange={(e) => setTitleColumn(e.target.value)}
          options={[...none, ...options]}
        />
      </div>
      <ProblemAlert problem={problem} placedFields={["textColumn", "idColumn"]} action="Importing rows" />
      <div className="flex gap-2">
        <Button type="submit" variant="primary" busy={busy} busyLabel="Importing…">
          Import rows
        </Button>
        <Button onClick={onCancel}>Skip this table</Button>
      </div>
    </form>
  );
}

function UploadReport({ results }: { results: FileResult[] }) {
  const failed = results.filter((r) => r.outcome === "FAILED" || r.status === "FAILED").length;
  return (
    <div className="space-y-2" aria-live="polite">
      {failed > 0 ? (
        <Notice tone="warning">
          {failed} file{failed === 1 ? "" : "s"} could not be read and {failed === 1 ? "was" : "were"} not added
          {results.length > failed ? `; ${results.length - failed} ${results.length - failed === 1 ? "was" : "were"} added` : ""}.
        </Notice>
      ) : (
        <Notice tone="success">Upload finished.</Notice>
      )}
      <table className="w-full text-left text-sm" aria-label="Upload report">
        <thead className="border-b border-slate-200 text-slate-500">
          <tr>
            <th scope="col" className="py-1.5 pr-3 font-medium">File</th>
            <th scope="col" className="py-1.5 pr-3 font-medium">Outcome</th>
            <th scope="col" className="py-1.5 font-medium">Details</th>
          </tr>
        </thead>
        <tbody>
          {results.map((result, i) => (
            <tr key={`${result.filename}-${i}`} className="border-b border-slate-100">
              <td className="py-1.5 pr-3">{result.filename}</td>
              <td className="py-1.5 pr-3">
                <Badge value={result.status === "FAILED" ? "FAILED" : result.outcome} />
              </td>
              <td className="py-1.5 text-slate-600">
                {result.error ??
                  (result.rowsImported
                    ? `${formatCount(result.rowsImported)} rows imported` +
                      (result.rowsSkipped ? `, ${formatCount(result.rowsSkipped)} empty rows skipped` : "") +
                      (result.rowsDuplicate ? `, ${formatCount(result.rowsDuplicate)} already present` : "")
                    : result.outcome === "DUPLICATE"
                      ? "Already in the project"
                      : result.contentType
                        ? `Read as ${contentTypeLabel(result.contentType)}`
                        : "")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
