/** Loopback servers that misbehave as a network can: one that accepts connections and never answers. */
import { createServer, type Server, type Socket } from 'node:net';

/** The `http://127.0.0.1:<port>` URL of a listening server. */
export function loopbackUrl(server: Pick<Server, 'address'>): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return `http://127.0.0.1:${address.port}`;
}

/** A TCP server on 127.0.0.1 that accepts every connection and never writes a byte. */
export async function silentServer(): Promise<{
  url: string;
  connections: () => number;
  stop: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: loopbackUrl(server),
    connections: () => connections,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
