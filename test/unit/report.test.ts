/**
 * The evidence report (lib/report*.ts): the data set and its hash, the matrix verdicts, the order of
 * exemptions, the readers of saved CLI JSON lines and ResultWriter files, and each format, hostile values
 * included.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { parseManifest, parseResultFile, RESULT_STATUSES } from '../../lib/org-results.ts';
import {
  buildEvidence,
  canonicalJson,
  compareText,
  type EvidenceData,
  evidenceHash,
  type ReportAccountRegion,
  type ReportCounts,
  type ReportRecord,
  reportPolicy,
  toReportRecord,
  zeroCounts,
} from '../../lib/report.ts';
import { CELL_KINDS, CELL_LEGEND, cellOf } from '../../lib/report-cells.ts';
import { renderEvidence } from '../../lib/report-formats.ts';
import { escapeHtml, renderHtml } from '../../lib/report-html.ts';
import type { PassSummaryFacts } from '../../lib/report-lines.ts';
import { escapeMarkdown, renderMarkdown } from '../../lib/report-markdown.ts';
import { mergeReads, readCliJsonLines, readLivePass } from '../../lib/report-readers.ts';
import {
  isResultWriterManifest,
  readResultWriterFiles,
  stateMachineOfMapRun,
} from '../../lib/report-sweep-results.ts';
import { UNKNOWN_WHEN, UNKNOWN_WHO, viewOf } from '../../lib/report-view.ts';
import { A, accountRegion, B, reportCounts as counts, reportRecord } from '../helpers/report-data.ts';

const AT = '2026-06-01T00:00:00.000Z';
const POLICY = reportPolicy({
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  allowedExclusions: ['latest'],
  exemptRepositories: ['legacy/**'],
  exemptTag: { key: 'ecr-guard:exempt', expiryKey: 'ecr-guard:until' },
});

/** A completed account-region of ten compliant repositories, unless `values` say otherwise. */
const entry = (accountId: string, region: string, values: Partial<ReportAccountRegion> = {}) =>
  accountRegion(accountId, region, { counts: counts({ compliant: 10 }), scanned: 10, ...values });

/** A record exempt by name, its setting MUTABLE before and after, unless `values` say otherwise. */
const record = (accountId: string, region: string, subject: string, values: Partial<ReportRecord> = {}) =>
  reportRecord({ before: 'MUTABLE', after: 'MUTABLE', accountId, region, subject, ...values });

const tagExemption = (value: string, until: string) =>
  `rule exempt-tag: ecr-guard:exempt='${value}' until ${until}`;

function fixture(): EvidenceData {
  return buildEvidence({
    policy: POLICY,
    sources: [
      {
        kind: 'cli-json-lines',
        detail: 'run.jsonl',
        gatheredAt: AT,
        gatheredBy: 'arn:aws:sts::111111111111:assumed-role/Auditor/alice',
      },
    ],
    accountRegions: [
      entry(B, 'us-east-1', {
        status: 'skipped',
        code: 'suspended',
        reason: 'the account is SUSPENDED',
        counts: counts(),
        scanned: 0,
      }),
      entry(A, 'eu-west-1', {
        accountName: 'prod',
        counts: counts({ compliant: 7, remediated: 2, exempt: 3 }),
        scanned: 12,
      }),
      entry(A, 'us-east-1', {
        status: 'failed',
        code: 'AccessDeniedException',
        reason: 'sts:AssumeRole failed',
        counts: counts(),
        scanned: 0,
      }),
      entry(B, 'eu-west-1', { counts: counts({ compliant: 5, exempt: 1 }), scanned: 6 }),
    ],
    records: [
      record(A, 'eu-west-1', 'legacy/a'),
      record(A, 'eu-west-1', 'vendor/far', { reason: tagExemption('vendor image', '2027-01-31') }),
      record(A, 'eu-west-1', 'vendor/soon', { reason: tagExemption('migration', '2026-06-20') }),
      record(B, 'eu-west-1', 'vendor/sooner', { reason: tagExemption('cut-over', '2026-06-05') }),
      record(A, 'eu-west-1', 'app', {
        outcome: 'remediated',
        after: 'IMMUTABLE',
        reason: 'rule target: MUTABLE allows tags to be overwritten',
      }),
      record(A, 'eu-west-1', 'api', {
        outcome: 'remediated',
        after: 'IMMUTABLE',
        reason: 'rule target: MUTABLE allows tags to be overwritten',
      }),
      record(B, 'eu-west-1', 'web', {
        outcome: 'blocked-overwrite',
        before: null,
        after: null,
        imageTag: 'v1',
        actor: 'arn:aws:iam::222222222222:user/bob',
        reason: "push to tag 'v1' refused",
      }),
    ],
  });
}

describe('the data set and its hash', () => {
  it('is the SHA-256 of the canonical JSON, recomputable with any JSON library that sorts keys', () => {
    const data = fixture();
    const sorted = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(sorted)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(
              Object.entries(value)
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([key, member]) => [key, sorted(member)]),
            )
          : value;
    const independent = createHash('sha256')
      .update(JSON.stringify(sorted(data)))
      .digest('hex');
    expect(evidenceHash(data)).toBe(independent);
    expect(viewOf(data).sha256).toBe(independent);
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it('does not depend on the order the facts came in', () => {
    const data = fixture();
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...data.accountRegions], { minLength: data.accountRegions.length }),
        fc.shuffledSubarray([...data.records], { minLength: data.records.length }),
        (accountRegions, records) => {
          expect(evidenceHash(buildEvidence({ ...data, accountRegions, records }))).toBe(evidenceHash(data));
        },
      ),
    );
  });

  it('changes when any value it shows changes', () => {
    const data = fixture();
    const changed = [
      { ...data, sources: data.sources.map((source) => ({ ...source, gatheredBy: 'someone else' })) },
      {
        ...data,
        records: data.records.map((entry, index) =>
          index === 0 ? { ...entry, reason: `${entry.reason} ` } : entry,
        ),
      },
      {
        ...data,
        accountRegions: data.accountRegions.map((entry, index) =>
          index === 0 ? { ...entry, scanned: entry.scanned + 1 } : entry,
        ),
      },
      { ...data, policy: { ...data.policy, allowedExclusions: [] } },
    ];
    for (const variant of changed) expect(evidenceHash(variant)).not.toBe(evidenceHash(data));
  });
});

describe('the accounts × Regions matrix', () => {
  it.each([
    [entry(A, 'r'), 'compliant'],
    [entry(A, 'r', { counts: counts({ compliant: 3, exempt: 1 }) }), 'exempt'],
    [entry(A, 'r', { counts: counts({ compliant: 3, remediated: 1, exempt: 1 }) }), 'remediated'],
    [entry(A, 'r', { counts: counts({ 'would-remediate': 1, remediated: 1 }) }), 'would-remediate'],
    [entry(A, 'r', { counts: counts({ failed: 1, remediated: 4 }) }), 'failed'],
    [entry(A, 'r', { status: 'failed', code: 'AccessDenied' }), 'failed'],
    [entry(A, 'r', { status: 'incomplete' }), 'incomplete'],
    [entry(A, 'r', { status: 'unguarded', reason: 'no forwarding rule' }), 'unguarded'],
    [entry(A, 'r', { status: 'skipped', code: 'excluded', reason: 'listed in excludeAccounts' }), 'skipped'],
    [undefined, 'absent'],
  ] as const)('shows %j as %s', (summary, kind) => {
    expect(cellOf(summary).kind).toBe(kind);
  });

  it('gives every kind a symbol and a word, all different, so that it reads without colour', () => {
    const symbols = CELL_KINDS.map((kind) => CELL_LEGEND[kind].symbol);
    const labels = CELL_KINDS.map((kind) => CELL_LEGEND[kind].label);
    expect(new Set(symbols).size).toBe(CELL_KINDS.length);
    expect(new Set(labels).size).toBe(CELL_KINDS.length);
  });

  it('has a row per account and a column per Region, with the reason of a skipped or failed cell', () => {
    const view = viewOf(fixture());
    expect(view.accounts.map((account) => [account.accountId, account.accountName])).toEqual([
      [A, 'prod'],
      [B, null],
    ]);
    expect(view.regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(view.cells.map((row) => row.map((cell) => cell.kind))).toEqual([
      ['remediated', 'failed'],
      ['exempt', 'skipped'],
    ]);
    expect(view.cells[1]?.[1]?.detail).toBe('suspended: the account is SUSPENDED');
    expect(view.cells[0]?.[1]?.detail).toBe('AccessDeniedException: sts:AssumeRole failed; no repositories');
    expect(view.totals).toEqual(counts({ compliant: 12, remediated: 2, exempt: 4 }));
  });
});

describe('the exemptions', () => {
  it('lists those expiring within 30 days first, soonest first, then by expiry, then those without one', () => {
    const rows = viewOf(fixture()).exemptions;
    expect(rows.map((row) => [row.subject, row.expiry ?? null, row.soon])).toEqual([
      ['vendor/sooner', '2026-06-05', true],
      ['vendor/soon', '2026-06-20', true],
      ['vendor/far', '2027-01-31', false],
      ['legacy/a', null, false],
    ]);
    expect(rows[0]).toMatchObject({ rule: 'exempt-tag ecr-guard:exempt', reason: 'cut-over', accountId: B });
  });

  it.each([
    ['2026-07-01', true],
    ['2026-07-01T00:00:00Z', true],
    ['2026-07-01T00:00:01Z', false],
  ])('counts an expiry of %s as within 30 days: %s', (until, soon) => {
    const data = buildEvidence({
      ...fixture(),
      records: [record(A, 'eu-west-1', 'x', { reason: tagExemption('r', until) })],
    });
    expect(viewOf(data).exemptions[0]?.soon).toBe(soon);
  });
});

describe('when "within 30 days" counts from', () => {
  const soonIn = (data: EvidenceData, madeAt?: string) =>
    viewOf(data, { madeAt }).exemptions.map((row) => [row.subject, row.soon]);
  const undated = (data: EvidenceData): EvidenceData => ({
    ...data,
    sources: data.sources.map((source) => ({ ...source, gatheredAt: null })),
  });

  it('is when the data was gathered, the latest of the sources that say', () => {
    const data = fixture();
    const later = {
      ...data,
      sources: [
        ...data.sources,
        {
          ...data.sources[0],
          kind: 'live-dry-run' as const,
          detail: 'x',
          gatheredAt: '2026-06-18T00:00:00.000Z',
          gatheredBy: null,
        },
      ],
    };
    expect(viewOf(data, { madeAt: '2030-01-01T00:00:00.000Z' }).asOf).toEqual({ at: AT, basis: 'gathered' });
    expect(viewOf(later).asOf).toEqual({ at: '2026-06-18T00:00:00.000Z', basis: 'gathered' });
    // 2026-06-05 is past on 06-18 (still listed first), 2026-06-20 within 30 days, 2027-01-31 not.
    expect(soonIn(later)).toEqual([
      ['vendor/sooner', true],
      ['vendor/soon', true],
      ['vendor/far', false],
      ['legacy/a', false],
    ]);
  });

  it('is when the report was made when no source says when, and the page says which', () => {
    const data = undated(fixture());
    const view = viewOf(data, { madeAt: '2027-01-10T00:00:00.000Z' });
    expect(view.asOf).toEqual({ at: '2027-01-10T00:00:00.000Z', basis: 'made' });
    expect(view.exemptions.filter((row) => row.soon).map((row) => row.subject)).toEqual([
      'vendor/sooner',
      'vendor/soon',
      'vendor/far',
    ]);
    expect(renderEvidence(data, 'md', [], { madeAt: '2027-01-10T00:00:00.000Z' })).toContain(
      'when this report was made: the source does not say when its data was gathered',
    );
  });

  it('marks none "soon" when neither the source nor the caller says when', () => {
    const data = undated(fixture());
    expect(viewOf(data).asOf).toEqual({ at: null, basis: 'unknown' });
    expect(viewOf(data).exemptions.some((row) => row.soon)).toBe(false);
  });
});

describe('readLivePass and mergeReads', () => {
  const source = {
    kind: 'live-dry-run' as const,
    detail: 'organisation × eu-west-1',
    gatheredAt: AT,
    gatheredBy: 'arn:aws:sts::111111111111:assumed-role/Auditor/alice',
  };
  const summary = (
    accountId: string,
    region: string,
    values: Partial<PassSummaryFacts> = {},
  ): PassSummaryFacts => ({
    accountId,
    accountName: undefined,
    region,
    status: 'completed',
    counts: { ...counts({ compliant: 2 }), ignored: 0, 'exemption-staged': 0, 'blocked-overwrite': 0 },
    scanned: 2,
    ...values,
  });
  const audit = (
    outcome: AuditRecord['outcome'],
    repositoryName: string,
    region = 'eu-west-1',
  ): AuditRecord => ({
    outcome,
    repositoryName,
    repositoryArn: undefined,
    registryId: A,
    accountId: A,
    region,
    before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
    after: undefined,
    trigger: 'backfill',
    dryRun: true,
    reason: 'rule target: MUTABLE allows tags to be overwritten; target is IMMUTABLE',
  });

  it('keeps a live pass’s account-regions as the CLI’s summary lines say them, and only the records the report lists', () => {
    const data = readLivePass({
      policy: POLICY,
      source,
      summaries: [
        summary(A, 'eu-west-1', { counts: { ...zeroCounts(), 'would-remediate': 1, ignored: 0 } }),
        summary(B, 'eu-west-1', {
          status: 'skipped',
          skipReason: 'suspended',
          reason: 'the account is SUSPENDED',
          errorCode: undefined,
        }),
        summary(B, 'us-east-1', {
          status: 'failed',
          errorCode: 'AccessDenied',
          reason: 'sts:AssumeRole failed',
        }),
      ],
      records: [audit('would-remediate', 'app'), audit('compliant', 'ok'), audit('gone', 'was')],
    });
    expect(data.sources).toEqual([source]);
    expect(
      data.accountRegions.map((entry) => [
        entry.accountId,
        entry.region,
        entry.status,
        entry.code,
        entry.reason,
      ]),
    ).toEqual([
      [A, 'eu-west-1', 'completed', null, null],
      [B, 'eu-west-1', 'skipped', 'suspended', 'the account is SUSPENDED'],
      [B, 'us-east-1', 'failed', 'AccessDenied', 'sts:AssumeRole failed'],
    ]);
    expect(data.records.map((entry) => [entry.outcome, entry.subject])).toEqual([['would-remediate', 'app']]);
  });

  it('lists every source, and shows an account-region in two as the later one says, with a note', () => {
    const first = {
      data: readLivePass({
        policy: POLICY,
        source: { ...source, detail: 'first' },
        summaries: [summary(A, 'eu-west-1'), summary(A, 'us-east-1')],
        records: [audit('would-remediate', 'old')],
      }),
      notes: ['first note'],
    };
    const second = {
      data: readLivePass({
        policy: POLICY,
        source: { ...source, detail: 'second' },
        summaries: [summary(A, 'eu-west-1', { counts: { ...zeroCounts(), exempt: 1 } })],
        records: [audit('exempt', 'new')],
      }),
      notes: [],
    };
    const { data, notes } = mergeReads({ policy: POLICY }, [first, second]);
    expect(data.sources.map((entry) => entry.detail)).toEqual(['first', 'second']);
    expect(data.accountRegions.map((entry) => [entry.region, entry.counts.exempt])).toEqual([
      ['eu-west-1', 1],
      ['us-east-1', 0],
    ]);
    expect(data.records.map((entry) => entry.subject)).toEqual(['new']);
    expect(notes).toEqual([
      'first note',
      `${A} eu-west-1 is in first and in second: shown as the latter says`,
    ]);
  });

  it.each([
    [
      'a ResultWriter manifest',
      JSON.stringify({ DestinationBucket: 'b', MapRunArn: 'm', ResultFiles: {} }),
      true,
    ],
    ['one CLI JSON line', JSON.stringify({ type: 'total', result: 'succeeded' }), false],
    ['CLI JSON lines', '{"type":"audit"}\n{"type":"total"}\n', false],
    ['a JSON array', '[]', false],
  ])('tells %s apart from the other saved form: %s', (_name, text, manifest) => {
    expect(isResultWriterManifest(text)).toBe(manifest);
  });

  it.each([
    [
      'arn:aws:states:eu-west-1:111111111111:mapRun:org-sweep/SweepAccountRegions:7c1f',
      'arn:aws:states:eu-west-1:111111111111:stateMachine:org-sweep',
    ],
    [
      'arn:aws-cn:states:cn-north-1:111111111111:mapRun:sm/Map:1',
      'arn:aws-cn:states:cn-north-1:111111111111:stateMachine:sm',
    ],
    ['not an arn', null],
  ])('names the state machine of Map Run %s', (mapRun, machine) => {
    expect(stateMachineOfMapRun(mapRun)).toBe(machine);
  });
});

describe('readCliJsonLines', () => {
  const context = { policy: POLICY, file: 'run.jsonl' };
  const audit = (values: Record<string, unknown>) =>
    JSON.stringify({
      type: 'audit',
      outcome: 'exempt',
      repositoryName: 'legacy/a',
      repositoryArn: `arn:aws:ecr:eu-west-1:${A}:repository/legacy/a`,
      registryId: A,
      region: 'eu-west-1',
      before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
      after: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
      trigger: 'sweep',
      dryRun: true,
      reason: "rule exempt-name: repository name matches 'legacy/**'",
      ...values,
    });
  const orgSummary = (values: Record<string, unknown>) =>
    JSON.stringify({
      type: 'summary',
      accountId: A,
      accountName: 'prod',
      region: 'eu-west-1',
      status: 'completed',
      counts: {
        compliant: 3,
        remediated: 0,
        'would-remediate': 1,
        exempt: 1,
        gone: 0,
        failed: 0,
        ignored: 0,
        'exemption-staged': 0,
        'blocked-overwrite': 0,
      },
      templateCounts: {},
      scanned: 5,
      seconds: 1.2,
      ...values,
    });

  it('reads an organisation run: records, every account-region with its status, and notes what it leaves', () => {
    const text = [
      audit({ accountId: A }),
      audit({
        accountId: A,
        outcome: 'would-remediate',
        repositoryName: 'app',
        reason: 'rule target: MUTABLE …',
      }),
      audit({ accountId: A, outcome: 'compliant', repositoryName: 'ok' }),
      orgSummary({}),
      orgSummary({
        accountId: B,
        accountName: null,
        status: 'skipped',
        skipReason: 'suspended',
        reason: 'the account is SUSPENDED',
        scanned: 0,
        counts: zeroCounts(),
      }),
      JSON.stringify({ type: 'total', result: 'succeeded' }),
      JSON.stringify({ type: 'error', message: 'eu-north-1: opt-in Region not enabled' }),
      JSON.stringify({ type: 'progress', scanned: 3 }),
      '',
    ].join('\n');
    const { data, notes } = readCliJsonLines(text, context);
    expect(data.records.map((entry) => [entry.outcome, entry.subject])).toEqual([
      ['would-remediate', 'app'],
      ['exempt', 'legacy/a'],
    ]);
    expect(data.accountRegions).toEqual([
      entry(A, 'eu-west-1', {
        accountName: 'prod',
        counts: counts({ compliant: 3, 'would-remediate': 1, exempt: 1 }),
        scanned: 5,
      }),
      entry(B, 'eu-west-1', {
        status: 'skipped',
        code: 'suspended',
        reason: 'the account is SUSPENDED',
        counts: counts(),
        scanned: 0,
      }),
    ]);
    expect(notes).toEqual([
      'run.jsonl:7: the run reported an error: eu-north-1: opt-in Region not enabled',
      'run.jsonl:8: a line of type "progress" is not part of the report',
    ]);
    // The CLI's lines record neither when nor by whom: the report says so, it does not guess.
    expect(data.sources).toEqual([
      { kind: 'cli-json-lines', detail: 'run.jsonl', gatheredAt: null, gatheredBy: null },
    ]);
  });

  it('reads the functions’ audit log lines: their records, the window they were written in, the functions that wrote them', () => {
    const logLine = (timestamp: string, values: Record<string, unknown>) =>
      JSON.stringify({
        level: 'INFO',
        message: 'ecr-guard audit',
        timestamp,
        service: 'ecr-immutability-guard',
        function_arn: `arn:aws:lambda:eu-west-1:${A}:function:guardrail`,
        repositoryName: 'web',
        registryId: B,
        accountId: B,
        region: 'eu-west-1',
        trigger: 'event',
        dryRun: false,
        ...values,
      });
    const text = [
      logLine('2026-06-02T10:00:00.000Z', {
        outcome: 'blocked-overwrite',
        imageTag: 'latest',
        actor: `arn:aws:sts::${B}:assumed-role/ci/build-7`,
        errorCode: 'ImageTagAlreadyExistsException',
        reason: "push to tag 'latest' refused with ImageTagAlreadyExistsException: the tag is immutable",
      }),
      logLine('2026-06-01T09:00:00.000Z', {
        outcome: 'remediated',
        repositoryName: 'api',
        before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
        after: { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] },
        reason: 'rule target: MUTABLE allows tags to be overwritten; target is IMMUTABLE',
      }),
      JSON.stringify({ level: 'INFO', message: 'sweep finished', timestamp: '2026-06-01T09:00:01.000Z' }),
      JSON.stringify({ level: 'INFO', message: 'sweep finished', timestamp: '2026-06-01T09:00:02.000Z' }),
    ].join('\n');
    const { data, notes } = readCliJsonLines(text, context);
    expect(data.records.map((entry) => [entry.outcome, entry.subject, entry.imageTag, entry.actor])).toEqual([
      ['remediated', 'api', null, null],
      ['blocked-overwrite', 'web', 'latest', `arn:aws:sts::${B}:assumed-role/ci/build-7`],
    ]);
    expect(data.sources).toEqual([
      {
        kind: 'audit-log',
        detail: 'run.jsonl (audit log lines written 2026-06-01T09:00:00.000Z – 2026-06-02T10:00:00.000Z)',
        gatheredAt: '2026-06-01T09:00:00.000Z',
        gatheredBy: `arn:aws:lambda:eu-west-1:${A}:function:guardrail`,
      },
    ]);
    const view = viewOf(data);
    expect(view.blockedOverwrites.map((group) => group.accountId)).toEqual([B]);
    expect(notes).toEqual([
      'run.jsonl:3: 2 lines of log message "sweep finished" are not part of the report (the first here)',
      'run.jsonl: no summary lines; the matrix shows no account-region, only the records are listed',
    ]);
  });

  it('refuses an audit log line that is not an audit record, naming the line and field', () => {
    const line = JSON.stringify({
      message: 'ecr-guard audit',
      outcome: 'exempt',
      trigger: 'event',
      dryRun: false,
    });
    expect(() => readCliJsonLines(line, context)).toThrow(/run\.jsonl:1\.reason/);
  });

  it('takes a single-account summary’s account from the records of its Region, or says it has none', () => {
    const single = (region: string) =>
      JSON.stringify({
        type: 'summary',
        region,
        counts: counts({ compliant: 2, failed: 1 }),
        templates: {},
        missing: [],
        scanned: 3,
        seconds: 0.4,
      });
    const { data, notes } = readCliJsonLines(
      [audit({}), single('eu-west-1'), single('us-east-2')].join('\n'),
      context,
    );
    expect(
      data.accountRegions.map((summary) => [summary.accountId, summary.region, summary.status, summary.code]),
    ).toEqual([
      [A, 'eu-west-1', 'failed', 'RepositoriesFailed'],
      ['unknown', 'us-east-2', 'failed', 'RepositoriesFailed'],
    ]);
    expect(notes).toEqual([
      expect.stringContaining('run.jsonl:3: the summary of us-east-2 names no account'),
    ]);
    expect(
      readCliJsonLines(single('us-east-2'), { ...context, accountId: B }).data.accountRegions[0]?.accountId,
    ).toBe(B);
  });

  it.each([
    ['a line that is not JSON', '{"type":"audit"', /run\.jsonl:1: not JSON/],
    [
      'an audit line without a reason',
      JSON.stringify({ type: 'audit', outcome: 'exempt', trigger: 'sweep', dryRun: false }),
      /run\.jsonl:1\.reason/,
    ],
    [
      'a summary with a status it does not know',
      JSON.stringify({
        type: 'summary',
        accountId: A,
        region: 'r',
        status: 'done',
        counts: zeroCounts(),
        scanned: 0,
      }),
      /run\.jsonl:1\.status/,
    ],
  ])('refuses %s, naming the line and field', (_name, text, message) => {
    expect(() => readCliJsonLines(text, context)).toThrow(InvalidInputError);
    expect(() => readCliJsonLines(text, context)).toThrow(message);
  });
});

describe('readResultWriterFiles', () => {
  const outcome = (
    accountId: string,
    region: string,
    values: Partial<ReportCounts>,
    message?: string,
    forwarding?: { status: string; reason?: string },
  ) =>
    JSON.stringify({
      accountId,
      region,
      counts: counts(values),
      scanned: Object.values(counts(values)).reduce((a, b) => a + b, 0),
      pages: 1,
      ...(message === undefined ? {} : { message }),
      ...(forwarding === undefined ? {} : { forwarding }),
    });
  const item = (accountId: string, region: string) =>
    JSON.stringify({ accountId, region, roleName: 'EcrImmutabilityGuardMember' });
  const manifest = JSON.stringify({
    DestinationBucket: 'results',
    MapRunArn: 'arn:aws:states:eu-west-1:111111111111:mapRun:org/Map:1',
    ResultFiles: {
      SUCCEEDED: [{ Key: 'r/SUCCEEDED_0.json', Size: 1 }],
      FAILED: [{ Key: 'r/FAILED_0.json', Size: 1 }],
      PENDING: [{ Key: 'r/PENDING_0.json', Size: 1 }],
    },
  });
  const files: Record<string, string> = {
    'r/SUCCEEDED_0.json': JSON.stringify([
      {
        Status: 'SUCCEEDED',
        Input: item(A, 'eu-west-1'),
        Output: outcome(A, 'eu-west-1', { compliant: 9, remediated: 1 }),
      },
      {
        Status: 'SUCCEEDED',
        Input: item(A, 'us-east-1'),
        Output: outcome(A, 'us-east-1', { compliant: 1, failed: 2 }),
      },
    ]),
    'r/FAILED_0.json': JSON.stringify([
      {
        Status: 'FAILED',
        Input: item(B, 'eu-west-1'),
        Error: 'AwsCallError',
        Cause: outcome(B, 'eu-west-1', { compliant: 4 }, 'sts:AssumeRole failed with AccessDenied'),
      },
      { Status: 'FAILED', Input: item(B, 'us-east-1'), Error: 'States.Timeout', Cause: 'timed out' },
    ]),
    'r/PENDING_0.json': JSON.stringify([{ Status: 'PENDING', Input: item('333333333333', 'eu-west-1') }]),
  };
  /** The files parsed as lib/org-results.ts `readResults` gives them, then read. */
  const read = (
    extra: {
      readFile?: (key: string) => string | undefined;
      skipped?: Parameters<typeof readResultWriterFiles>[0]['skipped'];
    } = {},
  ) => {
    const parsed = parseManifest(manifest, 'r/manifest.json');
    const readFile = extra.readFile ?? ((key: string) => files[key]);
    return readResultWriterFiles({
      policy: POLICY,
      manifestKey: 'r/manifest.json',
      manifest: parsed,
      files: RESULT_STATUSES.flatMap((status) =>
        parsed.files[status].map((key) => parseResultFile(readFile(key) ?? '[]', key, status)),
      ),
      ...(extra.skipped === undefined ? {} : { skipped: extra.skipped }),
    });
  };

  it('makes every child execution an account-region, failed ones with what is known of them', () => {
    const { data, notes } = read({
      skipped: [
        { accountId: '444444444444', name: 'retired', reason: 'closed', detail: 'the account is CLOSED' },
      ],
    });
    expect(
      data.accountRegions.map((summary) => [
        summary.accountId,
        summary.region,
        summary.status,
        summary.code,
        summary.counts.compliant,
      ]),
    ).toEqual([
      [A, 'eu-west-1', 'completed', null, 9],
      [A, 'us-east-1', 'failed', 'RepositoriesFailed', 1],
      [B, 'eu-west-1', 'failed', 'AwsCallError', 4],
      [B, 'us-east-1', 'failed', 'States.Timeout', 0],
      ['333333333333', 'eu-west-1', 'failed', 'Pending', 0],
      ['444444444444', 'eu-west-1', 'skipped', 'closed', 0],
      ['444444444444', 'us-east-1', 'skipped', 'closed', 0],
    ]);
    expect(data.accountRegions[2]?.reason).toBe('partial counts: sts:AssumeRole failed with AccessDenied');
    expect(data.accountRegions[3]?.reason).toBe('counts unknown: timed out');
    expect(data.records).toEqual([]);
    expect(notes).toEqual([expect.stringContaining('hold counts per account-region, not audit records')]);
    expect(data.sources).toEqual([
      {
        kind: 'result-writer',
        detail: 'arn:aws:states:eu-west-1:111111111111:mapRun:org/Map:1 (r/manifest.json)',
        gatheredAt: null,
        gatheredBy: 'arn:aws:states:eu-west-1:111111111111:stateMachine:org',
      },
    ]);
  });

  it('makes a child whose forwarding rule was not in place unguarded, with the reason; failed stays failed and says both', () => {
    const missing = { status: 'unguarded', reason: 'the forwarding rule does not exist' };
    const { data } = read({
      readFile: (key: string) =>
        key === 'r/SUCCEEDED_0.json'
          ? JSON.stringify([
              {
                Status: 'SUCCEEDED',
                Input: item(A, 'eu-west-1'),
                Output: outcome(A, 'eu-west-1', { compliant: 3 }, undefined, missing),
              },
              {
                Status: 'SUCCEEDED',
                Input: item(A, 'us-east-1'),
                Output: outcome(A, 'us-east-1', { failed: 1 }, undefined, missing),
              },
              {
                Status: 'SUCCEEDED',
                Input: item(B, 'eu-west-1'),
                Output: outcome(B, 'eu-west-1', { compliant: 1 }, undefined, { status: 'guarded' }),
              },
            ])
          : files[key],
    });
    expect(
      // The succeeded children come first, in the file's order.
      data.accountRegions
        .slice(0, 3)
        .map((summary) => [summary.accountId, summary.region, summary.status, summary.code, summary.reason]),
    ).toEqual([
      [A, 'eu-west-1', 'unguarded', null, 'unguarded: the forwarding rule does not exist'],
      [
        A,
        'us-east-1',
        'failed',
        'RepositoriesFailed',
        '1 repositories could not be decided; unguarded: the forwarding rule does not exist',
      ],
      [B, 'eu-west-1', 'completed', null, null],
    ]);
    expect(cellOf(data.accountRegions[0]).kind).toBe('unguarded');
  });

  it('takes when from the earliest child’s start, and says plainly that skipped accounts are not in the files', () => {
    const started = (at: string | number) => ({
      Status: 'SUCCEEDED',
      Input: item(A, 'eu-west-1'),
      Output: outcome(A, 'eu-west-1', { compliant: 1 }),
      StartDate: at,
    });
    const { data, notes } = read({
      readFile: (key: string) =>
        key === 'r/SUCCEEDED_0.json'
          ? JSON.stringify([started('2026-11-30T04:00:02.000Z'), started(1_796_011_200)])
          : '[]',
    });
    // 1,796,011,200 epoch seconds: 2026-11-30T04:00:00Z.
    expect(data.sources[0]?.gatheredAt).toBe('2026-11-30T04:00:00.000Z');
    expect(notes).toContainEqual(
      expect.stringContaining(
        'accounts its scope skipped (suspended, excluded, the management account) are not in them',
      ),
    );
  });
});

describe('the formats, with hostile values', () => {
  const hostile = '<img src=x onerror=alert(1)>|[click](javascript:alert(1))*bold*`code`\n# heading';
  function hostileData(): EvidenceData {
    const base = fixture();
    return buildEvidence({
      ...base,
      sources: [
        { kind: 'live-dry-run', detail: 'x', gatheredAt: AT, gatheredBy: '"><script>alert("by")</script>' },
      ],
      accountRegions: [
        ...base.accountRegions,
        entry('999999999999', 'ap-south-1', {
          accountName: `prod" onmouseover="alert(1)`,
          status: 'failed',
          code: '<b>x</b>',
          reason: hostile,
        }),
      ],
      records: [
        ...base.records,
        record(A, 'eu-west-1', `legacy/${hostile}`, {
          reason: tagExemption(`</pre><script>alert(2)</script>${hostile}`, '2026-06-10'),
        }),
        record(A, 'eu-west-1', hostile, {
          outcome: 'failed',
          errorCode: '<svg onload=alert(3)>',
          reason: hostile,
        }),
      ],
    });
  }

  /** Every tag of a page with its attribute names: data is escaped, so every `<` in the page is the renderer's. */
  function tagsOf(html: string): { name: string; attributes: string[] }[] {
    return [...html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)].map((match) => ({
      name: (match[1] ?? '').toLowerCase(),
      attributes: [...(match[2] ?? '').matchAll(/\s([\w:-]+)="[^"]*"/g)].map((attribute) =>
        (attribute[1] ?? '').toLowerCase(),
      ),
    }));
  }
  const TAGS =
    'html head meta title style body header h1 h2 h3 dl dt dd section table thead tbody tr th td span div p code svg rect text ul li details summary pre footer';
  const ATTRIBUTES =
    'lang charset http-equiv content name id class scope data-kind data-account data-region data-expiry data-source aria-hidden role aria-label width height viewbox xmlns x y fill stroke stroke-width font-size';

  it('escapes every value in the HTML page: no element or attribute comes from the data', () => {
    const html = renderEvidence(hostileData(), 'html');
    const tags = tagsOf(html);
    expect(new Set(tags.map((tag) => tag.name))).toEqual(
      new Set(tags.map((tag) => tag.name).filter((name) => TAGS.split(' ').includes(name))),
    );
    expect(
      tags.flatMap((tag) => tag.attributes).filter((attribute) => !ATTRIBUTES.split(' ').includes(attribute)),
    ).toEqual([]);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;');
    expect(html).toContain('prod&quot; onmouseover=&quot;alert(1)');
    expect(escapeHtml(`<a href='x'>&`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;');
  });

  it('loads nothing: no script, link, image, frame or font, and the only URL is the SVG namespace', () => {
    const html = renderEvidence(hostileData(), 'html');
    const names = tagsOf(html).map((tag) => tag.name);
    for (const loader of [
      'script',
      'link',
      'img',
      'iframe',
      'object',
      'embed',
      'video',
      'audio',
      'source',
      'base',
      'image',
      'use',
    ])
      expect(names).not.toContain(loader);
    const attributes = tagsOf(html).flatMap((tag) => tag.attributes);
    for (const loader of ['src', 'href', 'xlink:href', 'action', 'srcset', 'poster'])
      expect(attributes).not.toContain(loader);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(style).not.toMatch(/url\(|@import|@font-face/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;`);
    // The only URL is the SVG namespace, an identifier that is never fetched.
    expect([...html.matchAll(/https?:\/\/[^\s"'<]+/g)].map((match) => match[0])).toEqual([
      'http://www.w3.org/2000/svg',
    ]);
  });

  it('shows in the HTML page the hash, and the exact data it is of', () => {
    const data = hostileData();
    const html = renderEvidence(data, 'html');
    const shown = /<pre id="evidence-data">([^<]*)<\/pre>/.exec(html)?.[1] ?? '';
    const decoded = shown
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&');
    expect(decoded).toBe(canonicalJson(data));
    expect(html).toContain(`<code id="sha256">${evidenceHash(data)}</code>`);
  });

  it('escapes every value in Markdown: one table row per account, no link, HTML or emphasis from the data', () => {
    const markdown = renderMarkdown(viewOf(hostileData()));
    expect(markdown).not.toMatch(/(?<!\\)<(?:img|script|svg|b)\b/);
    expect(markdown).not.toMatch(/(?<!\\)\[click(?<!\\)\]/);
    expect(markdown).toContain(
      '\\<img src=x onerror=alert(1)\\>\\|\\[click\\](javascript:alert(1))\\*bold\\*\\`code\\` # heading',
    );
    // Header, separator, and one row per account; each row a cell per Region after the account.
    const matrixRows = markdown.split('## Accounts × Regions')[1]?.split('\n\n')[1]?.split('\n') ?? [];
    expect(matrixRows).toHaveLength(2 + 3);
    for (const row of matrixRows) expect(row.match(/(?<!\\)\|/g)).toHaveLength(2 + 3);
    expect(escapeMarkdown('a|b\r\nc')).toBe('a\\|b c');
  });

  it('writes JSON whose data hashes to the sha256 it states, with the matrix and ordered exemptions', () => {
    const data = hostileData();
    const parsed: unknown = JSON.parse(renderEvidence(data, 'json', ['a note']));
    expect(parsed).toMatchObject({
      schema: 'ecr-guard-evidence/1',
      sha256: evidenceHash(data),
      notes: ['a note'],
    });
    const again = typeof parsed === 'object' && parsed !== null && 'data' in parsed ? parsed.data : undefined;
    expect(createHash('sha256').update(canonicalJson(again)).digest('hex')).toBe(evidenceHash(data));
    expect(JSON.stringify(parsed)).toContain('"kind":"failed"');
  });

  it('renders an empty data set in every format', () => {
    const empty = buildEvidence({
      policy: POLICY,
      sources: [{ kind: 'live-dry-run', detail: 'account 111111111111', gatheredAt: null, gatheredBy: null }],
      accountRegions: [],
      records: [],
    });
    expect(renderHtml(viewOf(empty))).toContain('No exemptions in this data.');
    expect(renderMarkdown(viewOf(empty))).toContain(UNKNOWN_WHO);
    expect(renderHtml(viewOf(empty))).toContain(UNKNOWN_WHEN);
    expect(JSON.parse(renderEvidence(empty, 'json'))).toMatchObject({ summary: { matrix: [] } });
  });
});

describe('the data set’s parts (lib/report.ts)', () => {
  const base: AuditRecord = {
    outcome: 'failed',
    repositoryName: 'app',
    repositoryArn: undefined,
    registryId: B,
    region: 'eu-west-1',
    accountId: A,
    before: { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['v*', 'latest'] },
    after: undefined,
    trigger: 'event',
    dryRun: true,
    reason: 'gave up',
    actor: 'arn:aws:iam::111111111111:user/bob',
    imageTag: 'v1',
    errorCode: 'Throttling',
  };

  it('names the policy with its allowed exclusions sorted, and none when it has no exemption tag', () => {
    expect(
      reportPolicy({
        target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
        allowedExclusions: ['nightly-*', 'latest'],
        exemptRepositories: ['z/**', 'a/**'],
        exemptTag: { key: 'exempt' },
      }),
    ).toEqual({
      target: 'IMMUTABLE',
      allowedExclusions: ['latest', 'nightly-*'],
      exemptRepositories: ['z/**', 'a/**'],
      exemptTagKey: 'exempt',
      exemptExpiryTagKey: null,
    });
    expect(
      reportPolicy({ target: { mutability: 'IMMUTABLE', exclusionFilters: [] }, exemptRepositories: [] }),
    ).toMatchObject({ allowedExclusions: [], exemptTagKey: null, exemptExpiryTagKey: null });
  });

  it('keeps of an audit record what the report shows, and nothing of the outcomes it only counts', () => {
    expect(toReportRecord(base)).toEqual({
      outcome: 'failed',
      accountId: A,
      region: 'eu-west-1',
      subject: 'app',
      reason: 'gave up',
      before: 'IMMUTABLE_WITH_EXCLUSION [latest, v*]',
      after: null,
      trigger: 'event',
      dryRun: true,
      actor: 'arn:aws:iam::111111111111:user/bob',
      imageTag: 'v1',
      errorCode: 'Throttling',
    });
    for (const outcome of ['compliant', 'gone', 'ignored', 'exemption-staged'] as const)
      expect(toReportRecord({ ...base, outcome })).toBeUndefined();
  });

  it.each([
    ['the registry when the record names no account', { accountId: undefined }, { accountId: B }],
    [
      'unknown place and an unnamed subject when the record says neither',
      { accountId: undefined, registryId: undefined, region: undefined, repositoryName: undefined },
      { accountId: 'unknown', region: 'unknown', subject: '(unnamed)' },
    ],
    [
      'a creation template by its prefix',
      { templatePrefix: 'team-a/' },
      { subject: 'creation template team-a/' },
    ],
    [
      'null for what the record does not hold',
      { actor: undefined, imageTag: undefined, errorCode: undefined, before: undefined },
      { actor: null, imageTag: null, errorCode: null, before: null },
    ],
  ] as const)('shows %s', (_name, values, shown) => {
    expect(toReportRecord({ ...base, ...values })).toMatchObject(shown);
  });

  it('orders records of one repository by outcome, then reason, and equal text as equal', () => {
    const data = buildEvidence({
      policy: POLICY,
      sources: [],
      accountRegions: [],
      records: [
        record(A, 'r', 'x', { outcome: 'remediated', reason: 'b' }),
        record(A, 'r', 'x', { outcome: 'remediated', reason: 'a' }),
        record(A, 'r', 'x', { outcome: 'exempt', reason: 'c' }),
      ],
    });
    expect(data.records.map((entry) => [entry.outcome, entry.reason])).toEqual([
      ['exempt', 'c'],
      ['remediated', 'a'],
      ['remediated', 'b'],
    ]);
    expect([compareText('a', 'b'), compareText('b', 'a'), compareText('a', 'a')]).toEqual([-1, 1, 0]);
  });

  it('keeps arrays in order and null as null in the canonical JSON, and hashes its UTF-8 bytes', () => {
    expect(canonicalJson({ b: [3, 1, 2], a: null })).toBe('{"a":null,"b":[3,1,2]}');
    const data = buildEvidence({ policy: POLICY, sources: [], accountRegions: [], records: [] });
    const named = { ...data, policy: { ...data.policy, target: 'IMMUTABLE ’ü' } };
    expect(evidenceHash(named)).toBe(
      createHash('sha256')
        .update(Buffer.from(canonicalJson(named), 'utf8'))
        .digest('hex'),
    );
  });
});
