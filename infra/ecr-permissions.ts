/**
 * The ECR permissions of both functions, derived from the actions the adapter declares
 * (`requiredEcrActions` in lib/iam-actions.ts), so the granted set cannot drift from the calls made.
 */
import { ArnFormat, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { type EcrFeatures, requiredEcrActions } from '../lib/iam-actions.ts';

/**
 * Actions that have no resource type in the Service Authorization Reference for Amazon ECR: the
 * repository creation templates are registry-level settings, and IAM only accepts `"*"` for them.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
 */
export const REGISTRY_LEVEL_ECR_ACTIONS: ReadonlySet<string> = new Set([
  'ecr:DescribeRepositoryCreationTemplates',
  'ecr:UpdateRepositoryCreationTemplate',
]);

/** The ARN pattern of every private repository in the stack's account and region. */
export function repositoryArnPattern(stack: Stack): string {
  return stack.formatArn({
    service: 'ecr',
    resource: 'repository',
    resourceName: '*',
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * One statement for the repository-level actions (on `repository/*` of this account and region),
 * and, only when a feature needs them, one for the registry-level actions on `"*"`.
 */
export function ecrPolicyStatements(stack: Stack, features: EcrFeatures): iam.PolicyStatement[] {
  const actions = requiredEcrActions(features);
  const repositoryActions = actions.filter((action) => !REGISTRY_LEVEL_ECR_ACTIONS.has(action));
  const registryActions = actions.filter((action) => REGISTRY_LEVEL_ECR_ACTIONS.has(action));
  const statements = [
    new iam.PolicyStatement({
      sid: 'EcrRepositories',
      actions: repositoryActions,
      resources: [repositoryArnPattern(stack)],
    }),
  ];
  if (registryActions.length > 0) {
    statements.push(
      new iam.PolicyStatement({ sid: 'EcrRegistrySettings', actions: registryActions, resources: ['*'] }),
    );
  }
  return statements;
}
