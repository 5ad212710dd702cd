import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../client";
import { activityKeys } from "./activity";
import { projectKeys } from "./projects";

export type Member = Schemas["MemberRead"];
export type ProjectRole = Schemas["ProjectRole"];

export const memberKeys = {
  list: (projectId: string) => ["members", projectId] as const,
};

export function useMembers(projectId: string) {
  return useQuery({
    queryKey: memberKeys.list(projectId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/projects/{projectId}/members", { params: { path: { projectId } } })),
  });
}

/** A change of members may change the caller's own role (`myRole`) and adds to the feed. */
function useRefreshMembers(projectId: string) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: memberKeys.list(projectId) }),
      client.invalidateQueries({ queryKey: projectKeys.all }),
      client.invalidateQueries({ queryKey: activityKeys.project(projectId) }),
    ]);
}

/** Give an existing account a role (404: no such account; 409: already a member). */
export function useAddMember(projectId: string) {
  const refresh = useRefreshMembers(projectId);
  return useMutation({
    mutationFn: (body: Schemas["MemberAdd"]) =>
      unwrap(api.POST("/api/v1/projects/{projectId}/members", { params: { path: { projectId } }, body })),
    onSuccess: refresh,
  });
}

/** 409 when it would leave the project without an owner. */
export function useChangeRole(projectId: string) {
  const refresh = useRefreshMembers(projectId);
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: ProjectRole }) =>
      unwrap(
        api.PUT("/api/v1/projects/{projectId}/members/{userId}", {
          params: { path: { projectId, userId } },
          body: { role },
        }),
      ),
    onSettled: refresh,
  });
}

/** 409 when it would remove the last owner. */
export function useRemoveMember(projectId: string) {
  const refresh = useRefreshMembers(projectId);
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(
        api.DELETE("/api/v1/projects/{projectId}/members/{userId}", {
          params: { path: { projectId, userId } },
        }),
      ),
    onSuccess: refresh,
  });
}
