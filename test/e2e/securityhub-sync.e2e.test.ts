/**
 * Security Hub in step with the guard, through the built CLI and the built functions against the emulator,
 * whose Security Hub evaluates control ECR.2 over its registries (emulator/README.md, "Security Hub"): an
 * exempt repository's finding is suppressed with the rule, reason and expiry; one compliant under the policy
 * that the control fails is suppressed naming the policy; a remediation is noted; the guard's own
 * suppression is lifted when the exemption expires or is removed; a person's suppression is never touched.
 * The GetFindings pages and BatchUpdateFindings batches are the exact calls the emulator counted. A failing
 * Security Hub is counted and never changes a repository's outcome. The emulator only: moto has no
 * BatchUpdateFindings (its read side is proved in test/e2e/securityhub.e2e.test.ts).
 */
import { ECRClient, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-ecr';
import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AdminClient,
  emulatorAdmin,
  type RunningEmulator,
  type SeedRequest,
  startEmulator,
} from '../../emulator/index.ts';
import { type ControlFinding, GUARD_MARKER_KEY } from '../../lib/findings-sync.ts';
import { SECURITY_HUB_SYNC_FAILURES_METRIC } from '../../lib/outcomes.ts';
import { createSecurityHubAdapter } from '../../lib/securityhub.ts';
import { MANAGEMENT_ACCESS_KEY, ORG_ACCOUNTS, orgSeed } from '../../scripts/org-seed.ts';
import { jsonLines, runBuiltCli } from '../helpers/cli.ts';
import { captureStdoutEmf } from '../helpers/emf.ts';
import { loadSampleEvent } from '../helpers/fixtures.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const EXEMPT_KEY = 'ecr-guard:exempt';
const UNTIL_KEY = 'ecr-guard:until';
const PERSON_NOTE = 'accepted by the security team, RISK-7';
/** The policy of every run: `legacy/**` exempt by name, tag exemptions, `latest` an allowed exclusion. */
const POLICY_ENV = {
  EXEMPT_REPOSITORIES: 'legacy/**',
  ALLOWED_EXCLUSIONS: 'latest',
  EXEMPT_TAG_KEY: EXEMPT_KEY,
  EXEMPT_EXPIRY_TAG_KEY: UNTIL_KEY,
};

const range = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}/${index}`);

/** 105 repositories, each group ending in one way (see the test names). */
const GROUPS = {
  legacy: range('legacy', 30), // MUTABLE, exempt by name
  vendor: range('vendor', 5), // MUTABLE, exempt by tag until 2099
  web: range('web', 10), // IMMUTABLE_WITH_EXCLUSION [latest]: compliant by policy, ECR.2 FAILED
  app: range('app', 40), // MUTABLE: remediated
  expiring: range('expiring', 5), // MUTABLE, exempt by tag: suppressed, then the exemption expires or goes
  person: range('person', 5), // MUTABLE, exempt by tag, but a person suppressed the finding first
  ok: range('ok', 10), // IMMUTABLE: compliant, ECR.2 PASSED
};

function registry(): SeedRequest['repositories'] {
  const tagged = (until: string) => ({ [EXEMPT_KEY]: 'vendor image SEC-12', [UNTIL_KEY]: until });
  return [
    ...[...GROUPS.legacy, ...GROUPS.app].map((name) => ({ name, imageTagMutability: 'MUTABLE' as const })),
    ...[...GROUPS.vendor, ...GROUPS.person].map((name) => ({
      name,
      imageTagMutability: 'MUTABLE' as const,
      tags: tagged('2099-12-31'),
    })),
    ...GROUPS.expiring.map((name) => ({
      name,
      imageTagMutability: 'MUTABLE' as const,
      tags: { [EXEMPT_KEY]: 'migration window', [UNTIL_KEY]: '2099-06-30' },
    })),
    ...GROUPS.web.map((name) => ({
      name,
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' as const,
      imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' as const }],
    })),
    ...GROUPS.ok.map((name) => ({ name, imageTagMutability: 'IMMUTABLE' as const })),
  ];
}

const repositoryArn = (name: string, account = ACCOUNT, region = REGION) =>
  `arn:aws:ecr:${region}:${account}:repository/${name}`;

describe('Security Hub in step with the guard, through the built CLI and functions', () => {
  let emulator: RunningEmulator;
  let admin: AdminClient;
  let hub: SecurityHubClient;
  let ecr: ECRClient;

  /** What an unmodified SDK needs to reach the emulator as the account's own user. */
  const env = (extra: Record<string, string> = {}) => ({
    AWS_ENDPOINT_URL: emulator.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...extra,
  });

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, account: ACCOUNT });
    admin = emulatorAdmin(emulator.url);
    hub = new SecurityHubClient({ region: REGION, endpoint: emulator.url, credentials: CREDENTIALS });
    ecr = new ECRClient({ region: REGION, endpoint: emulator.url, credentials: CREDENTIALS });
  });
  beforeEach(async () => {
    await admin.reset();
    await admin.configureSecurityHub({});
  });
  afterEach(() => restoreBundleEnv());
  afterAll(async () => {
    hub.destroy();
    ecr.destroy();
    await emulator.stop();
  });

  /** The Security Hub calls `act` made in an account-region, as the emulator counted them. */
  async function counted<T>(act: () => Promise<T>, scope = { account: ACCOUNT, region: REGION }) {
    const before = await admin.stats(scope);
    const result = await act();
    const after = await admin.stats(scope);
    const calls = (operation: string) =>
      (after.operations[operation]?.calls ?? 0) - (before.operations[operation]?.calls ?? 0);
    return { result, getFindings: calls('GetFindings'), batchUpdates: calls('BatchUpdateFindings') };
  }

  /** Every ECR.2 finding of the account-region now, by repository name. */
  async function findings(account = ACCOUNT, region = REGION): Promise<Map<string, ControlFinding>> {
    const pass = await createSecurityHubAdapter(hub).findControlFindings({ accountId: account, region });
    return new Map(pass.findings.map((entry) => [entry.resourceId.split(':repository/')[1] ?? '', entry]));
  }

  function findingsOf(state: ReadonlyMap<string, ControlFinding>, names: readonly string[]) {
    return names.map((name) => {
      const entry = state.get(name);
      if (entry === undefined) throw new Error(`no ECR.2 finding for ${name}`);
      return entry;
    });
  }

  /** The built CLI's `sweep` with the sync on: its exit code and the summary of the one account-region. */
  async function cliSweep(extraEnv: Record<string, string> = {}, args: readonly string[] = []) {
    const result = await runBuiltCli(
      ['sweep', '--sync-security-hub', '--json', ...args],
      env({ ...POLICY_ENV, ...extraEnv }),
    );
    const summary = jsonLines(result.stdout).find((line) => line.type === 'summary');
    return { code: result.code, stderr: result.stderr, summary };
  }

  it('the CLI brings every kind of finding in line in one GetFindings pass and one BatchUpdateFindings per distinct update, and changes nothing on a second run', async () => {
    // Prepare: the registry, ECR.2 evaluated over it, a person's suppressions.
    await admin.seed({ region: REGION, repositories: registry() });
    await admin.evaluateControlFindings({ account: ACCOUNT, region: REGION });
    const personal = findingsOf(await findings(), GROUPS.person);
    await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: personal.map((entry) => ({ Id: entry.id, ProductArn: entry.productArn })),
        Workflow: { Status: 'SUPPRESSED' },
        Note: { Text: PERSON_NOTE, UpdatedBy: 'arn:aws:iam::123456789012:user/alice' },
      }),
    );

    // Act: the first sweep with the sync.
    const first = await counted(() => cliSweep());

    // Assess: 105 findings in 2 pages; 5 distinct updates (legacy, vendor, expiring, web, app).
    expect(first.result.code).toBe(0);
    expect([first.getFindings, first.batchUpdates]).toEqual([2, 5]);
    expect(first.result.summary).toMatchObject({
      counts: { exempt: 45, remediated: 40, compliant: 20, failed: 0 },
      sinks: {
        securityHub: {
          published: 90,
          failed: 0,
          findings: 105,
          pages: 2,
          batches: 5,
          'suppress-exempt': 40,
          'suppress-compliant': 10,
          'note-remediated': 40,
          'left-to-person': 5,
          'in-line': 10,
        },
      },
    });
    const state = await findings();
    const [legacy] = findingsOf(state, GROUPS.legacy);
    expect(legacy).toMatchObject({
      workflowStatus: 'SUPPRESSED',
      userDefinedFields: { [GUARD_MARKER_KEY]: 'suppressed' },
      noteText:
        "Suppressed by ecr-immutability-guard: exempt under rule exempt-name; reason: repository name matches 'legacy/**'; expires: never.",
    });
    expect(findingsOf(state, GROUPS.vendor)[0]?.noteText).toBe(
      'Suppressed by ecr-immutability-guard: exempt under rule exempt-tag ecr-guard:exempt; reason: vendor image SEC-12; expires: 2099-12-31.',
    );
    expect(findingsOf(state, GROUPS.web)[0]).toMatchObject({
      workflowStatus: 'SUPPRESSED',
      complianceStatus: 'FAILED',
    });
    expect(findingsOf(state, GROUPS.web)[0]?.noteText).toContain(
      'compliant under the policy (target IMMUTABLE, allowed exclusions [latest])',
    );
    for (const entry of findingsOf(state, GROUPS.app)) {
      expect(entry).toMatchObject({
        workflowStatus: 'NEW',
        userDefinedFields: { [GUARD_MARKER_KEY]: 'remediated' },
      });
      expect(entry.noteText).toMatch(/^Remediated by ecr-immutability-guard: MUTABLE -> IMMUTABLE; /);
    }
    for (const entry of findingsOf(state, GROUPS.person)) {
      expect(entry).toMatchObject({
        workflowStatus: 'SUPPRESSED',
        noteText: PERSON_NOTE,
        userDefinedFields: {},
      });
    }

    // Prepare: Config re-evaluates (the remediated repositories pass); three exemptions expire, two are removed.
    await admin.evaluateControlFindings({ account: ACCOUNT, region: REGION });
    const [expired, removed] = [GROUPS.expiring.slice(0, 3), GROUPS.expiring.slice(3)];
    for (const name of expired) {
      await ecr.send(
        new TagResourceCommand({
          resourceArn: repositoryArn(name),
          tags: [{ Key: UNTIL_KEY, Value: '2026-01-01' }],
        }),
      );
    }
    for (const name of removed) {
      await ecr.send(new UntagResourceCommand({ resourceArn: repositoryArn(name), tagKeys: [EXEMPT_KEY] }));
    }

    // Act: the next sweep.
    const second = await counted(() => cliSweep());

    // Assess: the guard lifts only its own suppressions, in one batch per distinct note.
    expect([second.getFindings, second.batchUpdates]).toEqual([2, 2]);
    expect(second.result.summary).toMatchObject({
      counts: { remediated: 5 },
      sinks: { securityHub: { published: 5, failed: 0, release: 5, 'left-to-person': 5, 'in-line': 95 } },
    });
    const lifted = await findings();
    for (const entry of findingsOf(lifted, GROUPS.expiring)) {
      expect(entry).toMatchObject({
        workflowStatus: 'NEW',
        userDefinedFields: { [GUARD_MARKER_KEY]: 'remediated' },
      });
    }
    expect(findingsOf(lifted, expired)[0]?.noteText).toContain(
      'exemption tag ecr-guard:exempt expired on 2026-01-01',
    );
    for (const entry of findingsOf(lifted, GROUPS.person)) {
      expect(entry).toMatchObject({ workflowStatus: 'SUPPRESSED', noteText: PERSON_NOTE });
    }
    expect(findingsOf(lifted, GROUPS.app).every((entry) => entry.workflowStatus === 'RESOLVED')).toBe(true);

    // A third sweep reads once more and has nothing to change.
    const third = await counted(() => cliSweep());
    expect([third.getFindings, third.batchUpdates]).toEqual([2, 0]);
  }, 120_000);

  it('the built sweep reads a page’s findings by ResourceId, 20 a call, and a page that covered the registry in one pass', async () => {
    await admin.seed({
      region: REGION,
      repositories: range('app', 45).map((name) => ({ name, imageTagMutability: 'MUTABLE' })),
    });
    await admin.evaluateControlFindings({ account: ACCOUNT, region: REGION });
    const handler = await loadBundle('sweep', env({ ...POLICY_ENV, SYNC_SECURITY_HUB: 'true' }));

    // Two pages of at most 25: 25 then 20 repositories read in chunks of 20 (2 calls, then 1), one update each.
    const first = await counted(() => handler({ dryRun: false, maxRepositories: 25 }, fakeContext(120_000)));
    expect([first.getFindings, first.batchUpdates]).toEqual([2, 1]);
    expect(first.result).toMatchObject({
      scanned: 25,
      counts: { remediated: 25 },
      nextToken: expect.any(String),
      sinks: { securityHub: { published: 25, failed: 0, pages: 2, batches: 1, 'note-remediated': 25 } },
    });
    const token = (first.result as { nextToken: string }).nextToken;
    const second = await counted(() =>
      handler({ nextToken: token, maxRepositories: 25 }, fakeContext(120_000)),
    );
    expect([second.getFindings, second.batchUpdates]).toEqual([1, 1]);
    expect(second.result).toMatchObject({ scanned: 20, sinks: { securityHub: { published: 20, pages: 1 } } });

    // A scheduled sweep that covers the registry in one page reads it whole: 1 call; every finding in line.
    const whole = await counted(() =>
      handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, fakeContext(120_000)),
    );
    expect([whole.getFindings, whole.batchUpdates]).toEqual([1, 0]);
    expect(whole.result).toMatchObject({
      counts: { compliant: 45 },
      sinks: { securityHub: { published: 0, failed: 0, findings: 45, pages: 1, 'in-line': 45 } },
    });
  }, 60_000);

  it('the built guardrail syncs the one repository of an event with one GetFindings and one BatchUpdateFindings', async () => {
    await admin.seed({
      region: REGION,
      repositories: [
        { name: 'payments/ledger', imageTagMutability: 'MUTABLE' },
        ...range('other', 30).map((name) => ({ name, imageTagMutability: 'MUTABLE' as const })),
      ],
    });
    await admin.evaluateControlFindings({ account: ACCOUNT, region: REGION });
    const handler = await loadBundle('guardrail', env({ SYNC_SECURITY_HUB: 'true' }));
    const { result, getFindings, batchUpdates } = await counted(() =>
      handler(loadSampleEvent('put-image-tag-mutability-mutable.json'), fakeContext()),
    );
    expect([getFindings, batchUpdates]).toEqual([1, 1]);
    expect(result).toMatchObject({
      records: [{ outcome: 'remediated', repositoryName: 'payments/ledger' }],
      sinks: { securityHub: { published: 1, failed: 0, findings: 1, 'note-remediated': 1 } },
    });
    const state = await findings();
    expect(state.get('payments/ledger')?.userDefinedFields).toEqual({ [GUARD_MARKER_KEY]: 'remediated' });
    expect(findingsOf(state, range('other', 30)).every((entry) => entry.noteText === undefined)).toBe(true);
  }, 60_000);

  it('a failing Security Hub is counted and warned about, and every repository still gets its outcome (CLI)', async () => {
    await admin.seed({ region: REGION, repositories: registry() });
    await admin.evaluateControlFindings({ account: ACCOUNT, region: REGION });
    await admin.faults({ GetFindings: { accessDenied: true } });
    const { code, stderr, summary } = await cliSweep();
    // Every repository decided and fixed as without the sync; the 105 decisions whose findings were not read failed.
    expect(code).toBe(0);
    expect(summary).toMatchObject({
      scanned: 105,
      counts: { exempt: 45, remediated: 40, compliant: 20, failed: 0 },
      sinks: { securityHub: { published: 0, failed: 105, pages: 0, batches: 0 } },
    });
    expect(stderr).toContain('ecr-guard: warning: Security Hub sync incomplete');
    expect(stderr).toContain('"errorCode":"AccessDeniedException"');
    const mutable = (await admin.repositories({ region: REGION })).repositories.filter(
      (repository) => repository.imageTagMutability === 'MUTABLE',
    );
    expect(mutable).toHaveLength(45);
  }, 60_000);

  it('a failing Security Hub is counted as SecurityHubSyncFailures by the built sweep, which decides every repository', async () => {
    await admin.seed({
      region: REGION,
      repositories: range('app', 12).map((name) => ({ name, imageTagMutability: 'MUTABLE' })),
    });
    await admin.evaluateControlFindings({ account: ACCOUNT, region: REGION });
    await admin.faults({ BatchUpdateFindings: { serverErrorProbability: 1 } });
    const handler = await loadBundle(
      'sweep',
      env({ SYNC_SECURITY_HUB: 'true', AWS_MAX_ATTEMPTS: '1', POWERTOOLS_METRICS_DISABLED: 'false' }),
    );
    const emf = captureStdoutEmf();
    let summary: unknown;
    try {
      summary = await handler({ dryRun: false }, fakeContext(120_000));
    } finally {
      emf.stop();
    }
    expect(summary).toMatchObject({
      scanned: 12,
      counts: { remediated: 12, failed: 0 },
      sinks: { securityHub: { published: 0, failed: 12, findings: 12, 'note-remediated': 12 } },
    });
    const failures = emf
      .documents()
      .filter((document) => SECURITY_HUB_SYNC_FAILURES_METRIC in document.metrics)
      .map((document) => document.metrics[SECURITY_HUB_SYNC_FAILURES_METRIC]);
    expect(failures).toEqual([12]);
    expect(
      (await admin.stats({ account: ACCOUNT, region: REGION })).operations.BatchUpdateFindings?.errors,
    ).toMatchObject({
      InternalException: expect.any(Number),
    });
  }, 60_000);

  describe('in an organisation', () => {
    const { management, payments } = ORG_ACCOUNTS;
    const orgEnv = () => ({ ...env(), AWS_ACCESS_KEY_ID: MANAGEMENT_ACCESS_KEY });

    beforeEach(async () => {
      await admin.organization(orgSeed());
      // The central account is Security Hub's administrator; eu-west-1 aggregates every Region.
      await admin.configureSecurityHub({ administrator: management, aggregationRegion: REGION });
      await admin.evaluateControlFindings({ account: payments, region: 'us-east-1' });
    });

    /** Findings of the member's account-region as its administrator reads them in the aggregation Region. */
    const memberFindings = () => findingsFor(payments, 'us-east-1');
    async function findingsFor(account: string, region: string) {
      const central = new SecurityHubClient({
        region: REGION,
        endpoint: emulator.url,
        credentials: { accessKeyId: MANAGEMENT_ACCESS_KEY, secretAccessKey: 'test' },
      });
      try {
        const pass = await createSecurityHubAdapter(central).findControlFindings({
          accountId: account,
          region,
        });
        return pass.findings;
      } finally {
        central.destroy();
      }
    }

    it('the CLI syncs a member’s findings in the aggregation Region with the central account’s own credentials', async () => {
      const { result, getFindings, batchUpdates } = await counted(
        () =>
          runBuiltCli(
            [
              'sweep',
              '--account',
              payments,
              '--region',
              'us-east-1',
              '--sync-security-hub',
              '--security-hub-region',
              REGION,
              '--json',
            ],
            orgEnv(),
          ),
        { account: management, region: REGION },
      );
      expect(result.code).toBe(0);
      expect(jsonLines(result.stdout).find((line) => line.type === 'summary')).toMatchObject({
        accountId: payments,
        region: 'us-east-1',
        counts: { remediated: 3 },
        sinks: { securityHub: { published: 3, failed: 0, findings: 6, pages: 1, batches: 1 } },
      });
      expect([getFindings, batchUpdates]).toEqual([1, 1]);
      const member = await admin.stats({ account: payments });
      expect(member.operations.GetFindings).toBeUndefined();
      const noted = (await memberFindings()).filter(
        (entry) => entry.userDefinedFields[GUARD_MARKER_KEY] === 'remediated',
      );
      expect(noted).toHaveLength(3);
    }, 60_000);

    it('the built sweep, as an organisation child, syncs the member’s findings from the central account', async () => {
      const handler = await loadBundle('sweep', {
        ...orgEnv(),
        ORGANIZATION_MODE: 'true',
        SYNC_SECURITY_HUB: 'true',
        SECURITY_HUB_REGION: REGION,
      });
      const context = {
        ...fakeContext(120_000),
        invokedFunctionArn: `arn:aws:lambda:${REGION}:${management}:function:ecr-guard`,
      };
      const { result, getFindings, batchUpdates } = await counted(
        () => handler({ accountId: payments, region: 'us-east-1' }, context),
        { account: management, region: REGION },
      );
      expect([getFindings, batchUpdates]).toEqual([1, 1]);
      expect(result).toMatchObject({
        accountId: payments,
        counts: { remediated: 3 },
        sinks: { securityHub: { published: 3, failed: 0 } },
      });
    }, 60_000);
  });
});
