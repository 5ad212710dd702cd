"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useEffect } from "react";
import { authKeys, useMe, useSetupStatus } from "@/api/hooks/auth";
import { AuthCard } from "@/components/auth/AuthCard";
import { LoginForm } from "@/components/auth/LoginForm";
import { Spinner } from "@/components/ui/Button";
import { SETUP_PATH, safeNext } from "@/lib/session";

export default function LoginPage() {
  return (
    <Suspense fallback={<Spinner label="Loading…" />}>
      <Login />
    </Suspense>
  );
}

function Login() {
  const router = useRouter();
  const client = useQueryClient();
  const next = safeNext(useSearchParams().get("next"));
  const me = useMe();
  const setup = useSetupStatus();
  const needsSetup = setup.data?.needsSetup === true;

  // Already signed in: straight on. A new instance: its first account first.
  useEffect(() => {
    if (me.data) router.replace(next);
    else if (needsSetup) router.replace(SETUP_PATH);
  }, [me.data, needsSetup, next, router]);

  if (me.data || needsSetup) return <Spinner label="Redirecting…" />;
  return (
    <AuthCard
      title="Sign in to CoderAI"
      description={next === "/" ? "Use the account an admin of this instance gave you." : "Sign in to continue to the page you asked for."}
    >
      <LoginForm
        onSignedIn={() => {
          void client.invalidateQueries({ queryKey: authKeys.setup });
          router.replace(next);
        }}
      />
    </AuthCard>
  );
}
