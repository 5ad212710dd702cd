"use client";

import { useVariable } from "@/api/hooks/variables";
import { Spinner } from "@/components/ui/Button";
import { Badge, ProblemAlert } from "@/components/ui/Feedback";
import { formatDateTime } from "@/lib/format";

/** The prompt the API generated from the variable (the active version). */
export function PromptPanel({ variableId }: { variableId: string }) {
  const variable = useVariable(variableId);
  const prompt = variable.data?.currentPrompt;
  if (variable.isPending) return <Spinner label="Loading the prompt…" />;
  return (
    <div className="space-y-2">
      <ProblemAlert error={variable.error} action="Loading the prompt" />
      {prompt ? (
        <>
          <p className="flex flex-wrap items-center gap-2 text-sm text-slate-600">
            <span className="font-medium text-slate-800">Version {prompt.version}</span>
            <Badge value={prompt.origin} />
            <span>created {formatDateTime(prompt.createdAt)}</span>
            <span>model {String(prompt.modelConfig.model ?? "default")}</span>
          </p>
          <pre
            className="max-h-96 overflow-auto whitespace-pre-wrap rounded-md bg-slate-900 p-4 text-xs leading-relaxed text-slate-100"
            role="region"
            aria-label="Prompt text"
            tabIndex={0}
          >
            {prompt.promptText}
          </pre>
        </>
      ) : (
        <p className="text-sm text-slate-600">No prompt yet: save the variable to generate one.</p>
      )}
    </div>
  );
}
