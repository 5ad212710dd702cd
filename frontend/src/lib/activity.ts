/** The audit trail in words: an action (the API's operation id, e.g. `jobs-create`) becomes a
 * phrase ("started a job"), completed from the event's details when they say more ("started a
 * sample of 5 documents"). Unknown actions show their id, so nothing is ever hidden. */
import { humanise } from "./format";
import { isProjectRole, ROLE_LABELS } from "./permissions";

export const ACTION_PHRASES: Record<string, string> = {
  "auth-setup": "created the first account",
  "auth-login": "signed in",
  "auth-login-failed": "failed to sign in",
  "auth-logout": "signed out",
  "auth-tokens-create": "created an API token",
  "auth-tokens-revoke": "revoked an API token",
  "users-create": "created an account",
  "projects-create": "created the project",
  "projects-update": "edited the project context",
  "projects-delete": "deleted the project",
  "projects-schema-import": "imported a schema",
  "members-add": "added a member",
  "members-update": "changed a member's role",
  "members-remove": "removed a member",
  "variables-create": "added a variable",
  "variables-update": "edited a variable",
  "variables-delete": "deleted a variable",
  "variables-reorder": "re-ordered the variables",
  "variables-prompts-create": "wrote a prompt version",
  "variables-refine": "proposed a new prompt version",
  "prompts-activate": "activated a prompt version",
  "prompts-evaluate": "scored a prompt version",
  "documents-upload": "uploaded documents",
  "documents-delete": "deleted a document",
  "jobs-create": "started a job",
  "jobs-cancel": "cancelled a job",
  "jobs-pause": "paused a job",
  "jobs-resume": "resumed a job",
  "extractions-preview": "tried the prompts on a document",
  "extractions-feedback-create": "gave a verdict",
  "exports-create": "exported the dataset",
  "studies-create": "opened a reliability study",
  "studies-codings-save": "coded a unit of a reliability study",
  "studies-gold-set": "set gold values",
  "studies-unblind": "unblinded a reliability study",
  "studies-close": "closed a reliability study",
};

const JOB_KINDS: Record<string, string> = {
  SAMPLE: "a sample",
  FULL: "the full run",
  EVALUATION: "a scoring run",
};

const VERDICT_WORDS: Record<string, string> = {
  CORRECT: "correct",
  INCORRECT: "incorrect",
  PARTIALLY_CORRECT: "partly correct",
};

export interface ActivityLike {
  action: string;
  details?: Record<string, unknown> | null;
  userId?: string | null;
  userEmail?: string | null;
}

/** Who did it: a known name, else the email kept with the event; an event with no account
 * is a failed sign-in ("someone") or the command line (`coderai users create`). */
export function actorName(event: ActivityLike, names?: Map<string, string>): string {
  const known = event.userId ? names?.get(event.userId) : undefined;
  if (known) return known;
  if (event.userEmail) return event.userEmail;
  return event.details?.via === "cli" ? "the command line" : "someone";
}

function text(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim()) return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function roleWord(value: unknown): string | undefined {
  if (isProjectRole(value)) return ROLE_LABELS[value].toLowerCase();
  return text(value);
}

/** The phrase for an action id alone ("jobs-create" → "started a job"; unknown → the id). */
export function actionPhrase(action: string): string {
  return Object.hasOwn(ACTION_PHRASES, action) ? ACTION_PHRASES[action]! : action;
}

/** What happened, as the end of a sentence whose subject is who did it. */
export function describeActivity(event: ActivityLike): string {
  const d = event.details ?? {};
  switch (event.action) {
    case "jobs-create": {
      const kind = text(d.jobType);
      if (!kind) break;
      const items = typeof d.items === "number" ? d.items : undefined;
      const what = JOB_KINDS[kind] ?? `a ${humanise(kind).toLowerCase()} job`;
      return `started ${what}${items !== undefined ? ` of ${items} document${items === 1 ? "" : "s"}` : ""}`;
    }
    case "extractions-feedback-create": {
      const verdict = text(d.verdict);
      if (!verdict) break;
      const variable = text(d.variable);
      return `marked ${variable ? `a ${variable} value` : "a value"} ${VERDICT_WORDS[verdict] ?? humanise(verdict).toLowerCase()}`;
    }
    case "members-add":
    case "members-update": {
      const who = text(d.email);
      const role = roleWord(d.role);
      if (!who || !role) break;
      return event.action === "members-add" ? `added ${who} as ${role}` : `made ${who} ${role}`;
    }
    case "projects-create": {
      const name = text(d.name);
      if (name) return `created the project “${name}”`;
      break;
    }
    case "auth-tokens-create":
    case "auth-tokens-revoke": {
      const name = text(d.name);
      if (name) return `${event.action === "auth-tokens-create" ? "created" : "revoked"} the API token “${name}”`;
      break;
    }
    case "users-create": {
      const email = text(d.email);
      if (email) return `created the ${d.isAdmin === true ? "admin " : ""}account ${email}`;
      break;
    }
    case "auth-login-failed": {
      const email = text(d.email);
      if (email) return `failed to sign in as ${email}`;
      break;
    }
  }
  return actionPhrase(event.action);
}

/** The actions a feed can be filtered by, in words, sorted by their phrase. */
export function actionOptions(): { value: string; label: string }[] {
  return Object.entries(ACTION_PHRASES)
    .map(([value, label]) => ({ value, label: label.charAt(0).toUpperCase() + label.slice(1) }))
    .sort((a, b) => a.label.localeCompare(b.label));
}
