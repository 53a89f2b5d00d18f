/**
 * One pass over a scope for every command, through the built CLI (dist/bin/ecr-guard.mjs) against an
 * organisation (./org-backend.ts) and a single account (./backend.ts), on the emulator or on moto: `plan` honours `--org` like the other commands, `--exclude-account` applies to the caller's own
 * account too, an account the organisation does not have is a failure to name (exit 4), one account-region
 * failing never hides another, and the caller's own account is acted on with the caller's credentials
 * (one GetCallerIdentity, no AssumeRole), or the registry `--registry-id` names (docs/architecture.md,
 * "Data flow"; README, "Using it"). `plan` reads CloudTrail (LookupEvents), which moto does not answer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, runBuiltCli } from '../helpers/cli.ts';
import { adminOf, type Backend, E2E_ACCOUNT, itOnEmulator, startBackend } from './backend.ts';
import { type OrgBackend, startOrgBackend } from './org-backend.ts';

const REGION = 'eu-west-1';
const OTHER_REGION = 'us-east-1';
const ACCOUNT = E2E_ACCOUNT;
const STRANGER = '999999999999';
const TRAIL = "trail and LookupEvents (moto's CloudTrail has no LookupEvents)";
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

const ofType = (lines: Record<string, unknown>[], type: string) => lines.filter((line) => line.type === type);

describe('one pass over an organisation, for every command', () => {
  let org: OrgBackend;
  const env = () => ({
    AWS_ENDPOINT_URL: org.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: org.caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: org.caller.secretAccessKey,
  });

  beforeAll(async () => {
    org = await startOrgBackend();
  });
  beforeEach(async () => {
    await org.reset();
  });
  afterAll(async () => org?.stop());

  itOnEmulator(TRAIL, 60_000)(
    'plan --org plans every account-region of the organisation, each from its own CloudTrail history',
    async () => {
      const { management, payments, analytics, legacy, closed } = org.accounts;
      const CI = `arn:aws:sts::${payments}:assumed-role/ci/build-7`;
      const admin = adminOf(org);
      // Prepare: `latest` of payments' team-2 moved twice in the last week.
      await admin.seed({
        account: payments,
        region: REGION,
        pushes: [
          { repositoryName: 'team-2', tag: 'latest', at: daysAgo(6), actor: CI },
          { repositoryName: 'team-2', tag: 'latest', at: daysAgo(2), actor: CI },
        ],
      });

      // Act
      const { code, stdout } = await runBuiltCli(['plan', '--org', '--region', REGION, '--json'], env());

      // Assess: the members' repositories are planned, payments' moved tag is seen in payments' own trail.
      const lines = jsonLines(stdout);
      const planned = ofType(lines, 'plan');
      expect(new Set(planned.map((line) => line.accountId))).toEqual(
        new Set([management, payments, analytics]),
      );
      expect(planned).toContainEqual(
        expect.objectContaining({ accountId: payments, repositoryName: 'team-2', verdict: 'would-break' }),
      );
      expect((await admin.stats({ account: payments })).operations.LookupEvents?.calls).toBeGreaterThan(0);
      const summaries = ofType(lines, 'plan-summary');
      expect(summaries).toContainEqual(expect.objectContaining({ accountId: payments, status: 'completed' }));
      expect(summaries).toContainEqual(
        expect.objectContaining({ accountId: legacy, status: 'failed', errorCode: 'AccessDenied' }),
      );
      expect(summaries).toContainEqual(
        expect.objectContaining({ accountId: closed, status: 'skipped', skipReason: 'suspended' }),
      );
      // The legacy account's role cannot be assumed: a failure, whatever the plans say.
      expect(code).toBe(1);
    },
  );

  itOnEmulator(TRAIL, 60_000)(
    'plan --account plans only the accounts named, and writes no tag anywhere',
    async () => {
      const { payments } = org.accounts;
      const { code, stdout } = await runBuiltCli(
        ['plan', '--account', payments, '--region', REGION, '--json'],
        env(),
      );
      const accounts = new Set(ofType(jsonLines(stdout), 'plan').map((line) => line.accountId));
      expect(accounts).toEqual(new Set([payments]));
      expect(org.calls().TagResource).toBeUndefined();
      // No PutImage history in payments: nothing is known to be safe (exit 3).
      expect(code).toBe(3);
    },
  );

  /** The pass over the organisation when one --account is a stranger: exit 4, the others done. */
  async function strangerPass(args: readonly string[]) {
    const { analytics } = org.accounts;
    const { code, stdout, stderr } = await runBuiltCli(
      [...args, '--org', '--account', STRANGER, '--account', analytics, '--region', REGION, '--json'],
      env(),
    );
    expect(stderr).toContain(`account ${STRANGER} is not in the organization`);
    const summaries = jsonLines(stdout).filter((line) => String(line.type).endsWith('summary'));
    expect(summaries).toContainEqual(
      expect.objectContaining({
        accountId: STRANGER,
        status: 'skipped',
        skipReason: 'not-in-organization',
      }),
    );
    expect(summaries).toContainEqual(expect.objectContaining({ accountId: analytics, status: 'completed' }));
    expect(code).toBe(4);
  }

  it.each([
    ['sweep', ['sweep', '--dry-run']],
    ['check', ['check', 'team-1']],
  ])(
    '%s exits 4 and names an account given with --account that the organisation does not have',
    async (_command, args) => strangerPass(args),
    60_000,
  );

  itOnEmulator(TRAIL, 60_000)(
    'plan exits 4 and names an account given with --account that the organisation does not have',
    async () => strangerPass(['plan']),
  );
});

describe('one pass over the caller’s own account', () => {
  let backend: Backend;
  const env = () => ({
    AWS_ENDPOINT_URL: backend.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const mutabilityIn = async (region: string, name: string) =>
    (await backend.snapshot(region)).get(name)?.mutability;

  beforeAll(async () => {
    backend = await startBackend();
  });
  beforeEach(async () => {
    await backend.reset();
    for (const region of [REGION, OTHER_REGION]) {
      await backend.seed([{ name: 'payments/api', mutability: 'MUTABLE' }], region);
    }
  });
  afterAll(async () => backend?.stop());

  it('acts on it with the caller’s own credentials: one GetCallerIdentity, no AssumeRole, every record names it', async () => {
    const { code, stdout } = await runBuiltCli(
      ['sweep', '--region', REGION, '--region', OTHER_REGION, '--json'],
      env(),
    );
    expect(code).toBe(0);
    const lines = jsonLines(stdout);
    expect(ofType(lines, 'audit')).toEqual([
      expect.objectContaining({ outcome: 'remediated', accountId: ACCOUNT }),
      expect.objectContaining({ outcome: 'remediated', accountId: ACCOUNT }),
    ]);
    expect(ofType(lines, 'summary')).toHaveLength(2);
    const calls = backend.calls();
    expect(calls.GetCallerIdentity).toBe(1);
    expect(calls.AssumeRole).toBeUndefined();
  });

  it.each([
    ['sweep', ['sweep']],
    ['remediate', ['remediate', 'payments/api']],
    ['plan', ['plan']],
  ])(
    '%s --exclude-account leaves the caller’s own excluded account alone, listed as skipped',
    async (_command, args) => {
      const { code, stdout } = await runBuiltCli([...args, '--exclude-account', ACCOUNT, '--json'], env());
      expect(code).toBe(0);
      expect(jsonLines(stdout).filter((line) => String(line.type).endsWith('summary'))).toContainEqual(
        expect.objectContaining({ accountId: ACCOUNT, status: 'skipped', skipReason: 'excluded' }),
      );
      expect(await mutabilityIn(REGION, 'payments/api')).toBe('MUTABLE');
      expect(backend.calls().DescribeRepositories).toBeUndefined();
    },
  );

  itOnEmulator('fault injection')(
    'sweeps the second region when the first is denied, ends each with its summary, and exits 1',
    async () => {
      await adminOf(backend).faults({ DescribeRepositories: { accessDenied: true } }, { region: REGION });

      const { code, stdout } = await runBuiltCli(
        ['sweep', '--region', REGION, '--region', OTHER_REGION, '--json'],
        env(),
      );

      expect(code).toBe(1);
      const summaries = ofType(jsonLines(stdout), 'summary');
      expect(summaries).toContainEqual(
        expect.objectContaining({ region: REGION, status: 'failed', errorCode: 'AccessDeniedException' }),
      );
      expect(summaries).toContainEqual(
        expect.objectContaining({
          region: OTHER_REGION,
          status: 'completed',
          counts: expect.objectContaining({ remediated: 1 }),
        }),
      );
      expect(await mutabilityIn(OTHER_REGION, 'payments/api')).toBe('IMMUTABLE');
    },
  );

  it('with --registry-id acts on that registry alone, with the caller’s credentials: no GetCallerIdentity, no AssumeRole', async () => {
    const own = await runBuiltCli(['check', 'payments/api', '--registry-id', ACCOUNT, '--json'], env());
    expect(own.code).toBe(3);
    expect(ofType(jsonLines(own.stdout), 'summary')).toEqual([
      expect.objectContaining({ accountId: ACCOUNT, region: REGION, status: 'completed' }),
    ]);
    const calls = backend.calls();
    expect(calls.DescribeRepositories).toBeGreaterThan(0);
    expect(calls.GetCallerIdentity).toBeUndefined();
    expect(calls.AssumeRole).toBeUndefined();
  });

  itOnEmulator(
    "cross-account registries (moto answers another account's registry as an empty one of the caller's)",
  )(
    'with --registry-id of another account fails it with ECR’s AccessDeniedException, with the caller’s credentials',
    async () => {
      // What ECR answers the caller when no repository policy lets it in.
      const other = await runBuiltCli(['sweep', '--dry-run', '--registry-id', STRANGER, '--json'], env());
      expect(other.code).toBe(1);
      expect(ofType(jsonLines(other.stdout), 'summary')).toEqual([
        expect.objectContaining({
          accountId: STRANGER,
          status: 'failed',
          errorCode: 'AccessDeniedException',
        }),
      ]);
      const calls = backend.calls();
      expect(calls.GetCallerIdentity).toBeUndefined();
      expect(calls.AssumeRole).toBeUndefined();
    },
  );
});
