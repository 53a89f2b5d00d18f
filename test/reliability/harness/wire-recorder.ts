/**
 * A loopback proxy in front of an ECR implementation that records what crossed the wire: calls per
 * operation and status, and every successful `PutImageTagMutability` with the repository it wrote.
 * The functions under test talk to the proxy; the test's own changes (seeding, churn) go straight to
 * the backend, so every recorded write is one the functions made.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedWrite {
  readonly repositoryName: string;
  readonly registryId: string | undefined;
  readonly imageTagMutability: string;
  readonly filters: readonly string[];
  readonly at: number;
}

export interface WireRecorder {
  readonly url: string;
  /** Calls per operation and HTTP status, e.g. `{ PutImageTagMutability: { 200: 3, 400: 1 } }`. */
  readonly calls: Map<string, Map<number, number>>;
  /** Successful writes, in the order their answers passed the proxy. */
  readonly writes: RecordedWrite[];
  /** Writes per repository name. */
  writesTo(name: string): number;
  /** Forgets everything recorded so far. */
  clear(): void;
  stop(): Promise<void>;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function field(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null && key in body
    ? (body as Record<string, unknown>)[key]
    : undefined;
}

export async function startWireRecorder(target: string): Promise<WireRecorder> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const calls = new Map<string, Map<number, number>>();
  const writes: RecordedWrite[] = [];

  const server = createServer(async (request, response) => {
    try {
      const body = await readAll(request);
      const header = request.headers['x-amz-target'];
      const operation = typeof header === 'string' ? header.slice(header.lastIndexOf('.') + 1) : 'none';
      type Answer = { status: number; headers: IncomingMessage['headers']; body: Buffer };
      const forwardOnce = () =>
        new Promise<Answer>((resolve, reject) => {
          const forward = httpRequest(
            {
              host: upstream.hostname,
              port: upstream.port,
              method: request.method,
              path: request.url,
              headers: { ...request.headers, host: upstream.host },
              agent,
            },
            async (reply) => {
              try {
                resolve({
                  status: reply.statusCode ?? 502,
                  headers: reply.headers,
                  body: await readAll(reply),
                });
              } catch (error) {
                reject(error);
              }
            },
          );
          forward.on('error', reject);
          forward.end(body);
        });
      // A kept-alive socket the backend has just closed fails before the request reaches it: send once more.
      const answer = await forwardOnce().catch((error: unknown) => {
        if (
          error instanceof Error &&
          'code' in error &&
          (error.code === 'ECONNRESET' || error.code === 'EPIPE')
        ) {
          return forwardOnce();
        }
        throw error;
      });
      const byStatus = calls.get(operation) ?? new Map<number, number>();
      byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
      calls.set(operation, byStatus);
      if (operation === 'PutImageTagMutability' && answer.status === 200) {
        const input: unknown = JSON.parse(body.toString('utf8'));
        const filters = field(input, 'imageTagMutabilityExclusionFilters');
        writes.push({
          repositoryName: String(field(input, 'repositoryName')),
          registryId:
            typeof field(input, 'registryId') === 'string' ? String(field(input, 'registryId')) : undefined,
          imageTagMutability: String(field(input, 'imageTagMutability')),
          filters: Array.isArray(filters) ? filters.map((entry) => String(field(entry, 'filter'))) : [],
          at: Date.now(),
        });
      }
      const headers = { ...answer.headers };
      delete headers['transfer-encoding'];
      headers['content-length'] = String(answer.body.length);
      response.writeHead(answer.status, headers);
      response.end(answer.body);
    } catch (error) {
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ __type: 'ProxyError', message: String(error) }));
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    writes,
    writesTo: (name) => writes.filter((write) => write.repositoryName === name).length,
    clear() {
      calls.clear();
      writes.length = 0;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
