"use client";

import { useState, type FormEvent } from "react";
import { useLogin, type User } from "@/api/hooks/auth";
import { Button } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";
import { retryAfterWords } from "@/lib/session";

/** Email and password; a wrong one of either gets the API's one message, a throttled
 * attempt says how long to wait. */
export function LoginForm({ onSignedIn }: { onSignedIn: (user: User) => void }) {
  const login = useLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const problem = problemOf(login.error);
  const shown =
    problem?.status === 429 ? { ...problem, detail: `${problem.detail} ${retryAfterWords(problem.retryAfter)}` } : problem;

  function submit(event: FormEvent) {
    event.preventDefault();
    login.mutate({ email: email.trim(), password }, { onSuccess: onSignedIn });
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Sign in" noValidate>
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
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldError(problem, "password")}
        required
      />
      <ProblemAlert problem={shown} placedFields={["email", "password"]} action="Signing in" />
      <Button type="submit" variant="primary" className="w-full" busy={login.isPending} busyLabel="Signing in…">
        Sign in
      </Button>
    </form>
  );
}
