/**
 * Validates {@link EcrImmutabilityGuardProps} at synthesis with the schemas the functions use at
 * start-up (lib/settings.ts), so a value the functions would reject (`sweepConcurrency: 100`, a
 * malformed exclusion filter) fails `cdk synth` naming the prop instead of failing every invocation.
 */
import type { Duration } from 'aws-cdk-lib';
import {
  LAMBDA_LOG_LEVELS,
  propName,
  type SettingKey,
  type SettingValues,
  settingRows,
  validateSettings,
} from '../lib/settings.ts';
import type { EcrImmutabilityGuardProps } from './ecr-immutability-guard.ts';

/** Props the construct takes in a CDK type, as their setting's plain value. */
const PLAIN_VALUE: Partial<Record<SettingKey, (props: EcrImmutabilityGuardProps) => unknown>> = {
  sweepSafetyMarginMs: (props) => toMilliseconds(props.sweepSafetyMargin),
};

function toMilliseconds(duration: Duration | undefined): number | undefined {
  return duration?.toMilliseconds();
}

/**
 * @returns the validated setting values (defaults applied).
 * @throws Error naming the first bad prop.
 */
export function validateGuardProps(props: EcrImmutabilityGuardProps): SettingValues {
  const given: [string, unknown][] = Object.entries(props);
  const byProp = new Map<string, unknown>(given);
  const input: Partial<Record<SettingKey, unknown>> = {};
  for (const row of settingRows()) {
    const name = propName(row.key);
    if (name === undefined) continue;
    const plain = PLAIN_VALUE[row.key];
    input[row.key] = plain === undefined ? byProp.get(name) : plain(props);
  }
  const nameOf = (key: SettingKey) => propName(key) ?? key;
  const result = validateSettings(input, nameOf);
  if (!result.ok) {
    throw new Error(
      `EcrImmutabilityGuard: ${result.issues.map((issue) => `${nameOf(issue.key)}: ${issue.message}`).join('; ')}`,
    );
  }
  const level = result.values.logLevel;
  if (!LAMBDA_LOG_LEVELS.some((allowed) => allowed === level)) {
    throw new Error(`EcrImmutabilityGuard: logLevel: must be one of ${LAMBDA_LOG_LEVELS.join(', ')}`);
  }
  return result.values;
}
