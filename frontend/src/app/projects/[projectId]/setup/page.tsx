"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useProject, useProjectPermissions } from "@/api/hooks/projects";
import { DeleteProject } from "@/components/setup/DeleteProject";
import { DocumentList } from "@/components/setup/DocumentList";
import { DocumentUploader } from "@/components/setup/DocumentUploader";
import { ProjectContextForm } from "@/components/setup/ProjectContextForm";
import { Spinner } from "@/components/ui/Button";
import { Section } from "@/components/ui/Feedback";

export default function SetupPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const project = useProject(projectId);
  const { canEdit, canDeleteProject, known } = useProjectPermissions(projectId);
  return (
    <div className="space-y-6">
      <Section id="context" title="Project context and unit of observation">
        {project.data && known ? <ProjectContextForm key={project.data.id} project={project.data} readOnly={!canEdit} /> : <Spinner label="Loading…" />}
      </Section>
      <Section
        id="documents"
        title="Documents"
        description={
          canEdit || !known
            ? "Uploaded files are read once; each becomes a document (or, for tables, each row)."
            : "The project's documents. Editors upload and delete them."
        }
        actions={
          <Link href={`/projects/${projectId}/schema`} className="rounded-md px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50">
            Next: define the schema →
          </Link>
        }
      >
        <div className="space-y-6">
          {canEdit && <DocumentUploader projectId={projectId} />}
          <DocumentList projectId={projectId} canDelete={canEdit} />
        </div>
      </Section>
      {canDeleteProject && project.data && (
        <Section id="delete-project" title="Delete the project">
          <DeleteProject projectId={projectId} name={project.data.name} />
        </Section>
      )}
    </div>
  );
}
