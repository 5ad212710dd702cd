import { describe, expect, it } from "vitest";
import { describeAccess, hasRole, isProjectRole, NO_PERMISSIONS, permissionsFor, ROLES } from "./permissions";

describe("hasRole", () => {
  it("ranks VIEWER < CODER < EDITOR < OWNER", () => {
    expect(ROLES).toEqual(["VIEWER", "CODER", "EDITOR", "OWNER"]);
    expect(hasRole("OWNER", "EDITOR")).toBe(true);
    expect(hasRole("EDITOR", "EDITOR")).toBe(true);
    expect(hasRole("CODER", "EDITOR")).toBe(false);
    expect(hasRole("CODER", "CODER")).toBe(true);
    expect(hasRole("VIEWER", "CODER")).toBe(false);
  });

  it("lets admins through and refuses non-members", () => {
    expect(hasRole(null, "OWNER", true)).toBe(true);
    expect(hasRole("VIEWER", "OWNER", true)).toBe(true);
    expect(hasRole(null, "VIEWER")).toBe(false);
    expect(hasRole(undefined, "VIEWER")).toBe(false);
  });
});

describe("permissionsFor", () => {
  it("gives each role what the API's policy gives it", () => {
    const table = Object.fromEntries(
      ROLES.map((role) => {
        const p = permissionsFor(role, false);
        return [role, [p.canReview, p.canEdit, p.canManageMembers, p.canDeleteProject]];
      }),
    );
    expect(table).toEqual({
      VIEWER: [false, false, false, false],
      CODER: [true, false, false, false],
      EDITOR: [true, true, false, false],
      OWNER: [true, true, true, true],
    });
  });

  it("gives an admin everything, member or not", () => {
    const admin = permissionsFor(null, true);
    expect(admin).toMatchObject({ role: null, canEdit: true, canReview: true, canManageMembers: true });
    expect(permissionsFor("VIEWER", true).canManageMembers).toBe(true);
  });

  it("allows nothing until the caller is known", () => {
    expect(NO_PERMISSIONS).toMatchObject({ canEdit: false, canReview: false, canManageMembers: false });
  });
});

describe("describeAccess", () => {
  it("names the role, or says an admin is not a member", () => {
    expect(describeAccess(permissionsFor("CODER", false))).toBe("Coder");
    expect(describeAccess(permissionsFor("OWNER", true))).toBe("Owner");
    expect(describeAccess(permissionsFor(null, true))).toBe("Admin (not a member)");
  });
});

describe("isProjectRole", () => {
  it("accepts the four roles only", () => {
    expect(isProjectRole("EDITOR")).toBe(true);
    expect(isProjectRole("ADMIN")).toBe(false);
    expect(isProjectRole("toString")).toBe(false);
    expect(isProjectRole(null)).toBe(false);
  });
});
