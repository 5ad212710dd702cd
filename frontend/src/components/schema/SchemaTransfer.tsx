"use client";

import { useState } from "react";
import { exportSchema, useImportSchema } from "@/api/hooks/variables";
import { Button } from "@/components/ui/Button";
import { Notice, ProblemAlert } from "@/components/ui/Feedback";
import { Checkbox } from "@/components/ui/Field";
import { problemOf, type Problem } from "@/lib/problem";

function saveText(text: string, filename: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Download the whole schema as JSON or YAML; import one (validated all or nothing). */
export function SchemaTransfer({ projectId, canImport = true }: { projectId: string; canImport?: boolean }) {
  const importer = useImportSchema(projectId);
  const [replace, setReplace] = useState(false);
  const [exportProblem, setExportProblem] = useState<Problem | null>(null);

  async function download(format: "json" | "yaml") {
    setExportProblem(null);
    try {
      const text = await exportSchema(projectId, format);
      saveText(text, `schema.${format}`, format === "json" ? "application/json" : "application/yaml");
    } catch (error) {
      setExportProblem(problemOf(error));
    }
  }

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap gap-2">
        <Button onClick={() => void download("json")}>Export as JSON</Button>
        <Button onClick={() => void download("yaml")}>Export as YAML</Button>
      </div>
      <ProblemAlert problem={exportProblem} action="Exporting the schema" />
      {canImport && (
        <div className="space-y-2">
          <label htmlFor="schema-file" className="block text-sm font-medium text-slate-800">
            Import a schema file (JSON or YAML)
          </label>
          <input
            id="schema-file"
            type="file"
            accept=".json,.yaml,.yml,application/json,application/yaml"
            className="text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              e.target.value = "";
              if (!file) return;
              importer.mutate({ text: await file.text(), yaml: /\.ya?ml$/i.test(file.name), replace });
            }}
          />
          <Checkbox
            label="Replace: delete variables that the file does not list"
            checked={replace}
            onChange={(e) => setReplace(e.target.checked)}
          />
        </div>
      )}
      {importer.isPending && <p className="text-sm text-slate-600">Importing…</p>}
      <ProblemAlert error={importer.error} action="Importing the schema" />
      {importer.data && (
        <Notice tone="success">
          Imported: {importer.data.created} created, {importer.data.updated} updated, {importer.data.deleted} deleted.
        </Notice>
      )}
    </div>
  );
}
