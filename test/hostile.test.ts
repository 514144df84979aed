// Hostile and careless input, as an attacker or a tired person writes it: every case ends in one-line
// errors naming the file and line, the documented exit code, no stack trace, less than 2 KB of output,
// with manifests/ byte-identical; a hang is caught by the test deadline, never a timing assertion.
// (test/inputs.test.ts holds the everyday mistakes.)

import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { oversizedConfigMaps } from "../scripts/commands/check.ts";
import { DURATION_PATTERN } from "../scripts/core/duration.ts";
import { renderFleet } from "../scripts/core/fleet.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import clusterSchema from "../scripts/schema/cluster.schema.json" with { type: "json" };
import fleetSchema from "../scripts/schema/fleet.schema.json" with { type: "json" };
import { discoveredCluster } from "./support/fleet.ts";
import { runCliIsolated } from "./support/isolated.ts";
import { digestTree, makeRepo, runCli, snapshotJson, writeFiles } from "./support/repo.ts";

const VALID = {
  "fleet.yaml": "federation:\n  shardSize: 2\n",
  "fleet.snapshot.json": snapshotJson(["alpha", "bravo", "charlie"]),
  "clusters/alpha.yaml": "cluster: alpha\nlabels: {env: prod}\n",
};

const bomb = (key: string) =>
  `${key}:\n  a: &a [x,x,x,x,x,x,x,x,x]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`;
const zone = (records: unknown) =>
  JSON.stringify({
    ResourceRecordSets: [
      { Name: "internal.example.com.", Type: "SOA" },
      { Name: "internal.example.com.", Type: "NS" },
      ...(records as unknown[]),
    ],
  });
const EXPORTS = "federation:\n  shardSize: 2\ndiscovery:\n  route53:\n    exports: exports\n";

interface Case {
  name: string;
  files?: Record<string, string>;
  /** Builds what files cannot: links, FIFOs, folders. */
  setup?: (root: string) => void;
  /** Run in a child process with a kill timer: an input that could block a read (runCliIsolated). */
  isolated?: boolean;
  /** Commands to run (default: render and check). */
  commands?: string[][];
  env?: Record<string, string>;
  code?: number;
  /** `file:line` an error line must start with ("" for errors that name no file). */
  where: string;
  says: RegExp;
  /** Text that must not appear anywhere in the output. */
  never?: RegExp;
}

const CASES: Case[] = [
  // Library failures that used to escape as stack traces
  {
    name: "a YAML alias bomb in a cluster file",
    files: { "clusters/alpha.yaml": `cluster: alpha\n${bomb("extra")}` },
    where: "clusters/alpha.yaml:1",
    says: /invalid YAML: Excessive alias count/,
  },
  {
    name: "a YAML alias bomb in labels",
    files: { "clusters/alpha.yaml": `cluster: alpha\n${bomb("labels")}` },
    where: "clusters/alpha.yaml:1",
    says: /invalid YAML: Excessive alias count .*\(write the values out/,
  },
  {
    name: "a YAML alias bomb in the snapshot",
    files: { "fleet.snapshot.json": `clusters: []\n${bomb("placement")}` },
    where: "fleet.snapshot.json:1:1",
    says: /invalid JSON/,
  },
  {
    name: "a cluster file that is a folder",
    setup: (root) => mkdirSync(join(root, "clusters", "x.yaml")),
    where: "clusters/x.yaml:1",
    says: /is a folder, not a file/,
  },
  {
    name: "--config naming a folder",
    setup: (root) => mkdirSync(join(root, "conf")),
    commands: [
      ["render", "--config", "conf"],
      ["check", "--config", "conf"],
    ],
    where: "conf:1",
    says: /is a folder, not a file/,
  },
  {
    name: "an export whose record Name is a number",
    files: { "fleet.yaml": EXPORTS, "exports/Z1.json": zone([{ Name: 123, Type: "A" }]) },
    commands: [["discover"], ["plan"]],
    where: "exports/Z1.json",
    says: /ResourceRecordSets\.2\.Name: must be a string/,
  },
  {
    name: "an export with a null record",
    files: { "fleet.yaml": EXPORTS, "exports/Z1.json": zone([null]) },
    commands: [["discover"], ["plan"]],
    where: "exports/Z1.json",
    says: /ResourceRecordSets\.2: must be an object/,
  },
  {
    name: "an export that is a list",
    files: { "fleet.yaml": EXPORTS, "exports/Z1.json": "[]" },
    commands: [["discover"], ["plan"]],
    where: "exports/Z1.json",
    says: /must be a JSON object/,
  },
  {
    name: "exports outside the repository",
    files: { "fleet.yaml": EXPORTS.replace("exports: exports", "exports: ../../../etc") },
    commands: [["discover"], ["plan"]],
    where: "",
    says: /discovery\.route53\.exports: "\.\.\/\.\.\/\.\.\/etc" is outside the repository/,
  },
  {
    name: "an unwritable $GITHUB_STEP_SUMMARY inside Actions",
    files: { "fleet.yaml": "federation:\n  shardSize: 0\n" },
    env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: "/nonexistent/dir/summary.md" },
    where: "fleet.yaml:2:14",
    says: /federation\.shardSize: 0 must be >= 1/,
  },
  // Secured endpoints: credentials only as files of mounted Secrets
  {
    name: "a credentials file from a Secret that is not mounted",
    files: {
      "clusters/alpha.yaml":
        "cluster: alpha\nbasicAuth: {username: u, passwordFile: /etc/fleetfed/secrets/auth/password}\n",
    },
    where: "clusters/alpha.yaml:2:",
    says: /basicAuth\.passwordFile: is in Secret auth, which federation\.secrets does not mount \(add auth to federation\.secrets\)/,
  },
  {
    name: "basicAuth beside authorization",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\n  secrets: [auth]\n  basicAuth: {username: u, passwordFile: /etc/fleetfed/secrets/auth/p}\n  authorization: {credentialsFile: /etc/fleetfed/secrets/auth/t}\n",
    },
    where: "fleet.yaml:5:",
    says: /federation\.authorization: cannot be combined with basicAuth/,
  },
  {
    name: "an inline password",
    files: { "clusters/alpha.yaml": "cluster: alpha\nbasicAuth: {username: u, password: hunter2}\n" },
    where: "clusters/alpha.yaml:2:",
    says: /basicAuth\.password: unknown key "password"/,
  },
  {
    name: "the operator flavour with a user name inline",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\n  flavor: operator\n  secrets: [auth]\n  basicAuth: {username: u, passwordFile: /etc/fleetfed/secrets/auth/p}\n",
    },
    where: "fleet.yaml:5:",
    says: /federation\.basicAuth\.username: the operator's ScrapeConfig reads the user name from a Secret/,
  },
  // Things that must not hang
  {
    name: "a FIFO among the cluster files",
    isolated: true,
    setup: (root) => execFileSync("mkfifo", [join(root, "clusters", "fifo.yaml")]),
    where: "clusters/fifo.yaml:1",
    says: /is a FIFO, not a file/,
  },
  {
    name: "a cluster file linked to /dev/zero",
    isolated: true,
    setup: (root) => symlinkSync("/dev/zero", join(root, "clusters", "zero.yaml")),
    where: "clusters/zero.yaml:1",
    says: /is a symbolic link to a file outside the repository/,
  },
  {
    name: "a 1.3 MB cluster file",
    files: { "clusters/alpha.yaml": `cluster: alpha\n# ${"x".repeat(1_300_000)}\n` },
    where: "clusters/alpha.yaml:1",
    says: /is 1300\d+ bytes; fleetfed refuses inputs over 1048576 bytes/,
  },
  {
    name: "a cluster file with 60,000 label keys",
    files: {
      "clusters/alpha.yaml": `cluster: alpha\nlabels:\n${Array.from({ length: 60_000 }, (_, i) => `  k${i}: v`).join("\n")}\n`,
    },
    where: "clusters/alpha.yaml:3:3",
    says: /labels: must NOT have more than 64 properties/,
  },
  {
    name: "a match regex that is valid JavaScript but not RE2",
    files: { "clusters/alpha.yaml": "cluster: alpha\nmatch: ['{__name__=~\"(?=cluster).*\"}']\n" },
    where: "clusters/alpha.yaml:2:9",
    says: /match\.0: .* has an invalid regular expression for __name__/,
  },
  {
    name: "a match regex with a repetition RE2 refuses",
    files: { "clusters/alpha.yaml": "cluster: alpha\nmatch: ['{__name__=~\"a.{0,1001}\"}']\n" },
    where: "clusters/alpha.yaml:2:9",
    says: /invalid repetition size/,
  },
  {
    name: "a record pattern with a lookahead",
    files: {
      "fleet.yaml": "discovery:\n  route53:\n    recordPattern: '^prometheus\\.(?=x)(?<cluster>[a-z]+)\\.'\n",
    },
    where: "fleet.yaml:3:20",
    says: /recordPattern: is not a valid RE2 regular expression/,
  },
  // Nothing outside the repository read or echoed
  {
    name: "a cluster file linked to /etc/passwd",
    setup: (root) => symlinkSync("/etc/passwd", join(root, "clusters", "x.yaml")),
    where: "clusters/x.yaml:1",
    says: /is a symbolic link to a file outside the repository; fleetfed reads only files inside it/,
    never: /root:x:0:0/,
  },
  {
    name: "clusters/ linked to /etc",
    setup: (root) => {
      execFileSync("rm", ["-rf", join(root, "clusters")]);
      mkdirSync(join(root, "etcfiles"));
      symlinkSync("/etc", join(root, "clusters"));
    },
    files: {},
    where: "clusters/:",
    says: /is a symbolic link to a folder outside the repository/,
    never: /root:x:0:0/,
  },
  {
    name: "a 500 KB label value",
    files: { "clusters/alpha.yaml": `cluster: alpha\nlabels:\n  team: ${"v".repeat(500_000)}\n` },
    where: "clusters/alpha.yaml:3:9",
    says: /labels\.team: "v{80}…" must NOT have more than 4096 characters/,
  },
  {
    name: "a file name that forges workflow commands",
    files: { "clusters/x\n::error file=fleet.yaml,line=1::INJECTED\n.yaml": "cluster: x\n" },
    env: { GITHUB_ACTIONS: "true" },
    where: "clusters/x\\n::error file=fleet.yaml,line=1::INJECTED\\n.yaml:1:10",
    says: /differs from the file name/,
    never: /^::error file=fleet\.yaml,line=1::INJECTED/m,
  },
  // Accepted though wrong
  ...["job", "instance", "le", "__meta", "federator"].map(
    (label): Case => ({
      name: `clusterLabel: ${label}`,
      files: { "fleet.yaml": `clusterLabel: ${label}\nfederation:\n  shardSize: 2\n` },
      where: "fleet.yaml:1:15",
      says: /clusterLabel: .* is reserved/,
    }),
  ),
  ...["job", "instance"].map(
    (label): Case => ({
      name: `labels: {${label}: legacy}`,
      files: { "clusters/alpha.yaml": `cluster: alpha\nlabels: {${label}: legacy}\n` },
      where: "clusters/alpha.yaml:2:10",
      says: new RegExp(`labels\\.${label}: label "${label}" is reserved: Prometheus already uses ${label}`),
    }),
  ),
  {
    name: "sampleLimit: 1e300",
    files: { "fleet.yaml": "federation:\n  shardSize: 2\n  sampleLimit: 1e300\n" },
    where: "fleet.yaml:3:16",
    says: /federation\.sampleLimit: 1e\+300 must be <= 100000000/,
  },
  {
    name: "a 20-digit bodySizeLimit",
    files: { "fleet.yaml": "federation:\n  shardSize: 2\n  bodySizeLimit: 99999999999999999999GB\n" },
    where: "fleet.yaml:3:18",
    says: /federation\.bodySizeLimit: "99999999999999999999GB" must match pattern/,
  },
  {
    name: "a 20-digit scrape interval",
    files: { "fleet.yaml": "federation:\n  shardSize: 2\n  scrapeInterval: 99999999999999999999s\n" },
    where: "fleet.yaml:3:19",
    says: /federation\.scrapeInterval: .* must match pattern/,
  },
  {
    name: "clusters/x.YAML",
    files: { "clusters/x.YAML": "cluster: x\nendpoint: x:9090\n" },
    where: "clusters/x.YAML",
    says: /is not read: cluster files end in \.yaml or \.yml, in lowercase \(rename it to x\.yaml\)/,
  },
  {
    name: "a duplicate key in the snapshot JSON",
    files: { "fleet.snapshot.json": '{\n  "clusters": [],\n  "clusters": [],\n  "placement": {}\n}\n' },
    where: "fleet.snapshot.json:3:3",
    says: /invalid JSON: key "clusters" appears twice/,
  },
  {
    name: "labels: !!set {a, b}",
    files: { "clusters/alpha.yaml": "cluster: alpha\nlabels: !!set {a, b}\n" },
    where: "clusters/alpha.yaml:2:15",
    says: /labels: is a YAML set \(!!set\), which fleetfed does not read/,
  },
  {
    name: "a !!binary label value",
    files: { "clusters/alpha.yaml": "cluster: alpha\nlabels: {team: !!binary aGVsbG8=}\n" },
    where: "clusters/alpha.yaml:2:25",
    says: /labels\.team: is a YAML binary or tagged value/,
  },
  {
    name: "a pin to a leaf that does not exist",
    files: { "clusters/alpha.yaml": "cluster: alpha\nleaf: leaf-009\n" },
    where: "clusters/alpha.yaml:2",
    says: /leaf: leaf-009 does not exist, and pinning alpha to it would open a new leaf federator/,
  },
  {
    name: "a corrupt JSON snapshot",
    files: { "fleet.snapshot.json": '{"clusters": [}\n' },
    where: "fleet.snapshot.json:1:15",
    says: /invalid JSON: Unexpected token/,
  },
  {
    name: "two documents in one cluster file",
    files: { "clusters/alpha.yaml": "cluster: alpha\n---\ncluster: beta\n" },
    where: "clusters/alpha.yaml:2",
    says: /invalid YAML: Source contains multiple documents.*\(a file holds one document/,
    never: /parseAllDocuments/,
  },
  {
    name: "a duplicate cluster whose suggested name exists",
    files: { "clusters/alpha.yml": "cluster: alpha\n" },
    where: "clusters/alpha.yml:1",
    says: /cluster "alpha" is defined twice: clusters\/alpha.yaml and clusters\/alpha.yml \(merge them into clusters\/alpha.yaml and delete clusters\/alpha.yml\)/,
  },
  // Selectors Prometheus would refuse, which would fail every scrape that carries them
  {
    name: "a match selector missing its closing brace",
    files: {
      "clusters/alpha.yaml": "cluster: alpha\nmatch: ['{__name__=~\"(job|cluster|namespace):.*\"']\n",
    },
    where: "clusters/alpha.yaml:2:9",
    says: /match\.0: .* is not a valid series selector: syntax error/,
  },
  {
    name: "match: ['{}']",
    files: { "clusters/alpha.yaml": "cluster: alpha\nmatch: ['{}']\n" },
    where: "clusters/alpha.yaml:2:9",
    says: /matches every series/,
  },
  {
    name: "a match selector whose matchers all match the empty string",
    files: { "clusters/alpha.yaml": 'cluster: alpha\nmatch: [\'{job=~".*", env=""}\']\n' },
    where: "clusters/alpha.yaml:2:9",
    says: /matches every series/,
  },
  {
    name: "a broken selector in federation.match",
    files: { "fleet.yaml": "federation:\n  shardSize: 2\n  match:\n    - '{__name__=~\"cluster:.*\"'\n" },
    where: "fleet.yaml:4:7",
    says: /federation\.match\.0: .* is not a valid series selector/,
  },
  {
    name: "an expression as a match selector",
    files: { "fleet.yaml": "federation:\n  shardSize: 2\n  match: ['rate(up[5m])']\n" },
    where: "fleet.yaml:3:11",
    says: /must be a single series selector/,
  },
  {
    name: "fleet.yaml that is a list",
    files: { "fleet.yaml": "- federation\n- clusters\n" },
    where: "fleet.yaml:1:1",
    says: /must be a YAML mapping/,
  },
  {
    name: "a cluster file of binary garbage",
    files: { "clusters/alpha.yaml": "\u0000\u0001\u0002\u00ff\ufffe garbage" },
    where: "clusters/alpha.yaml:1",
    says: /invalid YAML|must be a YAML mapping/,
  },
  {
    name: "a label value with a control character",
    files: { "clusters/alpha.yaml": 'cluster: alpha\nlabels: {team: "a\\u0001b"}\n' },
    where: "clusters/alpha.yaml:2:16",
    says: /labels\.team: "a\\u0001b" must match pattern/,
  },
  {
    name: "a snapshot that is a list",
    files: { "fleet.snapshot.json": "[]\n" },
    where: "fleet.snapshot.json:1:1",
    says: /must be a YAML mapping|must be an object/,
  },
  // Surfaces added in round two (issue #21): each used to pass, several losing data or leaking
  {
    name: "a sync branch equal to the base branch (#21.1)",
    files: { "fleet.yaml": "federation:\n  shardSize: 2\npullRequest: {base: release, branch: release}\n" },
    where: "fleet.yaml:3",
    says: /pullRequest\.branch: "release" is the branch the pull request merges into .*branch: fleetfed\/sync/,
  },
  {
    name: "a sync branch equal to the branch Argo CD applies (#21.1)",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\npullRequest: {branch: prod}\ndelivery: {targetRevision: prod}\n",
    },
    where: "fleet.yaml:3",
    says: /pullRequest\.branch: "prod" is the branch Argo CD or Flux applies/,
  },
  ...[
    ["a .. out of a listed Secret into another", "/etc/fleetfed/secrets/listed/../unlisted/p"],
    [
      "a .. to the federator's own service-account token",
      "/etc/fleetfed/secrets/listed/../../../../var/run/secrets/kubernetes.io/serviceaccount/token",
    ],
    ["a doubled slash", "/etc/fleetfed/secrets//listed/p"],
    ["a ./ segment", "/etc/fleetfed/secrets/./listed/p"],
    ["a trailing /..", "/etc/fleetfed/secrets/listed/.."],
  ].map(([what, path]) => ({
    name: `a secret path with ${what} (#21.6)`,
    files: {
      "fleet.yaml": "federation:\n  shardSize: 2\n  secrets: [listed]\n",
      "clusters/alpha.yaml": `cluster: alpha\nauthorization: {credentialsFile: '${path}'}\n`,
    },
    where: "clusters/alpha.yaml:2",
    says: /authorization\.credentialsFile: is not a plain absolute path/,
  })),
  ...[
    ["an upper-case Secret name", "/etc/fleetfed/secrets/Listed/p", /is not <secret>\/<key>/],
    ["a nested key", "/etc/fleetfed/secrets/listed/sub/p", /is not <secret>\/<key>/],
    [
      "the service-account token itself",
      "/var/run/secrets/kubernetes.io/serviceaccount/token",
      /the federator's own credentials/,
    ],
  ].map(([what, path, says]) => ({
    name: `a secret path with ${what} (#21.6)`,
    files: {
      "fleet.yaml": "federation:\n  shardSize: 2\n  secrets: [listed]\n",
      "clusters/alpha.yaml": `cluster: alpha\nauthorization: {credentialsFile: '${path}'}\n`,
    },
    where: "clusters/alpha.yaml:2",
    says: says as RegExp,
  })),
  {
    name: "a Secret key `..` in the operator flavour (#21.6)",
    files: {
      "fleet.yaml": "federation:\n  shardSize: 2\n  flavor: operator\n  secrets: [a]\n",
      "clusters/alpha.yaml": "cluster: alpha\nauthorization: {credentialsFile: /etc/fleetfed/secrets/a/..}\n",
    },
    where: "clusters/alpha.yaml:2",
    says: /is not a plain absolute path/,
  },
  {
    name: "a hint never names a Secret the schema refuses (#21.18)",
    files: {
      "fleet.yaml": "federation:\n  shardSize: 2\n",
      "clusters/alpha.yaml":
        "cluster: alpha\nauthorization: {credentialsFile: /etc/fleetfed/secrets/b-/token}\n",
    },
    where: "clusters/alpha.yaml:2",
    says: /is not <secret>\/<key> with a Secret name/,
    never: /add b- to/,
  },
  {
    name: "a ServiceMonitor label key Kubernetes refuses (#31)",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\n  serviceMonitor:\n    enabled: true\n    labels: {'release name': x}\n",
    },
    where: "fleet.yaml:5",
    says: /federation\.serviceMonitor\.labels\.release name: "release name" is not a valid Kubernetes label key/,
  },
  {
    name: "a NetworkPolicy peer label value Kubernetes refuses (#31)",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\n  networkPolicy:\n    from: [{podSelector: {matchLabels: {app: 'grafana; drop'}}}]\n",
    },
    where: "fleet.yaml:4",
    says: /matchLabels\.app: "grafana; drop" must match pattern .*a Kubernetes label value/,
  },
  {
    name: "an Alertmanager URL whose port is no TCP port (#31)",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\nalerting:\n  alertmanagers: ['http://am.example.com:70000']\n",
    },
    where: "fleet.yaml:4",
    says: /alerting\.alertmanagers\.0: port 70000 is not a TCP port/,
  },
  {
    name: "an Alertmanager outside the cluster in the operator flavour, which would become Service am in namespace example (#31)",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\n  flavor: operator\nalerting:\n  alertmanagers: ['http://am.example.com:9093']\n",
    },
    where: "fleet.yaml:5",
    says: /alerting\.alertmanagers\.0: am\.example\.com is not a Kubernetes Service: the operator's Prometheus reaches Alertmanagers by Service and namespace/,
  },
  {
    name: "a Go template in runbookBaseUrl, which Prometheus would refuse in every alert (#31)",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\nalerting:\n  runbookBaseUrl: 'https://wiki.example.com/{{.Labels.x}'\n",
    },
    where: "fleet.yaml:4",
    says: /alerting\.runbookBaseUrl: "https:\/\/wiki\.example\.com\/\{\{\.Labels\.x\}" must match pattern .*no \{ or \}, which Prometheus would read as a template/,
  },
  {
    name: "a leaf sized past any node: 10,000 clusters of a million series each (#31)",
    files: { "fleet.yaml": "federation:\n  shardSize: 10000\n  expectedSeriesPerCluster: 1000000\n" },
    where: "fleet.yaml:2",
    says: /federation\.shardSize: a leaf of 10,000 clusters at 1,000,000 series a cluster \(sample limit 2,000,000\) needs a [\d,.]+ GiB memory limit, past the 56 GiB a federator may have \(a 64 GiB node\) \(lower federation\.shardSize to 5 or fewer/,
  },
  {
    name: "two clusters at one endpoint: one Prometheus federated under two ids (#31)",
    files: {
      "clusters/alpha.yaml": "cluster: alpha\nendpoint: prometheus.shared.example.com:9090\n",
      "clusters/delta.yaml":
        "cluster: delta\nlabels: {env: prod}\nendpoint: PROMETHEUS.shared.example.com:9090\n",
    },
    where: "clusters/delta.yaml:3",
    says: /endpoint: PROMETHEUS\.shared\.example\.com:9090 is also cluster "alpha"'s \(clusters\/alpha\.yaml\): one Prometheus would be federated under two ids/,
  },
  ...["/etc/secrets/x/token", "/etc/ssl/certs/ca.crt"].map((path) => ({
    name: `a credential path outside the mounted Secrets, ${path}, which passes check and fails in the pod (#31)`,
    files: {
      "clusters/alpha.yaml": `cluster: alpha\nscheme: https\ntls:\n  caFile: ${path}\n`,
    },
    where: "clusters/alpha.yaml:4",
    says: /tls\.caFile: is outside \/etc\/fleetfed\/secrets, where the federators mount the Secrets federation\.secrets lists: no federator has this file \(put it in a Secret, list the Secret in federation\.secrets/,
  })),
  ...["passwordFile", "credentialsFile", "usernameFile"].map((field) => ({
    name: `a password typed into ${field} is never echoed (#21.8)`,
    files: {
      "clusters/alpha.yaml": `cluster: alpha\n${field === "credentialsFile" ? "authorization" : "basicAuth"}: {${field}: hunter2-s3cret${field === "usernameFile" ? ", passwordFile: /etc/p" : ""}}\n`,
    },
    env: { GITHUB_ACTIONS: "true" },
    where: "clusters/alpha.yaml:2",
    says: new RegExp(`${field}: must match pattern`),
    never: /hunter2/,
  })),
  {
    name: "a password typed as a user name of the wrong type is never echoed (#21.8)",
    files: {
      "clusters/alpha.yaml": "cluster: alpha\nbasicAuth: {username: 12345678, passwordFile: /etc/p}\n",
    },
    where: "clusters/alpha.yaml:2",
    says: /username: must be a string/,
    never: /12345678/,
  },
  {
    name: "authorization type Basic, which Prometheus refuses (#21.17)",
    files: {
      "clusters/alpha.yaml": "cluster: alpha\nauthorization: {type: basic, credentialsFile: /etc/t}\n",
    },
    where: "clusters/alpha.yaml:2",
    says: /authorization\.type: cannot be Basic/,
  },
  {
    name: "a 60-character Secret name, whose volume name Kubernetes refuses (#21.17)",
    files: { "fleet.yaml": `federation:\n  shardSize: 2\n  secrets: [${"s".repeat(60)}]\n` },
    where: "fleet.yaml:3",
    says: /federation\.secrets\.0: .* must match pattern/,
  },
  {
    name: "a __proto__ key in a cluster file, which the fast reader once took as the prototype (#21.16)",
    files: { "clusters/alpha.yaml": "cluster: alpha\n__proto__:\n  enabled: false\n" },
    where: "clusters/alpha.yaml:2",
    says: /unknown key "__proto__"/,
  },
  {
    name: "a snapshot nested a million deep (#21.11)",
    files: {
      "fleet.snapshot.json": `{"clusters": [], "placement": {}, "x": ${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}\n`,
    },
    where: "fleet.snapshot.json:1",
    says: /nests too deep to be a snapshot/,
  },
  {
    name: "Prod-A.yaml beside prod-a.yaml: the hint offers only fixes that work (#21.18)",
    files: {
      "clusters/prod-a.yaml": "cluster: prod-a\n",
      "clusters/Prod-A.yaml": "cluster: prod-a\n",
    },
    where: "clusters/Prod-A.yaml:1",
    // Renaming onto prod-a.yaml would overwrite it (or fail, on a case-insensitive file system).
    says: /merge it into clusters\/prod-a.yaml, which exists, and delete this file \(a cluster id is lower case: "Prod-A" cannot be one\)/,
    never: /set cluster: Prod-A|rename the file to prod-a\.yaml/,
  },
  {
    name: "prod-a.yaml naming prod-b beside Prod-A.yaml naming prod-a: no hint sets an id another file holds (#31)",
    files: {
      "clusters/prod-a.yaml": "cluster: prod-b\n",
      "clusters/Prod-A.yaml": "cluster: prod-a\n",
    },
    where: "clusters/prod-a.yaml:1",
    says: /cluster: "prod-b" differs from the file name "prod-a" \(rename the file to prod-b\.yaml\)$/,
    never: /set cluster: prod-a/,
  },
  {
    name: "a NetworkPolicy peer that names no pods, which would let every pod in (#23)",
    files: {
      "fleet.yaml": "federation:\n  shardSize: 2\n  networkPolicy:\n    from: [{namespaceSelector: {}}]\n",
    },
    where: "fleet.yaml:4",
    says: /federation\.networkPolicy\.from\.0\.podSelector: "podSelector" is required/,
  },
  {
    name: "a NetworkPolicy peer from every namespace: an empty namespaceSelector (#30)",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\n  networkPolicy:\n    from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: x}}}]\n",
    },
    where: "fleet.yaml:4",
    says: /federation\.networkPolicy\.from\.0\.namespaceSelector\.matchLabels: "matchLabels" is required/,
  },
  {
    name: "a NetworkPolicy peer whose namespaceSelector has no labels (#30)",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\n  networkPolicy:\n    from: [{namespaceSelector: {matchLabels: {}}, podSelector: {matchLabels: {app: x}}}]\n",
    },
    where: "fleet.yaml:4",
    says: /namespaceSelector\.matchLabels: must NOT have fewer than 1 properties/,
  },
  {
    name: "basic auth to a cluster over plain http (#30)",
    files: {
      "fleet.yaml": "federation:\n  shardSize: 2\n  secrets: [auth]\n",
      "clusters/alpha.yaml":
        "cluster: alpha\nendpoint: prometheus.alpha.example.com:9090\nbasicAuth:\n  username: fleet\n  passwordFile: /etc/fleetfed/secrets/auth/password\n",
    },
    where: "clusters/alpha.yaml:3",
    says: /basicAuth: would be sent over plain http, where anyone on the path can read it \(set scheme: https in the cluster file/,
  },
  {
    name: "a bearer token for every cluster over the default http, said once for all of them (#30)",
    files: {
      "fleet.yaml":
        "federation:\n  shardSize: 2\n  secrets: [auth]\n  authorization:\n    credentialsFile: /etc/fleetfed/secrets/auth/token\n",
    },
    where: "fleet.yaml:4",
    says: /federation\.authorization: would be sent over plain http, where anyone on the path can read it \(3 clusters: alpha, bravo, charlie\)/,
  },
  {
    name: "tls for a cluster scraped over http, which Prometheus ignores (#30)",
    files: {
      "fleet.yaml": "federation:\n  shardSize: 2\n  secrets: [ca]\n",
      "clusters/alpha.yaml":
        "cluster: alpha\nendpoint: prometheus.alpha.example.com:9090\nscheme: http\ntls:\n  caFile: /etc/fleetfed/secrets/ca/ca.crt\n",
    },
    where: "clusters/alpha.yaml:4",
    says: /tls: is set, but the cluster is scraped over http, where Prometheus ignores tls_config \(set scheme: https in the cluster file\)/,
  },
  {
    name: "a sample limit of zero, which would mean none at all (#30)",
    files: { "fleet.yaml": "federation:\n  shardSize: 2\n  sampleLimit: 0\n" },
    where: "fleet.yaml:3",
    says: /federation\.sampleLimit: 0 must be >= 100/,
  },
  {
    name: "51 match selectors",
    files: {
      "clusters/alpha.yaml": `cluster: alpha\nmatch:\n${Array.from({ length: 51 }, (_, i) => `  - 'm${i}'`).join("\n")}\n`,
    },
    where: "clusters/alpha.yaml:3:3",
    says: /match: must NOT have more than 50 items/,
  },
];

describe("hostile input", () => {
  let template: string;
  beforeAll(async () => {
    template = await makeRepo(VALID);
    const r = await runCli(["render", "--root", template]);
    expect(r.code, r.stderr).toBe(0);
  });

  it.each(CASES)(
    "$name: one line per error, exit code, no stack, < 2 KB, manifests/ untouched",
    async (c) => {
      const root = await makeRepo({}, template);
      const before = await digestTree(join(root, "manifests"));
      await writeFiles(root, c.files ?? {});
      // The snapshot as the case left it (some cases are about the snapshot itself): no run may change it.
      const snapshot = () => readFile(join(root, "fleet.snapshot.json"), "utf8").catch(() => undefined);
      const snapshotBefore = c.setup ? undefined : await snapshot();
      c.setup?.(root);
      for (const args of c.commands ?? [["render"], ["check"]]) {
        const run = c.isolated ? runCliIsolated : runCli;
        const r = await run([...args, "--root", root], { env: c.env ?? {} });
        expect(r.code, r.stderr).toBe(c.code ?? 2);
        expect(r.stdout).toBe("");
        expect(Buffer.byteLength(r.stderr)).toBeLessThan(2048);
        const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
        expect(
          errors.some((l) => l.startsWith(`error: ${c.where}`) && c.says.test(l)),
          r.stderr,
        ).toBe(true);
        expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
        if (c.never) expect(`${r.stdout}${r.stderr}`).not.toMatch(c.never);
      }
      expect(await digestTree(join(root, "manifests"))).toBe(before);
      if (!c.setup) expect(await snapshot()).toBe(snapshotBefore);
    },
  );

  it("evaluates hostile regexes in linear time: discovery and the coverage check finish", async () => {
    const root = await makeRepo({
      "fleet.yaml":
        "discovery:\n  route53:\n    exports: exports\n    recordPattern: '^prometheus\\.(?<cluster>([a-z0-9-]+)*)\\.internal\\.example\\.com$'\nfederation:\n  shardSize: 2\n  match:\n    - '{__name__=~\"([a-z_:]*)*X\"}'\n    - '{__name__=~\"(?i)(CLUSTER|namespace):.*\"}'\n",
      "exports/Z1.json": zone([{ Name: `prometheus.${"a".repeat(41)}!.internal.example.com.`, Type: "A" }]),
    });
    // Backtracking on these would take 2^41 steps: a hang, which the test's deadline catches.
    const discover = await runCli(["discover", "--root", root]);
    expect(discover.code, discover.stderr).toBe(0);
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const check = await runCli(["check", "--root", root]);
    expect(check.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(check.stderr).toMatch(/dashboard and alert queries: \d+, all federated/);
  });

  it("reports a write it cannot make in one line naming the path (exit 1), and a re-run after the fix converges", async () => {
    const root = await makeRepo({}, template);
    await writeFiles(root, { "fleet.yaml": "federation:\n  shardSize: 1\n" });
    // A file where render needs a folder: the write fails part-way, as a permission error would.
    execFileSync("rm", ["-rf", join(root, "manifests", "federation", "leaf-002")]);
    await writeFiles(root, { "manifests/federation/leaf-002": "in the way\n" });
    const r = await runCli(["render", "--root", root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*manifests\/federation\/leaf-002.*: cannot write: (EEXIST|ENOTDIR)/m);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect((await readdir(join(root, "manifests"))).length).toBeGreaterThan(0);
    execFileSync("rm", ["-f", join(root, "manifests", "federation", "leaf-002")]);
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    expect((await runCli(["render", "--check", "--root", root])).code).toBe(0);
  });

  it("refuses, in check, a leaf whose ConfigMap would pass Kubernetes's 1 MiB limit, naming the leaf", async () => {
    const ids = Array.from({ length: 9800 }, (_, i) => `c${String(i).padStart(5, "0")}`);
    const root = await makeRepo({
      "fleet.yaml": "federation:\n  shardSize: 10000\n",
      "fleet.snapshot.json": snapshotJson(ids),
    });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const r = await runCli(["check", "--root", root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: manifests\/federation\/leaf-000\/prometheus\.yml: leaf-000's ConfigMap would hold \d+ bytes; Kubernetes refuses ConfigMaps over 1 MiB \(lower federation\.shardSize/m,
    );
  }, 30_000);

  it("counts alerts.yml in the top federator's ConfigMap: refused when it alone pushes it past 1 MiB (#31)", async () => {
    // The global holds alerts.yml beside its prometheus.yml, which lists every leaf. Find a fleet (one
    // cluster a leaf) whose prometheus.yml alone fits under check's limit and whose alerts.yml pushes the
    // ConfigMap over.
    const settings = parseSettings("federation:\n  shardSize: 1\n", "fleet.yaml");
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${String(i).padStart(5, "0")}`);
    const sizes = (n: number) => {
      const tree = renderFleet(
        settings,
        { clusters: ids(n).map((id) => discoveredCluster(id)), placement: new Map() },
        [],
      ).tree;
      return {
        config: Buffer.byteLength(tree.get("federation/global/prometheus.yml") as string),
        alerts: Buffer.byteLength(tree.get("federation/global/alerts.yml") as string),
      };
    };
    const limit = 1024 * 1024 - 16 * 1024;
    const a = sizes(1000);
    const b = sizes(2000);
    const perLeaf = (b.config - a.config) / 1000;
    // prometheus.yml a little under the limit: alerts.yml (several KB) is what takes it over.
    let n = Math.floor(1000 + (limit - a.config - b.alerts / 2) / perLeaf);
    while (sizes(n).config >= limit) n -= 10;
    const at = sizes(n);
    expect(at.config).toBeLessThan(limit);
    expect(at.config + at.alerts).toBeGreaterThan(limit);
    // What check refuses with (the CLI's run at this size takes a minute: 6,000 leaves through promtool).
    const tree = renderFleet(
      settings,
      { clusters: ids(n).map((id) => discoveredCluster(id)), placement: new Map() },
      [],
    ).tree;
    expect(oversizedConfigMaps(tree).map((p) => `${p.file}: ${p.message} (${p.hint})`)).toEqual([
      `manifests/federation/global/prometheus.yml: global's ConfigMap would hold ${at.config + at.alerts} bytes; Kubernetes refuses ConfigMaps over 1 MiB (raise federation.shardSize so the global lists fewer leaves)`,
    ]);
  }, 120_000);

  it("keeps one duration rule: the schemas' pattern is the one the code parses with", () => {
    expect(fleetSchema.$defs.duration.pattern).toBe(DURATION_PATTERN);
    expect(clusterSchema.$defs.duration.pattern).toBe(DURATION_PATTERN);
  });
});
