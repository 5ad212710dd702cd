import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../client";

export const userKeys = {
  all: ["users"] as const,
};

/** Every account on the instance (admins only). */
export function useUsers(enabled = true) {
  return useQuery({
    queryKey: userKeys.all,
    enabled,
    queryFn: () => unwrap(api.GET("/api/v1/users")),
  });
}

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["UserCreate"]) => unwrap(api.POST("/api/v1/users", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: userKeys.all }),
  });
}
