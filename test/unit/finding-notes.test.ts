/**
 * The notes the guard writes on ECR.2 findings (lib/finding-notes.ts): their exact words, the policy as they
 * name it, and that each fits BatchUpdateFindings' 512 characters.
 */
import { describe, expect, it } from 'vitest';
import {
  compliantNote,
  describePolicy,
  exemptNote,
  fitText,
  MAX_NOTE_LENGTH,
  releaseNote,
  remediationNote,
} from '../../lib/finding-notes.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const POLICY = {
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  allowedExclusions: ['latest'],
  exemptTag: { key: 'ecr-guard:exempt', expiryKey: 'ecr-guard:until' },
} as const;

describe('fitText', () => {
  it.each([
    ['keeps a text shorter than the limit', 'abc', 4, 'abc'],
    ['keeps a text exactly as long as the limit', 'abcd', 4, 'abcd'],
    ['cuts a longer text, ending it with … within the limit', 'abcde', 4, 'abc…'],
    ['cuts to the ellipsis alone at a limit of 1', 'abcde', 1, '…'],
    ['cuts to the ellipsis alone at a limit of 0', 'abcde', 0, '…'],
  ])('%s', (_name, text, max, fitted) => {
    expect(fitText(text, max)).toBe(fitted);
  });
});

describe('describePolicy', () => {
  it.each([
    ['names the target alone when no exclusion is allowed', [], 'target IMMUTABLE'],
    ['names the target alone when the allowed exclusions are not set', undefined, 'target IMMUTABLE'],
    [
      'names the allowed exclusions sorted',
      ['release-*', 'dev-*', 'latest'],
      'target IMMUTABLE, allowed exclusions [dev-*, latest, release-*]',
    ],
  ])('%s', (_name, allowedExclusions, text) => {
    expect(describePolicy({ ...POLICY, allowedExclusions })).toBe(text);
  });

  it('names a target with exclusion filters', () => {
    expect(
      describePolicy({
        target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
        allowedExclusions: ['dev-*'],
        exemptTag: undefined,
      }),
    ).toBe('target IMMUTABLE_WITH_EXCLUSION [latest], allowed exclusions [dev-*]');
  });
});

describe('exemptNote', () => {
  it('reads a tag exemption without an exemption tag in the policy by its first `=`', () => {
    expect(
      exemptNote("rule exempt-tag: owner='vendor image' until 2026-12-31", {
        ...POLICY,
        exemptTag: undefined,
      }),
    ).toBe(
      'Suppressed by ecr-immutability-guard: exempt under rule exempt-tag owner; reason: vendor image; expires: 2026-12-31.',
    );
  });

  it('reads the policy’s exemption tag key whole, even when it holds `=’`', () => {
    expect(
      exemptNote("rule exempt-tag: team='a'='vendor image'", {
        ...POLICY,
        exemptTag: { key: "team='a'", expiryKey: 'until' },
      }),
    ).toBe(
      "Suppressed by ecr-immutability-guard: exempt under rule exempt-tag team='a'; reason: vendor image; expires: never.",
    );
  });

  it('cuts a long reason to 512 characters', () => {
    const note = exemptNote(`rule exempt-name: repository name matches '${'x'.repeat(600)}'`, POLICY);
    expect(note).toHaveLength(MAX_NOTE_LENGTH);
    expect(note.endsWith('x…')).toBe(true);
  });
});

describe('compliantNote', () => {
  it('names the policy and the reason, within 512 characters', () => {
    expect(compliantNote('rule at-least-as-strict: x', POLICY)).toBe(
      'Suppressed by ecr-immutability-guard: compliant under the policy (target IMMUTABLE, allowed exclusions [latest]) although ECR.2 fails it; rule at-least-as-strict: x.',
    );
    expect(compliantNote('y'.repeat(600), POLICY)).toHaveLength(MAX_NOTE_LENGTH);
  });
});

describe('releaseNote', () => {
  it('says the suppression is lifted and why, within 512 characters', () => {
    expect(releaseNote('rule target: IMMUTABLE')).toBe(
      'Released by ecr-immutability-guard: the repository is no longer exempt, so its suppression is lifted; rule target: IMMUTABLE.',
    );
    expect(releaseNote('y'.repeat(600))).toHaveLength(MAX_NOTE_LENGTH);
  });
});

describe('remediationNote', () => {
  it('names the settings before and after, the reason, and the time last', () => {
    expect(
      remediationNote(
        { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
        { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
        'rule target: MUTABLE',
        NOW,
      ),
    ).toEqual({
      stem: 'Remediated by ecr-immutability-guard: MUTABLE -> IMMUTABLE_WITH_EXCLUSION [latest]; rule target: MUTABLE; at ',
      text: 'Remediated by ecr-immutability-guard: MUTABLE -> IMMUTABLE_WITH_EXCLUSION [latest]; rule target: MUTABLE; at 2026-06-01T12:00:00.000Z',
    });
  });

  it('says unknown for a setting it was not told', () => {
    expect(remediationNote(undefined, undefined, 'r', NOW).text).toBe(
      'Remediated by ecr-immutability-guard: unknown -> unknown; r; at 2026-06-01T12:00:00.000Z',
    );
  });
});
