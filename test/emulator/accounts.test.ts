import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  PutImageTagMutabilityCommand,
} from '@aws-sdk/client-ecr';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ecrClient,
  organizationsClient,
  startTestEmulator,
  stsClient,
  TEST_CREDENTIALS,
  type TestEmulator,
} from './helpers.ts';

const THROTTLED = '210000000001';
const DENIED = '210000000002';
const CALM = '210000000003';
const KEYS = { 'throttled-key': THROTTLED, 'denied-key': DENIED, 'calm-key': CALM };

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator({
    organization: {
      organization: { managementAccount: CALM },
      accounts: Object.entries(KEYS).map(([key, id]) => ({ id, accessKeyIds: [key] })),
      roles: [{ account: THROTTLED, name: 'Member', trustedPrincipals: [CALM] }],
    },
  });
});
afterAll(async () => {
  await emulator.stop();
});
beforeEach(async () => {
  await emulator.admin.reset();
});

function client(accessKeyId: string, region = 'us-east-1'): ECRClient {
  return ecrClient(emulator.url, { accessKeyId, region });
}

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error.name;
    throw error;
  }
  return 'none';
}

const put = (ecr: ECRClient, name: string): Promise<unknown> =>
  ecr.send(new PutImageTagMutabilityCommand({ repositoryName: name, imageTagMutability: 'IMMUTABLE' }));

describe('accounts and regions', () => {
  it('keeps one registry per account and region, chosen by the access key and the signing region', async () => {
    for (const [key, region] of [
      ['throttled-key', 'us-east-1'],
      ['throttled-key', 'eu-central-1'],
      ['calm-key', 'us-east-1'],
      ['unknown-key', 'us-east-1'],
    ] as const) {
      await client(key, region).send(new CreateRepositoryCommand({ repositoryName: `made-by-${key}` }));
    }
    const names = async (account: string | undefined, region: string): Promise<string[]> =>
      (
        await emulator.admin.repositories({ ...(account === undefined ? {} : { account }), region })
      ).repositories.map((repository) => repository.repositoryName);
    expect(await names(THROTTLED, 'us-east-1')).toEqual(['made-by-throttled-key']);
    expect(await names(THROTTLED, 'eu-central-1')).toEqual(['made-by-throttled-key']);
    expect(await names(CALM, 'us-east-1')).toEqual(['made-by-calm-key']);
    // Unknown keys act on the default account, as before accounts existed.
    expect(await names(undefined, 'us-east-1')).toEqual(['made-by-unknown-key']);
  });

  it('counts calls per account and per account-region as well as overall', async () => {
    await client('throttled-key', 'us-east-1').send(new DescribeRepositoriesCommand({}));
    await client('throttled-key', 'eu-west-1').send(new DescribeRepositoriesCommand({}));
    await client('calm-key', 'eu-west-1').send(new DescribeRepositoriesCommand({}));
    expect((await emulator.admin.stats()).total.calls).toBe(3);
    expect((await emulator.admin.stats({ account: THROTTLED })).total.calls).toBe(2);
    expect((await emulator.admin.stats({ account: THROTTLED, region: 'eu-west-1' })).total.calls).toBe(1);
    expect((await emulator.admin.stats({ region: 'eu-west-1' })).total.calls).toBe(2);
    expect((await emulator.admin.stats({ account: DENIED })).total.calls).toBe(0);
  });
});

describe('faults per account and region', () => {
  beforeEach(async () => {
    for (const key of Object.keys(KEYS)) {
      for (const region of ['us-east-1', 'eu-west-1']) {
        await client(key, region).send(new CreateRepositoryCommand({ repositoryName: 'app' }));
      }
    }
    await emulator.admin.faults(
      { PutImageTagMutability: { throttle: { tps: 0, burst: 2 } } },
      { account: THROTTLED },
    );
    await emulator.admin.faults({ '*': { accessDenied: true } }, { account: DENIED, region: 'us-east-1' });
  });

  it('throttles one account after its burst, in each of its regions separately', async () => {
    const outcomes = async (region: string): Promise<string[]> => {
      const ecr = client('throttled-key', region);
      return [
        await errorName(put(ecr, 'app')),
        await errorName(put(ecr, 'app')),
        await errorName(put(ecr, 'app')),
      ];
    };
    expect(await outcomes('us-east-1')).toEqual(['none', 'none', 'ThrottlingException']);
    expect(await outcomes('eu-west-1')).toEqual(['none', 'none', 'ThrottlingException']);
    expect((await emulator.admin.stats({ account: THROTTLED })).total.errors).toEqual({
      ThrottlingException: 2,
    });
  });

  it('denies every call of another account in one region only, leaving the others untouched', async () => {
    expect(await errorName(put(client('denied-key', 'us-east-1'), 'app'))).toBe('AccessDeniedException');
    expect(await errorName(client('denied-key', 'us-east-1').send(new DescribeRepositoriesCommand({})))).toBe(
      'AccessDeniedException',
    );
    expect(await errorName(put(client('denied-key', 'eu-west-1'), 'app'))).toBe('none');
    for (let call = 0; call < 5; call++) expect(await errorName(put(client('calm-key'), 'app'))).toBe('none');
  });

  it('denies STS and Organizations calls with their own error codes', async () => {
    await emulator.admin.faults({ '*': { accessDenied: true } }, { account: CALM });
    const sts = stsClient(emulator.url, { accessKeyId: 'calm-key', secretAccessKey: 'x' });
    const organizations = organizationsClient(emulator.url, {
      accessKeyId: 'calm-key',
      secretAccessKey: 'x',
    });
    expect(
      await errorName(
        sts.send(
          new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${THROTTLED}:role/Member`, RoleSessionName: 's1' }),
        ),
      ),
    ).toBe('AccessDenied');
    expect(await errorName(organizations.send(new ListAccountsCommand({})))).toBe('AccessDeniedException');
    sts.destroy();
    organizations.destroy();
  });

  it('throttles Organizations with TooManyRequestsException, which the SDK retries', async () => {
    await emulator.admin.faults({ ListAccounts: { throttle: { tps: 0, burst: 1 } } }, { account: CALM });
    const organizations = organizationsClient(emulator.url, {
      accessKeyId: 'calm-key',
      secretAccessKey: 'x',
    });
    await organizations.send(new ListAccountsCommand({}));
    expect(await errorName(organizations.send(new ListAccountsCommand({})))).toBe('TooManyRequestsException');
    organizations.destroy();
  });

  it('reads back, clears one scope, and clears everything without a scope', async () => {
    expect((await emulator.admin.clearFaults({ account: THROTTLED })).operations).toEqual({});
    expect(await errorName(put(client('throttled-key'), 'app'))).toBe('none');
    expect(await errorName(put(client('throttled-key'), 'app'))).toBe('none');
    expect(await errorName(put(client('throttled-key'), 'app'))).toBe('none');
    expect(await errorName(put(client('denied-key'), 'app'))).toBe('AccessDeniedException');
    await emulator.admin.clearFaults();
    expect(await errorName(put(client('denied-key'), 'app'))).toBe('none');
  });

  it('keeps the global fault configuration for accounts without their own', async () => {
    await emulator.admin.faults({ DescribeRepositories: { throttle: { probability: 1 } } });
    expect(await errorName(client('calm-key').send(new DescribeRepositoriesCommand({})))).toBe(
      'ThrottlingException',
    );
    expect(await errorName(ecrClient(emulator.url).send(new DescribeRepositoriesCommand({})))).toBe(
      'ThrottlingException',
    );
    // A scoped configuration replaces the global one for its account (configurations are not merged).
    expect(await errorName(put(client('throttled-key'), 'app'))).toBe('none');
  });

  it('refuses a scope that is not an account id or region name', async () => {
    await expect(emulator.admin.faults({}, { account: 'abc' })).rejects.toThrow(
      "account 'abc' is not a 12-digit account ID",
    );
    await expect(emulator.admin.faults({}, { region: 'mars' })).rejects.toThrow(
      "region 'mars' is not a region name",
    );
  });
});

describe('single-account use', () => {
  it('still acts on the default account for any credentials when no organisation is seeded', async () => {
    const plain = await startTestEmulator();
    try {
      await plain.ecr.send(new CreateRepositoryCommand({ repositoryName: 'classic' }));
      expect((await plain.admin.repositories()).repositories[0]?.repositoryArn).toBe(
        'arn:aws:ecr:us-east-1:123456789012:repository/classic',
      );
      expect(TEST_CREDENTIALS.accessKeyId).toBe('test');
      expect((await plain.admin.stats()).operations.CreateRepository).toEqual({
        calls: 1,
        ok: 1,
        errors: {},
      });
    } finally {
      await plain.stop();
    }
  });
});
