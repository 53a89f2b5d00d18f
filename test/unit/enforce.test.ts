import { describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../../lib/audit.ts';
import type { EcrAdapter, SetResult, TagsResult, TemplateSetResult } from '../../lib/ecr.ts';
import { type EnforceOptions, enforceRepository, enforceTemplate } from '../../lib/enforce.ts';
import { AwsCallError } from '../../lib/errors.ts';
import type { EventContext } from '../../lib/events.ts';
import type { MutabilitySetting, Policy, RepositoryFacts, TemplateFacts } from '../../lib/policy.ts';

const IMMUTABLE: MutabilitySetting = { mutability: 'IMMUTABLE', exclusionFilters: [] };
const MUTABLE: MutabilitySetting = { mutability: 'MUTABLE', exclusionFilters: [] };
const POLICY: Policy = {
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  exemptRepositories: ['sandbox/*'],
};
const TAG_POLICY: Policy = { ...POLICY, exemptTag: { key: 'ecr-guard:exempt' } };
const NOW = new Date('2026-11-30T00:00:00Z');
const CONTEXT: EventContext = {
  eventId: 'event-1',
  eventName: 'CreateRepository',
  actor: 'arn:aws:iam::123456789012:role/dev',
  sourceIp: '192.0.2.1',
  account: '123456789012',
  region: 'eu-west-1',
};

function repository(name: string, setting: MutabilitySetting): RepositoryFacts {
  return {
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:eu-west-1:123456789012:repository/${name}`,
    registryId: '123456789012',
    setting,
  };
}

const TEMPLATE: TemplateFacts = { prefix: 'team-a', registryId: '123456789012', setting: MUTABLE };

/** An adapter whose writes and tag reads answer as scripted; anything else is a test bug. */
function fakeEcr(
  script: { tags?: TagsResult; set?: SetResult | Error; setTemplate?: TemplateSetResult | Error } = {},
) {
  const unexpected = () => Promise.reject(new Error('not expected in this test'));
  const answer = <T>(value: T | Error | undefined) =>
    value instanceof Error
      ? Promise.reject(value)
      : value === undefined
        ? unexpected()
        : Promise.resolve(value);
  const ecr = {
    describeRepository: vi.fn(unexpected),
    listRepositoryPage: vi.fn(unexpected),
    describeRepositoriesByName: vi.fn(unexpected),
    listCreationTemplatePage: vi.fn(unexpected),
    listTags: vi.fn(() => answer(script.tags)),
    setMutability: vi.fn(() => answer(script.set)),
    setTemplateMutability: vi.fn(() => answer(script.setTemplate)),
    tagRepository: vi.fn(unexpected),
    listUntaggedImages: vi.fn(unexpected),
  } satisfies EcrAdapter;
  return ecr;
}

function options(ecr: EcrAdapter, extra: Partial<EnforceOptions> = {}): EnforceOptions {
  return { ecr, policy: POLICY, dryRun: false, now: NOW, trigger: 'sweep', region: 'eu-west-1', ...extra };
}

const setting = (value: MutabilitySetting) => ({
  imageTagMutability: value.mutability,
  exclusionFilters: [...value.exclusionFilters],
});

describe('enforceRepository', () => {
  it('records a compliant repository without any ECR call', async () => {
    // Prepare
    const ecr = fakeEcr();
    // Act
    const record = await enforceRepository(repository('app', IMMUTABLE), options(ecr));
    // Assess
    expect(record).toMatchObject({
      outcome: 'compliant',
      repositoryName: 'app',
      before: setting(IMMUTABLE),
      after: setting(IMMUTABLE),
      trigger: 'sweep',
      region: 'eu-west-1',
    });
    expect(ecr.listTags).not.toHaveBeenCalled();
    expect(ecr.setMutability).not.toHaveBeenCalled();
  });

  it('records a repository exempt by name without reading tags or writing', async () => {
    const ecr = fakeEcr();
    const record = await enforceRepository(
      repository('sandbox/tool', MUTABLE),
      options(ecr, { policy: TAG_POLICY }),
    );
    expect(record).toMatchObject({ outcome: 'exempt', reason: expect.stringContaining("'sandbox/*'") });
    expect(ecr.listTags).not.toHaveBeenCalled();
    expect(ecr.setMutability).not.toHaveBeenCalled();
  });

  it('reads tags only for a non-compliant repository and records it exempt when the tag says so', async () => {
    const ecr = fakeEcr({ tags: { kind: 'tags', tags: { 'ecr-guard:exempt': 'legacy build' } } });
    const record = await enforceRepository(repository('app', MUTABLE), options(ecr, { policy: TAG_POLICY }));
    expect(record).toMatchObject({
      outcome: 'exempt',
      reason: "rule exempt-tag: ecr-guard:exempt='legacy build'",
    });
    expect(ecr.listTags).toHaveBeenCalledTimes(1);
    expect(ecr.setMutability).not.toHaveBeenCalled();
  });

  it('remediates after reading tags that do not exempt', async () => {
    const ecr = fakeEcr({
      tags: { kind: 'tags', tags: {} },
      set: { kind: 'set', facts: repository('app', IMMUTABLE) },
    });
    const record = await enforceRepository(repository('app', MUTABLE), options(ecr, { policy: TAG_POLICY }));
    expect(record).toMatchObject({
      outcome: 'remediated',
      before: setting(MUTABLE),
      after: setting(IMMUTABLE),
    });
  });

  it('records gone when the repository was deleted before its tags were read', async () => {
    const ecr = fakeEcr({ tags: { kind: 'gone' } });
    const record = await enforceRepository(repository('app', MUTABLE), options(ecr, { policy: TAG_POLICY }));
    expect(record).toMatchObject({
      outcome: 'gone',
      reason: 'repository was deleted before its tags were read',
      before: undefined,
      after: undefined,
    });
    expect(ecr.setMutability).not.toHaveBeenCalled();
  });

  it('remediates a non-compliant repository, recording the setting ECR answered with', async () => {
    const ecr = fakeEcr({ set: { kind: 'set', facts: repository('app', IMMUTABLE) } });
    const record = await enforceRepository(repository('app', MUTABLE), options(ecr));
    expect(record).toMatchObject({
      outcome: 'remediated',
      repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/app',
      before: setting(MUTABLE),
      after: setting(IMMUTABLE),
      dryRun: false,
    });
    expect(ecr.setMutability).toHaveBeenCalledWith(repository('app', MUTABLE), POLICY.target);
  });

  it('in dry-run records would-remediate with the desired setting and writes nothing', async () => {
    const ecr = fakeEcr();
    const record = await enforceRepository(repository('app', MUTABLE), options(ecr, { dryRun: true }));
    expect(record).toMatchObject({
      outcome: 'would-remediate',
      reason: expect.stringMatching(/^dry-run: /),
      after: setting(IMMUTABLE),
      dryRun: true,
    });
    expect(ecr.setMutability).not.toHaveBeenCalled();
  });

  it('records gone when the repository was deleted before it could be set', async () => {
    const ecr = fakeEcr({ set: { kind: 'gone' } });
    const record = await enforceRepository(repository('app', MUTABLE), options(ecr));
    expect(record).toMatchObject({
      outcome: 'gone',
      reason: 'repository was deleted before it could be set',
    });
  });

  it('throws the ECR error for the caller to record or redeliver', async () => {
    const denied = new AwsCallError('ecr', 'PutImageTagMutability', 'AccessDeniedException', false);
    const ecr = fakeEcr({ set: denied });
    await expect(enforceRepository(repository('app', MUTABLE), options(ecr))).rejects.toBe(denied);
  });

  it('copies the event fields into the record when given an event context', async () => {
    const ecr = fakeEcr({ set: { kind: 'set', facts: repository('app', IMMUTABLE) } });
    const record = await enforceRepository(
      repository('app', MUTABLE),
      options(ecr, { trigger: 'event' }),
      CONTEXT,
    );
    expect(record).toMatchObject({
      trigger: 'event',
      eventId: 'event-1',
      eventName: 'CreateRepository',
      actor: CONTEXT.actor,
      sourceIp: '192.0.2.1',
    });
  });
});

describe('the event fields of the record', () => {
  it.each<[string, string, MutabilitySetting, Partial<EnforceOptions>, AuditRecord['outcome']]>([
    ['a compliant repository', 'app', IMMUTABLE, {}, 'compliant'],
    ['a repository exempt by name', 'sandbox/tool', MUTABLE, {}, 'exempt'],
    ['a repository in dry-run', 'app', MUTABLE, { dryRun: true }, 'would-remediate'],
  ])('are copied from the event context for %s', async (_case, name, current, extra, outcome) => {
    const record = await enforceRepository(
      repository(name, current),
      options(fakeEcr(), { trigger: 'event', ...extra }),
      CONTEXT,
    );
    expect(record).toMatchObject({
      outcome,
      eventId: 'event-1',
      eventName: 'CreateRepository',
      actor: CONTEXT.actor,
      sourceIp: '192.0.2.1',
    });
  });
});

describe('enforceTemplate', () => {
  const templateFields = { templatePrefix: 'team-a', repositoryName: undefined, repositoryArn: undefined };

  it('records a compliant template without writing', async () => {
    const ecr = fakeEcr();
    const record = await enforceTemplate({ ...TEMPLATE, setting: IMMUTABLE }, options(ecr));
    expect(record).toMatchObject({ ...templateFields, outcome: 'compliant', before: setting(IMMUTABLE) });
    expect(ecr.setTemplateMutability).not.toHaveBeenCalled();
  });

  it('remediates a non-compliant template, recording the setting ECR answered with', async () => {
    const ecr = fakeEcr({ setTemplate: { kind: 'set', template: { ...TEMPLATE, setting: IMMUTABLE } } });
    const record = await enforceTemplate(TEMPLATE, options(ecr));
    expect(record).toMatchObject({
      ...templateFields,
      outcome: 'remediated',
      registryId: '123456789012',
      before: setting(MUTABLE),
      after: setting(IMMUTABLE),
    });
    expect(ecr.setTemplateMutability).toHaveBeenCalledWith(TEMPLATE, POLICY.target);
  });

  it('in dry-run records would-remediate with the desired setting and writes nothing', async () => {
    const ecr = fakeEcr();
    const record = await enforceTemplate(TEMPLATE, options(ecr, { dryRun: true }));
    expect(record).toMatchObject({
      ...templateFields,
      outcome: 'would-remediate',
      reason: expect.stringMatching(/^dry-run: /),
      after: setting(IMMUTABLE),
    });
    expect(ecr.setTemplateMutability).not.toHaveBeenCalled();
  });

  it('records gone when the template was deleted before it could be set', async () => {
    const ecr = fakeEcr({ setTemplate: { kind: 'gone' } });
    const record = await enforceTemplate(TEMPLATE, options(ecr));
    expect(record).toMatchObject({
      ...templateFields,
      outcome: 'gone',
      reason: 'template was deleted before it could be set',
    });
  });

  it('throws the ECR error for the caller to record', async () => {
    const throttled = new AwsCallError(
      'ecr',
      'UpdateRepositoryCreationTemplate',
      'ThrottlingException',
      true,
    );
    const ecr = fakeEcr({ setTemplate: throttled });
    await expect(enforceTemplate(TEMPLATE, options(ecr))).rejects.toBe(throttled);
  });
});

describe('every outcome of enforceRepository is one record of the same repository', () => {
  it.each<
    [
      string,
      Parameters<typeof fakeEcr>[0],
      MutabilitySetting,
      Partial<EnforceOptions>,
      AuditRecord['outcome'],
    ]
  >([
    ['compliant', {}, IMMUTABLE, {}, 'compliant'],
    ['remediated', { set: { kind: 'set', facts: repository('app', IMMUTABLE) } }, MUTABLE, {}, 'remediated'],
    ['would-remediate', {}, MUTABLE, { dryRun: true }, 'would-remediate'],
    ['gone', { set: { kind: 'gone' } }, MUTABLE, {}, 'gone'],
  ])('%s', async (_case, script, current, extra, outcome) => {
    const record = await enforceRepository(repository('app', current), options(fakeEcr(script), extra));
    expect(record.outcome).toBe(outcome);
    expect(record.repositoryName).toBe('app');
    expect(record.registryId).toBe('123456789012');
    expect(record.templatePrefix).toBeUndefined();
  });
});
