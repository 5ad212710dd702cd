import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../client";
import { projectKeys } from "./projects";

export const documentKeys = {
  all: (projectId: string) => ["documents", projectId] as const,
  list: (projectId: string, offset: number, limit: number, status?: string) =>
    ["documents", projectId, "list", offset, limit, status ?? "ALL"] as const,
  detail: (documentId: string) => ["document", documentId] as const,
};

export type DocumentStatus = Schemas["DocumentStatus"];

export function useDocuments(projectId: string, offset = 0, limit = 50, status?: DocumentStatus, search?: string) {
  const wanted = search?.trim() || undefined;
  return useQuery({
    queryKey: [...documentKeys.list(projectId, offset, limit, status), wanted ?? ""],
    placeholderData: (previous) => previous,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{projectId}/documents", {
          params: { path: { projectId }, query: { offset, limit, status, search: wanted } },
        }),
      ),
  });
}

export function useDocument(documentId: string | undefined) {
  return useQuery({
    queryKey: documentKeys.detail(documentId ?? ""),
    enabled: Boolean(documentId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/documents/{documentId}", { params: { path: { documentId: documentId! } } }),
      ),
    staleTime: 5 * 60_000,
  });
}

export interface UploadInput {
  files: File[];
  textColumn?: string;
  idColumn?: string;
  titleColumn?: string;
}

/** Several files in one request (multipart field `files`): answers the per-file report. */
export function useUploadDocuments(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ files, textColumn, idColumn, titleColumn }: UploadInput) => {
      const form = new FormData();
      for (const file of files) form.append("files", file, file.name);
      if (textColumn) form.append("textColumn", textColumn);
      if (idColumn) form.append("idColumn", idColumn);
      if (titleColumn) form.append("titleColumn", titleColumn);
      return unwrap(
        api.POST("/api/v1/projects/{projectId}/documents", {
          params: { path: { projectId } },
          body: {},
          bodySerializer: () => form,
        }),
      ) as Promise<Schemas["UploadReport"]>;
    },
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: documentKeys.all(projectId) }),
        client.invalidateQueries({ queryKey: projectKeys.all }),
      ]),
  });
}

export function useDeleteDocument(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (documentId: string) =>
      unwrap(api.DELETE("/api/v1/documents/{documentId}", { params: { path: { documentId } } })),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: documentKeys.all(projectId) }),
        client.invalidateQueries({ queryKey: projectKeys.all }),
      ]),
  });
}

/** id → name for the project's documents (first 500), to label result rows. */
export function useDocumentNames(projectId: string) {
  const documents = useDocuments(projectId, 0, 500);
  const names = new Map<string, string>();
  for (const doc of documents.data?.items ?? []) names.set(doc.id, doc.name);
  return { names, isPending: documents.isPending, error: documents.error };
}
