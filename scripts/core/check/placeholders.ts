// promtool check config looks for every file a config names (TLS certificates and keys, password and
// credentials files): on a CI machine the federators' mounted Secrets (/etc/fleetfed/secrets/…) are not
// there, and a secured fleet would fail every check. So check runs promtool on a copy whose file paths
// point at placeholder files under a scratch folder; everything else promtool checks is unchanged, so a
// config Prometheus would refuse still fails.

import { federatorOf, PROMETHEUS_FILE } from "../layout.ts";
import type { Tree } from "../render/manifests.ts";
import { readScalar } from "../yaml.ts";

const FILE_FIELD =
  /^(\s*(?:ca_file|cert_file|key_file|password_file|username_file|credentials_file): )(.+)$/gm;

/** Whether any federator config in `tree` names a file promtool would look for. */
export function namesFiles(tree: ReadonlyMap<string, string>): boolean {
  for (const [path, text] of tree)
    if (federatorOf(path)?.file === PROMETHEUS_FILE && new RegExp(FILE_FIELD).test(text)) return true;
  return false;
}

/**
 * `tree` with every file path in its federator configs moved under `base`, and the placeholder files
 * (absolute paths) the copy then names. A path that is not a plain absolute one is left as it is.
 */
export function withPlaceholderFiles(tree: Tree, base: string): { tree: Tree; files: string[] } {
  const files = new Set<string>();
  const out = new Map(tree);
  for (const [path, text] of tree) {
    if (federatorOf(path)?.file !== PROMETHEUS_FILE) continue;
    out.set(
      path,
      text.replace(FILE_FIELD, (line, key: string, value: string) => {
        const file = readScalar(value.trim());
        if (typeof file !== "string" || !file.startsWith("/")) return line;
        const moved = `${base}${file}`;
        files.add(moved);
        return `${key}'${moved.replaceAll("'", "''")}'`;
      }),
    );
  }
  return { tree: out, files: [...files].sort() };
}
