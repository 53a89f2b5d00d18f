/**
 * The organisation the organisation end-to-end tests run against, on either backend, behind the recording
 * pass-through (./recorder.ts) so the calls of the code under test are counted on both:
 * - the emulator (default): the demo organisation of scripts/org-seed.ts, seeded through its control API;
 * - moto, under `npm run test:moto`: the same shape made through the real APIs (scripts/moto.ts) on a moto
 *   server of the test file's own, because what the organisation needs is the server's: moto's IAM checks
 *   (on, so that assuming the role of the account without one is denied as AWS denies it) apply to every
 *   caller, and an account creates one organisation only. Account ids are moto's (CreateAccount draws
 *   them), so tests read them from {@link OrgBackend.accounts} after {@link OrgBackend.reset}.
 *
 * The shape: the management account runs the guard; `payments` and `analytics` have the member role,
 * `legacy` has none (AssumeRole is denied: `AccessDenied`), `closed` is SUSPENDED; each ACTIVE account has
 * {@link REPOSITORIES_PER_ACCOUNT_REGION} repositories `team-1…` in each of {@link ORG_REGIONS}, every
 * {@link MUTABLE_EVERY}th one MUTABLE.
 */
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type AdminClient, emulatorAdmin, startEmulator } from '../../emulator/index.ts';
import {
  AUDIT_EVENT_ACTIONS,
  FORWARDING_RULE_ACTIONS,
  requiredEcrActions,
  requiredOrganizationsActions,
  S3_ACTIONS,
} from '../../lib/iam-actions.ts';
import {
  createMotoOrganization,
  type MotoCredentials,
  type MotoOrganization,
  resetMoto,
  setMotoIamChecks,
} from '../../scripts/moto.ts';
import { startMotoServer } from '../../scripts/moto-server.ts';
import {
  MANAGEMENT_ACCESS_KEY,
  MUTABLE_EVERY,
  ORG_ACCOUNTS,
  ORG_REGIONS,
  ORG_ROLE_NAME,
  orgSeed,
  REPOSITORIES_PER_ACCOUNT_REGION,
} from '../../scripts/org-seed.ts';
import { createRepositories, emulatorRepository, external, type SeedSpec } from './backend.ts';
import { type CallRecorder, type OperationOutcomes, startRecorder } from './recorder.ts';

export type OrgAccountName = keyof typeof ORG_ACCOUNTS;
export type OrgAccounts = Readonly<Record<OrgAccountName, string>>;

export interface OrgBackend {
  readonly kind: 'emulator' | 'moto';
  /** Where the code under test sends every call (AWS_ENDPOINT_URL): the recording pass-through. */
  readonly url: string;
  /** The emulator's control client; undefined on moto. */
  readonly admin: AdminClient | undefined;
  /** The accounts' ids, as of the last {@link OrgBackend.reset}. */
  readonly accounts: OrgAccounts;
  /** The guard's own credentials, in the management account. */
  readonly caller: MotoCredentials;
  /** A fresh organisation (moto: new account ids), and the call counts cleared. */
  reset(): Promise<void>;
  /**
   * Every call allowed until the next reset: moto's IAM checks off (the emulator checks no IAM policy, so
   * there it changes nothing).
   */
  allowEveryCall(): Promise<void>;
  /** Credentials for a test's own arrangements in `accountId` (on the emulator: a member with the member role). */
  credentialsIn(accountId: string): Promise<MotoCredentials>;
  seed(accountId: string, region: string, repositories: readonly SeedSpec[]): Promise<void>;
  /** name -> imageTagMutability of one account-region, as ECR reports it. */
  mutabilities(accountId: string, region: string): Promise<Map<string, string>>;
  /** How many repositories of the account-region are not IMMUTABLE. */
  mutableIn(accountId: string, region: string): Promise<number>;
  /** Calls per operation the code under test made since the last reset (every account). */
  calls(): Record<string, number>;
  /** Forgets the calls counted so far (those of a test's own arrangements). */
  clearCalls(): void;
  operations(): Record<string, OperationOutcomes>;
  stop(): Promise<void>;
}

/** The repositories of each ACTIVE account-region, as the emulator's seed generates them. */
function teamRepositories(): SeedSpec[] {
  const width = String(REPOSITORIES_PER_ACCOUNT_REGION).length;
  return Array.from({ length: REPOSITORIES_PER_ACCOUNT_REGION }, (_, offset) => {
    const index = offset + 1;
    return {
      name: `team-${String(index).padStart(width, '0')}`,
      mutability: index % MUTABLE_EVERY === 0 ? 'MUTABLE' : 'IMMUTABLE',
    };
  });
}

const ecrIn = (url: string, region: string, credentials: MotoCredentials) =>
  new ECRClient({ region, endpoint: url, credentials, maxAttempts: 2 });

async function listMutabilities(ecr: ECRClient): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await ecr.send(new DescribeRepositoriesCommand({ nextToken }));
    for (const repository of page.repositories ?? [])
      found.set(repository.repositoryName ?? '', repository.imageTagMutability ?? 'MUTABLE');
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

const countMutable = (mutabilities: Map<string, string>) =>
  [...mutabilities.values()].filter((mutability) => mutability !== 'IMMUTABLE').length;

/** The organisation on the emulator (the default) or, under `npm run test:moto`, on a moto of its own. */
export function startOrgBackend(): Promise<OrgBackend> {
  return external ? startMotoOrg() : startEmulatorOrg();
}

async function startEmulatorOrg(): Promise<OrgBackend> {
  const emulator = await startEmulator({ port: 0 });
  const admin = emulatorAdmin(emulator.url);
  const recorder = await startRecorder(emulator.url);
  const caller = { accessKeyId: MANAGEMENT_ACCESS_KEY, secretAccessKey: 'test' };
  const backend: OrgBackend = {
    kind: 'emulator',
    url: recorder.url,
    admin,
    accounts: ORG_ACCOUNTS,
    caller,
    async reset() {
      await admin.reset();
      await admin.organization(orgSeed());
      recorder.clear();
    },
    allowEveryCall: () => Promise.resolve(),
    async credentialsIn(accountId) {
      if (accountId === ORG_ACCOUNTS.management) return caller;
      const sts = new STSClient({ region: ORG_REGIONS[0], endpoint: emulator.url, credentials: caller });
      try {
        const { Credentials } = await sts.send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${accountId}:role/${ORG_ROLE_NAME}`,
            RoleSessionName: 'e2e-arrange',
          }),
        );
        return {
          accessKeyId: Credentials?.AccessKeyId ?? '',
          secretAccessKey: Credentials?.SecretAccessKey ?? '',
          sessionToken: Credentials?.SessionToken,
        };
      } finally {
        sts.destroy();
      }
    },
    async seed(account, region, repositories) {
      await admin.seed({ account, region, repositories: repositories.map(emulatorRepository) });
    },
    async mutabilities(account, region) {
      const { repositories } = await admin.repositories({ account, region });
      return new Map(
        repositories.map((repository) => [repository.repositoryName, repository.imageTagMutability]),
      );
    },
    async mutableIn(account, region) {
      return countMutable(await backend.mutabilities(account, region));
    },
    calls: () => recorder.calls(),
    clearCalls: () => recorder.clear(),
    operations: () => recorder.operations(),
    async stop() {
      await recorder.stop();
      await emulator.stop();
    },
  };
  return backend;
}

async function startMotoOrg(): Promise<OrgBackend> {
  const moto = await startMotoServer();
  let recorder: CallRecorder | undefined;
  try {
    recorder = await startRecorder(moto.url);
  } catch (error) {
    await moto.stop();
    throw error;
  }
  const record = recorder;
  let organization: MotoOrganization | undefined;
  let accounts: OrgAccounts | undefined;
  const current = () => {
    if (organization === undefined || accounts === undefined)
      throw new Error('no organisation on moto yet: call reset() first');
    return { organization, accounts };
  };
  const withEcr = async <T>(account: string, region: string, use: (ecr: ECRClient) => Promise<T>) => {
    const ecr = ecrIn(moto.url, region, await current().organization.adminIn(account));
    try {
      return await use(ecr);
    } finally {
      ecr.destroy();
    }
  };
  const memberRoleActions = [
    ...requiredEcrActions({ tagExemptions: true, creationTemplates: false }),
    ...FORWARDING_RULE_ACTIONS,
  ];

  const backend: OrgBackend = {
    kind: 'moto',
    url: record.url,
    admin: undefined,
    get accounts() {
      return current().accounts;
    },
    get caller() {
      return current().organization.central;
    },
    async reset() {
      await setMotoIamChecks(moto.url, false);
      await resetMoto(moto.url);
      organization = await createMotoOrganization(moto.url, {
        members: [
          { name: 'payments', memberRole: true },
          { name: 'analytics', memberRole: true },
          { name: 'legacy', memberRole: false },
          { name: 'closed', memberRole: false, closed: true },
        ],
        memberRoleName: ORG_ROLE_NAME,
        memberRoleActions,
        // What the central deployment is granted: the scope, the member role, its own account's ECR, the
        // forwarding check, the audit events and the organisation sweep's bucket.
        centralActions: [
          ...requiredOrganizationsActions({ organization: true, organizationalUnits: false }),
          ...memberRoleActions,
          ...AUDIT_EVENT_ACTIONS,
          ...S3_ACTIONS.writeScopeItems,
          ...S3_ACTIONS.readResults,
        ],
      });
      const made = organization;
      accounts = {
        management: made.management,
        payments: made.idOf('payments'),
        analytics: made.idOf('analytics'),
        legacy: made.idOf('legacy'),
        closed: made.idOf('closed'),
      };
      const active = [accounts.management, accounts.payments, accounts.analytics, accounts.legacy];
      await Promise.all(
        active.flatMap((account) =>
          ORG_REGIONS.map((region) =>
            withEcr(account, region, (ecr) => createRepositories(ecr, teamRepositories())),
          ),
        ),
      );
      // From here on moto checks every call against its caller's policies, as AWS does.
      await setMotoIamChecks(moto.url, true);
      record.clear();
    },
    allowEveryCall: () => setMotoIamChecks(moto.url, false),
    credentialsIn: (account) => current().organization.adminIn(account),
    seed: (account, region, repositories) =>
      withEcr(account, region, (ecr) => createRepositories(ecr, repositories)),
    mutabilities: (account, region) => withEcr(account, region, listMutabilities),
    async mutableIn(account, region) {
      return countMutable(await backend.mutabilities(account, region));
    },
    calls: () => record.calls(),
    clearCalls: () => record.clear(),
    operations: () => record.operations(),
    async stop() {
      await record.stop();
      await moto.stop();
    },
  };
  return backend;
}
