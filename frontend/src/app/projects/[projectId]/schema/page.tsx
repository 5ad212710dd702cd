"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { useProjectPermissions } from "@/api/hooks/projects";
import { useReorderVariables, useVariables } from "@/api/hooks/variables";
import { PromptPanel } from "@/components/schema/PromptPanel";
import { SchemaTransfer } from "@/components/schema/SchemaTransfer";
import { TryOnDocument } from "@/components/schema/TryOnDocument";
import { VariableEditor } from "@/components/schema/VariableEditor";
import { Button, Spinner } from "@/components/ui/Button";
import { Badge, EmptyState, ProblemAlert, Section } from "@/components/ui/Feedback";
import { variableTypeLabel } from "@/lib/format";

const NEW = "new";

export default function SchemaPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const variables = useVariables(projectId);
  const reorder = useReorderVariables(projectId);
  const { canEdit } = useProjectPermissions(projectId);
  const [selected, setSelected] = useState<string | null>(null);
  const list = variables.data ?? [];
  const current = selected === NEW ? undefined : (list.find((v) => v.id === selected) ?? (selected ? undefined : list[0]));
  const editing = selected === NEW ? NEW : current?.id;

  function move(index: number, by: number) {
    const ids = list.map((v) => v.id);
    const [id] = ids.splice(index, 1);
    ids.splice(index + by, 0, id!);
    reorder.mutate(ids);
  }

  return (
    <div className="grid items-start gap-6 lg:grid-cols-[18rem_1fr]">
      <Section id="variables" title="Variables" description="One column each in the dataset, in this order.">
        {variables.isPending && <Spinner label="Loading…" />}
        <ProblemAlert error={variables.error} action="Loading variables" />
        <ProblemAlert error={reorder.error} action="Re-ordering" />
        {variables.isSuccess && list.length === 0 && (
          <EmptyState title="No variables yet">
            {canEdit ? "Add the first thing to code from each document." : "Editors define the variables to code."}
          </EmptyState>
        )}
        <ol className="space-y-1" aria-label="Variables in dataset order">
          {list.map((variable, i) => (
            <li key={variable.id} className={`flex items-center gap-1 rounded-md ${editing === variable.id ? "bg-indigo-50" : ""}`}>
              <button
                type="button"
                onClick={() => setSelected(variable.id)}
                aria-current={editing === variable.id ? "true" : undefined}
                className="flex-1 px-2 py-1.5 text-left text-sm"
              >
                <span className="font-medium">{variable.name}</span>{" "}
                <span className="text-xs text-slate-500">{variableTypeLabel(variable.type)}</span>
              </button>
              {canEdit && (
                <>
                  <Button size="sm" variant="ghost" aria-label={`Move ${variable.name} up`} disabled={i === 0 || reorder.isPending} onClick={() => move(i, -1)}>
                    ↑
                  </Button>
                  <Button size="sm" variant="ghost" aria-label={`Move ${variable.name} down`} disabled={i === list.length - 1 || reorder.isPending} onClick={() => move(i, 1)}>
                    ↓
                  </Button>
                </>
              )}
            </li>
          ))}
        </ol>
        <div className="mt-4 flex flex-col gap-2">
          {canEdit && (
            <Button variant="primary" onClick={() => setSelected(NEW)}>
              New variable
            </Button>
          )}
          {list.length > 0 && (
            <Link href={`/projects/${projectId}/sample`} className="rounded-md px-3 py-2 text-center text-sm font-medium text-indigo-700 hover:bg-indigo-50">
              Next: run a sample →
            </Link>
          )}
        </div>
      </Section>

      <div className="space-y-6">
        {canEdit && (editing === NEW || (variables.isSuccess && list.length === 0)) && (
          <Section id="new-variable" title="New variable">
            <VariableEditor key="new" projectId={projectId} onSaved={(v) => setSelected(v.id)} />
          </Section>
        )}
        {current && editing !== NEW && (
          <>
            <Section id="edit-variable" title={`Variable: ${current.name}`} description={<Badge value="CREATED">version {current.version}</Badge>}>
              <VariableEditor
                key={`${current.id}-${current.version}-${canEdit}`}
                projectId={projectId}
                variable={current}
                readOnly={!canEdit}
                onSaved={(v) => setSelected(v.id)}
                onDeleted={() => setSelected(null)}
              />
            </Section>
            <Section id="prompt" title="Generated prompt" description="Written from the project context and this variable; it changes when either does.">
              <PromptPanel variableId={current.id} />
            </Section>
          </>
        )}
        {canEdit && list.length > 0 && (
          <Section id="try" title="Try on a document" description="Runs the active prompts on one document. Nothing is stored.">
            <TryOnDocument projectId={projectId} selected={current ? { id: current.id, name: current.name } : undefined} />
          </Section>
        )}
        <Section id="transfer" title={canEdit ? "Import and export the schema" : "Export the schema"}>
          <SchemaTransfer projectId={projectId} canImport={canEdit} />
        </Section>
      </div>
    </div>
  );
}
