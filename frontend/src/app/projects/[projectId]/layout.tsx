"use client";

import Link from "next/link";
import { useParams, usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { useProject } from "@/api/hooks/projects";
import { Badge, ProblemAlert } from "@/components/ui/Feedback";
import { formatCount } from "@/lib/format";

const STEPS = [
  { slug: "setup", label: "1. Setup" },
  { slug: "schema", label: "2. Schema" },
  { slug: "sample", label: "3. Sample & review" },
  { slug: "refine", label: "4. Refine" },
  { slug: "run", label: "5. Full run" },
  { slug: "results", label: "6. Results & export" },
];

export default function ProjectLayout({ children }: { children: ReactNode }) {
  const { projectId } = useParams<{ projectId: string }>();
  const pathname = usePathname();
  const project = useProject(projectId);
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
            <Badge value={project.data.status} />
            <span>{formatCount(project.data.documentCount)} documents</span>
            <span>{formatCount(project.data.variableCount)} variables</span>
          </div>
        )}
      </div>
      <ProblemAlert error={project.error} action="Loading the project" />
      <nav aria-label="Project steps">
        <ol className="flex flex-wrap gap-1 border-b border-slate-200">
          {STEPS.map((step) => {
            const href = `/projects/${projectId}/${step.slug}`;
            const current = pathname === href;
            return (
              <li key={step.slug}>
                <Link
                  href={href}
                  aria-current={current ? "page" : undefined}
                  className={`-mb-px inline-block border-b-2 px-3 py-2 text-sm font-medium ${
                    current
                      ? "border-indigo-600 text-indigo-700"
                      : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900"
                  }`}
                >
                  {step.label}
                </Link>
              </li>
            );
          })}
        </ol>
      </nav>
      {children}
    </div>
  );
}
