/**
 * The guard's footprint in a member account-region: the verdict over the forwarding rule as read
 * (lib/forwarding.ts, table-driven and property-based), and the adapter that reads it over a mocked
 * EventBridge client (lib/forwarding-rule.ts).
 */
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  assessForwarding,
  FORWARDING_RULE_NAME,
  type ForwardingRuleFacts,
  unreadableForwarding,
} from '../../lib/forwarding.ts';
import { createForwardingRuleReader } from '../../lib/forwarding-rule.ts';
import { FORWARDING_RULE_ACTIONS } from '../../lib/iam-actions.ts';

const BUS = 'arn:aws:events:eu-west-1:111111111111:event-bus/central';

describe('assessForwarding', () => {
  it.each<[string, ForwardingRuleFacts, string | undefined]>([
    [
      'an enabled rule targeting the central bus',
      { exists: true, state: 'ENABLED', targetArns: [BUS] },
      undefined,
    ],
    [
      'a rule that also sees read-only management events',
      { exists: true, state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS', targetArns: ['arn:x', BUS] },
      undefined,
    ],
    ['a deleted rule', { exists: false }, `the forwarding rule ${FORWARDING_RULE_NAME} does not exist`],
    ['a disabled rule', { exists: true, state: 'DISABLED', targetArns: [BUS] }, 'is DISABLED, not ENABLED'],
    ['a rule of unknown state', { exists: true, state: undefined, targetArns: [BUS] }, 'in an unknown state'],
    [
      'a rule without targets',
      { exists: true, state: 'ENABLED', targetArns: [] },
      'targets no target, not the central bus',
    ],
    [
      'a rule pointed elsewhere',
      { exists: true, state: 'ENABLED', targetArns: [`${BUS}-old`] },
      `targets ${BUS}-old, not the central bus ${BUS}`,
    ],
  ])('judges %s', (_, facts, reason) => {
    const check = assessForwarding(facts, BUS);
    if (reason === undefined) expect(check).toEqual({ status: 'guarded' });
    else expect(check).toEqual({ status: 'unguarded', reason: expect.stringContaining(reason) });
  });

  it('is guarded exactly when the rule exists, delivers and targets the bus', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.option(
          fc.constantFrom('ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS', 'X'),
          {
            nil: undefined,
          },
        ),
        fc.array(fc.constantFrom(BUS, 'arn:aws:sqs:eu-west-1:1:q', `${BUS}2`), { maxLength: 4 }),
        (exists, state, targetArns) => {
          const check = assessForwarding(exists ? { exists, state, targetArns } : { exists }, BUS);
          const guarded =
            exists &&
            (state === 'ENABLED' || state === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS') &&
            targetArns.includes(BUS);
          expect(check.status).toBe(guarded ? 'guarded' : 'unguarded');
        },
      ),
    );
  });

  it('counts a rule that could not be read as unguarded, saying why', () => {
    expect(unreadableForwarding('events:DescribeRule failed with AccessDeniedException')).toEqual({
      status: 'unguarded',
      reason: `the forwarding rule ${FORWARDING_RULE_NAME} could not be read: events:DescribeRule failed with AccessDeniedException`,
    });
  });
});

describe('createForwardingRuleReader', () => {
  const events = mockClient(EventBridgeClient);
  beforeEach(() => events.reset());
  const reader = () =>
    createForwardingRuleReader(new EventBridgeClient({ region: 'eu-west-1' }), { baseDelayMs: 0 });

  it('reads the rule’s state and every page of its targets', async () => {
    events.on(DescribeRuleCommand).resolves({ Name: FORWARDING_RULE_NAME, State: 'ENABLED' });
    events
      .on(ListTargetsByRuleCommand)
      .resolvesOnce({ Targets: [{ Id: 'a', Arn: 'arn:aws:sqs:eu-west-1:1:q' }], NextToken: 'next' })
      .resolvesOnce({ Targets: [{ Id: 'b', Arn: BUS }] });
    expect(await reader().read(FORWARDING_RULE_NAME)).toEqual({
      exists: true,
      state: 'ENABLED',
      targetArns: ['arn:aws:sqs:eu-west-1:1:q', BUS],
    });
    expect(events.commandCalls(DescribeRuleCommand)[0]?.args[0].input).toEqual({
      Name: FORWARDING_RULE_NAME,
    });
    expect(events.commandCalls(ListTargetsByRuleCommand).map((call) => call.args[0].input)).toEqual([
      { Rule: FORWARDING_RULE_NAME, NextToken: undefined, Limit: 100 },
      { Rule: FORWARDING_RULE_NAME, NextToken: 'next', Limit: 100 },
    ]);
    expect(FORWARDING_RULE_ACTIONS).toEqual(['events:DescribeRule', 'events:ListTargetsByRule']);
  });

  it('reads a page without targets and skips a target without an ARN', async () => {
    events.on(DescribeRuleCommand).resolves({ State: 'ENABLED' });
    events
      .on(ListTargetsByRuleCommand)
      .resolvesOnce({ NextToken: 'next' })
      .resolvesOnce({
        Targets: [
          { Id: 'no-arn', Arn: undefined },
          { Id: 'b', Arn: BUS },
        ],
      });
    expect(await reader().read(FORWARDING_RULE_NAME)).toEqual({
      exists: true,
      state: 'ENABLED',
      targetArns: [BUS],
    });
  });

  it('reads a rule deleted while its targets were listed as not existing', async () => {
    events.on(DescribeRuleCommand).resolves({ State: 'ENABLED' });
    events
      .on(ListTargetsByRuleCommand)
      .rejects(new ResourceNotFoundException({ message: 'Rule does not exist', $metadata: {} }));
    expect(await reader().read(FORWARDING_RULE_NAME)).toEqual({ exists: false });
  });

  it('names DescribeRule in the AwsCallError of a rule it may not read', async () => {
    events.on(DescribeRuleCommand).rejects(
      Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(reader().read(FORWARDING_RULE_NAME)).rejects.toMatchObject({
      name: 'AwsCallError',
      operation: 'DescribeRule',
      code: 'AccessDeniedException',
    });
  });

  it('fails a listing that repeats a page token as an AwsCallError that is not worth retrying', async () => {
    events.on(DescribeRuleCommand).resolves({ State: 'ENABLED' });
    events.on(ListTargetsByRuleCommand).resolves({ Targets: [], NextToken: 'loop' });
    await expect(reader().read(FORWARDING_RULE_NAME)).rejects.toMatchObject({
      name: 'AwsCallError',
      code: 'RepeatedPageTokenError',
      retryable: false,
    });
  });

  it('reads a rule that does not exist as a fact', async () => {
    events
      .on(DescribeRuleCommand)
      .rejects(new ResourceNotFoundException({ message: 'Rule does not exist', $metadata: {} }));
    expect(await reader().read(FORWARDING_RULE_NAME)).toEqual({ exists: false });
  });

  it('retries throttling, and translates access denied into an AwsCallError naming the operation', async () => {
    events
      .on(DescribeRuleCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }))
      .resolves({ State: 'DISABLED' });
    events.on(ListTargetsByRuleCommand).rejects(
      Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(reader().read(FORWARDING_RULE_NAME)).rejects.toMatchObject({
      name: 'AwsCallError',
      operation: 'ListTargetsByRule',
      code: 'AccessDeniedException',
    });
    expect(events.commandCalls(DescribeRuleCommand)).toHaveLength(2);
  });
});
