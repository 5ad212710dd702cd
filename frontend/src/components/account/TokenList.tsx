"use client";

import type { Schemas } from "@/api/client";
import { useRevokeToken } from "@/api/hooks/auth";
import { Button } from "@/components/ui/Button";
import { EmptyState, ProblemAlert } from "@/components/ui/Feedback";
import { formatDateTime } from "@/lib/format";

export function TokenList({ tokens }: { tokens: Schemas["TokenRead"][] }) {
  const revoke = useRevokeToken();
  if (tokens.length === 0) {
    return <EmptyState title="No API tokens">Create one for a script or a notebook that calls the API.</EmptyState>;
  }
  return (
    <div className="space-y-3">
      <ProblemAlert error={revoke.error} action="Revoking the token" />
      <table className="w-full text-left text-sm" aria-label="API tokens">
        <thead className="border-b border-slate-200 text-slate-500">
          <tr>
            <th scope="col" className="py-2 pr-3 font-medium">Name</th>
            <th scope="col" className="py-2 pr-3 font-medium">Starts with</th>
            <th scope="col" className="py-2 pr-3 font-medium">Created</th>
            <th scope="col" className="py-2 pr-3 font-medium">Last used</th>
            <th scope="col" className="py-2 font-medium"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id} className="border-b border-slate-100 last:border-0">
              <td className="py-2 pr-3 font-medium">{token.name}</td>
              <td className="py-2 pr-3 font-mono text-xs">{token.prefix}…</td>
              <td className="py-2 pr-3 text-slate-600">{formatDateTime(token.createdAt)}</td>
              <td className="py-2 pr-3 text-slate-600">{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : "never"}</td>
              <td className="py-2 text-right">
                <Button
                  size="sm"
                  variant="danger"
                  aria-label={`Revoke ${token.name}`}
                  busy={revoke.isPending && revoke.variables === token.id}
                  onClick={() => {
                    if (window.confirm(`Revoke “${token.name}”? Scripts using it stop working at once.`)) revoke.mutate(token.id);
                  }}
                >
                  Revoke
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
