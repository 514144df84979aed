// The strict fronts that stand in for Mimir, Thanos Receive and a VictoriaMetrics cluster in the
// end-to-end test (test/support/engines.ts): each accepts exactly its engine's shape and refuses the other
// engines', with the engine's status, so that a rendered write entry of the wrong shape cannot pass.

import { createServer } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { type FrontShape, startFront } from "./support/engines.ts";
import { listenLocal } from "./support/server.ts";

const got: string[] = [];
const backend = await listenLocal(
  createServer((req, res) => {
    got.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(204).end();
  }),
);
afterAll(() => backend.close());

/** One request of each engine's write shape, as a Prometheus remote-write client sends it. */
const WRITES: Record<FrontShape, { path: string; headers: Record<string, string> }> = {
  mimir: { path: "/api/v1/push", headers: { "X-Scope-OrgID": "t1" } },
  "thanos-receive": { path: "/api/v1/receive", headers: { "THANOS-TENANT": "t1" } },
  "victoriametrics-cluster": { path: "/insert/7/prometheus/api/v1/write", headers: {} },
  prometheus: { path: "/api/v1/write", headers: {} },
};
const TENANT: Record<FrontShape, string | undefined> = {
  mimir: "t1",
  "thanos-receive": "t1",
  "victoriametrics-cluster": "7",
  prometheus: undefined,
};
const PROTOCOL = {
  "Content-Type": "application/x-protobuf",
  "Content-Encoding": "snappy",
  "X-Prometheus-Remote-Write-Version": "0.1.0",
};

describe("each engine's front", () => {
  const shapes = Object.keys(WRITES) as FrontShape[];
  it.each(shapes)("%s accepts its own write shape and refuses every other engine's", async (shape) => {
    const front = await startFront(shape, TENANT[shape], {
      write: `${backend.url}/write`,
      query: `${backend.url}/q`,
    });
    try {
      for (const other of shapes) {
        const w = WRITES[other];
        const r = await fetch(`${front.url}${w.path}`, {
          method: "POST",
          headers: { ...PROTOCOL, ...w.headers },
          body: "x",
        });
        if (other === shape) expect(r.status, other).toBe(204);
        else expect(r.status, `${shape} given ${other}'s shape`).toBeGreaterThanOrEqual(400);
      }
      // Its own path without the remote-write protocol's headers, or without its tenant, is refused too.
      const own = WRITES[shape];
      expect(
        (await fetch(`${front.url}${own.path}`, { method: "POST", headers: own.headers, body: "x" })).status,
      ).toBe(400);
      if (shape === "mimir" || shape === "thanos-receive")
        expect(
          (await fetch(`${front.url}${own.path}`, { method: "POST", headers: PROTOCOL, body: "x" })).status,
        ).toBeGreaterThanOrEqual(400);
      expect(front.forwarded.write).toBe(1);
    } finally {
      await front.close();
    }
  });

  it("answers Mimir's no-tenant error and forwards a query only with the tenant", async () => {
    const front = await startFront("mimir", "t1", {
      write: `${backend.url}/write`,
      query: `${backend.url}/q`,
    });
    try {
      const bare = await fetch(`${front.url}/prometheus/api/v1/query?query=up`);
      expect(bare.status).toBe(401);
      expect(await bare.text()).toBe("no org id\n");
      const ok = await fetch(`${front.url}/prometheus/api/v1/query?query=up`, {
        headers: { "X-Scope-OrgID": "t1" },
      });
      expect(ok.status).toBe(204);
      expect(got).toContain("GET /q/api/v1/query?query=up");
    } finally {
      await front.close();
    }
  });
});
