/**
 * The SDK wiring of a scope's accounts (lib/member-access.ts): the caller's own account, the member
 * credentials, one ECR client per account-region, and the clients destroyed with the access.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callerAccountOf, createMemberAccess, type MemberAccessOptions } from '../../lib/member-access.ts';
import { testConfig } from '../helpers/runtime.ts';

const stsMock = mockClient(STSClient);
const OWN = '111111111111';
const MEMBER = '222222222222';

const options = (overrides: Partial<MemberAccessOptions> = {}): MemberAccessOptions => ({
  region: 'eu-west-1',
  runId: 'run-1',
  client: { defaultMaxAttempts: 8 },
  ...overrides,
});

/** The clients an access makes, as its `onClient` hook sees them. */
function recordedClients() {
  const made: object[] = [];
  return {
    made,
    onClient: (client: object) => {
      made.push(client);
    },
    ecr: () => made.filter((client): client is ECRClient => client instanceof ECRClient),
  };
}

beforeEach(() => {
  stsMock.reset();
  stsMock.on(GetCallerIdentityCommand).resolves({ Account: OWN });
});
afterEach(() => vi.restoreAllMocks());

describe('callerAccountOf', () => {
  it('is the account STS GetCallerIdentity names', async () => {
    expect(await callerAccountOf(new STSClient({ region: 'eu-west-1' }))).toBe(OWN);
  });

  it.each([undefined, '11111111111', '1111111111111', 'a111111111111', '11111111111a'])(
    'refuses an answer whose account is %j',
    async (account) => {
      stsMock.on(GetCallerIdentityCommand).resolves({ Account: account });
      await expect(callerAccountOf(new STSClient({ region: 'eu-west-1' }))).rejects.toMatchObject({
        name: 'AwsCallError',
        service: 'sts',
        operation: 'GetCallerIdentity',
        code: 'NoAccount',
        retryable: false,
      });
    },
  );

  it('translates a failed call into an AwsCallError naming GetCallerIdentity', async () => {
    stsMock
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('expired'), { name: 'ExpiredTokenException' }));
    await expect(callerAccountOf(new STSClient({ region: 'eu-west-1' }))).rejects.toMatchObject({
      service: 'sts',
      operation: 'GetCallerIdentity',
      code: 'ExpiredTokenException',
    });
  });
});

describe('createMemberAccess', () => {
  it('asks STS for the caller’s own account only when it is not given', async () => {
    const asked = await createMemberAccess(testConfig(), options());
    const given = await createMemberAccess(testConfig(), options({ ownAccountId: MEMBER }));
    expect([asked.ownAccountId, given.ownAccountId]).toEqual([OWN, MEMBER]);
    expect(stsMock.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
  });

  it.each<{ configured: Record<string, string>; roleName: string | undefined; assumed: string }>([
    { configured: {}, roleName: undefined, assumed: 'EcrImmutabilityGuardMember' },
    { configured: { MEMBER_ROLE_NAME: 'GuardFromConfig' }, roleName: undefined, assumed: 'GuardFromConfig' },
    {
      configured: { MEMBER_ROLE_NAME: 'GuardFromConfig' },
      roleName: 'GuardFromPayload',
      assumed: 'GuardFromPayload',
    },
  ])(
    'assumes $assumed with the configured role $configured and the role $roleName given',
    async ({ configured, roleName, assumed }) => {
      const access = await createMemberAccess(testConfig(configured), options({ roleName }));
      expect(access.credentials.roleArnFor(MEMBER)).toBe(`arn:aws:iam::${MEMBER}:role/${assumed}`);
    },
  );

  it('configures the caller’s own account-region with the caller’s own credentials', async () => {
    const access = await createMemberAccess(testConfig(), options());
    const own = access.clientConfigFor({ accountId: OWN, region: 'us-east-1' });
    expect(own).toMatchObject({ region: 'us-east-1', maxAttempts: 8 });
    expect(own).not.toHaveProperty('credentials');
  });

  it('configures a member account-region with the member role’s credentials and the attempts asked for', async () => {
    const access = await createMemberAccess(testConfig(), options());
    const member = access.clientConfigFor({ accountId: MEMBER, region: 'us-east-1' }, 3);
    expect(member).toMatchObject({ region: 'us-east-1', maxAttempts: 3 });
    expect(member.credentials).toBe(access.credentials.providerFor(MEMBER));
  });

  it('makes one ECR client per account-region and reuses it', async () => {
    const clients = recordedClients();
    const access = await createMemberAccess(testConfig(), options({ onClient: clients.onClient }));
    const first = access.ecrFor({ accountId: MEMBER, region: 'eu-west-1' });
    expect(access.ecrFor({ accountId: MEMBER, region: 'eu-west-1' })).toBe(first);
    expect(access.ecrFor({ accountId: MEMBER, region: 'us-east-1' })).not.toBe(first);
    expect(access.ecrFor({ accountId: OWN, region: 'eu-west-1' })).not.toBe(first);
    const regions = await Promise.all(clients.ecr().map((client) => client.config.region()));
    expect(regions).toEqual(['eu-west-1', 'us-east-1', 'eu-west-1']);
    // STS and Organizations, then the three ECR clients.
    expect(clients.made).toHaveLength(5);
  });

  it('acts in a member account with the credentials of the member role', async () => {
    stsMock.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAMEMBER',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    const clients = recordedClients();
    const access = await createMemberAccess(testConfig(), options({ onClient: clients.onClient }));
    access.ecrFor({ accountId: MEMBER, region: 'us-east-1' });
    const [ecr] = clients.ecr();
    expect(await ecr?.config.credentials()).toMatchObject({ accessKeyId: 'ASIAMEMBER' });
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/EcrImmutabilityGuardMember`,
    });
  });

  it('destroys every client it made, and makes a new ECR client when asked again', async () => {
    const destroyed = {
      sts: vi.spyOn(STSClient.prototype, 'destroy'),
      organizations: vi.spyOn(OrganizationsClient.prototype, 'destroy'),
      ecr: vi.spyOn(ECRClient.prototype, 'destroy'),
    };
    const clients = recordedClients();
    const access = await createMemberAccess(testConfig(), options({ onClient: clients.onClient }));
    const before = access.ecrFor({ accountId: MEMBER, region: 'eu-west-1' });
    access.ecrFor({ accountId: MEMBER, region: 'us-east-1' });
    access.destroy();
    expect(destroyed.sts).toHaveBeenCalledOnce();
    expect(destroyed.organizations).toHaveBeenCalledOnce();
    expect(destroyed.ecr).toHaveBeenCalledTimes(2);
    expect(access.ecrFor({ accountId: MEMBER, region: 'eu-west-1' })).not.toBe(before);
  });

  it('destroys its STS and Organizations clients when the caller’s account cannot be told', async () => {
    stsMock.on(GetCallerIdentityCommand).resolves({});
    const destroyed = {
      sts: vi.spyOn(STSClient.prototype, 'destroy'),
      organizations: vi.spyOn(OrganizationsClient.prototype, 'destroy'),
    };
    await expect(createMemberAccess(testConfig(), options())).rejects.toMatchObject({ code: 'NoAccount' });
    expect(destroyed.sts).toHaveBeenCalledOnce();
    expect(destroyed.organizations).toHaveBeenCalledOnce();
  });
});
