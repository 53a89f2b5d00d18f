/**
 * A loopback pass-through in front of the ECR implementation the end-to-end tests run against: the
 * bundles and the CLI are pointed at it, it forwards every request unchanged and records what the code
 * under test called. So the call counts and the audit events a test asserts are known against any
 * implementation (the emulator or moto), not only against one that keeps statistics.
 *
 * It reads the operation from `X-Amz-Target`, which both ECR and EventBridge use (AWS JSON 1.1:
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An EventBridge entry the code under test put, as the backend accepted it (HTTP 2xx). */
export interface PutEventsEntry {
  readonly source: string | undefined;
  readonly detailType: string | undefined;
  readonly eventBusName: string | undefined;
  readonly detail: unknown;
}

export interface CallRecorder {
  /** Point the code under test here. */
  readonly url: string;
  /** Calls per operation since the last {@link CallRecorder.clear}. */
  calls(): Record<string, number>;
  /** PutEvents entries since the last {@link CallRecorder.clear}. */
  events(): PutEventsEntry[];
  clear(): void;
  stop(): Promise<void>;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

const asString = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** The entries of a PutEvents request body, in the shape tests assert on. */
function entriesOf(body: Buffer): PutEventsEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  const entries = field(parsed, 'Entries');
  if (!Array.isArray(entries)) return [];
  return entries.map((entry: unknown) => {
    const detail = asString(field(entry, 'Detail'));
    return {
      source: asString(field(entry, 'Source')),
      detailType: asString(field(entry, 'DetailType')),
      eventBusName: asString(field(entry, 'EventBusName')),
      detail: detail === undefined ? undefined : JSON.parse(detail),
    };
  });
}

/** Starts the pass-through on a free loopback port, forwarding to `target` (an http:// URL). */
export async function startRecorder(target: string): Promise<CallRecorder> {
  const upstream = new URL(target);
  let counts: Record<string, number> = {};
  let published: PutEventsEntry[] = [];

  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readAll(incoming);
      const operation =
        String(incoming.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() || 'unknown';
      counts[operation] = (counts[operation] ?? 0) + 1;
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (response) => {
          void (async () => {
            const answer = await readAll(response);
            const status = response.statusCode ?? 502;
            if (operation === 'PutEvents' && status >= 200 && status < 300)
              published.push(...entriesOf(body));
            outgoing.writeHead(status, response.headers);
            outgoing.end(answer);
          })();
        },
      );
      forwarded.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`recorder: ${target} did not answer: ${error.message}`);
      });
      forwarded.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => ({ ...counts }),
    events: () => [...published],
    clear() {
      counts = {};
      published = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
