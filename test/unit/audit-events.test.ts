import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.ts';
import { AUDIT_DETAIL_TYPES, createAuditPublisher } from '../../lib/audit-events.ts';
import { testLogger } from '../helpers/runtime.ts';

const ebMock = mockClient(EventBridgeClient);

function record(index: number, outcome: AuditRecord['outcome'] = 'remediated'): AuditRecord {
  return {
    outcome,
    repositoryName: `repo-${index}`,
    repositoryArn: `arn:aws:ecr:eu-west-1:123456789012:repository/repo-${index}`,
    registryId: '123456789012',
    region: 'eu-west-1',
    before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
    after: { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] },
    trigger: 'sweep',
    dryRun: false,
    reason: 'test',
  };
}

describe('audit event publisher', () => {
  beforeEach(() => ebMock.reset());
  const publisher = () =>
    createAuditPublisher(new EventBridgeClient({ region: 'eu-west-1' }), {
      eventBusName: 'audit',
      logger: testLogger().logger,
    });

  it('publishes in batches of at most 10 entries', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const result = await publisher().publish(Array.from({ length: 23 }, (_, i) => record(i)));
    expect(result).toEqual({ published: 23, failed: 0 });
    expect(ebMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.length)).toEqual([
      10, 10, 3,
    ]);
    const first = ebMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(first).toMatchObject({
      EventBusName: 'audit',
      Source: 'ecr-immutability-guard',
      DetailType: AUDIT_DETAIL_TYPES.enforced,
      Resources: ['arn:aws:ecr:eu-west-1:123456789012:repository/repo-0'],
    });
    expect(JSON.parse(first?.Detail ?? '{}')).toMatchObject({
      repositoryName: 'repo-0',
      outcome: 'remediated',
    });
  });

  it('retries only the entries that failed', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: '1' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          { EventId: '3' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '4' }] });
    const result = await publisher().publish([record(1), record(2), record(3)]);
    expect(result).toEqual({ published: 3, failed: 0 });
    const retried = ebMock.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(retried.map((entry) => JSON.parse(entry.Detail ?? '{}').repositoryName)).toEqual(['repo-2']);
  });

  it('never throws and reports what it could not publish', async () => {
    ebMock.on(PutEventsCommand).rejects(new Error('network down'));
    const result = await publisher().publish([record(1), record(2, 'exempt'), record(3, 'compliant')]);
    expect(result).toEqual({ published: 0, failed: 2 });
  });

  it("carries an organisation run's accountId in the event detail", async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    await publisher().publish([{ ...record(1), accountId: '210987654321' }]);
    const entry = ebMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({
      accountId: '210987654321',
      repositoryName: 'repo-1',
    });
  });

  it('maps outcomes to detail types and skips compliant, gone and ignored', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    await publisher().publish([
      record(1, 'exempt'),
      record(2, 'failed'),
      record(3, 'gone'),
      record(4, 'would-remediate'),
    ]);
    const entries = ebMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((entry) => entry.DetailType)).toEqual([
      AUDIT_DETAIL_TYPES.exempted,
      AUDIT_DETAIL_TYPES.failed,
      AUDIT_DETAIL_TYPES.enforced,
    ]);
  });

  it('tells each partial rejection with its codes, retries up to 3 attempts in all, and tells the loss', async () => {
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 3,
      Entries: [
        { ErrorCode: 'ThrottlingException' },
        { ErrorCode: 'ThrottlingException' },
        { ErrorCode: 'InternalFailure' },
      ],
    });
    const log = testLogger();
    const events = createAuditPublisher(new EventBridgeClient({ region: 'eu-west-1' }), {
      eventBusName: 'audit',
      logger: log.logger,
    });
    expect(await events.publish([record(1), record(2), record(3)])).toEqual({ published: 0, failed: 3 });
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(log.warn.mock.calls).toEqual(
      [1, 2, 3].map((attempt) => [
        'audit events partially rejected',
        { attempt, failed: 3, codes: ['ThrottlingException', 'InternalFailure'] },
      ]),
    );
    expect(log.error).toHaveBeenCalledExactlyOnceWith('audit events lost after retries', { failed: 3 });
  });

  it('makes as many attempts as asked, telling the code of each failed call', async () => {
    ebMock
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const log = testLogger();
    const events = createAuditPublisher(new EventBridgeClient({ region: 'eu-west-1' }), {
      eventBusName: 'audit',
      logger: log.logger,
      attempts: 2,
    });
    expect(await events.publish([record(1)])).toEqual({ published: 0, failed: 1 });
    expect(log.warn.mock.calls).toEqual([
      ['audit events could not be published', { attempt: 1, errorCode: 'ThrottlingException' }],
      ['audit events could not be published', { attempt: 2, errorCode: 'ThrottlingException' }],
    ]);
  });

  it('retries an entry the answer gives no result for, as failed', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: '1' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '2' }] });
    const log = testLogger();
    const events = createAuditPublisher(new EventBridgeClient({ region: 'eu-west-1' }), {
      eventBusName: 'audit',
      logger: log.logger,
    });
    expect(await events.publish([record(1), record(2)])).toEqual({ published: 2, failed: 0 });
    const retried = ebMock.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(retried.map((entry) => JSON.parse(entry.Detail ?? '{}').repositoryName)).toEqual(['repo-2']);
    expect(log.warn).toHaveBeenCalledExactlyOnceWith('audit events partially rejected', {
      attempt: 1,
      failed: 1,
      codes: [],
    });
    expect(log.error).not.toHaveBeenCalled();
  });

  it('retries an entry that carries an ErrorCode, even beside an EventId', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: '1' }, { EventId: '2', ErrorCode: 'InternalFailure' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '3' }] });
    expect(await publisher().publish([record(1), record(2)])).toEqual({ published: 2, failed: 0 });
    const retried = ebMock.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(retried.map((entry) => JSON.parse(entry.Detail ?? '{}').repositoryName)).toEqual(['repo-2']);
  });

  it('calls no more when every entry has an EventId, whatever FailedEntryCount says', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ EventId: '1' }] });
    expect(await publisher().publish([record(1)])).toEqual({ published: 1, failed: 0 });
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('names no resource for a record without a repository ARN', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    await publisher().publish([{ ...record(1, 'failed'), repositoryArn: undefined }]);
    expect(ebMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Resources).toEqual([]);
  });
});
