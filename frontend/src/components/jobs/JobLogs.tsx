"use client";

import { useEffect, useRef } from "react";
import { useJobLogs } from "@/api/hooks/jobs";
import { Spinner } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { formatTime } from "@/lib/format";

const LEVEL_TONE: Record<string, string> = {
  INFO: "text-slate-500",
  WARNING: "text-amber-700",
  ERROR: "text-red-700",
};

/** The job's log, followed live while it runs (each poll asks only for newer entries). */
export function JobLogs({ jobId, live }: { jobId: string; live: boolean }) {
  const logs = useJobLogs(jobId, live);
  const box = useRef<HTMLDivElement>(null);
  const count = logs.data?.length ?? 0;
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [count]);
  if (logs.isPending) return <Spinner label="Loading the log…" />;
  return (
    <div className="space-y-2">
      <ProblemAlert error={logs.error} action="Loading the log" />
      <div
        ref={box}
        role="log"
        aria-label="Job log"
        tabIndex={0}
        className="max-h-72 overflow-y-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100"
      >
        {count === 0 && <p className="text-slate-400">Nothing logged yet.</p>}
        {logs.data?.map((log) => (
          <p key={log.id}>
            <span className="text-slate-400">{formatTime(log.createdAt)}</span>{" "}
            <span className={`${LEVEL_TONE[log.level] ?? ""} font-semibold`}>{log.level.padEnd(7)}</span> {log.message}
          </p>
        ))}
      </div>
    </div>
  );
}
