"use client";

import { useId, type ReactNode } from "react";
import { humaniseField, problemOf, unplacedErrors, type Problem } from "@/lib/problem";

/** An API failure in plain words; field errors that no input shows are listed under it. */
export function ProblemAlert({
  error,
  problem,
  placedFields = [],
  action,
}: {
  error?: unknown;
  problem?: Problem | null;
  placedFields?: string[];
  action?: string;
}) {
  const shown = problem ?? problemOf(error);
  if (!shown) return null;
  const rest = unplacedErrors(shown, placedFields);
  // The generic validation sentence says nothing once every error sits beside its input.
  const detail =
    shown.errors.length > 0 && rest.length === 0 && shown.detail === "Request validation failed."
      ? "Some values need fixing: see the messages beside the fields."
      : shown.detail;
  return (
    <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
      <p>
        {action && <span className="font-medium">{action} failed: </span>}
        {detail}
      </p>
      {rest.length > 0 && (
        <ul className="mt-1 list-disc pl-5">
          {rest.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              {e.field === "body" ? e.message : `${humaniseField(e.field)}: ${e.message}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ children, tone = "info" }: { children: ReactNode; tone?: "info" | "success" | "warning" }) {
  const tones = {
    info: "border-sky-200 bg-sky-50 text-sky-900",
    success: "border-emerald-200 bg-emerald-50 text-emerald-900",
    warning: "border-amber-200 bg-amber-50 text-amber-900",
  };
  return (
    <div role="status" className={`rounded-md border px-4 py-3 text-sm ${tones[tone]}`}>
      {children}
    </div>
  );
}

/** What to do when there is nothing here yet. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
      <p className="font-medium text-slate-800">{title}</p>
      {children && <div className="mt-2 text-sm text-slate-600">{children}</div>}
    </div>
  );
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const clamped = Math.max(0, Math.min(100, value));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(clamped)}
      className="h-3 w-full overflow-hidden rounded-full bg-slate-200"
    >
      <div className="h-full rounded-full bg-indigo-600 transition-all" style={{ width: `${clamped}%` }} />
    </div>
  );
}

const BADGE_TONES: Record<string, string> = {
  READY: "bg-emerald-100 text-emerald-800",
  COMPLETE: "bg-emerald-100 text-emerald-800",
  CORRECT: "bg-emerald-100 text-emerald-800",
  CREATED: "bg-slate-100 text-slate-700",
  UPLOADED: "bg-slate-100 text-slate-700",
  PENDING: "bg-slate-100 text-slate-700",
  DUPLICATE: "bg-slate-100 text-slate-700",
  SCHEMA_DEFINED: "bg-sky-100 text-sky-800",
  SAMPLE_TESTING: "bg-sky-100 text-sky-800",
  PROCESSING: "bg-indigo-100 text-indigo-800",
  PAUSED: "bg-amber-100 text-amber-800",
  PARTIALLY_CORRECT: "bg-amber-100 text-amber-800",
  FAILED: "bg-red-100 text-red-800",
  ERROR: "bg-red-100 text-red-800",
  INCORRECT: "bg-red-100 text-red-800",
  CANCELLED: "bg-slate-200 text-slate-700",
};

export function Badge({ value, children }: { value: string; children?: ReactNode }) {
  const tone = BADGE_TONES[value] ?? "bg-slate-100 text-slate-700";
  return (
    <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ${tone}`}>
      {children ?? value.replace(/_/g, " ").toLowerCase()}
    </span>
  );
}

export function Section({
  title,
  description,
  actions,
  children,
  id,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
}) {
  const generated = useId();
  const headingId = id ? `${id}-heading` : generated;
  return (
    <section aria-labelledby={headingId} className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <div className="mb-4 flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id={headingId} className="text-lg font-semibold text-slate-900">
            {title}
          </h2>
          {description && <p className="mt-1 text-sm text-slate-600">{description}</p>}
        </div>
        {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
      </div>
      {children}
    </section>
  );
}
