/**
 * The EventBridge event pattern of the guardrail rule (and of the member forwarding rule), as plain data so
 * tests can evaluate it against sample events without AWS.
 */

import {
  API_CALL_DETAIL_TYPE,
  ECR_EVENT_SOURCE,
  HANDLED_EVENTS,
  SERVICE_EVENT_DETAIL_TYPE,
  TAG_ALREADY_EXISTS,
} from '../lib/events.ts';

export { API_CALL_DETAIL_TYPE, SERVICE_EVENT_DETAIL_TYPE };

type ApiCallEventName = keyof (typeof HANDLED_EVENTS)[typeof API_CALL_DETAIL_TYPE];
type ServiceEventName = keyof (typeof HANDLED_EVENTS)[typeof SERVICE_EVENT_DETAIL_TYPE];

/**
 * The successful API calls that set a repository's mutability (lib/events.ts `HANDLED_EVENTS`, the
 * rows without an `errorCode`), in a stable order. The failed calls the handler records (a refused
 * `PutImage`) have their own branch.
 */
export const GUARDRAIL_EVENT_NAMES: readonly ApiCallEventName[] = Object.entries(
  HANDLED_EVENTS[API_CALL_DETAIL_TYPE],
)
  .filter(([, row]) => !('errorCode' in row))
  .map(([name]) => name)
  .filter((name): name is ApiCallEventName => name in HANDLED_EVENTS[API_CALL_DETAIL_TYPE]);
/** The call whose request may omit the setting (ECR then defaults to MUTABLE). */
const CREATE_REPOSITORY: ApiCallEventName & ServiceEventName = 'CreateRepository';

/**
 * The target setting the deployment enforces (lib/config.ts `TARGET_MUTABILITY`). The pattern is the
 * same for both: what it drops (`IMMUTABLE`) is at least as strict as either.
 */
export type TargetMutability = 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION';

/** A JSON value as EventBridge patterns hold it. */
export type PatternValue = string | number | boolean | null | PatternValue[] | PatternObject;
export interface PatternObject {
  [key: string]: PatternValue;
}

/** One `$or` branch: a full pattern below the top level. */
export interface GuardrailPatternBranch {
  'detail-type': string[];
  detail: PatternObject;
}

/** The rule's pattern: `source` plus one explicit branch per case the guardrail must see. */
export interface GuardrailEventPattern {
  source: string[];
  $or: GuardrailPatternBranch[];
}

/** Fields every branch shares: ECR's own CloudTrail records of calls that succeeded. */
function successfulEcrCall(): PatternObject {
  return {
    eventSource: [ECR_EVENT_SOURCE],
    // CloudTrail adds errorCode/errorMessage to failed calls; a failed call changed nothing.
    errorCode: [{ exists: false }],
  };
}

/**
 * Builds the guardrail rule's event pattern, the same for either target.
 *
 * Operators used (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
 * exact values, `exists`, `anything-but` and `$or`. Three properties of EventBridge matching shape it:
 * - `anything-but` never matches a field that is missing, and `{ "exists": false }` only works on
 *   leaf fields. A `CreateRepository` without `imageTagMutability` (ECR then defaults to MUTABLE) is
 *   therefore its own branch, as is a service event whose `requestParameters` is `null`.
 * - A request for `IMMUTABLE` is at least as strict as any target (lib/policy.ts `isAtLeastAsStrict`):
 *   acting on it could only loosen the repository, so the rule drops it whatever the target. With
 *   the target `IMMUTABLE` that also keeps our own `PutImageTagMutability` from invoking us.
 * - EventBridge cannot compare arrays, so the rule can never tell whether a request for
 *   `IMMUTABLE_WITH_EXCLUSION` has filters the policy covers: it delivers those and the handler
 *   (lib/events.ts) decides. With that target our own write costs one extra invocation and no write.
 *
 * Branches (EventBridge delivers an event once even when several match):
 * 1. `CreateRepository` / `PutImageTagMutability` API calls that ask for a setting other than
 *    `IMMUTABLE`, for either target.
 * 2. `CreateRepository` API calls that do not name a setting at all (ECR's default is MUTABLE).
 * 3. Repositories ECR creates itself (pull-through cache, replication, create-on-push): a service
 *    event with the name in `serviceEventDetails` and no request parameters; the handler always looks.
 * 4. A `PutImage` ECR refused with `ImageTagAlreadyExistsException` (the tag is immutable): recorded
 *    as `blocked-overwrite`, no ECR call. Every other failed call stays out (branches 1-3 require no
 *    `errorCode`; a successful `PutImage` matches no branch).
 */
export function guardrailEventPattern(): GuardrailEventPattern {
  const requestsOtherSetting: GuardrailPatternBranch = {
    'detail-type': [API_CALL_DETAIL_TYPE],
    detail: {
      ...successfulEcrCall(),
      eventName: [...GUARDRAIL_EVENT_NAMES],
      requestParameters: { imageTagMutability: [{ 'anything-but': ['IMMUTABLE'] }] },
    },
  };
  const createsWithDefaultSetting: GuardrailPatternBranch = {
    'detail-type': [API_CALL_DETAIL_TYPE],
    detail: {
      ...successfulEcrCall(),
      eventName: [CREATE_REPOSITORY],
      requestParameters: { imageTagMutability: [{ exists: false }] },
    },
  };
  const createdByEcr: GuardrailPatternBranch = {
    'detail-type': [SERVICE_EVENT_DETAIL_TYPE],
    detail: { ...successfulEcrCall(), eventName: [CREATE_REPOSITORY] },
  };
  const overwriteBlocked: GuardrailPatternBranch = {
    'detail-type': [API_CALL_DETAIL_TYPE],
    detail: {
      eventSource: [ECR_EVENT_SOURCE],
      eventName: ['PutImage' satisfies ApiCallEventName],
      errorCode: [TAG_ALREADY_EXISTS],
    },
  };
  return {
    source: ['aws.ecr'],
    $or: [requestsOtherSetting, createsWithDefaultSetting, createdByEcr, overwriteBlocked],
  };
}
