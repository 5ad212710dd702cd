/** Signing in and out: which pages are open to everyone, where to go back to after signing
 * in (never off this site), and what an API answer says about the session. */
import { ApiError } from "./problem";

export const LOGIN_PATH = "/login";
export const SETUP_PATH = "/setup";

/** The API's minimum for a new password (SetupRequest and UserCreate). */
export const MIN_PASSWORD_LENGTH = 10;

const PUBLIC_PATHS = new Set([LOGIN_PATH, SETUP_PATH]);

/** Pages shown without an account: sign-in and first-run setup. */
export function isPublicPath(pathname: string): boolean {
  const path = pathname.replace(/\/+$/, "") || "/";
  return PUBLIC_PATHS.has(path);
}

/** Where to go after signing in: a path on this site, never the sign-in pages themselves and
 * never another site ("//evil.example", "https://…", "/\\evil" are refused). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (/[\u0000-\u001f]/.test(next)) return "/";
  const path = next.split(/[?#]/)[0] ?? "/";
  return isPublicPath(path) ? "/" : next;
}

/** The sign-in page, told to come back to `returnTo` (the page the visitor wanted). */
export function loginHref(returnTo?: string | null): string {
  const next = safeNext(returnTo);
  return next === "/" ? LOGIN_PATH : `${LOGIN_PATH}?next=${encodeURIComponent(next)}`;
}

/** A 401: not signed in, or the session has ended. */
export function isSessionEnded(error: unknown): boolean {
  return error instanceof ApiError && error.problem.status === 401;
}

/** What is wrong with a new password and its confirmation, in words, or null. */
export function passwordProblem(password: string, confirmation: string): { password?: string; confirmation?: string } | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return { password: `Use at least ${MIN_PASSWORD_LENGTH} characters.` };
  }
  if (password !== confirmation) return { confirmation: "The two passwords differ." };
  return null;
}

/** "Retry-After: 120" → "Try again in 2 minutes." (a throttled sign-in). */
export function retryAfterWords(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds <= 0) return "Try again later.";
  if (seconds < 60) return `Try again in ${Math.ceil(seconds)} second${Math.ceil(seconds) === 1 ? "" : "s"}.`;
  const minutes = Math.ceil(seconds / 60);
  return `Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

const PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A password to hand to a new account's owner: 16 characters without look-alikes (0/O,
 * 1/l/I), from the random bytes given (crypto.getRandomValues in the browser). Rejection
 * sampling keeps every character equally likely; too few bytes give a shorter password. */
export function generatePassword(randomBytes: Uint8Array, length = 16): string {
  const limit = 256 - (256 % PASSWORD_ALPHABET.length);
  let password = "";
  for (const byte of randomBytes) {
    if (password.length === length) break;
    if (byte < limit) password += PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length];
  }
  return password;
}
