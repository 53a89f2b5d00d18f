/**
 * The audit sinks listed from settings (lib/audit-sinks.ts): none unless asked for, EventBridge when an audit
 * bus is set, Security Hub when the sync is on, each client made once in the Region it works in.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { repositoryRecord } from '../../lib/audit.ts';
import { createAuditSinks } from '../../lib/audit-sinks.ts';
import { SECURITY_HUB_SYNC_FAILURES_METRIC } from '../../lib/outcomes.ts';
import { testConfig, testLogger } from '../helpers/runtime.ts';

const eventsMock = mockClient(EventBridgeClient);
const hubMock = mockClient(SecurityHubClient);

/** The sinks of `env`, and the Region of every client they made. */
async function sinksOf(env: Record<string, string>) {
  const made: Promise<string>[] = [];
  const sinks = await createAuditSinks(
    testConfig(env),
    {
      config: (region) => ({
        region,
        maxAttempts: 1,
        retryMode: 'standard',
        requestHandler: { connectionTimeout: 100, requestTimeout: 100, throwOnRequestTimeout: true },
      }),
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
});
