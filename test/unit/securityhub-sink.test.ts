/**
 * The Security Hub sink (lib/securityhub-sink.ts) over a recording Security Hub adapter: which decisions it
 * takes, how it reads each account-region's ECR.2 findings (whole, or by ResourceId 20 at a time, whichever
 * takes fewer calls), where it syncs, and that a failure or the deadline is counted and never thrown.
 */
import { describe, expect, it } from 'vitest';
import { type AuditRecord, type Outcome, repositoryRecord } from '../../lib/audit.ts';
import {
  type ControlFinding,
  type FindingUpdate,
  GUARD_MARKER_KEY,
  type SyncInput,
} from '../../lib/findings-sync.ts';
import type { FindingsPass, SecurityHubAdapter, UpdateResult } from '../../lib/securityhub.ts';
import { createSecurityHubSink, readsWhole, syncCostMs } from '../../lib/securityhub-sink.ts';
import { testLogger } from '../helpers/runtime.ts';

const ACCOUNT = '123456789012';
const MEMBER = '210987654321';
const REGION = 'eu-west-1';
const NOW = new Date('2026-06-01T00:00:00.000Z');
const POLICY: SyncInput['policy'] = {
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  allowedExclusions: ['latest'],
  exemptTag: undefined,
};
const arn = (name: string, account = ACCOUNT, region = REGION) =>
  `arn:aws:ecr:${region}:${account}:repository/${name}`;

function decision(
  name: string,
  outcome: Outcome,
  options: { account?: string; region?: string; dryRun?: boolean; template?: boolean } = {},
): AuditRecord {
  const account = options.account ?? ACCOUNT;
  const region = options.region ?? REGION;
  const mutable = outcome !== 'compliant';
  const base = repositoryRecord(
    {
      repositoryName: name,
      repositoryArn: arn(name, account, region),
      registryId: account,
      setting: { mutability: mutable ? 'MUTABLE' : 'IMMUTABLE', exclusionFilters: [] },
    },
    outcome,
    outcome === 'exempt' ? `rule exempt-name: repository name matches '${name}'` : `reason of ${name}`,
    { trigger: 'sweep', dryRun: options.dryRun ?? false, region },
    outcome === 'remediated' ? { after: { mutability: 'IMMUTABLE', exclusionFilters: [] } } : {},
  );
  return {
    ...base,
    accountId: account,
    ...(options.template === true ? { templatePrefix: 'team' } : {}),
  };
}

function finding(name: string, account = ACCOUNT, region = REGION): ControlFinding {
  return {
    id: `finding/${account}/${region}/${name}`,
    productArn: `arn:aws:securityhub:${region}::product/aws/securityhub`,
    accountId: account,
    region,
    resourceId: arn(name, account, region),
    complianceStatus: 'FAILED',
    workflowStatus: 'NEW',
    noteText: undefined,
    userDefinedFields: {},
  };
}

/**
 * A Security Hub adapter over `findings`, recording each read and update; `failing` fails that operation
 * (`second-read`: every read after the first).
 */
function recordingHub(
  findings: readonly ControlFinding[],
  failing?: 'read' | 'second-read' | 'update' | 'first-of-each-update',
) {
  const reads: { accountId: string; region: string; resourceIds: readonly string[] | undefined }[] = [];
  const updates: FindingUpdate[] = [];
  let updateCalls = 0;
  const adapter: SecurityHubAdapter = {
    async findControlFindings({ accountId, region, resourceIds }): Promise<FindingsPass> {
      reads.push({ accountId, region, resourceIds });
      if (failing === 'read' || (failing === 'second-read' && reads.length > 1))
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      const wanted = resourceIds === undefined ? undefined : new Set(resourceIds);
      const found = findings.filter(
        (entry) =>
          entry.accountId === accountId &&
          entry.region === region &&
          (wanted === undefined || wanted.has(entry.resourceId)),
      );
      const pages = Math.max(1, Math.ceil(found.length / 100));
      return { findings: found, pages, calls: pages, unreadable: 0, outside: 0 };
    },
    async updateFindings(batch): Promise<UpdateResult> {
      updateCalls += 1;
      if (failing === 'update') throw Object.assign(new Error('fault'), { name: 'InternalException' });
      updates.push(...batch);
      const unprocessed =
        failing === 'first-of-each-update'
          ? batch.flatMap(({ findings: [first] }) =>
              first === undefined
                ? []
                : [{ ...first, errorCode: 'FindingNotFound', errorMessage: 'Finding Not Found' }],
            )
          : [];
      const sent = batch.reduce((sum, update) => sum + update.findings.length, 0);
      return {
        processed: sent - unprocessed.length,
        unprocessed,
        batches: batch.length,
        calls: batch.length,
      };
    },
  };
  return { adapter, reads, updates, updateCalls: () => updateCalls };
}

function sinkOver(
  hub: ReturnType<typeof recordingHub>,
  options: { syncRegion?: string; remainingMs?: () => number | undefined } = {},
) {
  const log = testLogger();
  const regions: string[] = [];
  const sink = createSecurityHubSink({
    adapterFor: (region) => {
      regions.push(region);
      return hub.adapter;
    },
    syncRegion: options.syncRegion,
    policy: POLICY,
    now: () => NOW,
    remainingMs: options.remainingMs,
    logger: log.logger,
  });
  return { sink, regions, log };
}

/** Hands `records` to the sink as the auditor does (the ones it takes), then settles it. */
async function settle(
  sink: ReturnType<typeof sinkOver>['sink'],
  records: readonly AuditRecord[],
  complete = false,
) {
  await sink.publish(records.filter((entry) => sink.accepts?.(entry) ?? false));
  return sink.settle?.({ complete });
}

const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

describe('the Security Hub sink', () => {
  it('brings an exempt, a compliant-by-policy and a remediated repository’s findings in line, one update each', async () => {
    const hub = recordingHub([finding('legacy'), finding('web'), finding('app')]);
    const { sink } = sinkOver(hub);
    const web: AuditRecord = {
      ...decision('web', 'compliant'),
      before: { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
      after: { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
    };
    const result = await settle(sink, [decision('legacy', 'exempt'), web, decision('app', 'remediated')]);
    expect(hub.updates.map((update) => [update.action, update.workflowStatus])).toEqual([
      ['suppress-exempt', 'SUPPRESSED'],
      ['suppress-compliant', 'SUPPRESSED'],
      ['note-remediated', undefined],
    ]);
    expect(hub.updates[0]?.userDefinedFields).toEqual({ [GUARD_MARKER_KEY]: 'suppressed' });
    expect(result).toMatchObject({
      published: 3,
      failed: 0,
      details: { findings: 3, pages: 1, batches: 3, 'suppress-exempt': 1, 'suppress-compliant': 1 },
    });
  });

  it('takes real repository decisions only: no dry run, no template, no event or notice', () => {
    const { sink } = sinkOver(recordingHub([]));
    const taken = (entry: AuditRecord) => sink.accepts?.(entry);
    expect(taken(decision('a', 'compliant'))).toBe(true);
    expect(taken(decision('a', 'gone'))).toBe(true);
    expect(taken(decision('a', 'would-remediate', { dryRun: true }))).toBe(false);
    expect(taken(decision('a', 'remediated', { template: true }))).toBe(false);
    expect(taken(decision('a', 'ignored'))).toBe(false);
    expect(taken(decision('a', 'blocked-overwrite'))).toBe(false);
  });

  it('makes no call when nothing was decided for a finding (a dry run, only gone repositories)', async () => {
    const hub = recordingHub([finding('a')]);
    const { sink } = sinkOver(hub);
    const result = await settle(sink, [
      decision('a', 'gone'),
      decision('b', 'would-remediate', { dryRun: true }),
    ]);
    expect(hub.reads).toEqual([]);
    expect(result).toMatchObject({ published: 0, failed: 0 });
  });

  it.each([
    ['a page of 45 decisions, part of the registry', 45, 45, false, [20, 20, 5]],
    ['a page of 40 decisions, part of the registry', 40, 40, false, [20, 20]],
    ['the whole registry of 45 decisions', 45, 45, true, [undefined]],
    ['3 decisions among 500 repositories, all of the registry', 3, 500, true, [3]],
  ] as const)('reads %s in the fewest calls: %j', async (_name, decided, repositories, complete, reads) => {
    const all = names('repo', repositories);
    const hub = recordingHub(all.map((name) => finding(name)));
    const { sink } = sinkOver(hub);
    const records = all.map((name, index) => decision(name, index < decided ? 'remediated' : 'gone'));
    await settle(sink, records, complete);
    expect(hub.reads.map((read) => read.resourceIds?.length)).toEqual(reads);
    expect(readsWhole({ decided, repositories }, complete)).toBe(reads[0] === undefined);
    expect(hub.updates.flatMap((update) => update.findings)).toHaveLength(decided);
  });

  it('syncs each account-region apart, in its own Region or in the aggregation Region when one is set', async () => {
    const findings = [finding('a'), finding('b', MEMBER, 'us-east-1')];
    const records = [
      decision('a', 'exempt'),
      decision('b', 'exempt', { account: MEMBER, region: 'us-east-1' }),
    ];
    const own = sinkOver(recordingHub(findings));
    await settle(own.sink, records);
    expect(own.regions).toEqual([REGION, 'us-east-1']);
    const hub = recordingHub(findings);
    const central = sinkOver(hub, { syncRegion: 'us-east-2' });
    const result = await settle(central.sink, records);
    expect(central.regions).toEqual(['us-east-2', 'us-east-2']);
    expect(hub.reads.map(({ accountId, region }) => `${accountId} ${region}`)).toEqual([
      `${ACCOUNT} ${REGION}`,
      `${MEMBER} us-east-1`,
    ]);
    expect(result).toMatchObject({ published: 2, failed: 0 });
  });

  it('counts the repositories it could not read as failed, logs why, and throws nothing', async () => {
    const hub = recordingHub([finding('a')], 'read');
    const { sink, log } = sinkOver(hub);
    const result = await settle(
      sink,
      names('repo', 25).map((name) => decision(name, 'exempt')),
    );
    expect(hub.reads).toHaveLength(1);
    expect(result).toMatchObject({ published: 0, failed: 25 });
    expect(log.warn).toHaveBeenCalledWith('Security Hub sync incomplete', {
      accountId: ACCOUNT,
      region: REGION,
      syncRegion: REGION,
      errorCode: 'AccessDeniedException',
      unsynced: 25,
    });
  });

  it('counts the decisions of an account-region whose client could not be made as failed', async () => {
    const log = testLogger();
    const sink = createSecurityHubSink({
      adapterFor: async () => {
        throw Object.assign(new Error('no region'), { name: 'ConfigError' });
      },
      policy: POLICY,
      now: () => NOW,
      logger: log.logger,
    });
    expect(await settle(sink, [decision('a', 'exempt'), decision('b', 'compliant')])).toMatchObject({
      published: 0,
      failed: 2,
    });
    expect(log.warn).toHaveBeenCalledOnce();
  });

  it('brings what it read in line when a later read fails, counting the repositories it could not read', async () => {
    const all = names('repo', 45);
    const hub = recordingHub(
      all.map((name) => finding(name)),
      'second-read',
    );
    const { sink } = sinkOver(hub);
    const result = await settle(
      sink,
      all.map((name) => decision(name, 'exempt')),
    );
    expect(hub.reads.map((read) => read.resourceIds?.length)).toEqual([20, 20]);
    expect(hub.updates.flatMap((update) => update.findings)).toHaveLength(20);
    expect(result).toMatchObject({ published: 20, failed: 25, details: { findings: 20, pages: 1 } });
  });

  it('counts the findings it could not update as failed, and sends no further update after a failure', async () => {
    const hub = recordingHub([finding('a'), finding('b')], 'update');
    const { sink } = sinkOver(hub);
    const result = await settle(sink, [decision('a', 'exempt'), decision('b', 'remediated')]);
    expect(result).toMatchObject({ published: 0, failed: 2, details: { findings: 2 } });
    expect(hub.updateCalls()).toBe(1);
  });

  it('starts no call with less than 3 s left, counting what it leaves unsynced', async () => {
    const hub = recordingHub([finding('a')]);
    let left = 10_000;
    const { sink } = sinkOver(hub, { remainingMs: () => left });
    await sink.publish([decision('a', 'exempt'), decision('b', 'exempt')]);
    left = 2_999;
    expect(await sink.settle?.({ complete: false })).toMatchObject({ published: 0, failed: 2 });
    expect(hub.reads).toEqual([]);
  });

  it('needs the time of its reads and writes at the documented rates, and forgets what it settled', async () => {
    const { sink } = sinkOver(recordingHub([]));
    expect(syncCostMs(0)).toBe(0);
    // 3 GetFindings at 3 a second, 1 BatchUpdateFindings at 10 a second, and a second of slack.
    expect(syncCostMs(45)).toBe(2_100);
    await sink.publish(names('repo', 45).map((name) => decision(name, 'compliant')));
    expect(sink.settleMs?.()).toBe(2_100);
    await sink.settle?.({ complete: false });
    expect(sink.settleMs?.()).toBe(0);
  });
});

describe('the Security Hub sink, edges', () => {
  it('keeps what it is handed for the settle, counting nothing published or failed yet', async () => {
    const hub = recordingHub([finding('a')]);
    const { sink } = sinkOver(hub);
    expect(await sink.publish([decision('a', 'exempt')])).toEqual({ published: 0, failed: 0 });
    expect(hub.reads).toEqual([]);
  });

  it('logs nothing when every decided finding is synced', async () => {
    const { sink, log } = sinkOver(recordingHub([finding('a')]));
    expect(await settle(sink, [decision('a', 'exempt')])).toMatchObject({ published: 1, failed: 0 });
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('starts its calls with exactly 3 s left', async () => {
    const hub = recordingHub([finding('a')]);
    const { sink } = sinkOver(hub, { remainingMs: () => 3_000 });
    expect(await settle(sink, [decision('a', 'exempt')])).toMatchObject({ published: 1, failed: 0 });
  });

  it('sends no update once the deadline is near after the reads, counting the findings it leaves', async () => {
    const hub = recordingHub([finding('a'), finding('b')]);
    let left = 10_000;
    const { sink, log } = sinkOver(hub, { remainingMs: () => left });
    await sink.publish([decision('a', 'exempt'), decision('b', 'remediated')]);
    const read = hub.adapter.findControlFindings.bind(hub.adapter);
    hub.adapter.findControlFindings = async (scope) => {
      const pass = await read(scope);
      left = 2_999;
      return pass;
    };
    expect(await sink.settle?.({ complete: false })).toMatchObject({ published: 0, failed: 2 });
    expect(hub.updateCalls()).toBe(0);
    expect(log.warn).toHaveBeenCalledWith('Security Hub sync incomplete', {
      accountId: ACCOUNT,
      region: REGION,
      syncRegion: REGION,
      errorCode: 'Deadline',
      unsynced: 2,
    });
  });

  it('names the error of a failed update in its warning', async () => {
    const hub = recordingHub([finding('a')], 'update');
    const { sink, log } = sinkOver(hub, { syncRegion: 'us-east-2' });
    await settle(sink, [decision('a', 'exempt')]);
    expect(log.warn).toHaveBeenCalledWith('Security Hub sync incomplete', {
      accountId: ACCOUNT,
      region: REGION,
      syncRegion: 'us-east-2',
      errorCode: 'InternalException',
      unsynced: 1,
    });
  });

  it('counts the findings Security Hub left unprocessed as failed', async () => {
    const hub = recordingHub([finding('a'), finding('b'), finding('c')], 'first-of-each-update');
    const { sink, log } = sinkOver(hub);
    const result = await settle(sink, [
      decision('a', 'exempt'),
      { ...decision('b', 'exempt'), reason: decision('a', 'exempt').reason },
      decision('c', 'remediated'),
    ]);
    expect(result).toMatchObject({ published: 1, failed: 2, details: { batches: 2 } });
    expect(log.warn).toHaveBeenCalledWith('Security Hub sync incomplete', {
      accountId: ACCOUNT,
      region: REGION,
      syncRegion: REGION,
      errorCode: undefined,
      unsynced: 2,
    });
  });

  it('counts a finding with no room for the guard’s marker as failed', async () => {
    const full = {
      ...finding('a'),
      userDefinedFields: Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, 'v'])),
    };
    const { sink, log } = sinkOver(recordingHub([full]));
    const result = await settle(sink, [decision('a', 'exempt')]);
    expect(result).toMatchObject({ published: 0, failed: 1, details: { 'fields-full': 1 } });
    expect(log.warn).toHaveBeenCalledWith(
      'Security Hub sync incomplete',
      expect.objectContaining({ errorCode: undefined, unsynced: 1 }),
    );
  });

  it('places a record without an account id in its registry’s account', async () => {
    const hub = recordingHub([finding('a')]);
    const { sink } = sinkOver(hub);
    const result = await settle(sink, [{ ...decision('a', 'exempt'), accountId: undefined }]);
    expect(hub.reads.map(({ accountId }) => accountId)).toEqual([ACCOUNT]);
    expect(result).toMatchObject({ published: 1, failed: 0 });
  });

  it.each([
    ['account', { accountId: undefined, registryId: undefined }],
    ['Region', { region: undefined, repositoryArn: undefined }],
    ['repository ARN', { repositoryArn: undefined, repositoryName: undefined }],
  ])(
    'counts a decision without its %s as failed, once, and a gone repository without it not at all',
    async (_name, missing) => {
      const hub = recordingHub([finding('a')]);
      const { sink, log } = sinkOver(hub);
      const result = await settle(sink, [
        { ...decision('a', 'exempt'), ...missing },
        { ...decision('b', 'gone'), ...missing },
      ]);
      expect(result).toMatchObject({ published: 0, failed: 1 });
      expect(hub.reads).toEqual([]);
      expect(log.warn).toHaveBeenCalledWith('Security Hub sync: decisions without account or region', {
        unplaced: 1,
      });
      expect(await sink.settle?.({ complete: false })).toMatchObject({ published: 0, failed: 0 });
      expect(log.warn).toHaveBeenCalledOnce();
    },
  );

  it('drops the decision of a repository found gone later in the invocation', async () => {
    const hub = recordingHub([finding('a')]);
    const { sink, regions } = sinkOver(hub);
    const result = await settle(sink, [decision('a', 'exempt'), decision('a', 'gone')]);
    expect(regions).toEqual([]);
    expect(hub.reads).toEqual([]);
    expect(result).toMatchObject({ published: 0, failed: 0 });
  });

  it.each([
    [{ decided: 20, repositories: 100 }, true, true],
    [{ decided: 20, repositories: 101 }, true, false],
    [{ decided: 21, repositories: 200 }, true, true],
    [{ decided: 21, repositories: 201 }, true, false],
    [{ decided: 100, repositories: 100 }, false, false],
  ])('reads %j whole when the records cover the registry (%s): %s', (group, complete, whole) => {
    expect(readsWhole(group, complete)).toBe(whole);
  });
});
