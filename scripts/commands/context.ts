// What every command receives: where to work, where to print, and the environment facts it may use.
// Only scripts/fleetfed.ts reads process.env; it fills this in.

import type { Reporter } from "../io/terminal.ts";

export interface Context {
  /** Repository root, absolute. */
  root: string;
  /** --config, relative to the root or absolute; undefined means fleet.yaml. */
  config?: string;
  /** The command's result: stdout. */
  out: (text: string) => void;
  /** Progress, logs and warnings: stderr. */
  report: Reporter;
  env: {
    /** CI=true: checks that need a missing binary fail instead of being skipped. */
    ci: boolean;
    /** Region for AWS clients (AWS_REGION, AWS_DEFAULT_REGION, else us-east-1: Route 53 is global). */
    awsRegion: string;
    /** GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL: what sync needs to publish. */
    /** writeSpacingMs: the pause between write requests (GitHub asks for 1 s; tests against a fake shorten it). */
    github: { token?: string; repository?: string; apiUrl: string; writeSpacingMs?: number };
    /** $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY inside Actions. */
    githubOutput?: string;
    stepSummary?: string;
  };
}
