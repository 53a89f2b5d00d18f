/**
 * The organisation sweep state machine as synthesized: the Distributed Map's ItemReader, ItemSelector,
 * processor (STANDARD children running the same page loop as the single-account sweep), MaxConcurrency,
 * tolerated failures, ResultWriter and failure handling; the IAM of the state machine and of the scope
 * function on the results bucket (exact prefixes); and cdk-nag with every acknowledgement on an exact finding.
 */
import { Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { MAP_RUN_ERRORS, ORG_SWEEP_STATE_NAMES } from '../../infra/org-sweep-workflow.ts';
import { RESULT_WRITER_ACTIONS } from '../../infra/results-bucket.ts';
import { SWEEP_PAGE_RETRY_ERRORS, SWEEP_STATE_NAMES } from '../../infra/sweep-workflow.ts';
import {
  type Definition,
  findResource,
  resources,
  type State,
  sweepDefinitionOf,
  synthesize,
} from './helpers.ts';
import { acknowledgements, nagFindings } from './nag-helpers.ts';
import { orgSweepDefinitionOf, synthesizeOrgSweep } from './org-sweep-workflow.fixture.ts';

const names = ORG_SWEEP_STATE_NAMES;

/** Renders a resource as a test reads it; intrinsics the shared helper does not know are kept as JSON. */
function renderResource(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  if ('Fn::Join' in value && Array.isArray(value['Fn::Join'])) {
    const [separator, parts]: unknown[] = value['Fn::Join'];
    if (typeof separator === 'string' && Array.isArray(parts))
      return parts.map(renderResource).join(separator);
  }
  if ('Ref' in value && typeof value.Ref === 'string') return `<${value.Ref}>`;
  if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt']))
    return `<${value['Fn::GetAtt'].join('.')}>`;
  return JSON.stringify(value);
}

/** The `action on resource` pairs every policy attached to the role allows, sorted. */
function allowed(template: Template, roleId: string): string[] {
  const list = (value: unknown): unknown[] =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];
  return Object.values(resources(template))
    .filter(
      (resource) =>
        resource.Type === 'AWS::IAM::Policy' &&
        list(resource.Properties?.Roles).some(
          (role) => typeof role === 'object' && role !== null && 'Ref' in role && role.Ref === roleId,
        ),
    )
    .flatMap((resource) => {
      const document = resource.Properties?.PolicyDocument;
      if (typeof document !== 'object' || document === null || !('Statement' in document)) return [];
      return list(document.Statement).flatMap((statement) => {
        if (typeof statement !== 'object' || statement === null) return [];
        if (!('Effect' in statement) || statement.Effect !== 'Allow') return [];
        const actions = list('Action' in statement ? statement.Action : undefined).map(String);
        const targets = list('Resource' in statement ? statement.Resource : undefined).map(renderResource);
        return actions.flatMap((action) => targets.map((target) => `${action} on ${target}`));
      });
    })
    .sort();
}

/** A state with the Distributed Map fields. */
type MapState = State & {
  ItemReader?: unknown;
  ItemSelector?: unknown;
  ItemProcessor?: unknown;
  MaxConcurrency?: number;
  ToleratedFailurePercentage?: number;
  ResultWriter?: unknown;
};

function state(definition: Definition, name: string): MapState {
  const found = definition.States[name];
  if (found === undefined) throw new Error(`no state ${name}`);
  return found;
}

function processorOf(map: MapState): Definition & { ProcessorConfig: unknown } {
  const processor = map.ItemProcessor;
  if (typeof processor !== 'object' || processor === null) throw new Error('the map has no ItemProcessor');
  return JSON.parse(JSON.stringify(processor));
}

describe('the organisation sweep state machine', () => {
  const synthesized = synthesizeOrgSweep();
  const { template } = synthesized;
  const definition = orgSweepDefinitionOf(template);
  const [scopeId] = findResource(template, 'AWS::Lambda::Function', 'ScopeFunction');
  const [sweepId] = findResource(template, 'AWS::Lambda::Function', 'SweepFunction');
  const [bucketId] = findResource(template, 'AWS::S3::Bucket', 'Results');
  const map = state(definition, names.sweepAccountRegions);

  it('uses JSONata, lists the scope first and times out after 24 hours', () => {
    expect(definition).toMatchObject({
      QueryLanguage: 'JSONata',
      StartAt: names.listScope,
      TimeoutSeconds: 86_400,
    });
    expect(state(definition, names.listScope)).toMatchObject({
      Type: 'Task',
      Arguments: {
        FunctionName: `<${scopeId}.Arn>`,
        Payload: {
          bucket: `<${bucketId}>`,
          key: "{% 'scope/' & $states.context.Execution.Name & '.json' %}",
          request: '{% $states.input %}',
        },
      },
      Assign: { scope: '{% $states.result.Payload %}' },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: names.listScopeFailed }],
    });
    expect(state(definition, names.anyItems)).toMatchObject({
      Choices: [{ Condition: '{% $scope.count > 0 %}', Next: names.sweepAccountRegions }],
      Default: names.nothingToSweep,
    });
  });

  it('fans out with a Distributed Map of STANDARD children reading the items from S3', () => {
    expect(map).toMatchObject({
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:<AWS::Partition>:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Arguments: { Bucket: `<${bucketId}>`, Key: '{% $scope.key %}' },
      },
      ItemSelector: '{% $merge([$states.context.Map.Item.Value, $scope.request]) %}',
      MaxConcurrency: 10,
      ToleratedFailurePercentage: 100,
      ResultWriter: {
        Resource: 'arn:<AWS::Partition>:states:::s3:putObject',
        Arguments: { Bucket: `<${bucketId}>`, Prefix: 'results/' },
      },
      Assign: { results: '{% $states.result.ResultWriterDetails %}' },
      Next: names.summarize,
    });
    expect(processorOf(map).ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
  });

  it('takes MaxConcurrency from the prop, and refuses a value Step Functions would not', () => {
    const definitionWith = orgSweepDefinitionOf(synthesizeOrgSweep({ maxConcurrency: 40 }).template);
    expect(state(definitionWith, names.sweepAccountRegions).MaxConcurrency).toBe(40);
    expect(() => synthesizeOrgSweep({ maxConcurrency: 0 })).toThrow(
      'maxConcurrency: must be an integer from 1 to 10000, got 0',
    );
  });

  it('runs in each child the same page loop as the single-account sweep, with the target on every page', () => {
    const child = processorOf(map);
    const single = sweepDefinitionOf(synthesize().template);
    expect(child.StartAt).toBe(SWEEP_STATE_NAMES.init);
    expect(Object.keys(child.States).sort()).toEqual(Object.keys(single.States).sort());
    const page = state(child, SWEEP_STATE_NAMES.sweepPage);
    const singlePage = state(single, SWEEP_STATE_NAMES.sweepPage);
    expect(page.Arguments).toEqual({ FunctionName: `<${sweepId}.Arn>`, Payload: '{% $payload %}' });
    expect(page.Retry).toEqual(singlePage.Retry);
    expect(page.Retry?.[0]?.ErrorEquals).toEqual([...SWEEP_PAGE_RETRY_ERRORS]);
    expect(page.Catch).toEqual(singlePage.Catch);
    for (const variable of ['failedTotal', 'scannedTotal', 'pages', 'more', 'payload']) {
      expect(page.Assign?.[variable]).toBe(singlePage.Assign?.[variable]);
    }
    expect(state(child, SWEEP_STATE_NAMES.init).Assign?.base).toContain(
      "{'accountId': $states.input.accountId, 'region': $states.input.region, 'roleName': $states.input.roleName}",
    );
  });

  it('fails a child visibly with a JSON cause carrying the account, region and partial counts', () => {
    const child = processorOf(map);
    for (const name of [
      SWEEP_STATE_NAMES.repositoriesFailed,
      SWEEP_STATE_NAMES.invocationFailed,
      SWEEP_STATE_NAMES.dataLimitExceeded,
    ]) {
      expect(state(child, name)).toMatchObject({
        Type: 'Fail',
        Cause: expect.stringMatching(
          /^\{% \$string\(\$merge\(\[\{'accountId': \$target\.accountId, 'region': \$target\.region, 'counts': \$counts, 'scanned': \$scannedTotal, 'pages': \$pages, 'forwarding': \$forwarding\}, \{'message': /,
        ),
      });
    }
  });

  it('catches the Map Run’s own errors, then any other, into MapRunFailed', () => {
    expect(map.Catch).toEqual([
      { ErrorEquals: [...MAP_RUN_ERRORS], Next: names.mapRunFailed, Output: '{% $states.errorOutput %}' },
      { ErrorEquals: ['States.ALL'], Next: names.mapRunFailed, Output: '{% $states.errorOutput %}' },
    ]);
    expect(MAP_RUN_ERRORS).toEqual([
      'States.ItemReaderFailed',
      'States.ResultWriterFailed',
      'States.ExceedToleratedFailureThreshold',
    ]);
  });

  it('summarises the ResultWriter manifest and fails at the end when any account-region failed', () => {
    expect(state(definition, names.summarize)).toMatchObject({
      Arguments: {
        FunctionName: `<${scopeId}.Arn>`,
        Payload: { summarize: { bucket: '{% $results.Bucket %}', key: '{% $results.Key %}' } },
      },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: names.summarizeFailed }],
      Next: names.anyFailed,
    });
    expect(state(definition, names.anyFailed)).toMatchObject({
      Choices: [{ Condition: '{% $summary.failedAccountRegions > 0 %}', Next: names.accountRegionsFailed }],
      Default: names.succeeded,
    });
    expect(state(definition, names.accountRegionsFailed)).toMatchObject({
      Type: 'Fail',
      Error: 'AccountRegionsFailed',
      Cause: '{% $summary.cause %}',
    });
  });

  it('outputs the sums, the unguarded and skipped account-regions, and what a retry left out when it was one', async () => {
    const output = String(state(definition, names.succeeded).Output).replace(/^\{%([\s\S]*)%\}$/, '$1');
    const summary = {
      accountRegions: 4,
      failedAccountRegions: 0,
      unguardedAccountRegions: 1,
      counts: { compliant: 3 },
      scanned: 3,
      unguarded: [{ accountId: '222222222222', region: 'eu-west-1', reason: 'disabled' }],
    };
    const skipped = [{ accountId: '999999999999', reason: 'management-account' }];
    const sums = { ...summary, skipped };
    expect(await jsonata(output).evaluate({}, { summary, scope: { skipped } })).toEqual(sums);
    const retry = {
      from: 'results/x/manifest.json',
      failedAccountRegions: 2,
      notInScope: [],
      unidentified: 0,
    };
    expect(await jsonata(output).evaluate({}, { summary, scope: { skipped, retry } })).toEqual({
      ...sums,
      retry,
    });
  });

  it('grants the state machine the item and result prefixes, the two functions and its own child executions only', () => {
    const [roleId] = findResource(template, 'AWS::IAM::Role', 'OrgSweepStateMachineRole');
    const bucketArn = `<${bucketId}.Arn>`;
    const pairs = allowed(template, roleId).filter(
      (pair) => !pair.startsWith('logs:') && !pair.startsWith('xray:'),
    );
    expect(pairs.filter((pair) => pair.startsWith('s3:'))).toEqual(
      [
        `s3:GetObject on ${bucketArn}/scope/*`,
        ...RESULT_WRITER_ACTIONS.map((action) => `${action} on ${bucketArn}/results/*`),
      ].sort(),
    );
    expect(pairs.filter((pair) => pair.startsWith('lambda:'))).toEqual(
      [
        `lambda:InvokeFunction on <${scopeId}.Arn>`,
        `lambda:InvokeFunction on <${scopeId}.Arn>:*`,
        `lambda:InvokeFunction on <${sweepId}.Arn>`,
        `lambda:InvokeFunction on <${sweepId}.Arn>:*`,
      ].sort(),
    );
    const states = pairs.filter((pair) => pair.startsWith('states:'));
    expect(states.map((pair) => pair.split(' on ')[0])).toEqual([
      'states:DescribeExecution',
      'states:RedriveExecution',
      'states:StartExecution',
      'states:StopExecution',
    ]);
    expect(pairs.every((pair) => /^(s3|lambda|states):/.test(pair))).toBe(true);
  });

  it('grants the scope function s3:PutObject on scope/ and s3:GetObject on results/, nothing else on the bucket', () => {
    const [roleId] = findResource(template, 'AWS::IAM::Role', 'ScopeFunctionServiceRole');
    expect(allowed(template, roleId).filter((pair) => pair.startsWith('s3:'))).toEqual([
      `s3:GetObject on <${bucketId}.Arn>/results/*`,
      `s3:PutObject on <${bucketId}.Arn>/scope/*`,
    ]);
  });

  it('keeps the sweep function timeout plus a minute as each page’s task timeout', () => {
    const child = processorOf(
      state(
        orgSweepDefinitionOf(synthesizeOrgSweep({ sweepTimeout: Duration.minutes(5) }).template),
        names.sweepAccountRegions,
      ),
    );
    expect(state(child, SWEEP_STATE_NAMES.sweepPage).TimeoutSeconds).toBe(360);
  });
});

describe('cdk-nag AWS Solutions checks on the organisation sweep', () => {
  it('leave no unacknowledged finding on the workflow or on what it grants the scope function', () => {
    const { app, workflow, scopeFunction } = synthesizeOrgSweep();
    for (const scope of [workflow, scopeFunction.role]) {
      if (scope === undefined) throw new Error('the scope function has no role');
      expect(nagFindings(app, scope)).toEqual([]);
    }
  }, 120_000);

  it('acknowledges exact findings on resources of the workflow, each with a written reason', () => {
    const { workflow, template } = synthesizeOrgSweep();
    const [bucketId] = findResource(template, 'AWS::S3::Bucket', 'Results');
    const [scopeId] = findResource(template, 'AWS::Lambda::Function', 'ScopeFunction');
    const [sweepId] = findResource(template, 'AWS::Lambda::Function', 'SweepFunction');
    const [machineId] = findResource(template, 'AWS::StepFunctions::StateMachine', 'OrgSweepStateMachine');
    const acknowledged = acknowledgements(workflow);
    const execution = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}`;
    expect(acknowledged.map((entry) => entry.id).sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*]',
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/scope/*]`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/results/*]`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/scope/*]`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/results/*]`,
        `AwsSolutions-IAM5[Resource::<${scopeId}.Arn>:*]`,
        `AwsSolutions-IAM5[Resource::<${sweepId}.Arn>:*]`,
        `AwsSolutions-IAM5[Resource::${execution}:*]`,
        `AwsSolutions-IAM5[Resource::${execution}/*:*]`,
      ].sort(),
    );
    for (const entry of acknowledged) {
      expect(entry.path).toMatch(/^OrgSweepStack\/OrgSweep\//);
      expect(String(entry.reason).length).toBeGreaterThan(40);
    }
  });
});
