"use client";

import { useId, useRef, useState } from "react";
import type { Schemas } from "@/api/client";
import { Button } from "@/components/ui/Button";

/** The token the API has just created: shown this once, with a way to copy it. */
export function NewTokenNotice({ token, onDone }: { token: Schemas["TokenCreated"]; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const id = useId();
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied("yes");
    } catch {
      // No clipboard (an insecure origin, or permission refused): select it for Ctrl+C.
      field.current?.select();
      setCopied("no");
    }
  }

  return (
    <div role="status" className="space-y-3 rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="new-token">
      <p className="font-semibold">Copy the token “{token.name}” now: it will not be shown again.</p>
      <p>
        CoderAI keeps only a fingerprint of it. If you lose it, revoke it and create another.
      </p>
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-0 flex-1 space-y-1">
          <label htmlFor={id} className="block text-sm font-medium">New API token</label>
          <input
            ref={field}
            id={id}
            readOnly
            value={token.token}
            onFocus={(e) => e.target.select()}
            className="block w-full rounded-md border border-amber-300 bg-white px-3 py-2 font-mono text-xs"
          />
        </div>
        <Button variant="primary" onClick={() => void copy()}>
          Copy token
        </Button>
      </div>
      <p aria-live="polite">
        {copied === "yes" && "Copied to the clipboard."}
        {copied === "no" && "This browser would not copy it: the token is selected, press Ctrl+C (⌘C)."}
      </p>
      <p className="text-amber-900">
        Use it as <code className="rounded bg-white px-1">Authorization: Bearer &lt;token&gt;</code> on requests to{" "}
        <code className="rounded bg-white px-1">/api/v1/…</code>
      </p>
      <Button onClick={onDone}>I have copied it</Button>
    </div>
  );
}
