/**
 * The guard's own footprint in a member account-region (docs/architecture.md, "Organisation deployment"): the
 * member stack's rule on the default bus that forwards ECR's events to the central bus. Without it the
 * guardrail never hears of that account-region's repositories between sweeps, so the organisation sweep checks
 * it in every account-region it sweeps and counts one without it as `unguarded`. Pure: the names both sides
 * share (infra/member.ts creates them, the sweep reads them) and the verdict over what the adapter read
 * (lib/forwarding-rule.ts).
 */

/** The member forwarding rule's name on each account-region's default bus (fixed, so the sweep can find it). */
export const FORWARDING_RULE_NAME = 'ecr-immutability-guard-forwarding';

/**
 * The member forwarding role's name is this prefix, a hyphen and the Region (`…-eu-west-1`): one role per
 * Region, and a name the central bus's policy can admit (`aws:PrincipalArn`) and nothing else.
 */
export const FORWARDING_ROLE_NAME_PREFIX = 'EcrImmutabilityGuardForwarding';

/** The metric counting unguarded account-regions (`{service}`, and `{service, AccountId}` per account). */
export const UNGUARDED_METRIC = 'UnguardedAccountRegions';

/** Rule states that deliver events (EventBridge `State`); `DISABLED` does not. */
const DELIVERING_STATES: ReadonlySet<string> = new Set([
  'ENABLED',
  'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
]);

/** The forwarding rule as read from one account-region. */
export type ForwardingRuleFacts =
  | { readonly exists: false }
  | { readonly exists: true; readonly state: string | undefined; readonly targetArns: readonly string[] };

/**
 * Whether an account-region is guarded: `unchecked` when no check was asked for (no central bus configured),
 * `unguarded` with a sentence saying what is wrong.
 */
export type ForwardingCheck =
  | { readonly status: 'guarded' }
  | { readonly status: 'unguarded'; readonly reason: string }
  | { readonly status: 'unchecked' };

export type ForwardingStatus = ForwardingCheck['status'];
export const FORWARDING_STATUSES = [
  'guarded',
  'unguarded',
  'unchecked',
] as const satisfies readonly ForwardingStatus[];

/** Guarded when the rule exists, delivers events (is enabled) and targets the central bus. */
export function assessForwarding(facts: ForwardingRuleFacts, centralBusArn: string): ForwardingCheck {
  if (!facts.exists) {
    return {
      status: 'unguarded',
      reason: `the forwarding rule ${FORWARDING_RULE_NAME} does not exist on the default event bus`,
    };
  }
  if (facts.state === undefined || !DELIVERING_STATES.has(facts.state)) {
    return {
      status: 'unguarded',
      reason: `the forwarding rule ${FORWARDING_RULE_NAME} is ${facts.state ?? 'in an unknown state'}, not ENABLED`,
    };
  }
  if (!facts.targetArns.includes(centralBusArn)) {
    const targets = facts.targetArns.length === 0 ? 'no target' : facts.targetArns.join(', ');
    return {
      status: 'unguarded',
      reason: `the forwarding rule ${FORWARDING_RULE_NAME} targets ${targets}, not the central bus ${centralBusArn}`,
    };
  }
  return { status: 'guarded' };
}

/** The verdict when the rule could not be read at all (access denied, a Region not enabled): not shown guarded. */
export function unreadableForwarding(detail: string): ForwardingCheck {
  return {
    status: 'unguarded',
    reason: `the forwarding rule ${FORWARDING_RULE_NAME} could not be read: ${detail}`,
  };
}
