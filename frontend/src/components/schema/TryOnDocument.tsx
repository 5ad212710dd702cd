"use client";

import { useState } from "react";
import { useDocument, useDocuments } from "@/api/hooks/documents";
import { usePreview } from "@/api/hooks/variables";
import { DocumentText } from "@/components/documents/DocumentViewer";
import { Button } from "@/components/ui/Button";
import { Badge, EmptyState, ProblemAlert } from "@/components/ui/Feedback";
import { Checkbox, SelectField, TextField } from "@/components/ui/Field";
import { documentLabel, formatConfidence, formatCost, formatCount } from "@/lib/format";
import { quoteSpan, type Span } from "@/lib/highlight";

/** Run the active prompts on one document (nothing is stored) to see what they answer. */
export function TryOnDocument({ projectId, selected }: { projectId: string; selected?: { id: string; name: string } }) {
  const [onlySelected, setOnlySelected] = useState(false);
  const [search, setSearch] = useState("");
  const documents = useDocuments(projectId, 0, 200, "READY", search);
  const [documentId, setDocumentId] = useState("");
  const listed = documents.data?.items ?? [];
  const chosen = (listed.some((d) => d.id === documentId) ? documentId : "") || listed[0]?.id || "";
  const preview = usePreview(projectId);
  const doc = useDocument(preview.data ? preview.data.documentId : undefined);
  const [span, setSpan] = useState<Span | null>(null);

  if (documents.data && documents.data.items.length === 0 && !search.trim()) {
    return <EmptyState title="No document to try on">Upload documents on the Setup step first.</EmptyState>;
  }
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-3">
        <TextField
          label="Find a document"
          type="search"
          hint="Name or external id"
          value={search}
          wrapperClassName="w-56"
          onChange={(e) => setSearch(e.target.value)}
        />
        <SelectField
          label="Document to try on"
          wrapperClassName="min-w-64 flex-1"
          value={chosen}
          onChange={(e) => setDocumentId(e.target.value)}
          options={listed.length ? listed.map((d) => ({ value: d.id, label: documentLabel(d) })) : [{ value: "", label: "No document matches" }]}
        />
        <Button
          variant="primary"
          disabled={!chosen}
          busy={preview.isPending}
          busyLabel="Asking the model…"
          onClick={() => {
            setSpan(null);
            preview.mutate({ documentId: chosen, variableIds: onlySelected && selected ? [selected.id] : null });
          }}
        >
          Try on this document
        </Button>
      </div>
      {selected && (
        <Checkbox
          label={`Only the variable “${selected.name}” (otherwise all variables, as in a job)`}
          checked={onlySelected}
          onChange={(e) => setOnlySelected(e.target.checked)}
        />
      )}
      <ProblemAlert error={preview.error} action="Trying the prompt" />
      {preview.data && (
        <div className="space-y-3">
          <p className="text-sm text-slate-600">
            {formatCount(preview.data.llmCalls)} model call{preview.data.llmCalls === 1 ? "" : "s"},{" "}
            {formatCount(preview.data.promptTokens + preview.data.completionTokens)} tokens, {formatCost(preview.data.costUsd)}
          </p>
          {preview.data.failures.map((f, i) => (
            <ProblemAlert key={i} problem={{ status: 0, title: f.kind, detail: `${f.variables.join(", ")}: ${f.message}`, errors: [] }} />
          ))}
          <table className="w-full text-left text-sm" aria-label="Preview answers">
            <thead className="border-b border-slate-200 text-slate-500">
              <tr>
                <th scope="col" className="py-1.5 pr-3 font-medium">Variable</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Value</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Confidence</th>
                <th scope="col" className="py-1.5 font-medium">Quote and reasoning</th>
              </tr>
            </thead>
            <tbody>
              {preview.data.values.map((value) => (
                <tr key={`${value.variableId}-${value.entityIndex}`} className="border-b border-slate-100 align-top">
                  <td className="py-1.5 pr-3 font-medium">{value.variableName}{value.entityKey ? ` (${value.entityKey})` : ""}</td>
                  <td className="py-1.5 pr-3">{value.value ?? <em className="text-slate-500">empty</em>}</td>
                  <td className="py-1.5 pr-3 tabular-nums">
                    {formatConfidence(value.confidence)} {value.needsReview && <Badge value="PAUSED">review</Badge>}
                  </td>
                  <td className="py-1.5">
                    {value.sourceText ? (
                      <button
                        type="button"
                        className="text-left text-indigo-700 hover:underline"
                        onClick={() =>
                          setSpan(quoteSpan(doc.data?.content ?? "", value.charStart, value.charEnd, value.sourceText))
                        }
                      >
                        “{value.sourceText}”
                      </button>
                    ) : (
                      <span className="text-slate-500">no quote</span>
                    )}
                    {value.reasoning && <p className="text-xs text-slate-600">{value.reasoning}</p>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {doc.data?.content != null && span && <DocumentText text={doc.data.content} span={span} />}
        </div>
      )}
    </div>
  );
}
