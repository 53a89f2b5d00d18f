import {
  AccessDeniedException,
  CloudTrailClient,
  LookupEventsCommand,
  type LookupEventsCommandInput,
  ThrottlingException,
} from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCloudTrailAdapter, createRateLimiter, LookupFailedError } from '../../lib/cloudtrail.ts';
import { AwsCallError } from '../../lib/errors.ts';
import { CLOUDTRAIL_ACTIONS } from '../../lib/iam-actions.ts';
import { fakeClock } from '../helpers/fake-clock.ts';

const trailMock = mockClient(CloudTrailClient);
const NOW = new Date('2026-11-30T00:00:00Z');

function putImage(repository: string, tag: string, digest: string, minute: number) {
  return {
    EventName: 'PutImage',
    CloudTrailEvent: JSON.stringify({
      eventName: 'PutImage',
      eventTime: new Date(NOW.getTime() - minute * 60_000).toISOString(),
      eventID: `e-${repository}-${minute}`,
      awsRegion: 'eu-west-1',
      sourceIPAddress: '203.0.113.12',
      userIdentity: { arn: 'arn:aws:iam::123456789012:role/ci' },
      requestParameters: { repositoryName: repository, imageTag: tag, registryId: '123456789012' },
      responseElements: { image: { imageId: { imageDigest: digest, imageTag: tag } } },
    }),
  };
}

describe('the CloudTrail adapter', () => {
  beforeEach(() => trailMock.reset());

  it('declares the IAM action it calls', () => {
    expect(CLOUDTRAIL_ACTIONS.lookupPushes).toEqual(['cloudtrail:LookupEvents']);
  });

  it('reads every page of PutImage events of the window in one pass, 50 a page', async () => {
    // Prepare
    trailMock
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [putImage('a', 'latest', 'sha256:1', 1)], NextToken: 'p2' })
      .resolvesOnce({ Events: [putImage('b', 'v1', 'sha256:2', 2), { EventName: 'PutImage' }] });
    const clock = fakeClock();
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), clock);
    // Act
    const result = await adapter.lookupPushes({ days: 30, now: NOW });
    // Assess
    expect(result).toMatchObject({ events: 3, unreadable: 1, calls: 2 });
    expect(result.pushes.map((push) => push.repositoryName)).toEqual(['a', 'b']);
    const inputs = trailMock.commandCalls(LookupEventsCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toEqual({
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutImage' }],
      StartTime: new Date('2026-10-31T00:00:00Z'),
      EndTime: NOW,
      MaxResults: 50,
      NextToken: undefined,
    } satisfies LookupEventsCommandInput);
    expect(inputs[1]?.NextToken).toBe('p2');
  });

  it('keeps to 2 requests per second: each call starts 500 ms after the previous one', async () => {
    // Prepare
    const pages = 5;
    for (let page = 1; page <= pages; page += 1) {
      trailMock
        .on(LookupEventsCommand, { NextToken: page === 1 ? undefined : `p${page}` })
        .resolves({ Events: [], NextToken: page < pages ? `p${page + 1}` : undefined });
    }
    const clock = fakeClock();
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), clock);
    // Act
    const result = await adapter.lookupPushes({ days: 1, now: NOW });
    // Assess
    expect(result.calls).toBe(5);
    expect(clock.sleeps).toEqual([500, 500, 500, 500]);
    expect(clock.now()).toBe(2000);
  });

  it('retries a ThrottlingException with backoff, still within the limiter', async () => {
    trailMock
      .on(LookupEventsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }))
      .resolvesOnce({ Events: [putImage('a', 'latest', 'sha256:1', 1)] });
    const clock = fakeClock();
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), {
      ...clock,
      random: () => 0.5,
    });
    const result = await adapter.lookupPushes({ days: 7, now: NOW });
    expect(result).toMatchObject({ events: 1, calls: 2 });
    // The backoff (250 ms) and then the limiter's remaining 250 ms of the 500 ms spacing.
    expect(clock.sleeps).toEqual([250, 250]);
  });

  it('translates AccessDeniedException into an AwsCallError naming the call, without retrying', async () => {
    trailMock
      .on(LookupEventsCommand)
      .rejects(new AccessDeniedException({ message: 'not authorized', $metadata: { httpStatusCode: 400 } }));
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), fakeClock());
    const failure = adapter.lookupPushes({ days: 7, now: NOW });
    await expect(failure).rejects.toBeInstanceOf(AwsCallError);
    await expect(failure).rejects.toMatchObject({
      code: 'AccessDeniedException',
      retryable: false,
      operation: 'LookupEvents',
    });
    expect(trailMock.commandCalls(LookupEventsCommand)).toHaveLength(1);
  });

  it('counts the calls it made when the pass fails, throttled to the end', async () => {
    trailMock
      .on(LookupEventsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), {
      ...fakeClock(),
      retries: 2,
    });
    const failure = adapter.lookupPushes({ days: 7, now: NOW });
    await expect(failure).rejects.toBeInstanceOf(LookupFailedError);
    await expect(failure).rejects.toMatchObject({ code: 'ThrottlingException', calls: 3 });
  });

  it('counts unreadable records, by the repository LookupEvents names when it names one', async () => {
    trailMock.on(LookupEventsCommand).resolves({
      Events: [
        putImage('a', 'latest', 'sha256:1', 1),
        {
          EventName: 'PutImage',
          CloudTrailEvent: JSON.stringify({
            eventName: 'PutImage',
            eventTime: 'x',
            requestParameters: { omitted: true },
          }),
          Resources: [
            { ResourceType: 'AWS::IAM::Role', ResourceName: 'ci' },
            { ResourceType: 'AWS::ECR::Repository', ResourceName: 'shop/web' },
          ],
        },
        { EventName: 'PutImage', CloudTrailEvent: '{not json' },
        { EventName: 'PutImage', Resources: [{ ResourceType: 'AWS::IAM::Role', ResourceName: 'deployer' }] },
      ],
    });
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), fakeClock());
    const result = await adapter.lookupPushes({ days: 7, now: NOW });
    expect(result).toMatchObject({ events: 4, unreadable: 3 });
    expect([...result.unreadableByRepository]).toEqual([['shop/web', 1]]);
  });

  it('stops at the abort signal before its next call, counting the calls made', async () => {
    const interrupt = new AbortController();
    trailMock.on(LookupEventsCommand).callsFake(() => {
      interrupt.abort();
      return { Events: [putImage('a', 'latest', 'sha256:1', 1)], NextToken: 'p2' };
    });
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), fakeClock());
    const failure = adapter.lookupPushes({ days: 7, now: NOW, signal: interrupt.signal });
    await expect(failure).rejects.toMatchObject({ name: 'LookupFailedError', calls: 1 });
    expect(trailMock.commandCalls(LookupEventsCommand)).toHaveLength(1);
  });

  it('fails on a NextToken it was given before instead of paging forever', async () => {
    trailMock.on(LookupEventsCommand).resolves({ Events: [], NextToken: 'same' });
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), fakeClock());
    await expect(adapter.lookupPushes({ days: 7, now: NOW })).rejects.toMatchObject({
      name: 'LookupFailedError',
      service: 'cloudtrail',
      operation: 'LookupEvents',
      code: 'RepeatedPageTokenError',
      retryable: false,
      calls: 2,
    });
  });

  it('passes the abort signal on to each call, so an abort also cancels the request in flight', async () => {
    trailMock.on(LookupEventsCommand).resolves({ Events: [] });
    const interrupt = new AbortController();
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), fakeClock());
    await adapter.lookupPushes({ days: 7, now: NOW, signal: interrupt.signal });
    // The mock's types list the command alone; the client's send takes its options second.
    const sent: readonly unknown[] = trailMock.send.firstCall.args;
    expect(sent[1]).toEqual({ abortSignal: interrupt.signal });
  });

  it('fails the pass naming LookupEvents when the wait between retries fails', async () => {
    trailMock
      .on(LookupEventsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const clock = fakeClock();
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), {
      now: clock.now,
      limiter: createRateLimiter(1000, clock),
      sleep: () => Promise.reject(Object.assign(new Error('interrupted'), { name: 'AbortError' })),
    });
    await expect(adapter.lookupPushes({ days: 7, now: NOW })).rejects.toMatchObject({
      name: 'LookupFailedError',
      service: 'cloudtrail',
      operation: 'LookupEvents',
      code: 'AbortError',
      calls: 1,
    });
  });

  it('waits on real timers when given no clock (the CLI’s adapter)', async () => {
    trailMock
      .on(LookupEventsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }))
      .resolves({ Events: [putImage('a', 'latest', 'sha256:1', 1)] });
    // No backoff and a clock a second ahead at every reading: the waits are of 0 ms, on setTimeout.
    let seconds = 0;
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), {
      random: () => 0,
      now: () => {
        seconds += 1;
        return seconds * 1000;
      },
    });
    expect(await adapter.lookupPushes({ days: 7, now: NOW })).toMatchObject({ events: 1, calls: 2 });
  });

  it.each([
    [1, '2026-11-29T00:00:00Z'],
    [90, '2026-09-01T00:00:00Z'],
  ])('accepts a window of %s days, from %s', async (days, start) => {
    trailMock.on(LookupEventsCommand).resolves({ Events: [] });
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), fakeClock());
    expect(await adapter.lookupPushes({ days, now: NOW })).toMatchObject({ events: 0, calls: 1 });
    expect(trailMock).toHaveReceivedCommandWith(LookupEventsCommand, { StartTime: new Date(start) });
  });

  it.each([0, 91, 1.5])('refuses a window of %s days', async (days) => {
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), fakeClock());
    await expect(adapter.lookupPushes({ days, now: NOW })).rejects.toThrow(/from 1 to 90/);
  });
});

describe('the rate limiter', () => {
  it('lets the first call through at once and spaces the next ones, counting time already passed', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(2, clock);
    await limiter.acquire();
    await clock.sleep(100);
    await limiter.acquire();
    expect(clock.sleeps).toEqual([100, 400]);
  });
});
