/**
 * The organisation settings (lib/config.ts) as the scope (lib/scope.ts) and the guardrail's routing
 * (lib/event-routing.ts) read them. Pure: no SDK, clock or environment.
 */
import type { OrganizationConfig } from './config.ts';
import type { OrganizationSettings } from './event-routing.ts';
import { parseScopeRequest, type ScopeRequest } from './scope.ts';

/** True when a run covers more than the caller's own account: organisation mode, or an explicit account list. */
export function isMultiAccount(organization: OrganizationConfig): boolean {
  return organization.enabled || organization.accounts.length > 0;
}

/**
 * The scope request of a sweep over `regions` (the configured scope regions when given, else the
 * caller's): the organisation's accounts in organisation mode, else the explicit accounts, else the
 * caller's own account, a scope of one. The excluded accounts apply in every case.
 *
 * @throws InvalidInputError when no account is configured and the caller's own is not given.
 */
export function scopeRequestOf(
  organization: OrganizationConfig,
  regions: readonly string[],
  ownAccountId?: string,
): ScopeRequest {
  const accounts = isMultiAccount(organization)
    ? organization.accounts
    : ownAccountId === undefined
      ? []
      : [ownAccountId];
  return parseScopeRequest({
    organization: organization.enabled,
    ...(accounts.length > 0 ? { accounts: [...accounts] } : {}),
    ...(organization.organizationalUnits.length > 0
      ? { organizationalUnits: [...organization.organizationalUnits] }
      : {}),
    excludeAccounts: [...organization.excludedAccounts],
    ...(organization.enabled ? { includeManagementAccount: organization.includeManagementAccount } : {}),
    regions: organization.regions.length > 0 ? [...organization.regions] : [...regions],
  });
}

/**
 * The guardrail's routing settings (lib/event-routing.ts `routeEvent`): member accounts only in organisation
 * mode, never an excluded one, only the configured accounts when a list is given, only the configured
 * scope regions when a list is given.
 */
export function routingSettingsOf(organization: OrganizationConfig): OrganizationSettings {
  return {
    enabled: organization.enabled,
    excludedAccountIds: organization.excludedAccounts,
    allowedAccountIds: organization.accounts.length > 0 ? organization.accounts : undefined,
    allowedRegions: organization.regions.length > 0 ? organization.regions : undefined,
  };
}
