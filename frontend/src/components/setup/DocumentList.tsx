"use client";

import { useState } from "react";
import { useDeleteDocument, useDocuments, type DocumentStatus } from "@/api/hooks/documents";
import { DocumentViewer } from "@/components/documents/DocumentViewer";
import { Button, Spinner } from "@/components/ui/Button";
import { Badge, EmptyState, ProblemAlert } from "@/components/ui/Feedback";
import { SelectField, TextField } from "@/components/ui/Field";
import { contentTypeLabel, documentLabel, formatCount, formatDateTime } from "@/lib/format";

const PAGE = 25;

export function DocumentList({ projectId, canDelete = true }: { projectId: string; canDelete?: boolean }) {
  const [offset, setOffset] = useState(0);
  const [status, setStatus] = useState<DocumentStatus | "">("");
  const [viewing, setViewing] = useState<string | null>(null);
  const [search, setSearch] = useState("");
  const documents = useDocuments(projectId, offset, PAGE, status || undefined, search);
  const remove = useDeleteDocument(projectId);
  const page = documents.data;

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <SelectField
          label="Show"
          value={status}
          wrapperClassName="w-48"
          onChange={(e) => {
            setStatus(e.target.value as DocumentStatus | "");
            setOffset(0);
          }}
          options={[
            { value: "", label: "All documents" },
            { value: "READY", label: "Ready" },
            { value: "FAILED", label: "Failed" },
            { value: "UPLOADED", label: "Being read" },
          ]}
        />
        <TextField
          label="Search"
          hint="Name or external id"
          type="search"
          value={search}
          wrapperClassName="w-64"
          onChange={(e) => {
            setSearch(e.target.value);
            setOffset(0);
          }}
        />
        {page && (
          <p className="text-sm text-slate-600">
            {page.total === 0 ? "0" : `${offset + 1}–${Math.min(offset + PAGE, page.total)}`} of {formatCount(page.total)}
          </p>
        )}
      </div>
      {documents.isPending && <Spinner label="Loading documents…" />}
      <ProblemAlert error={documents.error} action="Loading documents" />
      <ProblemAlert error={remove.error} action="Deleting the document" />
      {page && page.total === 0 && (
        <EmptyState title={search.trim() ? "No document matches the search" : status ? "No documents with this status" : "No documents yet"}>
          {!status && !search.trim() && "Upload files above; then define the variables to code on the Schema step."}
        </EmptyState>
      )}
      {page && page.items.length > 0 && (
        <table className="w-full text-left text-sm" aria-label="Documents">
          <thead className="border-b border-slate-200 text-slate-500">
            <tr>
              <th scope="col" className="py-2 pr-3 font-medium">Name</th>
              <th scope="col" className="py-2 pr-3 font-medium">Type</th>
              <th scope="col" className="py-2 pr-3 font-medium">Status</th>
              <th scope="col" className="py-2 pr-3 text-right font-medium">Words</th>
              <th scope="col" className="py-2 pr-3 font-medium">Uploaded</th>
              <th scope="col" className="py-2 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((doc) => (
              <tr key={doc.id} className="border-b border-slate-100">
                <td className="py-2 pr-3">
                  <button type="button" className="text-left font-medium text-indigo-700 hover:underline" onClick={() => setViewing(doc.id)}>
                    {doc.name}
                  </button>
                  {(doc.externalId && doc.externalId !== doc.name) || doc.rowIndex != null ? (
                    <p className="text-xs text-slate-500">{documentLabel(doc).split(" · ").slice(1).join(" · ")}</p>
                  ) : null}
                  {doc.error && <p className="text-xs text-red-700">{doc.error}</p>}
                </td>
                <td className="py-2 pr-3">{contentTypeLabel(doc.contentType)}</td>
                <td className="py-2 pr-3"><Badge value={doc.status} /></td>
                <td className="py-2 pr-3 text-right tabular-nums">{formatCount(doc.wordCount)}</td>
                <td className="py-2 pr-3 text-slate-600">{formatDateTime(doc.uploadedAt)}</td>
                <td className="py-2 text-right">
                  {canDelete && (
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`Delete ${doc.name}`}
                      onClick={() => {
                        if (window.confirm(`Delete “${doc.name}”? Its extracted values go too.`)) remove.mutate(doc.id);
                      }}
                    >
                      Delete
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page && page.total > PAGE && (
        <div className="flex gap-2">
          <Button size="sm" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous page
          </Button>
          <Button size="sm" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
            Next page
          </Button>
        </div>
      )}
      <DocumentViewer documentId={viewing} onClose={() => setViewing(null)} />
    </div>
  );
}
