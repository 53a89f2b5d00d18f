/**
 * HTTPS in front of a loopback server (the emulator speaks HTTP): a TLS listener on 127.0.0.1 that pipes
 * each connection to the server's port, with a throwaway self-signed certificate for 127.0.0.1 made by
 * the `openssl` command. Clients trust it through NODE_EXTRA_CA_CERTS. The SDK then calls over HTTPS as it
 * does in Lambda: `node:https` and a TLS handshake, never `node:http`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import path from 'node:path';
import { createServer } from 'node:tls';

export interface TlsFront {
  /** `https://127.0.0.1:<port>`: the endpoint for SDK clients. */
  readonly url: string;
  /** The certificate, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  stop(): Promise<void>;
}

/** True when the `openssl` command can make the certificate. */
export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

/** Starts a TLS front for `127.0.0.1:port`, its key and certificate in `dir`. */
export async function startTlsFront(port: number, dir: string): Promise<TlsFront> {
  mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'key.pem');
  const caFile = path.join(dir, 'cert.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      caFile,
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (socket) => {
    // No Nagle on either leg: a request written in two pieces (headers, then body) would otherwise wait
    // for the server's delayed ACK of the first (up to 40 ms on Linux) before the second is passed on.
    socket.setNoDelay(true);
    const upstream = connect({ port, host: '127.0.0.1', noDelay: true });
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${address.port}`,
    caFile,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
