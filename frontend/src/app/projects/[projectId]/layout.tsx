"use client";

import Link from "next/link";
import { useParams, usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { useJobs } from "@/api/hooks/jobs";
import { useProject, useProjectPermissions } from "@/api/hooks/projects";
import { Badge, ProblemAlert } from "@/components/ui/Feedback";
import { plural } from "@/lib/format";
import { latestJob } from "@/lib/jobs";
import { describeAccess } from "@/lib/permissions";

const STEPS = [
  { slug: "setup", label: "1. Setup" },
  { slug: "schema", label: "2. Schema" },
  { slug: "sample", label: "3. Sample & review" },
  { slug: "refine", label: "4. Refine" },
  { slug: "run", label: "5. Full run" },
  { slug: "results", label: "6. Results & export" },
];

/** Beside the steps: who works on the project, and what they did. */
const TEAM = [
  { slug: "reliability", label: "Reliability" },
  { slug: "members", label: "Members" },
  { slug: "activity", label: "Activity" },
];

function Tab({ href, label, current }: { href: string; label: string; current: boolean }) {
  return (
    <Link
      href={href}
      aria-current={current ? "page" : undefined}
      className={`-mb-px inline-block border-b-2 px-3 py-2 text-sm font-medium ${
        current
          ? "border-indigo-600 text-indigo-700"
          : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900"
      }`}
    >
      {label}
    </Link>
  );
}

export default function ProjectLayout({ children }: { children: ReactNode }) {
  const { projectId } = useParams<{ projectId: string }>();
  const pathname = usePathname();
  const project = useProject(projectId);
  // A paused full run leaves the project "processing" on the server: say it is paused.
  const jobs = useJobs(projectId);
  const pausedRun = project.data?.status === "PROCESSING" && latestJob(jobs.data?.items, "FULL")?.status === "PAUSED";
  const permissions = useProjectPermissions(projectId);
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <p className="text-sm text-slate-500">
            <Link href="/" className="hover:underline">Projects</Link> /
          </p>
          <h1 className="text-2xl font-semibold">{project.data?.name ?? "Project"}</h1>
        </div>
        {project.data && (
          <div className="flex items-center gap-3 text-sm text-slate-600">
            {permissions.known && (
              <span data-testid="my-role" className="rounded-full border border-slate-300 px-2 py-0.5 text-xs font-medium text-slate-700">
                Your role: {describeAccess(permissions)}
              </span>
            )}
            <Badge value={pausedRun ? "PAUSED" : project.data.status} />
            <span>{plural(project.data.documentCount ?? 0, "document")}</span>
            <span>{plural(project.data.variableCount ?? 0, "variable")}</span>
          </div>
        )}
      </div>
      <ProblemAlert error={project.error} action="Loading the project" />
      <nav aria-label="Project steps" className="flex flex-wrap justify-between gap-1 border-b border-slate-200">
        <ol className="flex flex-wrap gap-1">
          {STEPS.map((step) => {
            const href = `/projects/${projectId}/${step.slug}`;
            return (
              <li key={step.slug}>
                <Tab href={href} label={step.label} current={pathname === href} />
              </li>
            );
          })}
        </ol>
        <ul className="flex flex-wrap gap-1" aria-label="Team">
          {TEAM.map((tab) => {
            const href = `/projects/${projectId}/${tab.slug}`;
            return (
              <li key={tab.slug}>
                <Tab href={href} label={tab.label} current={pathname === href || pathname.startsWith(`${href}/`)} />
              </li>
            );
          })}
        </ul>
      </nav>
      {children}
    </div>
  );
}
