/** What a service folder gives the core server: its protocol, operations, and how it runs and fails them. */
import type { AwsError } from './errors.ts';
import type { FaultKind } from './faults.ts';
import type { Caller } from './identity.ts';
import type { JsonObject } from './validate.ts';

/** One API call, decoded. */
export interface ServiceCall {
  readonly operation: string;
  readonly caller: Caller;
  /** The JSON body (AWS JSON 1.1) or the flat form members (Query). */
  readonly input: JsonObject;
  readonly nowMs: number;
}

interface ServiceBase {
  /** Short name, e.g. `ecr`. */
  readonly name: string;
  /** Human name for messages, e.g. `ECR`. */
  readonly title: string;
  readonly operations: readonly string[];
  /** Runs one operation and returns the response members; failures are thrown as AwsErrors. */
  run(call: ServiceCall): JsonObject;
  /** The service's own error for an injected fault. */
  faultError(fault: Exclude<FaultKind, 'none'>, call: ServiceCall): AwsError;
}

/** A service on AWS JSON 1.1, found by its `X-Amz-Target` prefix. */
export interface JsonService extends ServiceBase {
  readonly protocol: 'json';
  /** E.g. `AmazonEC2ContainerRegistry_V20150921.` */
  readonly targetPrefix: string;
  /** Other spellings of the prefix that SDKs send (e.g. with and without the `com.amazonaws…` namespace). */
  readonly targetPrefixAliases?: readonly string[];
}

/** A service on the Query protocol, found by the signing name of the request's credential scope. */
export interface QueryService extends ServiceBase {
  readonly protocol: 'query';
  readonly signingName: string;
  readonly xmlNamespace: string;
}

/** One REST request (S3's path-style REST-XML protocol), decoded as far as the core can. */
export interface RestRequest {
  readonly method: string;
  /** The raw (still percent-encoded) path, e.g. `/bucket/a%2Fb`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** One REST call: the request, its operation and caller. */
export interface RestCall {
  readonly operation: string;
  readonly caller: Caller;
  readonly request: RestRequest;
  readonly nowMs: number;
}

/** What a REST service answers: status, headers and raw body (empty for HEAD). */
export interface RestReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | string;
}

/**
 * A service on a REST protocol (S3), found by the signing name of the request's credential scope (or, for an
 * unsigned request, by not being `POST /`). It names each request's operation (for faults and stats), runs
 * it, and writes its own errors (S3: an XML `<Error>` document).
 */
export interface RestService {
  readonly protocol: 'rest';
  readonly name: string;
  readonly title: string;
  readonly signingName: string;
  readonly operations: readonly string[];
  /** The operation a request asks for; throws the service's AwsError for one it does not serve. */
  operationOf(request: RestRequest): string;
  run(call: RestCall): RestReply;
  faultError(fault: Exclude<FaultKind, 'none'>, call: RestCall): AwsError;
  /** The wire form of an error (thrown by the service, or by the core: authentication, size). */
  errorReply(error: AwsError, request: RestRequest): RestReply;
}

export type Service = JsonService | QueryService | RestService;
