import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "@/lib/problem";
import { api, unwrap, unwrapPage, type Schemas } from "../client";
import { jobKeys } from "./jobs";
import { variableKeys } from "./variables";

export const reviewKeys = {
  extraction: (extractionId: string) => ["review", "extraction", extractionId] as const,
  extractionFeedback: (extractionId: string) => ["review", "extraction", extractionId, "feedback"] as const,
  jobFeedback: (jobId: string) => ["review", "feedback", jobId] as const,
  agreement: (jobId: string) => ["review", "agreement", jobId] as const,
};

/** One value in context: quote offsets, before/quote/after, reasoning, current verdict. */
export function useExtraction(extractionId: string | undefined) {
  return useQuery({
    queryKey: reviewKeys.extraction(extractionId ?? ""),
    enabled: Boolean(extractionId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/extractions/{extractionId}", {
          params: { path: { extractionId: extractionId! }, query: { context: 400 } },
        }),
      ),
  });
}

/** Every verdict given on one value, the current one and those it replaced, with reviewers. */
export function useExtractionFeedback(extractionId: string | undefined) {
  return useQuery({
    queryKey: reviewKeys.extractionFeedback(extractionId ?? ""),
    enabled: Boolean(extractionId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/extractions/{extractionId}/feedback", {
          params: { path: { extractionId: extractionId! } },
        }),
      ),
  });
}

/** The current verdicts of a job, keyed by extraction id. */
export function useJobFeedback(jobId: string | undefined) {
  return useQuery({
    queryKey: reviewKeys.jobFeedback(jobId ?? ""),
    enabled: Boolean(jobId),
    queryFn: async () => {
      const page = await unwrapPage(
        api.GET("/api/v1/jobs/{jobId}/feedback", {
          params: { path: { jobId: jobId! }, query: { limit: 10_000 } },
        }),
      );
      return new Map(page.items.map((feedback) => [feedback.extractionId, feedback]));
    },
  });
}

export function useAgreement(jobId: string | undefined) {
  return useQuery({
    queryKey: reviewKeys.agreement(jobId ?? ""),
    enabled: Boolean(jobId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/jobs/{jobId}/agreement", { params: { path: { jobId: jobId! } } })),
  });
}

export function useSubmitFeedback(jobId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ extractionId, body }: { extractionId: string; body: Schemas["FeedbackCreate"] }) =>
      unwrap(
        api.POST("/api/v1/extractions/{extractionId}/feedback", {
          params: { path: { extractionId } },
          body,
        }),
      ),
    onSuccess: (_feedback, { extractionId }) =>
      Promise.all([
        // The value's detail and its verdict history (both under this key).
        client.invalidateQueries({ queryKey: reviewKeys.extraction(extractionId) }),
        client.invalidateQueries({ queryKey: reviewKeys.jobFeedback(jobId) }),
        client.invalidateQueries({ queryKey: reviewKeys.agreement(jobId) }),
        client.invalidateQueries({ queryKey: jobKeys.statistics(jobId) }),
      ]),
  });
}

/** Ask for a new prompt version (a draft, not active) built from the reviewed errors. */
export function useRefineVariable() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ variableId, jobId }: { variableId: string; jobId?: string }) =>
      unwrap(
        api.POST("/api/v1/variables/{variableId}/refine", {
          params: { path: { variableId } },
          body: { jobId: jobId ?? null, useLlm: true },
        }),
      ),
    onSuccess: (_refinement, { variableId }) =>
      client.invalidateQueries({ queryKey: variableKeys.prompts(variableId) }),
  });
}

export function useActivatePrompt(variableId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (promptId: string) =>
      unwrap(api.POST("/api/v1/prompts/{promptId}/activate", { params: { path: { promptId } } })),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: variableKeys.prompts(variableId) }),
        client.invalidateQueries({ queryKey: variableKeys.detail(variableId) }),
      ]),
  });
}

export const evaluationKeys = {
  prompt: (promptId: string) => ["review", "evaluation", promptId] as const,
};

/** The latest scoring of a prompt version on the reviewed items (null when never scored);
 * polled until its EVALUATION job is complete. */
export function useEvaluation(promptId: string | undefined) {
  return useQuery({
    queryKey: evaluationKeys.prompt(promptId ?? ""),
    enabled: Boolean(promptId),
    queryFn: async () => {
      try {
        return await unwrap(
          api.GET("/api/v1/prompts/{promptId}/evaluation", { params: { path: { promptId: promptId! } } }),
        );
      } catch (error) {
        if (error instanceof ApiError && error.problem.status === 404) return null;
        throw error;
      }
    },
    refetchInterval: (query) => (query.state.data && !query.state.data.complete ? 1000 : false),
  });
}

/** Run a draft on the reviewed documents (an EVALUATION job) to compare old vs new accuracy. */
export function useEvaluatePrompt() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ promptId, jobId }: { promptId: string; jobId?: string }) =>
      unwrap(
        api.POST("/api/v1/prompts/{promptId}/evaluate", {
          params: { path: { promptId } },
          body: { jobId: jobId ?? null },
        }),
      ),
    onSuccess: (evaluation, { promptId }) => client.setQueryData(evaluationKeys.prompt(promptId), evaluation),
  });
}

/** Withdraw the verdicts on a value's unit (document, variable, entity), in whichever job
 * they were given: they apply to no job's answer any more and stay in the history. */
export function useWithdrawFeedback(jobId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (extractionId: string) =>
      unwrap(
        api.DELETE("/api/v1/extractions/{extractionId}/feedback", {
          params: { path: { extractionId } },
        }),
      ),
    onSuccess: (_none, extractionId) =>
      Promise.all([
        client.invalidateQueries({ queryKey: reviewKeys.extraction(extractionId) }),
        client.invalidateQueries({ queryKey: reviewKeys.jobFeedback(jobId) }),
        client.invalidateQueries({ queryKey: reviewKeys.agreement(jobId) }),
        client.invalidateQueries({ queryKey: jobKeys.statistics(jobId) }),
      ]),
  });
}

/** How a typed correction would be stored (echoed for confirmation before saving). */
export function useParsedValue(variableId: string, text: string) {
  const value = text.trim();
  return useQuery({
    queryKey: ["review", "parse", variableId, value] as const,
    enabled: Boolean(variableId && value),
    retry: false,
    staleTime: Infinity,
    queryFn: () =>
      unwrap(
        api.POST("/api/v1/variables/{variableId}/parse-value", {
          params: { path: { variableId } },
          body: { value },
        }),
      ),
  });
}
