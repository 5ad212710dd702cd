import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { AuthGate } from "@/components/auth/AuthGate";
import { UserMenu } from "@/components/auth/UserMenu";
import "./globals.css";
import { Providers } from "./providers";

export const metadata: Metadata = {
  title: "CoderAI",
  description: "Turn document collections into research datasets",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
        >
          Skip to content
        </a>
        <Providers>
          <header className="border-b border-slate-200 bg-white">
            <div className="mx-auto flex max-w-7xl items-center justify-between gap-4 px-6 py-3">
              <div className="flex items-center gap-6">
                <Link href="/" className="text-lg font-semibold text-indigo-700">
                  CoderAI
                </Link>
                <nav aria-label="Main">
                  <Link href="/" className="text-sm text-slate-700 hover:text-indigo-700">
                    Projects
                  </Link>
                </nav>
              </div>
              <UserMenu />
            </div>
          </header>
          <main id="main" className="mx-auto max-w-7xl px-6 py-6">
            <AuthGate>{children}</AuthGate>
          </main>
        </Providers>
      </body>
    </html>
  );
}
