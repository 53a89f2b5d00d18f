/**
 * The guard's functions as both constructs deploy them, under the same construct IDs: the guardrail (with
 * its retries and dead-letter queue), the sweep, the organisation's scope function, and what the guardrail
 * and the sweep are granted (ECR, and the audit sinks of infra/audit-sinks.ts).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { AuditSink } from './audit-sinks.ts';
import { createGuardFunction, FUNCTION_DEFAULTS, type GuardFunction, grantEcrAccess } from './functions.ts';
import type { EcrImmutabilityGuardBaseProps } from './guard-props.ts';
import type { GuardSettings } from './guard-settings.ts';

/**
 * The bundles `npm run build` writes to `dist/`: beside `infra/` in this repository, and one level
 * up from the library (`dist/lib-js/index.js`, built by `npm run build:lib`) in the npm package.
 */
export const DEFAULT_BUNDLE_DIR = import.meta.filename.endsWith('.ts')
  ? resolve(import.meta.dirname, '..', 'dist')
  : resolve(import.meta.dirname, '..');

/** The Lambda code of one bundle of `bundleDir`. @throws Error when `npm run build` has not made it. */
export function bundleCode(bundleDir: string | undefined, name: string): lambda.Code {
  const dir = join(bundleDir ?? DEFAULT_BUNDLE_DIR, name);
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new Error(`Lambda bundle ${join(dir, 'index.mjs')} not found: run \`npm run build\` first`);
  }
  return lambda.Code.fromAsset(dir);
}

/** The function options every function of a deployment shares. */
function shared(settings: GuardSettings) {
  return {
    logRetention: settings.logRetention,
    logRemovalPolicy: settings.logRemovalPolicy,
    logLevel: settings.logLevel,
    activeTracing: settings.activeTracing,
  };
}

/** The guardrail function, with 2 async retries, a 1-hour event age and the dead-letter queue. */
export function createGuardrailFunction(
  scope: Construct,
  props: EcrImmutabilityGuardBaseProps,
  settings: GuardSettings,
  code: lambda.Code,
  deadLetterQueue: sqs.IQueue,
): GuardFunction {
  const guardrail = createGuardFunction(scope, 'Guardrail', {
    code,
    description: 'Sets ECR repositories to immutable tags when CloudTrail reports a creation or a change.',
    timeout: props.guardrailTimeout ?? FUNCTION_DEFAULTS.guardrailTimeout,
    memorySize: props.guardrailMemorySize ?? FUNCTION_DEFAULTS.guardrailMemorySize,
    reservedConcurrency:
      props.guardrailReservedConcurrency === false ? undefined : props.guardrailReservedConcurrency,
    environment: settings.environment('guardrail'),
    ...shared(settings),
    overrides: props.guardrailFunctionProps,
    overridesName: 'guardrailFunctionProps',
  });
  guardrail.fn.configureAsyncInvoke({
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    onFailure: new destinations.SqsDestination(deadLetterQueue),
  });
  return guardrail;
}

/** The sweep function: one page of one account-region per invocation. */
export function createSweepFunction(
  scope: Construct,
  props: EcrImmutabilityGuardBaseProps,
  settings: GuardSettings,
  code: lambda.Code,
): GuardFunction {
  return createGuardFunction(scope, 'Sweep', {
    code,
    description: 'Sweeps every ECR repository page by page and sets non-compliant ones to immutable tags.',
    timeout: settings.sweepTimeout,
    memorySize: props.sweepMemorySize ?? FUNCTION_DEFAULTS.sweepMemorySize,
    environment: settings.environment('sweep'),
    ...shared(settings),
    overrides: props.sweepFunctionProps,
    overridesName: 'sweepFunctionProps',
  });
}

/** The organisation's scope function: lists the account-regions of a sweep, and sums their results. */
export function createScopeFunction(
  scope: Construct,
  settings: GuardSettings,
  code: lambda.Code,
  timeout: Duration | undefined,
): GuardFunction {
  return createGuardFunction(scope, 'Scope', {
    code,
    description: 'Lists the account-regions of the organisation the ECR immutability sweep covers.',
    timeout: timeout ?? Duration.minutes(5),
    memorySize: 256,
    environment: settings.environment('scope'),
    ...shared(settings),
    overridesName: 'scopeFunctionProps',
  });
}

/**
 * The ECR statements of the guardrail and the sweep (lib/ecr.ts; on repositories of `repositoryRegion`, the
 * stack's by default), and what each audit sink that is on needs.
 */
export function grantGuardAccess(
  scope: Construct,
  settings: GuardSettings,
  functions: { readonly guardrail: GuardFunction; readonly sweep: GuardFunction },
  sinks: readonly AuditSink[],
  repositoryRegion?: string,
): void {
  grantEcrAccess(scope, 'Guardrail', functions.guardrail, settings.guardrailFeatures, repositoryRegion);
  grantEcrAccess(scope, 'Sweep', functions.sweep, settings.sweepFeatures, repositoryRegion);
  for (const sink of sinks) {
    for (const fn of [functions.guardrail, functions.sweep]) sink.grant(fn);
  }
}
