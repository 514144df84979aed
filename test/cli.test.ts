import { execFileSync } from "node:child_process";
import { Writable } from "node:stream";
// The CLI contract (SPEC §4.1): output formats, exit codes, and that refusals change nothing.

import { chmod, chown, mkdir, readdir, readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { $ } from "zx";
import { compileCacheDir, trustedFolder } from "../scripts/compile-cache.js";
import { annotation, main } from "../scripts/fleetfed.ts";
import { exportZone } from "./support/fleet.ts";
import { digestTree, EXAMPLE_FLEET, makeRepo, PROJECT_ROOT, runCli, writeFiles } from "./support/repo.ts";

describe("fleetfed discover", () => {
  it("prints the §4.1 JSON document sorted by cluster", async () => {
    const r = await runCli(["discover", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      clusters: { cluster: string; endpoint: string; scheme: string; source: object }[];
    };
    const ids = doc.clusters.map((c) => c.cluster);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual([
      "analytics-eu",
      "checkout-prod",
      "ci-runners",
      "orders-prod",
      "payments-eu",
      "payments-prod",
      "sandbox-3",
      "search-prod",
      "staging",
    ]);
    expect(doc.clusters[1]).toEqual({
      cluster: "checkout-prod",
      endpoint: "prometheus.checkout-prod.internal.example.com:80",
      scheme: "http",
      source: {
        kind: "route53",
        zoneId: "Z0EXAMPLEPRIVATE1",
        zoneName: "internal.example.com",
        record: "prometheus.checkout-prod.internal.example.com",
        type: "A",
        setIdentifier: "blue",
        recordSets: 2,
      },
    });
    expect(r.stderr).toMatch(/Route 53 exports in examples\/route53: 2 zones, 19 records, 9 clusters/);
  });
});

describe("fleetfed sync --local and plan", () => {
  it("writes the snapshot and manifests/ on the first run, and reports no change on the second", async () => {
    const root = await makeRepo({
      "fleet.yaml": "discovery:\n  route53:\n    exports: exports\nfederation:\n  shardSize: 2\n",
      "exports/Z1.json": exportZone(["a", "b", "c"]),
    });
    const first = await runCli(["sync", "--local", "--root", root]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /fleet: 0 clusters on 0 leaf federator\(s\) → 3 clusters on 2 leaf federator\(s\) \+ global/,
    );
    const snapshot = JSON.parse(await readFile(join(root, "fleet.snapshot.json"), "utf8"));
    expect(snapshot.placement).toEqual({ "leaf-000": ["a", "b"], "leaf-001": ["c"] });
    expect((await runCli(["render", "--check", "--root", root])).code).toBe(0);

    const second = await runCli(["sync", "--local", "--root", root]);
    expect(second.stdout).toMatch(/^unchanged\n/);
    const plan = await runCli(["plan", "--root", root]);
    expect(plan.stdout).toMatch(/clusters: no change\nmanifests\/: no change\nsnapshot: no change/);

    // A new record: plan shows it on the leaf with room, and a dry run previews the pull request.
    await writeFiles(root, {
      "exports/Z1.json": exportZone(["a", "b", "c", "d"]),
    });
    const before = await digestTree(root);
    const next = await runCli(["plan", "--root", root]);
    expect(next.stdout).toMatch(/^\+\s+d\s+prometheus\.d\.internal\.example\.com:80\s+leaf-001$/m);
    expect(next.stdout).toContain("~ manifests/federation/leaf-001/prometheus.yml");
    const dry = await runCli(["sync", "--dry-run", "--root", root]);
    expect(dry.stdout).toMatch(/^# fleetfed: add 1 cluster\n/);
    expect(dry.stdout).toContain("| `d` | `prometheus.d.internal.example.com:80` | leaf-001 | — |");
    expect(await digestTree(root)).toBe(before); // plan and --dry-run write nothing
  });

  it("plan shows a hand-written cluster and enabled: false against manifests/; render names the files", async () => {
    const root = await makeRepo({
      "fleet.yaml": "discovery:\n  route53:\n    exports: exports\nfederation:\n  shardSize: 2\n",
      "exports/Z1.json": exportZone(["a", "b", "c"]),
    });
    expect((await runCli(["sync", "--local", "--root", root])).code).toBe(0);
    await writeFiles(root, {
      "clusters/legacy-dc3.yaml": "cluster: legacy-dc3\nendpoint: 10.3.0.9:9090\n",
      "clusters/c.yaml": "cluster: c\nenabled: false\n",
    });
    const plan = await runCli(["plan", "--root", root]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^-\s+c\s+prometheus\.c\.internal\.example\.com:80\s+leaf-001$/m);
    expect(plan.stdout).toMatch(/^\+\s+legacy-dc3\s+10\.3\.0\.9:9090\s+leaf-001$/m);
    expect(plan.stdout).not.toContain("clusters: no change");
    const render = await runCli(["render", "--root", root]);
    // legacy-dc3's onboarding files come, c's go.
    expect(render.stdout).toMatch(/^rendered manifests\/: 2 added, \d+ changed, 2 removed/);
    expect(render.stdout).toContain("  + manifests/onboarding/legacy-dc3/kube-prometheus-stack.yaml");
    expect(render.stdout).toContain("  - manifests/onboarding/c/prometheus-operator.yaml");
    expect(render.stdout).toContain("  ~ manifests/federation/leaf-001/prometheus.yml");
    const again = await runCli(["plan", "--root", root]);
    expect(again.stdout).toMatch(/clusters: no change\nmanifests\/: no change/);
  });

  it("refuses a discovery that finds nothing where the snapshot has clusters, and changes nothing", async () => {
    const root = await makeRepo({}, EXAMPLE_FLEET);
    await writeFiles(root, {
      "examples/route53/Z0EXAMPLEPRIVATE1.json": exportZone([]),
      "examples/route53/Z0EXAMPLEPRIVATE2.json": exportZone([], "eu.internal.example.com"),
    });
    const before = await digestTree(root);
    for (const args of [["sync", "--local"], ["plan"], ["sync", "--dry-run"]]) {
      const r = await runCli([...args, "--root", root]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /error: discovery found no clusters in Route 53 exports in examples\/route53 \(2 zones, 2 records\), but the snapshot has 8; refusing to remove them all/,
      );
    }
    expect(await digestTree(root)).toBe(before);
  });

  it("warns when more clusters would be removed than safety.maxRemovals", async () => {
    const root = await makeRepo({}, EXAMPLE_FLEET);
    await writeFiles(root, {
      "fleet.yaml": (await readFile(join(EXAMPLE_FLEET, "fleet.yaml"), "utf8")).replace(
        "maxRemovals: 5",
        "maxRemovals: 0",
      ),
      "examples/route53/Z0EXAMPLEPRIVATE2.json": exportZone([], "eu.internal.example.com"),
    });
    const r = await runCli(["plan", "--root", root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: 2 clusters would be removed, more than safety.maxRemovals \(0\)/);
  });
});

describe("plan on secured clusters", () => {
  it("reports no phantom auth change for an authorization without a type (#22)", async () => {
    const root = await makeRepo({
      "fleet.yaml": "federation:\n  shardSize: 2\n  secrets: [t]\n",
      "clusters/edge-1.yaml":
        "cluster: edge-1\nendpoint: p.e.example.com:9090\nscheme: https\nauthorization: {credentialsFile: /etc/fleetfed/secrets/t/token}\n",
    });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const r = await runCli(["plan", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^clusters: no change$/m);
    expect(r.stdout).not.toMatch(/edge-1.*auth/);
    // A real change of it is still one.
    await writeFiles(root, {
      "clusters/edge-1.yaml":
        "cluster: edge-1\nendpoint: p.e.example.com:9090\nscheme: https\nauthorization: {credentialsFile: /etc/fleetfed/secrets/t/other}\n",
    });
    expect((await runCli(["plan", "--root", root])).stdout).toMatch(/^~\s+edge-1 .* auth$/m);
  });
});

describe("usage", () => {
  it.each([
    [["frobnicate"], /unknown command "frobnicate"/],
    [["render", "--json"], /--json does not apply to render/],
    [["render", "--bogus"], /fleetfed: unknown option --bogus/],
    [[], /usage: fleetfed <command>/],
  ])("exits 2 for %j", async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("prints help on stdout with exit 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /exit codes: 0 success, 1 failed check or refused change, 2 bad usage or invalid input/,
    );
  });

  it("runs as the package's executable, twice with the compile cache, with its exit codes", async () => {
    const bin = join(
      PROJECT_ROOT,
      JSON.parse(await readFile(join(PROJECT_ROOT, "package.json"), "utf8")).bin.fleetfed,
    );
    const cache = await makeRepo();
    // Left to itself: vitest turns the cache on for its own workers, which hands NODE_COMPILE_CACHE down.
    const { NODE_COMPILE_CACHE: _, ...env } = process.env;
    for (let run = 0; run < 2; run++) {
      const ok = await $({
        nothrow: true,
        quiet: true,
        env: { ...env, TMPDIR: cache },
      })`${process.execPath} ${bin} render --check --root ${EXAMPLE_FLEET}`;
      expect(ok.exitCode, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(
        /^manifests\/ is up to date \(8 clusters on 2 leaf federator\(s\) \+ global\)/,
      );
    }
    // The executable turned the cache on itself, in the checkout: nothing went to the shared $TMPDIR.
    expect(await readdir(cache)).toEqual([]);
    expect(
      (await readdir(compileCacheDir(join(PROJECT_ROOT, "scripts")), { recursive: true })).length,
    ).toBeGreaterThan(10);
    const bad = await $({ nothrow: true, quiet: true })`${process.execPath} ${bin} frobnicate`;
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "frobnicate"/);
  });
});

describe("the command line in fleetfed's own words (#22)", () => {
  it.each(["render", "check", "plan", "discover", "init", "sync"])(
    "%s --help prints that command's usage and flags on stdout, exit 0",
    async (command) => {
      const r = await runCli([command, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: fleetfed ${command}\\b`));
      expect(r.stdout).not.toMatch(/^commands:/m);
    },
  );

  it("prints its version", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `fleetfed ${JSON.parse(await readFile(join(PROJECT_ROOT, "package.json"), "utf8")).version}\n`,
    );
  });

  it.each([
    [["render", "--bogus"], "unknown option --bogus", "render"],
    [["render", "--root"], "--root needs a value", "render"],
    [["plan", "--offline=yes"], "--offline takes no value", "plan"],
    [["plan", "--json"], "--json does not apply to plan", "plan"],
    [["sync", "--local", "--dry-run"], "--dry-run and --local cannot be used together", "sync"],
  ])("answers %j with one line and the command's usage, exit 2", async (args, says, command) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    const [first, blank, usage] = r.stderr.split("\n");
    expect(first).toBe(`fleetfed: ${says}`);
    expect(blank).toBe("");
    expect(usage).toMatch(new RegExp(`^usage: fleetfed ${command}\\b`));
    // Node's own parser message (with its unbalanced quote) never shows through.
    expect(r.stderr).not.toMatch(/To specify a positional argument|'--/);
  });
});

describe("the executable on an old Node", () => {
  // The system Node of a fresh machine (Debian's, 20 here), not the Node 24 npm installed for the tests.
  const old = ["/usr/bin/node", "/usr/local/bin/node"].find((p) => {
    try {
      const [major, minor] = execFileSync(p, ["-p", "process.versions.node"], { encoding: "utf8" })
        .trim()
        .split(".")
        .map(Number);
      return (major ?? 0) < 22 || (major === 22 && (minor ?? 0) < 18);
    } catch {
      return false;
    }
  });

  it.skipIf(!old)("says in one line which Node it needs and how to run it, with no stack trace", async () => {
    const r = await $({
      nothrow: true,
      quiet: true,
    })`${old} ${join(PROJECT_ROOT, "scripts", "fleetfed.js")} plan`;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^fleetfed: needs Node 22\.18 or newer; .*node-version: 24.*npm run fleetfed -- <command>/,
    );
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("the executable's output cut short", () => {
  it("stops quietly when the reader goes away (plan | head -c 100), with no EPIPE stack trace (#21.12)", async () => {
    const files: Record<string, string> = { "fleet.yaml": "federation:\n  shardSize: 50\n" };
    for (let i = 0; i < 3000; i++) {
      const id = `c-${String(i).padStart(4, "0")}`;
      files[`clusters/${id}.yaml`] = `cluster: ${id}\nendpoint: prometheus.${id}.example.com:9090\n`;
    }
    const root = await makeRepo(files);
    const bin = join(PROJECT_ROOT, "scripts", "fleetfed.js");
    const r = await $({
      nothrow: true,
      quiet: true,
    })`bash -c ${`"$0" "$1" plan --root "$2" 2>"$2/err" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`} ${process.execPath} ${bin} ${root}`;
    const stderr = await readFile(join(root, "err"), "utf8");
    expect(stderr).toMatch(/^reading inputs: done/);
    expect(stderr).not.toMatch(/EPIPE|\n\s+at |internal error/);
    expect(r.stdout.trim()).toBe("0");
  });
});

describe("the compile cache (#21.5)", () => {
  it("is used only in folders this user owns that no one else may write, never through a link", async () => {
    const top = await makeRepo();
    const dir = join(top, "a", "cache");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(join(top, "a"), 0o755);
    await chmod(top, 0o700);
    expect(trustedFolder(dir, top)).toBe(true);
    // Another local user could have made it, or may write into it or a folder above it.
    await chmod(join(top, "a"), 0o777);
    expect(trustedFolder(dir, top)).toBe(false);
    await chmod(join(top, "a"), 0o755);
    await chown(dir, 65534, 65534);
    expect(trustedFolder(dir, top)).toBe(false);
    expect(trustedFolder(dir, top, 65534)).toBe(false); // the folders above are not that user's
    await chown(dir, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    const elsewhere = await makeRepo();
    await symlink(elsewhere, join(top, "linked"));
    expect(trustedFolder(join(top, "linked"), top)).toBe(false);
    expect(trustedFolder(join(top, "missing"), top)).toBe(false);
  });
});

describe("the failure reporter", () => {
  // A bug provoked on purpose: stdout that throws on the first write a command makes.
  const broken = async (env: Record<string, string>) => {
    let stderr = "";
    const code = await main({
      argv: ["render", "--check", "--root", EXAMPLE_FLEET],
      env,
      cwd: EXAMPLE_FLEET,
      stdout: {
        write() {
          throw new TypeError("cannot read properties of undefined (reading 'x')");
        },
      } as unknown as NodeJS.WritableStream,
      stderr: new Writable({
        write(c, _e, cb) {
          stderr += String(c);
          cb();
        },
      }),
      stderrIsTTY: false,
    });
    return { code, stderr };
  };

  it("reports an internal error in one line with exit 70, and the stack only with FLEETFED_DEBUG=1", async () => {
    const quiet = await broken({});
    expect(quiet.code).toBe(70);
    expect(quiet.stderr).toMatch(
      /^fleetfed: internal error: cannot read properties of undefined \(reading 'x'\) \(please report it; FLEETFED_DEBUG=1 shows the stack\)\n$/m,
    );
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const debug = await broken({ FLEETFED_DEBUG: "1" });
    expect(debug.code).toBe(70);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it("escapes workflow commands in annotations, so a file name cannot inject its own", () => {
    const line = annotation({
      file: "clusters/x\n::error file=fleet.yaml,line=1::INJECTED\n.yaml",
      line: 3,
      message: "bad\nvalue",
    });
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toBe(
      // The message is one line already (formatProblem escapes the newline); the file property is escaped.
      "::error file=clusters/x%0A%3A%3Aerror file=fleet.yaml%2Cline=1%3A%3AINJECTED%0A.yaml,line=3::bad\\nvalue",
    );
  });
});

describe("messages that say what a command read (#32)", () => {
  it("--help lists every command the workflows run: plain sync, upgrade and onboard among them", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ {2}sync {16}discover, render and open, update or close the one pull request/m,
    );
    expect(r.stdout).toMatch(/^ {2}upgrade --from VERSION/m);
    expect(r.stdout).toMatch(/^ {2}onboard <cluster>/m);
    expect((await runCli(["sync", "--help"])).stdout).toMatch(/^usage: fleetfed sync {16}discover, render/m);
  });

  it("discover says where a fleet without discovery gets its clusters, instead of an empty table", async () => {
    const root = await makeRepo({
      "fleet.yaml": "{}\n",
      "clusters/a.yaml": "cluster: a\nendpoint: prometheus.a.example.com:9090\n",
    });
    const r = await runCli(["discover", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      "no discovery source: fleet.yaml has no discovery.route53, so the fleet is the 1 cluster file(s) in clusters/ (fleetfed plan shows them)\n",
    );
  });

  it("plan without AWS credentials says when there is no snapshot to preview from", async () => {
    const root = await makeRepo({ "fleet.yaml": "discovery:\n  route53: {}\n" });
    const r = await runCli(["plan", "--root", root], {
      env: {
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /there is no fleet\.snapshot\.json yet: previewing only the clusters in clusters\/\*\.yaml/,
    );
    expect(r.stderr).not.toMatch(/previewing from fleet\.snapshot\.json/);
  });

  it("check warns while delivery.repoURL is the placeholder, and not once it is set", async () => {
    const placeholder = await makeRepo({ "fleet.yaml": "{}\n" });
    await runCli(["render", "--root", placeholder]);
    const r = await runCli(["check", "--root", placeholder]);
    expect(r.stderr).toMatch(
      /^warning: fleet\.yaml: delivery\.repoURL: is the placeholder https:\/\/github\.com\/example\/fleet\.git/m,
    );
    const own = await makeRepo({ "fleet.yaml": "delivery:\n  repoURL: https://git.example.com/fleet.git\n" });
    await runCli(["render", "--root", own]);
    expect((await runCli(["check", "--root", own])).stderr).not.toMatch(/placeholder/);
  });
});
