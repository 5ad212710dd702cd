import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../client";
import { jobKeys } from "./jobs";
import { reviewKeys } from "./review";

export type Study = Schemas["StudyRead"];
export type StudyUnit = Schemas["UnitRead"];
export type Disagreement = Schemas["DisagreementRead"];
export type JobReliability = Schemas["JobReliabilityRead"];
export type Alpha = Schemas["AlphaRead"];

export const studyKeys = {
  all: ["studies"] as const,
  list: (jobId: string) => ["studies", "list", jobId] as const,
  detail: (studyId: string) => ["studies", "detail", studyId] as const,
  queue: (studyId: string) => ["studies", "queue", studyId] as const,
  unit: (studyId: string, unitIndex: number) => ["studies", "unit", studyId, unitIndex] as const,
  disagreements: (studyId: string) => ["studies", "disagreements", studyId] as const,
  reliability: (jobId: string) => ["studies", "reliability", jobId] as const,
};

/** A job's reliability studies with each coder's progress. */
export function useStudies(jobId: string | undefined) {
  return useQuery({
    queryKey: studyKeys.list(jobId ?? ""),
    enabled: Boolean(jobId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/jobs/{jobId}/assignments", { params: { path: { jobId: jobId! } } })),
  });
}

export function useStudy(studyId: string) {
  return useQuery({
    queryKey: studyKeys.detail(studyId),
    queryFn: () => unwrap(api.GET("/api/v1/studies/{studyId}", { params: { path: { studyId } } })),
  });
}

/** Open a study: a seeded sample of the job's units for two or more coders. */
export function useCreateStudy(jobId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["StudyCreate"]) =>
      unwrap(api.POST("/api/v1/jobs/{jobId}/assignments", { params: { path: { jobId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: studyKeys.list(jobId) }),
  });
}

/** Close a study, or lift its blindness: the job's values reach its coders again. */
export function useStudyAction(jobId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ studyId, action }: { studyId: string; action: "close" | "unblind" }) =>
      action === "close"
        ? unwrap(api.POST("/api/v1/studies/{studyId}/close", { params: { path: { studyId } } }))
        : unwrap(api.POST("/api/v1/studies/{studyId}/unblind", { params: { path: { studyId } } })),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: studyKeys.all }),
        client.invalidateQueries({ queryKey: jobKeys.results(jobId).slice(0, 3) }),
      ]),
  });
}

/** The caller's own units in a study ("12 of 40 done"); only its coders get one. */
export function useQueue(studyId: string) {
  return useQuery({
    queryKey: studyKeys.queue(studyId),
    queryFn: () => unwrap(api.GET("/api/v1/studies/{studyId}/queue", { params: { path: { studyId } } })),
  });
}

export function useStudyUnit(studyId: string, unitIndex: number | undefined) {
  return useQuery({
    queryKey: studyKeys.unit(studyId, unitIndex ?? -1),
    enabled: unitIndex !== undefined,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/studies/{studyId}/units/{unitIndex}", {
          params: { path: { studyId, unitIndex: unitIndex! } },
        }),
      ),
  });
}

/** Save the caller's values for one unit (each replaces their earlier one). */
export function useSaveCodings(studyId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ unitIndex, body }: { unitIndex: number; body: Schemas["CodingsPut"] }) =>
      unwrap(
        api.PUT("/api/v1/studies/{studyId}/units/{unitIndex}/codings", {
          params: { path: { studyId, unitIndex } },
          body,
        }),
      ),
    onSuccess: (unit) => {
      client.setQueryData(studyKeys.unit(studyId, unit.unitIndex), unit);
      return client.invalidateQueries({ queryKey: studyKeys.queue(studyId) });
    },
  });
}

export function useDisagreements(studyId: string) {
  return useQuery({
    queryKey: studyKeys.disagreements(studyId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/studies/{studyId}/disagreements", { params: { path: { studyId } } })),
  });
}

/** Set gold values by hand, or accept the coders' majority where none is set. */
export function useSetGold(studyId: string, jobId: string | undefined) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["GoldPut"]) =>
      unwrap(api.PUT("/api/v1/studies/{studyId}/gold", { params: { path: { studyId } }, body })),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: studyKeys.disagreements(studyId) }),
        jobId && client.invalidateQueries({ queryKey: studyKeys.reliability(jobId) }),
        jobId && client.invalidateQueries({ queryKey: reviewKeys.agreement(jobId) }),
      ]),
  });
}

/** Alpha per study and variable, among the coders and of the model. */
export function useReliability(jobId: string | undefined) {
  return useQuery({
    queryKey: studyKeys.reliability(jobId ?? ""),
    enabled: Boolean(jobId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/jobs/{jobId}/reliability", { params: { path: { jobId: jobId! } } })),
  });
}

/** Where an editor downloads every coder's value as a long CSV (through this app's proxy). */
export function codingsCsvUrl(studyId: string): string {
  return `/api/v1/studies/${encodeURIComponent(studyId)}/codings.csv`;
}
