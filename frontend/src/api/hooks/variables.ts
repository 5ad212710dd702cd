import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../client";
import { projectKeys } from "./projects";

export const variableKeys = {
  list: (projectId: string) => ["variables", "list", projectId] as const,
  detail: (variableId: string) => ["variables", "detail", variableId] as const,
  prompts: (variableId: string) => ["variables", "prompts", variableId] as const,
  schema: (projectId: string) => ["variables", "schema", projectId] as const,
};

export function useVariables(projectId: string) {
  return useQuery({
    queryKey: variableKeys.list(projectId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/projects/{projectId}/variables", { params: { path: { projectId } } })),
  });
}

export function useVariable(variableId: string | undefined) {
  return useQuery({
    queryKey: variableKeys.detail(variableId ?? ""),
    enabled: Boolean(variableId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/variables/{variableId}", { params: { path: { variableId: variableId! } } }),
      ),
  });
}

export function usePromptHistory(variableId: string | undefined) {
  return useQuery({
    queryKey: variableKeys.prompts(variableId ?? ""),
    enabled: Boolean(variableId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/variables/{variableId}/prompts", {
          params: { path: { variableId: variableId! } },
        }),
      ),
  });
}

function useInvalidateSchema(projectId: string) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ["variables"] }),
      client.invalidateQueries({ queryKey: projectKeys.detail(projectId) }),
      client.invalidateQueries({ queryKey: projectKeys.all }),
    ]);
}

export function useCreateVariable(projectId: string) {
  const invalidate = useInvalidateSchema(projectId);
  return useMutation({
    mutationFn: (body: Schemas["VariableCreate"]) =>
      unwrap(
        api.POST("/api/v1/projects/{projectId}/variables", { params: { path: { projectId } }, body }),
      ),
    onSuccess: invalidate,
  });
}

export function useUpdateVariable(projectId: string) {
  const invalidate = useInvalidateSchema(projectId);
  return useMutation({
    mutationFn: ({ variableId, body }: { variableId: string; body: Schemas["VariableUpdate"] }) =>
      unwrap(api.PUT("/api/v1/variables/{variableId}", { params: { path: { variableId } }, body })),
    onSuccess: invalidate,
  });
}

export function useDeleteVariable(projectId: string) {
  const invalidate = useInvalidateSchema(projectId);
  return useMutation({
    mutationFn: (variableId: string) =>
      unwrap(api.DELETE("/api/v1/variables/{variableId}", { params: { path: { variableId } } })),
    onSuccess: invalidate,
  });
}

export function useReorderVariables(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (variableIds: string[]) =>
      unwrap(
        api.PUT("/api/v1/projects/{projectId}/variables/order", {
          params: { path: { projectId } },
          body: { variableIds },
        }),
      ),
    onSuccess: (variables) => client.setQueryData(variableKeys.list(projectId), variables),
  });
}

/** The whole schema as JSON or YAML text, ready to save as a file. */
export async function exportSchema(projectId: string, format: "json" | "yaml"): Promise<string> {
  if (format === "yaml") {
    return unwrap(
      api.GET("/api/v1/projects/{projectId}/schema", {
        params: { path: { projectId }, query: { format } },
        parseAs: "text",
      }),
    );
  }
  const document = await unwrap(
    api.GET("/api/v1/projects/{projectId}/schema", { params: { path: { projectId } } }),
  );
  return `${JSON.stringify(document, null, 2)}\n`;
}

export function useImportSchema(projectId: string) {
  const invalidate = useInvalidateSchema(projectId);
  return useMutation({
    mutationFn: ({ text, yaml, replace }: { text: string; yaml: boolean; replace: boolean }) =>
      unwrap(
        api.POST("/api/v1/projects/{projectId}/schema", {
          params: { path: { projectId }, query: { replace } },
          // The file's own text goes as is: the API parses and validates JSON or YAML.
          body: {} as Schemas["SchemaDocument"],
          bodySerializer: () => text,
          headers: { "Content-Type": yaml ? "application/yaml" : "application/json" },
        }),
      ),
    onSuccess: invalidate,
  });
}

export function usePreview(projectId: string) {
  return useMutation({
    mutationFn: (body: Schemas["PreviewRequest"]) =>
      unwrap(
        api.POST("/api/v1/projects/{projectId}/extract-preview", {
          params: { path: { projectId } },
          body,
        }),
      ),
  });
}
