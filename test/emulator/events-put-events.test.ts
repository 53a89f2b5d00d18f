import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventsClient, startTestEmulator, TEST_CREDENTIALS, type TestEmulator } from './helpers.ts';

let emulator: TestEmulator;
let events: EventBridgeClient;

beforeAll(async () => {
  emulator = await startTestEmulator();
  events = eventsClient(emulator.url, 'eu-west-1');
});

afterAll(async () => {
  events.destroy();
  await emulator.stop();
});

beforeEach(async () => {
  await emulator.admin.reset();
});

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'ecr-immutability-guard',
  DetailType: 'ECR Repository Tag Mutability Enforced',
  Detail: JSON.stringify({ repositoryName: 'app', outcome: 'remediated' }),
  ...overrides,
});

describe('EventBridge PutEvents sink', () => {
  it('stores an entry with its bus, source, detail type, parsed detail and time', async () => {
    // Act
    const output = await events.send(
      new PutEventsCommand({
        Entries: [
          entry({ EventBusName: 'audit', Time: new Date('2026-01-02T03:04:05Z'), Resources: ['arn:x'] }),
        ],
      }),
    );
    const stored = await emulator.admin.events();

    // Assess
    expect(output.FailedEntryCount).toBe(0);
    const eventId = output.Entries?.[0]?.EventId;
    expect(eventId).toEqual(expect.any(String));
    expect(stored).toEqual([
      {
        eventId,
        account: '123456789012',
        region: 'eu-west-1',
        eventBusName: 'audit',
        source: 'ecr-immutability-guard',
        detailType: 'ECR Repository Tag Mutability Enforced',
        detail: { repositoryName: 'app', outcome: 'remediated' },
        resources: ['arn:x'],
        time: '2026-01-02T03:04:05.000Z',
        receivedAt: expect.any(String),
      },
    ]);
  });

  it('defaults the bus to "default"', async () => {
    await events.send(new PutEventsCommand({ Entries: [entry()] }));
    const [stored] = await emulator.admin.events();
    expect(stored?.eventBusName).toBe('default');
  });

  it('fails invalid entries one by one and stores the valid ones', async () => {
    // Act
    const output = await events.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          entry({ Detail: 'not json' }),
          entry({ Detail: '[1, 2]' }),
          entry({ Source: undefined }),
          entry({ DetailType: '' }),
          entry({ Detail: undefined }),
        ],
      }),
    );

    // Assess
    expect(output.FailedEntryCount).toBe(5);
    expect(output.Entries?.map((result) => result.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
    ]);
    expect(output.Entries?.[3]?.ErrorMessage).toContain('Source');
    expect(await emulator.admin.events()).toHaveLength(1);
  });

  it.each([
    ['no entries', 0],
    ['more than 10 entries', 11],
  ])('refuses %s with ValidationException', async (_, count) => {
    await expect(
      events.send(new PutEventsCommand({ Entries: Array.from({ length: count }, () => entry()) })),
    ).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
  });

  it('refuses entries totalling more than 256 KB with ValidationException and stores none', async () => {
    const detail = JSON.stringify({ padding: 'x'.repeat(30 * 1024) });
    await expect(
      events.send(
        new PutEventsCommand({ Entries: Array.from({ length: 9 }, () => entry({ Detail: detail })) }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('size') });
    expect(await emulator.admin.events()).toEqual([]);
  });

  it('accepts 10 entries at the limit', async () => {
    const output = await events.send(
      new PutEventsCommand({ Entries: Array.from({ length: 10 }, () => entry()) }),
    );
    expect(output.FailedEntryCount).toBe(0);
    expect(new Set(output.Entries?.map((result) => result.EventId)).size).toBe(10);
  });

  it('is found by an SDK client through AWS_ENDPOINT_URL_EVENTBRIDGE', async () => {
    // Prepare
    const previous = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = emulator.url;

    // Act
    const client = new EventBridgeClient({
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
    });
    const output = await client.send(new PutEventsCommand({ Entries: [entry()] })).finally(() => {
      client.destroy();
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
      else process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = previous;
    });

    // Assess
    expect(output.FailedEntryCount).toBe(0);
    const stored = await emulator.admin.events();
    expect(stored.map((event) => event.region)).toEqual(['us-east-1']);
  });

  it('counts PutEvents calls in the stats', async () => {
    await events.send(new PutEventsCommand({ Entries: [entry()] }));
    const stats = await emulator.admin.stats();
    expect(stats.operations.PutEvents).toEqual({ calls: 1, ok: 1, errors: {} });
  });
});
