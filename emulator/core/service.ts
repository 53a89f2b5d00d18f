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

export type Service = JsonService | QueryService;
