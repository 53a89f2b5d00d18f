/**
 * The cdk-nag helpers of every construct (cdk-nag 3 runs as a CDK policy validation plugin, infra/app.ts): how
 * cdk-nag names a finding's resource, and policies whose findings are acknowledged on them alone, so an
 * acknowledgement covers exact statements and a wildcard added later is still reported. Each reason stays
 * next to the resource it is about.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, IConstruct } from 'constructs';

/** cdk-nag's id of an IAM5 finding (a wildcard in a statement's resource) on `resource`, as cdk-nag prints it. */
export function wildcardFinding(resource: string): string {
  return `AwsSolutions-IAM5[Resource::${resource}]`;
}

/** The IAM5 finding of a statement on `"*"`. */
export const NAG_WILDCARD_RESOURCE = wildcardFinding('*');

/** The repository ARN pattern of the ECR statements (infra/ecr-permissions.ts) as cdk-nag prints it. */
export function nagRepositoryArnPattern(region: string | undefined): string {
  return `arn:<AWS::Partition>:ecr:${region ?? '<AWS::Region>'}:<AWS::AccountId>:repository/*`;
}

/**
 * A policy holding exactly `statements`, attached to `role`, with each cdk-nag finding in `findings`
 * acknowledged on this policy alone (not the role): the acknowledgement covers these statements and
 * nothing added later. `dependent` (a function, a state machine) starts only once the policy exists, as
 * CDK arranges for a role's default policy.
 */
export function acknowledgedPolicy(
  scope: Construct,
  id: string,
  options: {
    role: iam.IRole;
    statements: iam.PolicyStatement[];
    findings: readonly string[];
    reason: string;
    dependent?: IConstruct | undefined;
  },
): iam.Policy {
  const policy = new iam.Policy(scope, id, { statements: options.statements });
  policy.attachToRole(options.role);
  for (const finding of options.findings)
    Validations.of(policy).acknowledge({ id: finding, reason: options.reason });
  options.dependent?.node.addDependency(policy);
  return policy;
}

/**
 * CDK's Lambda integration of Step Functions grants `lambda:InvokeFunction` on the function and `<arn>:*` (its
 * versions and aliases) in the state machine role's default policy: acknowledged for that exact resource, so
 * any other wildcard statement there is still reported.
 */
export function acknowledgeInvokeFinding(role: iam.IRole, fn: lambda.Function, what: string): void {
  const cfn = fn.node.defaultChild;
  if (!(cfn instanceof lambda.CfnFunction)) throw new Error(`the ${what} function has no CfnFunction`);
  const logicalId = Stack.of(fn).getLogicalId(cfn);
  Validations.of(role).acknowledge({
    id: wildcardFinding(`<${logicalId}.Arn>:*`),
    reason: `Granted by CDK for the Lambda integration: lambda:InvokeFunction on the ${what} function and its versions and aliases (<arn>:*), no other function.`,
  });
}

/** An IAM resource as cdk-nag names it in a finding: `Fn::Join` joined, `Ref` as `<Id>`, `Fn::GetAtt` as `<Id.Attr>`. */
export function nagResource(scope: Construct, value: string): string {
  return render(Stack.of(scope).resolve(value));
}

/** Every `Resource` of a resolved policy document's statements, as cdk-nag names it. */
export function nagStatementResources(document: unknown): string[] {
  if (typeof document !== 'object' || document === null || !('Statement' in document)) return [];
  const statements: unknown = document.Statement;
  if (!Array.isArray(statements)) return [];
  return statements.flatMap((statement: unknown) => {
    if (typeof statement !== 'object' || statement === null || !('Resource' in statement)) return [];
    const resource: unknown = statement.Resource;
    return (Array.isArray(resource) ? resource : [resource]).map(render);
  });
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  if ('Fn::Join' in value && Array.isArray(value['Fn::Join'])) {
    const [separator, parts]: unknown[] = value['Fn::Join'];
    if (typeof separator !== 'string' || !Array.isArray(parts)) return JSON.stringify(value);
    return parts.map(render).join(separator);
  }
  if ('Ref' in value && typeof value.Ref === 'string') return `<${value.Ref}>`;
  if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt']))
    return `<${value['Fn::GetAtt'].join('.')}>`;
  return JSON.stringify(value);
}
