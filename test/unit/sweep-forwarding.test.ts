/**
 * The sweep handler's footprint check (functions/sweep/handler.ts, lib/forwarding.ts): the first page of an
 * organisation sweep child reads the account-region's forwarding rule through the member access, answers
 * whether it is guarded, counts an unguarded one under `{service}` and `{service, AccountId}`, and sweeps the
 * repositories all the same. Metrics are read as CloudWatch would, from the EMF lines.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MemberEcrRequest } from '../../functions/shared/member-ecr.ts';
import { createSweepHandler } from '../../functions/sweep/handler.ts';
import { ACCOUNT_DIMENSION } from '../../lib/audit.ts';
import { AwsCallError } from '../../lib/errors.ts';
import { FORWARDING_RULE_NAME, type ForwardingRuleFacts, UNGUARDED_METRIC } from '../../lib/forwarding.ts';
import { captureEmf } from '../helpers/emf.ts';
import { createMemoryEcr } from '../helpers/memory-ecr.ts';
import { auditorFactory, testConfig, testLogger } from '../helpers/runtime.ts';

const HOME = '111111111111';
const MEMBER = '222222222222';
const BUS = `arn:aws:events:eu-west-1:${HOME}:event-bus/central`;
const context = {
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:sweep`,
  getRemainingTimeInMillis: () => 600_000,
};

let emf: ReturnType<typeof captureEmf>;
beforeEach(() => {
  emf = captureEmf();
});
afterEach(() => emf.stop());

function setup(
  rule: ForwardingRuleFacts | Error,
  env: Record<string, string> = { CENTRAL_EVENT_BUS_ARN: BUS },
  options: { roleFails?: boolean } = {},
) {
  const log = testLogger();
  const member = createMemoryEcr({ 'member/app': 'MUTABLE', 'member/lib': 'IMMUTABLE' });
  const read: { request: MemberEcrRequest; name: string }[] = [];
  const handler = createSweepHandler({
    config: testConfig({ ORGANIZATION_MODE: 'true', ...env }),
    ecr: createMemoryEcr({}),
    logger: log.logger,
    metrics: emf.metrics,
    region: 'eu-west-1',
    createAuditor: auditorFactory(log.logger, emf.metrics),
    memberEcr: async () => {
      if (options.roleFails) throw new AwsCallError('sts', 'AssumeRole', 'AccessDenied', false);
      return member;
    },
    forwardingRules: async (request) => ({
      read: async (name) => {
        read.push({ request, name });
        if (rule instanceof Error) throw rule;
        return rule;
      },
    }),
  });
  const run = async (payload: Record<string, unknown>) => {
    const summary = await handler(payload, context);
    emf.metrics.publishStoredMetrics();
    return summary;
  };
  return { run, member, read, warn: log.warn };
}

/** The UnguardedAccountRegions documents: their dimension values and the metric's value. */
const unguardedMetrics = () =>
  emf
    .documents()
    .filter((document) => UNGUARDED_METRIC in document.metrics)
    .map((document) => ({ dimensions: document.dimensionValues, value: document.metrics[UNGUARDED_METRIC] }));

const guardedRule: ForwardingRuleFacts = { exists: true, state: 'ENABLED', targetArns: [BUS] };

describe('the footprint check of an organisation sweep child', () => {
  it('answers guarded for an enabled rule targeting the central bus, read through the member access', async () => {
    const { run, read } = setup(guardedRule);
    const summary = await run({ accountId: MEMBER, region: 'us-east-1', roleName: 'Guard' });
    expect(summary.forwarding).toEqual({ status: 'guarded' });
    expect(read).toEqual([
      {
        request: { accountId: MEMBER, region: 'us-east-1', roleName: 'Guard', ownAccountId: HOME },
        name: FORWARDING_RULE_NAME,
      },
    ]);
    expect(unguardedMetrics()).toEqual([]);
  });

  it.each<[string, ForwardingRuleFacts | Error, string]>([
    ['a deleted rule', { exists: false }, 'does not exist'],
    ['a disabled rule', { ...guardedRule, state: 'DISABLED' }, 'is DISABLED, not ENABLED'],
    ['a rule pointed elsewhere', { ...guardedRule, targetArns: [`${BUS}-old`] }, 'not the central bus'],
    [
      'a rule the member role may not read',
      new AwsCallError('events', 'DescribeRule', 'AccessDeniedException', false),
      'could not be read: events:DescribeRule failed with AccessDeniedException',
    ],
  ])(
    'counts %s unguarded, alarmable and per account, and still fixes the repositories',
    async (_, rule, reason) => {
      const { run, member, warn } = setup(rule);
      const summary = await run({ accountId: MEMBER, region: 'us-east-1' });
      expect(summary.forwarding).toEqual({ status: 'unguarded', reason: expect.stringContaining(reason) });
      expect(summary).toMatchObject({ scanned: 2, counts: { remediated: 1, compliant: 1 } });
      expect(member.writes).toEqual(['member/app']);
      expect(warn).toHaveBeenCalledWith('account-region unguarded', {
        accountId: MEMBER,
        region: 'us-east-1',
        reason: expect.stringContaining(reason),
      });
      expect(unguardedMetrics()).toEqual(
        expect.arrayContaining([
          { dimensions: { service: 'test' }, value: 1 },
          { dimensions: { service: 'test', [ACCOUNT_DIMENSION]: MEMBER }, value: 1 },
        ]),
      );
      expect(unguardedMetrics()).toHaveLength(2);
    },
  );

  it('checks the function’s own account too, when an organisation child names it', async () => {
    const { run, read } = setup({ exists: false });
    const summary = await run({ accountId: HOME, region: 'eu-west-1' });
    expect(summary.forwarding).toMatchObject({ status: 'unguarded' });
    expect(read.map(({ request }) => request.accountId)).toEqual([HOME]);
  });

  it('checks once per account-region: not on the pages after the first', async () => {
    const { run, read } = setup(guardedRule);
    const first = await run({ accountId: MEMBER, region: 'us-east-1', maxRepositories: 1 });
    expect(first.nextToken).toEqual(expect.any(String));
    const second = await run({
      accountId: MEMBER,
      region: 'us-east-1',
      maxRepositories: 1,
      nextToken: first.nextToken,
    });
    expect(second).not.toHaveProperty('forwarding');
    expect(read).toHaveLength(1);
  });

  it.each([
    [
      'no central bus is configured (a single-account deployment)',
      {},
      { accountId: MEMBER, region: 'us-east-1' },
    ],
    ['the payload names no account (a backfill of its own registry)', { CENTRAL_EVENT_BUS_ARN: BUS }, {}],
  ])('does not check when %s', async (_, env, payload) => {
    const { run, read } = setup({ exists: false }, env);
    const summary = await run(payload);
    expect(summary).not.toHaveProperty('forwarding');
    expect(read).toEqual([]);
  });

  it('fails the invocation with STS’s code before checking when the member role cannot be assumed', async () => {
    const { run, read } = setup(guardedRule, { CENTRAL_EVENT_BUS_ARN: BUS }, { roleFails: true });
    await expect(run({ accountId: MEMBER, region: 'us-east-1' })).rejects.toMatchObject({
      code: 'AccessDenied',
    });
    expect(read).toEqual([]);
  });

  it('refuses a central bus that is not an event bus ARN, naming the variable', () => {
    expect(() => testConfig({ CENTRAL_EVENT_BUS_ARN: 'central' })).toThrow(
      /CENTRAL_EVENT_BUS_ARN.*must be an event bus ARN/,
    );
  });
});
