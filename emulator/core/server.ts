/**
 * The HTTP side: API calls on `POST /`, routed to a service by `X-Amz-Target` (AWS JSON 1.1) or by the
 * credential scope's signing name (Query protocol); REST calls (S3) routed by the signing name too; and the
 * loopback-only `/_emulator/*` control routes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminRequestError, AwsError } from './errors.ts';
import type { FaultBook } from './faults.ts';
import type { Caller, CredentialScope } from './identity.ts';
import { parseCredentialScope } from './identity.ts';
import {
  type Body,
  FORM,
  JSON_11,
  jsonErrorBody,
  parseFormBody,
  parseJsonBody,
  queryErrorBody,
  queryResponse,
  readBody,
  sendJson,
  sendText,
} from './protocol.ts';
import type {
  JsonService,
  QueryService,
  RestReply,
  RestRequest,
  RestService,
  Service,
  ServiceCall,
} from './service.ts';
import type { ScopedStats } from './stats.ts';
import type { JsonObject } from './validate.ts';

/** Default cap on a request body: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Region used for calls whose credential scope could not be read, and by control routes without one. */
export const DEFAULT_REGION = 'us-east-1';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** A control-route answer. */
export interface AdminReply {
  readonly status: number;
  readonly body: JsonObject;
}

/** What the server runs on: the services, faults, stats, the clock and how callers are identified. */
export interface CoreRuntime {
  readonly services: readonly Service[];
  readonly faults: FaultBook;
  readonly stats: ScopedStats;
  readonly defaultAccount: string;
  now(): number;
  identify(scope: CredentialScope, sessionToken: string | undefined): Caller;
  /** Answers a control route (`/_emulator/…`); throws AdminRequestError for a bad request. */
  admin(method: string, url: URL, bytes: Buffer): AdminReply;
  /** Told of every answered AWS JSON 1.1 call of a known operation by an identified caller (e.g. for a trail). */
  observe?(call: ObservedCall): void;
}

/** One answered API call, as {@link CoreRuntime.observe} sees it (after the response is written). */
export interface ObservedCall {
  /** The service's short name, e.g. `ecr`. */
  readonly service: string;
  readonly operation: string;
  readonly caller: Caller;
  readonly input: JsonObject;
  /** The response members of a success. */
  readonly output: JsonObject | undefined;
  /** The error of a failure. */
  readonly error: { readonly code: string; readonly message: string } | undefined;
  /** The `x-amzn-requestid` sent with the response. */
  readonly requestId: string;
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
  readonly nowMs: number;
}

/** Options of {@link createRequestHandler}. */
export interface HandlerOptions {
  readonly maxBodyBytes: number;
  /** Aborted on stop, ending injected latency early. */
  readonly signal: AbortSignal;
}

/** Every protocol refuses a body over the limit the same way, before authentication. */
function refuseTooLarge(body: Body, options: HandlerOptions): void {
  if (!body.tooLarge) return;
  const message = `The request body is larger than ${options.maxBodyBytes} bytes`;
  throw new AwsError('RequestEntityTooLargeException', message, 413);
}

/** Names of every operation served, for fault configuration. */
export function servedOperations(services: readonly Service[]): string[] {
  return services.flatMap((service) => service.operations);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

interface Outcome {
  readonly operation: string;
  readonly caller: { readonly account: string; readonly region: string };
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly text: string;
  readonly contentType: string;
  /** Set when the call reached a known operation with an identified caller. */
  readonly observed?: Omit<ObservedCall, 'requestId' | 'sourceIp' | 'userAgent'>;
}

function unknownTarget(runtime: CoreRuntime, target: string): AwsError {
  const served = runtime.services
    .filter((service): service is JsonService => service.protocol === 'json')
    .map((service) => `${service.title} ${service.operations.join(', ')}`)
    .join('; ');
  return new AwsError(
    'UnknownOperationException',
    `The emulator does not serve '${target}'; it serves ${served}`,
  );
}

async function runCall(
  runtime: CoreRuntime,
  service: JsonService | QueryService,
  call: ServiceCall,
  options: HandlerOptions,
): Promise<JsonObject> {
  const { account, region } = call.caller;
  const decision = runtime.faults.decide(call.operation, account, region, runtime.now());
  if (decision.latencyMs > 0) await sleep(decision.latencyMs, undefined, { signal: options.signal });
  if (decision.fault !== 'none') throw service.faultError(decision.fault, call);
  return service.run(call);
}

function identify(runtime: CoreRuntime, request: IncomingMessage): Caller {
  const scope = parseCredentialScope(request.headers.authorization);
  return runtime.identify(scope, header(request, 'x-amz-security-token'));
}

/** An AWS JSON 1.1 call: size, authentication, target, body, faults, then the operation. */
async function callJson(
  runtime: CoreRuntime,
  request: IncomingMessage,
  body: Body,
  options: HandlerOptions,
): Promise<Outcome> {
  const target = header(request, 'x-amz-target') ?? '';
  const operation = target.slice(target.lastIndexOf('.') + 1) || '(no X-Amz-Target)';
  let caller: Caller | undefined;
  let seen: Omit<ObservedCall, 'output' | 'error' | 'requestId' | 'sourceIp' | 'userAgent'> | undefined;
  try {
    refuseTooLarge(body, options);
    caller = identify(runtime, request);
    if (target === '')
      throw new AwsError('UnknownOperationException', 'The request has no X-Amz-Target header');
    let name: string | undefined;
    const service = runtime.services.find((candidate): candidate is JsonService => {
      if (candidate.protocol !== 'json') return false;
      const prefixes = [candidate.targetPrefix, ...(candidate.targetPrefixAliases ?? [])];
      const prefix = prefixes.find((spelling) => target.startsWith(spelling));
      if (prefix !== undefined) name = target.slice(prefix.length);
      return prefix !== undefined;
    });
    if (service === undefined || name === undefined || !service.operations.includes(name))
      throw unknownTarget(runtime, target);
    const input = parseJsonBody(body.bytes);
    const nowMs = runtime.now();
    seen = { service: service.name, operation: name, caller, input, nowMs };
    const output = await runCall(runtime, service, { operation: name, caller, input, nowMs }, options);
    return {
      operation,
      caller,
      status: 200,
      errorCode: undefined,
      text: JSON.stringify(output),
      contentType: JSON_11,
      observed: { ...seen, output, error: undefined },
    };
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    return {
      operation,
      caller: caller ?? { account: runtime.defaultAccount, region: DEFAULT_REGION },
      status: error.status,
      errorCode: error.code,
      text: JSON.stringify(jsonErrorBody(error)),
      contentType: JSON_11,
      ...(seen === undefined
        ? {}
        : { observed: { ...seen, output: undefined, error: { code: error.code, message: error.message } } }),
    };
  }
}

/** A Query protocol call (`Action=…` form body), routed by the credential scope's signing name. */
async function callQuery(
  runtime: CoreRuntime,
  request: IncomingMessage,
  body: Body,
  options: HandlerOptions,
): Promise<Outcome> {
  const form = body.tooLarge ? {} : parseFormBody(body.bytes);
  const operation = form.Action ?? '(no Action)';
  const queryServices = runtime.services.filter(
    (service): service is QueryService => service.protocol === 'query',
  );
  let namespace = queryServices[0]?.xmlNamespace ?? 'https://emulator.invalid/';
  let caller: Caller | undefined;
  try {
    refuseTooLarge(body, options);
    caller = identify(runtime, request);
    const signingName = caller.signingName;
    const service = queryServices.find((candidate) => candidate.signingName === signingName);
    if (service === undefined) {
      throw new AwsError(
        'InvalidAction',
        `The emulator serves no Query protocol service '${signingName}' (it serves ${queryServices.map((candidate) => candidate.signingName).join(', ')})`,
      );
    }
    namespace = service.xmlNamespace;
    if (form.Action === undefined || !service.operations.includes(form.Action)) {
      throw new AwsError(
        'InvalidAction',
        `Could not find operation ${operation} for version ${form.Version ?? '(none)'}; the emulator serves ${service.title} ${service.operations.join(', ')}`,
      );
    }
    const input: JsonObject = { ...form };
    const output = await runCall(
      runtime,
      service,
      { operation: form.Action, caller, input, nowMs: runtime.now() },
      options,
    );
    return {
      operation,
      caller,
      status: 200,
      errorCode: undefined,
      text: queryResponse(form.Action, namespace, output),
      contentType: 'text/xml',
    };
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    return {
      operation,
      caller: caller ?? { account: runtime.defaultAccount, region: DEFAULT_REGION },
      status: error.status,
      errorCode: error.code,
      text: queryErrorBody(error, namespace),
      contentType: 'text/xml',
    };
  }
}

/** The REST service a request is for: by its credential scope's signing name, or (unsigned) by not being `POST /`. */
function restServiceFor(runtime: CoreRuntime, request: IncomingMessage, url: URL): RestService | undefined {
  const rest = runtime.services.filter((service): service is RestService => service.protocol === 'rest');
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization === '') {
    return request.method === 'POST' && url.pathname === '/' ? undefined : rest[0];
  }
  let signingName: string | undefined;
  try {
    signingName = parseCredentialScope(authorization).signingName;
  } catch {
    // No readable credential scope: not a REST call; the JSON/Query path answers IncompleteSignature.
    return undefined;
  }
  return rest.find((service) => service.signingName === signingName);
}

/** A REST call: size, authentication, operation, faults, then the operation; errors in the service's format. */
async function callRest(
  runtime: CoreRuntime,
  service: RestService,
  request: IncomingMessage,
  url: URL,
  body: Body,
  options: HandlerOptions,
): Promise<{ operation: string; caller: Outcome['caller']; reply: RestReply; errorCode?: string }> {
  const rest: RestRequest = {
    method: request.method ?? 'GET',
    // The raw path: URL parsing would resolve `.` and `..` segments, which are part of an S3 key.
    path: (request.url ?? '/').split('?')[0] ?? '/',
    query: url.searchParams,
    headers: request.headers,
    body: body.bytes,
  };
  let operation = '(unknown)';
  let caller: Caller | undefined;
  try {
    refuseTooLarge(body, options);
    caller = identify(runtime, request);
    operation = service.operationOf(rest);
    const call = { operation, caller, request: rest, nowMs: runtime.now() };
    const decision = runtime.faults.decide(operation, caller.account, caller.region, call.nowMs);
    if (decision.latencyMs > 0) await sleep(decision.latencyMs, undefined, { signal: options.signal });
    if (decision.fault !== 'none') throw service.faultError(decision.fault, call);
    return { operation, caller, reply: service.run(call) };
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    return {
      operation,
      caller: caller ?? { account: runtime.defaultAccount, region: DEFAULT_REGION },
      reply: service.errorReply(error, rest),
      errorCode: error.code,
    };
  }
}

function answerAdmin(
  runtime: CoreRuntime,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  body: Body,
  options: HandlerOptions,
): void {
  if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) {
    sendJson(response, 403, { error: 'control routes answer loopback clients only' }, 'application/json');
    return;
  }
  try {
    const reply = body.tooLarge
      ? { status: 413, body: { error: `the request body is larger than ${options.maxBodyBytes} bytes` } }
      : runtime.admin(request.method ?? 'GET', url, body.bytes);
    sendJson(response, reply.status, reply.body, 'application/json');
  } catch (error) {
    if (!(error instanceof AdminRequestError)) throw error;
    sendJson(response, 400, { error: error.message }, 'application/json');
  }
}

/** The `node:http` request listener of the emulator. It never throws; unexpected failures answer 500. */
export function createRequestHandler(
  runtime: CoreRuntime,
  options: HandlerOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    const body = await readBody(request, options.maxBodyBytes);
    if (url.pathname.startsWith('/_emulator/')) {
      answerAdmin(runtime, request, response, url, body, options);
      return;
    }
    const restService = restServiceFor(runtime, request, url);
    if (restService !== undefined) {
      const { operation, caller, reply, errorCode } = await callRest(
        runtime,
        restService,
        request,
        url,
        body,
        options,
      );
      runtime.stats.record(operation, errorCode, caller.account, caller.region);
      if (response.destroyed || response.headersSent) return;
      const requestId = randomUUID();
      response.writeHead(reply.status, {
        'x-amz-request-id': requestId,
        'x-amzn-requestid': requestId,
        ...reply.headers,
      });
      // A HEAD answer carries the object's Content-Length but no body (node:http drops it).
      response.end(reply.body);
      return;
    }
    const contentType = header(request, 'content-type') ?? '';
    const isQuery = contentType.startsWith(FORM) && header(request, 'x-amz-target') === undefined;
    const outcome = isQuery
      ? await callQuery(runtime, request, body, options)
      : await callJson(runtime, request, body, options);
    runtime.stats.record(outcome.operation, outcome.errorCode, outcome.caller.account, outcome.caller.region);
    const requestId = randomUUID();
    sendText(response, outcome.status, outcome.text, outcome.contentType, requestId);
    if (outcome.observed !== undefined && runtime.observe !== undefined) {
      runtime.observe({
        ...outcome.observed,
        requestId,
        sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: header(request, 'user-agent'),
      });
    }
  };
  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (options.signal.aborted) {
        response.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      sendJson(response, 500, { __type: 'InternalFailure', message: `Emulator failure: ${message}` });
    });
  };
}
