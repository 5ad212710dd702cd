"use client";

import { useState, type FormEvent } from "react";
import { useSetup, type User } from "@/api/hooks/auth";
import { Button } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";
import { MIN_PASSWORD_LENGTH, passwordProblem } from "@/lib/session";

/** The first account of a new instance: it becomes an admin and is signed in at once. */
export function SetupForm({ onCreated }: { onCreated: (user: User) => void }) {
  const setup = useSetup();
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [checked, setChecked] = useState<ReturnType<typeof passwordProblem>>(null);
  const problem = problemOf(setup.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    const wrong = passwordProblem(password, confirmation);
    setChecked(wrong);
    if (wrong) return;
    setup.mutate(
      { email: email.trim(), password, displayName: displayName.trim() || null },
      { onSuccess: onCreated },
    );
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Create the first account" noValidate>
      <TextField
        label="Email"
        type="email"
        autoComplete="username"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldError(problem, "email")}
        required
      />
      <TextField
        label="Your name (optional)"
        hint="Shown beside your verdicts and in the activity feed; your email otherwise."
        autoComplete="name"
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        error={fieldError(problem, "displayName")}
      />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={checked?.password ?? fieldError(problem, "password")}
        required
      />
      <TextField
        label="Confirm the password"
        type="password"
        autoComplete="new-password"
        value={confirmation}
        onChange={(e) => setConfirmation(e.target.value)}
        error={checked?.confirmation}
        required
      />
      <ProblemAlert problem={problem} placedFields={["email", "displayName", "password"]} action="Creating the account" />
      <Button type="submit" variant="primary" className="w-full" busy={setup.isPending} busyLabel="Creating…">
        Create the account and sign in
      </Button>
    </form>
  );
}
