// fleetfed's CHANGELOG.md as data: one `## <version> - <date>` section per release, newest first, each a
// list of changes. An upgrade pull request states the sections between the version a fleet ran and the
// one it installs (`fleetfed upgrade`); test/changelog.test.ts holds the file to this format and its
// newest section to package.json's version.

export interface Release {
  version: string;
  date: string;
  /** The section's text below its heading, as written. */
  body: string;
}

const HEADING = /^## (\d+\.\d+\.\d+) - (\d{4}-\d{2}-\d{2})$/;

/** Every release the changelog lists, in the order written; a `## ` line of another shape is an error. */
export function parseChangelog(text: string): Release[] {
  const releases: Release[] = [];
  let current: { version: string; date: string; lines: string[] } | undefined;
  const close = () => {
    if (current)
      releases.push({ version: current.version, date: current.date, body: current.lines.join("\n").trim() });
  };
  for (const [i, line] of text.split("\n").entries()) {
    if (!line.startsWith("## ")) {
      current?.lines.push(line);
      continue;
    }
    const m = HEADING.exec(line);
    if (!m)
      throw new Error(`CHANGELOG.md:${i + 1}: a release heading is "## <major.minor.patch> - <YYYY-MM-DD>"`);
    close();
    current = { version: m[1] as string, date: m[2] as string, lines: [] };
  }
  close();
  return releases;
}

/** -1, 0 or 1 as `a` is an older, the same or a newer major.minor.patch than `b`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * The releases after `from` up to and including `to`, newest first. An unknown `from` (not a version)
 * gives every release up to `to`: the reader sees more, never less.
 */
export function releasesBetween(releases: readonly Release[], from: string, to: string): Release[] {
  const known = /^\d+\.\d+\.\d+$/.test(from);
  return releases.filter(
    (r) => compareVersions(r.version, to) <= 0 && (!known || compareVersions(r.version, from) > 0),
  );
}

/** The upgrade comment: what changed in fleetfed between the two versions, then what it does to the fleet. */
export function upgradeText(p: {
  from: string;
  to: string;
  releases: readonly Release[];
  proposal: string;
}): string {
  const known = /^\d+\.\d+\.\d+$/.test(p.from);
  const out = [`## fleetfed ${known ? p.from : "(version on the base branch unknown)"} → ${p.to}`, ""];
  if (known && compareVersions(p.to, p.from) < 0)
    out.push(
      `**This is a downgrade**: ${p.from} is newer than ${p.to}. Its changelog entries are not undone here.`,
      "",
    );
  out.push("### What changed in fleetfed", "");
  if (p.releases.length === 0) out.push("No release between the two versions lists a change.", "");
  for (const r of p.releases) out.push(`#### ${r.version} (${r.date})`, "", r.body, "");
  out.push(
    "### What this does to the fleet (manifests/ re-rendered by the new version)",
    "",
    "```text",
    p.proposal.trimEnd(),
    "```",
    "",
  );
  return out.join("\n");
}
