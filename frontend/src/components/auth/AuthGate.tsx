"use client";

import { usePathname, useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { useMe, useSetupStatus } from "@/api/hooks/auth";
import { Button, Spinner } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { SETUP_PATH, isPublicPath, loginHref } from "@/lib/session";

/** Shows a page only to a signed-in visitor. Anyone else goes to the first-run setup (while
 * the instance has no account) or to the sign-in page, which brings them back here. */
export function AuthGate({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const router = useRouter();
  const open = isPublicPath(pathname);
  const me = useMe();
  const signedOut = !open && me.data === null;
  const setup = useSetupStatus(signedOut);
  const setupKnown = setup.isSuccess || setup.isError;
  const needsSetup = setup.data?.needsSetup === true;

  useEffect(() => {
    if (!signedOut || !setupKnown) return;
    // The query string too: e.g. the results page of a chosen job.
    router.replace(needsSetup ? SETUP_PATH : loginHref(`${window.location.pathname}${window.location.search}`));
  }, [signedOut, setupKnown, needsSetup, router]);

  if (open || me.data) return <>{children}</>;
  if (me.isError) {
    return (
      <div className="mx-auto max-w-xl space-y-3 py-10">
        <ProblemAlert error={me.error} action="Checking your session" />
        <Button onClick={() => void me.refetch()}>Try again</Button>
      </div>
    );
  }
  return (
    <div className="py-10 text-sm text-slate-600">
      <Spinner label={signedOut ? "Taking you to sign in…" : "Checking your session…"} />
    </div>
  );
}
