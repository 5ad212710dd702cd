"use client";

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { authKeys } from "@/api/hooks/auth";
import { ApiError } from "@/lib/problem";
import { isSessionEnded } from "@/lib/session";

function makeClient(): QueryClient {
  // A 401 from anything but the sign-in calls means the session has ended: forget who was
  // signed in, and the AuthGate sends the visitor to the sign-in page (coming back here).
  const sessionEnded = (error: unknown, meta: Record<string, unknown> | undefined) => {
    if (isSessionEnded(error) && !meta?.public) client.setQueryData(authKeys.me, null);
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: (error, query) => sessionEnded(error, query.meta) }),
    mutationCache: new MutationCache({
      onError: (error, _variables, _context, mutation) => sessionEnded(error, mutation.meta),
    }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // A 4xx will not fix itself; retry only network and server failures, once.
        retry: (count, error) =>
          count < 1 && !(error instanceof ApiError && error.problem.status >= 400 && error.problem.status < 500),
      },
    },
  });
  return client;
}

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(makeClient);
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
