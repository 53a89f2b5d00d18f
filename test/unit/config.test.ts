import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

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
    [{ POWERTOOLS_LOG_LEVEL: 'LOUD' }, 'POWERTOOLS_LOG_LEVEL'],
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
