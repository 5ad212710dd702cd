"use client";

import { useMe } from "@/api/hooks/auth";
import { useUsers } from "@/api/hooks/users";
import { AdminOnly } from "@/components/admin/AdminOnly";
import { CreateUserForm } from "@/components/admin/CreateUserForm";
import { Spinner } from "@/components/ui/Button";
import { Badge, ProblemAlert, Section } from "@/components/ui/Feedback";
import { formatDateTime } from "@/lib/format";

export default function UsersPage() {
  return (
    <AdminOnly>
      <Users />
    </AdminOnly>
  );
}

function Users() {
  const users = useUsers();
  const me = useMe();
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Users</h1>
      <div className="grid items-start gap-6 lg:grid-cols-[2fr_1fr]">
        <Section id="users" title="Accounts" description="Everyone who can sign in to this instance. Project roles are given on each project's Members tab.">
          {users.isPending && <Spinner label="Loading accounts…" />}
          <ProblemAlert error={users.error} action="Loading accounts" />
          {users.data && (
            <table className="w-full text-left text-sm" aria-label="Accounts">
              <thead className="border-b border-slate-200 text-slate-500">
                <tr>
                  <th scope="col" className="py-2 pr-3 font-medium">Name</th>
                  <th scope="col" className="py-2 pr-3 font-medium">Email</th>
                  <th scope="col" className="py-2 pr-3 font-medium">Access</th>
                  <th scope="col" className="py-2 pr-3 font-medium">Created</th>
                  <th scope="col" className="py-2 font-medium">Last sign-in</th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((user) => (
                  <tr key={user.id} className="border-b border-slate-100 last:border-0">
                    <td className="py-2 pr-3 font-medium">
                      {user.displayName}
                      {user.id === me.data?.id && <span className="ml-1 text-xs font-normal text-slate-500">(you)</span>}
                    </td>
                    <td className="py-2 pr-3 text-slate-700">{user.email}</td>
                    <td className="py-2 pr-3">
                      <span className="flex flex-wrap gap-1">
                        {user.isAdmin ? <Badge value="PROCESSING">admin</Badge> : <Badge value="CREATED">member</Badge>}
                        {user.isDisabled && <Badge value="FAILED">disabled</Badge>}
                      </span>
                    </td>
                    <td className="py-2 pr-3 text-slate-600">{formatDateTime(user.createdAt)}</td>
                    <td className="py-2 text-slate-600">{user.lastLoginAt ? formatDateTime(user.lastLoginAt) : "never"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
        <Section id="new-user" title="Create an account">
          <CreateUserForm />
        </Section>
      </div>
    </div>
  );
}
