import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { NO_PERMISSIONS, permissionsFor, type Permissions } from "@/lib/permissions";
import { api, unwrap, type Schemas } from "../client";
import { useMe } from "./auth";

export const projectKeys = {
  all: ["projects"] as const,
  list: (offset: number, limit: number) => ["projects", "list", offset, limit] as const,
  detail: (projectId: string) => ["projects", "detail", projectId] as const,
};

export function useProjects(offset = 0, limit = 50) {
  return useQuery({
    queryKey: projectKeys.list(offset, limit),
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
    // Forget the project rather than ask for it again (it would be a 404).
    onSuccess: (_answer, projectId) => {
      client.removeQueries({ queryKey: projectKeys.detail(projectId) });
      return client.invalidateQueries({ queryKey: ["projects", "list"] });
    },
  });
}

/** What the signed-in account may do in this project (its `myRole`, or everything for an
 * instance admin). Nothing is allowed until both are known, so no control flashes by. */
export function useProjectPermissions(projectId: string): Permissions & { known: boolean } {
  const me = useMe();
  const project = useProject(projectId);
  if (!me.data || !project.data) return { ...NO_PERMISSIONS, known: false };
  return { ...permissionsFor(project.data.myRole ?? null, me.data.isAdmin), known: true };
}
