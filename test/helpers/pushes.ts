/**
 * CloudTrail pushes for the roll-out plan's unit tests (lib/push-history.ts, lib/plan.ts): one `PutImage`
 * of `team/api` at a minute of 2026-11-01, by the role `ci-<minute>`.
 */
import { groupPushes, type History, type PushRecord } from '../../lib/push-history.ts';

/** A push of `tag` (undefined: by digest only) with `digest` (undefined: none recorded) at `minute`. */
export function push(
  tag: string | undefined,
  digest: string | undefined,
  minute: number,
  extra: Partial<PushRecord> = {},
): PushRecord {
  return {
    repositoryName: 'team/api',
    imageTag: tag,
    imageDigest: digest,
    actor: `arn:aws:iam::123456789012:role/ci-${minute}`,
    sourceIp: '203.0.113.12',
    registryId: '123456789012',
    region: 'eu-west-1',
    eventTime: pushedAt(minute),
    eventId: `e-${minute}`,
    errorCode: undefined,
    ...extra,
  };
}

/** The ISO time of a push at `minute`. */
export function pushedAt(minute: number): string {
  return new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();
}

/** An account-region history whose lookup covered the window and returned `pushes`. */
export function history(pushes: readonly PushRecord[]): History {
  return { kind: 'events', pushesByRepository: groupPushes(pushes) };
}
