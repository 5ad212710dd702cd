"use client";

import type { ReactNode } from "react";
import { useMe } from "@/api/hooks/auth";
import { Notice } from "@/components/ui/Feedback";

/** Admin pages: others are told, rather than shown a 403. */
export function AdminOnly({ children }: { children: ReactNode }) {
  const me = useMe();
  if (!me.data) return null;
  if (!me.data.isAdmin) return <Notice tone="warning">Only admins of this CoderAI instance can see this page.</Notice>;
  return <>{children}</>;
}
