import { useMutation } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../client";

/** Build an export file; the answer carries a signed download link that expires. */
export function useCreateExport(projectId: string) {
  return useMutation({
    mutationFn: (body: Schemas["ExportConfig"]) =>
      unwrap(api.POST("/api/v1/projects/{projectId}/export", { params: { path: { projectId } }, body })),
  });
}
