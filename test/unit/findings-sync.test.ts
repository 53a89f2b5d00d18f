/**
 * Planning the Security Hub sync (lib/findings-sync.ts): what each decision does to its ECR.2 finding, that
 * a person's suppression is never touched, that a second run asks for nothing, and how updates are grouped
 * into batches of at most 100 findings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuditRecord, type Outcome, repositoryRecord } from '../../lib/audit.ts';
import { MAX_NOTE_LENGTH } from '../../lib/finding-notes.ts';
import {
  type ControlFinding,
  decidesFinding,
  FINDING_OUTCOMES,
  type FindingOutcome,
  type FindingUpdate,
  GUARD_MARKER_KEY,
  MAX_FINDINGS_PER_UPDATE,
  planFindingUpdates,
  repositoryArnOf,
  type SyncInput,
} from '../../lib/findings-sync.ts';
import type { MutabilitySetting } from '../../lib/policy.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const NOW = new Date('2026-06-01T12:00:00.000Z');
const PRODUCT = `arn:aws:securityhub:${REGION}::product/aws/securityhub`;
const POLICY: SyncInput['policy'] = {
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  allowedExclusions: ['latest'],
  exemptTag: { key: 'ecr-guard:exempt', expiryKey: 'ecr-guard:until' },
};
const arn = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;

const MUTABLE: MutabilitySetting = { mutability: 'MUTABLE', exclusionFilters: [] };
const IMMUTABLE: MutabilitySetting = { mutability: 'IMMUTABLE', exclusionFilters: [] };
const WITH_LATEST: MutabilitySetting = {
  mutability: 'IMMUTABLE_WITH_EXCLUSION',
  exclusionFilters: ['latest'],
};

const NAME_EXEMPTION = "rule exempt-name: repository name matches 'legacy/**'";
const TAG_EXEMPTION = "rule exempt-tag: ecr-guard:exempt='vendor image SEC-12' until 2026-12-31";

function record(
  name: string,
  outcome: Outcome,
  options: { before?: MutabilitySetting; after?: MutabilitySetting; reason?: string; dryRun?: boolean } = {},
): AuditRecord {
  const before = options.before ?? MUTABLE;
  return repositoryRecord(
    { repositoryName: name, repositoryArn: arn(name), registryId: ACCOUNT, setting: before },
    outcome,
    options.reason ?? `reason of ${name}`,
    { trigger: 'sweep', dryRun: options.dryRun ?? false, region: REGION },
    options.after === undefined ? {} : { after: options.after },
  );
}

function finding(
  name: string,
  options: {
    compliance?: string;
    workflow?: string;
    marker?: string;
    note?: string;
    fields?: Record<string, string>;
  } = {},
): ControlFinding {
  return {
    id: `arn:aws:securityhub:${REGION}:${ACCOUNT}:security-control/ECR.2/finding/${name}`,
    productArn: PRODUCT,
    accountId: ACCOUNT,
    region: REGION,
    resourceId: arn(name),
    complianceStatus: options.compliance ?? 'FAILED',
    workflowStatus: options.workflow ?? 'NEW',
    noteText: options.note,
    userDefinedFields: {
      ...options.fields,
      ...(options.marker === undefined ? {} : { [GUARD_MARKER_KEY]: options.marker }),
    },
  };
}

function plan(records: readonly AuditRecord[], findings: readonly ControlFinding[], now = NOW) {
  return planFindingUpdates({ records, findings, policy: POLICY, now });
}

/** The one update a single-finding plan asks for, and the finding's outcome. */
function single(rec: AuditRecord, find: ControlFinding) {
  const result = plan([rec], [find]);
  const outcome = FINDING_OUTCOMES.find((candidate) => result.outcomes[candidate] === 1);
  return { outcome, update: result.updates[0], updates: result.updates.length };
}

/** Security Hub applying the updates (status replaced, note replaced, fields merged), for re-planning. */
function apply(findings: readonly ControlFinding[], updates: readonly FindingUpdate[]): ControlFinding[] {
  return findings.map((current) => {
    let next = current;
    for (const update of updates) {
      if (
        !update.findings.some((entry) => entry.id === current.id && entry.productArn === current.productArn)
      )
        continue;
      next = {
        ...next,
        workflowStatus: update.workflowStatus ?? next.workflowStatus,
        noteText: update.note.text,
        userDefinedFields: { ...next.userDefinedFields, ...update.userDefinedFields },
      };
    }
    return next;
  });
}

describe('planFindingUpdates, one finding at a time', () => {
  const cases: [string, AuditRecord, ControlFinding, FindingOutcome, Partial<FindingUpdate> | undefined][] = [
    [
      'an exempt repository’s FAILED finding is suppressed',
      record('legacy/a', 'exempt', { reason: NAME_EXEMPTION }),
      finding('legacy/a'),
      'suppress-exempt',
      { workflowStatus: 'SUPPRESSED', userDefinedFields: { [GUARD_MARKER_KEY]: 'suppressed' } },
    ],
    [
      'an exempt repository’s PASSED finding is left',
      record('legacy/a', 'exempt', { reason: NAME_EXEMPTION, before: IMMUTABLE }),
      finding('legacy/a', { compliance: 'PASSED', workflow: 'RESOLVED' }),
      'in-line',
      undefined,
    ],
    [
      'a finding a person suppressed is never touched, even for an exemption',
      record('legacy/a', 'exempt', { reason: NAME_EXEMPTION }),
      finding('legacy/a', { workflow: 'SUPPRESSED', note: 'accepted risk' }),
      'left-to-person',
      undefined,
    ],
    [
      'a finding a person suppressed after the guard released it is never touched',
      record('app', 'compliant', { before: IMMUTABLE }),
      finding('app', { workflow: 'SUPPRESSED', marker: 'released' }),
      'left-to-person',
      undefined,
    ],
    [
      'an allowed IMMUTABLE_WITH_EXCLUSION the control fails is suppressed',
      record('web', 'compliant', { before: WITH_LATEST }),
      finding('web'),
      'suppress-compliant',
      { workflowStatus: 'SUPPRESSED' },
    ],
    [
      'an allowed IMMUTABLE_WITH_EXCLUSION the control passes is left',
      record('web', 'compliant', { before: WITH_LATEST }),
      finding('web', { compliance: 'PASSED', workflow: 'RESOLVED' }),
      'in-line',
      undefined,
    ],
    [
      'an IMMUTABLE repository whose finding still fails is left for Config to re-evaluate',
      record('app', 'compliant', { before: IMMUTABLE }),
      finding('app'),
      'in-line',
      undefined,
    ],
    [
      'the guard’s suppression of a now IMMUTABLE repository is lifted',
      record('app', 'compliant', { before: IMMUTABLE }),
      finding('app', { workflow: 'SUPPRESSED', marker: 'suppressed' }),
      'release',
      { workflowStatus: 'NEW', userDefinedFields: { [GUARD_MARKER_KEY]: 'released' } },
    ],
    [
      'a remediation is noted without a status change',
      record('app', 'remediated', { after: IMMUTABLE }),
      finding('app'),
      'note-remediated',
      { userDefinedFields: { [GUARD_MARKER_KEY]: 'remediated' } },
    ],
    [
      'an expired exemption the guard suppressed goes back to NEW with the remediation noted',
      record('app', 'remediated', { after: IMMUTABLE }),
      finding('app', { workflow: 'SUPPRESSED', marker: 'suppressed' }),
      'release',
      { workflowStatus: 'NEW', userDefinedFields: { [GUARD_MARKER_KEY]: 'remediated' } },
    ],
    [
      'an expired exemption a person suppressed stays suppressed',
      record('app', 'remediated', { after: IMMUTABLE }),
      finding('app', { workflow: 'SUPPRESSED' }),
      'left-to-person',
      undefined,
    ],
    [
      'a dry run decides nothing',
      record('app', 'would-remediate', { after: IMMUTABLE, dryRun: true }),
      finding('app'),
      'no-decision',
      undefined,
    ],
    [
      'an exemption seen in a dry run decides nothing',
      record('legacy/a', 'exempt', { reason: NAME_EXEMPTION, dryRun: true }),
      finding('legacy/a'),
      'no-decision',
      undefined,
    ],
    ['a failed decision changes nothing', record('app', 'failed'), finding('app'), 'no-decision', undefined],
    ['a gone repository changes nothing', record('app', 'gone'), finding('app'), 'no-decision', undefined],
  ];
  it.each(cases)('%s', (_name, rec, find, outcome, update) => {
    const result = single(rec, find);
    expect(result.outcome).toBe(outcome);
    if (update === undefined) {
      expect(result.updates).toBe(0);
      return;
    }
    expect(result.update).toMatchObject({ ...update, findings: [{ id: find.id, productArn: PRODUCT }] });
    if (update.workflowStatus === undefined) expect(result.update).not.toHaveProperty('workflowStatus');
  });

  it('names the rule, the reason and the expiry of a tag exemption in the note', () => {
    const { update } = single(record('app', 'exempt', { reason: TAG_EXEMPTION }), finding('app'));
    expect(update?.note).toEqual({
      text: 'Suppressed by ecr-immutability-guard: exempt under rule exempt-tag ecr-guard:exempt; reason: vendor image SEC-12; expires: 2026-12-31.',
      updatedBy: 'ecr-immutability-guard',
    });
  });

  it('says a name exemption never expires', () => {
    const { update } = single(record('legacy/a', 'exempt', { reason: NAME_EXEMPTION }), finding('legacy/a'));
    expect(update?.note.text).toBe(
      "Suppressed by ecr-immutability-guard: exempt under rule exempt-name; reason: repository name matches 'legacy/**'; expires: never.",
    );
  });

  it('names the policy when it suppresses a repository compliant by policy', () => {
    const { update } = single(
      record('web', 'compliant', { before: WITH_LATEST, reason: 'rule at-least-as-strict: …' }),
      finding('web'),
    );
    expect(update?.note.text).toBe(
      'Suppressed by ecr-immutability-guard: compliant under the policy (target IMMUTABLE, allowed exclusions [latest]) although ECR.2 fails it; rule at-least-as-strict: ….',
    );
  });

  it('says when and why a repository was remediated', () => {
    const { update } = single(
      record('app', 'remediated', {
        after: IMMUTABLE,
        reason: 'rule target: MUTABLE allows tags to be overwritten',
      }),
      finding('app'),
    );
    expect(update?.note.text).toBe(
      'Remediated by ecr-immutability-guard: MUTABLE -> IMMUTABLE; rule target: MUTABLE allows tags to be overwritten; at 2026-06-01T12:00:00.000Z',
    );
  });

  it('rewrites its own suppression when the exemption’s reason or expiry changed', () => {
    const before = single(record('app', 'exempt', { reason: TAG_EXEMPTION }), finding('app'));
    const stale = finding('app', {
      workflow: 'SUPPRESSED',
      marker: 'suppressed',
      note: before.update?.note.text,
    });
    const renewed = TAG_EXEMPTION.replace('2026-12-31', '2027-06-30');
    const after = single(record('app', 'exempt', { reason: renewed }), stale);
    expect(after.outcome).toBe('suppress-exempt');
    expect(after.update?.note.text).toContain('expires: 2027-06-30');
  });

  it('keeps a person’s other user-defined fields when it marks a finding', () => {
    const { update } = single(
      record('legacy/a', 'exempt', { reason: NAME_EXEMPTION }),
      finding('legacy/a', { fields: { owner: 'team-a' } }),
    );
    expect(update?.userDefinedFields).toEqual({ owner: 'team-a', [GUARD_MARKER_KEY]: 'suppressed' });
  });

  it('does not mark a finding that already holds 50 other fields', () => {
    const fields = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, 'v']));
    const result = plan(
      [record('legacy/a', 'exempt', { reason: NAME_EXEMPTION })],
      [finding('legacy/a', { fields })],
    );
    expect(result.updates).toEqual([]);
    expect(result.outcomes['fields-full']).toBe(1);
  });

  it('keeps every note within 512 characters and the remediation time whole', () => {
    const long = `rule target: ${'x'.repeat(2000)}`;
    const { update } = single(
      record('app', 'remediated', { after: IMMUTABLE, reason: long }),
      finding('app'),
    );
    expect(update?.note.text).toHaveLength(MAX_NOTE_LENGTH);
    expect(update?.note.text.endsWith('…2026-06-01T12:00:00.000Z')).toBe(true);
  });

  it('uses the last record of a repository', () => {
    const result = plan(
      [
        record('app', 'exempt', { reason: NAME_EXEMPTION }),
        record('app', 'compliant', { before: IMMUTABLE }),
      ],
      [finding('app', { workflow: 'SUPPRESSED', marker: 'suppressed' })],
    );
    expect(result.outcomes.release).toBe(1);
  });

  it('counts decided repositories that have no finding yet, and findings of repositories it did not decide', () => {
    const result = plan(
      [record('app', 'remediated', { after: IMMUTABLE }), record('new', 'compliant', { before: IMMUTABLE })],
      [finding('app'), finding('other')],
    );
    expect(result.decidedWithoutFinding).toBe(1);
    expect(result.outcomes['no-decision']).toBe(1);
  });
});

describe('planFindingUpdates, batches', () => {
  it('sends 250 findings exempt under one rule in 3 calls of at most 100', () => {
    const names = Array.from({ length: 250 }, (_, index) => `legacy/r${index}`);
    const result = plan(
      names.map((name) => record(name, 'exempt', { reason: NAME_EXEMPTION })),
      names.map((name) => finding(name)),
    );
    expect(result.updates.map((update) => update.findings.length)).toEqual([100, 100, 50]);
    expect(new Set(result.updates.map((update) => update.note.text)).size).toBe(1);
  });

  it('groups findings by identical update and keeps different updates apart', () => {
    const result = plan(
      [
        record('legacy/a', 'exempt', { reason: NAME_EXEMPTION }),
        record('b', 'exempt', { reason: TAG_EXEMPTION }),
        record('legacy/c', 'exempt', { reason: NAME_EXEMPTION }),
        record('d', 'remediated', {
          after: IMMUTABLE,
          reason: 'rule target: MUTABLE allows tags to be overwritten',
        }),
        record('e', 'remediated', {
          after: IMMUTABLE,
          reason: 'rule target: MUTABLE allows tags to be overwritten',
        }),
      ],
      ['legacy/a', 'b', 'legacy/c', 'd', 'e'].map((name) => finding(name)),
    );
    expect(
      result.updates.map((update) => [
        update.action,
        update.findings.map((entry) => entry.id.split('/').at(-1)),
      ]),
    ).toEqual([
      ['suppress-exempt', ['a', 'c']],
      ['suppress-exempt', ['b']],
      ['note-remediated', ['d', 'e']],
    ]);
  });
});

describe('planFindingUpdates, properties', () => {
  const names = ['legacy/a', 'legacy/b', 'app', 'web', 'api', 'tool'];
  const settings = [MUTABLE, IMMUTABLE, WITH_LATEST];
  const recordArb = fc
    .record({
      name: fc.constantFrom(...names),
      outcome: fc.constantFrom<Outcome>(
        'exempt',
        'compliant',
        'remediated',
        'would-remediate',
        'failed',
        'gone',
      ),
      setting: fc.constantFrom(...settings),
      reason: fc.constantFrom(NAME_EXEMPTION, TAG_EXEMPTION, 'rule target: …', 'x'.repeat(600)),
      dryRun: fc.boolean(),
    })
    .map(({ name, outcome, setting, reason, dryRun }) =>
      record(name, outcome, {
        before: outcome === 'remediated' ? MUTABLE : setting,
        ...(outcome === 'remediated' ? { after: IMMUTABLE } : {}),
        reason,
        dryRun: outcome === 'would-remediate' || dryRun,
      }),
    );
  const findingArb = fc
    .record({
      name: fc.constantFrom(...names, 'undecided'),
      compliance: fc.constantFrom('PASSED', 'FAILED', 'WARNING', 'NOT_AVAILABLE'),
      workflow: fc.constantFrom('NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'),
      marker: fc.option(fc.constantFrom('suppressed', 'released', 'remediated', 'other'), { nil: undefined }),
      note: fc.option(fc.string(), { nil: undefined }),
      owner: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
    })
    .map(({ name, owner, ...options }) =>
      finding(name, { ...options, ...(owner === undefined ? {} : { fields: { owner } }) }),
    );
  const uniqueFindings = fc.uniqueArray(findingArb, { selector: (entry) => entry.id, maxLength: 7 });
  const scenario = fc.record({ records: fc.array(recordArb, { maxLength: 12 }), findings: uniqueFindings });

  it('ends every finding in exactly one counted outcome', () => {
    fc.assert(
      fc.property(scenario, ({ records, findings }) => {
        const result = plan(records, findings);
        const total = FINDING_OUTCOMES.reduce((sum, outcome) => sum + result.outcomes[outcome], 0);
        expect(total).toBe(findings.length);
        const updated = result.updates.flatMap((update) => update.findings);
        expect(updated).toHaveLength(
          result.outcomes['suppress-exempt'] +
            result.outcomes['suppress-compliant'] +
            result.outcomes['note-remediated'] +
            result.outcomes.release,
        );
        expect(new Set(updated.map((entry) => entry.id)).size).toBe(updated.length);
      }),
    );
  });

  it('never touches a finding a person suppressed', () => {
    fc.assert(
      fc.property(scenario, ({ records, findings }) => {
        const touched = new Set(
          plan(records, findings).updates.flatMap((update) => update.findings.map((entry) => entry.id)),
        );
        for (const entry of findings) {
          if (
            entry.workflowStatus === 'SUPPRESSED' &&
            entry.userDefinedFields[GUARD_MARKER_KEY] !== 'suppressed'
          )
            expect(touched.has(entry.id)).toBe(false);
        }
      }),
    );
  });

  it('asks for nothing on a second run, even later', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 86_400_000 }), ({ records, findings }, later) => {
        const first = plan(records, findings);
        const second = plan(records, apply(findings, first.updates), new Date(NOW.getTime() + later));
        expect(second.updates).toEqual([]);
      }),
    );
  });

  it('keeps batches within 100 findings and notes within 512 characters', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 450 }),
        fc.constantFrom(NAME_EXEMPTION, TAG_EXEMPTION, `rule exempt-x: ${'y'.repeat(700)}`),
        (count, reason) => {
          const many = Array.from({ length: count }, (_, index) => `legacy/r${index}`);
          const result = plan(
            many.map((name) => record(name, 'exempt', { reason })),
            many.map((name) => finding(name)),
          );
          expect(result.updates).toHaveLength(Math.ceil(count / MAX_FINDINGS_PER_UPDATE));
          for (const update of result.updates) {
            expect(update.findings.length).toBeLessThanOrEqual(MAX_FINDINGS_PER_UPDATE);
            expect(update.note.text.length).toBeLessThanOrEqual(MAX_NOTE_LENGTH);
          }
        },
      ),
    );
  });
});

describe('repositoryArnOf', () => {
  const base = { ...record('app', 'gone'), repositoryArn: undefined };

  it('takes the record’s own ARN', () => {
    expect(repositoryArnOf({ ...base, repositoryArn: 'arn:aws:ecr:us-east-1:1:repository/own' })).toBe(
      'arn:aws:ecr:us-east-1:1:repository/own',
    );
  });

  it.each([
    [REGION, arn('app')],
    ['cn-north-1', `arn:aws-cn:ecr:cn-north-1:${ACCOUNT}:repository/app`],
    ['us-gov-west-1', `arn:aws-us-gov:ecr:us-gov-west-1:${ACCOUNT}:repository/app`],
  ])('builds the ARN of a record in %s that has none, in the Region’s partition', (region, expected) => {
    expect(repositoryArnOf({ ...base, region })).toBe(expected);
  });

  it.each(['registryId', 'region', 'repositoryName'] as const)(
    'builds no ARN for a record without its %s',
    (field) => {
      expect(repositoryArnOf({ ...base, [field]: undefined })).toBeUndefined();
    },
  );
});

describe('planFindingUpdates, edges', () => {
  it('takes nothing from a creation template’s record', () => {
    const template: AuditRecord = {
      ...record('legacy/a', 'exempt', { reason: NAME_EXEMPTION }),
      templatePrefix: 'legacy',
    };
    expect(decidesFinding(template)).toBe(false);
    expect(single(template, finding('legacy/a')).outcome).toBe('no-decision');
  });

  it('judges a compliant record by its setting before when it has none after', () => {
    const rec: AuditRecord = { ...record('app', 'compliant', { before: IMMUTABLE }), after: undefined };
    expect(single(rec, finding('app')).outcome).toBe('in-line');
  });

  it('suppresses the failing finding of a repository compliant at a setting it was not told', () => {
    const rec: AuditRecord = { ...record('app', 'compliant'), before: undefined, after: undefined };
    expect(single(rec, finding('app')).outcome).toBe('suppress-compliant');
  });

  it('suppresses again a finding a person moved back to NEW, although it still holds the guard’s note', () => {
    const first = single(record('legacy/a', 'exempt', { reason: NAME_EXEMPTION }), finding('legacy/a'));
    const reopened = finding('legacy/a', { marker: 'suppressed', note: first.update?.note.text });
    const again = single(record('legacy/a', 'exempt', { reason: NAME_EXEMPTION }), reopened);
    expect(again.outcome).toBe('suppress-exempt');
    expect(again.update?.workflowStatus).toBe('SUPPRESSED');
  });

  it.each([
    ['marked remediated without a note', { marker: 'remediated' }],
    ['holding the same remediation note without the guard’s marker', { marker: 'released', same: true }],
  ])('notes a remediation on a finding %s', (_name, options) => {
    const rec = record('app', 'remediated', { after: IMMUTABLE });
    const earlier = single(rec, finding('app')).update?.note.text;
    const result = single(
      rec,
      finding('app', { marker: options.marker, note: 'same' in options ? earlier : undefined }),
    );
    expect(result.outcome).toBe('note-remediated');
  });

  it('marks a finding under the key ecr-immutability-guard', () => {
    const { update } = single(record('app', 'remediated', { after: IMMUTABLE }), finding('app'));
    expect(update?.userDefinedFields).toEqual({ 'ecr-immutability-guard': 'remediated' });
  });

  it('names the caller as the notes’ author, cut to 512 characters', () => {
    const rec = record('app', 'remediated', { after: IMMUTABLE });
    const named = planFindingUpdates({
      records: [rec],
      findings: [finding('app')],
      policy: POLICY,
      now: NOW,
      updatedBy: 'ecr-guard cli',
    });
    expect(named.updates[0]?.note.updatedBy).toBe('ecr-guard cli');
    const long = planFindingUpdates({
      records: [rec],
      findings: [finding('app')],
      policy: POLICY,
      now: NOW,
      updatedBy: 'u'.repeat(600),
    });
    expect(long.updates[0]?.note.updatedBy).toHaveLength(MAX_NOTE_LENGTH);
  });

  it.each([
    ['49 other fields', 49, undefined],
    ['49 other fields and its own marker', 49, 'released'],
  ])('marks a finding that holds %s (50 fields in all)', (_name, count, marker) => {
    const fields = Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, 'v']));
    const result = plan(
      [record('legacy/a', 'exempt', { reason: NAME_EXEMPTION })],
      [finding('legacy/a', { fields, marker })],
    );
    expect(result.outcomes['suppress-exempt']).toBe(1);
    expect(Object.keys(result.updates[0]?.userDefinedFields ?? {})).toHaveLength(50);
  });

  it('counts each decided repository without a finding once, and no repository it did not decide', () => {
    const result = plan(
      [
        record('app', 'remediated', { after: IMMUTABLE }),
        record('new', 'compliant', { before: IMMUTABLE }),
        record('newer', 'exempt', { reason: NAME_EXEMPTION }),
        record('deleted', 'gone'),
      ],
      [finding('app')],
    );
    expect(result.decidedWithoutFinding).toBe(2);
  });

  it('sends one update to findings whose other fields are the same in another order', () => {
    const result = plan(
      [
        record('legacy/a', 'exempt', { reason: NAME_EXEMPTION }),
        record('legacy/b', 'exempt', { reason: NAME_EXEMPTION }),
      ],
      [
        finding('legacy/a', { fields: { owner: 'team-a', cost: 'c1' } }),
        finding('legacy/b', { fields: { cost: 'c1', owner: 'team-a' } }),
      ],
    );
    expect(result.updates.map((update) => update.findings.length)).toEqual([2]);
  });

  it('sends 200 findings in exactly 2 calls of 100', () => {
    const names = Array.from({ length: 200 }, (_, index) => `legacy/r${index}`);
    const result = plan(
      names.map((name) => record(name, 'exempt', { reason: NAME_EXEMPTION })),
      names.map((name) => finding(name)),
    );
    expect(result.updates.map((update) => update.findings.length)).toEqual([100, 100]);
  });
});
