import { createServer, type IncomingMessage, type Server } from 'node:http';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import {
  type CloudTrailClient,
  type Event,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  PutImageCommand,
  PutImageTagMutabilityCommand,
} from '@aws-sdk/client-ecr';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from '../../emulator/index.ts';
import { CloudTrailDetailSchema, EcrEventEnvelopeSchema, interpretEvent } from '../../lib/events.ts';
import { loadReferenceEvent, referenceEventsAvailable } from '../helpers/fixtures.ts';
import {
  cloudTrailClient,
  ecrClient,
  ecrClientWith,
  manifestFor,
  sha256Digest,
  startTestEmulator,
  stsClient,
  type TestEmulator,
} from './helpers.ts';

const ACCOUNT = '123456789012';
const START = Date.parse('2026-06-01T12:00:00Z');
const POLICY = { target: { mutability: 'IMMUTABLE', exclusionFilters: [] } } as const;

/** A clock the test moves by hand. */
function manualClock(startMs = START): { now: () => number; advance(ms: number): void } {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return { name: error.name, message: error.message };
    throw error;
  }
  throw new Error('expected the call to fail');
}

function record(event: Event | undefined): Record<string, unknown> {
  const parsed: unknown = JSON.parse(event?.CloudTrailEvent ?? 'null');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('CloudTrailEvent is not a JSON object');
  return { ...parsed };
}

async function lookupAll(client: CloudTrailClient, input: LookupEventsCommandInput = {}) {
  const events: Event[] = [];
  let NextToken: string | undefined;
  let calls = 0;
  do {
    const page = await client.send(
      new LookupEventsCommand({ ...input, ...(NextToken === undefined ? {} : { NextToken }) }),
    );
    events.push(...(page.Events ?? []));
    NextToken = page.NextToken;
    calls += 1;
  } while (NextToken !== undefined);
  return { events, calls };
}

describe('the trail of ECR calls', () => {
  let emulator: TestEmulator;
  let trail: CloudTrailClient;
  const clock = manualClock();

  beforeAll(async () => {
    emulator = await startTestEmulator({ now: clock.now });
    trail = cloudTrailClient(emulator.url);
  });
  afterAll(async () => {
    trail.destroy();
    await emulator.stop();
  });
  beforeEach(async () => {
    await emulator.admin.reset();
  });

  it('records a successful push and a refused one, with the caller, source IP, request id and error', async () => {
    await emulator.ecr.send(
      new CreateRepositoryCommand({ repositoryName: 'app', imageTagMutability: 'IMMUTABLE' }),
    );
    clock.advance(1000);
    const put = await emulator.ecr.send(
      new PutImageCommand({ repositoryName: 'app', imageManifest: manifestFor('a'), imageTag: 'latest' }),
    );
    clock.advance(1000);
    await rejection(
      emulator.ecr.send(
        new PutImageCommand({ repositoryName: 'app', imageManifest: manifestFor('b'), imageTag: 'latest' }),
      ),
    );
    const { Events } = await trail.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutImage' }],
      }),
    );
    expect(Events?.map((event) => event.EventName)).toEqual(['PutImage', 'PutImage']);
    const [refused, accepted] = (Events ?? []).map(record);
    expect(refused).toMatchObject({
      eventSource: 'ecr.amazonaws.com',
      eventName: 'PutImage',
      awsRegion: 'us-east-1',
      errorCode: 'ImageTagAlreadyExistsException',
      errorMessage:
        "The image tag 'latest' already exists in the 'app' repository and cannot be overwritten because the repository is immutable.",
      sourceIPAddress: '127.0.0.1',
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/emulator`, accessKeyId: 'test' },
      requestParameters: { repositoryName: 'app', imageTag: 'latest', imageManifest: manifestFor('b') },
      responseElements: null,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      resources: [{ ARN: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`, accountId: ACCOUNT }],
    });
    expect(accepted).toMatchObject({
      requestID: put.$metadata.requestId,
      eventTime: '2026-06-01T12:00:01Z',
      responseElements: {
        image: { imageId: { imageDigest: sha256Digest(manifestFor('a')), imageTag: 'latest' } },
      },
    });
    expect(accepted).not.toHaveProperty('errorCode');
    expect(Events?.[1]).toMatchObject({
      ReadOnly: 'false',
      AccessKeyId: 'test',
      Username: 'emulator',
      EventSource: 'ecr.amazonaws.com',
      EventTime: new Date('2026-06-01T12:00:01Z'),
      Resources: [{ ResourceType: 'AWS::ECR::Repository', ResourceName: 'app' }],
    });
  });

  it('records read-only calls as readOnly with no responseElements, but not LookupEvents nor control routes', async () => {
    await emulator.ecr.send(new DescribeRepositoriesCommand({}));
    await emulator.admin.seed({ repositories: [{ name: 'seeded' }] });
    await trail.send(new LookupEventsCommand({}));
    const { events } = await lookupAll(trail);
    expect(events.map((event) => [event.EventName, event.ReadOnly])).toEqual([
      ['DescribeRepositories', 'true'],
    ]);
    expect(record(events[0])).toMatchObject({ readOnly: true, responseElements: null });
  });

  it('keeps each account and region apart', async () => {
    const west = ecrClient(emulator.url, { region: 'eu-west-1' });
    await west.send(new CreateRepositoryCommand({ repositoryName: 'west-only' }));
    west.destroy();
    expect((await lookupAll(trail)).events).toEqual([]);
    const westTrail = cloudTrailClient(emulator.url, { region: 'eu-west-1' });
    const { events } = await lookupAll(westTrail);
    westTrail.destroy();
    expect(events.map((event) => event.EventName)).toEqual(['CreateRepository']);
    expect(record(events[0])).toMatchObject({ awsRegion: 'eu-west-1' });
  });

  describe('LookupEvents', () => {
    const eventIds: string[] = [];
    let base = 0;
    beforeEach(async () => {
      base = clock.now();
      // Five calls, one second apart: 3 creations, a tag mutability change, a describe.
      for (const name of ['one', 'two', 'three']) {
        clock.advance(1000);
        await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
      }
      clock.advance(1000);
      await emulator.ecr.send(
        new PutImageTagMutabilityCommand({ repositoryName: 'two', imageTagMutability: 'IMMUTABLE' }),
      );
      clock.advance(1000);
      await emulator.ecr.send(new DescribeRepositoriesCommand({}));
      eventIds.length = 0;
      eventIds.push(...(await lookupAll(trail)).events.map((event) => event.EventId ?? ''));
    });

    it('returns events newest first, paged by MaxResults and NextToken without repeats', async () => {
      const { events, calls } = await lookupAll(trail, { MaxResults: 2 });
      expect(calls).toBe(3);
      expect(events.map((event) => event.EventName)).toEqual([
        'DescribeRepositories',
        'PutImageTagMutability',
        'CreateRepository',
        'CreateRepository',
        'CreateRepository',
      ]);
      expect(events.map((event) => event.Resources?.[0]?.ResourceName)).toEqual([
        undefined,
        'two',
        'three',
        'two',
        'one',
      ]);
      expect(events.map((event) => event.EventId)).toEqual(eventIds);
    });

    it('keeps paging stable while new calls arrive', async () => {
      const first = await trail.send(new LookupEventsCommand({ MaxResults: 2 }));
      clock.advance(1000);
      await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: 'late' }));
      const rest = await lookupAll(trail, {
        MaxResults: 2,
        ...(first.NextToken ? { NextToken: first.NextToken } : {}),
      });
      expect([...(first.Events ?? []), ...rest.events].map((event) => event.EventId)).toEqual(eventIds);
    });

    it.each([
      ['EventName', 'CreateRepository', 3],
      ['ResourceName', 'two', 2],
      ['ResourceType', 'AWS::ECR::Repository', 4],
      ['ReadOnly', 'true', 1],
      ['ReadOnly', 'false', 4],
      ['Username', 'emulator', 5],
      ['Username', 'someone-else', 0],
      ['EventSource', 'ecr.amazonaws.com', 5],
      ['AccessKeyId', 'test', 5],
    ] as const)('filters by %s = %s (%i events)', async (AttributeKey, AttributeValue, count) => {
      const { events } = await lookupAll(trail, { LookupAttributes: [{ AttributeKey, AttributeValue }] });
      expect(events).toHaveLength(count);
    });

    it('finds one event by EventId', async () => {
      const wanted = eventIds[2] ?? '';
      const { events } = await lookupAll(trail, {
        LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: wanted }],
      });
      expect(events.map((event) => event.EventId)).toEqual([wanted]);
    });

    it('limits events to StartTime..EndTime (inclusive)', async () => {
      const { events } = await lookupAll(trail, {
        StartTime: new Date(base + 2000),
        EndTime: new Date(base + 4000),
      });
      expect(events.map((event) => event.EventTime?.getTime())).toEqual([
        base + 4000,
        base + 3000,
        base + 2000,
      ]);
    });

    it.each([
      [
        'two lookup attributes',
        {
          LookupAttributes: [
            { AttributeKey: 'EventName', AttributeValue: 'PutImage' },
            { AttributeKey: 'Username', AttributeValue: 'x' },
          ],
        },
        'InvalidLookupAttributesException',
      ],
      ['MaxResults 0', { MaxResults: 0 }, 'InvalidMaxResultsException'],
      ['MaxResults 51', { MaxResults: 51 }, 'InvalidMaxResultsException'],
      [
        'StartTime after EndTime',
        { StartTime: new Date(START + 5000), EndTime: new Date(START) },
        'InvalidTimeRangeException',
      ],
      ['a forged NextToken', { NextToken: 'forged.token' }, 'InvalidNextTokenException'],
    ] as const)('refuses %s', async (_name, input, code) => {
      const error = await rejection(trail.send(new LookupEventsCommand(input as LookupEventsCommandInput)));
      expect(error.name).toBe(code);
    });

    it('answers no events for EventCategory insight (no Insights are recorded)', async () => {
      expect((await trail.send(new LookupEventsCommand({ EventCategory: 'insight' }))).Events).toEqual([]);
    });

    it('refuses a NextToken issued for other lookup attributes', async () => {
      const page = await trail.send(new LookupEventsCommand({ MaxResults: 1 }));
      const error = await rejection(
        trail.send(
          new LookupEventsCommand({
            MaxResults: 1,
            LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateRepository' }],
            ...(page.NextToken ? { NextToken: page.NextToken } : {}),
          }),
        ),
      );
      expect(error.name).toBe('InvalidNextTokenException');
    });
  });
});

describe('the caller of an assumed-role session', () => {
  it('is recorded as AssumedRole with the session ARN, its issuer, and the session name as Username', async () => {
    const MANAGEMENT = '111111111111';
    const MEMBER = '222222222222';
    const emulator = await startTestEmulator({
      organization: {
        organization: { managementAccount: MANAGEMENT },
        accounts: [{ id: MANAGEMENT, accessKeyIds: ['management-key'] }, { id: MEMBER }],
        roles: [{ account: MEMBER, name: 'Deployer', trustedPrincipals: [MANAGEMENT] }],
      },
    });
    const sts = stsClient(emulator.url, { accessKeyId: 'management-key', secretAccessKey: 'x' });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${MEMBER}:role/Deployer`,
        RoleSessionName: 'ci-run-42',
      }),
    );
    const credentials = {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
    };
    const ecr = ecrClientWith(emulator.url, credentials);
    const trail = cloudTrailClient(emulator.url, { credentials });
    try {
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'member-app' }));
      const { events } = await lookupAll(trail, {
        LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'ci-run-42' }],
      });
      expect(events).toHaveLength(1);
      expect(events[0]?.AccessKeyId).toBe(credentials.accessKeyId);
      expect(record(events[0])).toMatchObject({
        recipientAccountId: MEMBER,
        userIdentity: {
          type: 'AssumedRole',
          arn: `arn:aws:sts::${MEMBER}:assumed-role/Deployer/ci-run-42`,
          accountId: MEMBER,
          accessKeyId: credentials.accessKeyId,
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              arn: `arn:aws:iam::${MEMBER}:role/Deployer`,
              userName: 'Deployer',
            },
          },
        },
      });
    } finally {
      sts.destroy();
      ecr.destroy();
      trail.destroy();
      await emulator.stop();
    }
  });
});

describe('the LookupEvents throttle', () => {
  it('allows CloudTrail 2 requests per second per account and region when switched on', async () => {
    const clock = manualClock();
    const emulator = await startTestEmulator({ now: clock.now, lookupEventsThrottle: true });
    const trail = cloudTrailClient(emulator.url);
    const west = cloudTrailClient(emulator.url, { region: 'eu-west-1' });
    try {
      await trail.send(new LookupEventsCommand({}));
      await trail.send(new LookupEventsCommand({}));
      expect((await rejection(trail.send(new LookupEventsCommand({})))).name).toBe('ThrottlingException');
      await west.send(new LookupEventsCommand({}));
      clock.advance(500);
      await trail.send(new LookupEventsCommand({}));
      expect((await rejection(trail.send(new LookupEventsCommand({})))).name).toBe('ThrottlingException');
      const stats = await emulator.admin.stats({ account: ACCOUNT, region: 'us-east-1' });
      expect(stats.operations.LookupEvents).toEqual({ calls: 5, ok: 3, errors: { ThrottlingException: 2 } });
    } finally {
      trail.destroy();
      west.destroy();
      await emulator.stop();
    }
  });

  it('is off by default, and can also be set through the faults route', async () => {
    const emulator = await startTestEmulator();
    const trail = cloudTrailClient(emulator.url);
    try {
      for (let index = 0; index < 5; index++) await trail.send(new LookupEventsCommand({}));
      await emulator.admin.faults({ LookupEvents: { throttle: { tps: 0.001, burst: 1 } } });
      await trail.send(new LookupEventsCommand({}));
      expect((await rejection(trail.send(new LookupEventsCommand({})))).name).toBe('ThrottlingException');
    } finally {
      trail.destroy();
      await emulator.stop();
    }
  });
});

describe('fields CloudTrail truncates', () => {
  it('replaces a requestParameters or responseElements longer than trailFieldLimitBytes by {"omitted": true}', async () => {
    const emulator = await startTestEmulator({ trailFieldLimitBytes: 2000 });
    const trail = cloudTrailClient(emulator.url);
    try {
      await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
      const small = manifestFor('small');
      // The request fits; the response (the manifest again, with the digest and media type) does not.
      const request = { repositoryName: 'app', imageTag: 'mid', imageManifest: '' };
      const pad =
        1990 - Buffer.byteLength(JSON.stringify(request)) - Buffer.byteLength(JSON.stringify(small));
      const mid = JSON.stringify({ ...JSON.parse(small), annotations: { pad: 'x'.repeat(pad - 30) } });
      const large = JSON.stringify({ ...JSON.parse(small), annotations: { pad: 'x'.repeat(3000) } });
      await emulator.ecr.send(
        new PutImageCommand({ repositoryName: 'app', imageTag: 'small', imageManifest: small }),
      );
      await emulator.ecr.send(
        new PutImageCommand({ repositoryName: 'app', imageTag: 'mid', imageManifest: mid }),
      );
      await emulator.ecr.send(
        new PutImageCommand({ repositoryName: 'app', imageTag: 'large', imageManifest: large }),
      );

      const { events } = await lookupAll(trail, {
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutImage' }],
      });
      const [largeRecord, midRecord, smallRecord] = events.map(record);
      expect(smallRecord?.requestParameters).toMatchObject({ imageTag: 'small' });
      expect(smallRecord?.responseElements).toMatchObject({ image: { imageId: { imageTag: 'small' } } });
      expect(midRecord?.requestParameters).toMatchObject({ repositoryName: 'app', imageTag: 'mid' });
      expect(midRecord?.responseElements).toEqual({ omitted: true });
      expect(largeRecord?.requestParameters).toEqual({ omitted: true });
      expect(largeRecord?.responseElements).toEqual({ omitted: true });
      // LookupEvents still names the repository of a record whose parameters were omitted.
      expect(events[0]?.Resources).toEqual([{ ResourceType: 'AWS::ECR::Repository', ResourceName: 'app' }]);
    } finally {
      trail.destroy();
      await emulator.stop();
    }
  });

  it('keeps every field whole by default, and refuses a limit that is not a positive integer', async () => {
    const emulator = await startTestEmulator();
    const trail = cloudTrailClient(emulator.url);
    try {
      await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
      const large = JSON.stringify({
        ...JSON.parse(manifestFor('x')),
        annotations: { pad: 'x'.repeat(300_000) },
      });
      await emulator.ecr.send(
        new PutImageCommand({ repositoryName: 'app', imageTag: 'v1', imageManifest: large }),
      );
      const { events } = await lookupAll(trail, {
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutImage' }],
      });
      expect(record(events[0]).requestParameters).toMatchObject({ imageManifest: large });
    } finally {
      trail.destroy();
      await emulator.stop();
    }
    await expect(startTestEmulator({ trailFieldLimitBytes: 0 })).rejects.toThrow(
      'trailFieldLimitBytes must be a positive integer',
    );
  });
});

describe('seeded past pushes', () => {
  it('create the images and the PutImage records at their own times, by their actors', async () => {
    const clock = manualClock(Date.parse('2026-06-30T00:00:00Z'));
    const emulator = await startTestEmulator({ now: clock.now });
    const trail = cloudTrailClient(emulator.url);
    const ci = `arn:aws:sts::${ACCOUNT}:assumed-role/ci/build-7`;
    try {
      const result = await emulator.admin.seed({
        repositories: [{ name: 'moving' }, { name: 'steady', imageTagMutability: 'IMMUTABLE' }],
        pushes: [
          {
            repositoryName: 'moving',
            tag: 'latest',
            manifest: manifestFor('m2'),
            at: '2026-06-20T10:00:00Z',
            actor: ci,
          },
          {
            repositoryName: 'moving',
            tag: 'latest',
            manifest: manifestFor('m1'),
            at: '2026-06-10T10:00:00Z',
          },
          {
            repositoryName: 'steady',
            tag: 'v1',
            digest: `sha256:${'a'.repeat(64)}`,
            at: '2026-06-15T08:00:00Z',
          },
          {
            repositoryName: 'steady',
            tag: 'v1',
            at: '2026-06-16T08:00:00Z',
            actor: ci,
            errorCode: 'ImageTagAlreadyExistsException',
          },
          { repositoryName: 'steady', tag: 'ancient', at: '2026-01-01T00:00:00Z' },
        ],
      });
      expect(result.pushes).toEqual({ recorded: 5, failed: 1 });
      const moving = await emulator.ecr.send(new DescribeImagesCommand({ repositoryName: 'moving' }));
      expect(moving.imageDetails?.map((image) => [image.imageDigest, image.imageTags])).toEqual([
        [sha256Digest(manifestFor('m1')), undefined],
        [sha256Digest(manifestFor('m2')), ['latest']],
      ]);
      const steady = await emulator.ecr.send(
        new DescribeImagesCommand({ repositoryName: 'steady', imageIds: [{ imageTag: 'v1' }] }),
      );
      expect(steady.imageDetails?.[0]?.imageDigest).toBe(`sha256:${'a'.repeat(64)}`);
      expect(steady.imageDetails?.[0]?.imagePushedAt).toEqual(new Date('2026-06-15T08:00:00Z'));

      // LookupEvents sees 90 days: the January push is in the images, not in the lookup.
      const { events } = await lookupAll(trail, {
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'PutImage' }],
      });
      expect(events.map((event) => [event.EventTime?.toISOString(), event.Username])).toEqual([
        ['2026-06-20T10:00:00.000Z', 'build-7'],
        ['2026-06-16T08:00:00.000Z', 'build-7'],
        ['2026-06-15T08:00:00.000Z', 'emulator'],
        ['2026-06-10T10:00:00.000Z', 'emulator'],
      ]);
      expect(record(events[1])).toMatchObject({
        errorCode: 'ImageTagAlreadyExistsException',
        userIdentity: { type: 'AssumedRole', arn: ci },
        requestParameters: { repositoryName: 'steady', imageTag: 'v1' },
      });
      const window = await lookupAll(trail, {
        StartTime: new Date('2026-06-12T00:00:00Z'),
        EndTime: new Date('2026-06-16T00:00:00Z'),
      });
      expect(window.events.map((event) => event.EventTime?.toISOString())).toEqual([
        '2026-06-15T08:00:00.000Z',
      ]);
    } finally {
      trail.destroy();
      await emulator.stop();
    }
  });

  it('refuses a push into a repository that does not exist, naming it, and seeds nothing', async () => {
    const emulator = await startTestEmulator();
    try {
      await expect(
        emulator.admin.seed({ pushes: [{ repositoryName: 'ghost', tag: 'x', at: '2026-06-01T00:00:00Z' }] }),
      ).rejects.toThrow(/ghost/);
      expect((await emulator.admin.trail()).count).toBe(0);
    } finally {
      await emulator.stop();
    }
  });
});

/** The same top-level members, and every member of the reference's detail, with the same JSON types. */
function expectSameShape(event: Record<string, unknown>, reference: Record<string, unknown>): void {
  expect(Object.keys(event).sort()).toEqual(Object.keys(reference).sort());
  const detail = event.detail;
  const referenceDetail = reference.detail;
  if (
    typeof detail !== 'object' ||
    detail === null ||
    typeof referenceDetail !== 'object' ||
    referenceDetail === null
  )
    throw new Error('detail must be an object');
  for (const [key, value] of Object.entries(referenceDetail)) {
    expect(detail, `detail.${key}`).toHaveProperty(key);
    const mine: unknown = Reflect.get(detail, key);
    const kind = (member: unknown) =>
      member === null ? 'null' : Array.isArray(member) ? 'array' : typeof member;
    // The reference eventVersion is 1.04; the emulator writes 1.08 (same type, newer members).
    expect(`${key}: ${kind(mine)}`).toBe(`${key}: ${kind(value)}`);
  }
}

describe('event delivery', () => {
  let emulator: TestEmulator;
  const delivered: Array<Record<string, unknown>> = [];
  let release: (() => void) | undefined;

  beforeAll(async () => {
    const options: EmulatorOptions = {
      delivery: {
        callback: async (event) => {
          if (release === undefined && delivered.length === 0 && event.region === 'eu-central-1') {
            await new Promise<void>((resolve) => {
              release = resolve;
            });
          }
          if (event.region === 'ap-south-1') throw new Error('target down');
          delivered.push(event);
        },
      },
    };
    emulator = await startTestEmulator(options);
  });
  afterAll(async () => {
    await emulator.stop();
  });
  beforeEach(async () => {
    await emulator.admin.reset();
    delivered.length = 0;
  });

  it('delivers write calls, failed ones included, but no read-only calls (failed or not) as CloudTrail EventBridge events', async () => {
    await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
    await emulator.ecr.send(new DescribeRepositoriesCommand({}));
    await rejection(emulator.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })));
    await emulator.ecr.send(
      new PutImageCommand({ repositoryName: 'app', imageManifest: manifestFor('a'), imageTag: 'v1' }),
    );
    await emulator.ecr.send(
      new PutImageTagMutabilityCommand({ repositoryName: 'app', imageTagMutability: 'IMMUTABLE' }),
    );
    await rejection(
      emulator.ecr.send(
        new PutImageCommand({ repositoryName: 'app', imageManifest: manifestFor('b'), imageTag: 'v1' }),
      ),
    );
    await emulator.emulator.deliveries.idle();
    expect(
      delivered.map((event) => [
        Reflect.get(Object(event.detail), 'eventName'),
        Reflect.get(Object(event.detail), 'errorCode'),
      ]),
    ).toEqual([
      ['CreateRepository', undefined],
      ['PutImage', undefined],
      ['PutImageTagMutability', undefined],
      ['PutImage', 'ImageTagAlreadyExistsException'],
    ]);
    expect((await emulator.admin.stats()).deliveries).toEqual({ delivered: 4, failed: 0, pending: 0 });
    // Every delivered event, the blocked overwrite included, is one the guardrail's parser reads.
    for (const event of delivered) expect(() => interpretEvent(event, POLICY)).not.toThrow();
  });

  it.skipIf(!referenceEventsAvailable())(
    'delivers events the guardrail accepts, shaped like the reference events (skipped without ../shared/reference-events)',
    async () => {
      await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
      await emulator.ecr.send(
        new PutImageCommand({ repositoryName: 'app', imageManifest: manifestFor('a'), imageTag: 'v1' }),
      );
      await emulator.ecr.send(
        new PutImageTagMutabilityCommand({ repositoryName: 'app', imageTagMutability: 'IMMUTABLE' }),
      );
      await emulator.ecr.send(
        new PutImageTagMutabilityCommand({
          repositoryName: 'app',
          imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filter: 'release-*', filterType: 'WILDCARD' }],
        }),
      );
      await emulator.emulator.deliveries.idle();
      const [created, pushed, locked, loosened] = delivered;
      expect(created).toMatchObject({
        version: '0',
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.ecr',
        account: ACCOUNT,
        region: 'us-east-1',
        resources: [],
      });
      expect(created?.time).toBe(Reflect.get(Object(created?.detail), 'eventTime'));
      expectSameShape(created ?? {}, loadReferenceEvent('createrepository-cloudtrail-docs-wrapped.json'));
      expectSameShape(pushed ?? {}, loadReferenceEvent('putimage-cloudtrail-docs-wrapped.json'));
      // The checks the reference events pass (test/unit/events.test.ts): Powertools' envelope, ours, the detail.
      for (const event of delivered) {
        expect(EventBridgeSchema.safeParse(event).success).toBe(true);
        expect(EcrEventEnvelopeSchema.safeParse(event).success).toBe(true);
        expect(CloudTrailDetailSchema.safeParse(event.detail).success).toBe(true);
      }

      const interpretedCreation = interpretEvent(created, POLICY);
      expect(interpretedCreation.kind).toBe('target');
      if (interpretedCreation.kind === 'target') {
        expect(interpretedCreation.target).toMatchObject({
          registryId: ACCOUNT,
          region: 'us-east-1',
          repositoryName: 'app',
          isCreation: true,
          context: {
            eventName: 'CreateRepository',
            actor: `arn:aws:iam::${ACCOUNT}:user/emulator`,
            sourceIp: '127.0.0.1',
          },
        });
      }
      expect(interpretEvent(pushed, POLICY).kind).toBe('ignored');
      expect(interpretEvent(locked, POLICY).kind).toBe('ignored');
      expect(interpretEvent(loosened, POLICY)).toMatchObject({
        kind: 'target',
        target: { isCreation: false },
      });
    },
  );

  it('does not hold up the ECR response while the target is busy, and counts failed deliveries', async () => {
    const central = ecrClient(emulator.url, { region: 'eu-central-1' });
    const south = ecrClient(emulator.url, { region: 'ap-south-1' });
    try {
      await central.send(new CreateRepositoryCommand({ repositoryName: 'slow' }));
      expect((await emulator.admin.stats()).deliveries).toMatchObject({ pending: 1, delivered: 0 });
      await south.send(new CreateRepositoryCommand({ repositoryName: 'failing' }));
      release?.();
      await emulator.emulator.deliveries.idle();
      expect((await emulator.admin.stats()).deliveries).toEqual({
        delivered: 1,
        failed: 1,
        pending: 0,
        lastError: 'target down',
      });
    } finally {
      central.destroy();
      south.destroy();
    }
  });
});

describe('event delivery to a URL', () => {
  let emulator: TestEmulator;
  let target: Server;
  let targetUrl = '';
  const bodies: unknown[] = [];

  const readJson = (request: IncomingMessage): Promise<unknown> =>
    new Promise((resolveBody, reject) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => resolveBody(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      request.on('error', reject);
    });

  beforeAll(async () => {
    target = createServer((request, response) => {
      readJson(request)
        .then((body) => {
          bodies.push(body);
          response.writeHead(request.url === '/broken' ? 500 : 200).end();
        })
        .catch(() => response.writeHead(400).end());
    });
    await new Promise<void>((listening) => target.listen(0, '127.0.0.1', listening));
    const address = target.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    targetUrl = `http://127.0.0.1:${address.port}`;
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await emulator.stop();
    await new Promise<void>((closed) => target.close(() => closed()));
  });
  afterEach(async () => {
    await emulator.admin.stopDelivery();
    await emulator.admin.reset();
    bodies.length = 0;
  });

  it('POSTs each event to a loopback URL set through the control route', async () => {
    await emulator.admin.deliverTo({ url: `${targetUrl}/events` });
    await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: 'posted' }));
    await emulator.ecr.send(new DescribeRepositoriesCommand({}));
    await emulator.emulator.deliveries.idle();
    expect(bodies).toHaveLength(1);
    expect(interpretEvent(bodies[0], POLICY).kind).toBe('target');
    expect((await emulator.admin.stats()).deliveries).toEqual({ delivered: 1, failed: 0, pending: 0 });
  });

  it('delivers read-only calls too when asked', async () => {
    await emulator.admin.deliverTo({ url: `${targetUrl}/events`, includeReadOnly: true });
    await emulator.ecr.send(new DescribeRepositoriesCommand({}));
    await emulator.emulator.deliveries.idle();
    expect(bodies).toMatchObject([{ detail: { eventName: 'DescribeRepositories', readOnly: true } }]);
  });

  it('counts an HTTP error answer as a failed delivery', async () => {
    await emulator.admin.deliverTo({ url: `${targetUrl}/broken` });
    await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: 'xx' }));
    await emulator.emulator.deliveries.idle();
    expect((await emulator.admin.stats()).deliveries).toMatchObject({ delivered: 0, failed: 1 });
  });

  it.each(['http://example.com/events', 'file:///tmp/x', 'not a url'])(
    'refuses the target %s',
    async (url) => {
      await expect(emulator.admin.deliverTo({ url })).rejects.toThrow(/loopback|not a URL/);
    },
  );
});
