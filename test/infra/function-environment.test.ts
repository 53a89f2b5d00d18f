/**
 * The functions' environment comes from the settings table: each row's variable goes to the functions the row
 * names (`functions`), when the row says (`envWhen`), with the validated value; infra/ spells no variable name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import type { EcrImmutabilityGuardProps } from '../../infra/ecr-immutability-guard.ts';
import { EcrImmutabilityGuardOrg } from '../../infra/org-guard.ts';
import { type GuardFunctionName, settingRows } from '../../lib/settings.ts';
import { projectRoot } from '../helpers/fixtures.ts';
import { cdkJsonContext, environmentOf, synthesize } from './helpers.ts';

/** The variables of the rows naming `fn`, sorted, with Node's options. */
function variablesOf(fn: GuardFunctionName, skip: (key: string) => boolean = () => false): string[] {
  return [
    'NODE_OPTIONS',
    ...settingRows().flatMap((row) =>
      row.env !== undefined && (row.functions ?? []).includes(fn) && !skip(row.key) ? [row.env] : [],
    ),
  ].sort();
}

/** Every setting the construct takes, given: each variable then has a value to carry. */
const EVERYTHING: EcrImmutabilityGuardProps = {
  targetMutability: 'IMMUTABLE_WITH_EXCLUSION',
  exclusionFilters: ['latest'],
  allowedExclusions: ['pr-*'],
  dryRun: true,
  exemptRepositories: ['sandbox/**'],
  exemptTagKey: 'ecr-guard:exempt',
  exemptExpiryTagKey: 'ecr-guard:until',
  auditEventBus: undefined,
  syncSecurityHub: true,
  securityHubRegion: 'eu-central-1',
  verboseAudit: true,
  checkCreationTemplates: true,
  sweepConcurrency: 8,
  sweepSafetyMargin: Duration.seconds(45),
  serviceName: 'guard',
  metricsNamespace: 'Guard',
  logLevel: 'DEBUG',
  logRetention: logs.RetentionDays.ONE_MONTH,
  organization: true,
  memberRoleName: 'GuardMember',
  memberExternalId: 'ext-123',
  organizationalUnits: ['ou-ab12-cdef3456'],
  scopeAccounts: ['111111111111'],
  excludedAccounts: ['222222222222'],
  includeManagementAccount: true,
  scopeRegions: ['eu-west-1'],
  accountRegionParallelism: 8,
};

describe('the functions’ environment, from the settings table', () => {
  it('gives each function the variable of every row that names it, and no other', () => {
    const { template } = synthesize((stack) => ({
      ...EVERYTHING,
      auditEventBus: events.EventBus.fromEventBusName(stack, 'Audit', 'audit'),
    }));
    // The central bus is the organisation construct's own.
    const notHere = (key: string) => key === 'centralEventBusArn';
    expect(Object.keys(environmentOf(template, 'GuardGuardrailFunction')).sort()).toEqual(
      variablesOf('guardrail', notHere),
    );
    expect(Object.keys(environmentOf(template, 'GuardSweepFunction')).sort()).toEqual(
      variablesOf('sweep', notHere),
    );
  });

  it('gives the organisation’s three functions theirs, the central bus to the sweep alone', () => {
    const app = new App({ context: cdkJsonContext() });
    const stack = new Stack(app, 'Central');
    const code = lambda.Code.fromInline('export const handler = async () => ({});');
    const { organization, ...shared } = EVERYTHING;
    new EcrImmutabilityGuardOrg(stack, 'Guard', {
      ...shared,
      auditEventBus: events.EventBus.fromEventBusName(stack, 'Audit', 'audit'),
      code: { guardrail: code, sweep: code, scope: code },
      organizationId: 'o-abcdef1234',
      stackSet: false,
    });
    const template = Template.fromStack(stack);
    for (const [prefix, fn] of [
      ['GuardGuardrailFunction', 'guardrail'],
      ['GuardSweepFunction', 'sweep'],
      ['GuardScopeFunction', 'scope'],
    ] as const) {
      expect(Object.keys(environmentOf(template, prefix)).sort(), fn).toEqual(variablesOf(fn));
    }
  });

  it('sets a row of `envWhen: given` only when its prop is given, and one of `members` only when members are reached', () => {
    const { template } = synthesize({});
    const sweep = environmentOf(template, 'GuardSweepFunction');
    for (const row of settingRows()) {
      if (row.env === undefined || !(row.functions ?? []).includes('sweep')) continue;
      const when = row.envWhen ?? 'always';
      if (when === 'always') continue;
      expect(sweep, row.env).not.toHaveProperty(row.env);
    }
    const accounts = environmentOf(synthesize({ scopeAccounts: ['111111111111'] }).template, 'GuardSweep');
    expect(accounts).toMatchObject({
      ORGANIZATION_MODE: 'false',
      SCOPE_ACCOUNTS: '111111111111',
      MEMBER_ROLE_NAME: 'EcrImmutabilityGuardMember',
      ACCOUNT_REGION_PARALLELISM: '4',
    });
  });

  it('renders the validated values as the functions read them: lists comma-separated, defaults applied', () => {
    const { template } = synthesize({
      exemptRepositories: ['a/*', 'b/*'],
      sweepSafetyMargin: Duration.seconds(45),
    });
    expect(environmentOf(template, 'GuardSweepFunction')).toMatchObject({
      TARGET_MUTABILITY: 'IMMUTABLE',
      EXEMPT_REPOSITORIES: 'a/*,b/*',
      DRY_RUN: 'false',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      SWEEP_SAFETY_MARGIN_MS: '45000',
    });
  });

  it('spells no variable name in infra/: each comes from its row', () => {
    const names = new Set(settingRows().flatMap((row) => (row.env === undefined ? [] : [row.env])));
    const spelled = readdirSync(path.join(projectRoot, 'infra'))
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => {
        // The code, without its comments (which may name a variable).
        const source = readFileSync(path.join(projectRoot, 'infra', file), 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/^\s*\/\/.*$/gm, '');
        return [...source.matchAll(/['"`]([A-Z][A-Z0-9_]+)['"`]/g)]
          .map((match) => match[1])
          .filter((literal): literal is string => literal !== undefined && names.has(literal))
          .map((literal) => `${file}: ${literal}`);
      });
    expect(spelled).toEqual([]);
  });
});
