/**
 * The built CLI's decisions reach the audit bus, as the functions' do (docs/architecture.md, "Data flow"):
 * with `--audit-event-bus` (or AUDIT_EVENT_BUS_NAME) a remediation made from a workstation is published as
 * the same EventBridge audit event, in the run's first region with the caller's credentials. The PutEvents
 * calls are the ones the emulator saw; against moto the CLI's own summary says what it published.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_DETAIL_TYPES, AUDIT_EVENT_SOURCE } from '../../lib/audit-events.ts';
import { jsonLines, runBuiltCli } from '../helpers/cli.ts';
import {
  adminOf,
  type Backend,
  bundleEnv,
  E2E_ACCOUNT,
  E2E_REGION,
  itOnEmulator,
  startBackend,
} from './backend.ts';

const BUS = 'default';

describe('the CLI publishes its decisions to the audit bus', () => {
  let backend: Backend;

  beforeAll(async () => {
    backend = await startBackend();
  });
  beforeEach(async () => {
    await backend.reset();
    await backend.seed([
      { name: 'audit/app', mutability: 'MUTABLE' },
      { name: 'audit/ok', mutability: 'IMMUTABLE' },
    ]);
  });
  afterAll(async () => backend.stop());

  /** The summary line of the one account-region, from the JSON output. */
  const summaryOf = (stdout: string) => jsonLines(stdout).find((line) => line.type === 'summary');

  it(`publishes a remediation with --audit-event-bus and says so in its summary (${process.env.E2E_ECR_ENDPOINT === undefined ? 'emulator' : 'moto'})`, async () => {
    const result = await runBuiltCli(
      ['remediate', 'audit/app', '--audit-event-bus', BUS, '--json'],
      bundleEnv(backend),
    );
    expect(result.code).toBe(0);
    expect(summaryOf(result.stdout)).toMatchObject({
      counts: { remediated: 1 },
      sinks: { auditEvents: { published: 1, failed: 0 } },
    });
  });

  itOnEmulator('PutEvents sink')(
    'sends one PutEvents with the remediation as the event the functions send',
    async () => {
      const admin = adminOf(backend);
      const result = await runBuiltCli(
        ['remediate', 'audit/app', 'audit/ok', '--audit-event-bus', BUS, '--json'],
        bundleEnv(backend),
      );
      expect(result.code).toBe(0);
      const stats = await admin.stats({ account: E2E_ACCOUNT, region: E2E_REGION });
      expect(stats.operations.PutEvents?.calls).toBe(1);
      const events = await admin.events();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        account: E2E_ACCOUNT,
        region: E2E_REGION,
        eventBusName: BUS,
        source: AUDIT_EVENT_SOURCE,
        detailType: AUDIT_DETAIL_TYPES.enforced,
        resources: [`arn:aws:ecr:${E2E_REGION}:${E2E_ACCOUNT}:repository/audit/app`],
        detail: {
          outcome: 'remediated',
          repositoryName: 'audit/app',
          accountId: E2E_ACCOUNT,
          trigger: 'backfill',
          dryRun: false,
          before: { imageTagMutability: 'MUTABLE' },
          after: { imageTagMutability: 'IMMUTABLE' },
        },
      });
    },
  );

  itOnEmulator('PutEvents sink')(
    'takes the bus from AUDIT_EVENT_BUS_NAME as the functions do, and publishes nothing without one',
    async () => {
      const admin = adminOf(backend);
      const without = await runBuiltCli(['check', 'audit/app', '--json'], bundleEnv(backend));
      expect(without.code).toBe(3);
      expect(summaryOf(without.stdout)?.sinks).toBeUndefined();
      expect(await admin.events()).toEqual([]);
      const check = await runBuiltCli(
        ['check', 'audit/app', '--json'],
        bundleEnv(backend, { AUDIT_EVENT_BUS_NAME: 'guard-audit' }),
      );
      expect(check.code).toBe(3);
      expect((await admin.events()).map((event) => [event.eventBusName, event.detail.outcome])).toEqual([
        ['guard-audit', 'would-remediate'],
      ]);
    },
  );

  itOnEmulator('fault injection')(
    'counts an audit event the bus refused, warns on stderr, and keeps the remediation and its exit code',
    async () => {
      const admin = adminOf(backend);
      await admin.faults({ PutEvents: { accessDenied: true } });
      const result = await runBuiltCli(
        ['remediate', 'audit/app', '--audit-event-bus', BUS, '--json'],
        bundleEnv(backend),
      );
      expect(result.code).toBe(0);
      expect(summaryOf(result.stdout)).toMatchObject({
        counts: { remediated: 1 },
        sinks: { auditEvents: { published: 0, failed: 1 } },
      });
      expect(result.stderr).toContain('ecr-guard: warning: audit events lost after retries');
      expect((await backend.snapshot()).get('audit/app')?.mutability).toBe('IMMUTABLE');
    },
  );
});
