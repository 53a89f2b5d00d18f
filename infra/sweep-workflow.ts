/**
 * The single-account sweep: a Step Functions state machine (JSONata) that invokes the sweep function page by
 * page until it returns no `nextToken` and fails when any repository could not be handled; its page loop
 * ({@link sweepPageLoop}) is also every child of the organisation sweep (infra/org-sweep-workflow.ts), so one
 * account-region is swept the same way in both.
 */
import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { XRAY_WRITE_ACTIONS } from './functions.ts';
import { acknowledgedPolicy, NAG_WILDCARD_RESOURCE } from './nag.ts';

/** Lambda errors that mean "the invoke did not happen or was throttled", never a sweep failure. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * Errors after which the same page is invoked again: the transient ones, and the invoke's own client
 * timeout (the call to Lambda timed out, the page may or may not have run). A page is idempotent: its
 * payload carries the cursor, and a repository already set is compliant the second time.
 */
export const SWEEP_PAGE_RETRY_ERRORS = [
  ...LAMBDA_TRANSIENT_ERRORS,
  'Lambda.ClientExecutionTimeoutException',
] as const;

/** The retry of a page (and of the organisation sweep's own Lambda tasks): 6 attempts, full jitter, at most 60 s apart. */
export const SWEEP_PAGE_RETRY: sfn.RetryProps = {
  errors: [...SWEEP_PAGE_RETRY_ERRORS],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  maxDelay: Duration.seconds(60),
  jitterStrategy: sfn.JitterType.FULL,
};

/** Step Functions' error when a state's result or input exceeds its 256 KiB payload quota. */
export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

/**
 * CloudWatch Logs prefix AWS recommends for vended logs: Step Functions then needs no entry in the
 * account's CloudWatch Logs resource policy, which is capped at 5,120 characters.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 */
export const VENDED_LOGS_PREFIX = '/aws/vendedlogs/states/';

/** The actions Step Functions needs to deliver its logs; CloudWatch Logs accepts only `"*"` for them. */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
] as const;

export const SWEEP_STATE_NAMES = {
  init: 'Init',
  sweepPage: 'SweepPage',
  morePages: 'MorePages',
  anyFailed: 'AnyRepositoryFailed',
  repositoriesFailed: 'RepositoriesFailed',
  invocationFailed: 'SweepInvocationFailed',
  dataLimitExceeded: 'PageResultTooLarge',
  succeeded: 'SweepSucceeded',
} as const;

export interface SweepWorkflowProps {
  /** The dist/sweep bundle: one page per invoke. */
  readonly sweepFunction: lambda.IFunction;
  /** The sweep function's own timeout: a page's task times out shortly after it. */
  readonly sweepTimeout: Duration;
  /** Upper bound of one sweep, every page included. @default Duration.hours(6) */
  readonly executionTimeout?: Duration;
  /** Retention of the state machine's log group. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the state machine's log group when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Name of the log group, under {@link VENDED_LOGS_PREFIX}. @default derived from the construct path */
  readonly logGroupName?: string;
}

/** The message of a page over the payload quota, as a JSONata string expression (it reads `$pages`). */
export const DATA_LIMIT_MESSAGE =
  "'a sweep page result exceeded the Step Functions payload quota (256 KiB) after ' & $string($pages) & ' page(s): lower maxRepositories or report this; '";

/** The message of a loop that ended with failed repositories, as a JSONata string expression. */
export const REPOSITORIES_FAILED_MESSAGE =
  "$string($failedTotal) & ' of ' & $string($scannedTotal) & ' scanned repositories failed over ' & $string($pages) & ' page(s); see the audit records with outcome failed'";

/**
 * The page loop of one account-region, shared by the single-account {@link SweepWorkflow} and every child
 * of the organisation sweep's Distributed Map (infra/org-sweep-workflow.ts): what differs is only what
 * the first page receives, what later pages carry besides the `nextToken`, the variables summed besides
 * the failed and scanned totals, the failure causes and the success output.
 */
export interface SweepPageLoopOptions {
  readonly sweepFunction: lambda.IFunction;
  readonly sweepTimeout: Duration;
  readonly initComment: string;
  /** JSONata: the first page's payload. */
  readonly payload: string;
  /** JSONata: the object every later page carries besides `nextToken`. */
  readonly base: string;
  /** More variables set by Init (after `payload`, `base` and the totals). */
  readonly initAssign?: Record<string, unknown>;
  /** More variables every page sets (after the totals, `more` and `payload`), from `$states.result.Payload`. */
  readonly pageAssign?: Record<string, string>;
  /** JSONata of each Fail state's cause (the invocation failure's input is the task's error output). */
  readonly causes: {
    readonly invocationFailed: string;
    readonly dataLimitExceeded: string;
    readonly repositoriesFailed: string;
  };
  readonly succeededOutputs: Record<string, string> | string;
}

/**
 * Builds Init -> SweepPage (retried on transient Lambda errors) -> MorePages (loop on `nextToken`) ->
 * AnyRepositoryFailed -> RepositoriesFailed | SweepSucceeded, with SweepPage caught into
 * PageResultTooLarge and SweepInvocationFailed; the states are created in `scope`.
 */
export function sweepPageLoop(scope: Construct, options: SweepPageLoopOptions): sfn.IChainable {
  const init = sfn.Pass.jsonata(scope, SWEEP_STATE_NAMES.init, {
    comment: options.initComment,
    assign: {
      payload: options.payload,
      base: options.base,
      failedTotal: 0,
      scannedTotal: 0,
      pages: 0,
      ...options.initAssign,
    },
  });

  const sweepPage = tasks.LambdaInvoke.jsonata(scope, SWEEP_STATE_NAMES.sweepPage, {
    comment: 'One page of the sweep; the function stops before its deadline and returns a nextToken.',
    lambdaFunction: options.sweepFunction,
    payload: sfn.TaskInput.fromText('{% $payload %}'),
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(options.sweepTimeout.plus(Duration.minutes(1))),
    assign: {
      // A result without counts.failed breaks the contract: fail loudly rather than count zero.
      // Creation templates that could not be fixed (templates.failed, present only when checked) fail the execution too.
      failedTotal:
        "{% $failedTotal + ($exists($states.result.Payload.counts.failed) ? $states.result.Payload.counts.failed : $error('sweep result has no counts.failed')) + ($exists($states.result.Payload.templates.failed) ? $states.result.Payload.templates.failed : 0) %}",
      scannedTotal:
        '{% $scannedTotal + ($exists($states.result.Payload.scanned) ? $states.result.Payload.scanned : 0) %}',
      pages: '{% $pages + 1 %}',
      more: '{% $exists($states.result.Payload.nextToken) %}',
      payload:
        "{% $exists($states.result.Payload.nextToken) ? $merge([$base, {'nextToken': $states.result.Payload.nextToken}]) : {} %}",
      ...options.pageAssign,
    },
    outputs: '{% $states.result.Payload %}',
  });
  sweepPage.addRetry(SWEEP_PAGE_RETRY);

  const invocationFailed = sfn.Fail.jsonata(scope, SWEEP_STATE_NAMES.invocationFailed, {
    comment: 'The sweep function itself failed (bad input, crash, timeout): fail the execution visibly.',
    error: "{% $exists($states.input.Error) ? $states.input.Error : 'SweepInvocationFailed' %}",
    cause: options.causes.invocationFailed,
  });
  const dataLimitExceeded = sfn.Fail.jsonata(scope, SWEEP_STATE_NAMES.dataLimitExceeded, {
    comment: 'A page result or state payload went over the 256 KiB Step Functions quota.',
    error: DATA_LIMIT_EXCEEDED,
    cause: options.causes.dataLimitExceeded,
  });
  // Catchers are evaluated in order: the named error before the catch-all.
  sweepPage.addCatch(dataLimitExceeded, {
    errors: [DATA_LIMIT_EXCEEDED],
    outputs: '{% $states.errorOutput %}',
  });
  sweepPage.addCatch(invocationFailed, { errors: ['States.ALL'], outputs: '{% $states.errorOutput %}' });

  const repositoriesFailed = sfn.Fail.jsonata(scope, SWEEP_STATE_NAMES.repositoriesFailed, {
    comment: 'Every page ran, but some repositories ended as failed: see the audit records.',
    error: 'RepositoriesFailed',
    cause: options.causes.repositoriesFailed,
  });

  const succeeded = sfn.Succeed.jsonata(scope, SWEEP_STATE_NAMES.succeeded, {
    outputs: options.succeededOutputs,
  });

  const anyFailed = sfn.Choice.jsonata(scope, SWEEP_STATE_NAMES.anyFailed)
    .when(sfn.Condition.jsonata('{% $failedTotal > 0 %}'), repositoriesFailed)
    .otherwise(succeeded);

  const morePages = sfn.Choice.jsonata(scope, SWEEP_STATE_NAMES.morePages, {
    comment: 'Loop while the sweep returns a nextToken.',
  })
    .when(sfn.Condition.jsonata('{% $more %}'), sweepPage)
    .otherwise(anyFailed);

  return init.next(sweepPage).next(morePages);
}

/**
 * The single-account sweep state machine and its log group. It sums the failed repositories across pages and
 * ends in a Fail state when any could not be handled, so the execution (and its alarm) shows it.
 *
 * Input: the scheduled EventBridge event, or a backfill request
 * `{ "dryRun"?: boolean, "repositoryNames"?: string[], "maxRepositories"?: number, "nextToken"?: string }`.
 * The first page receives the input unchanged, so the function's zod schema rejects typos (a
 * mistyped `dryrun` fails the execution instead of silently running for real). Later pages receive
 * `{ nextToken }` (plus `maxRepositories`, the page size, when given): the token already carries the
 * remaining names, `dryRun` and the trigger (lib/sweep.ts), and the function refuses names with it.
 */
export class SweepWorkflow extends Construct {
  /** The state machine: the schedule starts it; start it with a backfill request yourself. */
  readonly stateMachine: sfn.StateMachine;
  /** Its log group, under the vended-logs prefix. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SweepWorkflowProps) {
    super(scope, id);

    const loop = sweepPageLoop(this, {
      sweepFunction: props.sweepFunction,
      sweepTimeout: props.sweepTimeout,
      initComment:
        'The first page gets the input as it came; later pages get the nextToken and the page size.',
      payload: '{% $states.input %}',
      base: "{% $exists($states.input.maxRepositories) ? {'maxRepositories': $states.input.maxRepositories} : {} %}",
      causes: {
        invocationFailed:
          "{% $exists($states.input.Cause) ? $states.input.Cause : 'the sweep function failed' %}",
        dataLimitExceeded: `{% ${DATA_LIMIT_MESSAGE} & ($exists($states.input.Cause) ? $states.input.Cause : '') %}`,
        repositoriesFailed: `{% ${REPOSITORIES_FAILED_MESSAGE} %}`,
      },
      succeededOutputs: {
        scanned: '{% $scannedTotal %}',
        failed: '{% $failedTotal %}',
        pages: '{% $pages %}',
      },
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName:
        props.logGroupName ?? `${VENDED_LOGS_PREFIX}${Names.uniqueResourceName(this, { maxLength: 200 })}`,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'ECR immutability sweep: pages through every repository until no nextToken is returned.',
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(loop),
      timeout: props.executionTimeout ?? Duration.hours(6),
    });
    observeStateMachine(this, this.stateMachine, this.logGroup);
  }
}

/**
 * Logging (ALL, with execution data, to `logGroup`) and X-Ray tracing of a state machine, set on the L1
 * resource with their "*" actions in one acknowledged policy (created in `scope`), so that cdk-nag's
 * acknowledgement covers exactly these statements and not the role's default policy (where a "*"
 * statement added later is reported). Shared by the single-account and the organisation sweep.
 */
export function observeStateMachine(
  scope: Construct,
  stateMachine: sfn.StateMachine,
  logGroup: logs.ILogGroup,
): void {
  const cfn = stateMachine.node.defaultChild;
  if (!(cfn instanceof sfn.CfnStateMachine)) throw new Error('the state machine has no CfnStateMachine');
  cfn.tracingConfiguration = { enabled: true };
  cfn.loggingConfiguration = {
    destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: logGroup.logGroupArn } }],
    includeExecutionData: true,
    level: sfn.LogLevel.ALL,
  };
  acknowledgedPolicy(scope, 'ObservabilityPolicy', {
    role: stateMachine.role,
    statements: [
      new iam.PolicyStatement({ sid: 'LogDelivery', actions: [...LOG_DELIVERY_ACTIONS], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'XRay',
        actions: [...XRAY_WRITE_ACTIONS, 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
        resources: ['*'],
      }),
    ],
    findings: [NAG_WILDCARD_RESOURCE],
    reason:
      'CloudWatch Logs delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) do not support resource-level permissions: IAM accepts only "*". This policy holds only them.',
    dependent: cfn,
  });
}
