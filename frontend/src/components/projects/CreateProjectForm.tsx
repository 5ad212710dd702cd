"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useCreateProject } from "@/api/hooks/projects";
import { Button } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { SelectField, TextArea, TextField } from "@/components/ui/Field";
import { fieldError, problemOf } from "@/lib/problem";

const FIELDS = ["name", "description", "scale", "domain", "language", "documentType"];

export function CreateProjectForm() {
  const router = useRouter();
  const create = useCreateProject();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [scale, setScale] = useState<"SMALL" | "LARGE">("SMALL");
  const [domain, setDomain] = useState("");
  const [language, setLanguage] = useState("en");
  const [documentType, setDocumentType] = useState("");
  const problem = problemOf(create.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      {
        name: name.trim(),
        description: description.trim() || null,
        scale,
        domain: domain.trim() || null,
        language: language.trim() || "en",
        documentType: documentType.trim() || null,
      },
      { onSuccess: (project) => router.push(`/projects/${project.id}/setup`) },
    );
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="New project" noValidate>
      <TextField
        label="Project name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={fieldError(problem, "name")}
        placeholder="e.g. Clinical trial reports 2010–2020"
        required
      />
      <TextArea
        label="Description (optional)"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={fieldError(problem, "description")}
        rows={2}
      />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label="Domain (optional)"
          hint="Helps the prompts: e.g. public health, law, policy"
          value={domain}
          onChange={(e) => setDomain(e.target.value)}
          error={fieldError(problem, "domain")}
        />
        <TextField
          label="Kind of documents (optional)"
          hint="e.g. trial reports, court rulings"
          value={documentType}
          onChange={(e) => setDocumentType(e.target.value)}
          error={fieldError(problem, "documentType")}
        />
        <TextField
          label="Language"
          value={language}
          onChange={(e) => setLanguage(e.target.value)}
          error={fieldError(problem, "language")}
        />
        <SelectField
          label="Scale"
          value={scale}
          onChange={(e) => setScale(e.target.value as "SMALL" | "LARGE")}
          error={fieldError(problem, "scale")}
          options={[
            { value: "SMALL", label: "Small (up to a few hundred documents)" },
            { value: "LARGE", label: "Large (thousands of documents)" },
          ]}
        />
      </div>
      <ProblemAlert problem={problem} placedFields={FIELDS} action="Creating the project" />
      <Button type="submit" variant="primary" busy={create.isPending} busyLabel="Creating…">
        Create project
      </Button>
    </form>
  );
}
