/**
 * The organisation sweep (docs/architecture.md, "Organisation deployment"): a JSONata state machine that lists
 * the scope into S3 (the scope function), sweeps each account-region as a STANDARD child execution of a
 * Distributed Map running the page loop of infra/sweep-workflow.ts, sums the children's results from the
 * ResultWriter's files (the scope function again) and fails at the end when any account-region failed.
 *
 * ListScope -> AnyAccountRegions -> SweepAccountRegions (Distributed Map) -> Summarize -> AnyAccountRegionFailed
 *   -> AccountRegionsFailed | OrgSweepSucceeded
 *
 * Items and results stay in S3, never in a state payload (256 KiB,
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Every child runs (100 % tolerated
 * failures) and the execution fails later, in AccountRegionsFailed, whose cause names the ResultWriter manifest
 * a `retryFailedFrom` execution re-runs only the failed account-regions from: a redrive would re-enter only
 * that Fail state (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html).
 */
import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DECISION_OUTCOMES, decisionCounts, emptyCounts } from '../lib/audit.ts';
import { nagResource, nagStatementResources, wildcardFinding } from './nag.ts';
import {
  grantScopeFunctionResults,
  PrefixedJsonItemReader,
  PrefixedResultWriter,
  RESULTS_PREFIX,
  SCOPE_ITEMS_PREFIX,
} from './results-bucket.ts';
import {
  DATA_LIMIT_MESSAGE,
  observeStateMachine,
  REPOSITORIES_FAILED_MESSAGE,
  SWEEP_PAGE_RETRY,
  sweepPageLoop,
  VENDED_LOGS_PREFIX,
} from './sweep-workflow.ts';

/** The Distributed Map's own errors (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). */
export const MAP_RUN_ERRORS = [
  'States.ItemReaderFailed',
  'States.ResultWriterFailed',
  'States.ExceedToleratedFailureThreshold',
] as const;

export const ORG_SWEEP_STATE_NAMES = {
  listScope: 'ListScope',
  listScopeFailed: 'ListScopeFailed',
  anyItems: 'AnyAccountRegions',
  nothingToSweep: 'NothingToSweep',
  sweepAccountRegions: 'SweepAccountRegions',
  mapRunFailed: 'MapRunFailed',
  summarize: 'Summarize',
  summarizeFailed: 'SummarizeFailed',
  anyFailed: 'AnyAccountRegionFailed',
  accountRegionsFailed: 'AccountRegionsFailed',
  succeeded: 'OrgSweepSucceeded',
} as const;

export interface OrgSweepWorkflowProps {
  /** The dist/scope bundle (functions/scope): lists the scope, and summarises results. */
  readonly scopeFunction: lambda.IFunction;
  /** The dist/sweep bundle: one page of one account-region per invoke (`{accountId, region, roleName, nextToken?}`). */
  readonly sweepFunction: lambda.IFunction;
  /** Scope items (ItemReader) and Distributed Map results (ResultWriter); created by the caller, same account and region. */
  readonly resultsBucket: s3.IBucket;
  /** The sweep function's timeout. */
  readonly sweepTimeout: Duration;
  /** Distributed Map MaxConcurrency (child executions at once). @default 10 */
  readonly maxConcurrency?: number;
  /** Upper bound of one organisation sweep, every account-region included. @default Duration.hours(24) */
  readonly executionTimeout?: Duration;
  /** Retention of the state machine's log group. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the state machine's log group when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** A child's counts, zero: the repository decisions of lib/audit.ts, which lib/org-results.ts sums. */
const ZERO_COUNTS = decisionCounts(emptyCounts());
const COUNT_KEYS = DECISION_OUTCOMES;

/** JSONata: `$counts` plus this page's counts, key by key (a missing key counts zero). */
const SUM_COUNTS = `{% {${COUNT_KEYS.map(
  (key) =>
    `'${key}': $lookup($counts, '${key}') + ($exists($lookup($states.result.Payload.counts, '${key}')) ? $lookup($states.result.Payload.counts, '${key}') : 0)`,
).join(', ')}} %}`;

/** JSONata: the child's outcome so far (lib/org-results.ts `ChildOutcome`). */
const OUTCOME =
  "{'accountId': $target.accountId, 'region': $target.region, 'counts': $counts, 'scanned': $scannedTotal, 'pages': $pages, 'forwarding': $forwarding}";

/** JSONata: the footprint check the first page answered (lib/forwarding.ts), kept through the later pages. */
const KEEP_FORWARDING =
  '{% $exists($states.result.Payload.forwarding) ? $states.result.Payload.forwarding : $forwarding %}';

/** JSONata: a Fail state's cause, the outcome so far with a message, as a JSON string. */
const failureCause = (message: string) => `{% $string($merge([${OUTCOME}, {'message': ${message}}])) %}`;

/** The task's error cause (a Lambda error's JSON), bounded: a Fail state's cause is at most 32,768 characters. */
const ERROR_CAUSE = "($exists($states.input.Cause) ? $substring($states.input.Cause, 0, 4096) : '')";

/** The organisation sweep state machine (ListScope -> SweepAccountRegions -> Summarize, above) and its log group. */
export class OrgSweepWorkflow extends Construct {
  /** The state machine: start it with `{}` or a backfill request (`dryRun`, `retryFailedFrom`, …). */
  readonly stateMachine: sfn.StateMachine;
  /** Its log group, under the vended-logs prefix. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OrgSweepWorkflowProps) {
    super(scope, id);
    const names = ORG_SWEEP_STATE_NAMES;
    const bucket = props.resultsBucket;
    const maxConcurrency = props.maxConcurrency ?? 10;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 10_000) {
      throw new Error(`maxConcurrency: must be an integer from 1 to 10000, got ${maxConcurrency}`);
    }
    const retryTransient = (task: tasks.LambdaInvoke) => task.addRetry(SWEEP_PAGE_RETRY);
    const failWithError = (stateId: string, comment: string) =>
      sfn.Fail.jsonata(this, stateId, {
        comment,
        error: `{% $exists($states.input.Error) ? $states.input.Error : '${stateId}' %}`,
        cause: "{% $exists($states.input.Cause) ? $states.input.Cause : 'no cause given' %}",
      });

    const listScope = tasks.LambdaInvoke.jsonata(this, names.listScope, {
      comment: 'Lists the account-regions into S3 and validates the execution input (a typo fails here).',
      lambdaFunction: props.scopeFunction,
      payload: sfn.TaskInput.fromObject({
        bucket: bucket.bucketName,
        key: `{% '${SCOPE_ITEMS_PREFIX}' & $states.context.Execution.Name & '.json' %}`,
        request: '{% $states.input %}',
      }),
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(16)),
      assign: { scope: '{% $states.result.Payload %}' },
    });
    retryTransient(listScope);
    listScope.addCatch(
      failWithError(
        names.listScopeFailed,
        'The scope could not be listed, or the execution input is invalid.',
      ),
      { errors: ['States.ALL'], outputs: '{% $states.errorOutput %}' },
    );

    const child = sweepPageLoop(this, {
      sweepFunction: props.sweepFunction,
      sweepTimeout: props.sweepTimeout,
      initComment:
        'One account-region: the first page gets the item; later pages get the target, the nextToken and the page size.',
      payload: '{% $states.input %}',
      base: "{% $merge([{'accountId': $states.input.accountId, 'region': $states.input.region, 'roleName': $states.input.roleName}, $exists($states.input.maxRepositories) ? {'maxRepositories': $states.input.maxRepositories} : {}]) %}",
      initAssign: {
        counts: ZERO_COUNTS,
        target: "{% {'accountId': $states.input.accountId, 'region': $states.input.region} %}",
        // Until the first page answers: a sweep function without a central bus checks nothing.
        forwarding: { status: 'unchecked' },
      },
      pageAssign: { counts: SUM_COUNTS, forwarding: KEEP_FORWARDING },
      causes: {
        invocationFailed: failureCause(`'the sweep function failed: ' & ${ERROR_CAUSE}`),
        dataLimitExceeded: failureCause(`${DATA_LIMIT_MESSAGE} & ${ERROR_CAUSE}`),
        repositoriesFailed: failureCause(REPOSITORIES_FAILED_MESSAGE),
      },
      succeededOutputs: `{% ${OUTCOME} %}`,
    });

    const map = sfn.DistributedMap.jsonata(this, names.sweepAccountRegions, {
      comment:
        'One STANDARD child execution per account-region; every child runs (100 % tolerated), the failure is decided at the end.',
      itemReader: new PrefixedJsonItemReader(bucket, '{% $scope.key %}', SCOPE_ITEMS_PREFIX),
      jsonataItemSelector: '{% $merge([$states.context.Map.Item.Value, $scope.request]) %}',
      maxConcurrency,
      toleratedFailurePercentage: 100,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultWriterV2: new PrefixedResultWriter(bucket, RESULTS_PREFIX),
      assign: { results: '{% $states.result.ResultWriterDetails %}' },
    });
    map.itemProcessor(child);
    const mapRunFailed = failWithError(
      names.mapRunFailed,
      'The Map Run itself failed (items unreadable, results unwritable): no sums.',
    );
    // Catchers are evaluated in order: the named errors before the catch-all.
    map.addCatch(mapRunFailed, { errors: [...MAP_RUN_ERRORS], outputs: '{% $states.errorOutput %}' });
    map.addCatch(mapRunFailed, { errors: ['States.ALL'], outputs: '{% $states.errorOutput %}' });

    const summarize = tasks.LambdaInvoke.jsonata(this, names.summarize, {
      comment: "Sums every child's counts from the ResultWriter's manifest and result files.",
      lambdaFunction: props.scopeFunction,
      payload: sfn.TaskInput.fromObject({
        summarize: { bucket: '{% $results.Bucket %}', key: '{% $results.Key %}' },
      }),
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(16)),
      assign: { summary: '{% $states.result.Payload %}' },
    });
    retryTransient(summarize);
    summarize.addCatch(failWithError(names.summarizeFailed, 'The results could not be read or summed.'), {
      errors: ['States.ALL'],
      outputs: '{% $states.errorOutput %}',
    });

    // The sums, the skipped accounts, and what a retry of an earlier run's failures left out (when it was one).
    const withRetry = (fields: string) =>
      `{% $merge([{${fields}}, $exists($scope.retry) ? {'retry': $scope.retry} : {}]) %}`;
    const sums = withRetry(
      "'accountRegions': $summary.accountRegions, 'failedAccountRegions': $summary.failedAccountRegions, 'unguardedAccountRegions': $summary.unguardedAccountRegions, 'counts': $summary.counts, 'scanned': $summary.scanned, 'unguarded': $summary.unguarded, 'skipped': $scope.skipped",
    );
    const succeeded = sfn.Succeed.jsonata(this, names.succeeded, { outputs: sums });
    const accountRegionsFailed = sfn.Fail.jsonata(this, names.accountRegionsFailed, {
      comment:
        'Every child ran, and some account-regions failed: the execution fails so the alarms fire. The cause names the manifest a retryFailedFrom execution re-runs only them from.',
      error: 'AccountRegionsFailed',
      cause: '{% $summary.cause %}',
    });
    const anyFailed = sfn.Choice.jsonata(this, names.anyFailed)
      .when(sfn.Condition.jsonata('{% $summary.failedAccountRegions > 0 %}'), accountRegionsFailed)
      .otherwise(succeeded);

    const nothingToSweep = sfn.Succeed.jsonata(this, names.nothingToSweep, {
      comment: 'The scope is empty: no Map Run, zero sums.',
      outputs: withRetry(
        `'accountRegions': 0, 'failedAccountRegions': 0, 'unguardedAccountRegions': 0, 'counts': ${JSON.stringify(ZERO_COUNTS).replaceAll('"', "'")}, 'scanned': 0, 'unguarded': [], 'skipped': $scope.skipped`,
      ),
    });
    const anyItems = sfn.Choice.jsonata(this, names.anyItems)
      .when(sfn.Condition.jsonata('{% $scope.count > 0 %}'), map.next(summarize).next(anyFailed))
      .otherwise(nothingToSweep);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `${VENDED_LOGS_PREFIX}${Names.uniqueResourceName(this, { maxLength: 200 })}`,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment:
        'ECR immutability organisation sweep: one Distributed Map child per account-region, summed, failed at the end when any failed.',
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(listScope.next(anyItems)),
      timeout: props.executionTimeout ?? Duration.hours(24),
    });
    observeStateMachine(this, this.stateMachine, this.logGroup);
    grantScopeFunctionResults(this, props.scopeFunction, bucket, this.stateMachine.role);
    this.acknowledgeFindings(props, bucket);
  }

  /**
   * The state machine role's default policy: the prefixes of the item reader and the result writer, the
   * functions' versions (`<arn>:*`, granted by CDK's Lambda integration) and the child executions of the
   * Distributed Map (granted by CDK): each acknowledged for its exact resource, so anything else is reported.
   */
  private acknowledgeFindings(props: OrgSweepWorkflowProps, bucket: s3.IBucket): void {
    const role = this.stateMachine.role;
    const acknowledge = (resource: string, reason: string) =>
      Validations.of(role).acknowledge({ id: wildcardFinding(resource), reason });
    acknowledge(
      nagResource(this, bucket.arnForObjects(`${SCOPE_ITEMS_PREFIX}*`)),
      "The Distributed Map's ItemReader reads the scope items, one object per execution named at run time, under the scope/ prefix only.",
    );
    acknowledge(
      nagResource(this, bucket.arnForObjects(`${RESULTS_PREFIX}*`)),
      "The Distributed Map's ResultWriter writes results/<map run id>/manifest.json and the result files, whose keys Step Functions chooses, under the results/ prefix only.",
    );
    // CDK's DistributedMap grant: StartExecution on this state machine, Describe/StopExecution on its
    // executions (`execution:<name>:*`) and RedriveExecution on the Map Run's children (`execution:<name>/*:*`).
    const mapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    if (!(mapPolicy instanceof iam.Policy))
      throw new Error('the organisation sweep has no DistributedMapPolicy');
    const executionResources = nagStatementResources(
      Stack.of(this).resolve(mapPolicy.document.toJSON()),
    ).filter((resource) => resource.includes(':execution:'));
    for (const resource of executionResources) {
      Validations.of(mapPolicy).acknowledge({
        id: wildcardFinding(resource),
        reason:
          "Granted by CDK for the Distributed Map: describe, stop and redrive this state machine's own child executions, whose names Step Functions chooses at run time.",
      });
    }
    for (const fn of [props.scopeFunction, props.sweepFunction]) {
      acknowledge(
        `${nagResource(this, fn.functionArn)}:*`,
        'Granted by CDK for the Lambda integration: lambda:InvokeFunction on this function and its versions and aliases (<arn>:*), no other function.',
      );
    }
  }
}
