// Live discovery from the Route 53 API: every page of every selected zone, through one shared client that
// paces itself under Route 53's account-wide limit and retries throttling and 5xx with jittered backoff.
// A listing that cannot be completed throws: a partial list never reaches the snapshot.

import {
  type HostedZone,
  ListHostedZonesCommand,
  type ListHostedZonesCommandOutput,
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsCommandOutput,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { DiscoveryResult } from "../core/discovery/discovery.ts";
import {
  bareZoneId,
  clustersFromZones,
  type HostedZoneRecords,
  normaliseRecordName,
  selectZones,
} from "../core/discovery/route53-records.ts";
import { EXIT_REFUSED, FleetfedError } from "../core/errors.ts";
import type { Route53Account, Route53Settings } from "../core/inputs/settings.ts";
import { compare } from "../core/order.ts";

export interface Route53Progress {
  zones: number;
  zonesListed: number;
  records: number;
  requests: number;
  throttles: number;
}

export interface Route53Options {
  /** AWS region for the client; Route 53 is global, so any region works. */
  region: string;
  onProgress?: (p: Readonly<Route53Progress>) => void;
  /** Zones listed at once; the pacer, not this, bounds the request rate. */
  concurrency?: number;
  /** The whole discovery must finish within this many milliseconds (default five minutes). */
  budgetMs?: number;
}

const DEFAULT_BUDGET_MS = 5 * 60_000;

/** Spaces calls at least 1/rate seconds apart, across every caller sharing it. */
export function createPacer(requestsPerSecond: number): () => Promise<void> {
  const interval = 1000 / requestsPerSecond;
  let next = 0;
  return async () => {
    const now = performance.now();
    const at = Math.max(now, next);
    next = at + interval;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}

function isThrottle(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    ["Throttling", "ThrottlingException", "PriorRequestNotComplete"].includes(err.name ?? "") ||
    err.$metadata?.httpStatusCode === 429
  );
}

/** Discovery could not start: no credential source. plan and discover may fall back to the snapshot. */
export class NoAwsCredentialsError extends FleetfedError {}

/** Credentials from assuming an account's role, refreshed by the SDK as they expire. */
function assumedRole(account: Route53Account, region: string): AwsCredentialIdentityProvider {
  return fromTemporaryCredentials({
    params: {
      RoleArn: account.roleArn,
      RoleSessionName: "fleetfed-sync",
      DurationSeconds: 3600,
      ...(account.externalId && { ExternalId: account.externalId }),
    },
    clientConfig: { region },
  });
}

export function createRoute53Client(
  settings: Route53Settings,
  opts: Route53Options,
  progress: Route53Progress,
  credentials?: AwsCredentialIdentityProvider,
): Route53Client {
  // The SDK's standard retry strategy classifies Throttling, PriorRequestNotComplete, 429 and 5xx as
  // retryable and backs off with full jitter; we only give it more attempts than its default of 3.
  const client = new Route53Client({
    region: opts.region,
    ...(credentials && { credentials }),
    maxAttempts: settings.maxAttempts,
    // A request that hangs must not hang the run: each attempt is bounded, then retried or failed.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000 },
  });
  const pace = createPacer(settings.requestsPerSecond);
  // In finalizeRequest at low priority, this runs inside the retry loop: every attempt is paced and counted.
  client.middlewareStack.add(
    (next) => async (args) => {
      await pace();
      progress.requests++;
      try {
        return await next(args);
      } catch (e) {
        if (isThrottle(e)) progress.throttles++;
        throw e;
      } finally {
        opts.onProgress?.(progress);
      }
    },
    { step: "finalizeRequest", priority: "low", name: "fleetfedPacer" },
  );
  return client;
}

export async function discoverRoute53(
  settings: Route53Settings,
  opts: Route53Options,
): Promise<DiscoveryResult & { progress: Route53Progress }> {
  const progress: Route53Progress = { zones: 0, zonesListed: 0, records: 0, requests: 0, throttles: 0 };
  // One client per account: the caller's own (the standard credential chain), then one per
  // discovery.route53.accounts entry with credentials from assuming its role. Route 53's request rate is
  // per account, so each client has its own pacer.
  const accounts = [
    {
      name: "this account",
      hostedZones: settings.hostedZones,
      client: createRoute53Client(settings, opts, progress),
    },
    ...settings.accounts.map((a) => ({
      name: a.roleArn,
      hostedZones: a.hostedZones,
      client: createRoute53Client(settings, opts, progress, assumedRole(a, opts.region)),
    })),
  ];
  const budgetMs = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  const deadline = performance.now() + budgetMs;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), budgetMs);
  const sender =
    (client: Route53Client): Send =>
    (command) => {
      if (performance.now() > deadline)
        throw new Error(`discovery took longer than its ${budgetMs / 1000} s budget`);
      return client.send(command as never, { abortSignal: abort.signal }) as never;
    };
  try {
    const listed: HostedZoneRecords[] = [];
    for (const account of accounts) {
      const send = sender(account.client);
      const zones = await listZones(send);
      const selected = selectZones(zones, account.hostedZones);
      if (selected.problems.length > 0)
        throw new FleetfedError(
          selected.problems.map((p) =>
            accounts.length > 1 ? { ...p, message: `${p.message} in ${account.name}` } : p,
          ),
        );
      progress.zones += selected.zones.length;
      const found: HostedZoneRecords[] = new Array(selected.zones.length);
      let cursor = 0;
      const worker = async () => {
        while (cursor < selected.zones.length) {
          const i = cursor++;
          const zone = selected.zones[i] as (typeof selected.zones)[number];
          found[i] = {
            id: zone.id,
            name: zone.name,
            ...(accounts.length > 1 && { account: account.name }),
            records: await listRecords(send, zone, progress),
          };
          progress.zonesListed++;
          opts.onProgress?.(progress);
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(opts.concurrency ?? 4, selected.zones.length) }, worker),
      );
      listed.push(...found);
    }
    const findings = clustersFromZones(listed, settings);
    if (findings.problems.length > 0) throw new FleetfedError(findings.problems);
    return {
      clusters: findings.clusters,
      warnings: findings.warnings,
      from: accounts.length > 1 ? `Route 53 in ${accounts.length} accounts` : "Route 53",
      zones: listed.length,
      records: progress.records,
      progress,
    };
  } catch (e) {
    if (e instanceof FleetfedError) throw e;
    const name = (e as Error).name;
    if (progress.requests === 0 && name === "CredentialsProviderError")
      throw new NoAwsCredentialsError(
        {
          message: `Route 53 was not asked: no AWS credentials found (AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, web identity, or an instance role); region ${opts.region}`,
          hint: "set credentials (and AWS_REGION), or preview from what the last sync recorded: fleetfed plan --offline",
        },
        EXIT_REFUSED,
      );
    throw new FleetfedError(
      {
        message: `Route 53 listing failed after ${progress.requests} requests (${progress.throttles} throttled), so nothing was changed: ${abort.signal.aborted ? `discovery took longer than its ${budgetMs / 1000} s budget` : `${name}: ${(e as Error).message}`}`,
        hint: `check credentials, AWS_REGION (${opts.region}), the route53:ListHostedZones / route53:ListResourceRecordSets permissions and, for discovery.route53.accounts, that the sync role may assume each role (sts:AssumeRole)${progress.throttles > 0 ? "; Route 53 throttled, so a later run may succeed" : ""}`,
      },
      EXIT_REFUSED,
    );
  } finally {
    clearTimeout(timer);
    for (const a of accounts) a.client.destroy();
  }
}

type Send = <O>(command: ListHostedZonesCommand | ListResourceRecordSetsCommand) => Promise<O>;

async function listZones(send: Send): Promise<{ id: string; name: string; private: boolean }[]> {
  const zones: HostedZone[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await send<ListHostedZonesCommandOutput>(
      new ListHostedZonesCommand({ MaxItems: 100, ...(marker && { Marker: marker }) }),
    );
    zones.push(...(page.HostedZones ?? []));
    marker = page.IsTruncated ? page.NextMarker : undefined;
    if (page.IsTruncated && !marker) throw new Error("ListHostedZones said IsTruncated without a NextMarker");
    // An endpoint that hands back a marker it already gave would page forever, burning the account's rate.
    if (marker !== undefined && seen.has(marker))
      throw new Error(`ListHostedZones returned NextMarker ${marker} twice; the answer is not Route 53's`);
    if (marker !== undefined) seen.add(marker);
  } while (marker);
  return zones
    .map((z) => ({
      id: bareZoneId(z.Id ?? ""),
      name: normaliseRecordName(z.Name ?? ""),
      // A zone without Config is public, as Route 53 reports it.
      private: z.Config?.PrivateZone === true,
    }))
    .sort((a, b) => compare(a.id, b.id));
}

/**
 * Every record set of a zone. The three Next* values go back exactly as received; short pages are normal.
 * A Route 53 zone always holds its SOA and NS records, so a listing without them is not Route 53's answer
 * (a proxy's HTML page parses as an empty listing): that fails the run rather than removing the zone's
 * clusters. A next key seen before would page forever: that fails too.
 */
async function listRecords(
  send: Send,
  zone: { id: string; name: string },
  progress: Route53Progress,
): Promise<ResourceRecordSet[]> {
  const records: ResourceRecordSet[] = [];
  const seen = new Set<string>();
  let start:
    | Pick<ListResourceRecordSetsCommandOutput, "NextRecordName" | "NextRecordType" | "NextRecordIdentifier">
    | undefined;
  for (;;) {
    const page = await send<ListResourceRecordSetsCommandOutput>(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        MaxItems: 300,
        ...(start?.NextRecordName !== undefined && { StartRecordName: start.NextRecordName }),
        ...(start?.NextRecordType !== undefined && { StartRecordType: start.NextRecordType }),
        ...(start?.NextRecordIdentifier !== undefined && {
          StartRecordIdentifier: start.NextRecordIdentifier,
        }),
      }),
    );
    const got = page.ResourceRecordSets ?? [];
    records.push(...got);
    progress.records += got.length;
    if (!page.IsTruncated) break;
    if (page.NextRecordName === undefined)
      throw new Error(`ListResourceRecordSets for ${zone.id} said IsTruncated without NextRecordName`);
    const key = `${page.NextRecordName}|${page.NextRecordType ?? ""}|${page.NextRecordIdentifier ?? ""}`;
    if (seen.has(key))
      throw new Error(
        `ListResourceRecordSets for ${zone.id} returned the same next record (${page.NextRecordName}) twice; the answer is not Route 53's`,
      );
    seen.add(key);
    start = page;
  }
  const types = new Set(records.map((r) => r.Type));
  if (!types.has("SOA") || !types.has("NS")) {
    throw new Error(
      `the listing of zone ${zone.name} (${zone.id}) has no ${types.has("SOA") ? "NS" : "SOA"} record, which every Route 53 zone has; the answer was not Route 53's (a proxy or gateway page?)`,
    );
  }
  return records;
}
