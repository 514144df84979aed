// fleetfed in a child process with a kill timer, for inputs that could block a read (a FIFO, a device):
// a blocked open() or read() holds the thread it runs on, so no timer in that thread, vitest's deadline
// included, ever fires. In a child, the timer is the parent's, and a hang becomes a failed test.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { type CliResult, EXAMPLE_FLEET, PROJECT_ROOT } from "./repo.ts";

const CLI = join(PROJECT_ROOT, "scripts", "fleetfed.js");

export async function runCliIsolated(
  args: string[],
  opts: { env?: Record<string, string>; killAfterMs?: number } = {},
): Promise<CliResult & { killed: boolean }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: EXAMPLE_FLEET,
    // As runCli gives main(): only what the test names, and what a process needs to start.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += String(c)));
  child.stderr.on("data", (c) => (stderr += String(c)));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, opts.killAfterMs ?? 30_000);
  const code = await new Promise<number>((resolve) => child.once("close", (c) => resolve(c ?? -1)));
  clearTimeout(timer);
  return {
    code,
    stdout,
    stderr: killed ? `${stderr}\nkilled: still running after the kill timer (a blocked read?)` : stderr,
    killed,
  };
}
