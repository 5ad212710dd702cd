"use client";

import { useChangeRole, useRemoveMember, type Member } from "@/api/hooks/members";
import { Button } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { formatDateTime } from "@/lib/format";
import { ROLE_LABELS, ROLES, type ProjectRole } from "@/lib/permissions";

const ROLE_OPTIONS = [...ROLES].reverse();

/** The members and their roles; owners (and admins) change roles and remove members here.
 * The API refuses to leave a project without an owner (409), and says so. */
export function MemberTable({
  projectId,
  members,
  manage,
  myId,
}: {
  projectId: string;
  members: Member[];
  manage: boolean;
  myId?: string;
}) {
  const change = useChangeRole(projectId);
  const remove = useRemoveMember(projectId);
  return (
    <div className="space-y-3">
      <ProblemAlert error={change.error} action="Changing the role" />
      <ProblemAlert error={remove.error} action="Removing the member" />
      <table className="w-full text-left text-sm" aria-label="Members">
        <thead className="border-b border-slate-200 text-slate-500">
          <tr>
            <th scope="col" className="py-2 pr-3 font-medium">Name</th>
            <th scope="col" className="py-2 pr-3 font-medium">Email</th>
            <th scope="col" className="py-2 pr-3 font-medium">Role</th>
            <th scope="col" className="py-2 pr-3 font-medium">Member since</th>
            {manage && <th scope="col" className="py-2 font-medium"><span className="sr-only">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {members.map((member) => {
            const you = member.userId === myId;
            const busy =
              (change.isPending && change.variables?.userId === member.userId) ||
              (remove.isPending && remove.variables === member.userId);
            return (
              <tr key={member.userId} className="border-b border-slate-100 last:border-0">
                <td className="py-2 pr-3 font-medium">
                  {member.displayName}
                  {you && <span className="ml-1 text-xs font-normal text-slate-500">(you)</span>}
                </td>
                <td className="py-2 pr-3 text-slate-700">{member.email}</td>
                <td className="py-2 pr-3">
                  {manage ? (
                    <select
                      aria-label={`Role of ${member.displayName}`}
                      value={member.role}
                      disabled={busy}
                      onChange={(e) => {
                        change.reset();
                        remove.reset();
                        change.mutate({ userId: member.userId, role: e.target.value as ProjectRole });
                      }}
                      className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
                    >
                      {ROLE_OPTIONS.map((role) => (
                        <option key={role} value={role}>{ROLE_LABELS[role]}</option>
                      ))}
                    </select>
                  ) : (
                    ROLE_LABELS[member.role]
                  )}
                </td>
                <td className="py-2 pr-3 text-slate-600">{formatDateTime(member.createdAt)}</td>
                {manage && (
                  <td className="py-2 text-right">
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`Remove ${member.displayName}`}
                      busy={remove.isPending && remove.variables === member.userId}
                      onClick={() => {
                        const question = you
                          ? "Remove yourself from this project? You will no longer see it."
                          : `Remove ${member.displayName} from this project?`;
                        if (!window.confirm(question)) return;
                        change.reset();
                        remove.mutate(member.userId);
                      }}
                    >
                      Remove
                    </Button>
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
