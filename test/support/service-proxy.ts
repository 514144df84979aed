// A stand-in for a Kubernetes Service in front of a StatefulSet's replicas, balancing per connection as
// kube-proxy does: each new TCP connection goes to the next replica in turn that accepts it, and a kept-
// alive connection stays on its replica until it closes. So when one replica dies, the next connection
// reaches the other; `move()` closes every open connection, as a node or proxy restart would, so the
// client's next request lands on another replica. Listens on 127.0.0.1 only and closes itself after ten
// minutes at the latest.

import { connect, createServer, type Socket } from "node:net";

export interface ServiceProxy {
  port: number;
  /** The replica ports that open connections are routed to right now. */
  routes: () => number[];
  /** Closes every open connection: the next request starts a new one, on the next replica in turn. */
  move: () => void;
  close: () => Promise<void>;
}

export async function startServiceProxy(upstreams: readonly number[]): Promise<ServiceProxy> {
  const sockets = new Set<Socket>();
  const routed = new Map<Socket, number>();
  let next = 0;
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => {
      sockets.delete(client);
      routed.delete(client);
    });
    client.pause();
    const first = next;
    next = (next + 1) % upstreams.length;
    const tryNext = (tries: number) => {
      if (tries >= upstreams.length) return client.destroy();
      const port = upstreams[(first + tries) % upstreams.length] as number;
      const upstream = connect(port, "127.0.0.1");
      upstream.once("error", () => {
        upstream.destroy();
        tryNext(tries + 1);
      });
      upstream.once("connect", () => {
        sockets.add(upstream);
        routed.set(client, port);
        upstream.on("close", () => {
          sockets.delete(upstream);
          client.destroy();
        });
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
    routes: () => [...new Set(routed.values())].sort((a, b) => a - b),
    move: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(stopper);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
