/**
 * Per-account outcome metrics, read from the EMF the functions write: an invocation acting on a member
 * account adds its outcome counts once more under {service, AccountId}; one on its own account emits
 * exactly what it always did, {service} alone (docs/architecture.md, "Metrics").
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGuardrailHandler } from '../../functions/guardrail/handler.ts';
import { createSweepHandler } from '../../functions/sweep/handler.ts';
import {
  ACCOUNT_DIMENSION,
  ACCOUNT_OUTCOMES,
  type AuditRecord,
  OUTCOME_METRICS,
  OUTCOMES,
} from '../../lib/audit.ts';
import { createAuditor } from '../../lib/auditor.ts';
import { createEcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError } from '../../lib/errors.ts';
import { answerWithOneMutableRepository } from '../helpers/ecr-mock.ts';
import { captureEmf, type EmfDocument } from '../helpers/emf.ts';
import { loadSampleEvent } from '../helpers/fixtures.ts';
import { createMemoryEcr } from '../helpers/memory-ecr.ts';
import { auditorFactory, testConfig, testLogger } from '../helpers/runtime.ts';

const HOME = '111111111111';
const MEMBER = '222222222222';

let emf: ReturnType<typeof captureEmf>;
beforeEach(() => {
  emf = captureEmf();
});
afterEach(() => emf.stop());

/** The documents carrying the account dimension, as `{AccountId, metrics}`. */
function perAccount(documents: EmfDocument[]) {
  return documents
    .filter((document) => document.dimensions.some((set) => set.includes(ACCOUNT_DIMENSION)))
    .map((document) => ({
      dimensions: document.dimensions,
      values: document.dimensionValues,
      metrics: document.metrics,
    }));
}

function record(index: number, outcome: AuditRecord['outcome']): AuditRecord {
  return {
    outcome,
    repositoryName: `repo-${index}`,
    repositoryArn: undefined,
    registryId: MEMBER,
    region: 'us-east-1',
    before: undefined,
    after: undefined,
    trigger: 'sweep',
    dryRun: false,
    reason: 'test',
  };
}

describe('the auditor’s per-account metrics', () => {
  function flushed(memberAccountId: string | undefined) {
    const auditor = createAuditor({ logger: testLogger().logger, metrics: emf.metrics, logCompliant: true });
    for (const [index, outcome] of OUTCOMES.entries()) {
      auditor.record(record(index, outcome));
      auditor.record(record(index + 100, outcome));
    }
    return auditor.flush({ memberAccountId }).then(() => emf.metrics.publishStoredMetrics());
  }

  it('adds each of the five outcome counts under {service, AccountId} for a member account, and nothing else', async () => {
    await flushed(MEMBER);
    const documents = perAccount(emf.documents());
    expect(documents).toEqual(
      ACCOUNT_OUTCOMES.map((outcome) => ({
        dimensions: [['service', ACCOUNT_DIMENSION]],
        values: { service: 'test', [ACCOUNT_DIMENSION]: MEMBER },
        metrics: { [OUTCOME_METRICS[outcome]]: 2 },
      })),
    );
  });

  it('never puts the region, or any other metric, under the account dimension (accounts × 5 metrics at most)', async () => {
    await flushed(MEMBER);
    const names = perAccount(emf.documents()).flatMap((document) => Object.keys(document.metrics));
    expect(names.sort()).toEqual(ACCOUNT_OUTCOMES.map((outcome) => OUTCOME_METRICS[outcome]).sort());
    for (const document of emf.documents()) expect(document.dimensions.flat()).not.toContain('region');
  });

  it('keeps the invocation’s own document as it was: every outcome under {service} alone', async () => {
    await flushed(MEMBER);
    const own = emf.documents().filter((document) => !document.dimensions.flat().includes(ACCOUNT_DIMENSION));
    expect(own).toEqual([
      {
        namespace: 'Test',
        dimensions: [['service']],
        dimensionValues: { service: 'test' },
        metrics: Object.fromEntries(OUTCOMES.map((outcome) => [OUTCOME_METRICS[outcome], 2])),
      },
    ]);
  });

  it('emits the same single document without a member account as with none given', async () => {
    await flushed(undefined);
    const withUndefined = emf.documents();
    emf.stop();
    emf = captureEmf();
    const auditor = createAuditor({ logger: testLogger().logger, metrics: emf.metrics, logCompliant: true });
    for (const [index, outcome] of OUTCOMES.entries()) {
      auditor.record(record(index, outcome));
      auditor.record(record(index + 100, outcome));
    }
    await auditor.flush();
    emf.metrics.publishStoredMetrics();
    expect(emf.documents()).toEqual(withUndefined);
    expect(withUndefined).toHaveLength(1);
  });
});

describe('the sweep handler’s metrics', () => {
  const context = {
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:sweep`,
    getRemainingTimeInMillis: () => 600_000,
  };

  async function sweep(payload: Record<string, unknown>): Promise<EmfDocument[]> {
    const log = testLogger();
    const registry = () => createMemoryEcr({ 'app/api': 'MUTABLE', 'app/lib': 'IMMUTABLE' });
    const handler = createSweepHandler({
      config: testConfig(),
      ecr: registry(),
      logger: log.logger,
      metrics: emf.metrics,
      region: 'eu-west-1',
      createAuditor: auditorFactory(log.logger, emf.metrics),
      memberEcr: async () => registry(),
    });
    await handler(payload, context);
    // What the logMetrics middleware does at the end of every invocation.
    emf.metrics.publishStoredMetrics();
    return emf.documents();
  }

  it('counts a member account’s page under {service, AccountId} as well', async () => {
    const documents = await sweep({ accountId: MEMBER, region: 'us-east-1', roleName: 'Guard' });
    expect(perAccount(documents)).toEqual([
      {
        dimensions: [['service', ACCOUNT_DIMENSION]],
        values: { service: 'test', [ACCOUNT_DIMENSION]: MEMBER },
        metrics: { Compliant: 1 },
      },
      {
        dimensions: [['service', ACCOUNT_DIMENSION]],
        values: { service: 'test', [ACCOUNT_DIMENSION]: MEMBER },
        metrics: { Remediated: 1 },
      },
    ]);
  });

  it.each([
    { when: 'no account is named', payload: {} },
    { when: 'its own account is named', payload: { accountId: HOME } },
    { when: 'its own account is named in another region', payload: { accountId: HOME, region: 'us-east-1' } },
  ])('emits exactly today’s single {service} document when $when', async ({ payload }) => {
    const documents = await sweep(payload);
    expect(documents).toEqual([
      {
        namespace: 'Test',
        dimensions: [['service']],
        dimensionValues: { service: 'test' },
        metrics: { NonCompliantRepositories: 1, Compliant: 1, Remediated: 1 },
      },
    ]);
  });
});

describe('the guardrail’s metrics', () => {
  const ecrMock = mockClient(ECRClient);
  const context = { invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:guardrail` };

  function eventFrom(account: string, region: string): unknown {
    const event = loadSampleEvent('create-repository-default-mutable.json');
    if (typeof event !== 'object' || event === null) throw new Error('sample event is not an object');
    const detail = 'detail' in event && typeof event.detail === 'object' ? event.detail : {};
    return {
      ...event,
      account,
      region,
      detail: { ...detail, awsRegion: region, recipientAccountId: account },
    };
  }

  beforeEach(() => {
    answerWithOneMutableRepository(ecrMock, HOME);
  });

  async function handle(
    event: unknown,
    env: Record<string, string>,
    memberError?: Error,
  ): Promise<EmfDocument[]> {
    const log = testLogger();
    const adapter = createEcrAdapter(new ECRClient({ region: 'eu-west-1' }), { sleep: async () => {} });
    const handler = createGuardrailHandler({
      config: testConfig(env),
      ecr: adapter,
      logger: log.logger,
      createAuditor: auditorFactory(log.logger, emf.metrics),
      memberEcr: async () => {
        if (memberError !== undefined) throw memberError;
        return adapter;
      },
    });
    await handler(event, context).catch((error: unknown) => {
      if (error !== memberError) throw error;
    });
    emf.metrics.publishStoredMetrics();
    return emf.documents();
  }

  it('counts a member event it acted on under {service, AccountId} as well', async () => {
    const documents = await handle(eventFrom(MEMBER, 'us-east-1'), { ORGANIZATION_MODE: 'true' });
    expect(perAccount(documents)).toEqual([
      {
        dimensions: [['service', ACCOUNT_DIMENSION]],
        values: { service: 'test', [ACCOUNT_DIMENSION]: MEMBER },
        metrics: { Remediated: 1 },
      },
    ]);
  });

  it('counts a member event whose member role cannot be assumed as failed under that account', async () => {
    const denied = new AwsCallError('sts', 'AssumeRole', 'AccessDenied', false);
    const documents = await handle(eventFrom(MEMBER, 'us-east-1'), { ORGANIZATION_MODE: 'true' }, denied);
    expect(perAccount(documents)).toEqual([
      {
        dimensions: [['service', ACCOUNT_DIMENSION]],
        values: { service: 'test', [ACCOUNT_DIMENSION]: MEMBER },
        metrics: { Failed: 1 },
      },
    ]);
  });

  it.each<{ when: string; account: string; region: string; env: Record<string, string> }>([
    { when: 'the event is its own account’s', account: HOME, region: 'eu-west-1', env: {} },
    {
      when: 'the event is its own account’s in another region',
      account: HOME,
      region: 'us-east-1',
      env: { ORGANIZATION_MODE: 'true' },
    },
    {
      when: 'a member event is ignored (organisation mode off)',
      account: MEMBER,
      region: 'us-east-1',
      env: {},
    },
  ])('emits no account dimension when $when', async ({ account, region, env }) => {
    const documents = await handle(eventFrom(account, region), env);
    expect(documents).toHaveLength(1);
    expect(documents[0]?.dimensions).toEqual([['service']]);
  });
});
