/** Job bookkeeping shared by the sample and full-run screens. */

export type JobStatusName = "PENDING" | "PROCESSING" | "PAUSED" | "COMPLETE" | "FAILED" | "CANCELLED";

const ACTIVE: ReadonlySet<string> = new Set(["PENDING", "PROCESSING"]);
const FINISHED: ReadonlySet<string> = new Set(["COMPLETE", "FAILED", "CANCELLED"]);

/** Whether the job still moves on its own (so the screen should poll it). */
export function isRunning(status: string | undefined): boolean {
  return status !== undefined && ACTIVE.has(status);
}

export function isFinished(status: string | undefined): boolean {
  return status !== undefined && FINISHED.has(status);
}

interface JobLike {
  jobType: string;
  createdAt: string;
}

/** The newest job of a type (the list's order is not relied upon). */
export function latestJob<T extends JobLike>(jobs: readonly T[] | undefined, jobType: string): T | undefined {
  let latest: T | undefined;
  for (const job of jobs ?? []) {
    if (job.jobType !== jobType) continue;
    if (!latest || job.createdAt > latest.createdAt) latest = job;
  }
  return latest;
}

interface LogLike {
  id: string;
  createdAt: string;
}

/** Append newly polled log entries, dropping ones already shown (a `since` poll may repeat the
 * entry at the boundary), oldest first, keeping at most `keep` entries. */
export function mergeLogs<T extends LogLike>(shown: readonly T[], incoming: readonly T[], keep = 500): T[] {
  if (!incoming.length) return shown as T[];
  const seen = new Set(shown.map((log) => log.id));
  const merged = [...shown, ...incoming.filter((log) => !seen.has(log.id))];
  merged.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  return merged.slice(-keep);
}
