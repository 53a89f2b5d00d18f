/**
 * The library's entry point (`exports["."]` of package.json, compiled by `npm run build:lib`): the
 * constructs with their properties, and the ready-made stacks the CDK app in infra/app.ts deploys.
 */
export { type GuardAlarms, NO_ALARM_ACTIONS_WARNING } from './alarms.ts';
export * from './ecr-immutability-guard.ts';
export { BUNDLES, type GuardFunctionProps, type GuardLogLevel, HANDLER } from './functions.ts';
export type { EcrImmutabilityGuardBaseProps, GuardCode } from './guard-props.ts';
export type { TargetMutability } from './guardrail-event-pattern.ts';
export * from './member.ts';
export * from './member-stack.ts';
export * from './org-guard.ts';
export { OrgSweepWorkflow, type OrgSweepWorkflowProps } from './org-sweep-workflow.ts';
export * from './stack.ts';
export * from './stack-set.ts';
