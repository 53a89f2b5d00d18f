import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  PutImageTagMutabilityCommand,
} from '@aws-sdk/client-ecr';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  GetCallerIdentityCommand,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OrganizationSeed } from '../../emulator/index.ts';
import {
  type ClientCredentials,
  ecrClientWith,
  startTestEmulator,
  stsClient,
  type TestEmulator,
} from './helpers.ts';

const MANAGEMENT = '111111111111';
const MEMBER = '222222222222';
const OTHER_MEMBER = '333333333333';
const SUSPENDED = '444444444444';
const OUTSIDER = '999999999999';
const ROLE = 'EcrImmutabilityGuardMember';
const roleArn = (account: string, name = ROLE): string => `arn:aws:iam::${account}:role/${name}`;

const MANAGEMENT_KEY: ClientCredentials = { accessKeyId: 'management-key', secretAccessKey: 'x' };
const OUTSIDER_KEY: ClientCredentials = { accessKeyId: 'outsider-key', secretAccessKey: 'x' };

/** A small organisation: the management account may assume the member role in two members. */
const ORGANISATION: OrganizationSeed = {
  organization: { managementAccount: MANAGEMENT },
  accounts: [
    { id: MANAGEMENT, name: 'management', accessKeyIds: ['management-key'] },
    { id: MEMBER, name: 'workloads-prod' },
    { id: OTHER_MEMBER, name: 'workloads-dev' },
    { id: SUSPENDED, name: 'old', status: 'SUSPENDED' },
    { id: OUTSIDER, name: 'not-trusted', accessKeyIds: ['outsider-key'] },
  ],
  roles: [
    { account: MEMBER, name: ROLE, trustedPrincipals: [MANAGEMENT] },
    {
      account: OTHER_MEMBER,
      name: ROLE,
      trustedPrincipals: [`arn:aws:iam::${MANAGEMENT}:root`],
      externalId: 'guard-ext-1',
    },
    { account: SUSPENDED, name: ROLE, trustedPrincipals: [MANAGEMENT] },
    { account: MEMBER, name: 'Chained', trustedPrincipals: [roleArn(MEMBER)] },
    {
      account: MEMBER,
      name: 'LongSessions',
      trustedPrincipals: [MANAGEMENT],
      maxSessionDurationSeconds: 43_200,
    },
  ],
};

let nowMs = Date.parse('2026-11-30T00:00:00Z');
let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator({ organization: ORGANISATION, now: () => nowMs });
});
afterAll(async () => {
  await emulator.stop();
});
beforeEach(async () => {
  nowMs = Date.parse('2026-11-30T00:00:00Z');
  await emulator.admin.reset();
});

async function assume(
  input: Partial<AssumeRoleCommandInput> = {},
  as = MANAGEMENT_KEY,
): Promise<ClientCredentials> {
  const sts = stsClient(emulator.url, as);
  try {
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn(MEMBER), RoleSessionName: 'ecr-guard', ...input }),
    );
    if (Credentials?.AccessKeyId === undefined || Credentials.SecretAccessKey === undefined) {
      throw new Error('AssumeRole returned no credentials');
    }
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      ...(Credentials.SessionToken === undefined ? {} : { sessionToken: Credentials.SessionToken }),
    };
  } finally {
    sts.destroy();
  }
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const metadata: unknown = Reflect.get(error, '$metadata');
    const status =
      typeof metadata === 'object' && metadata !== null ? Reflect.get(metadata, 'httpStatusCode') : undefined;
    return { name: error.name, message: error.message, ...(typeof status === 'number' ? { status } : {}) };
  }
  throw new Error('expected the call to fail');
}

async function withEcr<T>(
  credentials: ClientCredentials,
  region: string,
  use: (ecr: ECRClient) => Promise<T>,
): Promise<T> {
  const ecr = ecrClientWith(emulator.url, credentials, region);
  try {
    return await use(ecr);
  } finally {
    ecr.destroy();
  }
}

describe('AssumeRole', () => {
  it('returns credentials whose ECR calls land in the member account, in the region of each client', async () => {
    const member = await assume();
    await withEcr(member, 'eu-west-1', (ecr) =>
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'payments' })),
    );
    await withEcr(member, 'us-east-2', (ecr) =>
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'ledger' })),
    );

    expect(
      (await emulator.admin.repositories({ account: MEMBER, region: 'eu-west-1' })).repositories,
    ).toEqual([
      expect.objectContaining({
        repositoryName: 'payments',
        repositoryArn: `arn:aws:ecr:eu-west-1:${MEMBER}:repository/payments`,
      }),
    ]);
    expect((await emulator.admin.repositories({ account: MEMBER, region: 'us-east-2' })).count).toBe(1);
    expect((await emulator.admin.repositories({ account: MANAGEMENT, region: 'eu-west-1' })).count).toBe(0);
    expect((await emulator.admin.repositories({ region: 'eu-west-1' })).count).toBe(0);
  });

  it('answers with the assumed-role user, a session token and an expiry one hour out by default', async () => {
    const sts = stsClient(emulator.url, MANAGEMENT_KEY);
    const answer = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn(MEMBER), RoleSessionName: 'ecr-guard' }),
    );
    sts.destroy();
    expect(answer.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/${ROLE}/ecr-guard`,
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z0-9]+:ecr-guard$/),
    });
    expect(answer.Credentials).toEqual({
      AccessKeyId: expect.stringMatching(/^ASIA[A-Z2-7]{16}$/),
      SecretAccessKey: expect.any(String),
      SessionToken: expect.any(String),
      Expiration: new Date(nowMs + 3600_000),
    });
  });

  it('makes GetCallerIdentity name the session and the account it acts as', async () => {
    const sts = stsClient(emulator.url, await assume());
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(identity).toMatchObject({
      Account: MEMBER,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/${ROLE}/ecr-guard`,
      UserId: expect.stringMatching(/:ecr-guard$/),
    });
  });

  it('makes GetCallerIdentity answer the default account for an unknown access key', async () => {
    const sts = stsClient(emulator.url);
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(identity).toMatchObject({
      Account: '123456789012',
      Arn: 'arn:aws:iam::123456789012:user/emulator',
    });
  });

  it('lets a trusted role session assume a role that trusts that role (role chaining)', async () => {
    const session = await assume();
    const chained = await assume(
      { RoleArn: roleArn(MEMBER, 'Chained'), RoleSessionName: 'chained' },
      session,
    );
    const sts = stsClient(emulator.url, chained);
    expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(
      `arn:aws:sts::${MEMBER}:assumed-role/Chained/chained`,
    );
    sts.destroy();
  });

  it.each([
    ['an account the role does not trust', { RoleArn: roleArn(MEMBER) }, OUTSIDER_KEY],
    ['a role that does not exist', { RoleArn: roleArn(MEMBER, 'Missing') }, MANAGEMENT_KEY],
    ['a role in an account the emulator does not know', { RoleArn: roleArn('555555555555') }, MANAGEMENT_KEY],
    ['a role in a suspended account', { RoleArn: roleArn(SUSPENDED) }, MANAGEMENT_KEY],
    ['a role that requires an external id, without one', { RoleArn: roleArn(OTHER_MEMBER) }, MANAGEMENT_KEY],
    [
      'a role that requires an external id, with another one',
      { RoleArn: roleArn(OTHER_MEMBER), ExternalId: 'guard-ext-2' },
      MANAGEMENT_KEY,
    ],
    [
      'a role that trusts only another role, from an account',
      { RoleArn: roleArn(MEMBER, 'Chained') },
      MANAGEMENT_KEY,
    ],
  ])('refuses %s with a 403 AccessDenied naming caller and role', async (_, input, as) => {
    const error = await failure(assume(input, as));
    expect(error).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(error.message).toContain(
      `is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
    );
  });

  it('accepts the external id the role requires', async () => {
    const credentials = await assume({ RoleArn: roleArn(OTHER_MEMBER), ExternalId: 'guard-ext-1' });
    const sts = stsClient(emulator.url, credentials);
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(OTHER_MEMBER);
    sts.destroy();
  });

  it.each([
    ['a RoleArn shorter than 20 characters', { RoleArn: 'arn:aws:iam::1:role' }, "at 'roleArn'"],
    ['a RoleArn that is not a role ARN', { RoleArn: `arn:aws:iam::${MEMBER}:user/someone` }, 'is invalid'],
    ['a one-character RoleSessionName', { RoleSessionName: 'x' }, "at 'roleSessionName'"],
    ['a 65-character RoleSessionName', { RoleSessionName: 'x'.repeat(65) }, "at 'roleSessionName'"],
    ['a RoleSessionName with a space', { RoleSessionName: 'ecr guard' }, 'regular expression'],
    ['DurationSeconds under 900', { DurationSeconds: 899 }, "at 'durationSeconds'"],
    ['DurationSeconds over 43200', { DurationSeconds: 43_201 }, "at 'durationSeconds'"],
    ['DurationSeconds over the role maximum', { DurationSeconds: 7200 }, 'MaxSessionDuration'],
    ['a one-character ExternalId', { ExternalId: 'x' }, "at 'externalId'"],
  ])('refuses %s with ValidationError', async (_, input, named) => {
    const error = await failure(assume(input));
    expect(error).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(error.message).toContain(named);
  });

  it('grants up to the role maximum session duration when asked', async () => {
    const sts = stsClient(emulator.url, MANAGEMENT_KEY);
    const answer = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn(MEMBER, 'LongSessions'),
        RoleSessionName: 'long',
        DurationSeconds: 43_200,
      }),
    );
    sts.destroy();
    expect(answer.Credentials?.Expiration).toEqual(new Date(nowMs + 43_200_000));
  });
});

describe('temporary credentials', () => {
  it('expire after their duration with ExpiredTokenException, and a new AssumeRole works again', async () => {
    const first = await assume({ DurationSeconds: 900 });
    await withEcr(first, 'us-east-1', (ecr) => ecr.send(new DescribeRepositoriesCommand({})));
    nowMs += 900_000;
    const expired = await failure(
      withEcr(first, 'us-east-1', (ecr) => ecr.send(new DescribeRepositoriesCommand({}))),
    );
    expect(expired).toMatchObject({ name: 'ExpiredTokenException', status: 403 });

    const refreshed = await assume({ DurationSeconds: 900 });
    await withEcr(refreshed, 'us-east-1', (ecr) =>
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'after-refresh' })),
    );
    expect((await emulator.admin.repositories({ account: MEMBER })).count).toBe(1);
  });

  it('answer STS calls after expiry with the Query protocol code ExpiredToken', async () => {
    const credentials = await assume({ DurationSeconds: 900 });
    nowMs += 901_000;
    const sts = stsClient(emulator.url, credentials);
    const error = await failure(sts.send(new GetCallerIdentityCommand({})));
    sts.destroy();
    expect(error).toMatchObject({ name: 'ExpiredToken', status: 403 });
  });

  it('are refused without their session token', async () => {
    const { sessionToken: _, ...withoutToken } = await assume();
    const error = await failure(
      withEcr(withoutToken, 'us-east-1', (ecr) => ecr.send(new DescribeRepositoriesCommand({}))),
    );
    expect(error).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
  });

  it('are forgotten by reset, after which their key acts as the default account like any unknown key', async () => {
    const credentials = await assume();
    await emulator.admin.reset();
    const sts = stsClient(emulator.url, credentials);
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('123456789012');
    sts.destroy();
    // The organisation and its roles stay: the role can be assumed again.
    expect((await assume()).accessKeyId).toMatch(/^ASIA/);
  });
});

describe('credential lifetime override', () => {
  let short: TestEmulator;
  beforeAll(async () => {
    short = await startTestEmulator({
      organization: { ...ORGANISATION, credentialLifetimeSeconds: 60 },
      now: () => nowMs,
    });
  });
  afterAll(async () => {
    await short.stop();
  });

  it('issues credentials for the configured lifetime whatever DurationSeconds asks, so refresh is testable', async () => {
    const sts = stsClient(short.url, MANAGEMENT_KEY);
    const answer = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn(MEMBER), RoleSessionName: 'short', DurationSeconds: 3600 }),
    );
    expect(answer.Credentials?.Expiration).toEqual(new Date(nowMs + 60_000));
    const credentials = {
      accessKeyId: answer.Credentials?.AccessKeyId ?? '',
      secretAccessKey: answer.Credentials?.SecretAccessKey ?? '',
      sessionToken: answer.Credentials?.SessionToken ?? '',
    };
    nowMs += 60_000;
    const ecr = ecrClientWith(short.url, credentials);
    const error = await failure(
      ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'app', imageTagMutability: 'IMMUTABLE' })),
    );
    ecr.destroy();
    sts.destroy();
    expect(error.name).toBe('ExpiredTokenException');
  });
});
