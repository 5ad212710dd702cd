"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useSetupStatus } from "@/api/hooks/auth";
import { AuthCard } from "@/components/auth/AuthCard";
import { SetupForm } from "@/components/auth/SetupForm";
import { Spinner } from "@/components/ui/Button";
import { Notice, ProblemAlert } from "@/components/ui/Feedback";
import { LOGIN_PATH } from "@/lib/session";

export default function SetupPage() {
  const router = useRouter();
  const setup = useSetupStatus();
  const [created, setCreated] = useState(false);
  const done = setup.data?.needsSetup === false;

  // Someone else set it up already: sign in instead. (Not after creating it here.)
  useEffect(() => {
    if (done && !created) router.replace(LOGIN_PATH);
  }, [done, created, router]);

  if (created) return <Spinner label="Signed in; opening your projects…" />;
  if (setup.isPending) return <Spinner label="Loading…" />;
  if (setup.isError) return <ProblemAlert error={setup.error} action="Checking this instance" />;
  if (done) {
    return (
      <Notice>
        This instance already has its first account. <Link href={LOGIN_PATH} className="font-medium underline">Sign in</Link>.
      </Notice>
    );
  }
  return (
    <AuthCard
      title="Create the first account"
      description="This CoderAI has no accounts yet. The first one is an admin: it can create accounts for the rest of the lab and see every project."
    >
      <SetupForm
        onCreated={() => {
          setCreated(true);
          router.replace("/");
        }}
      />
    </AuthCard>
  );
}
