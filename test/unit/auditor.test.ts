import { describe, expect, it } from 'vitest';
import {
  AUDIT_MESSAGE,
  type AuditPublisher,
  type AuditRecord,
  OUTCOME_METRICS,
  OUTCOMES,
} from '../../lib/audit.ts';
import { createAuditor } from '../../lib/auditor.ts';
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

  it('counts audit events it could not publish as a metric, without failing', async () => {
    const { publisher } = recordingPublisher(1);
    const { auditor, addMetric } = setup({ publisher });
    auditor.record(record(1, 'remediated'));
    await auditor.flush();
    expect(addMetric).toHaveBeenCalledWith('AuditPublishFailures', 'Count', 1);
  });
});
