/**
 * AWS STS (`AWSSecurityTokenServiceV20110615`, Query protocol, XML responses): AssumeRole against the roles and
 * trust of the seed, and GetCallerIdentity.
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */

import type { Directory, RoleRecord } from '../core/directory.ts';
import { AwsError } from '../core/errors.ts';
import type { Caller, SessionStore } from '../core/identity.ts';
import type { QueryService } from '../core/service.ts';
import type { JsonObject } from '../core/validate.ts';

/** What the STS service runs against. */
export interface StsServiceState {
  directory(): Directory;
  readonly sessions: SessionStore;
}

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const STS_OPERATIONS = ['AssumeRole', 'GetCallerIdentity'] as const;

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::([0-9]{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const CHAINED_MAX_SECONDS = 3600;

// STS's ValidationError wording ("1 validation error detected: Value … at '…' failed to satisfy constraint: …").
function validation(value: string | null, member: string, constraint: string): AwsError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

function checkText(
  value: unknown,
  member: string,
  options: { required: boolean; min: number; max: number; pattern?: RegExp; source?: string },
): string | undefined {
  if (value === undefined) {
    if (options.required) throw validation(null, member, 'Member must not be null');
    return undefined;
  }
  const text = String(value);
  if (text.length < options.min)
    throw validation(text, member, `Member must have length greater than or equal to ${options.min}`);
  if (text.length > options.max)
    throw validation(text, member, `Member must have length less than or equal to ${options.max}`);
  if (options.pattern !== undefined && !options.pattern.test(text))
    throw validation(text, member, `Member must satisfy regular expression pattern: ${options.source ?? ''}`);
  return text;
}

function accessDenied(caller: Caller, roleArn: string): AwsError {
  return new AwsError(
    'AccessDenied',
    `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    403,
  );
}

/** A trusted principal matches an account id, that account's root, or the caller's role. */
function trusts(role: RoleRecord, caller: Caller): boolean {
  return role.trustedPrincipals.some(
    (principal) =>
      principal === caller.account ||
      principal === `arn:aws:iam::${caller.account}:root` ||
      (caller.roleArn !== undefined && principal === caller.roleArn),
  );
}

function isoSeconds(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace('.000Z', 'Z') : iso;
}

function assumeRole(state: StsServiceState, caller: Caller, input: JsonObject, nowMs: number): JsonObject {
  const roleArn = checkText(input.RoleArn, 'roleArn', { required: true, min: 20, max: 2048 }) ?? '';
  const sessionName =
    checkText(input.RoleSessionName, 'roleSessionName', {
      required: true,
      min: 2,
      max: 64,
      pattern: SESSION_NAME,
      source: '[\\w+=,.@-]*',
    }) ?? '';
  const externalId = checkText(input.ExternalId, 'externalId', {
    required: false,
    min: 2,
    max: 1224,
    pattern: EXTERNAL_ID,
    source: '[\\w+=,.@:\\/-]*',
  });
  let durationSeconds: number | undefined;
  if (input.DurationSeconds !== undefined) {
    const text = String(input.DurationSeconds);
    durationSeconds = Number(text);
    if (!/^[0-9]+$/.test(text))
      throw new AwsError('ValidationError', `Value '${text}' at 'durationSeconds' is not an integer`);
    if (durationSeconds < 900)
      throw validation(text, 'durationSeconds', 'Member must have value greater than or equal to 900');
    if (durationSeconds > 43_200)
      throw validation(text, 'durationSeconds', 'Member must have value less than or equal to 43200');
  }
  const match = ROLE_ARN.exec(roleArn);
  if (match === null) throw new AwsError('ValidationError', `${roleArn} is invalid`);
  const [, , account, name] = match;
  const directory = state.directory();
  const role = directory.roles.get(`arn:aws:iam::${account ?? ''}:role/${name ?? ''}`);
  const target = directory.accounts.get(account ?? '');
  // A missing role, an untrusted caller, a wrong external id and a suspended or closed account all answer
  // AccessDenied, as STS does not reveal which.
  if (role === undefined || !trusts(role, caller)) throw accessDenied(caller, roleArn);
  if (role.externalId !== undefined && role.externalId !== externalId) throw accessDenied(caller, roleArn);
  if (target !== undefined && target.state !== 'ACTIVE') throw accessDenied(caller, roleArn);
  if (
    caller.roleArn !== undefined &&
    durationSeconds !== undefined &&
    durationSeconds > CHAINED_MAX_SECONDS
  ) {
    throw new AwsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
  if (durationSeconds !== undefined && durationSeconds > role.maxSessionDurationSeconds) {
    throw new AwsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  const lifetimeSeconds = directory.credentialLifetimeSeconds ?? durationSeconds ?? 3600;
  const session = state.sessions.issue({
    account: role.account,
    roleArn: role.arn,
    roleName: role.name,
    roleId: role.roleId,
    sessionName,
    expiresAtMs: nowMs + Math.round(lifetimeSeconds * 1000),
  });
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: isoSeconds(session.expiresAtMs),
    },
    AssumedRoleUser: {
      AssumedRoleId: `${role.roleId}:${sessionName}`,
      Arn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`,
    },
  };
}

export function stsService(state: StsServiceState): QueryService {
  return {
    name: 'sts',
    title: 'STS',
    protocol: 'query',
    signingName: 'sts',
    xmlNamespace: STS_NAMESPACE,
    operations: STS_OPERATIONS,
    run({ operation, caller, input, nowMs }) {
      if (operation === 'AssumeRole') return assumeRole(state, caller, input, nowMs);
      return { UserId: caller.userId, Account: caller.account, Arn: caller.arn };
    },
    faultError(fault, { operation, caller }) {
      if (fault === 'throttle') return new AwsError('Throttling', 'Rate exceeded');
      if (fault === 'server-error')
        return new AwsError('InternalFailure', 'Injected server fault (emulator)', 500);
      return new AwsError(
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: sts:${operation} (injected by the emulator)`,
        403,
      );
    },
  };
}
