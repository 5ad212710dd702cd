"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import { useLogout, useMe } from "@/api/hooks/auth";
import { Button } from "@/components/ui/Button";
import { ProblemAlert } from "@/components/ui/Feedback";
import { LOGIN_PATH } from "@/lib/session";

const LINK = "block rounded px-3 py-2 text-sm text-slate-700 hover:bg-slate-100 focus:bg-slate-100";

/** The header's right side once signed in: admin pages, and the account menu (name, API
 * tokens, sign out). A disclosure: Escape or a click elsewhere closes it. */
export function UserMenu() {
  const me = useMe();
  const logout = useLogout();
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);

  useEffect(() => setOpen(false), [pathname]);
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        toggle.current?.focus();
      }
    };
    const onClick = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);

  const user = me.data;
  if (!user) return null;

  function signOut() {
    // A full page load: nothing the session loaded stays in memory.
    logout.mutate(undefined, { onSuccess: () => window.location.assign(LOGIN_PATH) });
  }

  return (
    <div className="flex items-center gap-4">
      {user.isAdmin && (
        <nav aria-label="Administration" className="flex items-center gap-4 text-sm">
          <Link href="/admin/users" className="text-slate-700 hover:text-indigo-700">Users</Link>
          <Link href="/admin/activity" className="text-slate-700 hover:text-indigo-700">Activity</Link>
        </nav>
      )}
      <div ref={root} className="relative">
        <button
          ref={toggle}
          type="button"
          aria-expanded={open}
          aria-controls={panelId}
          onClick={() => setOpen((o) => !o)}
          className="flex items-center gap-2 rounded-md border border-slate-300 px-3 py-1.5 text-sm text-slate-800 hover:bg-slate-50"
        >
          <span className="sr-only">Account menu for </span>
          <span data-testid="signed-in-user">{user.displayName}</span>
          {user.isAdmin && <span className="rounded bg-indigo-100 px-1.5 text-xs text-indigo-800">admin</span>}
          <span aria-hidden="true">▾</span>
        </button>
        <div
          id={panelId}
          hidden={!open}
          className="absolute right-0 z-30 mt-1 w-64 rounded-md border border-slate-200 bg-white p-2 shadow-lg"
        >
          <p className="px-3 py-2 text-xs text-slate-500">
            Signed in as <span className="font-medium text-slate-700">{user.email}</span>
          </p>
          <ul>
            <li><Link href="/" className={LINK}>Projects</Link></li>
            <li><Link href="/account/tokens" className={LINK}>API tokens</Link></li>
            {user.isAdmin && <li><Link href="/admin/users" className={LINK}>Users</Link></li>}
            {user.isAdmin && <li><Link href="/admin/activity" className={LINK}>Instance activity</Link></li>}
          </ul>
          <div className="mt-1 border-t border-slate-100 pt-2">
            <Button variant="ghost" className="w-full justify-start" busy={logout.isPending} busyLabel="Signing out…" onClick={signOut}>
              Sign out
            </Button>
            <ProblemAlert error={logout.error} action="Signing out" />
          </div>
        </div>
      </div>
    </div>
  );
}
