import { describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../lib/aws-client-config.ts';
import { loadConfig } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';
import { settingRows } from '../../lib/settings.ts';

describe('loadConfig', () => {
  it('defaults to an IMMUTABLE target, no dry-run and no audit bus', () => {
    expect(loadConfig({})).toMatchObject({
      policy: { target: { mutability: 'IMMUTABLE', exclusionFilters: [] }, exemptRepositories: [] },
      dryRun: false,
      verboseAudit: false,
      auditEventBusName: undefined,
      sweepConcurrency: 4,
      serviceName: 'ecr-immutability-guard',
      metricsNamespace: 'EcrImmutabilityGuard',
      logLevel: 'INFO',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION',
      EXCLUSION_FILTERS: 'latest, dev-*',
      ALLOWED_EXCLUSIONS: 'latest',
      DRY_RUN: 'true',
      VERBOSE_AUDIT: '1',
      AUDIT_EVENT_BUS_NAME: 'security-audit',
      EXEMPT_REPOSITORIES: 'sandbox/**,legacy-*',
      EXEMPT_TAG_KEY: 'ecr-guard:exempt',
      EXEMPT_EXPIRY_TAG_KEY: 'ecr-guard:exempt-until',
      SWEEP_CONCURRENCY: '8',
      SWEEP_SAFETY_MARGIN_MS: '45000',
      POWERTOOLS_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      policy: {
        target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['dev-*', 'latest'] },
        allowedExclusions: ['latest'],
        exemptRepositories: ['sandbox/**', 'legacy-*'],
        exemptTag: { key: 'ecr-guard:exempt', expiryKey: 'ecr-guard:exempt-until' },
      },
      dryRun: true,
      verboseAudit: true,
      auditEventBusName: 'security-audit',
      sweepConcurrency: 8,
      sweepSafetyMarginMs: 45000,
      logLevel: 'DEBUG',
    });
  });

  it.each([
    [{ TARGET_MUTABILITY: 'MUTABLE' }, 'TARGET_MUTABILITY'],
    [{ DRY_RUN: 'maybe' }, 'DRY_RUN'],
    [{ SWEEP_CONCURRENCY: '0' }, 'SWEEP_CONCURRENCY'],
    [{ SWEEP_CONCURRENCY: 'many' }, 'SWEEP_CONCURRENCY'],
    [{ TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION' }, 'EXCLUSION_FILTERS'],
    [
      { TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION', EXCLUSION_FILTERS: 'a,b,c,d,e,f' },
      'EXCLUSION_FILTERS',
    ],
    [{ EXCLUSION_FILTERS: 'latest' }, 'EXCLUSION_FILTERS'],
    [
      { TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION', EXCLUSION_FILTERS: 'bad filter!' },
      'EXCLUSION_FILTERS',
    ],
    [{ EXEMPT_EXPIRY_TAG_KEY: 'until' }, 'EXEMPT_EXPIRY_TAG_KEY'],
    [{ TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION', EXCLUSION_FILTERS: 'latest,*' }, 'EXCLUSION_FILTERS'],
    [{ ALLOWED_EXCLUSIONS: '**' }, 'ALLOWED_EXCLUSIONS'],
    [{ POWERTOOLS_LOG_LEVEL: 'LOUD' }, 'POWERTOOLS_LOG_LEVEL'],
    [{ VERBOSE_AUDIT: 'sometimes' }, 'VERBOSE_AUDIT'],
    [{ SDK_CONNECT_TIMEOUT_MS: '0' }, 'SDK_CONNECT_TIMEOUT_MS'],
    [{ SDK_REQUEST_TIMEOUT_MS: '10s' }, 'SDK_REQUEST_TIMEOUT_MS'],
    [{ AWS_MAX_ATTEMPTS: 'many' }, 'AWS_MAX_ATTEMPTS'],
    [{ AWS_RETRY_MODE: 'eager' }, 'AWS_RETRY_MODE'],
    [{ EXEMPT_TAG_KEY: 'k'.repeat(129) }, 'EXEMPT_TAG_KEY'],
  ])('rejects %j naming %s', (env, variable) => {
    const error = (() => {
      try {
        loadConfig(env);
        return undefined;
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ variable });
    expect(String((error as Error).message)).toMatch(new RegExp(`^${variable}: `));
  });
});

describe('a filter that matches every tag', () => {
  it.each([
    [{ TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION', EXCLUSION_FILTERS: '*' }, 'EXCLUSION_FILTERS', '*'],
    [
      { TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION', EXCLUSION_FILTERS: 'latest,***' },
      'EXCLUSION_FILTERS',
      '***',
    ],
    [{ ALLOWED_EXCLUSIONS: 'dev-*,*' }, 'ALLOWED_EXCLUSIONS', '*'],
  ])('is refused in %j, naming %s and the value', (env, variable, value) => {
    expect(() => loadConfig(env)).toThrow(
      `${variable}: '${value}' matches every tag, so IMMUTABLE_WITH_EXCLUSION with it is MUTABLE`,
    );
  });

  it('is only a filter of wildcards: one literal character keeps some tag out', () => {
    expect(loadConfig({ ALLOWED_EXCLUSIONS: '*-*,a*' }).policy.allowedExclusions).toEqual(['*-*', 'a*']);
  });
});

describe('the settings every surface shares', () => {
  it.each(['true', 'TRUE', '1', 'yes', 'on', ' Yes '])(
    'reads %j as true in every boolean variable',
    (text) => {
      expect(
        loadConfig({ DRY_RUN: text, VERBOSE_AUDIT: text, CHECK_CREATION_TEMPLATES: text }),
      ).toMatchObject({
        dryRun: true,
        verboseAudit: true,
        checkCreationTemplates: true,
      });
    },
  );

  it.each(['false', '0', 'no', 'off', ''])('reads %j as false', (text) => {
    expect(loadConfig({ DRY_RUN: text }).dryRun).toBe(false);
  });

  it('names the spellings a boolean accepts', () => {
    expect(() => loadConfig({ DRY_RUN: 'maybe' })).toThrow(
      "DRY_RUN: must be true or false (or 1, yes, on, 0, no, off), got 'maybe'",
    );
  });

  it('bounds every SDK call by default: 3 s to connect, 10 s for a response, 60 s in all, adaptive retries', () => {
    expect(loadConfig({}).sdk).toEqual({
      connectTimeoutMs: 3000,
      requestTimeoutMs: 10_000,
      callTimeoutMs: 60_000,
      maxAttempts: undefined,
      retryMode: 'adaptive',
    });
    expect(
      loadConfig({
        SDK_CONNECT_TIMEOUT_MS: '500',
        SDK_REQUEST_TIMEOUT_MS: '2000',
        SDK_CALL_TIMEOUT_MS: '5000',
        AWS_MAX_ATTEMPTS: '3',
        AWS_RETRY_MODE: 'standard',
      }).sdk,
    ).toEqual({
      connectTimeoutMs: 500,
      requestTimeoutMs: 2000,
      callTimeoutMs: 5000,
      maxAttempts: 3,
      retryMode: 'standard',
    });
  });

  it('names a variable in a message about another one the way the user sets it', () => {
    expect(() => loadConfig({ EXCLUSION_FILTERS: 'latest' })).toThrow(
      'EXCLUSION_FILTERS: must be empty unless TARGET_MUTABILITY is IMMUTABLE_WITH_EXCLUSION',
    );
  });

  it('gives every setting a description and a default in the docs, and a unique variable and flag', () => {
    const rows = settingRows();
    for (const row of rows) {
      expect(row.description.length, row.key).toBeGreaterThan(10);
      expect(row.defaultText.length, row.key).toBeGreaterThan(0);
    }
    const envs = rows.flatMap((row) => row.env ?? []);
    const flags = rows.flatMap((row) => row.flag ?? []);
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(flags).size).toBe(flags.length);
  });

  it('builds the SDK client configuration every client shares', () => {
    const { sdk } = loadConfig({ SDK_CONNECT_TIMEOUT_MS: '700' });
    expect(awsClientConfig(sdk, { defaultMaxAttempts: 8, region: 'eu-west-1' })).toEqual({
      region: 'eu-west-1',
      maxAttempts: 8,
      retryMode: 'adaptive',
      requestHandler: { connectionTimeout: 700, requestTimeout: 10_000, throwOnRequestTimeout: true },
    });
    expect(awsClientConfig({ ...sdk, maxAttempts: 2 }, { defaultMaxAttempts: 8 }).maxAttempts).toBe(2);
  });

  it('leaves the allowed exclusions unset unless some are given', () => {
    expect(loadConfig({}).policy.allowedExclusions).toBeUndefined();
    expect(loadConfig({ ALLOWED_EXCLUSIONS: 'latest,dev-*' }).policy.allowedExclusions).toEqual([
      'latest',
      'dev-*',
    ]);
  });
});
