/**
 * A loopback pass-through in front of the ECR implementation the end-to-end tests run against: the
 * bundles and the CLI are pointed at it, it forwards every request unchanged and records what the code
 * under test called. So the call counts and the audit events a test asserts are known against any
 * implementation (the emulator or moto), not only against one that keeps statistics.
 *
 * It names each call's operation as its protocol does: `X-Amz-Target` for the JSON protocols (ECR,
 * EventBridge, Organizations, CloudTrail, Security Hub: https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html),
 * the `Action` parameter of the Query protocol (STS, IAM: https://smithy.io/2.0/aws/protocols/aws-query-protocol.html),
 * the method and path for S3's REST protocol (path-style, as the SDK sends it to a loopback endpoint); and
 * each answer's error code from the `X-Amzn-ErrorType` header, a JSON `__type` or an XML `<Code>`.
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

/** How the calls of one operation ended, in the shape of the emulator's statistics. */
export interface OperationOutcomes {
  calls: number;
  /** Answered with HTTP 2xx. */
  ok: number;
  /** Answered with an error, by its code. */
  errors: Record<string, number>;
}

export interface CallRecorder {
  /** Point the code under test here. */
  readonly url: string;
  /** Calls per operation since the last {@link CallRecorder.clear}. */
  calls(): Record<string, number>;
  /** How each operation's calls ended since the last {@link CallRecorder.clear}. */
  operations(): Record<string, OperationOutcomes>;
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

/** S3's operation from the method and the path-style URL (`/bucket` or `/bucket/key`), for what the tests call. */
function s3Operation(method: string, url: string): string {
  const { pathname, searchParams } = new URL(url, 'http://recorder');
  const hasKey = pathname.split('/').filter((segment) => segment !== '').length > 1;
  switch (method) {
    case 'GET':
      if (hasKey) return 'GetObject';
      return searchParams.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    case 'PUT':
      return hasKey ? 'PutObject' : 'CreateBucket';
    case 'HEAD':
      return hasKey ? 'HeadObject' : 'HeadBucket';
    case 'DELETE':
      return hasKey ? 'DeleteObject' : 'DeleteBucket';
    default:
      return `S3 ${method}`;
  }
}

function operationOf(incoming: IncomingMessage, body: Buffer): string {
  const target = String(incoming.headers['x-amz-target'] ?? '');
  if (target !== '') return target.split('.').pop() || 'unknown';
  if (String(incoming.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
    return new URLSearchParams(body.toString('utf8')).get('Action') ?? 'unknown';
  return s3Operation(incoming.method ?? 'GET', incoming.url ?? '/');
}

/** The error code of a failed answer, as each protocol carries it. */
function errorCodeOf(headers: IncomingMessage['headers'], answer: Buffer): string {
  const header = headers['x-amzn-errortype'];
  if (typeof header === 'string' && header !== '') return header.split(':')[0] ?? header;
  const text = answer.toString('utf8');
  const type = asString(field(parseJson(text), '__type'));
  if (type !== undefined) return type.split('#').pop() ?? type;
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'unknown';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Starts the pass-through on a free loopback port, forwarding to `target` (an http:// URL). */
export async function startRecorder(target: string): Promise<CallRecorder> {
  const upstream = new URL(target);
  let outcomes: Record<string, OperationOutcomes> = {};
  let published: PutEventsEntry[] = [];

  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readAll(incoming);
      const operation = operationOf(incoming, body);
      const outcome = outcomes[operation] ?? { calls: 0, ok: 0, errors: {} };
      outcomes[operation] = outcome;
      outcome.calls += 1;
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
            if (status >= 200 && status < 300) {
              outcome.ok += 1;
              if (operation === 'PutEvents') published.push(...entriesOf(body));
            } else {
              const code = errorCodeOf(response.headers, answer);
              outcome.errors[code] = (outcome.errors[code] ?? 0) + 1;
            }
            outgoing.writeHead(status, response.headers);
            outgoing.end(answer);
          })();
        },
      );
      forwarded.on('error', (error) => {
        outcome.errors.RecorderUpstreamError = (outcome.errors.RecorderUpstreamError ?? 0) + 1;
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
    calls: () =>
      Object.fromEntries(Object.entries(outcomes).map(([operation, { calls }]) => [operation, calls])),
    operations: () => structuredClone(outcomes),
    events: () => [...published],
    clear() {
      outcomes = {};
      published = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
