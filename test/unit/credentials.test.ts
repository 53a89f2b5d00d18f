import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type AwsCredentialsProvider,
  createMemberCredentials,
  DEFAULT_MEMBER_ROLE_NAME,
  type MemberCredentialsOptions,
  memberRoleArnPattern,
  partitionOf,
  SESSION_NAME_PATTERN,
  sessionNameFor,
} from '../../lib/credentials.ts';
import { AwsCallError, InvalidInputError } from '../../lib/errors.ts';
import { STS_ACTIONS } from '../../lib/iam-actions.ts';
import { sdkError } from '../helpers/sdk-error.ts';

const stsMock = mockClient(STSClient);

const OWN = '111111111111';
const MEMBER = '222222222222';
const OTHER = '333333333333';
const T0 = Date.parse('2026-11-30T03:00:00Z');
const MINUTE = 60_000;

/** STS answers with numbered keys expiring `lifetimeMs` after the fake clock's current time. */
function answerWithKeys(clock: { now: number }, lifetimeMs = 60 * MINUTE) {
  let issued = 0;
  stsMock.on(AssumeRoleCommand).callsFake(() => {
    issued += 1;
    return {
      Credentials: {
        AccessKeyId: `ASIA${issued}`,
        SecretAccessKey: `secret-${issued}`,
        SessionToken: `token-${issued}`,
        Expiration: new Date(clock.now + lifetimeMs),
      },
    };
  });
}

describe('createMemberCredentials', () => {
  let clock: { now: number };
  beforeEach(() => {
    stsMock.reset();
    clock = { now: T0 };
  });
  const create = (options: Partial<MemberCredentialsOptions> = {}) =>
    createMemberCredentials(new STSClient({ region: 'eu-west-1' }), {
      ownAccountId: OWN,
      region: 'eu-west-1',
      runId: 'run-7f3a',
      now: () => clock.now,
      sleep: async () => {},
      ...options,
    });

  it('assumes the default member role with a recognisable session name', async () => {
    answerWithKeys(clock);
    const credentials = create();
    await credentials.ensure(MEMBER);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/EcrImmutabilityGuardMember`,
      RoleSessionName: 'ecr-immutability-guard-run-7f3a',
      DurationSeconds: 3600,
    });
    expect(stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input.ExternalId).toBeUndefined();
  });

  it('passes the configured role name and external id', async () => {
    answerWithKeys(clock);
    await create({ roleName: 'GuardRole', externalId: 'org-1234:guard' }).ensure(MEMBER);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/GuardRole`,
      ExternalId: 'org-1234:guard',
    });
  });

  it('builds role ARNs in the partition of the caller’s region', async () => {
    answerWithKeys(clock);
    const credentials = create({ region: 'cn-north-1' });
    await credentials.ensure(MEMBER);
    expect(credentials.partition).toBe('aws-cn');
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws-cn:iam::${MEMBER}:role/EcrImmutabilityGuardMember`,
    });
  });

  it('assumes once per account, however many regions and concurrent callers ask', async () => {
    answerWithKeys(clock);
    const credentials = create();
    const perRegion = ['eu-west-1', 'us-east-1', 'ap-south-1'].map(() => credentials.providerFor(MEMBER));
    const resolved = await Promise.all([
      ...perRegion.map((provider) => provider?.()),
      credentials.ensure(MEMBER),
      ...perRegion.map((provider) => provider?.()),
    ]);
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(credentials.assumeRoleCalls).toBe(1);
    expect(resolved.filter((value) => value !== undefined)).toEqual(
      Array(6).fill({
        accessKeyId: 'ASIA1',
        secretAccessKey: 'secret-1',
        sessionToken: 'token-1',
        expiration: new Date(T0 + 60 * MINUTE),
        accountId: MEMBER,
      }),
    );
    await credentials.ensure(OTHER);
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('uses the caller’s own credentials for its own account, without AssumeRole', async () => {
    const own: AwsCredentialsProvider = async () => ({ accessKeyId: 'AKIAOWN', secretAccessKey: 'own' });
    const credentials = create({ ownCredentials: own });
    await credentials.ensure(OWN);
    expect(credentials.providerFor(OWN)).toBe(own);
    expect(create().providerFor(OWN)).toBeUndefined();
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
  });

  it('refreshes 5 minutes before expiry, so a long sweep never uses expired credentials', async () => {
    answerWithKeys(clock);
    const provider = create().providerFor(MEMBER);
    expect((await provider?.())?.accessKeyId).toBe('ASIA1');
    clock.now = T0 + 54 * MINUTE;
    expect((await provider?.())?.accessKeyId).toBe('ASIA1');
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    clock.now = T0 + 55 * MINUTE;
    expect((await provider?.())?.accessKeyId).toBe('ASIA2');
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    clock.now = T0 + 100 * MINUTE;
    expect((await provider?.())?.accessKeyId).toBe('ASIA2');
    clock.now = T0 + 110 * MINUTE;
    expect((await provider?.())?.accessKeyId).toBe('ASIA3');
  });

  it('honours a custom refresh margin and session length', async () => {
    answerWithKeys(clock, 15 * MINUTE);
    const credentials = create({ refreshBeforeMs: 2 * MINUTE, durationSeconds: 900 });
    await credentials.ensure(MEMBER);
    clock.now = T0 + 12 * MINUTE;
    await credentials.ensure(MEMBER);
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    clock.now = T0 + 13 * MINUTE;
    await credentials.ensure(MEMBER);
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, { DurationSeconds: 900 });
  });

  it('keeps the previous credentials when a refresh fails while they are still valid', async () => {
    answerWithKeys(clock);
    const provider = create({ retries: 0 }).providerFor(MEMBER);
    await provider?.();
    stsMock.on(AssumeRoleCommand).rejects(sdkError('Throttling', 400));
    clock.now = T0 + 56 * MINUTE;
    expect((await provider?.())?.accessKeyId).toBe('ASIA1');
    clock.now = T0 + 56.5 * MINUTE;
    await provider?.();
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    clock.now = T0 + 61 * MINUTE;
    await expect(provider?.()).rejects.toMatchObject({ code: 'Throttling' });
  });

  it('after a failed refresh, tries again after failureTtlMs or at the old credentials’ expiry, whichever comes first', async () => {
    answerWithKeys(clock);
    const credentials = create({ retries: 0 });
    const provider = credentials.providerFor(MEMBER);
    await provider?.();
    stsMock.on(AssumeRoleCommand).rejects(sdkError('Throttling', 400));
    const keyAt = async (minutes: number) => {
      clock.now = T0 + minutes * MINUTE;
      return (await provider?.())?.accessKeyId;
    };

    expect(await keyAt(56)).toBe('ASIA1');
    expect(await keyAt(56.9)).toBe('ASIA1');
    expect(credentials.assumeRoleCalls).toBe(2);
    // The failure is remembered for failureTtlMs (1 minute), well before the keys expire at 60.
    expect(await keyAt(57)).toBe('ASIA1');
    expect(credentials.assumeRoleCalls).toBe(3);
    // From 59.5, a minute of failureTtlMs would run past the expiry: the expiry comes first.
    expect(await keyAt(59.5)).toBe('ASIA1');
    expect(await keyAt(59.99)).toBe('ASIA1');
    expect(credentials.assumeRoleCalls).toBe(4);
    await expect(keyAt(60)).rejects.toMatchObject({ code: 'Throttling' });
    expect(credentials.assumeRoleCalls).toBe(5);
  });

  it('fails an account whose role cannot be assumed with STS’s code, not retried, remembered briefly', async () => {
    stsMock.on(AssumeRoleCommand).rejects(sdkError('AccessDenied', 403));
    const credentials = create();
    const error = await credentials.ensure(MEMBER).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({
      service: 'sts',
      operation: 'AssumeRole',
      code: 'AccessDenied',
      retryable: false,
    });
    await expect(credentials.providerFor(MEMBER)?.()).rejects.toMatchObject({ code: 'AccessDenied' });
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    clock.now = T0 + 2 * MINUTE;
    await expect(credentials.ensure(MEMBER)).rejects.toMatchObject({ code: 'AccessDenied' });
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it.each([
    ['RegionDisabledException', 403],
    ['ExpiredTokenException', 400],
  ])('translates %s without retrying', async (code, status) => {
    stsMock.on(AssumeRoleCommand).rejects(sdkError(code, status));
    await expect(create().ensure(MEMBER)).rejects.toMatchObject({ code, retryable: false });
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });

  it('retries throttling with backoff, counting each request', async () => {
    stsMock
      .on(AssumeRoleCommand)
      .rejectsOnce(sdkError('Throttling', 400))
      .rejectsOnce(sdkError('Throttling', 400))
      .resolves({
        Credentials: {
          AccessKeyId: 'ASIA',
          SecretAccessKey: 's',
          SessionToken: 't',
          Expiration: new Date(T0 + 60 * MINUTE),
        },
      });
    const credentials = create();
    await credentials.ensure(MEMBER);
    expect(credentials.assumeRoleCalls).toBe(3);
  });

  it.each([
    ['no credentials', undefined],
    ['no access key', { AccessKeyId: '', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(T0) }],
    [
      'no secret key',
      { AccessKeyId: 'ASIA', SecretAccessKey: '', SessionToken: 't', Expiration: new Date(T0) },
    ],
    [
      'no session token',
      { AccessKeyId: 'ASIA', SecretAccessKey: 's', SessionToken: '', Expiration: new Date(T0) },
    ],
  ])('fails clearly, not retried, when STS answers with %s', async (_case, answer) => {
    stsMock.on(AssumeRoleCommand).resolves({ Credentials: answer });
    const error = await create()
      .ensure(MEMBER)
      .catch((caught: unknown) => caught);
    const roleArn = `arn:aws:iam::${MEMBER}:role/EcrImmutabilityGuardMember`;
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({
      message: `sts:AssumeRole failed with IncompleteCredentials: AssumeRole of ${roleArn} returned no complete credentials`,
      service: 'sts',
      operation: 'AssumeRole',
      code: 'IncompleteCredentials',
      retryable: false,
    });
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });

  it('keeps credentials without an expiry for the whole run', async () => {
    stsMock.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'ASIA', SecretAccessKey: 's', SessionToken: 't', Expiration: undefined },
    });
    const credentials = create();
    await credentials.ensure(MEMBER);
    clock.now = T0 + 24 * 60 * MINUTE;
    await credentials.ensure(MEMBER);
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });

  it('gives each account one provider, however often it is asked', () => {
    const credentials = create();
    expect(credentials.providerFor(MEMBER)).toBe(credentials.providerFor(MEMBER));
    expect(credentials.providerFor(OTHER)).not.toBe(credentials.providerFor(MEMBER));
  });

  it('is usable as an SDK client’s credentials', async () => {
    answerWithKeys(clock);
    const credentials = create();
    const config: ECRClientConfig = { region: 'us-east-1', credentials: credentials.providerFor(MEMBER) };
    const ecr = new ECRClient(config);
    const identity = await ecr.config.credentials();
    expect(identity).toMatchObject({ accessKeyId: 'ASIA1', sessionToken: 'token-1', accountId: MEMBER });
    ecr.destroy();
  });

  it.each([
    [{ roleName: 'path/Role' }, 'roleName: must be an IAM role name'],
    [{ roleName: 'R'.repeat(65) }, 'roleName'],
    [{ externalId: 'x' }, 'externalId: must be 2-1224'],
    [{ ownAccountId: '1234' }, 'ownAccountId: must be a 12-digit account id, got "1234"'],
    [{ region: 'moon-1' }, 'region: must be an AWS region'],
    [{ durationSeconds: 60 }, 'durationSeconds'],
  ])('rejects the option %j naming it', (options, message) => {
    expect(() => create(options)).toThrow(InvalidInputError);
    expect(() => create(options)).toThrow(message);
  });

  it('rejects a malformed account id before calling STS', async () => {
    await expect(create().ensure('12')).rejects.toThrow('accountId: must be a 12-digit account id');
    expect(() => create().providerFor('x')).toThrow(InvalidInputError);
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
  });
});

describe('sessionNameFor', () => {
  it('is a valid RoleSessionName starting with ecr-immutability-guard, whatever the run id', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (runId) => {
        const name = sessionNameFor(runId);
        expect(name).toMatch(SESSION_NAME_PATTERN);
        expect(name.length).toBeLessThanOrEqual(64);
        expect(name.startsWith('ecr-immutability-guard')).toBe(true);
      }),
    );
  });

  it('keeps a short run id as it is', () => {
    expect(sessionNameFor('3f9c2a1b')).toBe('ecr-immutability-guard-3f9c2a1b');
    expect(sessionNameFor('a b/c')).toBe('ecr-immutability-guard-a-b-c');
  });

  it('is the prefix alone for an empty run id, and keeps 41 characters of a long one', () => {
    expect(sessionNameFor('')).toBe('ecr-immutability-guard');
    expect(sessionNameFor('r'.repeat(50))).toBe(`ecr-immutability-guard-${'r'.repeat(41)}`);
  });
});

describe('partitions and IAM', () => {
  it.each([
    ['eu-west-1', 'aws'],
    ['us-east-1', 'aws'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
    ['eu-isoe-west-1', 'aws-iso-e'],
    ['us-isof-south-1', 'aws-iso-f'],
  ])('puts %s in the %s partition', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });

  it('grants sts:AssumeRole on the member role in any account, and nothing else', () => {
    expect(STS_ACTIONS).toEqual({ assumeMemberRole: ['sts:AssumeRole'] });
    expect(memberRoleArnPattern('aws', DEFAULT_MEMBER_ROLE_NAME)).toBe(
      'arn:aws:iam::*:role/EcrImmutabilityGuardMember',
    );
  });
});
