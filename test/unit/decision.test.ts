/**
 * The decisions on repositories and creation templates (lib/decision.ts): name exemptions, compliance
 * against the policy, tag exemptions and their expiry, and the reason naming the rule that decided.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileNameGlob,
  type Decision,
  evaluateRepository,
  evaluateTagExemption,
  evaluateTemplate,
} from '../../lib/decision.ts';
import {
  isAtLeastAsStrict,
  type MutabilitySetting,
  type Policy,
  type RepositoryFacts,
  TAG_MUTABILITIES,
} from '../../lib/policy.ts';
import { allTags, bruteMatch } from '../helpers/brute-force.ts';
import { facts, IMMUTABLE_POLICY, NOW } from '../helpers/policies.ts';

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
    ['app.v1', 'app.v1', true],
    ['c++', 'c++', true],
    ['c++', 'cc', false],
    ['lib(x)', 'lib(x)', true],
    ['a|b', 'a', false],
    ['**', 'a/b', true],
    ['a**', 'ab/c', true],
    ['a*', 'ab/c', false],
  ])('%s matches %s: %s', (glob, name, expected) => {
    expect(compileNameGlob(glob).test(name)).toBe(expected);
  });

  it.each([
    ['sandbox/**', /^sandbox\/.*$/],
    ['**/tmp', /^(?:.*\/)?tmp$/],
    ['*/a?', /^[^/]*\/a[^/]$/],
    ['app.v1+(x)', /^app\.v1\+\(x\)$/],
  ])('compiles %s to %s, regular-expression characters escaped', (glob, expected) => {
    expect(compileNameGlob(glob)).toEqual(expected);
  });
});

describe('evaluateTagExemption', () => {
  const rule = { key: 'ecr-guard:exempt', expiryKey: 'ecr-guard:exempt-until' };
  const until = (expiry: string) => ({ 'ecr-guard:exempt': 'legacy', 'ecr-guard:exempt-until': expiry });

  it('notes nothing for a repository without the exemption tag', () => {
    expect(evaluateTagExemption({ team: 'a' }, rule, NOW)).toEqual({ exempt: false, note: '' });
  });

  it('honours an expiry at exactly now (not yet past) and refuses one a millisecond before', () => {
    expect(evaluateTagExemption(until('2026-11-29T12:00:00Z'), rule, NOW)).toEqual({
      exempt: true,
      reason: "rule exempt-tag: ecr-guard:exempt='legacy' until 2026-11-29T12:00:00Z",
    });
    expect(evaluateTagExemption(until('2026-11-29T11:59:59.999Z'), rule, NOW)).toEqual({
      exempt: false,
      note: '; exemption tag ecr-guard:exempt expired on 2026-11-29T11:59:59.999Z and is not honoured',
    });
  });

  it('reads a date without a time as UTC midnight, so it expires as that day starts', () => {
    expect(evaluateTagExemption(until('2026-11-29'), rule, NOW)).toEqual({
      exempt: false,
      note: '; exemption tag ecr-guard:exempt expired on 2026-11-29 and is not honoured',
    });
  });

  it.each([
    [' 2099-12-31', 'leading text Date.parse would skip'],
    ['by 2099-12-31', 'leading text Date.parse would skip'],
    ['+002099-12-31', 'an expanded year'],
    ['0050-01-01', 'a year before 100, which Date.UTC reads as 1950'],
    ['2099-02-30', 'a day February does not have'],
    ['2099-04-31', 'a day April does not have'],
    ['2099-13-01', 'a month that does not exist'],
  ])('refuses the expiry %j (%s) as not an ISO date', (expiry) => {
    expect(evaluateTagExemption(until(expiry), rule, NOW)).toEqual({
      exempt: false,
      note: `; exemption expiry ecr-guard:exempt-until='${expiry}' is not an ISO date, not honoured`,
    });
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

describe('the reason of a decision, word for word', () => {
  const withLatest: Policy = {
    target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'dev-*'] },
    exemptRepositories: [],
  };

  it.each([
    [
      'a remediation to the target itself says nothing of what it writes',
      { mutability: 'MUTABLE', exclusionFilters: [] },
      withLatest,
      'rule target: MUTABLE allows tags to be overwritten; target is IMMUTABLE_WITH_EXCLUSION [dev-*, latest]',
    ],
    [
      'a narrowed remediation that ECR filters say exactly names what it writes, nothing more',
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'x'] },
      withLatest,
      "rule target: filters [x] of IMMUTABLE_WITH_EXCLUSION [latest, x] are not covered by the target's filters; target is IMMUTABLE_WITH_EXCLUSION [dev-*, latest]; writes IMMUTABLE_WITH_EXCLUSION [latest]: only tags mutable before and allowed stay mutable",
    ],
    [
      'every filter outside the target is named, comma-separated',
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['a', 'b'] },
      IMMUTABLE_POLICY,
      "rule target: filters [a, b] of IMMUTABLE_WITH_EXCLUSION [a, b] are not covered by the target's filters; target is IMMUTABLE",
    ],
    [
      'a filter the policy permits itself is named alone, one inside a broader filter with it',
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'lx'] },
      {
        target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
        allowedExclusions: ['l*'],
        exemptRepositories: [],
      },
      'rule at-least-as-strict: every filter is covered by the target or the allowed exclusions (latest, lx within l*); target is IMMUTABLE_WITH_EXCLUSION [latest]',
    ],
  ] as const)('%s', (_name, setting, policy, reason) => {
    expect(evaluateRepository(facts(setting), policy, NOW).reason).toBe(reason);
  });
});
