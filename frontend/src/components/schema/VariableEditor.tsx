"use client";

import { useState, type FormEvent } from "react";
import type { Schemas } from "@/api/client";
import { useCreateVariable, useDeleteVariable, useUpdateVariable } from "@/api/hooks/variables";
import { Button } from "@/components/ui/Button";
import { Notice, ProblemAlert } from "@/components/ui/Feedback";
import { Checkbox, SelectField, TextArea, TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";
import { emptyForm, formFromVariable, toPayload, type VariableForm, type VariableType } from "@/lib/variableForm";

const TYPES: { value: VariableType; label: string }[] = [
  { value: "TEXT", label: "Text" },
  { value: "NUMBER", label: "Number" },
  { value: "DATE", label: "Date" },
  { value: "CATEGORY", label: "Category (one of a list)" },
  { value: "BOOLEAN", label: "Yes / no" },
];

const PLACED = [
  "name",
  "displayName",
  "description",
  "type",
  "instructions",
  "classificationRules",
  "uncertaintyHandling",
  "edgeCases",
  "validationRules",
];

/** Create a variable (no `variable`) or edit one; the API regenerates its prompt on save.
 * `readOnly` shows a variable to a role that may not change the schema. */
export function VariableEditor({
  projectId,
  variable,
  onSaved,
  onDeleted,
  readOnly = false,
}: {
  projectId: string;
  variable?: Schemas["VariableRead"];
  onSaved: (variable: Schemas["VariableDetail"]) => void;
  onDeleted?: () => void;
  readOnly?: boolean;
}) {
  const [form, setForm] = useState<VariableForm>(() => (variable ? formFromVariable(variable) : emptyForm()));
  const create = useCreateVariable(projectId);
  const update = useUpdateVariable(projectId);
  const remove = useDeleteVariable(projectId);
  const save = variable ? update : create;
  const problem = problemOf(save.error);
  const set = <K extends keyof VariableForm>(key: K, value: VariableForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const err = (field: string) => fieldError(problem, field);

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = toPayload(form);
    if (variable) update.mutate({ variableId: variable.id, body }, { onSuccess: onSaved });
    else create.mutate(body, { onSuccess: onSaved });
  }

  return (
    <form onSubmit={submit} className="space-y-5" noValidate aria-label={readOnly && variable ? `Variable ${variable.name}` : variable ? `Edit ${variable.name}` : "New variable"}>
      <fieldset disabled={readOnly} className="space-y-5">
        <legend className="sr-only">{readOnly ? "The variable (read only: editors change it)" : "The variable"}</legend>
        <div className="grid gap-4 md:grid-cols-3">
          <TextField
            label="Name (column in the dataset)"
            hint="Letters, digits and _; starts with a letter"
            value={form.name}
            onChange={(e) => set("name", e.target.value)}
            error={err("name")}
            required
          />
          <TextField label="Display name (optional)" value={form.displayName} onChange={(e) => set("displayName", e.target.value)} error={err("displayName")} />
          <SelectField label="Type" value={form.type} onChange={(e) => set("type", e.target.value as VariableType)} options={TYPES} error={err("type")} />
        </div>
        <TextArea
          label="Instructions for the model"
          hint="What to look for and how to read it (10–5000 characters)."
          value={form.instructions}
          onChange={(e) => set("instructions", e.target.value)}
          error={err("instructions")}
          rows={4}
          required
        />
        <TextField label="Description for the codebook (optional)" value={form.description} onChange={(e) => set("description", e.target.value)} error={err("description")} />

        {form.type === "CATEGORY" && (
          <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
            <legend className="px-1 text-sm font-semibold">Categories</legend>
            {err("classificationRules") && <p className="text-sm text-red-700">{err("classificationRules")}</p>}
            {form.categories.map((category, i) => (
              <div key={i} className="grid items-end gap-3 md:grid-cols-[1fr_2fr_auto]">
                <TextField
                  label={`Category ${i + 1} value`}
                  value={category.value}
                  onChange={(e) => set("categories", form.categories.map((c, j) => (j === i ? { ...c, value: e.target.value } : c)))}
                  error={err(`classificationRules.categories.${i}.value`)}
                />
                <TextField
                  label={`Category ${i + 1} definition`}
                  value={category.definition}
                  onChange={(e) => set("categories", form.categories.map((c, j) => (j === i ? { ...c, definition: e.target.value } : c)))}
                  error={err(`classificationRules.categories.${i}.definition`)}
                />
                {!readOnly && (
                  <Button variant="ghost" aria-label={`Remove category ${i + 1}`} onClick={() => set("categories", form.categories.filter((_, j) => j !== i))}>
                    Remove
                  </Button>
                )}
              </div>
            ))}
            <div className="flex flex-wrap items-center gap-4">
              {!readOnly && (
                <Button size="sm" onClick={() => set("categories", [...form.categories, { value: "", definition: "" }])}>
                  Add category
                </Button>
              )}
              <Checkbox label="Allow values outside the list" checked={form.allowOther} onChange={(e) => set("allowOther", e.target.checked)} />
              <Checkbox
                label="The categories are ordered, from lowest to highest"
                hint="Reliability then uses ordinal alpha, where near misses count less."
                checked={form.ordered}
                onChange={(e) => set("ordered", e.target.checked)}
              />
            </div>
          </fieldset>
        )}

        {form.type === "NUMBER" && (
          <div className="grid gap-4 md:grid-cols-2">
            <TextField label="Minimum (optional)" inputMode="decimal" value={form.min} onChange={(e) => set("min", e.target.value)} error={err("validationRules.min")} />
            <TextField label="Maximum (optional)" inputMode="decimal" value={form.max} onChange={(e) => set("max", e.target.value)} error={err("validationRules.max") ?? err("validationRules")} />
          </div>
        )}
        {form.type === "TEXT" && (
          <div className="grid gap-4 md:grid-cols-2">
            <TextField label="Pattern the value must match (optional regex)" value={form.pattern} onChange={(e) => set("pattern", e.target.value)} error={err("validationRules.pattern") ?? err("validationRules")} />
            <TextField label="Maximum length (optional)" inputMode="numeric" value={form.maxLength} onChange={(e) => set("maxLength", e.target.value)} error={err("validationRules.maxLength")} />
          </div>
        )}
        {form.type === "DATE" && (
          <div className="grid gap-4 md:grid-cols-2">
            <TextField label="Earliest date (optional)" type="date" value={form.minDate} onChange={(e) => set("minDate", e.target.value)} error={err("validationRules.minDate") ?? err("validationRules")} />
            <TextField label="Latest date (optional)" type="date" value={form.maxDate} onChange={(e) => set("maxDate", e.target.value)} error={err("validationRules.maxDate")} />
          </div>
        )}

        <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
          <legend className="px-1 text-sm font-semibold">Uncertainty and several values</legend>
          <div className="grid gap-4 md:grid-cols-4">
            <TextField
              label="Confidence threshold (0–1)"
              inputMode="decimal"
              value={form.confidenceThreshold}
              onChange={(e) => set("confidenceThreshold", e.target.value)}
              error={err("uncertaintyHandling.confidenceThreshold")}
            />
            <SelectField
              label="Below the threshold"
              value={form.ifUncertain}
              onChange={(e) => set("ifUncertain", e.target.value as VariableForm["ifUncertain"])}
              options={[
                { value: "FLAG_FOR_REVIEW", label: "Keep and flag for review" },
                { value: "LEAVE_EMPTY", label: "Leave empty" },
                { value: "BEST_GUESS", label: "Keep the best guess" },
              ]}
            />
            <SelectField
              label="Several values found"
              value={form.ifMultipleValues}
              onChange={(e) => set("ifMultipleValues", e.target.value as VariableForm["ifMultipleValues"])}
              options={[
                { value: "FIRST", label: "Take the first" },
                { value: "ALL", label: "Keep all" },
                { value: "MOST_FREQUENT", label: "Take the most frequent" },
                { value: "FLAG_FOR_REVIEW", label: "Flag for review" },
              ]}
            />
            <TextField
              label="At most this many values"
              inputMode="numeric"
              value={form.maxValues}
              onChange={(e) => set("maxValues", e.target.value)}
              error={err("uncertaintyHandling.maxValues")}
              disabled={form.ifMultipleValues !== "ALL"}
            />
          </div>
          {err("uncertaintyHandling") && !err("uncertaintyHandling.confidenceThreshold") && (
            <p className="text-sm text-red-700">{err("uncertaintyHandling")}</p>
          )}
        </fieldset>

        <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
          <legend className="px-1 text-sm font-semibold">Edge cases</legend>
          {form.edgeCases.length === 0 && <p className="text-sm text-slate-600">None yet: add the tricky situations and what to do in each.</p>}
          {form.edgeCases.map((edge, i) => (
            <div key={i} className="grid items-end gap-3 md:grid-cols-[1fr_1fr_auto]">
              <TextField
                label={`Edge case ${i + 1}: situation`}
                value={edge.situation}
                onChange={(e) => set("edgeCases", form.edgeCases.map((c, j) => (j === i ? { ...c, situation: e.target.value } : c)))}
                error={err(`edgeCases.${i}.situation`)}
              />
              <TextField
                label={`Edge case ${i + 1}: what to do`}
                value={edge.action}
                onChange={(e) => set("edgeCases", form.edgeCases.map((c, j) => (j === i ? { ...c, action: e.target.value } : c)))}
                error={err(`edgeCases.${i}.action`)}
              />
              {!readOnly && (
                <Button variant="ghost" aria-label={`Remove edge case ${i + 1}`} onClick={() => set("edgeCases", form.edgeCases.filter((_, j) => j !== i))}>
                  Remove
                </Button>
              )}
            </div>
          ))}
          {!readOnly && (
            <Button size="sm" onClick={() => set("edgeCases", [...form.edgeCases, { situation: "", action: "" }])}>
              Add edge case
            </Button>
          )}
        </fieldset>
      </fieldset>

      <ProblemAlert problem={problem} placedFields={PLACED} action="Saving the variable" />
      <ProblemAlert error={remove.error} action="Deleting the variable" />
      {save.isSuccess && <Notice tone="success">Saved; the prompt below is regenerated.</Notice>}
      {!readOnly && (
        <div className="flex flex-wrap gap-2">
          <Button type="submit" variant="primary" busy={save.isPending} busyLabel="Saving…">
            {variable ? "Save variable" : "Add variable"}
          </Button>
          {variable && (
            <Button
              variant="danger"
              busy={remove.isPending}
              onClick={() => {
                if (window.confirm(`Delete the variable “${variable.name}”?`)) remove.mutate(variable.id, { onSuccess: onDeleted });
              }}
            >
              Delete variable
            </Button>
          )}
        </div>
      )}
    </form>
  );
}
