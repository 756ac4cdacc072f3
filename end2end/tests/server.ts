// Starts the `changemaker` binary on a free port with a fresh data directory (SQLite),
// and reads the one-time setup link it prints on first run.
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface RunningServer {
  baseURL: string;
  setupUrl: string;
  /** Its data directory (the database and `secret.key`). */
  dataDir: string;
  stop: () => Promise<void>;
}

// The debug build `cargo test` makes (scripts/test.sh turns on its `embed` feature).
const binary = resolve(__dirname, "../../target/debug/changemaker");

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

export async function startServer(extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "changemaker-e2e-"));
  const baseURL = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(binary, [], {
    env: {
      PATH: process.env.PATH ?? "",
      CHANGEMAKER_DATA_DIR: dataDir,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      RUST_LOG: process.env.CHANGEMAKER_E2E_LOG ?? "warn",
      // Several volunteers sign up from this one address within a minute.
      CHANGEMAKER_SIGNUP_RATE_LIMIT: "100",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk) => process.stderr.write(chunk));
  const setupUrl = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server printed no setup link:\n${output}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/(http:\/\/\S+\/setup\?token=\S+)/);
      if (match) {
        clearTimeout(timer);
        ok(match[1]);
      }
    });
    child.on("exit", (code) => fail(new Error(`server exited with ${code}:\n${output}`)));
  });
  // Wait until it answers.
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${baseURL}/readyz`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    baseURL,
    setupUrl,
    dataDir,
    stop: async () => {
      const exited = new Promise((r) => child.on("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
