/**
 * The Security Hub sync end to end through the real SDK: the guard's sweep (lib/sweep.ts over the ECR
 * adapter) decides a registry, lib/securityhub.ts reads the account-region's ECR.2 findings in one paged
 * pass, lib/findings-sync.ts plans, and the adapter writes; the exact GetFindings pages and
 * BatchUpdateFindings batches are counted by the emulator. The read side (BatchImportFindings, then
 * GetFindings in pages) also runs against moto under `npm run test:moto`; moto has no BatchUpdateFindings,
 * so the write side is a visible skip there.
 */

import { ECRClient, UntagResourceCommand } from '@aws-sdk/client-ecr';
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.ts';
import { createEcrAdapter } from '../../lib/ecr.ts';
import {
  type ControlFinding,
  emptyOutcomes,
  type FindingOutcome,
  GUARD_MARKER_KEY,
  planFindingUpdates,
} from '../../lib/findings-sync.ts';
import type { Policy } from '../../lib/policy.ts';
import { createSecurityHubAdapter } from '../../lib/securityhub.ts';
import { runSweep } from '../../lib/sweep.ts';
import { adminOf, type Backend, E2E_ACCOUNT, E2E_REGION, itOnEmulator, startBackend } from './backend.ts';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const POLICY: Policy = {
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  allowedExclusions: ['latest'],
  exemptRepositories: ['legacy/**'],
  exemptTag: { key: 'ecr-guard:exempt', expiryKey: 'ecr-guard:until' },
};
const EXEMPT_TAG = { 'ecr-guard:exempt': 'vendor image SEC-12', 'ecr-guard:until': '2027-12-31' };
const EXPIRING_TAG = { 'ecr-guard:exempt': 'migration window', 'ecr-guard:until': '2026-01-01' };
const BEFORE_EXPIRY = new Date('2025-12-01T00:00:00Z');
const NOW = new Date('2026-06-01T00:00:00Z');
const PERSON_NOTE = 'accepted by the security team, RISK-7';

const range = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}/${index}`);

/** 250 repositories, each group ending in one way (see the test names). */
const GROUPS = {
  legacy: range('legacy', 60), // MUTABLE, exempt by name
  vendor: range('vendor', 20), // MUTABLE, exempt by tag until 2027
  web: range('web', 40), // IMMUTABLE_WITH_EXCLUSION [latest]: compliant by policy, ECR.2 FAILED
  app: range('app', 100), // MUTABLE: remediated
  expired: range('expired', 10), // MUTABLE, exempt until 2026-01-01: suppressed then, remediated now
  person: range('person', 10), // MUTABLE, exempt by tag, but a person suppressed the finding first
  ok: range('ok', 10), // IMMUTABLE: compliant, ECR.2 PASSED
};

describe('the Security Hub sync against the emulator', () => {
  let backend: Backend;
  let ecrClient: ECRClient;
  let hubClient: SecurityHubClient;

  beforeAll(async () => {
    backend = await startBackend();
    ecrClient = new ECRClient({ region: E2E_REGION, endpoint: backend.url, credentials: CREDENTIALS });
    hubClient = new SecurityHubClient({
      region: E2E_REGION,
      endpoint: backend.url,
      credentials: CREDENTIALS,
    });
  });
  afterAll(async () => {
    ecrClient.destroy();
    hubClient.destroy();
    await backend.stop();
  });

  /** The guard's sweep over the registry (or some names) at `now`: its audit records. */
  async function sweep(now: Date, repositoryNames?: readonly string[]): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    await runSweep(
      { trigger: 'sweep', dryRun: false, repositoryNames, resume: undefined, maxRepositories: undefined },
      {
        ecr: createEcrAdapter(ecrClient),
        policy: POLICY,
        region: E2E_REGION,
        now: () => now,
        remainingMs: () => 600_000,
        safetyMarginMs: 0,
        maxConcurrency: 8,
        record: (record) => records.push(record),
      },
    );
    return records;
  }

  /** One sync of the account-region: the calls it made (from the emulator) and how each finding ended. */
  async function sync(records: readonly AuditRecord[], now: Date) {
    const admin = adminOf(backend);
    const before = await admin.stats({ account: E2E_ACCOUNT, region: E2E_REGION });
    const adapter = createSecurityHubAdapter(hubClient);
    const pass = await adapter.findControlFindings({ accountId: E2E_ACCOUNT, region: E2E_REGION });
    const plan = planFindingUpdates({ records, findings: pass.findings, policy: POLICY, now });
    const result = await adapter.updateFindings(plan.updates);
    const after = await admin.stats({ account: E2E_ACCOUNT, region: E2E_REGION });
    const calls = (operation: string) =>
      (after.operations[operation]?.calls ?? 0) - (before.operations[operation]?.calls ?? 0);
    return {
      pages: calls('GetFindings'),
      batches: calls('BatchUpdateFindings'),
      outcomes: plan.outcomes,
      result,
      findings: pass.findings.length,
    };
  }

  /** Every ECR.2 finding of the account-region now, by repository name (one GetFindings pass). */
  async function snapshot(): Promise<Map<string, ControlFinding>> {
    const pass = await createSecurityHubAdapter(hubClient).findControlFindings({
      accountId: E2E_ACCOUNT,
      region: E2E_REGION,
    });
    return new Map(
      pass.findings.map((finding) => [finding.resourceId.split(':repository/')[1] ?? '', finding]),
    );
  }

  /** The findings of `group` in `state`, every one of them present. */
  function findingsOf(
    state: ReadonlyMap<string, ControlFinding>,
    group: readonly string[],
  ): ControlFinding[] {
    return group.map((name) => {
      const finding = state.get(name);
      if (finding === undefined) throw new Error(`no ECR.2 finding for ${name}`);
      return finding;
    });
  }

  const outcomes = (values: Partial<Record<FindingOutcome, number>>): Record<FindingOutcome, number> => ({
    ...emptyOutcomes(),
    ...values,
  });

  itOnEmulator('BatchUpdateFindings (moto has none)', 60_000)(
    'brings 250 findings in line in 3 GetFindings pages and 5 BatchUpdateFindings batches, then makes no update on a second run',
    async () => {
      // Prepare: the registry, ECR.2 evaluated over it, a person's suppressions.
      const admin = adminOf(backend);
      await backend.reset();
      await backend.seed([
        ...[...GROUPS.legacy, ...GROUPS.app].map((name) => ({ name })),
        ...GROUPS.vendor.map((name) => ({ name, tags: EXEMPT_TAG })),
        ...GROUPS.person.map((name) => ({ name, tags: EXEMPT_TAG })),
        ...GROUPS.expired.map((name) => ({ name, tags: EXPIRING_TAG })),
        ...GROUPS.web.map((name) => ({
          name,
          mutability: 'IMMUTABLE_WITH_EXCLUSION' as const,
          exclusionFilters: ['latest'],
        })),
        ...GROUPS.ok.map((name) => ({ name, mutability: 'IMMUTABLE' as const })),
      ]);
      await admin.evaluateControlFindings({ account: E2E_ACCOUNT, region: E2E_REGION });
      const personal = findingsOf(await snapshot(), GROUPS.person);
      await hubClient.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: personal.map((finding) => ({ Id: finding.id, ProductArn: finding.productArn })),
          Workflow: { Status: 'SUPPRESSED' },
          Note: { Text: PERSON_NOTE, UpdatedBy: 'arn:aws:iam::123456789012:user/alice' },
        }),
      );
      // Last December the expiring exemptions held: the guard suppressed their findings.
      const december = await sync(await sweep(BEFORE_EXPIRY, GROUPS.expired), BEFORE_EXPIRY);
      expect(december).toMatchObject({
        pages: 3,
        batches: 1,
        outcomes: outcomes({ 'suppress-exempt': 10, 'no-decision': 240 }),
      });

      // Act: today's sweep and sync.
      const today = await sync(await sweep(NOW), NOW);

      // Assess: one GetFindings pass (250 findings, 100 a page) and one call per distinct update.
      expect(today.findings).toBe(250);
      expect(today.pages).toBe(3);
      expect(today.batches).toBe(5);
      expect(today.result).toMatchObject({ processed: 230, unprocessed: [], batches: 5 });
      expect(today.outcomes).toEqual(
        outcomes({
          'suppress-exempt': 80,
          'suppress-compliant': 40,
          'note-remediated': 100,
          release: 10,
          'in-line': 10,
          'left-to-person': 10,
        }),
      );
      const state = await snapshot();
      for (const finding of findingsOf(state, [...GROUPS.legacy, ...GROUPS.vendor])) {
        expect(finding.workflowStatus).toBe('SUPPRESSED');
        expect(finding.userDefinedFields[GUARD_MARKER_KEY]).toBe('suppressed');
      }
      const [vendor] = findingsOf(state, GROUPS.vendor);
      expect(vendor?.noteText).toBe(
        'Suppressed by ecr-immutability-guard: exempt under rule exempt-tag ecr-guard:exempt; reason: vendor image SEC-12; expires: 2027-12-31.',
      );
      const [web] = findingsOf(state, GROUPS.web);
      expect(web).toMatchObject({ workflowStatus: 'SUPPRESSED', complianceStatus: 'FAILED' });
      expect(web?.noteText).toContain(
        'compliant under the policy (target IMMUTABLE, allowed exclusions [latest])',
      );
      const [app] = findingsOf(state, GROUPS.app);
      expect(app).toMatchObject({ workflowStatus: 'NEW', complianceStatus: 'FAILED' });
      expect(app?.noteText).toMatch(
        /^Remediated by ecr-immutability-guard: MUTABLE -> IMMUTABLE; .*at 2026-06-01T00:00:00\.000Z$/,
      );
      for (const finding of findingsOf(state, GROUPS.expired)) {
        expect(finding).toMatchObject({
          workflowStatus: 'NEW',
          userDefinedFields: { [GUARD_MARKER_KEY]: 'remediated' },
        });
        expect(finding.noteText).toContain('exemption tag ecr-guard:exempt expired on 2026-01-01');
      }
      for (const finding of findingsOf(state, GROUPS.person)) {
        expect(finding).toMatchObject({
          workflowStatus: 'SUPPRESSED',
          noteText: PERSON_NOTE,
          userDefinedFields: {},
        });
      }

      // Config re-evaluates: the remediated repositories pass; a second sweep and sync change nothing.
      await admin.evaluateControlFindings({ account: E2E_ACCOUNT, region: E2E_REGION });
      expect(
        findingsOf(await snapshot(), GROUPS.app).every((finding) => finding.workflowStatus === 'RESOLVED'),
      ).toBe(true);
      const again = await sync(await sweep(NOW), NOW);
      expect(again).toMatchObject({ pages: 3, batches: 0 });
      expect(again.outcomes['in-line'] + again.outcomes['left-to-person']).toBe(250);
    },
  );

  itOnEmulator('BatchUpdateFindings (moto has none)', 60_000)(
    'lifts its own suppression when an exemption is removed, keeping the fields a person added',
    async () => {
      const admin = adminOf(backend);
      await backend.reset();
      await backend.seed(GROUPS.vendor.map((name) => ({ name, tags: EXEMPT_TAG })));
      await admin.evaluateControlFindings({ account: E2E_ACCOUNT, region: E2E_REGION });
      await sync(await sweep(NOW), NOW);
      const removed = GROUPS.vendor.slice(0, 5);
      for (const name of removed) {
        await ecrClient.send(
          new UntagResourceCommand({
            resourceArn: `arn:aws:ecr:${E2E_REGION}:${E2E_ACCOUNT}:repository/${name}`,
            tagKeys: ['ecr-guard:exempt'],
          }),
        );
      }
      // A person adds a field of their own to one finding the guard suppressed; it is kept.
      const [first] = findingsOf(await snapshot(), removed);
      await hubClient.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: [{ Id: first?.id, ProductArn: first?.productArn }],
          UserDefinedFields: { ticket: 'SEC-99' },
        }),
      );
      const lifted = await sync(await sweep(NOW), NOW);
      expect(lifted).toMatchObject({
        pages: 1,
        batches: 2,
        outcomes: outcomes({ release: 5, 'in-line': 15 }),
      });
      const state = await snapshot();
      for (const finding of findingsOf(state, removed)) expect(finding.workflowStatus).toBe('NEW');
      expect(findingsOf(state, removed)[0]?.userDefinedFields).toEqual({
        ticket: 'SEC-99',
        [GUARD_MARKER_KEY]: 'remediated',
      });
    },
  );

  itOnEmulator('BatchUpdateFindings (moto has none)', 60_000)(
    'syncs the one repository of an event with one GetFindings call filtered by ResourceId and one BatchUpdateFindings call',
    async () => {
      const admin = adminOf(backend);
      await backend.reset();
      await backend.seed([...GROUPS.legacy, ...GROUPS.app].map((name) => ({ name })));
      await admin.evaluateControlFindings({ account: E2E_ACCOUNT, region: E2E_REGION });
      const name = GROUPS.app[7] ?? '';
      const records = await sweep(NOW, [name]);
      const before = await admin.stats({ account: E2E_ACCOUNT, region: E2E_REGION });
      const adapter = createSecurityHubAdapter(hubClient);
      const pass = await adapter.findControlFindings({
        accountId: E2E_ACCOUNT,
        region: E2E_REGION,
        resourceIds: [`arn:aws:ecr:${E2E_REGION}:${E2E_ACCOUNT}:repository/${name}`],
      });
      const plan = planFindingUpdates({ records, findings: pass.findings, policy: POLICY, now: NOW });
      await adapter.updateFindings(plan.updates);
      const after = await admin.stats({ account: E2E_ACCOUNT, region: E2E_REGION });
      const calls = (operation: string) =>
        (after.operations[operation]?.calls ?? 0) - (before.operations[operation]?.calls ?? 0);
      expect([calls('GetFindings'), calls('BatchUpdateFindings')]).toEqual([1, 1]);
      expect(plan.outcomes['note-remediated']).toBe(1);
      expect(findingsOf(await snapshot(), [name])[0]?.userDefinedFields).toEqual({
        [GUARD_MARKER_KEY]: 'remediated',
      });
    },
  );
});

describe('the Security Hub read side, against the emulator or moto', () => {
  // A Region no other end-to-end test uses, so that moto (which ignores GetFindings' filters) holds only these.
  const REGION = 'ap-southeast-2';
  let backend: Backend;
  let client: SecurityHubClient;

  beforeAll(async () => {
    backend = await startBackend();
    client = new SecurityHubClient({ region: REGION, endpoint: backend.url, credentials: CREDENTIALS });
  });
  afterAll(async () => {
    client.destroy();
    await backend.stop();
  });

  function controlFinding(index: number, overrides: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
    const at = NOW.toISOString();
    const name = `repo-${String(index).padStart(3, '0')}`;
    return {
      SchemaVersion: '2018-10-08',
      Id: `arn:aws:securityhub:${REGION}:${E2E_ACCOUNT}:security-control/ECR.2/finding/${name}`,
      ProductArn: `arn:aws:securityhub:${REGION}::product/aws/securityhub`,
      GeneratorId: 'security-control/ECR.2',
      AwsAccountId: E2E_ACCOUNT,
      Region: REGION,
      Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
      CreatedAt: at,
      UpdatedAt: at,
      Severity: { Label: 'MEDIUM' },
      Title: 'ECR private repositories should have tag immutability configured',
      Description: 'This control checks whether a private ECR repository has tag immutability enabled.',
      Resources: [
        { Type: 'AwsEcrRepository', Id: `arn:aws:ecr:${REGION}:${E2E_ACCOUNT}:repository/${name}` },
      ],
      Compliance: { Status: index % 3 === 0 ? 'PASSED' : 'FAILED', SecurityControlId: 'ECR.2' },
      Workflow: { Status: 'NEW' },
      RecordState: 'ACTIVE',
      ...overrides,
    };
  }

  it(`imports 150 ECR.2 findings with BatchImportFindings and reads them back in 2 GetFindings pages (${process.env.E2E_ECR_ENDPOINT === undefined ? 'emulator' : 'moto'})`, async () => {
    // Prepare: 150 ECR.2 findings and 2 that the filters leave out (another control, an archived one).
    const all = [
      ...Array.from({ length: 150 }, (_, index) => controlFinding(index)),
      controlFinding(900, { Compliance: { Status: 'FAILED', SecurityControlId: 'ECR.1' } }),
      controlFinding(901, { RecordState: 'ARCHIVED' }),
    ];
    for (let start = 0; start < all.length; start += 100) {
      const answer = await client.send(
        new BatchImportFindingsCommand({ Findings: all.slice(start, start + 100) }),
      );
      expect(answer.FailedCount).toBe(0);
    }
    // Act
    const pass = await createSecurityHubAdapter(client).findControlFindings({
      accountId: E2E_ACCOUNT,
      region: REGION,
    });
    // Assess: the emulator filters on the service side; moto ignores the filters and the adapter's own check drops them.
    expect(pass.findings).toHaveLength(150);
    expect(pass.pages).toBe(2);
    expect(pass.outside).toBe(backend.kind === 'emulator' ? 0 : 2);
    expect(new Set(pass.findings.map((finding) => finding.resourceId)).size).toBe(150);
    expect(pass.findings.filter((finding) => finding.complianceStatus === 'PASSED')).toHaveLength(50);
    expect(pass.findings[0]).toMatchObject({ accountId: E2E_ACCOUNT, region: REGION, workflowStatus: 'NEW' });
  });
});
