// The Prometheus release the federators run. The schema's default image names it, CI and every test run
// promtool, prometheus and Alertmanager of its series (.ci/prometheus-tools), and the fleet's check
// workflow downloads its promtool: test/versions.test.ts holds all of them to this one constant.

export const PROMETHEUS_VERSION = "3.5.0";

/** The federators' default image (federation.image). */
export const PROMETHEUS_IMAGE = `quay.io/prometheus/prometheus:v${PROMETHEUS_VERSION}`;

/** "3.5" of "3.5.0", "v3.5.0" or "3.5.3+ds1"; undefined when it is not a version. */
export function releaseSeries(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(version);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** The release series an image's tag names (`…:v3.5.0`, `…:v3.5.0@sha256:…`), when it names one. */
export function imageSeries(image: string): string | undefined {
  const tag = /:([^:/@]+)(@sha256:[0-9a-f]+)?$/.exec(image)?.[1];
  return tag === undefined ? undefined : releaseSeries(tag);
}

/** The release series `<tool> --version` prints on its first line ("promtool, version 3.5.3+ds1 (…)"). */
export function printedSeries(output: string): string | undefined {
  const m = /^\S+, version (\S+)/m.exec(output);
  return m ? releaseSeries(m[1] as string) : undefined;
}

/**
 * Why promtool's verdict may not be the federators' own, or undefined when it is: promtool of another
 * release series than the image checks configs by rules the pods do not run (2.x accepts what 3.x
 * refuses, and the other way round).
 */
export function promtoolMismatch(
  promtoolVersion: string,
  image: string,
): { message: string; hint: string } | undefined {
  const tool = printedSeries(promtoolVersion);
  const runs = imageSeries(image);
  if (tool === undefined || runs === undefined || tool === runs) return undefined;
  return {
    message: `promtool ${tool} checks configs that the federators run on Prometheus ${runs} (federation.image: ${image})`,
    hint: `install promtool ${runs} (the fleet check workflow downloads it), so check judges what runs`,
  };
}
