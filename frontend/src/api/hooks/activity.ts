import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrapPage } from "../client";

export interface ActivityFilters {
  userId?: string;
  action?: string;
  offset?: number;
  limit?: number;
}

export const activityKeys = {
  project: (projectId: string) => ["activity", "project", projectId] as const,
  instance: ["activity", "instance"] as const,
};

function query({ userId, action, offset = 0, limit = 50 }: ActivityFilters) {
  return { userId: userId || undefined, action: action || undefined, offset, limit };
}

/** Who did what in a project, newest first, with the total for paging. */
export function useProjectActivity(projectId: string, filters: ActivityFilters = {}) {
  return useQuery({
    queryKey: [...activityKeys.project(projectId), query(filters)],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrapPage(
        api.GET("/api/v1/projects/{projectId}/activity", {
          params: { path: { projectId }, query: query(filters) },
        }),
      ),
  });
}

/** Everything on the instance, sign-ins included (admins only). */
export function useInstanceActivity(filters: ActivityFilters & { projectId?: string } = {}) {
  const params = { ...query(filters), projectId: filters.projectId || undefined };
  return useQuery({
    queryKey: [...activityKeys.instance, params],
    placeholderData: keepPreviousData,
    queryFn: () => unwrapPage(api.GET("/api/v1/activity", { params: { query: params } })),
  });
}
