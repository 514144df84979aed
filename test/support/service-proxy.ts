// A stand-in for a Kubernetes Service in front of a StatefulSet's replicas: TCP connections go to the first
// replica that accepts them, so when one replica dies the next connection reaches the other. Listens on
// 127.0.0.1 only and closes itself after ten minutes at the latest.

import { connect, createServer, type Socket } from "node:net";

export async function startServiceProxy(
  upstreams: readonly number[],
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.pause();
    const tryNext = (i: number) => {
      if (i >= upstreams.length) return client.destroy();
      const upstream = connect(upstreams[i] as number, "127.0.0.1");
      upstream.once("error", () => {
        upstream.destroy();
        tryNext(i + 1);
      });
      upstream.once("connect", () => {
        sockets.add(upstream);
        upstream.on("close", () => sockets.delete(upstream));
        upstream.removeAllListeners("error");
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryNext(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const stopper = setTimeout(() => server.close(), 600_000);
  stopper.unref();
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(stopper);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
