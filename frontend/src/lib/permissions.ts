/** What a project role lets its holder do, mirroring the API's policy table
 * (backend/coderai/auth/policy.py). The screens use it to hide what the caller cannot do;
 * the API still decides, and its 403 is shown when the two ever disagree. */

export type ProjectRole = "OWNER" | "EDITOR" | "CODER" | "VIEWER";

/** From least to most power; each role may do everything the ones before it may. */
export const ROLES: readonly ProjectRole[] = ["VIEWER", "CODER", "EDITOR", "OWNER"];

const RANK: Record<ProjectRole, number> = { VIEWER: 0, CODER: 1, EDITOR: 2, OWNER: 3 };

export const ROLE_LABELS: Record<ProjectRole, string> = {
  OWNER: "Owner",
  EDITOR: "Editor",
  CODER: "Coder",
  VIEWER: "Viewer",
};

export const ROLE_DESCRIPTIONS: Record<ProjectRole, string> = {
  OWNER: "Everything an editor can, plus managing members and deleting the project.",
  EDITOR: "Edits the context, schema, documents and prompts; runs jobs and exports.",
  CODER: "Reads documents and results; gives verdicts and corrections.",
  VIEWER: "Reads everything; changes nothing.",
};

export function isProjectRole(value: unknown): value is ProjectRole {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/** True when `role` is at least `needed`; instance admins pass every check. */
export function hasRole(role: ProjectRole | null | undefined, needed: ProjectRole, isAdmin = false): boolean {
  if (isAdmin) return true;
  if (!role) return false;
  return RANK[role] >= RANK[needed];
}

export interface Permissions {
  /** The caller's role in the project (null: not a member, e.g. an admin). */
  role: ProjectRole | null;
  isAdmin: boolean;
  /** Context, schema, documents, prompts, jobs and exports. */
  canEdit: boolean;
  /** Verdicts and corrections on extracted values. */
  canReview: boolean;
  /** Invite, change roles, remove members. */
  canManageMembers: boolean;
  canDeleteProject: boolean;
}

export function permissionsFor(role: ProjectRole | null | undefined, isAdmin: boolean): Permissions {
  return {
    role: role ?? null,
    isAdmin,
    canEdit: hasRole(role, "EDITOR", isAdmin),
    canReview: hasRole(role, "CODER", isAdmin),
    canManageMembers: hasRole(role, "OWNER", isAdmin),
    canDeleteProject: hasRole(role, "OWNER", isAdmin),
  };
}

/** Nothing allowed: what the screens assume until the caller and the project are known. */
export const NO_PERMISSIONS: Permissions = permissionsFor(null, false);

/** "Coder", or "Admin (not a member)" for an admin looking at someone else's project. */
export function describeAccess(permissions: Permissions): string {
  if (permissions.role) return ROLE_LABELS[permissions.role];
  return permissions.isAdmin ? "Admin (not a member)" : "No access";
}
