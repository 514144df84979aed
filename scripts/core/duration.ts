// Prometheus durations ("30s", "1m30s", "1h"), kept as written for output and in milliseconds for comparison.

export interface Duration {
  readonly text: string;
  readonly ms: number;
}

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ["y", 365 * 24 * 3600_000],
  ["w", 7 * 24 * 3600_000],
  ["d", 24 * 3600_000],
  ["h", 3600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/** The same grammar as Prometheus' model.ParseDuration: units in decreasing order, each at most once. */
export const DURATION_PATTERN =
  "^(([0-9]{1,6})y)?(([0-9]{1,6})w)?(([0-9]{1,6})d)?(([0-9]{1,6})h)?(([0-9]{1,6})m)?(([0-9]{1,6})s)?(([0-9]{1,6})ms)?$";
const DURATION_RE = new RegExp(DURATION_PATTERN);

export function parseDuration(text: string): Duration | undefined {
  if (text === "" || text === "0") return text === "0" ? { text, ms: 0 } : undefined;
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  let ms = 0;
  UNITS.forEach(([, factor], i) => {
    const n = m[2 * i + 2];
    if (n !== undefined) ms += Number(n) * factor;
  });
  return { text, ms };
}

export function durationFromMs(ms: number): Duration {
  let rest = ms;
  let text = "";
  for (const [unit, factor] of UNITS) {
    if (unit === "y" || unit === "w") continue;
    const n = Math.floor(rest / factor);
    if (n > 0) {
      text += `${n}${unit}`;
      rest -= n * factor;
    }
  }
  return { text: text || "0s", ms };
}

/** Prometheus refuses a scrape_timeout longer than its scrape_interval: the one statement of that rule. */
export function timeoutExceedsInterval(
  timeout: Duration,
  interval: Duration,
): { message: string; hint: string } | undefined {
  if (timeout.ms <= interval.ms) return undefined;
  return {
    message: `${timeout.text} is longer than scrapeInterval ${interval.text}`,
    hint: "Prometheus refuses a scrape timeout longer than the interval; make scrapeTimeout no longer than scrapeInterval",
  };
}
