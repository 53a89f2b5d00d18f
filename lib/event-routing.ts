/**
 * Where the guardrail acts on an event from another account or region: with its own credentials, through
 * the member role, or not at all (with the reason). Never on an account outside the configured scope.
 * Pure.
 */
import { ACCOUNT_ID_PATTERN, type ScopeTarget } from './scope.ts';

/** The guardrail's organisation settings. */
export interface OrganizationSettings {
  /** Off: the deployment acts only on its own account and region (the single-account behaviour). */
  readonly enabled: boolean;
  readonly excludedAccountIds: readonly string[];
  /** When set, member accounts outside this list are not acted on. */
  readonly allowedAccountIds?: readonly string[] | undefined;
  /** When set, events from regions outside this list are not acted on (the deployment's own region always is). */
  readonly allowedRegions?: readonly string[] | undefined;
}

/** Why the guardrail leaves an event alone. */
export type IgnoreReason =
  | 'organization-mode-off'
  | 'region-not-allowed'
  | 'account-excluded'
  | 'account-not-allowed'
  | 'invalid-account';

/** How the guardrail handles an event: with its own credentials, through the member role, or not at all. */
export type EventRoute =
  | { readonly kind: 'act-here'; readonly accountId: string; readonly region: string }
  | { readonly kind: 'act-via-member-role'; readonly accountId: string; readonly region: string }
  | { readonly kind: 'ignored'; readonly reason: IgnoreReason; readonly detail: string };

/**
 * Decides where the guardrail acts on an event from `event.accountId` in `event.region`, given the
 * account and region it runs in (`home`). Never acts on an account outside the scope: the deployment's
 * own account and region always; anything else only in organisation mode, in an allowed region, and
 * (for other accounts) when the account is neither excluded nor outside the allowed accounts.
 */
export function routeEvent(
  event: ScopeTarget,
  home: ScopeTarget,
  settings: OrganizationSettings,
): EventRoute {
  const { accountId, region } = event;
  const where = `account ${accountId} in ${region}`;
  if (!ACCOUNT_ID_PATTERN.test(accountId)) {
    return {
      kind: 'ignored',
      reason: 'invalid-account',
      detail: `${JSON.stringify(accountId)} is not an account id`,
    };
  }
  if (accountId === home.accountId && region === home.region) return { kind: 'act-here', accountId, region };
  if (!settings.enabled) {
    return {
      kind: 'ignored',
      reason: 'organization-mode-off',
      detail: `${where} is not this deployment's (${home.accountId} in ${home.region}) and organisation mode is off`,
    };
  }
  if (
    settings.allowedRegions !== undefined &&
    region !== home.region &&
    !settings.allowedRegions.includes(region)
  ) {
    return {
      kind: 'ignored',
      reason: 'region-not-allowed',
      detail: `${where}: region ${region} is not in scope`,
    };
  }
  if (accountId === home.accountId) return { kind: 'act-here', accountId, region };
  if (settings.excludedAccountIds.includes(accountId)) {
    return {
      kind: 'ignored',
      reason: 'account-excluded',
      detail: `${where}: account ${accountId} is excluded`,
    };
  }
  if (settings.allowedAccountIds !== undefined && !settings.allowedAccountIds.includes(accountId)) {
    return {
      kind: 'ignored',
      reason: 'account-not-allowed',
      detail: `${where}: account ${accountId} is not in scope`,
    };
  }
  return { kind: 'act-via-member-role', accountId, region };
}
