/**
 * Parsing of the EventBridge events the guardrail receives, and extraction of the repository
 * they concern. Pure: zod schemas and data, no AWS calls.
 *
 * Shapes: CloudTrail record contents (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
 * inside the EventBridge envelope (https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html).
 */
import * as z from 'zod/mini';
import { InvalidEventError } from './errors.ts';
import { registryIdSchema, repositoryNameSchema } from './names.ts';
import {
  describeSetting,
  EXCLUSION_FILTER_PATTERN,
  isAtLeastAsStrict,
  MAX_EXCLUSION_FILTERS,
  type MutabilitySetting,
  type StrictnessPolicy,
} from './policy.ts';
import { formatIssues } from './validation.ts';

export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
export const SERVICE_EVENT_DETAIL_TYPE = 'AWS Service Event via CloudTrail';
export const ECR_EVENT_SOURCE = 'ecr.amazonaws.com';
/** The error of a push that would have moved an immutable tag (API_PutImage). */
export const TAG_ALREADY_EXISTS = 'ImageTagAlreadyExistsException';

/**
 * Which field of which event names the repository, and which fields carry the requested setting.
 * A table, not code paths (Cloud Custodian's lesson): adding an event is adding a row.
 */
export const HANDLED_EVENTS = {
  [API_CALL_DETAIL_TYPE]: {
    CreateRepository: { nameFrom: 'requestParameters', defaultMutability: 'MUTABLE' },
    PutImageTagMutability: { nameFrom: 'requestParameters', defaultMutability: undefined },
    // Only the push ECR refused because the tag is immutable: a record of the guard working, no ECR call.
    PutImage: { nameFrom: 'requestParameters', defaultMutability: undefined, errorCode: TAG_ALREADY_EXISTS },
  },
  [SERVICE_EVENT_DETAIL_TYPE]: {
    // Repositories ECR creates itself (pull-through cache, replication, create-on-push) take their
    // setting from a repository creation template we cannot see in the event: always inspect.
    CreateRepository: { nameFrom: 'serviceEventDetails', defaultMutability: undefined },
  },
} as const;

type HandledDetailType = keyof typeof HANDLED_EVENTS;

/**
 * A string copied into audit records or reasons. Bounded (generously above AWS's own limits) so that
 * a hostile event cannot make an audit line larger than CloudWatch Logs keeps (256 KB per event),
 * which would cut the JSON and lose the record.
 */
const boundedText = (max: number) => z.string().check(z.maxLength(max));

/**
 * An audit-only string (who, from where): cut to `max` characters with a trailing `…` instead of
 * rejecting the event, since it never decides anything and a valid change must still be enforced.
 */
const truncatedText = (max: number) =>
  z.pipe(
    z.string(),
    z.transform((value: string) => (value.length > max ? `${value.slice(0, max - 1)}…` : value)),
  );

/**
 * The EventBridge envelope: the fields of Powertools' `EventBridgeSchema`
 * (@aws-lambda-powertools/parser/schemas/eventbridge), written with `zod/mini`. Importing the
 * Powertools schema pulls zod's whole classic namespace with its 40+ locales into the bundle
 * (≈ 350 KB of a 400 KB budget); a test keeps this schema accepting what Powertools' accepts.
 * `resources` is optional here: trimmed real-world samples omit it and we never read it.
 */
export const EcrEventEnvelopeSchema = z.looseObject({
  version: z.string(),
  id: z.string(),
  source: boundedText(256),
  account: boundedText(64),
  time: z.iso.datetime(),
  region: boundedText(64),
  resources: z.optional(z.array(z.string())),
  'detail-type': boundedText(256),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
});

/** The CloudTrail record fields we read. Real records carry many more; they are accepted and ignored. */
export const CloudTrailDetailSchema = z.looseObject({
  eventSource: boundedText(256),
  eventName: boundedText(256),
  eventID: z.optional(truncatedText(256)),
  eventType: z.optional(z.string()),
  errorCode: z.nullish(boundedText(256)),
  errorMessage: z.nullish(z.string()),
  sourceIPAddress: z.optional(truncatedText(256)),
  userIdentity: z.nullish(
    z.looseObject({
      // IAM ARNs are at most 2048 characters.
      arn: z.optional(truncatedText(2048)),
      invokedBy: z.optional(truncatedText(256)),
      accountId: z.optional(z.string()),
    }),
  ),
  requestParameters: z.nullish(z.record(z.string(), z.unknown())),
  serviceEventDetails: z.nullish(z.record(z.string(), z.unknown())),
});

const exclusionFilterSchema = z.object({
  filter: z.string().check(z.regex(EXCLUSION_FILTER_PATTERN, 'must be 1-128 of [0-9a-zA-Z._*-]')),
  filterType: z.literal('WILDCARD'),
});

const requestedSettingSchema = z.looseObject({
  registryId: z.optional(registryIdSchema),
  repositoryName: repositoryNameSchema,
  imageTagMutability: z.optional(z.string().check(z.minLength(1))),
  imageTagMutabilityExclusionFilters: z.nullish(
    z
      .array(exclusionFilterSchema)
      .check(z.maxLength(MAX_EXCLUSION_FILTERS, `at most ${MAX_EXCLUSION_FILTERS} filters`)),
  ),
});

const serviceEventDetailsSchema = z.looseObject({ repositoryName: repositoryNameSchema });

/** Who did it, and where from: copied into the audit record. */
export interface EventContext {
  readonly eventId: string | undefined;
  readonly eventName: string;
  readonly actor: string | undefined;
  readonly sourceIp: string | undefined;
  readonly account: string;
  readonly region: string;
}

/** A repository the event asks us to inspect. */
export interface EventTarget {
  readonly registryId: string;
  readonly region: string;
  readonly repositoryName: string;
  /** What the call asked for; undefined when the event does not say (service-created repositories). */
  readonly requested: MutabilitySetting | undefined;
  /** True for creations: ECR creates asynchronously, so a describe may briefly not find the repository. */
  readonly isCreation: boolean;
  readonly context: EventContext;
}

/** A push ECR refused because the tag is immutable: who tried to move which tag, where. */
export interface BlockedOverwrite {
  readonly registryId: string;
  readonly region: string;
  readonly repositoryName: string;
  readonly imageTag: string | undefined;
  readonly errorCode: string;
  readonly context: EventContext;
}

const pushRequestSchema = z.looseObject({
  registryId: z.optional(registryIdSchema),
  repositoryName: repositoryNameSchema,
  imageTag: z.nullish(truncatedText(300)),
});

/** The result of reading one event. */
export type EventInterpretation =
  | { readonly kind: 'target'; readonly target: EventTarget }
  | { readonly kind: 'blocked-overwrite'; readonly overwrite: BlockedOverwrite }
  | { readonly kind: 'ignored'; readonly reason: string; readonly context: Partial<EventContext> };

function parseOrThrow<T extends z.ZodMiniType>(
  schema: T,
  value: unknown,
  prefix: readonly string[],
): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new InvalidEventError(formatIssues(result.error, prefix), { cause: result.error });
  return result.data;
}

function isHandledDetailType(value: string): value is HandledDetailType {
  return Object.hasOwn(HANDLED_EVENTS, value);
}

/**
 * Reads one EventBridge event and says which repository, if any, needs inspecting.
 *
 * @throws InvalidEventError when the input is not an EventBridge event, or when a handled event lacks
 *   or malforms a field we need; the error lists every failing path.
 */
export function interpretEvent(event: unknown, policy: StrictnessPolicy): EventInterpretation {
  const envelope = parseOrThrow(EcrEventEnvelopeSchema, event, []);
  const base = { account: envelope.account, region: envelope.region };
  const detailType = envelope['detail-type'];
  if (envelope.source !== 'aws.ecr') {
    return { kind: 'ignored', reason: `source '${envelope.source}' is not aws.ecr`, context: base };
  }
  if (!isHandledDetailType(detailType)) {
    return {
      kind: 'ignored',
      reason: `detail-type '${detailType}' is not a CloudTrail event we handle`,
      context: base,
    };
  }
  const detail = parseOrThrow(CloudTrailDetailSchema, envelope.detail, ['detail']);
  const context: EventContext = {
    ...base,
    eventId: detail.eventID,
    eventName: detail.eventName,
    actor: detail.userIdentity?.arn ?? detail.userIdentity?.invokedBy,
    sourceIp: detail.sourceIPAddress,
  };
  if (detail.eventSource !== ECR_EVENT_SOURCE) {
    return {
      kind: 'ignored',
      reason: `eventSource '${detail.eventSource}' is not ${ECR_EVENT_SOURCE}`,
      context,
    };
  }
  const handled: Record<
    string,
    { nameFrom: string; defaultMutability: string | undefined; errorCode?: string }
  > = HANDLED_EVENTS[detailType];
  const rule = Object.hasOwn(handled, detail.eventName) ? handled[detail.eventName] : undefined;
  if (detail.errorCode) {
    if (rule?.errorCode === detail.errorCode) {
      parseOrThrow(registryIdSchema, envelope.account, ['account']);
      const push = parseOrThrow(pushRequestSchema, detail.requestParameters, ['detail', 'requestParameters']);
      return {
        kind: 'blocked-overwrite',
        overwrite: {
          registryId: push.registryId ?? envelope.account,
          region: envelope.region,
          repositoryName: push.repositoryName,
          imageTag: push.imageTag ?? undefined,
          errorCode: detail.errorCode,
          context,
        },
      };
    }
    return { kind: 'ignored', reason: `the call failed with ${detail.errorCode}; nothing changed`, context };
  }
  if (rule === undefined || rule.errorCode !== undefined) {
    return { kind: 'ignored', reason: `event ${detail.eventName} (${detailType}) needs no action`, context };
  }
  parseOrThrow(registryIdSchema, envelope.account, ['account']);

  if (rule.nameFrom === 'serviceEventDetails') {
    const details = parseOrThrow(serviceEventDetailsSchema, detail.serviceEventDetails, [
      'detail',
      'serviceEventDetails',
    ]);
    return {
      kind: 'target',
      target: {
        registryId: envelope.account,
        region: envelope.region,
        repositoryName: details.repositoryName,
        requested: undefined,
        isCreation: true,
        context,
      },
    };
  }

  const request = parseOrThrow(requestedSettingSchema, detail.requestParameters, [
    'detail',
    'requestParameters',
  ]);
  const registryId = request.registryId ?? envelope.account;
  if (registryId !== envelope.account) {
    // A single-account deployment never writes outside its own account.
    return {
      kind: 'ignored',
      reason: `registry ${registryId} is not this account (${envelope.account}); not acted on`,
      context,
    };
  }
  const mutability = request.imageTagMutability ?? rule.defaultMutability;
  if (mutability === undefined) {
    throw new InvalidEventError([
      `detail.requestParameters.imageTagMutability: required for ${detail.eventName}`,
    ]);
  }
  const requested: MutabilitySetting = {
    mutability,
    exclusionFilters: (request.imageTagMutabilityExclusionFilters ?? []).map((entry) => entry.filter),
  };
  if (isAtLeastAsStrict(requested, policy)) {
    // Acting could only loosen it: IMMUTABLE, the target, or filters the policy covers.
    return {
      kind: 'ignored',
      reason: `${detail.eventName} requested ${describeSetting(requested)}, at least as strict as the target ${describeSetting(policy.target)}; nothing to do`,
      context,
    };
  }
  return {
    kind: 'target',
    target: {
      registryId,
      region: envelope.region,
      repositoryName: request.repositoryName,
      requested,
      isCreation: detail.eventName === 'CreateRepository',
      context,
    },
  };
}
