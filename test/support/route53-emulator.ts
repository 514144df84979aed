// A local Route 53 emulator speaking the REST-XML wire protocol (2013-04-01) for the real AWS SDK:
// ListHostedZones and ListResourceRecordSets with AWS's ordering and three-key paging, escaped names,
// alias records, zones without Config, Throttling from a token bucket, and injected 5xx faults. Like Route
// 53, every zone holds its apex SOA and NS records (added when a fixture leaves them out). It can also
// misbehave as a broken network path does: an HTML page with HTTP 200, or paging that never ends.
// It listens on 127.0.0.1 only and closes itself after ten minutes at the latest.

import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { listenLocal } from "./server.ts";

export interface EmulatedRecord {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  Failover?: "PRIMARY" | "SECONDARY";
  TTL?: number;
  Values?: string[];
  Alias?: { HostedZoneId: string; DNSName: string };
}

export interface EmulatedZone {
  id: string;
  /** As Route 53 returns it: escaped form, trailing dot. */
  name: string;
  /** undefined: the zone has no Config element at all. */
  private?: boolean;
  records: EmulatedRecord[];
}

export interface EmulatorOptions {
  /** Token bucket: requests per second and burst; beyond it, HTTP 400 Throttling. */
  rate?: number;
  burst?: number;
  /** Largest page the server returns, whatever maxitems asks (AWS: 300 records, 100 zones). */
  maxRecordsPerPage?: number;
  maxZonesPerPage?: number;
  /** Zone ids whose record listing answers HTTP 200 with an HTML page, as a proxy or captive gateway does. */
  htmlFor?: readonly string[];
  /** Zone ids whose record listing says IsTruncated with the same NextRecordName forever. */
  endlessRecordsFor?: readonly string[];
  /** ListHostedZones says IsTruncated with the same NextMarker forever. */
  endlessZones?: boolean;
  /**
   * Accounts: access key id → the zone ids that account holds. A request signed with one of these keys
   * sees only its zones; any other key sees the zones no account claims (the caller's own account).
   */
  accounts?: Readonly<Record<string, readonly string[]>>;
}

const HTML_PAGE =
  "<!DOCTYPE html>\n<html><head><title>Sign in to continue</title></head><body><h1>Network login required</h1></body></html>";

export interface Route53Emulator {
  url: string;
  requests: number;
  throttled: number;
  faults: number;
  /** The next `n` requests fail with `status` (n = Infinity: every request). */
  injectFaults(n: number, status?: number): void;
  close(): Promise<void>;
}

const NS = "https://route53.amazonaws.com/doc/2013-04-01/";

const xml = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const el = (tag: string, value: string | number | boolean | undefined) =>
  value === undefined ? "" : `<${tag}>${xml(String(value))}</${tag}>`;

/** AWS's order: labels compared from the right (escaped form, case-insensitive), then type, then set identifier. */
export function compareRecords(
  a: { name: string; type?: string; id?: string },
  b: { name: string; type?: string; id?: string },
): number {
  const la = a.name.toLowerCase().replace(/\.$/, "").split(".").reverse();
  const lb = b.name.toLowerCase().replace(/\.$/, "").split(".").reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return (la[i] as string) < (lb[i] as string) ? -1 : 1;
  }
  if (la.length !== lb.length) return la.length - lb.length;
  if (a.type === undefined || b.type === undefined) return 0;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.id === undefined || b.id === undefined) return 0;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function recordXml(r: EmulatedRecord): string {
  return `<ResourceRecordSet>${el("Name", r.Name)}${el("Type", r.Type)}${el("SetIdentifier", r.SetIdentifier)}${el("Weight", r.Weight)}${el("Failover", r.Failover)}${
    r.Alias
      ? `<AliasTarget>${el("HostedZoneId", r.Alias.HostedZoneId)}${el("DNSName", r.Alias.DNSName)}<EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>`
      : `${el("TTL", r.TTL ?? 300)}<ResourceRecords>${(r.Values ?? ["10.0.0.1"]).map((v) => `<ResourceRecord>${el("Value", v)}</ResourceRecord>`).join("")}</ResourceRecords>`
  }</ResourceRecordSet>`;
}

function errorXml(code: string, message: string, type = "Sender"): string {
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

export async function startRoute53Emulator(
  zones: EmulatedZone[],
  opts: EmulatorOptions = {},
): Promise<Route53Emulator> {
  const withApex = (z: EmulatedZone): EmulatedRecord[] => [
    ...(z.records.some((r) => r.Type === "SOA")
      ? []
      : [
          {
            Name: z.name,
            Type: "SOA",
            Values: ["ns-1.awsdns-01.org. hostmaster.example.com. 1 7200 900 1209600 86400"],
          },
        ]),
    ...(z.records.some((r) => r.Type === "NS")
      ? []
      : [{ Name: z.name, Type: "NS", Values: ["ns-1.awsdns-01.org."] }]),
    ...z.records,
  ];
  const sorted = new Map(
    zones.map((z) => [
      z.id,
      withApex(z).sort((a, b) =>
        compareRecords(
          { name: a.Name, type: a.Type, id: a.SetIdentifier ?? "" },
          { name: b.Name, type: b.Type, id: b.SetIdentifier ?? "" },
        ),
      ),
    ]),
  );
  const allZones = [...zones].sort((a, b) => (a.id < b.id ? -1 : 1));
  const rate = opts.rate ?? Infinity;
  const burst = opts.burst ?? rate;
  let tokens = burst;
  let refilled = performance.now();
  let faultsLeft = 0;
  let faultStatus = 500;

  const state = { requests: 0, throttled: 0, faults: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    const send = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() });
      res.end(body);
    };
    const now = performance.now();
    tokens = Math.min(burst, tokens + ((now - refilled) / 1000) * rate);
    refilled = now;
    if (tokens < 1) {
      state.throttled++;
      return send(400, errorXml("Throttling", "Rate exceeded"));
    }
    tokens -= 1;
    if (faultsLeft > 0) {
      faultsLeft--;
      state.faults++;
      return send(faultStatus, errorXml("ServiceUnavailable", "injected fault", "Receiver"));
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const q = url.searchParams;
    const key = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const claimed = new Set(Object.values(opts.accounts ?? {}).flat());
    const visible = (zoneId: string) =>
      opts.accounts?.[key] ? opts.accounts[key].includes(zoneId) : !claimed.has(zoneId);
    const zoneList = allZones.filter((z) => visible(z.id));
    if (req.method === "GET" && url.pathname === "/2013-04-01/hostedzone") {
      const max = Math.min(Number(q.get("maxitems") ?? 100), opts.maxZonesPerPage ?? 100);
      const marker = q.get("marker");
      const start = marker ? zoneList.findIndex((z) => z.id === marker) : 0;
      if (start < 0) return send(400, errorXml("InvalidInput", `bad marker ${marker}`));
      const page = zoneList.slice(start, start + max);
      const next = opts.endlessZones ? zoneList[0] : zoneList[start + max];
      const body = page
        .map(
          (z) =>
            `<HostedZone>${el("Id", `/hostedzone/${z.id}`)}${el("Name", z.name)}${el("CallerReference", z.id)}${
              z.private === undefined
                ? ""
                : `<Config><Comment>emulated</Comment>${el("PrivateZone", z.private)}</Config>`
            }${el("ResourceRecordSetCount", z.records.length)}</HostedZone>`,
        )
        .join("");
      return send(
        200,
        `<?xml version="1.0"?>\n<ListHostedZonesResponse xmlns="${NS}"><HostedZones>${body}</HostedZones>${el("Marker", marker ?? "")}${el("IsTruncated", next !== undefined)}${el("NextMarker", next?.id)}${el("MaxItems", max)}</ListHostedZonesResponse>`,
      );
    }
    const m = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset$/.exec(url.pathname);
    if (req.method === "GET" && m) {
      const records = visible(m[1] as string) ? sorted.get(m[1] as string) : undefined;
      if (!records) return send(404, errorXml("NoSuchHostedZone", `No hosted zone found with ID: ${m[1]}`));
      if (opts.htmlFor?.includes(m[1] as string)) {
        res.writeHead(200, { "content-type": "text/html" });
        return res.end(HTML_PAGE);
      }
      const type = q.get("type") ?? undefined;
      const name = q.get("name") ?? undefined;
      const identifier = q.get("identifier") ?? undefined;
      if (type && !name) return send(400, errorXml("InvalidInput", "type without name"));
      const max = Math.min(Number(q.get("maxitems") ?? 300), opts.maxRecordsPerPage ?? 300);
      const start = name
        ? records.findIndex(
            (r) =>
              compareRecords(
                { name: r.Name, type: r.Type, id: r.SetIdentifier ?? "" },
                { name, type, id: identifier ?? (type ? "" : undefined) },
              ) >= 0,
          )
        : 0;
      const from = start < 0 ? records.length : start;
      const page = records.slice(from, from + max);
      const next = opts.endlessRecordsFor?.includes(m[1] as string) ? records[0] : records[from + max];
      return send(
        200,
        `<?xml version="1.0"?>\n<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${page.map(recordXml).join("")}</ResourceRecordSets>${el("IsTruncated", next !== undefined)}${
          next
            ? `${el("NextRecordName", next.Name)}${el("NextRecordType", next.Type)}${el("NextRecordIdentifier", next.SetIdentifier)}`
            : ""
        }${el("MaxItems", max)}</ListResourceRecordSetsResponse>`,
      );
    }
    send(400, errorXml("InvalidAction", `emulator does not implement ${req.method} ${url.pathname}`));
  });
  const { url, close } = await listenLocal(server);
  return {
    url,
    get requests() {
      return state.requests;
    },
    get throttled() {
      return state.throttled;
    },
    get faults() {
      return state.faults;
    },
    injectFaults(n, status = 500) {
      faultsLeft = n;
      faultStatus = status;
    },
    close,
  };
}
