import { describe, expect, it, vi } from 'vitest';
import {
  ACCOUNT_DIMENSION,
  AUDIT_MESSAGE,
  type AuditPublisher,
  type AuditRecord,
  OUTCOME_METRICS,
  OUTCOMES,
} from '../../lib/audit.ts';
import { createAuditor, sinkSummaries } from '../../lib/auditor.ts';
import { testLogger, testMetrics } from '../helpers/runtime.ts';

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

const template = (outcome: AuditRecord['outcome']): AuditRecord => ({
  ...record(0, outcome),
  repositoryName: undefined,
  repositoryArn: undefined,
  templatePrefix: 'team-a',
});

/** A publisher that keeps every batch it was given; `failing` of each batch are reported lost. */
function recordingPublisher(failing = 0) {
  const batches: AuditRecord[][] = [];
  const publisher: AuditPublisher = {
    async publish(records) {
      batches.push([...records]);
      return { published: records.length - failing, failed: failing };
    },
  };
  return { publisher, batches };
}

function setup(options: { logCompliant?: boolean; publisher?: AuditPublisher } = {}) {
  const log = testLogger();
  const { metrics, addMetric } = testMetrics();
  const auditor = createAuditor({
    logger: log.logger,
    metrics,
    logCompliant: options.logCompliant ?? true,
    sinks: options.publisher === undefined ? [] : [options.publisher],
  });
  return { auditor, log, addMetric };
}

describe('the auditor counts', () => {
  it('every outcome of repositories, and of templates apart, so repository counts add up to scanned', () => {
    // Prepare
    const { auditor } = setup();
    // Act
    for (const [index, outcome] of OUTCOMES.entries()) auditor.record(record(index, outcome));
    auditor.record(template('remediated'));
    auditor.record(template('failed'));
    // Assess
    expect(auditor.counts).toEqual(Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 1])));
    expect(auditor.templateCounts).toMatchObject({ remediated: 1, failed: 1, compliant: 0 });
  });

  it('compliant repositories without logging them when asked not to', async () => {
    const { auditor, log, addMetric } = setup({ logCompliant: false });
    auditor.record(record(1, 'compliant'));
    auditor.record(record(2, 'compliant'));
    auditor.record(record(3, 'remediated'));
    await auditor.flush();
    expect(auditor.counts).toMatchObject({ compliant: 2, remediated: 1 });
    expect(log.info).toHaveBeenCalledTimes(1);
    expect(addMetric).toHaveBeenCalledWith('Compliant', 'Count', 2);
    expect(addMetric).toHaveBeenCalledWith('Remediated', 'Count', 1);
  });
});

describe('the auditor logs', () => {
  it('one line per record under the audit message, failures at error level, the record as its fields', () => {
    const { auditor, log } = setup();
    const scoped = { ...record(1, 'failed'), accountId: '210987654321', errorCode: 'AccessDeniedException' };
    auditor.record(scoped);
    auditor.record(record(2, 'exempt'));
    auditor.record(record(3, 'compliant'));
    expect(log.error).toHaveBeenCalledExactlyOnceWith(AUDIT_MESSAGE, scoped);
    expect(log.info.mock.calls.map(([message, fields]) => [message, fields])).toEqual([
      [AUDIT_MESSAGE, record(2, 'exempt')],
      [AUDIT_MESSAGE, record(3, 'compliant')],
    ]);
  });
});

describe('the auditor flushes metrics', () => {
  it.each(OUTCOMES)('names the %s count after OUTCOME_METRICS', async (outcome) => {
    const { auditor, addMetric } = setup();
    auditor.record(record(1, outcome));
    auditor.record(record(2, outcome));
    await auditor.flush();
    expect(addMetric).toHaveBeenCalledExactlyOnceWith(OUTCOME_METRICS[outcome], 'Count', 2);
  });

  it('adds no metric for outcomes not seen, nor for template outcomes', async () => {
    const { auditor, addMetric } = setup();
    auditor.record(template('remediated'));
    await auditor.flush();
    expect(addMetric).not.toHaveBeenCalled();
  });

  it('counts invalid events once per flush', async () => {
    const { auditor, addMetric } = setup();
    auditor.countInvalidEvent();
    auditor.countInvalidEvent();
    await auditor.flush();
    await auditor.flush();
    expect(addMetric).toHaveBeenCalledExactlyOnceWith('InvalidEvents', 'Count', 2);
  });
});

describe('the auditor publishes', () => {
  it('only findings, changes, exemptions, failures, staged exemptions and blocked overwrites', async () => {
    const { publisher, batches } = recordingPublisher();
    const { auditor } = setup({ publisher });
    for (const [index, outcome] of OUTCOMES.entries()) auditor.record(record(index, outcome));
    await auditor.flush();
    expect(batches.flat().map((entry) => entry.outcome)).toEqual([
      'remediated',
      'would-remediate',
      'exempt',
      'failed',
      'exemption-staged',
      'blocked-overwrite',
    ]);
  });

  it('in batches of 10 while recording, and the rest on flush, which waits for them all', async () => {
    const { publisher, batches } = recordingPublisher();
    const { auditor } = setup({ publisher });
    for (let index = 0; index < 23; index++) auditor.record(record(index));
    await new Promise((resolve) => setImmediate(resolve)); // let the serialised publishes run, no flush yet
    expect(batches.map((batch) => batch.length)).toEqual([10, 10]);
    await auditor.flush();
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
  });

  it('hands a sink no empty batch: nothing is left for the flush after exactly 10 records', async () => {
    const { publisher, batches } = recordingPublisher();
    const { auditor } = setup({ publisher });
    for (let index = 0; index < 10; index++) auditor.record(record(index));
    await auditor.flush();
    await auditor.flush();
    expect(batches.map((batch) => batch.length)).toEqual([10]);
  });

  it('counts audit events it could not publish as a metric, without failing', async () => {
    const { publisher } = recordingPublisher(1);
    const { auditor, addMetric } = setup({ publisher });
    auditor.record(record(1, 'remediated'));
    await auditor.flush();
    expect(addMetric).toHaveBeenCalledWith('AuditPublishFailures', 'Count', 1);
  });
});

describe('the auditor hands records to a list of sinks', () => {
  /** A sink of every repository decision that settles once per flush, reporting `settled`. */
  function settlingSink(settled: { published: number; failed: number; details?: Record<string, number> }) {
    const taken: AuditRecord[] = [];
    const scopes: unknown[] = [];
    const sink: AuditPublisher = {
      name: 'findings',
      failureMetric: 'FindingsFailures',
      accepts: (entry) => entry.outcome === 'compliant' || entry.outcome === 'exempt',
      async publish(records) {
        taken.push(...records);
        return { published: 0, failed: 0 };
      },
      async settle(scope) {
        scopes.push(scope);
        return settled;
      },
      settleMs: () => taken.length * 100,
    };
    return { sink, taken, scopes };
  }

  function withSinks(sinks: AuditPublisher[]) {
    const { metrics, addMetric } = testMetrics();
    const auditor = createAuditor({ logger: testLogger().logger, metrics, sinks, logCompliant: true });
    return { auditor, addMetric };
  }

  it('gives each sink the records it takes: audit events by default, its own choice otherwise', async () => {
    const events = recordingPublisher();
    const findings = settlingSink({ published: 1, failed: 0 });
    const { auditor } = withSinks([events.publisher, findings.sink]);
    for (const [index, outcome] of OUTCOMES.entries()) auditor.record(record(index, outcome));
    await auditor.flush();
    expect(events.batches.flat().map((entry) => entry.outcome)).toEqual([
      'remediated',
      'would-remediate',
      'exempt',
      'failed',
      'exemption-staged',
      'blocked-overwrite',
    ]);
    expect(findings.taken.map((entry) => entry.outcome)).toEqual(['compliant', 'exempt']);
  });

  it('lets each sink settle once per flush, says whether the records cover the account-region, and reports what each did', async () => {
    const events = recordingPublisher(1);
    const findings = settlingSink({ published: 3, failed: 2, details: { pages: 1 } });
    const { auditor, addMetric } = withSinks([events.publisher, findings.sink]);
    auditor.record(record(1, 'exempt'));
    auditor.record(record(2, 'compliant'));
    const reports = await auditor.flush({ complete: true });
    expect(findings.scopes).toEqual([{ complete: true }]);
    expect(reports).toEqual([
      { name: 'auditEvents', published: 0, failed: 1 },
      { name: 'findings', published: 3, failed: 2, details: { pages: 1 } },
    ]);
    expect(addMetric).toHaveBeenCalledWith('AuditPublishFailures', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('FindingsFailures', 'Count', 2);
    expect(sinkSummaries(reports)).toEqual({
      auditEvents: { published: 0, failed: 1 },
      findings: { published: 3, failed: 2, pages: 1 },
    });
  });

  it('tells how long its sinks need to settle what they hold, so a sweep can leave them the time', async () => {
    const findings = settlingSink({ published: 0, failed: 0 });
    const { auditor } = withSinks([recordingPublisher().publisher, findings.sink]);
    expect(auditor.settleMs()).toBe(0);
    for (let index = 0; index < 12; index++) auditor.record(record(index, 'compliant'));
    await new Promise((resolve) => setImmediate(resolve)); // let the batch of 10 reach the sink
    // 10 handed over in a batch while recording; the other 2 wait for the flush.
    expect(auditor.settleMs()).toBe(1000);
  });

  it('counts what a sink that throws was given as failed under its metric, and goes on', async () => {
    const broken: AuditPublisher = {
      name: 'broken',
      failureMetric: 'BrokenFailures',
      async publish() {
        throw new Error('bug');
      },
    };
    const events = recordingPublisher();
    const { auditor, addMetric } = withSinks([broken, events.publisher]);
    auditor.record(record(1, 'remediated'));
    auditor.record(record(2, 'failed'));
    const reports = await auditor.flush();
    expect(reports).toEqual([
      { name: 'broken', published: 0, failed: 2 },
      { name: 'auditEvents', published: 2, failed: 0 },
    ]);
    expect(addMetric).toHaveBeenCalledWith('BrokenFailures', 'Count', 2);
    expect(sinkSummaries([])).toBeUndefined();
  });

  it('without a logger or metrics (the CLI) still counts and hands records to its sinks', async () => {
    const events = recordingPublisher();
    const auditor = createAuditor({ sinks: [events.publisher], logCompliant: false });
    auditor.record(record(1, 'remediated'));
    expect(await auditor.flush()).toEqual([{ name: 'auditEvents', published: 1, failed: 0 }]);
    expect(auditor.counts.remediated).toBe(1);
  });

  it('counts what a sink took since the last flush as failed when its settle throws', async () => {
    const taken: AuditRecord[] = [];
    const settling: AuditPublisher = {
      name: 'settling',
      failureMetric: 'SettlingFailures',
      accepts: () => true,
      async publish(records) {
        taken.push(...records);
        return { published: records.length, failed: 0 };
      },
      async settle() {
        throw new Error('bug');
      },
    };
    const { auditor, addMetric } = withSinks([settling]);
    for (let index = 0; index < 3; index++) auditor.record(record(index, 'compliant'));
    expect(await auditor.flush()).toEqual([{ name: 'settling', published: 3, failed: 3 }]);
    expect(addMetric).toHaveBeenCalledWith('SettlingFailures', 'Count', 3);
    auditor.record(record(4, 'compliant'));
    expect(await auditor.flush()).toEqual([{ name: 'settling', published: 1, failed: 1 }]);
  });

  it('reports details only for a sink that gave some', async () => {
    const findings = settlingSink({ published: 0, failed: 0 });
    const { auditor } = withSinks([recordingPublisher().publisher, findings.sink]);
    expect(await auditor.flush()).toStrictEqual([
      { name: 'auditEvents', published: 0, failed: 0 },
      { name: 'findings', published: 0, failed: 0 },
    ]);
  });
});

describe('the auditor’s per-account metrics', () => {
  /** An auditor whose per-account documents (Powertools singleMetric) are kept as what was added to each. */
  function withAccountMetrics() {
    const { metrics } = testMetrics();
    const documents: { dimensions: unknown[][]; metrics: unknown[][] }[] = [];
    const singleMetric = vi.spyOn(metrics, 'singleMetric').mockImplementation(() => {
      const single = testMetrics();
      const addDimension = vi.spyOn(single.metrics, 'addDimension');
      documents.push({ dimensions: addDimension.mock.calls, metrics: single.addMetric.mock.calls });
      return single.metrics;
    });
    const auditor = createAuditor({ metrics, logCompliant: true });
    return { auditor, singleMetric, documents };
  }

  it('are added only for the outcomes seen, each in a document of its own under the account', async () => {
    const { auditor, documents } = withAccountMetrics();
    auditor.record(record(1, 'remediated'));
    auditor.record(record(2, 'remediated'));
    auditor.record(record(3, 'compliant'));
    await auditor.flush({ memberAccountId: '210987654321' });
    expect(documents).toEqual([
      {
        dimensions: [[ACCOUNT_DIMENSION, '210987654321']],
        metrics: [[OUTCOME_METRICS.compliant, 'Count', 1]],
      },
      {
        dimensions: [[ACCOUNT_DIMENSION, '210987654321']],
        metrics: [[OUTCOME_METRICS.remediated, 'Count', 2]],
      },
    ]);
  });

  it('are not added for the function’s own account', async () => {
    const { auditor, singleMetric } = withAccountMetrics();
    auditor.record(record(1, 'remediated'));
    await auditor.flush();
    expect(singleMetric).not.toHaveBeenCalled();
  });

  it('are skipped without metrics (the CLI), a member account or not', async () => {
    const auditor = createAuditor({ logCompliant: true });
    auditor.record(record(1, 'remediated'));
    expect(await auditor.flush({ memberAccountId: '210987654321' })).toEqual([]);
  });
});
