/**
 * Synthesizes the stack the way `cdk synth` does (the feature flags of cdk.json), with stub
 * bundles so infra tests never depend on `npm run build`.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { EcrImmutabilityGuardProps } from '../../infra/ecr-immutability-guard.ts';
import { EcrImmutabilityGuardStack } from '../../infra/stack.ts';
import { projectRoot } from '../helpers/fixtures.ts';

/** The `context` of cdk.json: the feature flags every real synthesis uses. */
export function cdkJsonContext(): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || !('context' in parsed))
    throw new Error('cdk.json has no context');
  const context = parsed.context;
  if (typeof context !== 'object' || context === null) throw new Error('cdk.json context is not an object');
  return { ...context };
}

let stubDir: string | undefined;

/** A bundle directory with placeholder `guardrail/index.mjs` and `sweep/index.mjs`. */
export function stubBundleDir(): string {
  if (stubDir !== undefined) return stubDir;
  const dir = mkdtempSync(path.join(tmpdir(), 'ecr-guard-bundles-'));
  for (const name of ['guardrail', 'sweep']) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'index.mjs'), 'export const handler = async () => ({});\n');
    writeFileSync(path.join(dir, name, 'index.mjs.map'), '{"version":3,"sources":[],"mappings":""}\n');
  }
  stubDir = dir;
  return dir;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: EcrImmutabilityGuardStack;
  readonly template: Template;
}

/** Builds the stack with the given construct properties (stub bundles unless overridden). */
export function synthesize(
  guard: EcrImmutabilityGuardProps | ((stack: Stack) => EcrImmutabilityGuardProps) = {},
  extraContext: Record<string, unknown> = {},
): Synthesized {
  const app = new App({
    context: { ...cdkJsonContext(), ...extraContext },
    outdir: mkdtempSync(path.join(tmpdir(), 'ecr-guard-cdk-out-')),
  });
  const stack = new EcrImmutabilityGuardStack(app, 'EcrImmutabilityGuardStack', {
    guard: (scope) => ({
      bundleDir: stubBundleDir(),
      ...(typeof guard === 'function' ? guard(scope) : guard),
    }),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

export type CfnResources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

export function resources(template: Template): CfnResources {
  const json: unknown = template.toJSON();
  if (typeof json !== 'object' || json === null || !('Resources' in json))
    throw new Error('template has no Resources');
  const all = json.Resources;
  if (typeof all !== 'object' || all === null) throw new Error('Resources is not an object');
  return Object.fromEntries(
    Object.entries(all).map(([id, value]: [string, unknown]) => {
      if (
        typeof value !== 'object' ||
        value === null ||
        !('Type' in value) ||
        typeof value.Type !== 'string'
      ) {
        throw new Error(`resource ${id} has no Type`);
      }
      const properties = 'Properties' in value ? value.Properties : undefined;
      return [
        id,
        {
          Type: value.Type,
          Properties: typeof properties === 'object' && properties !== null ? { ...properties } : undefined,
        },
      ];
    }),
  );
}

/** The environment variables of the one function whose logical ID starts with the given prefix. */
export function environmentOf(template: Template, functionPrefix: string): Record<string, unknown> {
  const [, fn] = findResource(template, 'AWS::Lambda::Function', functionPrefix);
  const environment = fn.Environment;
  if (typeof environment !== 'object' || environment === null || !('Variables' in environment)) return {};
  const variables = environment.Variables;
  return typeof variables === 'object' && variables !== null ? { ...variables } : {};
}

/** The one resource of a type whose logical ID starts with the given prefix. */
export function findResource(
  template: Template,
  type: string,
  logicalIdPrefix: string,
): [string, Record<string, unknown>] {
  const found = Object.entries(resources(template)).filter(
    ([id, resource]) => resource.Type === type && id.startsWith(logicalIdPrefix),
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type} starting with ${logicalIdPrefix}, found ${found.map(([id]) => id).join(', ')}`,
    );
  }
  const [entry] = found;
  if (entry === undefined) throw new Error('unreachable');
  return [entry[0], entry[1].Properties ?? {}];
}

/**
 * Renders an intrinsic-bearing value to a string: `Fn::Join` is joined, `Ref`/`Fn::GetAtt` become
 * `<Ref>` / `<Id.Attr>` placeholders (as cdk-nag prints them), so a definition can be parsed as JSON.
 */
export function renderIntrinsics(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  if ('Fn::Join' in value && Array.isArray(value['Fn::Join'])) {
    const [separator, parts] = value['Fn::Join'];
    if (typeof separator !== 'string' || !Array.isArray(parts)) throw new Error('malformed Fn::Join');
    return parts.map(renderIntrinsics).join(separator);
  }
  if ('Ref' in value && typeof value.Ref === 'string') return `<${value.Ref}>`;
  if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt']))
    return `<${value['Fn::GetAtt'].join('.')}>`;
  throw new Error(`unsupported intrinsic ${JSON.stringify(value)}`);
}

/** An IAM statement reduced to what a test compares: effect, sorted actions, rendered resources. */
export interface NormalizedStatement {
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
}

function toArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The statements of every policy attached to the role with this logical ID, as written (conditions kept),
 * with `Fn::Join` and `Ref` values rendered (`<Ref>`, `<Id.Attr>`).
 */
export function attachedStatements(template: Template, roleLogicalId: string): unknown[] {
  return Object.values(resources(template))
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter(
      (resource) => JSON.stringify(resource.Properties?.Roles) === JSON.stringify([{ Ref: roleLogicalId }]),
    )
    .flatMap((resource) => {
      const document = resource.Properties?.PolicyDocument;
      if (typeof document !== 'object' || document === null || !('Statement' in document)) return [];
      return Array.isArray(document.Statement) ? document.Statement : [];
    })
    .map(rendered);
}

/** A policy document or statement with its `Fn::Join` and `Ref` values rendered (`<Ref>`, `<Id.Attr>`). */
export function rendered(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, member: unknown) =>
      typeof member === 'object' && member !== null && ('Fn::Join' in member || 'Ref' in member)
        ? renderIntrinsics(member)
        : member,
    ),
  );
}

/**
 * The trust policy of a role only EventBridge may assume, and only for the rule of this name on the default
 * bus of the stack's account and Region (infra/events-roles.ts), as {@link rendered} shows it.
 */
export function eventsRuleTrust(ruleName: string): unknown {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:SourceAccount': '<AWS::AccountId>',
            'aws:SourceArn': `arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/${ruleName}`,
          },
        },
      },
    ],
  };
}

/** Every statement of every AWS::IAM::Policy attached to the role with this logical ID. */
export function roleStatements(template: Template, roleLogicalId: string): NormalizedStatement[] {
  const statements: NormalizedStatement[] = [];
  for (const resource of Object.values(resources(template))) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = toArray(resource.Properties?.Roles);
    if (
      !roles.some(
        (role) => typeof role === 'object' && role !== null && 'Ref' in role && role.Ref === roleLogicalId,
      )
    ) {
      continue;
    }
    const document = resource.Properties?.PolicyDocument;
    if (typeof document !== 'object' || document === null || !('Statement' in document)) continue;
    for (const statement of toArray(document.Statement)) {
      if (typeof statement !== 'object' || statement === null) continue;
      const effect = 'Effect' in statement && typeof statement.Effect === 'string' ? statement.Effect : '';
      const actions = toArray('Action' in statement ? statement.Action : undefined)
        .map(String)
        .sort();
      const resourcesOf = toArray('Resource' in statement ? statement.Resource : undefined)
        .map(renderIntrinsics)
        .sort();
      statements.push({ effect, actions, resources: resourcesOf });
    }
  }
  return statements;
}

/** The (action, resource) pairs a role is allowed, as `action on resource` strings, sorted. */
export function allowedPairs(template: Template, roleLogicalId: string): string[] {
  return roleStatements(template, roleLogicalId)
    .filter((statement) => statement.effect === 'Allow')
    .flatMap((statement) =>
      statement.actions.flatMap((action) => statement.resources.map((r) => `${action} on ${r}`)),
    )
    .sort();
}

/** One state of the sweep state machine's definition, as synthesized (the fields the tests read). */
export interface State {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Condition: string; Next: string }[];
  Retry?: Record<string, unknown>[];
  Catch?: { ErrorEquals: string[]; Next: string; Output?: string }[];
  Arguments?: Record<string, unknown>;
  Assign?: Record<string, unknown>;
  Output?: unknown;
  Error?: string;
  Cause?: string;
  Resource?: string;
  TimeoutSeconds?: number;
}

export interface Definition {
  StartAt: string;
  QueryLanguage: string;
  TimeoutSeconds: number;
  States: Record<string, State>;
}

/** The sweep state machine's definition, parsed from the synthesized template. */
export function sweepDefinitionOf(template: Template): Definition {
  const [, machine] = findResource(
    template,
    'AWS::StepFunctions::StateMachine',
    'GuardSweepWorkflowStateMachine',
  );
  return JSON.parse(renderIntrinsics(machine.DefinitionString));
}
