/**
 * One function of the guard with its own log group and execution role (no managed policy), optional X-Ray
 * active tracing, and its ECR statements derived from lib/ecr.ts. Statements on `"*"` (registry-level ECR
 * actions, X-Ray) live in their own acknowledged policy (infra/nag.ts), so a `*` statement added later to
 * the role's default policy is still reported.
 */
import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EcrFeatures } from '../lib/iam-actions.ts';
import type { LAMBDA_LOG_LEVELS } from '../lib/settings.ts';
import { ecrPolicyStatements, REGISTRY_LEVEL_ECR_ACTIONS } from './ecr-permissions.ts';
import {
  acknowledgedPolicy,
  NAG_WILDCARD_RESOURCE,
  nagRepositoryArnPattern,
  wildcardFinding,
} from './nag.ts';

/** Log levels both Powertools and Lambda's advanced logging controls understand. */
export type GuardLogLevel = (typeof LAMBDA_LOG_LEVELS)[number];

/**
 * Function properties a user may override (AWS Solutions Constructs' `lambdaFunctionProps`): merged
 * over the defaults. The code, handler and runtime are the guard's own and cannot be replaced, nor can
 * the log group (the audit records; see `logRetention`); the environment is merged, and the
 * variables the guard derives from its props win.
 */
export type GuardFunctionProps = Partial<
  Omit<lambda.FunctionProps, 'code' | 'handler' | 'runtime' | 'logGroup'>
>;

/** Where each function's bundle lives under the bundle directory, and its handler. */
export const BUNDLES = { guardrail: 'guardrail', sweep: 'sweep', scope: 'scope' } as const;
export const HANDLER = 'index.handler';

/** X-Ray's write actions; the service defines no resource type for them, so IAM takes only `"*"`. */
export const XRAY_WRITE_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

/** The properties a user's function props may not set, with the reason shown in the error. */
const FIXED_FUNCTION_PROPS = ['code', 'handler', 'runtime', 'logGroup'] as const;

export interface GuardFunctionOptions {
  readonly code: lambda.Code;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly reservedConcurrency?: number | undefined;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  readonly logLevel: GuardLogLevel;
  readonly activeTracing: boolean;
  /** The user's overrides, merged last (except code, handler, runtime and the guard's variables). */
  readonly overrides?: GuardFunctionProps | undefined;
  /** The prop the overrides came from, for error messages (`guardrailFunctionProps`). */
  readonly overridesName: string;
}

export interface GuardFunction {
  readonly fn: lambda.Function;
  readonly role: iam.IRole;
  readonly logGroup: logs.ILogGroup;
}

/**
 * One function with its log group and role. `id` prefixes the construct IDs (`GuardrailLogs`,
 * `GuardrailRole`, `GuardrailFunction`).
 */
export function createGuardFunction(
  scope: Construct,
  id: string,
  options: GuardFunctionOptions,
): GuardFunction {
  const overrides: GuardFunctionProps = options.overrides ?? {};
  const given: Record<string, unknown> = { ...overrides };
  const fixed = FIXED_FUNCTION_PROPS.filter((name) => given[name] !== undefined);
  if (fixed.length > 0) {
    throw new Error(
      `EcrImmutabilityGuard: ${options.overridesName}: ${fixed.join(', ')} cannot be overridden (the guard deploys its own bundle and audit log group)`,
    );
  }
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: options.logRetention,
    removalPolicy: options.logRemovalPolicy,
  });
  // An explicit role: no AWSLambdaBasicExecutionRole, only its own log group.
  const role =
    overrides.role ??
    new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ECR immutability ${id.toLowerCase()} function`,
    });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OwnLogGroup',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  const fn = new lambda.Function(scope, `${id}Function`, {
    description: options.description,
    architecture: lambda.Architecture.ARM_64,
    timeout: options.timeout,
    memorySize: options.memorySize,
    reservedConcurrentExecutions: options.reservedConcurrency,
    // Powertools writes JSON itself; JSON format makes Lambda's own START/REPORT records JSON too
    // (one query language for everything) and lets Lambda drop lines below the level, so both
    // levels are set to the same value (Powertools honours AWS_LAMBDA_LOG_LEVEL first).
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel[options.logLevel],
    systemLogLevelV2: lambda.SystemLogLevel.INFO,
    ...overrides,
    environment: { ...overrides.environment, ...options.environment },
    logGroup,
    role,
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: HANDLER,
    code: options.code,
  });
  if (options.activeTracing) enableActiveTracing(scope, id, fn, role);
  return { fn, role, logGroup };
}

/**
 * X-Ray active tracing (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html): set on the
 * function, with the write actions in their own acknowledged policy rather than the role's default one.
 */
function enableActiveTracing(scope: Construct, id: string, fn: lambda.Function, role: iam.IRole): void {
  const cfn = fn.node.defaultChild;
  if (!(cfn instanceof lambda.CfnFunction)) throw new Error(`the ${id} function has no CfnFunction`);
  cfn.tracingConfig = { mode: lambda.Tracing.ACTIVE };
  acknowledgedPolicy(scope, `${id}TracingPolicy`, {
    role,
    statements: [
      new iam.PolicyStatement({ sid: 'XRayWrite', actions: [...XRAY_WRITE_ACTIONS], resources: ['*'] }),
    ],
    findings: [NAG_WILDCARD_RESOURCE],
    reason:
      'X-Ray PutTraceSegments and PutTelemetryRecords have no resource type in the IAM service authorization reference: IAM accepts only "*". This policy holds only them.',
    dependent: cfn,
  });
}

/**
 * The ECR statements of a function (lib/iam-actions.ts `requiredEcrActions`), each in its own policy with
 * its acknowledgement: repository-level actions on `repository/*`, and registry-level ones on `"*"`.
 * `repositoryRegion` replaces the stack's Region in the repository ARN: `'*'` for the organisation's
 * central functions, which sweep their own account in every Region of the scope with their own
 * credentials (lib/member-access.ts).
 */
export function grantEcrAccess(
  scope: Construct,
  id: string,
  target: GuardFunction,
  features: EcrFeatures,
  repositoryRegion?: string,
): void {
  const stack = Stack.of(scope);
  for (const given of ecrPolicyStatements(stack, features)) {
    const registryLevel = given.actions.every((action) => REGISTRY_LEVEL_ECR_ACTIONS.has(action));
    const statement =
      registryLevel || repositoryRegion === undefined
        ? given
        : new iam.PolicyStatement({
            sid: given.sid,
            actions: given.actions,
            resources: [
              stack.formatArn({
                service: 'ecr',
                region: repositoryRegion,
                resource: 'repository',
                resourceName: '*',
                arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
              }),
            ],
          });
    acknowledgedPolicy(scope, registryLevel ? `${id}EcrRegistryPolicy` : `${id}EcrRepositoriesPolicy`, {
      role: target.role,
      statements: [statement],
      findings: registryLevel
        ? [NAG_WILDCARD_RESOURCE]
        : [wildcardFinding(nagRepositoryArnPattern(repositoryRegion))],
      reason: registryLevel
        ? 'ecr:DescribeRepositoryCreationTemplates and ecr:UpdateRepositoryCreationTemplate have no resource type in the IAM service authorization reference, so they can only be granted on *; only the sweep gets them, only with checkCreationTemplates.'
        : 'ECR access is on repository/* of this account only (and of this Region unless the organisation construct sweeps the account in every Region of its scope): the guardrail and the sweep must reach every repository, including ones created after deployment. The actions are exactly requiredEcrActions() from lib/iam-actions.ts.',
      dependent: target.fn.node.defaultChild,
    });
  }
}

/** Default timeouts and sizes of the guardrail and the sweep. */
export const FUNCTION_DEFAULTS = {
  guardrailTimeout: Duration.seconds(30),
  guardrailMemorySize: 256,
  sweepTimeout: Duration.minutes(15),
  sweepMemorySize: 512,
} as const;
