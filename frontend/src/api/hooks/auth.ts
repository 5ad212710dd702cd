import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { isSessionEnded } from "@/lib/session";
import { api, unwrap, type Schemas } from "../client";

export type User = Schemas["UserRead"];

export const authKeys = {
  me: ["auth", "me"] as const,
  setup: ["auth", "setup"] as const,
  tokens: ["auth", "tokens"] as const,
};

/** Mutations and queries marked `public` may answer 401 without ending the session
 * (a wrong password is a 401 too); see the caches in src/app/providers.tsx. */
export const PUBLIC_META = { public: true } as const;

/** Whether the instance still needs its first account. */
export function useSetupStatus(enabled = true) {
  return useQuery({
    queryKey: authKeys.setup,
    enabled,
    meta: PUBLIC_META,
    queryFn: () => unwrap(api.GET("/api/v1/auth/setup")),
    staleTime: 0,
  });
}

/** The signed-in account, or null when nobody is signed in (a 401 is an answer here). */
export function useMe() {
  return useQuery({
    queryKey: authKeys.me,
    meta: PUBLIC_META,
    queryFn: async (): Promise<User | null> => {
      try {
        return await unwrap(api.GET("/api/v1/auth/me"));
      } catch (error) {
        if (isSessionEnded(error)) return null;
        throw error;
      }
    },
    staleTime: 5 * 60_000,
  });
}

/** After signing in (or creating the first account): forget what an earlier session
 * loaded and remember who is signed in now. */
function useSignedIn() {
  const client = useQueryClient();
  return (user: User) => {
    client.removeQueries();
    client.setQueryData(authKeys.me, user);
  };
}

export function useLogin() {
  const signedIn = useSignedIn();
  return useMutation({
    meta: PUBLIC_META,
    mutationFn: (body: Schemas["LoginRequest"]) => unwrap(api.POST("/api/v1/auth/login", { body })),
    onSuccess: signedIn,
  });
}

export function useSetup() {
  const signedIn = useSignedIn();
  return useMutation({
    meta: PUBLIC_META,
    mutationFn: (body: Schemas["SetupRequest"]) => unwrap(api.POST("/api/v1/auth/setup", { body })),
    onSuccess: signedIn,
  });
}

/** Ends the session; the caller then leaves with a full page load so nothing stays in memory. */
export function useLogout() {
  return useMutation({
    meta: PUBLIC_META,
    mutationFn: async () => {
      try {
        await unwrap(api.POST("/api/v1/auth/logout"));
      } catch (error) {
        // Already signed out is what we wanted.
        if (!isSessionEnded(error)) throw error;
      }
    },
  });
}

export function useTokens() {
  return useQuery({
    queryKey: authKeys.tokens,
    queryFn: () => unwrap(api.GET("/api/v1/auth/tokens")),
  });
}

/** The answer carries the token itself, which the API never shows again. */
export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["TokenCreate"]) => unwrap(api.POST("/api/v1/auth/tokens", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: authKeys.tokens }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (tokenId: string) =>
      unwrap(api.DELETE("/api/v1/auth/tokens/{tokenId}", { params: { path: { tokenId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: authKeys.tokens }),
  });
}
