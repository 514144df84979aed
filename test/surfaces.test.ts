// Where fleetfed writes and what it prints, against the file-system shapes a careless or hostile person
// leaves at every input and output path (issue #21): nothing outside the root is read or written, every
// run ends in bounded time with exit 0, 1 or 2, and no output carries a stack trace.

import { execFileSync } from "node:child_process";
import { readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { digestTree, makeRepo, runCli } from "./support/repo.ts";

const FLEET = {
  "fleet.yaml": "federation:\n  shardSize: 2\n",
  "clusters/alpha.yaml": "cluster: alpha\nendpoint: prometheus.alpha.example.com:9090\n",
  "clusters/bravo.yaml": "cluster: bravo\nendpoint: prometheus.bravo.example.com:9090\n",
};

describe("generated output is written only inside the repository", () => {
  let template: string;
  beforeAll(async () => {
    template = await makeRepo(FLEET);
    expect((await runCli(["render", "--root", template])).code).toBe(0);
  });

  it("refuses a manifests/ that is a link to a folder outside: that folder keeps every file (#21.2)", async () => {
    const root = await makeRepo(FLEET);
    const outside = await makeRepo({ "precious.txt": "mine\n", "federation/x.yaml": "theirs\n" });
    symlinkSync(outside, join(root, "manifests"));
    const before = await digestTree(outside);
    for (const args of [["render"], ["render", "--check"], ["check"], ["plan"], ["sync", "--local"]]) {
      const r = await runCli([...args, "--root", root]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(
        /^error: manifests: is a symbolic link; fleetfed writes generated files only inside/m,
      );
      expect(await digestTree(outside)).toBe(before);
    }
  });

  it("refuses a linked folder inside manifests/ before writing anything (#21.2)", async () => {
    const root = await makeRepo({}, template);
    const outside = await makeRepo({ "keep.txt": "mine\n" });
    execFileSync("rm", ["-r", join(root, "manifests", "federation", "global")]);
    symlinkSync(outside, join(root, "manifests", "federation", "global"));
    const r = await runCli(["render", "--root", root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: manifests\/federation\/global: is a symbolic link/m);
    expect(readdirSync(outside)).toEqual(["keep.txt"]);
  });

  it("answers check with an unusable $TMPDIR in one line, exit 1 (#21.11)", async () => {
    const root = await makeRepo(FLEET); // no manifests/ yet: stale, so promtool runs on a scratch copy
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(root, "no-such-folder");
    try {
      const r = await runCli(["check", "--root", root]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: cannot make a scratch folder in .*no-such-folder: ENOENT \(set TMPDIR/m,
      );
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
