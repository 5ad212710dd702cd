"use client";

import { useState, type FormEvent } from "react";
import { useCreateUser } from "@/api/hooks/users";
import { Button } from "@/components/ui/Button";
import { Notice, ProblemAlert } from "@/components/ui/Feedback";
import { Checkbox, TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";
import { MIN_PASSWORD_LENGTH, generatePassword } from "@/lib/session";

/** A new account; its owner signs in with the password given here (pass it on safely). */
export function CreateUserForm() {
  const create = useCreateUser();
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [showPassword, setShowPassword] = useState(false);
  const [isAdmin, setIsAdmin] = useState(false);
  const [tooShort, setTooShort] = useState(false);
  const problem = problemOf(create.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    const short = password.length < MIN_PASSWORD_LENGTH;
    setTooShort(short);
    if (short) return;
    create.mutate(
      { email: email.trim(), password, displayName: displayName.trim() || null, isAdmin },
      {
        onSuccess: () => {
          setEmail("");
          setDisplayName("");
          setPassword("");
          setShowPassword(false);
          setIsAdmin(false);
        },
      },
    );
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Create an account" noValidate>
      <TextField
        label="Email"
        type="email"
        autoComplete="off"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldError(problem, "email")}
      />
      <TextField
        label="Name (optional)"
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        error={fieldError(problem, "displayName")}
      />
      <div className="space-y-2">
        <TextField
          label="Password"
          type={showPassword ? "text" : "password"}
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters. Give it to the account's owner by a safe route.`}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={tooShort ? `Use at least ${MIN_PASSWORD_LENGTH} characters.` : fieldError(problem, "password")}
        />
        <div className="flex flex-wrap gap-2">
          <Button
            size="sm"
            onClick={() => {
              setPassword(generatePassword(crypto.getRandomValues(new Uint8Array(64))));
              setShowPassword(true);
            }}
          >
            Suggest a password
          </Button>
          <Button size="sm" variant="ghost" aria-pressed={showPassword} onClick={() => setShowPassword((s) => !s)}>
            {showPassword ? "Hide the password" : "Show the password"}
          </Button>
        </div>
      </div>
      <Checkbox
        label="Instance admin"
        hint="Admins create accounts, see every project and the instance's activity."
        checked={isAdmin}
        onChange={(e) => setIsAdmin(e.target.checked)}
      />
      <ProblemAlert problem={problem} placedFields={["email", "displayName", "password"]} action="Creating the account" />
      {create.isSuccess && (
        <Notice tone="success">
          Account created for {create.data.email}. Add it to projects from each project&apos;s Members tab.
        </Notice>
      )}
      <Button type="submit" variant="primary" busy={create.isPending} busyLabel="Creating…">
        Create account
      </Button>
    </form>
  );
}
