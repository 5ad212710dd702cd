import { describe, expect, it } from "vitest";
import { actionOptions, actionPhrase, actorName, describeActivity } from "./activity";

describe("actionPhrase", () => {
  it("says known actions in words and shows unknown ones as they are", () => {
    expect(actionPhrase("jobs-create")).toBe("started a job");
    expect(actionPhrase("variables-update")).toBe("edited a variable");
    expect(actionPhrase("extractions-feedback-create")).toBe("gave a verdict");
    expect(actionPhrase("members-add")).toBe("added a member");
    expect(actionPhrase("exports-create")).toBe("exported the dataset");
    expect(actionPhrase("documents-upload")).toBe("uploaded documents");
    expect(actionPhrase("projects-create")).toBe("created the project");
    expect(actionPhrase("auth-login")).toBe("signed in");
    expect(actionPhrase("widgets-frobnicate")).toBe("widgets-frobnicate");
    expect(actionPhrase("constructor")).toBe("constructor");
  });
});

describe("describeActivity", () => {
  it("completes the phrase from the details", () => {
    expect(describeActivity({ action: "jobs-create", details: { jobType: "SAMPLE", items: 5 } })).toBe("started a sample of 5 documents");
    expect(describeActivity({ action: "jobs-create", details: { jobType: "FULL", items: 1 } })).toBe("started the full run of 1 document");
    expect(describeActivity({ action: "extractions-feedback-create", details: { verdict: "PARTIALLY_CORRECT", variable: "participants" } })).toBe(
      "marked a participants value partly correct",
    );
    expect(describeActivity({ action: "members-add", details: { email: "bo@lab.org", role: "CODER" } })).toBe("added bo@lab.org as coder");
    expect(describeActivity({ action: "members-update", details: { email: "bo@lab.org", role: "EDITOR" } })).toBe("made bo@lab.org editor");
    expect(describeActivity({ action: "projects-create", details: { name: "Trials" } })).toBe("created the project “Trials”");
    expect(describeActivity({ action: "auth-tokens-create", details: { name: "laptop", prefix: "cdt_ab" } })).toBe("created the API token “laptop”");
    expect(describeActivity({ action: "users-create", details: { email: "a@b.c", isAdmin: true } })).toBe("created the admin account a@b.c");
  });

  it("falls back to the plain phrase when the details are missing or odd", () => {
    expect(describeActivity({ action: "jobs-create", details: {} })).toBe("started a job");
    expect(describeActivity({ action: "members-add", details: { email: 3 } })).toBe("added a member");
    expect(describeActivity({ action: "members-remove", details: null })).toBe("removed a member");
    expect(describeActivity({ action: "something-new", details: { a: 1 } })).toBe("something-new");
  });
});

describe("actionOptions", () => {
  it("lists every known action once, capitalised and sorted", () => {
    const options = actionOptions();
    expect(new Set(options.map((o) => o.value)).size).toBe(options.length);
    expect(options.find((o) => o.value === "jobs-create")?.label).toBe("Started a job");
    const labels = options.map((o) => o.label);
    expect([...labels].sort((a, b) => a.localeCompare(b))).toEqual(labels);
  });
});

describe("actorName", () => {
  it("prefers a known name, then the email, then says who else it was", () => {
    const names = new Map([["u1", "Ada Admin"]]);
    expect(actorName({ action: "jobs-create", userId: "u1", userEmail: "ada@lab.org" }, names)).toBe("Ada Admin");
    expect(actorName({ action: "jobs-create", userId: "u2", userEmail: "gone@lab.org" }, names)).toBe("gone@lab.org");
    expect(actorName({ action: "auth-login-failed", userId: null, userEmail: null, details: { email: "x@y.z" } })).toBe("someone");
    expect(actorName({ action: "users-create", userId: null, userEmail: null, details: { via: "cli" } })).toBe("the command line");
  });
});
