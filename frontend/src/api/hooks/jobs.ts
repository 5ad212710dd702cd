import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { isRunning, mergeLogs } from "@/lib/jobs";
import { api, unwrap, unwrapPage, type Schemas } from "../client";
import { projectKeys } from "./projects";

export const jobKeys = {
  list: (projectId: string) => ["jobs", "list", projectId] as const,
  detail: (jobId: string) => ["jobs", "detail", jobId] as const,
  progress: (jobId: string) => ["jobs", "progress", jobId] as const,
  results: (jobId: string, minConfidence?: number) =>
    ["jobs", "results", jobId, minConfidence ?? null] as const,
  flagged: (jobId: string) => ["jobs", "flagged", jobId] as const,
  logs: (jobId: string) => ["jobs", "logs", jobId] as const,
  statistics: (jobId: string) => ["jobs", "statistics", jobId] as const,
};

const POLL_MS = 1000;

/** A project's jobs; polled while one of them runs so the screens follow it. */
export function useJobs(projectId: string) {
  return useQuery({
    queryKey: jobKeys.list(projectId),
    queryFn: () =>
      unwrapPage(
        api.GET("/api/v1/projects/{projectId}/jobs", {
          params: { path: { projectId }, query: { limit: 200 } },
        }),
      ),
    refetchInterval: (query) =>
      query.state.data?.items.some((job) => isRunning(job.status)) ? POLL_MS * 2 : false,
  });
}

/** Live progress: polled every second while the job is pending or processing. */
export function useJobProgress(jobId: string | undefined) {
  return useQuery({
    queryKey: jobKeys.progress(jobId ?? ""),
    enabled: Boolean(jobId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/jobs/{jobId}/progress", { params: { path: { jobId: jobId! } } })),
    refetchInterval: (query) => (isRunning(query.state.data?.status) ? POLL_MS : false),
  });
}

export function useCreateJob(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["JobCreate"]) =>
      unwrap(api.POST("/api/v1/projects/{projectId}/jobs", { params: { path: { projectId } }, body })),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: jobKeys.list(projectId) }),
        client.invalidateQueries({ queryKey: projectKeys.all }),
      ]),
  });
}

/** The forecast of the job a body would create (calls, tokens, cost, duration); nothing runs. */
export function useEstimateJob(projectId: string) {
  return useMutation({
    mutationFn: (body: Schemas["JobEstimateRequest"]) =>
      unwrap(
        api.POST("/api/v1/projects/{projectId}/jobs/estimate", { params: { path: { projectId } }, body }),
      ),
  });
}

type JobAction = "pause" | "resume" | "cancel";

/** Pause, resume or cancel; every figure of the job and the project's status are refreshed
 * after (a paused job's counts and the project's badge must not stay as they were). */
export function useJobAction(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ jobId, action }: { jobId: string; action: JobAction }) => {
      const params = { params: { path: { jobId } } };
      if (action === "pause") await unwrap(api.POST("/api/v1/jobs/{jobId}/pause", params));
      else if (action === "resume") await unwrap(api.POST("/api/v1/jobs/{jobId}/resume", params));
      else await unwrap(api.DELETE("/api/v1/jobs/{jobId}", params));
    },
    onSettled: (_data, _error, { jobId }) =>
      Promise.all([
        client.invalidateQueries({ queryKey: jobKeys.progress(jobId) }),
        client.invalidateQueries({ queryKey: jobKeys.list(projectId) }),
        client.invalidateQueries({ queryKey: jobKeys.logs(jobId) }),
        client.invalidateQueries({ queryKey: jobKeys.flagged(jobId) }),
        client.invalidateQueries({ queryKey: jobKeys.statistics(jobId) }),
        client.invalidateQueries({ queryKey: projectKeys.all }),
      ]),
  });
}

/** A job's extractions; `live` polls them while the job is still coding documents. */
export function useJobResults(jobId: string | undefined, minConfidence?: number, limit = 5000, live = false) {
  return useQuery({
    queryKey: jobKeys.results(jobId ?? "", minConfidence),
    enabled: Boolean(jobId),
    queryFn: () =>
      unwrapPage(
        api.GET("/api/v1/jobs/{jobId}/results", {
          params: { path: { jobId: jobId! }, query: { minConfidence, limit } },
        }),
      ),
    refetchInterval: live ? POLL_MS * 2 : false,
  });
}

export function useFlagged(jobId: string | undefined, live = false) {
  return useQuery({
    queryKey: jobKeys.flagged(jobId ?? ""),
    enabled: Boolean(jobId),
    queryFn: () =>
      unwrapPage(
        api.GET("/api/v1/jobs/{jobId}/flagged", {
          params: { path: { jobId: jobId! }, query: { limit: 200 } },
        }),
      ),
    refetchInterval: live ? POLL_MS * 3 : false,
  });
}

export function useJobStatistics(jobId: string | undefined) {
  return useQuery({
    queryKey: jobKeys.statistics(jobId ?? ""),
    enabled: Boolean(jobId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/jobs/{jobId}/statistics", { params: { path: { jobId: jobId! } } })),
  });
}

/** The job's log, oldest first: each poll asks only for entries newer than the last shown. */
export function useJobLogs(jobId: string | undefined, live: boolean) {
  const client = useQueryClient();
  return useQuery({
    queryKey: jobKeys.logs(jobId ?? ""),
    enabled: Boolean(jobId),
    queryFn: async () => {
      const shown = client.getQueryData<Schemas["JobLog"][]>(jobKeys.logs(jobId!)) ?? [];
      const since = shown.at(-1)?.createdAt;
      const incoming = await unwrap(
        api.GET("/api/v1/jobs/{jobId}/logs", {
          params: { path: { jobId: jobId! }, query: { since, limit: 200 } },
        }),
      );
      return mergeLogs(shown, incoming);
    },
    refetchInterval: live ? POLL_MS * 2 : false,
  });
}
