/** The variable editor's form state and its conversion to and from the API's shapes. */
import type { Schemas } from "@/api/client";

export type VariableType = Schemas["VariableType"];
type UncertainAction = Schemas["UncertainAction"];
type MultiValueAction = Schemas["MultiValueAction"];

export interface CategoryRow {
  value: string;
  definition: string;
}

export interface EdgeCaseRow {
  situation: string;
  action: string;
}

/** Every input is a string as typed; conversion happens once, in `toPayload`. */
export interface VariableForm {
  name: string;
  displayName: string;
  description: string;
  type: VariableType;
  instructions: string;
  categories: CategoryRow[];
  allowOther: boolean;
  /** The categories are listed from lowest to highest (ordinal reliability). */
  ordered: boolean;
  confidenceThreshold: string;
  ifUncertain: UncertainAction;
  ifMultipleValues: MultiValueAction;
  maxValues: string;
  edgeCases: EdgeCaseRow[];
  min: string;
  max: string;
  pattern: string;
  maxLength: string;
  minDate: string;
  maxDate: string;
}

export function emptyForm(type: VariableType = "TEXT"): VariableForm {
  return {
    name: "",
    displayName: "",
    description: "",
    type,
    instructions: "",
    categories: [{ value: "", definition: "" }],
    allowOther: false,
    ordered: false,
    confidenceThreshold: "0.7",
    ifUncertain: "FLAG_FOR_REVIEW",
    ifMultipleValues: "FIRST",
    maxValues: "",
    edgeCases: [],
    min: "",
    max: "",
    pattern: "",
    maxLength: "",
    minDate: "",
    maxDate: "",
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string {
  return value == null ? "" : String(value);
}

/** The API answers the structured parts as free-form objects: read the known keys. */
export function formFromVariable(variable: Schemas["VariableRead"]): VariableForm {
  const rules = record(variable.classificationRules);
  const uncertainty = record(variable.uncertaintyHandling);
  const validation = record(variable.validationRules);
  const categories = Array.isArray(rules.categories)
    ? rules.categories.map((c) => ({ value: str(record(c).value), definition: str(record(c).definition) }))
    : [];
  const base = emptyForm(variable.type);
  return {
    ...base,
    name: variable.name,
    displayName: variable.displayName ?? "",
    description: variable.description ?? "",
    instructions: variable.instructions,
    categories: categories.length ? categories : base.categories,
    allowOther: rules.allowOther === true,
    ordered: rules.ordered === true,
    confidenceThreshold: str(uncertainty.confidenceThreshold ?? base.confidenceThreshold),
    ifUncertain: (uncertainty.ifUncertain as UncertainAction | undefined) ?? base.ifUncertain,
    ifMultipleValues: (uncertainty.ifMultipleValues as MultiValueAction | undefined) ?? base.ifMultipleValues,
    maxValues: str(uncertainty.maxValues),
    edgeCases: variable.edgeCases.map((e) => ({ situation: str(e.situation), action: str(e.action) })),
    min: str(validation.min),
    max: str(validation.max),
    pattern: str(validation.pattern),
    maxLength: str(validation.maxLength),
    minDate: str(validation.minDate),
    maxDate: str(validation.maxDate),
  };
}

function numberOrNull(text: string): number | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const value = Number(trimmed);
  // Leave a non-number as text so the API's validation names the field.
  return Number.isFinite(value) ? value : (trimmed as unknown as number);
}

function textOrNull(text: string): string | null {
  return text.trim() || null;
}

/** The create/update body: only the parts that apply to the variable's type. */
export function toPayload(form: VariableForm): Schemas["VariableCreate"] {
  const validation: Schemas["ValidationRules"] = {};
  if (form.type === "NUMBER") {
    validation.min = numberOrNull(form.min);
    validation.max = numberOrNull(form.max);
  }
  if (form.type === "TEXT") {
    validation.pattern = textOrNull(form.pattern);
    validation.maxLength = numberOrNull(form.maxLength);
  }
  if (form.type === "DATE") {
    validation.minDate = textOrNull(form.minDate);
    validation.maxDate = textOrNull(form.maxDate);
  }
  const hasValidation = Object.values(validation).some((v) => v != null);
  return {
    name: form.name.trim(),
    displayName: textOrNull(form.displayName),
    description: textOrNull(form.description),
    type: form.type,
    instructions: form.instructions.trim(),
    classificationRules:
      form.type === "CATEGORY"
        ? {
            categories: form.categories
              .filter((c) => c.value.trim() || c.definition.trim())
              .map((c) => ({ value: c.value.trim(), definition: textOrNull(c.definition) })),
            allowOther: form.allowOther,
            ordered: form.ordered,
          }
        : null,
    uncertaintyHandling: {
      confidenceThreshold: numberOrNull(form.confidenceThreshold) ?? 0.7,
      ifUncertain: form.ifUncertain,
      ifMultipleValues: form.ifMultipleValues,
      maxValues: numberOrNull(form.maxValues),
    },
    edgeCases: form.edgeCases
      .filter((e) => e.situation.trim() || e.action.trim())
      .map((e) => ({ situation: e.situation.trim(), action: e.action.trim() })),
    validationRules: hasValidation ? validation : null,
  };
}
