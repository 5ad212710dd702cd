"use client";

import { useState, type FormEvent } from "react";
import { sameOriginUrl, type Schemas } from "@/api/client";
import { useCreateExport } from "@/api/hooks/exports";
import { Button } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { Checkbox, SelectField, TextField } from "@/components/ui/Field";
import { formatBytes, formatCount, formatDateTime } from "@/lib/format";
import { fieldError, problemOf } from "@/lib/problem";

type Format = Schemas["ExportFormat"];

const FORMATS: { value: Format; label: string }[] = [
  { value: "CSV", label: "CSV" },
  { value: "EXCEL", label: "Excel (data, codebook and quality sheets)" },
  { value: "JSON", label: "JSON" },
  { value: "PARQUET", label: "Parquet" },
  { value: "STATA", label: "Stata (.dta)" },
];

export function ExportForm({ projectId, jobId }: { projectId: string; jobId: string }) {
  const create = useCreateExport(projectId);
  const [format, setFormat] = useState<Format>("CSV");
  const [layout, setLayout] = useState<"WIDE" | "LONG">("WIDE");
  const [includeConfidence, setIncludeConfidence] = useState(true);
  const [includeSourceText, setIncludeSourceText] = useState(false);
  const [minConfidence, setMinConfidence] = useState("");
  const problem = problemOf(create.error);
  const file = create.data;

  function submit(event: FormEvent) {
    event.preventDefault();
    const min = minConfidence.trim();
    create.mutate({
      format,
      layout,
      includeConfidence,
      includeSourceText,
      minConfidence: min ? Number(min) : null,
      jobId,
    });
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Export settings" noValidate>
      <div className="grid gap-4 md:grid-cols-3">
        <SelectField label="Format" value={format} onChange={(e) => setFormat(e.target.value as Format)} options={FORMATS} error={fieldError(problem, "format")} />
        <fieldset>
          <legend className="mb-1 block text-sm font-medium text-slate-800">Layout</legend>
          <div className="flex flex-col gap-1">
            <label className="flex items-center gap-2 text-sm">
              <input type="radio" name="layout" checked={layout === "WIDE"} onChange={() => setLayout("WIDE")} />
              Wide — one row per unit, one column per variable
            </label>
            <label className="flex items-center gap-2 text-sm">
              <input type="radio" name="layout" checked={layout === "LONG"} onChange={() => setLayout("LONG")} />
              Long — one row per value
            </label>
          </div>
          {fieldError(problem, "layout") && <p className="text-sm text-red-700">{fieldError(problem, "layout")}</p>}
        </fieldset>
        <TextField
          label="Minimum confidence (optional)"
          hint="Values below it are left blank (0–1)"
          inputMode="decimal"
          value={minConfidence}
          onChange={(e) => setMinConfidence(e.target.value)}
          error={fieldError(problem, "minConfidence")}
        />
      </div>
      <div className="flex flex-wrap gap-6">
        <Checkbox label="Include confidence columns" checked={includeConfidence} onChange={(e) => setIncludeConfidence(e.target.checked)} />
        <Checkbox label="Include source quotes" checked={includeSourceText} onChange={(e) => setIncludeSourceText(e.target.checked)} />
      </div>
      <ProblemAlert problem={problem} placedFields={["format", "layout", "minConfidence"]} action="Exporting" />
      <Button type="submit" variant="primary" busy={create.isPending} busyLabel="Building the file…">
        Create export
      </Button>
      {file && (
        <div className="rounded-md border border-emerald-200 bg-emerald-50 p-4 text-sm" role="status" data-testid="export-ready">
          <p>
            <a href={sameOriginUrl(file.downloadUrl)} download={file.filename} className="font-semibold text-indigo-700 underline">
              Download {file.filename}
            </a>{" "}
            ({formatBytes(file.fileSize)}, {formatCount(file.rowCount)} rows × {formatCount(file.columnCount)} columns)
          </p>
          <p className="mt-1 text-slate-600">
            <a href={sameOriginUrl(file.codebookUrl)} className="text-indigo-700 underline">Codebook (JSON)</a> · link valid until {formatDateTime(file.expiresAt)}
          </p>
        </div>
      )}
    </form>
  );
}
