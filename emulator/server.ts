/**
 * The HTTP side: AWS JSON 1.1 requests on `POST /` (ECR and EventBridge PutEvents) and the loopback-only
 * `/_emulator/*` control routes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminRequestError, AwsError, serializationError } from './errors.ts';
import { putEvents } from './events.ts';
import { parseFaultConfig } from './faults.ts';
import { toWireRepository } from './model.ts';
import { ECR_OPERATIONS, type EcrOperation, isEcrOperation, runEcrOperation } from './operations.ts';
import { seedRepositories } from './seed.ts';
import { DEFAULT_REGION, type EmulatorState } from './state.ts';
import { toWireTemplate } from './templates.ts';
import { isJsonObject, type JsonObject } from './validate.ts';

/** Default cap on a request body: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const EVENTS_TARGET_PREFIX = 'AWSEvents.';
const JSON_11 = 'application/x-amz-json-1.1';
// SigV4: Authorization: AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request, ...
const CREDENTIAL_SCOPE = /Credential=([^/,\s]+)\/[0-9]{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Operations fault injection and stats know about. */
export const API_OPERATIONS: readonly string[] = [...ECR_OPERATIONS, 'PutEvents'];

type ApiOperation =
  | { readonly service: 'ecr'; readonly name: EcrOperation }
  | { readonly service: 'events'; readonly name: 'PutEvents' };

interface Reply {
  readonly status: number;
  readonly body: JsonObject;
}

interface Body {
  readonly bytes: Buffer;
  readonly tooLarge: boolean;
}

/** Reads a request body, keeping at most `maxBytes`; the rest is drained so the client still gets an answer. */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve({ bytes: Buffer.concat(chunks), tooLarge: size > maxBytes }));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown, contentType: string): void {
  if (response.destroyed || response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

function errorReply(error: AwsError): Reply {
  return { status: error.status, body: { __type: error.code, message: error.message } };
}

function resolveTarget(target: string): ApiOperation {
  if (target.startsWith(ECR_TARGET_PREFIX)) {
    const name = target.slice(ECR_TARGET_PREFIX.length);
    if (isEcrOperation(name)) return { service: 'ecr', name };
  } else if (target === `${EVENTS_TARGET_PREFIX}PutEvents`) {
    return { service: 'events', name: 'PutEvents' };
  }
  throw new AwsError(
    'UnknownOperationException',
    `The ECR emulator does not serve '${target}'; it serves ECR ${ECR_OPERATIONS.join(', ')} and EventBridge PutEvents`,
  );
}

function parseJsonBody(bytes: Buffer): JsonObject {
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw serializationError(
      `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isJsonObject(value)) throw serializationError('The request body must be a JSON object');
  return value;
}

interface Caller {
  readonly account: string;
  readonly region: string;
}

/**
 * The caller's account and region from the SigV4 credential scope. The signature itself is not verified;
 * a missing header is refused as AWS does (MissingAuthenticationToken, 403 in the Common Errors reference).
 */
function identifyCaller(state: EmulatorState, authorization: string | undefined): Caller {
  if (authorization === undefined || authorization === '') {
    throw new AwsError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 403);
  }
  const [, accessKeyId, region] = CREDENTIAL_SCOPE.exec(authorization) ?? [];
  if (accessKeyId === undefined || region === undefined) {
    throw new AwsError(
      'IncompleteSignatureException',
      "Authorization header requires a 'Credential' parameter of the form <key>/<date>/<region>/<service>/aws4_request",
    );
  }
  return { account: state.accountFor(accessKeyId), region };
}

function injectedFault(operation: ApiOperation, fault: 'throttle' | 'server-error'): AwsError {
  if (fault === 'throttle') return new AwsError('ThrottlingException', 'Rate exceeded');
  // Each service's own 5xx code: ECR's ServerException, EventBridge's InternalException.
  return operation.service === 'ecr'
    ? new AwsError('ServerException', 'Injected server fault (emulator)', 500)
    : new AwsError('InternalException', 'Injected server fault (emulator)', 500);
}

function runOperation(
  state: EmulatorState,
  operation: ApiOperation,
  caller: Caller,
  input: JsonObject,
): JsonObject {
  const nowMs = state.now();
  switch (operation.service) {
    case 'ecr':
      return runEcrOperation(
        operation.name,
        {
          ...caller,
          store: state.store,
          nowMs,
          visibilityDelayMs: state.visibilityDelayMs,
          tokens: state.tokens,
        },
        input,
      );
    case 'events':
      return putEvents({ ...caller, sink: state.events, nowMs }, input);
  }
}

/** Handles one API call: size, authentication, target, body, faults, then the operation. */
async function callApi(
  state: EmulatorState,
  request: IncomingMessage,
  body: Body,
  options: HandlerOptions,
): Promise<{ readonly operation: string; readonly reply: Reply }> {
  const header = request.headers['x-amz-target'];
  const target = typeof header === 'string' ? header : '';
  const operationName = target.slice(target.lastIndexOf('.') + 1) || '(no X-Amz-Target)';
  try {
    if (body.tooLarge) {
      const message = `The request body is larger than ${options.maxBodyBytes} bytes`;
      throw new AwsError('RequestEntityTooLargeException', message, 413);
    }
    const caller = identifyCaller(state, request.headers.authorization);
    if (target === '')
      throw new AwsError('UnknownOperationException', 'The request has no X-Amz-Target header');
    const operation = resolveTarget(target);
    const input = parseJsonBody(body.bytes);
    const decision = state.faults.decide(operation.name, state.now());
    if (decision.latencyMs > 0) await sleep(decision.latencyMs, undefined, { signal: options.signal });
    if (decision.fault !== 'none') throw injectedFault(operation, decision.fault);
    return {
      operation: operation.name,
      reply: { status: 200, body: runOperation(state, operation, caller, input) },
    };
  } catch (error) {
    if (error instanceof AwsError) return { operation: operationName, reply: errorReply(error) };
    throw error;
  }
}

function queryValue(url: URL, name: string): string | undefined {
  return url.searchParams.get(name) ?? undefined;
}

function parseAdminBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return {};
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new AdminRequestError('the request body is not valid JSON', { cause: error });
  }
}

function adminRoute(state: EmulatorState, method: string, url: URL, bytes: Buffer): Reply {
  const route = `${method} ${url.pathname.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /_emulator/health':
      return { status: 200, body: { ok: true } };
    case 'GET /_emulator/stats':
      return { status: 200, body: { ...state.stats.snapshot() } };
    case 'POST /_emulator/reset':
      state.reset();
      return { status: 200, body: { ok: true } };
    case 'POST /_emulator/seed':
      return {
        status: 200,
        body: {
          ...seedRepositories(state.store, parseAdminBody(bytes), {
            account: state.account,
            region: DEFAULT_REGION,
            nowMs: state.now(),
          }),
        },
      };
    case 'GET /_emulator/events':
      return { status: 200, body: { events: [...state.events.list()] } };
    case 'GET /_emulator/faults':
      return { status: 200, body: { ...state.faults.current() } };
    case 'POST /_emulator/faults':
      state.faults.configure(
        parseFaultConfig(parseAdminBody(bytes), API_OPERATIONS, state.faults.current().seed),
      );
      return { status: 200, body: { ...state.faults.current() } };
    case 'DELETE /_emulator/faults':
      state.faults.clear();
      return { status: 200, body: { ...state.faults.current() } };
    case 'GET /_emulator/repositories':
      return { status: 200, body: listRepositories(state, url) };
    case 'GET /_emulator/templates':
      return { status: 200, body: listTemplates(state, url) };
    default:
      return { status: 404, body: { error: `no control route ${route}` } };
  }
}

function listRepositories(state: EmulatorState, url: URL): JsonObject {
  const account = queryValue(url, 'account') ?? state.account;
  const region = queryValue(url, 'region') ?? DEFAULT_REGION;
  const limit = Number(queryValue(url, 'limit') ?? '1000');
  if (!Number.isInteger(limit) || limit < 1) throw new AdminRequestError('limit must be a positive integer');
  const registry = state.store.registry(account, region);
  return {
    account,
    region,
    count: registry.size,
    repositories: registry
      .list()
      .slice(0, limit)
      .map((repository) => ({
        ...toWireRepository(repository),
        tags: Object.fromEntries(repository.tags),
        imageCount: repository.imageCount,
        visibleAt: repository.visibleAtMs / 1000,
      })),
  };
}

function listTemplates(state: EmulatorState, url: URL): JsonObject {
  const account = queryValue(url, 'account') ?? state.account;
  const region = queryValue(url, 'region') ?? DEFAULT_REGION;
  const { templates } = state.store.registry(account, region);
  return { account, region, count: templates.size, templates: templates.list().map(toWireTemplate) };
}

/** Options of {@link createRequestHandler}. */
export interface HandlerOptions {
  readonly maxBodyBytes: number;
  /** Aborted on stop, ending injected latency early. */
  readonly signal: AbortSignal;
}

/** The `node:http` request listener of the emulator. It never throws; unexpected failures answer 500. */
export function createRequestHandler(
  state: EmulatorState,
  options: HandlerOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    const body = await readBody(request, options.maxBodyBytes);
    if (url.pathname.startsWith('/_emulator/')) {
      if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) {
        send(response, 403, { error: 'control routes answer loopback clients only' }, 'application/json');
        return;
      }
      try {
        const reply = body.tooLarge
          ? { status: 413, body: { error: `the request body is larger than ${options.maxBodyBytes} bytes` } }
          : adminRoute(state, request.method ?? 'GET', url, body.bytes);
        send(response, reply.status, reply.body, 'application/json');
      } catch (error) {
        if (!(error instanceof AdminRequestError)) throw error;
        send(response, 400, { error: error.message }, 'application/json');
      }
      return;
    }
    const { operation, reply } = await callApi(state, request, body, options);
    state.stats.record(operation, reply.status === 200 ? undefined : String(reply.body.__type));
    send(response, reply.status, reply.body, JSON_11);
  };
  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (options.signal.aborted) {
        response.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      send(response, 500, { __type: 'InternalFailure', message: `Emulator failure: ${message}` }, JSON_11);
    });
  };
}
