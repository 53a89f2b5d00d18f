/**
 * The EventBridge event pattern of the guardrail rule, as plain data so tests can evaluate it
 * against sample events without AWS.
 *
 * Operators used (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
 * exact values, `exists`, `anything-but` and `$or`. Two properties of EventBridge matching shape it:
 * - `anything-but` never matches a field that is missing, and `{ "exists": false }` only works on
 *   leaf fields. A `CreateRepository` without `imageTagMutability` (ECR then defaults to MUTABLE) is
 *   therefore its own branch, as is a service event whose `requestParameters` is `null`.
 * - A request for `IMMUTABLE` is at least as strict as any target (lib/policy.ts `isAtLeastAsStrict`):
 *   acting on it could only loosen the repository, so the rule drops it whatever the target. With
 *   the target `IMMUTABLE` that also keeps our own `PutImageTagMutability` from invoking us.
 * - EventBridge cannot compare arrays, so the rule can never tell whether a request for
 *   `IMMUTABLE_WITH_EXCLUSION` has filters the policy covers: it delivers those and the handler
 *   (lib/events.ts) decides. With that target our own write costs one extra invocation and no write.
 */

export const GUARDRAIL_EVENT_NAMES = ['CreateRepository', 'PutImageTagMutability'] as const;
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
export const SERVICE_EVENT_DETAIL_TYPE = 'AWS Service Event via CloudTrail';
/** The error of a push ECR refused because the tag is immutable (API_PutImage). */
export const TAG_ALREADY_EXISTS = 'ImageTagAlreadyExistsException';

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
    eventSource: ['ecr.amazonaws.com'],
    // CloudTrail adds errorCode/errorMessage to failed calls; a failed call changed nothing.
    errorCode: [{ exists: false }],
  };
}

/**
 * Builds the guardrail rule's event pattern for a target.
 *
 * Branches (EventBridge delivers an event once even when several match):
 * 1. `CreateRepository` / `PutImageTagMutability` API calls that ask for a setting other than
 *    `IMMUTABLE`, for either target (see the file comment).
 * 2. `CreateRepository` API calls that do not name a setting at all (ECR's default is MUTABLE).
 * 3. Repositories ECR creates itself (pull-through cache, replication, create-on-push): a service
 *    event with the name in `serviceEventDetails` and no request parameters; the handler always looks.
 * 4. A `PutImage` ECR refused with `ImageTagAlreadyExistsException` (the tag is immutable): recorded
 *    as `blocked-overwrite`, no ECR call. Every other failed call stays out (branches 1-3 require no
 *    `errorCode`; a successful `PutImage` matches no branch).
 */
export function guardrailEventPattern(_target: TargetMutability): GuardrailEventPattern {
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
      eventName: ['CreateRepository'],
      requestParameters: { imageTagMutability: [{ exists: false }] },
    },
  };
  const createdByEcr: GuardrailPatternBranch = {
    'detail-type': [SERVICE_EVENT_DETAIL_TYPE],
    detail: { ...successfulEcrCall(), eventName: ['CreateRepository'] },
  };
  const overwriteBlocked: GuardrailPatternBranch = {
    'detail-type': [API_CALL_DETAIL_TYPE],
    detail: {
      eventSource: ['ecr.amazonaws.com'],
      eventName: ['PutImage'],
      errorCode: [TAG_ALREADY_EXISTS],
    },
  };
  return {
    source: ['aws.ecr'],
    $or: [requestsOtherSetting, createsWithDefaultSetting, createdByEcr, overwriteBlocked],
  };
}
