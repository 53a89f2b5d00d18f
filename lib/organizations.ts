/**
 * The AWS Organizations adapter: the only place that talks to `@aws-sdk/client-organizations`. It
 * takes a ready client (built with `retryMode: 'adaptive'`; tests pass an `aws-sdk-client-mock`), pages
 * every listing to the end, retries throttling that outlasted the SDK and translates SDK exceptions into
 * {@link AwsCallError} at this boundary (lib/aws-call.ts). Its IAM actions: lib/iam-actions.ts.
 *
 * Organizations answers only in the management account or a delegated administrator
 * (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html); elsewhere the
 * calls fail with `AccessDeniedException` or `AWSOrganizationsNotInUseException`, which surface as such.
 */
import {
  type Account,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { callWithRetries } from './aws-call.ts';
import type { RetryOptions } from './aws-retry.ts';
import { AwsCallError } from './errors.ts';
import { type ActionTable, ORGANIZATIONS_ACTIONS } from './iam-actions.ts';
import { pageTokens } from './pagination.ts';
import { ACCOUNT_ID_PATTERN, type OrganizationAccount, type OrganizationLister } from './scope.ts';

/** Organizations returns at most 20 results per page. */
export const MAX_ORGANIZATIONS_PAGE_SIZE = 20;

const SERVICE = 'organizations';

export type OrganizationsAdapterOptions = RetryOptions;

/** The paging members of every listing request. */
interface PageRequest {
  readonly NextToken: string | undefined;
  readonly MaxResults: number;
}

ORGANIZATIONS_ACTIONS satisfies ActionTable<OrganizationLister, typeof ORGANIZATIONS_ACTIONS>;

/** Maps an SDK account to what the scope reads; undefined for an entry without a valid id. */
export function toOrganizationAccount(account: Account): OrganizationAccount | undefined {
  if (account.Id === undefined || !ACCOUNT_ID_PATTERN.test(account.Id)) return undefined;
  // `State` replaces `Status` (retired September 2026); older responses carry only `Status`.
  return { accountId: account.Id, name: account.Name, state: account.State ?? account.Status };
}

/** Creates the {@link OrganizationLister} over a ready `OrganizationsClient`. */
export function createOrganizationsAdapter(
  client: OrganizationsClient,
  options: OrganizationsAdapterOptions = {},
): OrganizationLister {
  /**
   * Calls `page` with each page request (its NextToken, the largest page) until there is no token left;
   * each page is retried on its own.
   */
  async function everyPage<T>(
    operation: string,
    page: (request: PageRequest) => Promise<{ items: readonly T[]; nextToken: string | undefined }>,
  ): Promise<T[]> {
    const items: T[] = [];
    const tokens = pageTokens(`Organizations ${operation}`);
    let token: string | undefined;
    do {
      const request = { NextToken: token, MaxResults: MAX_ORGANIZATIONS_PAGE_SIZE };
      const result = await callWithRetries(SERVICE, operation, () => page(request), options);
      items.push(...result.items);
      token = tokens.next(result.nextToken);
    } while (token !== undefined);
    return items;
  }

  const accountsOf = (accounts: readonly Account[] | undefined) =>
    (accounts ?? []).flatMap((account) => {
      const mapped = toOrganizationAccount(account);
      return mapped === undefined ? [] : [mapped];
    });

  const accountsDirectlyUnder = (parentId: string) =>
    everyPage('ListAccountsForParent', async (page) => {
      const output = await client.send(new ListAccountsForParentCommand({ ParentId: parentId, ...page }));
      return { items: accountsOf(output.Accounts), nextToken: output.NextToken };
    });

  const childUnitsOf = (parentId: string) =>
    everyPage('ListOrganizationalUnitsForParent', async (page) => {
      const output = await client.send(
        new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, ...page }),
      );
      const ids = (output.OrganizationalUnits ?? []).flatMap((unit) => (unit.Id ? [unit.Id] : []));
      return { items: ids, nextToken: output.NextToken };
    });

  return {
    async describeOrganization() {
      const output = await callWithRetries(
        SERVICE,
        'DescribeOrganization',
        () => client.send(new DescribeOrganizationCommand({})),
        options,
      );
      const managementAccountId = output.Organization?.MasterAccountId;
      if (managementAccountId === undefined || !ACCOUNT_ID_PATTERN.test(managementAccountId)) {
        throw new AwsCallError(SERVICE, 'DescribeOrganization', 'NoManagementAccount', false);
      }
      return { managementAccountId };
    },

    listAccounts() {
      return everyPage('ListAccounts', async (page) => {
        const output = await client.send(new ListAccountsCommand(page));
        return { items: accountsOf(output.Accounts), nextToken: output.NextToken };
      });
    },

    async listAccountsUnder(parentIds) {
      // Breadth-first, one call at a time: Organizations' request rate is low and shared by the whole
      // organisation. An OU given twice, or nested under another given one, is walked once.
      const seenUnits = new Set<string>();
      const accounts = new Map<string, OrganizationAccount>();
      const queue = [...parentIds];
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (seenUnits.has(next)) continue;
        seenUnits.add(next);
        for (const account of await accountsDirectlyUnder(next)) {
          if (!accounts.has(account.accountId)) accounts.set(account.accountId, account);
        }
        queue.push(...(await childUnitsOf(next)));
      }
      return [...accounts.values()];
    },
  };
}
