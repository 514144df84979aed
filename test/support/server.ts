// Test servers listen on 127.0.0.1 only and close themselves after ten minutes at the latest.

import type { Server } from "node:http";

export async function listenLocal(
  server: Server,
  lifetimeMs = 600_000,
): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const stopper = setTimeout(() => server.close(), lifetimeMs);
  stopper.unref();
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(stopper);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
