"use client";

import { useState, type FormEvent } from "react";
import { useMembers } from "@/api/hooks/members";
import { useCreateStudy } from "@/api/hooks/studies";
import { useVariables } from "@/api/hooks/variables";
import { Button } from "@/components/ui/Button";
import { Notice, ProblemAlert } from "@/components/ui/Feedback";
import { Checkbox, SelectField, TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";

const MODES = [
  { value: "BLIND", label: "Blind: coders enter their own values, never seeing the model's" },
  { value: "VERIFY", label: "Verify: coders see the model's values and confirm or correct them" },
];

function toggle(list: string[], value: string, on: boolean): string[] {
  return on ? [...new Set([...list, value])] : list.filter((v) => v !== value);
}

/** Open a reliability study on a job: N units drawn with a seed, the variables, two or more
 * coders, and the mode (fixed once the study starts). */
export function CreateStudyForm({ projectId, jobId, unitsAvailable }: { projectId: string; jobId: string; unitsAvailable: number }) {
  const members = useMembers(projectId);
  const variables = useVariables(projectId);
  const create = useCreateStudy(jobId);
  const [mode, setMode] = useState("BLIND");
  const [units, setUnits] = useState(String(Math.min(40, unitsAvailable) || ""));
  const [seed, setSeed] = useState("");
  const [chosenVariables, setChosenVariables] = useState<string[] | null>(null);
  const [coders, setCoders] = useState<string[]>([]);
  const eligible = (members.data ?? []).filter((m) => m.role !== "VIEWER");
  const allVariables = variables.data ?? [];
  const picked = chosenVariables ?? allVariables.map((v) => v.id);
  const problem = problemOf(create.error);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      {
        mode: mode as "BLIND" | "VERIFY",
        unitCount: units.trim() ? Number(units) : null,
        seed: seed.trim() ? Number(seed) : null,
        variableIds: picked,
        coderIds: coders,
      },
      { onSuccess: () => setCoders([]) },
    );
  };

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="New reliability study">
      <SelectField label="Mode" options={MODES} value={mode} onChange={(e) => setMode(e.target.value)} wrapperClassName="max-w-xl" />
      <div className="flex flex-wrap gap-4">
        <TextField
          label="Units to code"
          inputMode="numeric"
          value={units}
          onChange={(e) => setUnits(e.target.value)}
          hint={`Drawn at random from the job's ${unitsAvailable} units.`}
          error={fieldError(problem, "unitCount")}
          wrapperClassName="w-48"
        />
        <TextField
          label="Seed (optional)"
          inputMode="numeric"
          value={seed}
          onChange={(e) => setSeed(e.target.value)}
          hint="The same seed draws the same units."
          error={fieldError(problem, "seed")}
          wrapperClassName="w-48"
        />
      </div>
      <fieldset className="space-y-1">
        <legend className="text-sm font-medium text-slate-800">Variables</legend>
        {allVariables.map((v) => (
          <Checkbox
            key={v.id}
            label={v.displayName || v.name}
            checked={picked.includes(v.id)}
            onChange={(e) => setChosenVariables(toggle(picked, v.id, e.target.checked))}
          />
        ))}
      </fieldset>
      <fieldset className="space-y-1">
        <legend className="text-sm font-medium text-slate-800">Coders (two or more)</legend>
        {eligible.map((m) => (
          <Checkbox
            key={m.userId}
            label={`${m.displayName} (${m.email})`}
            checked={coders.includes(m.userId)}
            onChange={(e) => setCoders(toggle(coders, m.userId, e.target.checked))}
          />
        ))}
        {members.isSuccess && eligible.length < 2 && (
          <Notice tone="warning">Add at least two members with role Coder or above on the Members tab.</Notice>
        )}
      </fieldset>
      <ProblemAlert error={create.error} placedFields={["unitCount", "seed"]} action="Opening the study" />
      {create.isSuccess && <Notice tone="success">Study opened: its coders find it on this page.</Notice>}
      <Button type="submit" variant="primary" busy={create.isPending} busyLabel="Opening…" disabled={coders.length < 2 || picked.length === 0}>
        Open the study
      </Button>
    </form>
  );
}
