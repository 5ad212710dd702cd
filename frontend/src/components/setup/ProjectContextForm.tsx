"use client";

import { useState, type FormEvent } from "react";
import type { Schemas } from "@/api/client";
import { useUpdateProject } from "@/api/hooks/projects";
import { Button } from "@/components/ui/Button";
import { Notice, ProblemAlert } from "@/components/ui/Feedback";
import { TextArea, TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";

type Project = Schemas["ProjectRead"];
type Unit = Schemas["UnitOfObservation"];

const PLACED = ["name", "description", "domain", "language", "documentType", "unitOfObservation"];

/** The unit of observation with every field filled (the API omits none, but types allow it). */
function readUnit(raw: Project["unitOfObservation"]): Required<Unit> {
  return {
    mode: raw.mode === "ENTITY" ? "ENTITY" : "DOCUMENT",
    whatEachRowRepresents: raw.whatEachRowRepresents ?? "",
    entityIdentificationPattern: raw.entityIdentificationPattern ?? "",
    rowsPerDocument: raw.rowsPerDocument ?? "",
  };
}

/** The project's context and unit of observation; read-only for roles that may not edit. */
export function ProjectContextForm({ project, readOnly = false }: { project: Project; readOnly?: boolean }) {
  const update = useUpdateProject(project.id);
  const unit = readUnit(project.unitOfObservation);
  const [name, setName] = useState(project.name);
  const [description, setDescription] = useState(project.description ?? "");
  const [domain, setDomain] = useState(project.domain ?? "");
  const [documentType, setDocumentType] = useState(project.documentType ?? "");
  const [language, setLanguage] = useState(project.language);
  const [mode, setMode] = useState<"DOCUMENT" | "ENTITY">(unit.mode);
  const [rowMeaning, setRowMeaning] = useState(unit.whatEachRowRepresents);
  const [entityPattern, setEntityPattern] = useState(unit.entityIdentificationPattern ?? "");
  const [rowsPerDocument, setRowsPerDocument] = useState(unit.rowsPerDocument ?? "");
  const problem = problemOf(update.error);
  const unitError = fieldError(problem, "unitOfObservation");

  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate({
      name: name.trim(),
      description: description.trim() || null,
      domain: domain.trim() || null,
      documentType: documentType.trim() || null,
      language: language.trim() || "en",
      unitOfObservation: {
        mode,
        whatEachRowRepresents: rowMeaning.trim() || (mode === "DOCUMENT" ? "one document" : "one entity"),
        entityIdentificationPattern: mode === "ENTITY" ? entityPattern.trim() || null : null,
        rowsPerDocument: mode === "ENTITY" ? rowsPerDocument.trim() || null : null,
      },
    });
  }

  return (
    <form onSubmit={submit} className="space-y-5" noValidate aria-label="Project context">
      <fieldset disabled={readOnly} className="space-y-5">
        <legend className="sr-only">{readOnly ? "Project context (read only: editors change it)" : "Project context"}</legend>
        <div className="grid gap-4 md:grid-cols-2">
          <TextField label="Project name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(problem, "name")} />
          <TextField label="Language" value={language} onChange={(e) => setLanguage(e.target.value)} error={fieldError(problem, "language")} />
          <TextField label="Domain" hint="e.g. public health, law" value={domain} onChange={(e) => setDomain(e.target.value)} error={fieldError(problem, "domain")} />
          <TextField label="Kind of documents" hint="e.g. trial reports" value={documentType} onChange={(e) => setDocumentType(e.target.value)} error={fieldError(problem, "documentType")} />
        </div>
        <TextArea
          label="Context for the model"
          hint="What the collection is and what the dataset is for; it goes into every prompt."
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={fieldError(problem, "description")}
          rows={3}
        />
        <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
          <legend className="px-1 text-sm font-semibold">Unit of observation — what is one row of the dataset?</legend>
          <div className="flex flex-wrap gap-6">
            {(["DOCUMENT", "ENTITY"] as const).map((value) => (
              <label key={value} className="flex items-center gap-2 text-sm">
                <input type="radio" name="unit-mode" value={value} checked={mode === value} onChange={() => setMode(value)} />
                {value === "DOCUMENT" ? "One row per document" : "One row per entity found in a document"}
              </label>
            ))}
          </div>
          <TextField
            label="Each row represents"
            placeholder={mode === "DOCUMENT" ? "one trial report" : "one patient described in a report"}
            value={rowMeaning}
            onChange={(e) => setRowMeaning(e.target.value)}
          />
          {mode === "ENTITY" && (
            <div className="grid gap-4 md:grid-cols-2">
              <TextField
                label="How to recognise one entity"
                hint="e.g. each paragraph starting with 'Patient'"
                value={entityPattern}
                onChange={(e) => setEntityPattern(e.target.value)}
                error={unitError}
                required
              />
              <TextField
                label="Rows per document (optional)"
                hint="e.g. 1–20"
                value={rowsPerDocument}
                onChange={(e) => setRowsPerDocument(e.target.value)}
              />
            </div>
          )}
          {mode === "DOCUMENT" && unitError && <p className="text-sm text-red-700">{unitError}</p>}
        </fieldset>
      </fieldset>
      <ProblemAlert problem={problem} placedFields={PLACED} action="Saving the project" />
      {update.isSuccess && !update.isPending && <Notice tone="success">Saved. Prompts now use this context.</Notice>}
      {readOnly ? (
        <p className="text-sm text-slate-600">Read only: editors and owners change the project context.</p>
      ) : (
        <Button type="submit" variant="primary" busy={update.isPending} busyLabel="Saving…">
          Save project context
        </Button>
      )}
    </form>
  );
}
