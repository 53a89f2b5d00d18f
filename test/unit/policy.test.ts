import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileNameGlob, type Decision, evaluateRepository, evaluateTemplate } from '../../lib/decision.ts';
import {
  describeSetting,
  isAtLeastAsStrict,
  isTagMutable,
  type MutabilitySetting,
  narrowSetting,
  type Policy,
  type RepositoryFacts,
  TAG_MUTABILITIES,
} from '../../lib/policy.ts';
import { allTags, bruteMatch, mutableUnder } from '../helpers/brute-force.ts';

const NOW = new Date('2026-11-29T12:00:00Z');
const IMMUTABLE_POLICY: Policy = {
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  exemptRepositories: [],
};

function facts(setting: MutabilitySetting, extra: Partial<RepositoryFacts> = {}): RepositoryFacts {
  return {
    repositoryName: 'team/app',
    repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/app',
    registryId: '123456789012',
    setting,
    ...extra,
  };
}

describe('evaluateRepository with the default IMMUTABLE target', () => {
  it.each([
    ['IMMUTABLE', [], 'compliant'],
    ['MUTABLE', [], 'remediate'],
    ['MUTABLE_WITH_EXCLUSION', ['release-*'], 'remediate'],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest'], 'remediate'],
    ['SOMETHING_NEW', [], 'remediate'],
  ] as const)('decides %s %j as %s', (mutability, filters, kind) => {
    // Act
    const decision = evaluateRepository(
      facts({ mutability, exclusionFilters: filters }),
      IMMUTABLE_POLICY,
      NOW,
    );
    // Assess
    expect(decision.kind).toBe(kind);
    if (decision.kind === 'remediate') {
      expect(decision.desired).toEqual({ mutability: 'IMMUTABLE', exclusionFilters: [] });
    }
  });

  it('names an unknown future value in the reason', () => {
    const decision = evaluateRepository(
      facts({ mutability: 'IMMUTABLE_UNTIL_2030', exclusionFilters: [] }),
      IMMUTABLE_POLICY,
      NOW,
    );
    expect(decision.reason).toContain("unknown imageTagMutability value 'IMMUTABLE_UNTIL_2030'");
  });

  it('never accepts MUTABLE_WITH_EXCLUSION, even when its filters are allowed', () => {
    const policy: Policy = { ...IMMUTABLE_POLICY, allowedExclusions: ['latest'] };
    const decision = evaluateRepository(
      facts({ mutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] }),
      policy,
      NOW,
    );
    expect(decision.kind).toBe('remediate');
  });
});

describe('evaluateRepository with exclusions and exemptions', () => {
  const withExclusion: Policy = {
    target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['dev-*', 'latest'] },
    exemptRepositories: [],
  };

  it('is compliant when the filters equal the target in any order', () => {
    const decision = evaluateRepository(
      facts({ mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'dev-*'] }),
      withExclusion,
      NOW,
    );
    expect(decision.kind).toBe('compliant');
  });

  it('remediates to exactly the configured filters when they differ', () => {
    const decision = evaluateRepository(
      facts({ mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['*'] }),
      withExclusion,
      NOW,
    );
    expect(decision).toMatchObject({ kind: 'remediate', desired: withExclusion.target });
  });

  it('accepts filters inside the allow-list and names the rule', () => {
    const policy: Policy = { ...IMMUTABLE_POLICY, allowedExclusions: ['latest', 'dev-*'] };
    const decision = evaluateRepository(
      facts({ mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] }),
      policy,
      NOW,
    );
    expect(decision.kind).toBe('compliant');
    expect(decision.reason).toContain('rule at-least-as-strict');
  });

  it('rejects filters outside the allow-list and names them', () => {
    const policy: Policy = { ...IMMUTABLE_POLICY, allowedExclusions: ['latest'] };
    const decision = evaluateRepository(
      facts({ mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', '*'] }),
      policy,
      NOW,
    );
    expect(decision.kind).toBe('remediate');
    expect(decision.reason).toContain(
      'filters [*] of IMMUTABLE_WITH_EXCLUSION [*, latest] are covered by neither the target nor the allowed exclusions',
    );
  });

  it('exempts by repository name glob without needing tags', () => {
    const policy: Policy = {
      ...IMMUTABLE_POLICY,
      exemptRepositories: ['sandbox/**'],
      exemptTag: { key: 'x' },
    };
    const decision = evaluateRepository(
      facts({ mutability: 'MUTABLE', exclusionFilters: [] }, { repositoryName: 'sandbox/a/b' }),
      policy,
      NOW,
    );
    expect(decision).toEqual({
      kind: 'exempt',
      reason: "rule exempt-name: repository name matches 'sandbox/**'",
    });
  });

  it('asks for tags only for a repository that would otherwise be written', () => {
    const policy: Policy = { ...IMMUTABLE_POLICY, exemptTag: { key: 'ecr-guard:exempt' } };
    expect(
      evaluateRepository(facts({ mutability: 'IMMUTABLE', exclusionFilters: [] }), policy, NOW).kind,
    ).toBe('compliant');
    expect(evaluateRepository(facts({ mutability: 'MUTABLE', exclusionFilters: [] }), policy, NOW).kind).toBe(
      'needs-tags',
    );
  });

  it.each([
    [{ 'ecr-guard:exempt': 'vendor image, INC-1234' }, 'exempt', "'vendor image, INC-1234'"],
    [{ 'ecr-guard:exempt': '  ' }, 'remediate', 'has no reason and is not honoured'],
    [{ 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': '2026-12-31' }, 'exempt', 'until 2026-12-31'],
    [
      { 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': '2026-01-31' },
      'remediate',
      'expired on 2026-01-31',
    ],
    [{ 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': 'soon' }, 'remediate', 'is not an ISO date'],
    [
      { 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': '2099-02-30' },
      'remediate',
      "exemption expiry ecr-guard:exempt-until='2099-02-30' is not an ISO date, not honoured",
    ],
    [
      { 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': '2027-02-29' },
      'remediate',
      'is not an ISO date',
    ],
    [
      { 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': '2099-04-31' },
      'remediate',
      'is not an ISO date',
    ],
    [
      { 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': '2099-13-01' },
      'remediate',
      'is not an ISO date',
    ],
    [
      { 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': '2099-12-31x' },
      'remediate',
      'is not an ISO date',
    ],
    [{ 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': '2028-02-29' }, 'exempt', 'until 2028-02-29'],
    [
      { 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': '2099-12-31T18:00:00Z' },
      'exempt',
      'until 2099-12-31T18:00:00Z',
    ],
    [{ team: 'a' }, 'remediate', 'rule target'],
  ])('decides tags %j as %s', (tags, kind, reasonPart) => {
    const policy: Policy = {
      ...IMMUTABLE_POLICY,
      exemptTag: { key: 'ecr-guard:exempt', expiryKey: 'ecr-guard:exempt-until' },
    };
    const decision = evaluateRepository(
      facts({ mutability: 'MUTABLE', exclusionFilters: [] }, { tags }),
      policy,
      NOW,
    );
    expect(decision.kind).toBe(kind);
    expect(decision.reason).toContain(reasonPart);
  });
});

describe('evaluateRepository never loosens a repository', () => {
  const devAndLatest: Policy = {
    target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'dev-*'] },
    exemptRepositories: [],
  };
  const immutableAllowing: Policy = { ...IMMUTABLE_POLICY, allowedExclusions: ['latest', 'pr-*'] };

  it('leaves a repository a team set to IMMUTABLE alone under target IMMUTABLE_WITH_EXCLUSION [latest, dev-*]', () => {
    const decision = evaluateRepository(
      facts({ mutability: 'IMMUTABLE', exclusionFilters: [] }),
      devAndLatest,
      NOW,
    );
    expect(decision).toEqual({
      kind: 'compliant',
      reason:
        'rule at-least-as-strict: IMMUTABLE keeps every tag immutable; stricter than the target IMMUTABLE_WITH_EXCLUSION [dev-*, latest]',
    });
  });

  const writes = (...filters: string[]) =>
    filters.length === 0
      ? { mutability: 'IMMUTABLE', exclusionFilters: [] }
      : { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: filters };
  it.each([
    ['IMMUTABLE', [], 'compliant', 'rule at-least-as-strict', undefined],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*'], 'compliant', 'rule target: at the target', undefined],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-1*'], 'compliant', '(dev-1* within dev-*)', undefined],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest'], 'compliant', '(latest)', undefined],
    [
      'IMMUTABLE_WITH_EXCLUSION',
      ['dev-2*', 'dev-x', 'latest'],
      'compliant',
      'rule at-least-as-strict',
      undefined,
    ],
    ['IMMUTABLE_WITH_EXCLUSION', [], 'compliant', 'without filters keeps every tag immutable', undefined],
    [
      'IMMUTABLE_WITH_EXCLUSION',
      ['*'],
      'remediate',
      "filters [*] of IMMUTABLE_WITH_EXCLUSION [*] are not covered by the target's filters",
      devAndLatest.target,
    ],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev*'], 'remediate', 'filters [dev*]', writes('dev-*')],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*', 'pr-1'], 'remediate', 'filters [pr-1]', writes('dev-*')],
    ['MUTABLE', [], 'remediate', 'allows tags to be overwritten', devAndLatest.target],
    [
      'MUTABLE_WITH_EXCLUSION',
      ['latest'],
      'remediate',
      'writes IMMUTABLE_WITH_EXCLUSION [dev-*]: only tags mutable before and allowed stay mutable',
      writes('dev-*'),
    ],
    ['IMMUTABLE_SOMEDAY', [], 'remediate', "unknown imageTagMutability value 'IMMUTABLE_SOMEDAY'", writes()],
  ] as const)(
    'with target [latest, dev-*] decides %s %j as %s',
    (mutability, filters, kind, reasonPart, desired) => {
      const decision = evaluateRepository(
        facts({ mutability, exclusionFilters: [...filters] }),
        devAndLatest,
        NOW,
      );
      expect(decision.kind).toBe(kind);
      expect(decision.reason).toContain(reasonPart);
      if (decision.kind === 'remediate') expect(decision.desired).toEqual(desired);
    },
  );

  it.each([
    ['IMMUTABLE_WITH_EXCLUSION', ['pr-12', 'latest'], 'compliant', '(latest, pr-12 within pr-*)'],
    [
      'IMMUTABLE_WITH_EXCLUSION',
      ['pr*'],
      'remediate',
      'covered by neither the target nor the allowed exclusions',
    ],
    ['MUTABLE_WITH_EXCLUSION', ['pr-1'], 'remediate', 'allows tags to be overwritten'],
  ] as const)(
    'with target IMMUTABLE and [latest, pr-*] allowed decides %s %j as %s',
    (mutability, filters, kind, reasonPart) => {
      const decision = evaluateRepository(
        facts({ mutability, exclusionFilters: [...filters] }),
        immutableAllowing,
        NOW,
      );
      expect(decision.kind).toBe(kind);
      expect(decision.reason).toContain(reasonPart);
    },
  );

  it.each([
    ['IMMUTABLE', [], true],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-1*', 'latest'], true],
    ['IMMUTABLE_WITH_EXCLUSION', ['pr-*'], true],
    ['IMMUTABLE_WITH_EXCLUSION', ['*'], false],
    ['MUTABLE', [], false],
    ['MUTABLE_WITH_EXCLUSION', [], false],
    ['', [], false],
  ] as const)(
    'isAtLeastAsStrict(%s %j) with target [dev-*, latest] and pr-* allowed: %s',
    (mutability, filters, expected) => {
      const policy = { target: devAndLatest.target, allowedExclusions: ['pr-*'] };
      expect(isAtLeastAsStrict({ mutability, exclusionFilters: filters }, policy)).toBe(expected);
    },
  );
});

describe('never looser, tag by tag: a write keeps every tag that was immutable immutable', () => {
  const target = (...filters: string[]): Policy => ({
    target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: filters },
    exemptRepositories: [],
  });
  const iwe = (...filters: string[]) => ({
    mutability: 'IMMUTABLE_WITH_EXCLUSION',
    exclusionFilters: filters,
  });
  const immutable = { mutability: 'IMMUTABLE', exclusionFilters: [] };

  it.each([
    ['MUTABLE_WITH_EXCLUSION', ['latest'], target('latest'), immutable],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest'], target('dev-*'), immutable],
    ['MUTABLE', [], target('latest'), iwe('latest')],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*'], target('dev-1*'), iwe('dev-1*')],
    ['MUTABLE_WITH_EXCLUSION', ['latest'], target('latest', 'dev-*'), iwe('dev-*')],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*', 'main'], target('dev-1*', 'latest'), iwe('dev-1*')],
    ['IMMUTABLE_WITH_EXCLUSION', ['a*'], target('*a'), iwe('a', 'a*a')],
    // A complement it cannot spell (every dev-* tag but dev-1*): stricter, the overlapping filter dropped.
    ['MUTABLE_WITH_EXCLUSION', ['dev-1*'], target('dev-*', 'latest'), iwe('latest')],
    ['IMMUTABLE_SOMEDAY', [], target('latest'), immutable],
  ] as const)('%s %j under %o writes %o', (mutability, filters, policy, desired) => {
    const decision = evaluateRepository(facts({ mutability, exclusionFilters: [...filters] }), policy, NOW);
    expect(decision).toMatchObject({ kind: 'remediate', desired });
    const template = {
      prefix: 'ROOT',
      registryId: '123456789012',
      setting: { mutability, exclusionFilters: [...filters] },
    };
    expect(evaluateTemplate(template, policy)).toMatchObject({ kind: 'remediate', desired });
  });

  it('says in the reason what it writes when that is not the target', () => {
    const decision = evaluateRepository(
      facts({ mutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] }),
      target('latest'),
      NOW,
    );
    expect(decision.reason).toContain(
      '; writes IMMUTABLE: only tags mutable before and allowed stay mutable',
    );
  });

  it('keeps what an IMMUTABLE_WITH_EXCLUSION repository shares with the allowed exclusions, and only that', () => {
    const policy: Policy = { ...IMMUTABLE_POLICY, allowedExclusions: ['latest', 'pr-*'] };
    const decision = evaluateRepository(
      facts({ mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'pr-1*', 'release-*'] }),
      policy,
      NOW,
    );
    expect(decision).toMatchObject({ kind: 'remediate', desired: iwe('latest', 'pr-1*') });
    // A MUTABLE repository gets the target only: allowed exclusions are granted with evidence (the plan).
    expect(
      evaluateRepository(facts({ mutability: 'MUTABLE', exclusionFilters: [] }), policy, NOW),
    ).toMatchObject({
      kind: 'remediate',
      desired: immutable,
    });
  });

  it('errs strict beyond 5 filters: it keeps the broadest 5 and says so', () => {
    const written = narrowSetting(iwe('a*', 'b*', 'c*', 'd*', 'e*', 'f*'), ['*1', '*2']);
    expect(written.exact).toBe(false);
    expect(written.setting.exclusionFilters).toHaveLength(5);
    const decision = evaluateRepository(
      facts({
        mutability: 'IMMUTABLE_WITH_EXCLUSION',
        exclusionFilters: ['a*', 'b*', 'c*', 'd*', 'e*', 'f*'],
      }),
      target('*1', '*2'),
      NOW,
    );
    expect(decision.reason).toContain('stricter where ECR filters cannot say it exactly');
  });

  it.each([
    ['MUTABLE', [], 'x', true],
    ['IMMUTABLE', [], 'x', false],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*'], 'dev-1', true],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*'], 'main', false],
    ['MUTABLE_WITH_EXCLUSION', ['dev-*'], 'dev-1', false],
    ['MUTABLE_WITH_EXCLUSION', ['dev-*'], 'main', true],
    ['SOMETHING_NEW', [], 'x', false],
  ] as const)('isTagMutable(%s %j, %s) is %s', (mutability, filters, tag, expected) => {
    expect(isTagMutable({ mutability, exclusionFilters: [...filters] }, tag)).toBe(expected);
  });

  describe('for random settings, targets, allowed exclusions and tags (brute force)', () => {
    // Tags over {a, b, -, _} of up to 5 characters: `_` occurs in no filter, so a filter's `*` stands
    // for a character no literal shares, and differences between these filters show among these tags.
    const tags = allTags(['a', 'b', '-', '_'], 5);
    const filterArb = fc.stringMatching(/^[ab*-]{1,4}$/);
    const settingArb = fc.record({
      mutability: fc.constantFrom(...TAG_MUTABILITIES, 'IMMUTABLE_SOMEDAY'),
      exclusionFilters: fc.array(filterArb, { maxLength: 4 }),
    });
    // No filter of only `*`: the settings refuse one (it would make every tag mutable).
    const policyFilterArb = filterArb.filter((filter) => !/^\*+$/.test(filter));
    const policyArb: fc.Arbitrary<Policy> = fc.record({
      target: fc.oneof(
        fc.constant({ mutability: 'IMMUTABLE' as const, exclusionFilters: [] as [] }),
        fc.uniqueArray(policyFilterArb, { minLength: 1, maxLength: 3 }).map((filters) => ({
          mutability: 'IMMUTABLE_WITH_EXCLUSION' as const,
          exclusionFilters: filters,
        })),
      ),
      allowedExclusions: fc.option(fc.array(policyFilterArb, { maxLength: 3 }), { nil: undefined }),
      exemptRepositories: fc.constant([]),
    });

    it('no tag immutable before a remediation or template write is mutable after it, and the result is compliant', () => {
      fc.assert(
        fc.property(settingArb, policyArb, (setting, policy) => {
          const decision = evaluateRepository(facts(setting), policy, NOW);
          const template = evaluateTemplate({ prefix: 'ROOT', registryId: '123456789012', setting }, policy);
          expect(template.kind === 'remediate' ? template.desired : undefined).toEqual(
            decision.kind === 'remediate' ? decision.desired : undefined,
          );
          fc.pre(decision.kind === 'remediate');
          const after = decision.desired;
          const loosened = tags.filter((tag) => !mutableUnder(setting, tag) && mutableUnder(after, tag));
          expect(loosened, `${describeSetting(setting)} -> ${describeSetting(after)}`).toEqual([]);
          const permitted = [...policy.target.exclusionFilters, ...(policy.allowedExclusions ?? [])];
          const unpermitted = tags.filter(
            (tag) => mutableUnder(after, tag) && !permitted.some((filter) => bruteMatch(filter, tag)),
          );
          expect(unpermitted).toEqual([]);
          // Idempotent: decided again, the written setting is compliant (and templates agree).
          expect(evaluateRepository(facts(after), policy, NOW).kind).toBe('compliant');
          expect(isAtLeastAsStrict(after, policy)).toBe(true);
        }),
        { numRuns: 1500 },
      );
    });

    it('leaves mutable exactly the tags mutable before and allowed, whenever it says it is exact', () => {
      fc.assert(
        fc.property(
          settingArb,
          fc.array(policyFilterArb, { minLength: 1, maxLength: 3 }),
          (setting, allowed) => {
            const written = narrowSetting(setting, allowed);
            fc.pre(written.exact);
            const expected = tags.filter(
              (tag) => mutableUnder(setting, tag) && allowed.some((filter) => bruteMatch(filter, tag)),
            );
            expect(tags.filter((tag) => mutableUnder(written.setting, tag))).toEqual(expected);
          },
        ),
        { numRuns: 1500 },
      );
    });

    it('agrees with ECR on which tags a setting leaves mutable (isTagMutable)', () => {
      fc.assert(
        fc.property(settingArb, fc.constantFrom(...tags), (setting, tag) => {
          expect(isTagMutable(setting, tag)).toBe(mutableUnder(setting, tag));
        }),
        { numRuns: 2000 },
      );
    });
  });
});

describe('evaluateTemplate', () => {
  const template = (mutability: string, exclusionFilters: string[] = []) => ({
    prefix: 'ROOT',
    registryId: '123456789012',
    setting: { mutability, exclusionFilters },
  });

  it.each([
    ['IMMUTABLE', [], 'compliant'],
    ['MUTABLE', [], 'remediate'],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest'], 'compliant'],
    ['IMMUTABLE_WITH_EXCLUSION', ['*'], 'remediate'],
  ] as const)('decides a template at %s %j as %s with latest allowed', (mutability, filters, kind) => {
    const policy: Policy = { ...IMMUTABLE_POLICY, allowedExclusions: ['latest'], exemptRepositories: ['**'] };
    expect(evaluateTemplate(template(mutability, [...filters]), policy).kind).toBe(kind);
  });

  it.each([
    ['IMMUTABLE', [], 'compliant', 'rule at-least-as-strict: IMMUTABLE keeps every tag immutable'],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-9*'], 'compliant', '(dev-9* within dev-*)'],
    ['IMMUTABLE_WITH_EXCLUSION', ['release-*'], 'remediate', 'filters [release-*]'],
    ['MUTABLE', [], 'remediate', 'MUTABLE allows tags to be overwritten'],
  ] as const)(
    'decides a template at %s %j as %s with target [latest, dev-*]',
    (mutability, filters, kind, reasonPart) => {
      const policy: Policy = {
        target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'dev-*'] },
        exemptRepositories: [],
      };
      const decision = evaluateTemplate(template(mutability, [...filters]), policy);
      expect(decision.kind).toBe(kind);
      expect(decision.reason).toContain(reasonPart);
    },
  );
});

describe('compileNameGlob', () => {
  it.each([
    ['sandbox/**', 'sandbox/a', true],
    ['sandbox/**', 'sandbox/a/b/c', true],
    ['sandbox/**', 'sandboxes/a', false],
    ['*/tmp', 'team/tmp', true],
    ['*/tmp', 'team/x/tmp', false],
    ['**/tmp', 'tmp', true],
    ['**/tmp', 'a/b/tmp', true],
    ['app-?', 'app-1', true],
    ['app.v1', 'appxv1', false],
  ])('%s matches %s: %s', (glob, name, expected) => {
    expect(compileNameGlob(glob).test(name)).toBe(expected);
  });
});

describe('policy properties', () => {
  // A tiny alphabet makes filters that cover one another common; real-looking ones mix in.
  const smallFilterArb = fc.stringMatching(/^[ab*-]{1,4}$/);
  const filterArb = fc.oneof(
    smallFilterArb,
    fc.constantFrom('latest', 'dev-*', 'dev-1*', '*', 'a*b'),
    fc.stringMatching(/^[a-z0-9*-]{1,8}$/),
  );
  const settingArb = fc.record({
    mutability: fc.oneof(fc.constantFrom(...TAG_MUTABILITIES), fc.string({ maxLength: 12 })),
    exclusionFilters: fc.array(filterArb, { maxLength: 5 }),
  });
  const policyArb: fc.Arbitrary<Policy> = fc.record({
    target: fc.oneof(
      fc.constant({ mutability: 'IMMUTABLE' as const, exclusionFilters: [] as [] }),
      fc.uniqueArray(filterArb, { minLength: 1, maxLength: 5 }).map((filters) => ({
        mutability: 'IMMUTABLE_WITH_EXCLUSION' as const,
        exclusionFilters: filters,
      })),
    ),
    allowedExclusions: fc.option(fc.array(filterArb, { maxLength: 5 }), { nil: undefined }),
    exemptRepositories: fc.array(fc.constantFrom('sandbox/**', '*/tmp', 'legacy-*'), { maxLength: 2 }),
    exemptTag: fc.option(fc.constant({ key: 'ecr-guard:exempt' }), { nil: undefined }),
  });
  const nameArb = fc.constantFrom('team/app', 'sandbox/x', 'a/tmp', 'legacy-1', 'web');
  const tagsArb = fc.option(
    fc.dictionary(fc.constantFrom('ecr-guard:exempt', 'team'), fc.string({ maxLength: 6 })),
    {
      nil: undefined,
    },
  );

  function decideFully(repository: RepositoryFacts, policy: Policy): Decision {
    const decision = evaluateRepository(repository, policy, NOW);
    return decision.kind === 'needs-tags'
      ? evaluateRepository({ ...repository, tags: repository.tags ?? {} }, policy, NOW)
      : decision;
  }

  it('is deterministic', () => {
    fc.assert(
      fc.property(settingArb, policyArb, nameArb, tagsArb, (setting, policy, name, tags) => {
        const repository = facts(setting, { repositoryName: name, tags });
        expect(evaluateRepository(repository, policy, NOW)).toEqual(
          evaluateRepository(repository, policy, NOW),
        );
      }),
    );
  });

  it('yields compliant after applying a remediation and deciding again', () => {
    fc.assert(
      fc.property(settingArb, policyArb, nameArb, tagsArb, (setting, policy, name, tags) => {
        const repository = facts(setting, { repositoryName: name, tags });
        const decision = decideFully(repository, policy);
        fc.pre(decision.kind === 'remediate');
        const after = decideFully({ ...repository, setting: decision.desired }, policy);
        expect(after.kind).toBe('compliant');
      }),
    );
  });

  it('never loosens: it writes only what is not at least as strict, and only the target, which is', () => {
    fc.assert(
      fc.property(settingArb, policyArb, nameArb, tagsArb, (setting, policy, name, tags) => {
        const decision = decideFully(facts(setting, { repositoryName: name, tags }), policy);
        if (decision.kind === 'remediate') {
          expect(isAtLeastAsStrict(setting, policy)).toBe(false);
          expect(isAtLeastAsStrict(decision.desired, policy)).toBe(true);
        }
        if (decision.kind === 'compliant') expect(isAtLeastAsStrict(setting, policy)).toBe(true);
        if (setting.mutability === 'IMMUTABLE') expect(decision.kind).not.toBe('remediate');
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent: deciding the same facts twice, or the result again, writes nothing more', () => {
    fc.assert(
      fc.property(settingArb, policyArb, nameArb, (setting, policy, name) => {
        const repository = facts(setting, { repositoryName: name });
        const first = decideFully(repository, policy);
        expect(decideFully(repository, policy)).toEqual(first);
        const after = first.kind === 'remediate' ? first.desired : setting;
        expect(decideFully({ ...repository, setting: after }, policy).kind).not.toBe('remediate');
      }),
      { numRuns: 500 },
    );
  });

  describe('against a brute-force matcher over every tag up to a length bound', () => {
    // Filters over {a, b, -, *} of at most 4 characters: a tag that one filter leaves mutable and
    // others do not exists among the tags over {a, b, -, _} of at most 4 characters (replace each
    // `*` by `_`, which no filter holds), so this enumeration decides "leaves more tags mutable".
    const tags = allTags(['a', 'b', '-', '_'], 4);
    const smallPolicyArb: fc.Arbitrary<Policy> = fc.record({
      target: fc.oneof(
        fc.constant({ mutability: 'IMMUTABLE' as const, exclusionFilters: [] as [] }),
        fc.uniqueArray(smallFilterArb, { minLength: 1, maxLength: 3 }).map((filters) => ({
          mutability: 'IMMUTABLE_WITH_EXCLUSION' as const,
          exclusionFilters: filters,
        })),
      ),
      allowedExclusions: fc.option(fc.array(smallFilterArb, { maxLength: 3 }), { nil: undefined }),
      exemptRepositories: fc.constant([]),
    });
    const exclusionSettingArb = fc.record({
      mutability: fc.constant('IMMUTABLE_WITH_EXCLUSION'),
      exclusionFilters: fc.array(smallFilterArb, { maxLength: 3 }),
    });
    /** Tags `setting` leaves mutable that neither the target's filters nor the allowed exclusions do. */
    function loopholes(setting: MutabilitySetting, policy: Policy): string[] {
      const permitted = [...policy.target.exclusionFilters, ...(policy.allowedExclusions ?? [])];
      return tags.filter(
        (tag) =>
          setting.exclusionFilters.some((filter) => bruteMatch(filter, tag)) &&
          !permitted.some((filter) => bruteMatch(filter, tag)),
      );
    }

    it('writes a repository exactly when it leaves some tag mutable that the policy does not', () => {
      fc.assert(
        fc.property(exclusionSettingArb, smallPolicyArb, (setting, policy) => {
          const decision = evaluateRepository(facts(setting), policy, NOW);
          expect(
            decision.kind === 'remediate',
            `${JSON.stringify(setting)} under ${JSON.stringify(policy)}`,
          ).toBe(loopholes(setting, policy).length > 0);
        }),
        { numRuns: 1000 },
      );
    });
  });

  it('never writes a repository whose name is exempt', () => {
    fc.assert(
      fc.property(settingArb, policyArb, tagsArb, (setting, policy, tags) => {
        const exemptPolicy: Policy = { ...policy, exemptRepositories: ['sandbox/**'] };
        const decision = decideFully(facts(setting, { repositoryName: 'sandbox/x', tags }), exemptPolicy);
        expect(decision.kind).toBe('exempt');
      }),
    );
  });

  it('does not depend on the order of exclusion filters', () => {
    fc.assert(
      fc.property(settingArb, policyArb, nameArb, (setting, policy, name) => {
        const reversed = { ...setting, exclusionFilters: [...setting.exclusionFilters].reverse() };
        const a = evaluateRepository(facts(setting, { repositoryName: name }), policy, NOW);
        const b = evaluateRepository(facts(reversed, { repositoryName: name }), policy, NOW);
        expect(a.kind).toBe(b.kind);
      }),
    );
  });
});
