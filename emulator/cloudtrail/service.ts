/**
 * AWS CloudTrail (`CloudTrail_20131101`, AWS JSON 1.1): LookupEvents over the calls the emulator recorded.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
 */
import { AwsError } from '../core/errors.ts';
import type { PageTokens } from '../core/page-token.ts';
import type { JsonService } from '../core/service.ts';
import { isJsonObject, type JsonObject, readMembers } from '../core/validate.ts';
import { LOOKUP_ATTRIBUTE_KEYS, type LookupAttributeKey, type Trail, type TrailQuery } from './trail.ts';

/** The target prefix the AWS SDK for JavaScript v3 sends; older SDKs and the CLI send the namespaced one. */
export const CLOUDTRAIL_TARGET_PREFIX = 'CloudTrail_20131101.';
export const CLOUDTRAIL_NAMESPACED_TARGET_PREFIX = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';

/** LookupEvents sees the last 90 days of management events. */
export const LOOKUP_WINDOW_MS = 90 * 24 * 60 * 60 * 1000;

/** A token bucket: `tps` requests per second sustained, `burst` at once. */
export interface LookupThrottle {
  readonly tps: number;
  readonly burst: number;
}

/** CloudTrail's documented LookupEvents limit: 2 requests per second per account and region. */
export const CLOUDTRAIL_LOOKUP_THROTTLE: LookupThrottle = { tps: 2, burst: 2 };

export interface CloudTrailServiceState {
  readonly trail: Trail;
  readonly tokens: PageTokens;
  /** The built-in LookupEvents throttle, when on (the fault mechanism can throttle too). */
  readonly throttle: LookupThrottle | undefined;
}

function fail(code: string, message: string): AwsError {
  return new AwsError(code, message);
}

function isAttributeKey(value: string): value is LookupAttributeKey {
  return LOOKUP_ATTRIBUTE_KEYS.some((key) => key === value);
}

function readAttribute(input: JsonObject): TrailQuery['attribute'] {
  const list = input.LookupAttributes;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw fail('InvalidLookupAttributesException', 'LookupAttributes must be a list');
  if (list.length === 0) return undefined;
  if (list.length > 1) {
    throw fail(
      'InvalidLookupAttributesException',
      `LookupAttributes can contain only one item; the request has ${list.length}`,
    );
  }
  const [entry] = list;
  if (!isJsonObject(entry))
    throw fail('InvalidLookupAttributesException', 'LookupAttributes[0] must be a structure');
  const key = entry.AttributeKey;
  const value = entry.AttributeValue;
  if (typeof key !== 'string' || !isAttributeKey(key)) {
    throw fail(
      'InvalidLookupAttributesException',
      `AttributeKey '${String(key)}' is not one of ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}`,
    );
  }
  if (typeof value !== 'string' || value.length < 1 || value.length > 2000) {
    throw fail('InvalidLookupAttributesException', 'AttributeValue must have length between 1 and 2000');
  }
  return { key, value };
}

function readTime(input: JsonObject, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw fail('InvalidTimeRangeException', `${field} must be a timestamp`);
  return value * 1000;
}

function tokenScope(attribute: TrailQuery['attribute'], startMs: number, endMs: number): string {
  return `trail/${attribute?.key ?? ''}=${attribute?.value ?? ''}/${startMs}/${endMs}`;
}

/** LookupEvents for the caller's account and region: newest first, paged by `NextToken`. */
export function lookupEvents(
  state: CloudTrailServiceState,
  account: string,
  region: string,
  nowMs: number,
  input: JsonObject,
): JsonObject {
  const reader = readMembers(input);
  const attribute = readAttribute(input);
  const category = reader.string('EventCategory');
  if (category !== undefined && category !== 'insight')
    throw fail('InvalidEventCategoryException', `EventCategory '${category}' is not valid; use insight`);
  // The emulator records no CloudTrail Insights events.
  if (category === 'insight') return { Events: [] };
  const requestedStart = readTime(input, 'StartTime');
  const requestedEnd = readTime(input, 'EndTime');
  if (requestedStart !== undefined && requestedEnd !== undefined && requestedStart > requestedEnd) {
    throw fail('InvalidTimeRangeException', 'StartTime must be before EndTime');
  }
  const maxResults = input.MaxResults;
  if (
    maxResults !== undefined &&
    maxResults !== null &&
    (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50)
  ) {
    throw fail(
      'InvalidMaxResultsException',
      `MaxResults must be an integer from 1 to 50, got ${String(maxResults)}`,
    );
  }
  const limit = typeof maxResults === 'number' ? maxResults : 50;
  const startMs = Math.max(requestedStart ?? 0, nowMs - LOOKUP_WINDOW_MS);
  const endMs = requestedEnd ?? nowMs;
  const scope = tokenScope(attribute, requestedStart ?? -1, requestedEnd ?? -1);
  const nextToken = reader.string('NextToken');
  let after: TrailQuery['after'];
  if (nextToken !== undefined) {
    const position = state.tokens.decode(nextToken, account, region, scope, () =>
      fail(
        'InvalidNextTokenException',
        'The NextToken is not valid, or was issued for a request with other parameters',
      ),
    );
    const [timeMs, sequence] = position.split(':').map(Number);
    after = { timeMs: timeMs ?? 0, sequence: sequence ?? 0 };
  }
  const page = state.trail.lookup(account, region, { attribute, startMs, endMs, limit, after });
  const last = page.records.at(-1);
  return {
    Events: page.records.map((record) => ({
      EventId: record.eventId,
      EventName: record.eventName,
      ReadOnly: String(record.readOnly),
      AccessKeyId: record.accessKeyId,
      EventTime: record.eventTimeMs / 1000,
      EventSource: record.eventSource,
      Username: record.username,
      Resources: record.resources.map((resource) => ({ ...resource })),
      CloudTrailEvent: JSON.stringify(record.record),
    })),
    ...(page.more && last !== undefined
      ? {
          NextToken: state.tokens.encode({
            account,
            region,
            after: `${last.eventTimeMs}:${last.sequence}`,
            scope,
          }),
        }
      : {}),
  };
}

/** CloudTrail as a service of the emulator core. */
export function cloudTrailService(state: CloudTrailServiceState): JsonService {
  const buckets = new Map<string, { tokens: number; updatedMs: number }>();
  const admit = (key: string, nowMs: number): boolean => {
    const rate = state.throttle;
    if (rate === undefined) return true;
    const bucket = buckets.get(key) ?? { tokens: rate.burst, updatedMs: nowMs };
    bucket.tokens = Math.min(
      rate.burst,
      bucket.tokens + (Math.max(0, nowMs - bucket.updatedMs) / 1000) * rate.tps,
    );
    bucket.updatedMs = nowMs;
    buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };
  return {
    name: 'cloudtrail',
    title: 'CloudTrail',
    protocol: 'json',
    targetPrefix: CLOUDTRAIL_TARGET_PREFIX,
    targetPrefixAliases: [CLOUDTRAIL_NAMESPACED_TARGET_PREFIX],
    operations: ['LookupEvents'],
    run({ operation, caller, input, nowMs }) {
      if (operation !== 'LookupEvents')
        throw new AwsError('UnknownOperationException', `CloudTrail has no ${operation}`);
      if (!admit(`${caller.account}/${caller.region}`, nowMs))
        throw new AwsError('ThrottlingException', 'Rate exceeded');
      return lookupEvents(state, caller.account, caller.region, nowMs, input);
    },
    faultError(fault, { operation, caller }) {
      if (fault === 'throttle') return new AwsError('ThrottlingException', 'Rate exceeded');
      if (fault === 'server-error')
        return new AwsError('InternalFailure', 'Injected server fault (emulator)', 500);
      return new AwsError(
        'AccessDeniedException',
        `User: ${caller.arn} is not authorized to perform: cloudtrail:${operation} (injected by the emulator)`,
      );
    },
  };
}
