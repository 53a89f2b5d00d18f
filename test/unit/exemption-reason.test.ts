/**
 * Reading an `exempt` record's reason back into rule, reason and expiry (lib/exemption-reason.ts), from the
 * reasons lib/policy.ts itself writes, and from reasons it does not know.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateRepository } from '../../lib/decision.ts';
import { readExemption } from '../../lib/exemption-reason.ts';
import type { Policy } from '../../lib/policy.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const POLICY: Policy = {
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  exemptRepositories: ['legacy/**'],
  exemptTag: { key: 'ecr-guard:exempt', expiryKey: 'ecr-guard:until' },
};

function reasonFor(name: string, tags: Record<string, string> = {}): string {
  const decision = evaluateRepository(
    {
      repositoryName: name,
      repositoryArn: `arn:aws:ecr:eu-west-1:123456789012:repository/${name}`,
      registryId: '123456789012',
      setting: { mutability: 'MUTABLE', exclusionFilters: [] },
      tags,
    },
    POLICY,
    NOW,
  );
  if (decision.kind !== 'exempt') throw new Error(`${name} is not exempt: ${decision.reason}`);
  return decision.reason;
}

describe('readExemption', () => {
  it('reads a name exemption the policy wrote', () => {
    expect(readExemption(reasonFor('legacy/base'))).toEqual({
      rule: 'exempt-name',
      reason: "repository name matches 'legacy/**'",
    });
  });

  it('reads a tag exemption with its expiry', () => {
    const reason = reasonFor('app', {
      'ecr-guard:exempt': 'vendor image, ticket SEC-12',
      'ecr-guard:until': '2026-12-31',
    });
    expect(readExemption(reason, 'ecr-guard:exempt')).toEqual({
      rule: 'exempt-tag ecr-guard:exempt',
      reason: 'vendor image, ticket SEC-12',
      expiry: '2026-12-31',
    });
  });

  it('reads a tag exemption without expiry', () => {
    expect(readExemption(reasonFor('app', { 'ecr-guard:exempt': 'forever' }))).toEqual({
      rule: 'exempt-tag ecr-guard:exempt',
      reason: 'forever',
    });
  });

  it("reads a key holding =' exactly when the policy's key is given", () => {
    const reason = "rule exempt-tag: a='b='c' until 2027-01-01";
    expect(readExemption(reason, "a='b")).toEqual({
      rule: "exempt-tag a='b",
      reason: 'c',
      expiry: '2027-01-01',
    });
    expect(readExemption(reason)).toEqual({ rule: 'exempt-tag a', reason: "b='c", expiry: '2027-01-01' });
  });

  it('keeps a value that itself says until', () => {
    const reason = reasonFor('app', {
      'ecr-guard:exempt': "kept ' until 2099-01-01",
      'ecr-guard:until': '2026-07-01',
    });
    expect(readExemption(reason, 'ecr-guard:exempt')).toMatchObject({
      reason: "kept ' until 2099-01-01",
      expiry: '2026-07-01',
    });
  });

  it.each([
    ['rule exempt-team: owned by platform', { rule: 'exempt-team', reason: 'owned by platform' }],
    ['something else entirely', { rule: 'unknown', reason: 'something else entirely' }],
  ])('keeps an unknown reason %j whole', (reason, expected) => {
    expect(readExemption(reason)).toEqual(expected);
  });

  it('gives back any tag value and expiry the policy writes', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((value) => value.trim() !== ''),
        fc.date({
          min: new Date('2026-06-02T00:00:00Z'),
          max: new Date('2099-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        (value, expiry) => {
          const until = expiry.toISOString().slice(0, 10);
          const reason = reasonFor('app', { 'ecr-guard:exempt': value, 'ecr-guard:until': until });
          expect(readExemption(reason, 'ecr-guard:exempt')).toEqual({
            rule: 'exempt-tag ecr-guard:exempt',
            reason: value,
            expiry: until,
          });
        },
      ),
    );
  });
});
