/**
 * The settings table's helpers: how text becomes a value, which problems are reported (once per
 * setting, the rules between settings at their bounds), and the "did you mean" hint.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';
import { MAX_EXCLUSION_FILTERS } from '../../lib/policy.ts';
import {
  closest,
  envName,
  envText,
  parseText,
  settingProblem,
  splitList,
  validateSettings,
} from '../../lib/settings.ts';

describe('reading settings from text', () => {
  it.each([
    ['8', 8],
    ['+8', 8],
    [' 12 ', 12],
  ])('reads the integer %j as %i', (text, value) => {
    expect(loadConfig({ SWEEP_CONCURRENCY: text }).sweepConcurrency).toBe(value);
  });

  it.each(['8x', 'x8', '8.5', '0x10'])('refuses %j as an integer, naming the variable', (text) => {
    expect(() => loadConfig({ SWEEP_CONCURRENCY: text })).toThrow(ConfigError);
    expect(() => loadConfig({ SWEEP_CONCURRENCY: text })).toThrow(/^SWEEP_CONCURRENCY: /);
  });

  it('splits comma-separated items of repeated values, trimmed, without empty ones', () => {
    expect(splitList(['latest, dev-*', '', ' ,nightly,, '])).toEqual(['latest', 'dev-*', 'nightly']);
  });

  it('renders values as a variable expects them: lists comma-separated, an empty list as absent', () => {
    expect([envText(undefined), envText([]), envText(['a', 'b']), envText(8), envText(true)]).toEqual([
      undefined,
      undefined,
      'a,b',
      '8',
      'true',
    ]);
  });
});

describe('validateSettings', () => {
  it('reports a value that could not be read from text once, as it was read', () => {
    const result = validateSettings({ dryRun: parseText('dryRun', 'maybe') }, envName);
    expect(result).toEqual({
      ok: false,
      issues: [{ key: 'dryRun', message: expect.stringMatching(/^must be true or false .*got 'maybe'$/) }],
    });
  });

  it('reports each setting once, however many of its items are wrong', () => {
    const result = validateSettings({ exclusionFilters: ['no spaces', 'no/slashes'] }, envName);
    expect(result.ok ? [] : result.issues.map((issue) => issue.key)).toEqual(['exclusionFilters']);
  });

  it(`takes 1 to ${MAX_EXCLUSION_FILTERS} exclusion filters with IMMUTABLE_WITH_EXCLUSION, and says so beyond`, () => {
    const filters = (count: number) => Array.from({ length: count }, (_, index) => `f${index}-*`);
    const withFilters = (count: number) =>
      validateSettings(
        { targetMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: filters(count) },
        envName,
      );
    expect(withFilters(1).ok).toBe(true);
    expect(withFilters(MAX_EXCLUSION_FILTERS).ok).toBe(true);
    expect(withFilters(MAX_EXCLUSION_FILTERS + 1)).toEqual({
      ok: false,
      issues: [
        {
          key: 'exclusionFilters',
          message: `IMMUTABLE_WITH_EXCLUSION needs 1 to ${MAX_EXCLUSION_FILTERS} filters, got ${MAX_EXCLUSION_FILTERS + 1}`,
        },
      ],
    });
  });
});

describe('tag keys', () => {
  it.each([
    ['aws:owner', 'lower case'],
    ['AWS:owner', 'upper case'],
    ['Aws:owner', 'mixed case'],
  ])('refuses %s, a key in the prefix AWS reserves (%s)', (key) => {
    expect(settingProblem('exemptTagKey', key)).toBe(
      `'${key}' uses the prefix aws:, which AWS reserves for its own tags`,
    );
  });

  it.each(['team/aws:', 'my-aws:reason', 'aws', 'Exempt Reason'])(
    'accepts %j, which does not start with aws:',
    (key) => {
      expect(settingProblem('exemptTagKey', key)).toBeUndefined();
    },
  );

  it('names a key with a character AWS refuses, and the characters it takes', () => {
    expect(settingProblem('exemptExpiryTagKey', 'bad*key')).toBe(
      "'bad*key' is not a tag key AWS accepts (letters, digits, spaces and _ . : / = + - @)",
    );
  });

  it('joins the distinct problems of one value with "; "', () => {
    expect(settingProblem('exemptTagKey', '')).toBe(
      "must not be empty; '' is not a tag key AWS accepts (letters, digits, spaces and _ . : / = + - @)",
    );
    expect(validateSettings({ exemptTagKey: '' }, envName)).toEqual({
      ok: false,
      issues: [
        {
          key: 'exemptTagKey',
          message:
            "must not be empty; '' is not a tag key AWS accepts (letters, digits, spaces and _ . : / = + - @)",
        },
      ],
    });
  });
});

describe('rules between settings', () => {
  it.each([
    [
      'an expiry tag key equal to the exemption tag key',
      { exemptTagKey: 'exempt', exemptExpiryTagKey: 'exempt' },
      'exemptExpiryTagKey',
      "must differ from EXEMPT_TAG_KEY ('exempt'): one tag cannot hold the reason and the expiry",
    ],
    [
      'a Security Hub Region without the Security Hub sync',
      { securityHubRegion: 'eu-west-1' },
      'securityHubRegion',
      'needs SYNC_SECURITY_HUB to be on',
    ],
    [
      'the management account without organisation mode',
      { includeManagementAccount: true },
      'includeManagementAccount',
      'needs ORGANIZATION_MODE to be on',
    ],
  ])('refuses %s, naming the setting it needs', (_, input, key, message) => {
    expect(validateSettings(input, envName)).toEqual({ ok: false, issues: [{ key, message }] });
  });

  it.each([
    [
      'different exemption and expiry tag keys',
      { exemptTagKey: 'exempt', exemptExpiryTagKey: 'exempt-until' },
    ],
    [
      'a Security Hub Region with the Security Hub sync',
      { securityHubRegion: 'eu-west-1', syncSecurityHub: true },
    ],
    ['the management account with organisation mode', { includeManagementAccount: true, organization: true }],
    ['the management account left out without organisation mode', { includeManagementAccount: false }],
  ])('accepts %s', (_, input) => {
    expect(validateSettings(input, envName).ok).toBe(true);
  });
});

describe('closest (the "did you mean" hint)', () => {
  const names = ['SWEEP_CONCURRENCY', 'SWEEP_SAFETY_MARGIN_MS', 'DRY_RUN', 'TARGET_MUTABILITY'];

  it.each([
    ['SWEEP_CONCURENCY', 'SWEEP_CONCURRENCY', 'one letter missing'],
    ['sweep_concurrency', 'SWEEP_CONCURRENCY', 'another case'],
    ['DRY_RUM', 'DRY_RUN', 'one letter wrong'],
    ['DRYRN', 'DRY_RUN', 'two letters off in a short name'],
    ['TARGET_MUTABLITY', 'TARGET_MUTABILITY', 'among several, the nearest'],
    [
      'SWEEP_CONCURRENCY_LIMIT_X',
      'SWEEP_CONCURRENCY',
      'eight letters off in 25: a third, the most it allows',
    ],
  ])('suggests %s for %s (%s)', (name, suggestion) => {
    expect(closest(name, names)).toBe(suggestion);
  });

  it.each([
    ['DRY', 'four letters off in a short name'],
    ['LOG_LEVEL', 'nothing alike'],
    ['SWEEP_CONCURRENCY_LIMIT_XY', 'nine letters off in 26: more than a third'],
  ])('suggests nothing for %s (%s)', (name) => {
    expect(closest(name, names)).toBeUndefined();
  });

  it('counts a difference in case as none', () => {
    expect(closest('dry_rux', ['dry_run', 'DRY_RUX'])).toBe('DRY_RUX');
  });

  it('suggests the first of two equally close names', () => {
    expect(closest('DRY_RUX', ['DRY_RUN', 'DRY_RUB'])).toBe('DRY_RUN');
  });

  it('suggests nothing from no candidates', () => {
    expect(closest('DRY_RUN', [])).toBeUndefined();
  });
});
