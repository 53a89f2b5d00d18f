/**
 * The sweep handler and its audit sinks (functions/sweep/handler.ts): a page leaves its sinks the time they
 * need to settle before the deadline, tells them whether its records cover the whole account-region, and
 * answers what they did in its summary.
 */
import { describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../functions/sweep/handler.ts';
import type { AuditPublisher, AuditRecord } from '../../lib/audit.ts';
import { createAuditor } from '../../lib/auditor.ts';
import { createMemoryEcr } from '../helpers/memory-ecr.ts';
import { testConfig, testLogger, testMetrics } from '../helpers/runtime.ts';

/** A sink of every repository decision that needs `msPerRecord` to settle each one it holds. */
function timedSink(msPerRecord: number) {
  const held: AuditRecord[] = [];
  const settled: { complete: boolean | undefined; records: number }[] = [];
  const sink: AuditPublisher = {
    name: 'securityHub',
    accepts: (record) => record.templatePrefix === undefined,
    async publish(records) {
      held.push(...records);
      return { published: 0, failed: 0 };
    },
    async settle({ complete }) {
      settled.push({ complete, records: held.length });
      const count = held.length;
      held.length = 0;
      return { published: count, failed: 0, details: { findings: count } };
    },
    settleMs: () => held.length * msPerRecord,
  };
  return { sink, settled };
}

function handlerWith(sink: AuditPublisher, repositories: number) {
  const log = testLogger();
  const { metrics } = testMetrics();
  const seed = Object.fromEntries(
    Array.from({ length: repositories }, (_, index) => [
      `svc/repo-${String(index).padStart(4, '0')}`,
      'IMMUTABLE',
    ]),
  );
  return createSweepHandler({
    config: testConfig({ SWEEP_SAFETY_MARGIN_MS: '30000', SWEEP_CONCURRENCY: '1' }),
    ecr: createMemoryEcr(seed),
    logger: log.logger,
    metrics,
    region: 'eu-west-1',
    createAuditor: () => createAuditor({ logger: log.logger, metrics, sinks: [sink], logCompliant: false }),
  });
}

const context = (remainingMs: number) => ({
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:sweep',
  getRemainingTimeInMillis: () => remainingMs,
});

describe('the sweep page and its audit sinks', () => {
  it('stops starting repositories while its sinks still have the time to settle them before the deadline', async () => {
    // 60 s left, a 30 s margin, 1 s to settle each decision: about 30 decisions fit.
    const { sink, settled } = timedSink(1_000);
    const summary = await handlerWith(sink, 200)({ dryRun: false }, context(60_000));
    expect(summary.nextToken).toBeDefined();
    expect(summary.scanned).toBeGreaterThan(20);
    expect(summary.scanned).toBeLessThan(40);
    expect(settled).toEqual([{ complete: false, records: summary.scanned }]);
  });

  it('tells its sinks the records cover the account-region when its first page reached the end', async () => {
    const { sink, settled } = timedSink(0);
    const summary = await handlerWith(sink, 50)({ dryRun: false }, context(600_000));
    expect(summary.nextToken).toBeUndefined();
    expect(settled).toEqual([{ complete: true, records: 50 }]);
    expect(summary.sinks).toEqual({ securityHub: { published: 50, failed: 0, findings: 50 } });
  });

  it('does not when it resumed, nor for named repositories', async () => {
    const first = timedSink(1_000);
    const handler = handlerWith(first.sink, 200);
    const page = await handler({ dryRun: false }, context(60_000));
    const rest = await handler({ dryRun: false, nextToken: page.nextToken }, context(600_000));
    expect(rest.nextToken).toBeUndefined();
    expect(first.settled.map((entry) => entry.complete)).toEqual([false, false]);
    const named = timedSink(0);
    await handlerWith(named.sink, 5)({ repositoryNames: ['svc/repo-0001'] }, context(600_000));
    expect(named.settled).toEqual([{ complete: false, records: 1 }]);
  });
});
