import { describe, expect, it } from "vitest";
import { isFinished, isRunning, latestJob, mergeLogs } from "./jobs";

describe("job state", () => {
  it("polls only while the job moves on its own", () => {
    expect(isRunning("PENDING")).toBe(true);
    expect(isRunning("PROCESSING")).toBe(true);
    expect(isRunning("PAUSED")).toBe(false);
    expect(isRunning(undefined)).toBe(false);
    expect(isFinished("CANCELLED")).toBe(true);
  });

  it("picks the newest job of a type", () => {
    const jobs = [
      { id: "1", jobType: "FULL", createdAt: "2026-01-01T10:00:00Z" },
      { id: "2", jobType: "SAMPLE", createdAt: "2026-01-03T10:00:00Z" },
      { id: "3", jobType: "FULL", createdAt: "2026-01-02T10:00:00Z" },
    ];
    expect(latestJob(jobs, "FULL")?.id).toBe("3");
    expect(latestJob(jobs, "EVALUATION")).toBeUndefined();
  });
});

describe("mergeLogs", () => {
  it("appends new entries once, oldest first, and keeps the newest", () => {
    const a = { id: "a", createdAt: "2026-01-01T00:00:01Z" };
    const b = { id: "b", createdAt: "2026-01-01T00:00:02Z" };
    const c = { id: "c", createdAt: "2026-01-01T00:00:03Z" };
    expect(mergeLogs([a, b], [b, c]).map((l) => l.id)).toEqual(["a", "b", "c"]);
    expect(mergeLogs([a, b], [c], 2).map((l) => l.id)).toEqual(["b", "c"]);
  });
});
