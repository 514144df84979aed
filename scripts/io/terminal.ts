// stderr reporting: live progress on a TTY, plain lines otherwise. stdout is kept for results only.

export interface Reporter {
  info(line: string): void;
  warn(line: string): void;
  /** A live status line on a TTY (replaced by the next); nothing otherwise, where the final summary is enough. */
  progress(line: string): void;
  /** Runs `fn`, showing `label` while it runs and how long it took. */
  step<T>(label: string, fn: () => Promise<T> | T): Promise<T>;
}

export function createReporter(stream: NodeJS.WriteStream | NodeJS.WritableStream, isTTY: boolean): Reporter {
  const write = (s: string) => stream.write(s);
  return {
    info: (line) => write(`${line}\n`),
    warn: (line) => write(`warning: ${line}\n`),
    progress: (line) => {
      if (isTTY) write(`\r\x1b[2K… ${line}`);
    },
    async step(label, fn) {
      const start = performance.now();
      if (isTTY) write(`… ${label}`);
      try {
        const result = await fn();
        const ms = Math.round(performance.now() - start);
        write(isTTY ? `\r\x1b[2K✓ ${label} (${ms} ms)\n` : `${label}: done in ${ms} ms\n`);
        return result;
      } catch (e) {
        write(isTTY ? `\r\x1b[2K✗ ${label}\n` : `${label}: failed\n`);
        throw e;
      }
    },
  };
}
