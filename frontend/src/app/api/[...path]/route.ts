/**
 * Same-origin proxy: the browser calls /api/… here and this forwards to the CoderAI API.
 * A route handler (not a next.config rewrite) because rewrites are fixed at build time and
 * API_URL must be settable when the built app starts.
 *
 * Sign-in rides on this: the browser's Cookie and Origin go up as they came, with
 * x-forwarded-host/proto naming the origin the browser used (the API accepts an unsafe
 * request whose Origin is that origin), and every Set-Cookie comes back intact.
 */
import type { NextRequest } from "next/server";

export const dynamic = "force-dynamic";

const NOT_FORWARDED = new Set([
  "connection",
  "content-length",
  "host",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
// The body is passed through already decoded, so its framing headers no longer apply.
const NOT_RETURNED = new Set(["connection", "content-encoding", "content-length", "transfer-encoding"]);

function apiUrl(): string {
  return (process.env.API_URL || "http://127.0.0.1:8000").replace(/\/+$/, "");
}

async function proxy(
  request: NextRequest,
  context: { params: Promise<{ path: string[] }> },
): Promise<Response> {
  const { path } = await context.params;
  const incoming = new URL(request.url);
  const target = `${apiUrl()}/api/${path.map(encodeURIComponent).join("/")}${incoming.search}`;
  const headers = new Headers();
  request.headers.forEach((value, key) => {
    if (!NOT_FORWARDED.has(key.toLowerCase())) headers.set(key, value);
  });
  headers.set("x-forwarded-host", request.headers.get("host") ?? incoming.host);
  headers.set("x-forwarded-proto", incoming.protocol.replace(":", ""));
  const hasBody = !["GET", "HEAD"].includes(request.method);
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : undefined,
      redirect: "manual",
      cache: "no-store",
      // Stream uploads instead of buffering them (Node's fetch needs this for a stream body).
      ...(hasBody ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch (error) {
    const reason = error instanceof Error ? (error.cause as Error | undefined)?.message ?? error.message : "";
    return Response.json(
      {
        type: "about:blank",
        title: "Bad Gateway",
        status: 502,
        detail: `The CoderAI API at ${apiUrl()} is not reachable${reason ? ` (${reason})` : ""}. Is it running?`,
      },
      { status: 502, headers: { "content-type": "application/problem+json" } },
    );
  }
  const responseHeaders = new Headers();
  upstream.headers.forEach((value, key) => {
    const name = key.toLowerCase();
    if (!NOT_RETURNED.has(name) && name !== "set-cookie") responseHeaders.set(key, value);
  });
  // Each Set-Cookie on its own line: joined with commas (what get() or set() would give) a
  // browser cannot split them again, since cookie dates contain commas.
  for (const cookie of upstream.headers.getSetCookie()) responseHeaders.append("set-cookie", cookie);
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: responseHeaders,
  });
}

export { proxy as DELETE, proxy as GET, proxy as PATCH, proxy as POST, proxy as PUT };
