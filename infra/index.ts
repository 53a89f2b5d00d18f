/**
 * The library's entry point (`exports["."]` of package.json, compiled by `npm run build:lib`): the
 * construct with its properties, and the ready-made stack the CDK app in infra/app.ts deploys.
 */
export * from './ecr-immutability-guard.ts';
export type { TargetMutability } from './guardrail-event-pattern.ts';
export * from './member.ts';
export * from './member-stack.ts';
export * from './org-guard.ts';
export { OrgSweepWorkflow, type OrgSweepWorkflowProps } from './org-sweep-workflow.ts';
export * from './stack.ts';
export * from './stack-set.ts';
