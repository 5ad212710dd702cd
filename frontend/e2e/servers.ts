/** The processes the e2e test drives: the fake LLM, the API (embedded PostgreSQL in a temp
 * DATA_DIR unless E2E_DATABASE_URL is set) and the built web app. Each runs in its own process
 * group so stopping it also stops what it started (the embedded PostgreSQL). */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import net from "node:net";
import path from "node:path";

export const FRONTEND = path.resolve(import.meta.dirname, "..");
export const REPO = path.resolve(FRONTEND, "..");
export const BACKEND = path.join(REPO, "backend");
export const VENV_BIN = process.env.E2E_VENV_BIN ?? path.join(REPO, ".venv", "bin");

export interface Server {
  name: string;
  child: ChildProcess;
  url: string;
  log: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function start(name: string, command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; logDir: string }) {
  const log = path.join(options.logDir, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return { child, log };
}

/** Our environment without CoderAI settings a developer may have exported. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {};
  const known = /^(DATABASE_URL|DATA_DIR|OPENAI_API_KEY|LLM_[A-Z_]+|CORS_ORIGINS|API_URL|PORT)$/;
  for (const [key, value] of Object.entries(process.env)) if (!known.test(key)) env[key] = value;
  return { ...env, PYTHONUNBUFFERED: "1", ...extra } as unknown as NodeJS.ProcessEnv;
}

async function waitFor(url: string, server: Omit<Server, "url">, timeoutMs: number, ok: (r: Response) => Promise<boolean> = async (r) => r.ok) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`${server.name} exited early (code ${server.child.exitCode}); see ${server.log}`);
    try {
      const response = await fetch(url);
      if (await ok(response)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${server.name} was not ready at ${url} after ${timeoutMs} ms; see ${server.log}`);
}

export async function startFakeLlm(factsFile: string, logDir: string): Promise<Server> {
  const port = await freePort();
  const args = ["-m", "tests.support.fake_llm", "--port", String(port), "--facts", factsFile, "--model", "fake-model", "--latency-ms", "400"];
  const started = start("fake-llm", path.join(VENV_BIN, "python"), args, { cwd: BACKEND, env: cleanEnv({ PYTHONPATH: BACKEND }), logDir });
  const server = { name: "fake-llm", ...started, url: `http://127.0.0.1:${port}/v1` };
  await waitFor(`${server.url}/models`, server, 30_000, async (r) => r.status < 500);
  return server;
}

export async function startApi(llmUrl: string, dataDir: string, logDir: string): Promise<Server> {
  const port = await freePort();
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LLM_BASE_URL: llmUrl,
    LLM_API_KEY: "e2e",
    LLM_MODEL: "fake-model",
  };
  if (process.env.E2E_DATABASE_URL) env.DATABASE_URL = process.env.E2E_DATABASE_URL;
  const args = ["serve", "--host", "127.0.0.1", "--port", String(port)];
  const started = start("api", path.join(VENV_BIN, "coderai"), args, { cwd: REPO, env: cleanEnv(env), logDir });
  const server = { name: "api", ...started, url: `http://127.0.0.1:${port}` };
  await waitFor(`${server.url}/api/v1/health`, server, 120_000, async (r) => r.ok && (await r.text()).includes('"database":"ok"'));
  return server;
}

export async function startWeb(apiUrl: string, logDir: string): Promise<Server> {
  const port = await freePort();
  const next = path.join(FRONTEND, "node_modules", ".bin", "next");
  const started = start("web", next, ["start", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: FRONTEND,
    env: cleanEnv({ API_URL: apiUrl, NEXT_TELEMETRY_DISABLED: "1" }),
    logDir,
  });
  const server = { name: "web", ...started, url: `http://127.0.0.1:${port}` };
  await waitFor(`${server.url}/api/v1/health`, server, 60_000);
  return server;
}

/** SIGTERM to the process group, SIGKILL if it has not ended in time. */
export async function stop(server: Server | undefined, timeoutMs = 15_000): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.pid === undefined) return;
  const pid = server.child.pid;
  const ended = new Promise<void>((resolve) => server.child.once("exit", () => resolve()));
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs));
  if ((await Promise.race([ended, timer])) === "timeout") {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
