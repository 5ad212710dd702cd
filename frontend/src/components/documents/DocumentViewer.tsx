"use client";

import * as Dialog from "@radix-ui/react-dialog";
import { useEffect, useRef } from "react";
import { useDocument } from "@/api/hooks/documents";
import { Spinner } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { contentTypeLabel, formatCount } from "@/lib/format";
import { splitHighlight, type Span } from "@/lib/highlight";

/** The document's text; `span` is highlighted and scrolled into view. */
export function DocumentText({ text, span }: { text: string; span?: Span | null }) {
  const mark = useRef<HTMLElement>(null);
  useEffect(() => {
    mark.current?.scrollIntoView({ block: "center" });
  }, [text, span?.start, span?.end]);
  return (
    <div
      className="max-h-[60vh] overflow-y-auto whitespace-pre-wrap rounded-md border border-slate-200 bg-slate-50 p-4 font-serif text-sm leading-relaxed"
      tabIndex={0}
      role="region"
      aria-label="Document text"
    >
      {splitHighlight(text, span).map((segment, i) =>
        segment.highlight ? (
          <mark key={i} ref={mark} className="quote" data-testid="quote-highlight">
            {segment.text}
          </mark>
        ) : (
          <span key={i}>{segment.text}</span>
        ),
      )}
    </div>
  );
}

export function DocumentViewer({
  documentId,
  onClose,
}: {
  documentId: string | null;
  onClose: () => void;
}) {
  const document = useDocument(documentId ?? undefined);
  const doc = document.data;
  return (
    <Dialog.Root open={Boolean(documentId)} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
        <Dialog.Content className="fixed left-1/2 top-1/2 z-50 max-h-[90vh] w-[min(56rem,95vw)] -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg bg-white p-6 shadow-xl">
          <div className="mb-3 flex items-start justify-between gap-4">
            <div>
              <Dialog.Title className="text-lg font-semibold">{doc?.name ?? "Document"}</Dialog.Title>
              <Dialog.Description className="text-sm text-slate-600">
                {doc
                  ? `${contentTypeLabel(doc.contentType)} · ${formatCount(doc.wordCount)} words · ${doc.pageCount} page${doc.pageCount === 1 ? "" : "s"}`
                  : "Loading…"}
              </Dialog.Description>
            </div>
            <Dialog.Close className="rounded-md px-3 py-1 text-sm text-slate-700 hover:bg-slate-100">Close</Dialog.Close>
          </div>
          {document.isPending && <Spinner label="Loading the document…" />}
          <ProblemAlert error={document.error} action="Loading the document" />
          {doc?.status === "FAILED" && <ProblemAlert problem={{ status: 422, title: "", detail: doc.error ?? "The file could not be read.", errors: [] }} />}
          {doc?.content != null && <DocumentText text={doc.content} />}
          {doc && Object.keys(doc.metadata).length > 0 && (
            <details className="mt-3 text-sm">
              <summary className="cursor-pointer text-slate-700">Source metadata</summary>
              <pre className="mt-2 overflow-x-auto rounded bg-slate-50 p-3 text-xs">{JSON.stringify(doc.metadata, null, 2)}</pre>
            </details>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
