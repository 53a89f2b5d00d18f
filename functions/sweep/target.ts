/**
 * Where a sweep invocation acts: a payload may name `accountId` (and `region`, `roleName`) so an
 * orchestrator (a Step Functions Distributed Map over the items of functions/scope) runs one
 * account-region per child. Those members are taken off; the rest is the sweep payload of lib/sweep.ts.
 */
import * as z from 'zod/mini';
import { InvalidInputError } from '../../lib/errors.ts';
import { accountIdSchema, regionSchema } from '../../lib/scope.ts';
import { formatIssues } from '../../lib/validation.ts';

const TargetSchema = z.object({
  accountId: z.optional(accountIdSchema),
  region: z.optional(regionSchema),
  roleName: z.optional(
    z
      .string()
      .check(z.regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name: 1-64 of letters, digits and +=,.@_-')),
  ),
});

export interface SweepTargetRequest {
  readonly accountId: string | undefined;
  readonly region: string | undefined;
  readonly roleName: string | undefined;
  /** The event without the target members. */
  readonly payload: unknown;
}

/** @throws InvalidInputError naming a bad `accountId`, `region` or `roleName` and what was written. */
export function parseSweepTarget(event: unknown): SweepTargetRequest {
  const none = { accountId: undefined, region: undefined, roleName: undefined, payload: event };
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return none;
  // A scheduled event carries its own `account` and `region`: they say where it came from, not where to act.
  if ('source' in event && 'detail-type' in event) return none;
  if (!('accountId' in event) && !('region' in event) && !('roleName' in event)) return none;
  const { accountId, region, roleName, ...payload }: Record<string, unknown> = Object.fromEntries(
    Object.entries(event),
  );
  const result = TargetSchema.safeParse({ accountId, region, roleName });
  if (!result.success) throw new InvalidInputError(formatIssues(result.error));
  const { data } = result;
  return { accountId: data.accountId, region: data.region, roleName: data.roleName, payload };
}
