/**
 * The CDK app (`cdk.json`: `node infra/app.ts`): one environment-agnostic stack (no lookups, so
 * synthesis needs no credentials), settings from context (infra/app-config.ts), and cdk-nag's AWS
 * Solutions checks on everything. cdk-nag 3 runs as a CDK policy validation plugin: a finding that
 * is not acknowledged (with its reason, on the resource) fails synthesis, error or warning alike;
 * `--strict` in the `synth` script also fails on CDK's own warnings.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { guardPropsFromContext, orgGuardPropsFromContext } from './app-config.ts';
import { EcrImmutabilityGuardMemberStack } from './member-stack.ts';
import { EcrImmutabilityGuardOrgStack, EcrImmutabilityGuardStack } from './stack.ts';

const app = new App();
new EcrImmutabilityGuardStack(app, 'EcrImmutabilityGuardStack', {
  guard: (stack) => guardPropsFromContext(stack),
});
// The asset-free member template for StackSets (infra/member-stack.ts): the central bus, roles and
// organisation are its parameters; the role name, external id and ECR features come from the same context.
new EcrImmutabilityGuardMemberStack(app, 'EcrImmutabilityGuardMemberStack', {
  member: (stack) => {
    const guard = guardPropsFromContext(stack);
    return {
      memberRoleName: guard.memberRoleName,
      memberExternalId: guard.memberExternalId,
      tagExemptions: guard.exemptTagKey !== undefined,
      checkCreationTemplates: guard.checkCreationTemplates,
    };
  },
});
// The organisation's central stack (infra/org-guard.ts): the same settings from context; the organisation
// id, the member OUs and Regions and CallAs are its CloudFormation parameters, so synthesis stays offline.
new EcrImmutabilityGuardOrgStack(app, 'EcrImmutabilityGuardOrgStack', {
  guard: (stack) => orgGuardPropsFromContext(stack),
});
// cdk-nag 3 is a policy validation plugin: any unacknowledged finding fails synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
