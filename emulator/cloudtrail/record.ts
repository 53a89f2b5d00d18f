/**
 * CloudTrail records of the calls the emulator serves, in the shape of the records CloudTrail writes for
 * ECR (https://docs.aws.amazon.com/AmazonECR/latest/userguide/logging-using-cloudtrail.html) and its
 * record contents reference (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../core/validate.ts';

/** One recorded call, with the fields LookupEvents filters on. */
export interface TrailRecord {
  readonly eventId: string;
  readonly eventTimeMs: number;
  readonly eventName: string;
  readonly eventSource: string;
  readonly readOnly: boolean;
  readonly accessKeyId: string;
  readonly username: string;
  readonly account: string;
  readonly region: string;
  readonly errorCode: string | undefined;
  /** `{ResourceType, ResourceName}` as LookupEvents returns them. */
  readonly resources: ReadonlyArray<{ readonly ResourceType: string; readonly ResourceName: string }>;
  /** The CloudTrail record itself (what LookupEvents returns as the `CloudTrailEvent` string). */
  readonly record: JsonObject;
  /** Insertion order, breaking ties between records of the same instant. */
  sequence: number;
}

/** What a call looked like, from the server or from a seeded push. */
export interface CallFacts {
  readonly eventSource: string;
  readonly eventName: string;
  readonly account: string;
  readonly region: string;
  /** IAM user (`arn:aws:iam::<account>:user/<name>`) or assumed-role (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) ARN. */
  readonly actorArn: string;
  readonly accessKeyId: string;
  /** For an assumed-role caller: the role's unique id (`AROA…`). */
  readonly principalId?: string;
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
  readonly requestParameters: JsonObject;
  readonly responseElements: JsonObject | undefined;
  readonly error: { readonly code: string; readonly message: string } | undefined;
  readonly requestId: string;
  readonly nowMs: number;
}

/** Calls CloudTrail marks `readOnly` (they change nothing). */
export function isReadOnly(eventName: string): boolean {
  return /^(Describe|List|Get|BatchGet|BatchCheck)/.test(eventName);
}

// CloudTrail writes `eventTime` to the second, e.g. 2019-04-15T16:45:00Z.
function eventTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** CloudTrail prints ECR's timestamps in `responseElements` as `Jul 11, 2018 10:17:44 PM` (UTC). */
export function cloudTrailDate(seconds: number): string {
  const date = new Date(seconds * 1000);
  const hours = date.getUTCHours();
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()} ${hours % 12 || 12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

function printDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(printDates);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, member]) => [
      key,
      (key === 'createdAt' || key === 'updatedAt' || key === 'imagePushedAt') && typeof member === 'number'
        ? cloudTrailDate(member)
        : printDates(member),
    ]),
  );
}

const ASSUMED_ROLE = /^arn:([a-z-]+):sts::([0-9]{12}):assumed-role\/([^/]+)\/(.+)$/;
const IAM_USER = /^arn:([a-z-]+):iam::([0-9]{12}):user\/(?:.*\/)?([^/]+)$/;

/** `userIdentity` and the LookupEvents `Username` for an actor ARN. */
export function userIdentity(
  actorArn: string,
  accessKeyId: string,
  principalId: string | undefined,
): { identity: JsonObject; username: string } {
  const role = ASSUMED_ROLE.exec(actorArn);
  if (role !== null) {
    const [, partition = 'aws', account = '', roleName = '', sessionName = ''] = role;
    const roleId = principalId ?? `AROA${account}EMULATOR`;
    return {
      username: sessionName,
      identity: {
        type: 'AssumedRole',
        principalId: `${roleId}:${sessionName}`,
        arn: actorArn,
        accountId: account,
        accessKeyId,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: roleId,
            arn: `arn:${partition}:iam::${account}:role/${roleName}`,
            accountId: account,
            userName: roleName,
          },
          attributes: { mfaAuthenticated: 'false' },
        },
      },
    };
  }
  const user = IAM_USER.exec(actorArn);
  const account = user?.[2] ?? '';
  const userName = user?.[3] ?? actorArn;
  return {
    username: userName,
    identity: {
      type: 'IAMUser',
      principalId: principalId ?? `AIDA${account}EMULATOR`,
      arn: actorArn,
      accountId: account,
      accessKeyId,
      userName,
    },
  };
}

function repositoryArn(region: string, account: string, name: string): string {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:ecr:${region}:${account}:repository/${name}`;
}

/**
 * A record field as CloudTrail writes it: whole, or, when its JSON is longer than `limitBytes`, replaced
 * by `{"omitted": true}` ("CloudTrail truncates a field if the field's contents exceeds the maximum field
 * size. If a field is truncated, omitted is present with a value of true": the record contents reference).
 */
function withinFieldLimit(field: unknown, limitBytes: number | undefined): unknown {
  if (limitBytes === undefined) return field;
  return Buffer.byteLength(JSON.stringify(field)) > limitBytes ? { omitted: true } : field;
}

/**
 * Builds the CloudTrail record of one call. `fieldLimitBytes` truncates `requestParameters` and
 * `responseElements` longer than that (CloudTrail does not publish its limit; none by default).
 */
export function buildRecord(facts: CallFacts, fieldLimitBytes?: number): TrailRecord {
  const { identity, username } = userIdentity(facts.actorArn, facts.accessKeyId, facts.principalId);
  const readOnly = isReadOnly(facts.eventName);
  const name = facts.requestParameters.repositoryName;
  const repositoryName = typeof name === 'string' ? name : undefined;
  const eventId = randomUUID();
  // Read-only calls and failures carry `responseElements: null`, as in CloudTrail's samples.
  const responseElements =
    facts.error === undefined && !readOnly && facts.responseElements !== undefined
      ? withinFieldLimit(printDates(facts.responseElements), fieldLimitBytes)
      : null;
  const record: JsonObject = {
    eventVersion: '1.08',
    userIdentity: identity,
    eventTime: eventTime(facts.nowMs),
    eventSource: facts.eventSource,
    eventName: facts.eventName,
    awsRegion: facts.region,
    sourceIPAddress: facts.sourceIp,
    userAgent: facts.userAgent ?? 'emulator',
    ...(facts.error === undefined ? {} : { errorCode: facts.error.code, errorMessage: facts.error.message }),
    requestParameters: withinFieldLimit(facts.requestParameters, fieldLimitBytes),
    responseElements,
    requestID: facts.requestId,
    eventID: eventId,
    readOnly,
    ...(repositoryName === undefined
      ? {}
      : {
          resources: [
            { ARN: repositoryArn(facts.region, facts.account, repositoryName), accountId: facts.account },
          ],
        }),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: facts.account,
    eventCategory: 'Management',
  };
  return {
    eventId,
    eventTimeMs: Math.floor(facts.nowMs / 1000) * 1000,
    eventName: facts.eventName,
    eventSource: facts.eventSource,
    readOnly,
    accessKeyId: facts.accessKeyId,
    username,
    account: facts.account,
    region: facts.region,
    errorCode: facts.error?.code,
    resources:
      repositoryName === undefined
        ? []
        : [{ ResourceType: 'AWS::ECR::Repository', ResourceName: repositoryName }],
    record,
    sequence: 0,
  };
}

/** The EventBridge event CloudTrail's record becomes ("AWS API Call via CloudTrail", source `aws.<service>`). */
export function toEventBridgeEvent(record: TrailRecord): JsonObject {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${record.eventSource.replace(/\.amazonaws\.com$/, '')}`,
    account: record.account,
    time: record.record.eventTime,
    region: record.region,
    resources: [],
    detail: record.record,
  };
}
