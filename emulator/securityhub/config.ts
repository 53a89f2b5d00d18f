/**
 * Who sees which findings: Security Hub's administrator and member accounts, and cross-Region aggregation,
 * modelled simply. An administrator account sees and updates its members' findings (and its own); every
 * other account its own. In the aggregation Region a caller also sees the findings of every other Region.
 * @see https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-accounts.html
 * @see https://docs.aws.amazon.com/securityhub/latest/userguide/finding-aggregation.html
 */
import type { Directory } from '../core/directory.ts';
import { AdminRequestError } from '../core/errors.ts';
import { isJsonObject } from '../core/validate.ts';

/** How the ECR.2 generator judges `IMMUTABLE_WITH_EXCLUSION` (see emulator/README.md, "Security Hub"). */
export const EXCLUSION_VERDICTS = ['FAILED', 'PASSED'] as const;
export type ExclusionVerdict = (typeof EXCLUSION_VERDICTS)[number];

/** The Security Hub configuration (option `securityHub`, route `POST /_emulator/securityhub`). */
export interface SecurityHubConfig {
  /**
   * The administrator account. Default: the organisation's first delegated administrator, when an
   * organisation is seeded (the account Security Hub's delegated administrator usually is).
   */
  readonly administrator?: string;
  /** The administrator's member accounts. Default: every account of the organisation. */
  readonly members?: readonly string[];
  /** The aggregation Region: a caller there sees the findings of every Region. Default: none. */
  readonly aggregationRegion?: string;
  /** The ECR.2 verdict on `IMMUTABLE_WITH_EXCLUSION`; default `FAILED`. */
  readonly immutableWithExclusion: ExclusionVerdict;
}

export const DEFAULT_SECURITY_HUB_CONFIG: SecurityHubConfig = { immutableWithExclusion: 'FAILED' };

const ACCOUNT = /^[0-9]{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-[0-9]+$/;
const KEYS = ['administrator', 'members', 'aggregationRegion', 'immutableWithExclusion'];

function account(value: unknown, path: string): string {
  if (typeof value !== 'string' || !ACCOUNT.test(value))
    throw new AdminRequestError(`${path} must be a 12-digit account ID, got ${JSON.stringify(value)}`);
  return value;
}

/** Reads a configuration; unknown keys and bad values are refused, naming the key and the value. */
export function parseSecurityHubConfig(body: unknown): SecurityHubConfig {
  if (!isJsonObject(body))
    throw new AdminRequestError('the Security Hub configuration must be a JSON object');
  for (const key of Object.keys(body))
    if (!KEYS.includes(key))
      throw new AdminRequestError(`${key} is not a Security Hub setting (use ${KEYS.join(', ')})`);
  const { administrator, members, aggregationRegion, immutableWithExclusion } = body;
  if (members !== undefined && !Array.isArray(members))
    throw new AdminRequestError('members must be a list of 12-digit account IDs');
  if (
    aggregationRegion !== undefined &&
    (typeof aggregationRegion !== 'string' || !REGION.test(aggregationRegion))
  )
    throw new AdminRequestError(
      `aggregationRegion must be a Region name, got ${JSON.stringify(aggregationRegion)}`,
    );
  const verdict = EXCLUSION_VERDICTS.find((candidate) => candidate === (immutableWithExclusion ?? 'FAILED'));
  if (verdict === undefined)
    throw new AdminRequestError(
      `immutableWithExclusion must be ${EXCLUSION_VERDICTS.join(' or ')}, got ${JSON.stringify(immutableWithExclusion)}`,
    );
  return {
    ...(administrator === undefined ? {} : { administrator: account(administrator, 'administrator') }),
    ...(members === undefined
      ? {}
      : { members: members.map((member, index) => account(member, `members[${index}]`)) }),
    ...(aggregationRegion === undefined ? {} : { aggregationRegion }),
    immutableWithExclusion: verdict,
  };
}

/** The administrator account in force: the configured one, else the organisation's first delegated administrator. */
export function administratorOf(config: SecurityHubConfig, directory: Directory): string | undefined {
  return config.administrator ?? directory.organization?.delegatedAdministrators[0];
}

/** Whose findings a caller sees: itself, and its members when it is the administrator. */
export function visibleAccounts(
  caller: string,
  config: SecurityHubConfig,
  directory: Directory,
): ReadonlySet<string> {
  if (caller !== administratorOf(config, directory)) return new Set([caller]);
  const members = config.members ?? directory.accountList.map((member) => member.id);
  return new Set([caller, ...members]);
}

/** Whether a caller in `callerRegion` sees findings of `region`. */
export function seesRegion(callerRegion: string, region: string, config: SecurityHubConfig): boolean {
  return region === callerRegion || callerRegion === config.aggregationRegion;
}
