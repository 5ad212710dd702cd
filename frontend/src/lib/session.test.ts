import { describe, expect, it } from "vitest";
import { ApiError } from "./problem";
import { generatePassword, isPublicPath, isSessionEnded, loginHref, passwordProblem, retryAfterWords, safeNext } from "./session";

describe("safeNext", () => {
  it("keeps paths on this site", () => {
    expect(safeNext("/projects/1/sample")).toBe("/projects/1/sample");
    expect(safeNext("/projects/1/results?job=2#export")).toBe("/projects/1/results?job=2#export");
  });

  it("refuses other sites, odd strings and the sign-in pages", () => {
    for (const bad of [null, undefined, "", "projects", "//evil.example/x", "/\\evil.example", "https://evil.example", "/x\u0000y", "/login", "/login?next=/a", "/setup/"]) {
      expect(safeNext(bad)).toBe("/");
    }
  });
});

describe("loginHref", () => {
  it("asks the sign-in page to come back", () => {
    expect(loginHref("/projects/1/sample?x=1")).toBe("/login?next=%2Fprojects%2F1%2Fsample%3Fx%3D1");
    expect(loginHref("/")).toBe("/login");
    expect(loginHref("/login")).toBe("/login");
    expect(loginHref(undefined)).toBe("/login");
  });
});

describe("isPublicPath", () => {
  it("opens only sign-in and setup", () => {
    expect(isPublicPath("/login")).toBe(true);
    expect(isPublicPath("/setup/")).toBe(true);
    expect(isPublicPath("/")).toBe(false);
    expect(isPublicPath("/account/tokens")).toBe(false);
    expect(isPublicPath("/login-help")).toBe(false);
  });
});

describe("isSessionEnded", () => {
  it("is a 401 from the API", () => {
    const problem = (status: number) => new ApiError({ status, title: "", detail: "", errors: [] });
    expect(isSessionEnded(problem(401))).toBe(true);
    expect(isSessionEnded(problem(403))).toBe(false);
    expect(isSessionEnded(new Error("401"))).toBe(false);
  });
});

describe("passwordProblem", () => {
  it("wants ten characters typed the same twice", () => {
    expect(passwordProblem("short", "short")).toEqual({ password: "Use at least 10 characters." });
    expect(passwordProblem("long enough pass", "long enough pas")).toEqual({ confirmation: "The two passwords differ." });
    expect(passwordProblem("long enough pass", "long enough pass")).toBeNull();
  });
});

describe("retryAfterWords", () => {
  it("says how long to wait", () => {
    expect(retryAfterWords(1)).toBe("Try again in 1 second.");
    expect(retryAfterWords(45)).toBe("Try again in 45 seconds.");
    expect(retryAfterWords(61)).toBe("Try again in 2 minutes.");
    expect(retryAfterWords(60)).toBe("Try again in 1 minute.");
    expect(retryAfterWords(undefined)).toBe("Try again later.");
  });
});

describe("generatePassword", () => {
  it("draws 16 unambiguous characters from the bytes", () => {
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 256);
    const password = generatePassword(bytes);
    expect(password).toHaveLength(16);
    expect(password).toMatch(/^[a-km-zA-HJ-NP-Z2-9]+$/);
    expect(generatePassword(bytes)).toBe(password);
  });

  it("skips bytes that would bias the draw", () => {
    // 56 characters: bytes from 224 up are skipped.
    expect(generatePassword(Uint8Array.from([255, 224, 0, 1]), 2)).toBe("ab");
  });
});
