"use client";

import { useParams } from "next/navigation";
import { useMe } from "@/api/hooks/auth";
import { useMembers } from "@/api/hooks/members";
import { useProjectPermissions } from "@/api/hooks/projects";
import { AddMemberForm } from "@/components/members/AddMemberForm";
import { MemberTable } from "@/components/members/MemberTable";
import { Spinner } from "@/components/ui/Button";
import { ProblemAlert, Section } from "@/components/ui/Feedback";
import { ROLE_DESCRIPTIONS, ROLE_LABELS, ROLES } from "@/lib/permissions";

export default function MembersPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const members = useMembers(projectId);
  const me = useMe();
  const permissions = useProjectPermissions(projectId);
  const manage = permissions.canManageMembers;
  return (
    <div className="grid items-start gap-6 lg:grid-cols-[2fr_1fr]">
      <Section
        id="members"
        title="Members"
        description={manage ? "Change a role with its menu; a project always keeps at least one owner." : "Who works on this project. Owners manage its members."}
      >
        {members.isPending && <Spinner label="Loading members…" />}
        <ProblemAlert error={members.error} action="Loading members" />
        {members.data && <MemberTable projectId={projectId} members={members.data} manage={manage} myId={me.data?.id} />}
      </Section>
      <div className="space-y-6">
        {manage && (
          <Section id="add-member" title="Add a member">
            <AddMemberForm projectId={projectId} isAdmin={permissions.isAdmin} />
          </Section>
        )}
        <Section id="roles" title="Roles">
          <dl className="space-y-2 text-sm">
            {[...ROLES].reverse().map((role) => (
              <div key={role}>
                <dt className="font-medium text-slate-900">{ROLE_LABELS[role]}</dt>
                <dd className="text-slate-600">{ROLE_DESCRIPTIONS[role]}</dd>
              </div>
            ))}
          </dl>
        </Section>
      </div>
    </div>
  );
}
