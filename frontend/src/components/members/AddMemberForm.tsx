"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useAddMember } from "@/api/hooks/members";
import { Button } from "@/components/ui/Button";
import { Notice, ProblemAlert } from "@/components/ui/Feedback";
import { SelectField, TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";
import { ROLE_DESCRIPTIONS, ROLE_LABELS, ROLES, type ProjectRole } from "@/lib/permissions";

/** Give an existing account a role (the API answers 404 when no account has the email). */
export function AddMemberForm({ projectId, isAdmin }: { projectId: string; isAdmin: boolean }) {
  const add = useAddMember(projectId);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<ProjectRole>("CODER");
  const problem = problemOf(add.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    add.mutate({ email: email.trim(), role }, { onSuccess: () => setEmail("") });
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Add a member" noValidate>
      <TextField
        label="Email of the account"
        type="email"
        autoComplete="off"
        value={email}
        onChange={(e) => {
          setEmail(e.target.value);
          if (add.isSuccess) add.reset();
        }}
        error={fieldError(problem, "email")}
        hint={
          isAdmin ? (
            <>The account must exist: create it on the <Link href="/admin/users" className="underline">Users</Link> page.</>
          ) : (
            "The account must exist: an admin of this instance creates it."
          )
        }
      />
      <SelectField
        label="Role"
        value={role}
        onChange={(e) => setRole(e.target.value as ProjectRole)}
        options={[...ROLES].reverse().map((r) => ({ value: r, label: ROLE_LABELS[r] }))}
        hint={ROLE_DESCRIPTIONS[role]}
        error={fieldError(problem, "role")}
      />
      <ProblemAlert problem={problem} placedFields={["email", "role"]} action="Adding the member" />
      {add.isSuccess && (
        <Notice tone="success">
          {add.data.displayName} joined the project as {ROLE_LABELS[add.data.role].toLowerCase()}.
        </Notice>
      )}
      <Button type="submit" variant="primary" busy={add.isPending} busyLabel="Adding…">
        Add member
      </Button>
    </form>
  );
}
