"use client";

import Link from "next/link";
import { useProjects } from "@/api/hooks/projects";
import { CreateProjectForm } from "@/components/projects/CreateProjectForm";
import { Spinner } from "@/components/ui/Button";
import { Badge, EmptyState, ProblemAlert, Section } from "@/components/ui/Feedback";
import { formatCount, formatDateTime } from "@/lib/format";
import { ROLE_LABELS } from "@/lib/permissions";

export default function ProjectsPage() {
  const projects = useProjects();
  const items = projects.data?.items ?? [];
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Projects</h1>
      <div className="grid gap-6 lg:grid-cols-[2fr_1fr]">
        <Section id="project-list" title="Your projects" description="Each project is one dataset: its documents, schema and runs.">
          {projects.isPending && <Spinner label="Loading projects…" />}
          <ProblemAlert error={projects.error} action="Loading projects" />
          {projects.isSuccess && items.length === 0 && (
            <EmptyState title="No projects yet">
              Create your first project with the form beside this list, then upload its documents.
            </EmptyState>
          )}
          {items.length > 0 && (
            <table className="w-full text-left text-sm">
              <thead className="border-b border-slate-200 text-slate-500">
                <tr>
                  <th scope="col" className="py-2 pr-3 font-medium">Name</th>
                  <th scope="col" className="py-2 pr-3 font-medium">Your role</th>
                  <th scope="col" className="py-2 pr-3 font-medium">Status</th>
                  <th scope="col" className="py-2 pr-3 text-right font-medium">Documents</th>
                  <th scope="col" className="py-2 pr-3 text-right font-medium">Variables</th>
                  <th scope="col" className="py-2 font-medium">Created</th>
                </tr>
              </thead>
              <tbody>
                {items.map((project) => (
                  <tr key={project.id} className="border-b border-slate-100 last:border-0">
                    <td className="py-2 pr-3">
                      <Link href={`/projects/${project.id}/setup`} className="font-medium text-indigo-700 hover:underline">
                        {project.name}
                      </Link>
                      {project.description && <p className="text-xs text-slate-500">{project.description}</p>}
                    </td>
                    <td className="py-2 pr-3 text-slate-700">{project.myRole ? ROLE_LABELS[project.myRole] : "—"}</td>
                    <td className="py-2 pr-3"><Badge value={project.status} /></td>
                    <td className="py-2 pr-3 text-right tabular-nums">{formatCount(project.documentCount)}</td>
                    <td className="py-2 pr-3 text-right tabular-nums">{formatCount(project.variableCount)}</td>
                    <td className="py-2 text-slate-600">{formatDateTime(project.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
        <Section id="new-project" title="New project">
          <CreateProjectForm />
        </Section>
      </div>
    </div>
  );
}
