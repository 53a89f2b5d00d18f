/**
 * EventBridge rules of the emulator through the real `@aws-sdk/client-eventbridge`: each account and region
 * has its own rules on its default bus; the constraints and error codes are EventBridge's.
 */
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestEmulator, TEST_CREDENTIALS, type TestEmulator } from './helpers.ts';

const MEMBER = '222222222222';
const OTHER = '333333333333';
const BUS = 'arn:aws:events:eu-west-1:111111111111:event-bus/central';
const PATTERN = JSON.stringify({ source: ['aws.ecr'], 'detail-type': ['AWS API Call via CloudTrail'] });

let emulator: TestEmulator;
const clients: EventBridgeClient[] = [];

/** An EventBridge client acting as `account` in `region`. */
function eventsAs(account: string, region = 'eu-west-1'): EventBridgeClient {
  const client = new EventBridgeClient({
    region,
    endpoint: emulator.url,
    credentials: { ...TEST_CREDENTIALS, accessKeyId: `key-${account}` },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  emulator = await startTestEmulator({ accounts: { [`key-${MEMBER}`]: MEMBER, [`key-${OTHER}`]: OTHER } });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await emulator.stop();
});
beforeEach(async () => {
  await emulator.admin.reset();
});

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { name: error.name, message: error.message };
  }
  throw new Error('expected the call to fail');
}

const busTarget = (overrides: Partial<Target> = {}): Target => ({
  Id: 'central',
  Arn: BUS,
  RoleArn: `arn:aws:iam::${MEMBER}:role/forwarding`,
  RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
  ...overrides,
});

describe('PutRule and DescribeRule', () => {
  it('creates a rule on the default bus and describes it with its ARN and state', async () => {
    const events = eventsAs(MEMBER);
    const { RuleArn } = await events.send(
      new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN, Description: 'to the central bus' }),
    );
    expect(RuleArn).toBe(`arn:aws:events:eu-west-1:${MEMBER}:rule/forward`);
    const rule = await events.send(new DescribeRuleCommand({ Name: 'forward' }));
    expect(rule).toMatchObject({
      Name: 'forward',
      Arn: RuleArn,
      EventPattern: PATTERN,
      State: 'ENABLED',
      Description: 'to the central bus',
      EventBusName: 'default',
      CreatedBy: MEMBER,
    });
  });

  it('keeps each account’s and region’s rules apart', async () => {
    await eventsAs(MEMBER).send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    for (const elsewhere of [eventsAs(OTHER), eventsAs(MEMBER, 'us-east-1')]) {
      expect(await failure(elsewhere.send(new DescribeRuleCommand({ Name: 'forward' })))).toEqual({
        name: 'ResourceNotFoundException',
        message: 'Rule forward does not exist on EventBus default.',
      });
    }
  });

  it('takes the default bus by name or by ARN, and no other bus', async () => {
    const events = eventsAs(MEMBER);
    await events.send(
      new PutRuleCommand({
        Name: 'forward',
        EventPattern: PATTERN,
        EventBusName: `arn:aws:events:eu-west-1:${MEMBER}:event-bus/default`,
      }),
    );
    expect(
      await events.send(new DescribeRuleCommand({ Name: 'forward', EventBusName: 'default' })),
    ).toMatchObject({
      Name: 'forward',
    });
    expect(
      await failure(events.send(new DescribeRuleCommand({ Name: 'forward', EventBusName: 'central' }))),
    ).toEqual({ name: 'ResourceNotFoundException', message: 'Event bus central does not exist.' });
  });

  it('replaces the rule’s settings on a second PutRule and keeps its targets', async () => {
    const events = eventsAs(MEMBER);
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    await events.send(new PutTargetsCommand({ Rule: 'forward', Targets: [busTarget()] }));
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN, State: 'DISABLED' }));
    expect((await events.send(new DescribeRuleCommand({ Name: 'forward' }))).State).toBe('DISABLED');
    expect((await events.send(new ListTargetsByRuleCommand({ Rule: 'forward' }))).Targets).toHaveLength(1);
  });

  it.each([
    [
      'a name with a space',
      { Name: 'my rule', EventPattern: PATTERN },
      'ValidationException',
      'regular expression',
    ],
    [
      'a name of 65 characters',
      { Name: 'r'.repeat(65), EventPattern: PATTERN },
      'ValidationException',
      'length',
    ],
    [
      'neither a pattern nor a schedule',
      { Name: 'r' },
      'ValidationException',
      'ScheduleExpression or EventPattern',
    ],
    [
      'a pattern that is not JSON',
      { Name: 'r', EventPattern: '{' },
      'InvalidEventPatternException',
      'not valid',
    ],
    [
      'a pattern value that is not a list',
      { Name: 'r', EventPattern: '{"source":"aws.ecr"}' },
      'InvalidEventPatternException',
      'source',
    ],
    [
      'an unknown state',
      { Name: 'r', EventPattern: PATTERN, State: 'ON' },
      'ValidationException',
      'enum value set',
    ],
  ])('refuses %s with %s', async (_, input, name, message) => {
    const error = await failure(eventsAs(MEMBER).send(new PutRuleCommand(input as never)));
    expect(error.name).toBe(name);
    expect(error.message).toContain(message);
  });
});

describe('EnableRule, DisableRule and DeleteRule', () => {
  it('disables and enables a rule', async () => {
    const events = eventsAs(MEMBER);
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    await events.send(new DisableRuleCommand({ Name: 'forward' }));
    expect((await events.send(new DescribeRuleCommand({ Name: 'forward' }))).State).toBe('DISABLED');
    await events.send(new EnableRuleCommand({ Name: 'forward' }));
    expect((await events.send(new DescribeRuleCommand({ Name: 'forward' }))).State).toBe('ENABLED');
  });

  it('refuses to disable a rule that does not exist', async () => {
    expect(await failure(eventsAs(MEMBER).send(new DisableRuleCommand({ Name: 'missing' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses to delete a rule that still has targets, and deletes it once they are removed', async () => {
    const events = eventsAs(MEMBER);
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    await events.send(new PutTargetsCommand({ Rule: 'forward', Targets: [busTarget()] }));
    expect(await failure(events.send(new DeleteRuleCommand({ Name: 'forward' })))).toEqual({
      name: 'ValidationException',
      message: "Rule can't be deleted since it has targets.",
    });
    await events.send(new RemoveTargetsCommand({ Rule: 'forward', Ids: ['central'] }));
    await events.send(new DeleteRuleCommand({ Name: 'forward' }));
    expect(await failure(events.send(new DescribeRuleCommand({ Name: 'forward' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    // Deleting it again succeeds, as in EventBridge.
    await expect(events.send(new DeleteRuleCommand({ Name: 'forward' }))).resolves.toBeDefined();
  });
});

describe('PutTargets, ListTargetsByRule and RemoveTargets', () => {
  it('stores a bus target with its role and retry policy and lists it as given', async () => {
    const events = eventsAs(MEMBER);
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    const put = await events.send(new PutTargetsCommand({ Rule: 'forward', Targets: [busTarget()] }));
    expect(put).toMatchObject({ FailedEntryCount: 0, FailedEntries: [] });
    expect((await events.send(new ListTargetsByRuleCommand({ Rule: 'forward' }))).Targets).toEqual([
      busTarget(),
    ]);
  });

  it('replaces a target with the same id and pages the targets', async () => {
    const events = eventsAs(MEMBER);
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    await events.send(
      new PutTargetsCommand({
        Rule: 'forward',
        Targets: ['a', 'b', 'c'].map((Id) => busTarget({ Id })),
      }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: 'forward', Targets: [busTarget({ Id: 'b', Arn: `${BUS}2` })] }),
    );
    const first = await events.send(new ListTargetsByRuleCommand({ Rule: 'forward', Limit: 2 }));
    expect(first.Targets?.map((target) => target.Id)).toEqual(['a', 'b']);
    expect(first.Targets?.[1]?.Arn).toBe(`${BUS}2`);
    const second = await events.send(
      new ListTargetsByRuleCommand({ Rule: 'forward', Limit: 2, NextToken: first.NextToken }),
    );
    expect(second.Targets?.map((target) => target.Id)).toEqual(['c']);
    expect(second.NextToken).toBeUndefined();
  });

  it('refuses a sixth target on a rule with LimitExceededException', async () => {
    const events = eventsAs(MEMBER);
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    await events.send(
      new PutTargetsCommand({
        Rule: 'forward',
        Targets: [1, 2, 3, 4, 5].map((n) => busTarget({ Id: `t${n}` })),
      }),
    );
    expect(
      await failure(
        events.send(new PutTargetsCommand({ Rule: 'forward', Targets: [busTarget({ Id: 't6' })] })),
      ),
    ).toMatchObject({ name: 'LimitExceededException' });
  });

  it.each([
    [
      'a retry attempt count over 185',
      busTarget({ RetryPolicy: { MaximumRetryAttempts: 186 } }),
      'less than or equal to 185',
    ],
    [
      'an event age under 60 seconds',
      busTarget({ RetryPolicy: { MaximumEventAgeInSeconds: 59 } }),
      'greater than or equal to 60',
    ],
    ['an id with a slash', busTarget({ Id: 'a/b' }), 'regular expression'],
    ['an ARN that is not one', busTarget({ Arn: 'central' }), 'not in correct format'],
  ])('refuses %s with ValidationException', async (_, target, message) => {
    const events = eventsAs(MEMBER);
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    const error = await failure(events.send(new PutTargetsCommand({ Rule: 'forward', Targets: [target] })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain(message);
  });

  it('refuses targets for a rule that does not exist', async () => {
    expect(
      await failure(
        eventsAs(MEMBER).send(new PutTargetsCommand({ Rule: 'missing', Targets: [busTarget()] })),
      ),
    ).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(
      await failure(eventsAs(MEMBER).send(new ListTargetsByRuleCommand({ Rule: 'missing' }))),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('removes the targets it has and reports the ids it does not have', async () => {
    const events = eventsAs(MEMBER);
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    await events.send(new PutTargetsCommand({ Rule: 'forward', Targets: [busTarget()] }));
    const removed = await events.send(
      new RemoveTargetsCommand({ Rule: 'forward', Ids: ['central', 'other'] }),
    );
    expect(removed).toEqual({
      $metadata: expect.anything(),
      FailedEntryCount: 1,
      FailedEntries: [
        {
          TargetId: 'other',
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: 'Target other does not exist on rule forward.',
        },
      ],
    });
    expect((await events.send(new ListTargetsByRuleCommand({ Rule: 'forward' }))).Targets).toEqual([]);
  });
});

describe('the rules and the emulator', () => {
  it('counts the calls per account in the stats and forgets the rules on reset', async () => {
    const events = eventsAs(MEMBER);
    await events.send(new PutRuleCommand({ Name: 'forward', EventPattern: PATTERN }));
    await failure(events.send(new DescribeRuleCommand({ Name: 'missing' })));
    const { operations } = await emulator.admin.stats({ account: MEMBER });
    expect(operations.PutRule).toEqual({ calls: 1, ok: 1, errors: {} });
    expect(operations.DescribeRule).toEqual({ calls: 1, ok: 0, errors: { ResourceNotFoundException: 1 } });
    await emulator.admin.reset();
    expect(await failure(events.send(new DescribeRuleCommand({ Name: 'forward' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('answers an injected fault on DescribeRule with EventBridge’s own error', async () => {
    await emulator.admin.faults({ DescribeRule: { accessDenied: true } }, { account: MEMBER });
    expect(await failure(eventsAs(MEMBER).send(new DescribeRuleCommand({ Name: 'forward' })))).toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});
