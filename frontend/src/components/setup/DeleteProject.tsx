"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useDeleteProject } from "@/api/hooks/projects";
import { Button } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { TextField } from "@/components/ui/Field";

/** Owners only: the project and everything in it, after its name is typed. */
export function DeleteProject({ projectId, name }: { projectId: string; name: string }) {
  const router = useRouter();
  const remove = useDeleteProject();
  const [typed, setTyped] = useState("");
  const [mismatch, setMismatch] = useState(false);

  function submit(event: FormEvent) {
    event.preventDefault();
    const same = typed.trim() === name.trim();
    setMismatch(!same);
    if (same) remove.mutate(projectId, { onSuccess: () => router.replace("/") });
  }

  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Delete the project" noValidate>
      <p className="text-sm text-slate-700">
        Deletes its documents, variables, prompt versions, jobs, results, verdicts and members. There is no undo: export
        the dataset first if you need it.
      </p>
      <TextField
        label={`Type the project's name (${name}) to confirm`}
        wrapperClassName="max-w-md"
        autoComplete="off"
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        error={mismatch ? "The name does not match." : undefined}
      />
      <ProblemAlert error={remove.error} action="Deleting the project" />
      <Button type="submit" variant="danger" busy={remove.isPending} busyLabel="Deleting…">
        Delete this project
      </Button>
    </form>
  );
}
