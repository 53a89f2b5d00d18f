/**
 * The functions' environment, derived from the settings table (lib/settings.ts): a row's `functions` say which
 * functions get its variable, its `envWhen` when, and the value is the validated setting's, rendered as the
 * functions read it (lib/config.ts). No variable name is spelled here.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  type EnvWhen,
  envText,
  type GuardFunctionName,
  SETTINGS,
  type SettingKey,
  type SettingRow,
  type SettingValues,
  settingRows,
} from '../lib/settings.ts';

/** Node's own options for every function: stack traces point into the TypeScript sources. */
const NODE_ENVIRONMENT = { NODE_OPTIONS: '--enable-source-maps' } as const;

/** The order of the variables: the ones always set, Node's options, the given ones, the organisation's. */
const ORDER: readonly EnvWhen[] = ['always', 'given', 'members'];

/** What decides a deployment's variables. */
export interface EnvironmentInputs {
  /** The validated settings, defaults applied (`auditEventBusName` is the bus's ARN, which PutEvents takes). */
  readonly values: SettingValues;
  /** The settings whose prop was given. */
  readonly given: ReadonlySet<SettingKey>;
}

/** Whether the functions reach member accounts: organisation mode, or an explicit account list. */
export function reachesMembers(values: SettingValues): boolean {
  return values.organization || values.scopeAccounts.length > 0;
}

function names(row: SettingRow, fn: string): boolean {
  return (row.functions ?? []).some((listed) => listed === fn);
}

/** The environment of one function: every row that names it, in table order within {@link ORDER}. */
export function functionEnvironment(
  fn: GuardFunctionName,
  inputs: EnvironmentInputs,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const when of ORDER) {
    for (const row of settingRows()) {
      if (row.env === undefined || !names(row, fn) || (row.envWhen ?? 'always') !== when) continue;
      if (when === 'given' && !inputs.given.has(row.key)) continue;
      if (when === 'members' && !reachesMembers(inputs.values)) continue;
      const text = envText(inputs.values[row.key]);
      if (text !== undefined) environment[row.env] = text;
    }
    if (when === 'always') Object.assign(environment, NODE_ENVIRONMENT);
  }
  return environment;
}

/**
 * Sets a setting whose value the construct itself makes (a bus it creates, the StackSet's Regions) in the
 * functions of `functions` its row names.
 */
export function addConstructSetting(
  functions: Partial<Record<GuardFunctionName, lambda.Function>>,
  key: SettingKey,
  value: string,
): void {
  const row: SettingRow = SETTINGS[key];
  if (row.env === undefined) throw new Error(`setting ${key} has no environment variable`);
  for (const [name, fn] of Object.entries(functions)) {
    if (fn !== undefined && names(row, name)) fn.addEnvironment(row.env, value);
  }
}
