/**
 * The audit sinks listed from settings (lib/audit-sinks.ts): none unless asked for, EventBridge when an audit
 * bus is set, Security Hub when the sync is on, each client made once in the Region it works in.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { repositoryRecord } from '../../lib/audit.ts';
import { createAuditSinks } from '../../lib/audit-sinks.ts';
import type { AwsClientConfig } from '../../lib/aws-client-config.ts';
import { SECURITY_HUB_SYNC_FAILURES_METRIC } from '../../lib/outcomes.ts';
import { testConfig, testLogger } from '../helpers/runtime.ts';

const eventsMock = mockClient(EventBridgeClient);
const hubMock = mockClient(SecurityHubClient);

const clientConfig = (region: string): AwsClientConfig => ({
  region,
  maxAttempts: 1,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 100, requestTimeout: 100, throwOnRequestTimeout: true },
});

/** The sinks of `env`, and the Region of every client they made. */
async function sinksOf(env: Record<string, string>, config = clientConfig) {
  const made: Promise<string>[] = [];
  const sinks = await createAuditSinks(
    testConfig(env),
    {
      config,
      homeRegion: 'eu-west-1',
      onClient: (client) => {
        if (client instanceof EventBridgeClient || client instanceof SecurityHubClient)
          made.push(client.config.region());
      },
    },
    { logger: testLogger().logger },
  );
  return { sinks, regions: async () => Promise.all(made) };
}

const exempt = (region: string) =>
  repositoryRecord(
    {
      repositoryName: 'legacy/a',
      repositoryArn: `arn:aws:ecr:${region}:123456789012:repository/legacy/a`,
      registryId: '123456789012',
      setting: { mutability: 'MUTABLE', exclusionFilters: [] },
    },
    'exempt',
    "rule exempt-name: repository name matches 'legacy/**'",
    { trigger: 'sweep', dryRun: false, region },
  );

describe('the audit sinks from settings', () => {
  beforeEach(() => {
    eventsMock.reset();
    hubMock.reset();
  });

  it('are none by default: no client is made', async () => {
    const { sinks, regions } = await sinksOf({});
    expect(sinks.create()).toEqual([]);
    expect(await regions()).toEqual([]);
  });

  it('publish audit events to the bus in the home Region when AUDIT_EVENT_BUS_NAME is set', async () => {
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const { sinks, regions } = await sinksOf({ AUDIT_EVENT_BUS_NAME: 'audit' });
    const [events, ...rest] = sinks.create();
    expect(rest).toEqual([]);
    expect(events?.name).toBe('auditEvents');
    expect(await events?.publish([exempt('eu-west-1')])).toEqual({ published: 1, failed: 0 });
    expect(eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe(
      'audit',
    );
    expect(await regions()).toEqual(['eu-west-1']);
  });

  it('sync Security Hub after the audit events when SYNC_SECURITY_HUB is on, a fresh sink per invocation', async () => {
    const { sinks } = await sinksOf({ AUDIT_EVENT_BUS_NAME: 'audit', SYNC_SECURITY_HUB: 'true' });
    const first = sinks.create();
    expect(first.map((sink) => sink.name)).toEqual(['auditEvents', 'securityHub']);
    expect(first[1]?.failureMetric).toBe(SECURITY_HUB_SYNC_FAILURES_METRIC);
    expect(sinks.create()[1]).not.toBe(first[1]);
  });

  it.each([
    ['each account-region’s own Region', {}, ['us-east-1', 'ap-south-1']],
    [
      'the aggregation Region SECURITY_HUB_REGION names',
      { SECURITY_HUB_REGION: 'eu-central-1' },
      ['eu-central-1'],
    ],
  ] as const)('sync findings in %s, one client per Region', async (_where, env, expected) => {
    hubMock.on(GetFindingsCommand).resolves({ Findings: [] });
    const { sinks, regions } = await sinksOf({ SYNC_SECURITY_HUB: 'true', ...env });
    for (const invocation of [1, 2]) {
      const [hub] = sinks.create();
      await hub?.publish([exempt('us-east-1'), exempt('ap-south-1')]);
      expect(await hub?.settle?.({ complete: false }), `invocation ${invocation}`).toMatchObject({
        failed: 0,
      });
    }
    expect(await regions()).toEqual(expected);
    expect(hubMock.commandCalls(GetFindingsCommand)).toHaveLength(4);
    sinks.destroy();
  });

  it('load the Security Hub client again in the next invocation when it could not be made', async () => {
    hubMock.on(GetFindingsCommand).resolves({ Findings: [] });
    let refuse = true;
    const { sinks, regions } = await sinksOf({ SYNC_SECURITY_HUB: 'true' }, (region) => {
      if (refuse) {
        refuse = false;
        throw new Error('no credentials');
      }
      return clientConfig(region);
    });
    const [first] = sinks.create();
    await first?.publish([exempt('us-east-1')]);
    expect(await first?.settle?.({ complete: false })).toMatchObject({ published: 0, failed: 1 });
    const [second] = sinks.create();
    await second?.publish([exempt('us-east-1')]);
    expect(await second?.settle?.({ complete: false })).toMatchObject({ failed: 0 });
    expect(await regions()).toEqual(['us-east-1']);
    expect(hubMock.commandCalls(GetFindingsCommand)).toHaveLength(1);
  });

  it('destroy every client they made, once', async () => {
    hubMock.on(GetFindingsCommand).resolves({ Findings: [] });
    const clients: (EventBridgeClient | SecurityHubClient)[] = [];
    const sinks = await createAuditSinks(
      testConfig({ AUDIT_EVENT_BUS_NAME: 'audit', SYNC_SECURITY_HUB: 'true' }),
      {
        config: clientConfig,
        homeRegion: 'eu-west-1',
        onClient: (client) => {
          if (client instanceof EventBridgeClient || client instanceof SecurityHubClient)
            clients.push(client);
        },
      },
      { logger: testLogger().logger },
    );
    const [, hub] = sinks.create();
    await hub?.publish([exempt('us-east-1')]);
    await hub?.settle?.({ complete: false });
    const destroyed = clients.map((client) => vi.spyOn(client, 'destroy'));
    expect(destroyed).toHaveLength(2);
    sinks.destroy();
    sinks.destroy();
    for (const destroy of destroyed) expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('are made without a client hook too', async () => {
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    hubMock.on(GetFindingsCommand).resolves({ Findings: [] });
    const sinks = await createAuditSinks(
      testConfig({ AUDIT_EVENT_BUS_NAME: 'audit', SYNC_SECURITY_HUB: 'true' }),
      { config: clientConfig, homeRegion: 'eu-west-1' },
      { logger: testLogger().logger },
    );
    const [events, hub] = sinks.create();
    expect(await events?.publish([exempt('eu-west-1')])).toEqual({ published: 1, failed: 0 });
    await hub?.publish([exempt('eu-west-1')]);
    expect(await hub?.settle?.({ complete: false })).toMatchObject({ failed: 0 });
    expect(hubMock.commandCalls(GetFindingsCommand)).toHaveLength(1);
    sinks.destroy();
  });

  describe('note the time of a remediation on its finding', () => {
    const remediated = repositoryRecord(
      {
        repositoryName: 'team/app',
        repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/team/app',
        registryId: '123456789012',
        setting: { mutability: 'MUTABLE', exclusionFilters: [] },
      },
      'remediated',
      'set to IMMUTABLE',
      { trigger: 'sweep', dryRun: false, region: 'us-east-1' },
      { after: { mutability: 'IMMUTABLE', exclusionFilters: [] } },
    );

    /** The note the sink wrote on the repository's failed ECR.2 finding, with `now` given or not. */
    async function noteWritten(now?: () => Date): Promise<string | undefined> {
      hubMock.on(GetFindingsCommand).resolves({
        Findings: [
          {
            SchemaVersion: '2018-10-08',
            Id: 'finding-1',
            ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
            GeneratorId: 'security-control/ECR.2',
            AwsAccountId: '123456789012',
            Region: 'us-east-1',
            CreatedAt: '2026-01-01T00:00:00Z',
            UpdatedAt: '2026-01-01T00:00:00Z',
            Title: 'ECR private repositories should have tag immutability configured',
            Description: 'ECR.2',
            Resources: [{ Type: 'AwsEcrRepository', Id: remediated.repositoryArn }],
            Compliance: { Status: 'FAILED', SecurityControlId: 'ECR.2' },
            Workflow: { Status: 'NEW' },
            RecordState: 'ACTIVE',
          },
        ],
      });
      hubMock.on(BatchUpdateFindingsCommand).resolves({
        ProcessedFindings: [
          { Id: 'finding-1', ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub' },
        ],
        UnprocessedFindings: [],
      });
      const sinks = await createAuditSinks(
        testConfig({ SYNC_SECURITY_HUB: 'true' }),
        { config: clientConfig, homeRegion: 'eu-west-1' },
        { logger: testLogger().logger, now },
      );
      const [hub] = sinks.create();
      await hub?.publish([remediated]);
      expect(await hub?.settle?.({ complete: false })).toMatchObject({ published: 1, failed: 0 });
      sinks.destroy();
      return hubMock.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input.Note?.Text;
    }

    it('from the clock given', async () => {
      const note = await noteWritten(() => new Date('2026-06-01T12:00:00.000Z'));
      expect(note).toMatch(/; at 2026-06-01T12:00:00\.000Z$/);
    });

    it('from the system clock by default', async () => {
      const before = Date.now();
      const note = await noteWritten();
      const at = Date.parse(/; at (\S+)$/.exec(note ?? '')?.[1] ?? '');
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(Date.now());
    });
  });
});
