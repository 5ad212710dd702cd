"use client";

import { useState, type FormEvent } from "react";
import type { Schemas } from "@/api/client";
import { useCreateToken, useTokens } from "@/api/hooks/auth";
import { NewTokenNotice } from "@/components/account/NewTokenNotice";
import { TokenList } from "@/components/account/TokenList";
import { Button, Spinner } from "@/components/ui/Button";
import { ProblemAlert, Section } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";

export default function TokensPage() {
  const tokens = useTokens();
  const create = useCreateToken();
  const [name, setName] = useState("");
  const [created, setCreated] = useState<Schemas["TokenCreated"] | null>(null);
  const problem = problemOf(create.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { name: name.trim() },
      {
        onSuccess: (token) => {
          setCreated(token);
          setName("");
        },
      },
    );
  }

  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">API tokens</h1>
      <p className="max-w-3xl text-sm text-slate-700">
        A token lets a script act as you, with your roles in each project. Give each script its own
        token, so that revoking one stops only that script.
      </p>
      <div className="grid items-start gap-6 lg:grid-cols-[2fr_1fr]">
        <Section id="tokens" title="Your tokens">
          {tokens.isPending && <Spinner label="Loading tokens…" />}
          <ProblemAlert error={tokens.error} action="Loading tokens" />
          {tokens.data && <TokenList tokens={tokens.data} />}
        </Section>
        <Section id="new-token" title="Create a token">
          {created ? (
            <NewTokenNotice token={created} onDone={() => setCreated(null)} />
          ) : (
            <form onSubmit={submit} className="space-y-4" aria-label="Create a token" noValidate>
              <TextField
                label="Token name"
                hint="What it is for, e.g. “analysis notebook”."
                value={name}
                maxLength={200}
                onChange={(e) => setName(e.target.value)}
                error={fieldError(problem, "name")}
              />
              <ProblemAlert problem={problem} placedFields={["name"]} action="Creating the token" />
              <Button type="submit" variant="primary" busy={create.isPending} busyLabel="Creating…">
                Create token
              </Button>
            </form>
          )}
        </Section>
      </div>
    </div>
  );
}
