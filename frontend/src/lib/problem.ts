/** RFC 7807 problem details from the API, turned into plain words for people. */

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  status: number;
  title: string;
  detail: string;
  errors: FieldError[];
  /** Set by a table upload whose text column is missing or unknown. */
  availableColumns?: string[];
  /** Seconds to wait before trying again (a 429's Retry-After). */
  retryAfter?: number;
}

/** Thrown by the API helpers so TanStack Query sees a failure with a readable problem. */
export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail);
    this.name = "ApiError";
    this.problem = problem;
  }
}

const STATUS_WORDS: Record<number, string> = {
  400: "The request was not understood.",
  404: "It no longer exists — it may have been deleted.",
  401: "Sign in to continue.",
  403: "Your role in this project does not allow this.",
  409: "That conflicts with the current state.",
  413: "The file is too large.",
  415: "That kind of file or content is not supported.",
  422: "Some values are not valid.",
  429: "Too many attempts: wait a moment and try again.",
  500: "The server failed unexpectedly. Try again; if it keeps happening, check the API logs.",
  502: "The CoderAI API is not reachable. Is it running?",
  503: "The service is unavailable right now. Try again in a moment.",
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const PLAIN: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^(String should have at least 1 character|Field required)$/, () => "This is required."],
  [/^String should have at least (\d+) characters$/, (m) => `Write at least ${m[1]} characters.`],
  // A password (a secret string) is measured in "items" by pydantic.
  [/^Value should have at least (\d+) items? after validation, not \d+$/, (m) => `Write at least ${m[1]} characters.`],
  [/^String should have at most (\d+) characters$/, (m) => `Keep it to ${m[1]} characters or fewer.`],
  [/^Input should be a valid (number|integer).*$/, () => "Enter a number."],
  [/^Input should be (greater|less) than or equal to (\S+)$/, (m) => `Enter a number ${m[1] === "greater" ? "of at least" : "of at most"} ${m[2]}.`],
  [/^Input should be '(.+)'$/, (m) => `Choose ${(m[1] ?? "").replace(/', '|' or '/g, ", ")}.`],
  [/^String should match pattern '\^\[\^@\\s\]\+@\[\^@\\s\]\+\$'$/, () => "Enter an email address, like name@example.org."],
  [/^String should match pattern /, () => "This does not have the expected form."],
];

/** Pydantic's wording, said plainly where we know a better phrase. */
export function plainMessage(message: string): string {
  for (const [pattern, say] of PLAIN) {
    const match = message.match(pattern);
    if (match) return say(match);
  }
  return message;
}

function asFieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): FieldError[] => {
    if (!isRecord(item)) return [];
    if (typeof item.field === "string" && typeof item.message === "string") {
      return [{ field: item.field, message: plainMessage(item.message) }];
    }
    // FastAPI's own shape ({loc, msg}) in case a route answers without the problem handler.
    if (Array.isArray(item.loc) && typeof item.msg === "string") {
      const parts = item.loc.map(String);
      if (["body", "query", "path"].includes(parts[0] ?? "")) parts.shift();
      return [{ field: parts.join(".") || "body", message: plainMessage(item.msg) }];
    }
    return [];
  });
}

/** Build a Problem from whatever an error response carried (problem+json, text, nothing). */
export function toProblem(body: unknown, status: number): Problem {
  const fallback = STATUS_WORDS[status] ?? `The request failed (HTTP ${status}).`;
  if (!isRecord(body)) {
    const text = typeof body === "string" ? body.trim() : "";
    return { status, title: "Error", detail: text && text.length < 300 ? text : fallback, errors: [] };
  }
  const errors = asFieldErrors(body.errors ?? (Array.isArray(body.detail) ? body.detail : undefined));
  const detail = typeof body.detail === "string" && body.detail ? body.detail : fallback;
  const problem: Problem = {
    status: typeof body.status === "number" ? body.status : status,
    title: typeof body.title === "string" ? body.title : "Error",
    detail,
    errors,
  };
  if (Array.isArray(body.availableColumns)) {
    problem.availableColumns = body.availableColumns.map(String);
  }
  return problem;
}

/** A network failure (the API or the proxy could not be reached at all). */
export function networkProblem(error: unknown): Problem {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    status: 0,
    title: "Network error",
    detail: `Cannot reach the CoderAI API (${reason}). Check that it is running.`,
    errors: [],
  };
}

export function problemOf(error: unknown): Problem | null {
  if (!error) return null;
  if (error instanceof ApiError) return error.problem;
  if (error instanceof Error) return { status: 0, title: "Error", detail: error.message, errors: [] };
  return { status: 0, title: "Error", detail: String(error), errors: [] };
}

/** The message for one input: errors on `field` itself or anything inside it. */
export function fieldError(problem: Problem | null | undefined, field: string): string | undefined {
  if (!problem) return undefined;
  const messages = problem.errors
    .filter((e) => e.field === field || e.field.startsWith(`${field}.`))
    .map((e) => e.message);
  return messages.length ? messages.join("; ") : undefined;
}

/** "classificationRules.categories.0.value" → "Classification rules › categories › 1 › value" */
export function humaniseField(field: string): string {
  const parts = field.split(".").map((part) => {
    if (/^\d+$/.test(part)) return String(Number(part) + 1);
    return part.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  });
  const text = parts.join(" › ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Errors that no input on the form shows (so the form's summary must). */
export function unplacedErrors(problem: Problem | null | undefined, placed: string[]): FieldError[] {
  if (!problem) return [];
  return problem.errors.filter(
    (e) => !placed.some((field) => e.field === field || e.field.startsWith(`${field}.`)),
  );
}
