/** The typed API client (openapi-fetch over the generated schema) and the helpers that turn
 * its answers into data or an ApiError carrying the problem details. */
import createClient from "openapi-fetch";
import { ApiError, networkProblem, toProblem } from "@/lib/problem";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

/** Same origin: /api is proxied to the API by src/app/api/[...path]/route.ts. */
export const api = createClient<paths>({ baseUrl: "" });

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

async function settle<T>(request: Promise<Answer<T>>): Promise<Answer<T>> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch (error) {
    throw new ApiError(networkProblem(error));
  }
  if (!answer.response.ok) {
    const problem = toProblem(answer.error, answer.response.status);
    const retryAfter = Number(answer.response.headers.get("retry-after") ?? Number.NaN);
    if (Number.isFinite(retryAfter)) problem.retryAfter = retryAfter;
    throw new ApiError(problem);
  }
  return answer;
}

/** The response body, or an ApiError with the problem details. */
export async function unwrap<T>(request: Promise<Answer<T>>): Promise<T> {
  return (await settle(request)).data as T;
}

/** A bare-array page with its `X-Total-Count`. */
export async function unwrapPage<T>(request: Promise<Answer<T[]>>): Promise<{ items: T[]; total: number }> {
  const answer = await settle(request);
  const items = answer.data ?? [];
  const total = Number(answer.response.headers.get("x-total-count") ?? items.length);
  return { items, total: Number.isFinite(total) ? total : items.length };
}

/** Links the API builds (export downloads) may name the API's own host, which the browser
 * may not reach: keep the path so the request goes through this app's /api proxy. */
export function sameOriginUrl(url: string): string {
  try {
    const parsed = new URL(url, "http://placeholder.invalid");
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}
