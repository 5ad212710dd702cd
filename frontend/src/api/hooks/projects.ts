import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../client";

export const projectKeys = {
  all: ["projects"] as const,
  list: (offset: number) => ["projects", "list", offset] as const,
  detail: (projectId: string) => ["projects", "detail", projectId] as const,
};

export function useProjects(offset = 0, limit = 50) {
  return useQuery({
    queryKey: projectKeys.list(offset),
    queryFn: () => unwrap(api.GET("/api/v1/projects", { params: { query: { offset, limit } } })),
  });
}

export function useProject(projectId: string) {
  return useQuery({
    queryKey: projectKeys.detail(projectId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/projects/{projectId}", { params: { path: { projectId } } })),
  });
}

export function useCreateProject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ProjectCreate"]) => unwrap(api.POST("/api/v1/projects", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: projectKeys.all }),
  });
}

export function useUpdateProject(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ProjectUpdate"]) =>
      unwrap(api.PUT("/api/v1/projects/{projectId}", { params: { path: { projectId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: projectKeys.all }),
  });
}

export function useDeleteProject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (projectId: string) =>
      unwrap(api.DELETE("/api/v1/projects/{projectId}", { params: { path: { projectId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: projectKeys.all }),
  });
}
