/**
 * The CLI's options: flags parsed and validated by the settings table, messages naming the flag the
 * user typed, regions and endpoints resolved as the AWS CLI does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionsOf } from '../../bin/context.ts';
import { configFromOptions, parseCommonOptions } from '../../bin/options.ts';
import { type FlagScope, SETTINGS, settingRows } from '../../lib/settings.ts';
import { startTestEmulator, type TestEmulator } from '../emulator/helpers.ts';
import { runNode } from '../helpers/child-process.ts';
import { runCliInProcess } from '../helpers/cli-in-process.ts';
import { projectRoot } from '../helpers/fixtures.ts';

const cli = (args: readonly string[], env: Record<string, string> = {}) => runCliInProcess(args, { env });

/** Runs bin/ecr-guard.ts in a child process with exactly `env` (plus PATH), no shared AWS config. */
function cliProcess(args: readonly string[], env: Record<string, string>) {
  const home = mkdtempSync(path.join(tmpdir(), 'ecr-guard-home-'));
  return runNode([path.join(projectRoot, 'bin', 'ecr-guard.ts'), ...args], {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...env,
  });
}

describe('the CLI flags', () => {
  it.each([
    [['check', 'a', '--region', 'EU'], "--region: must be an AWS region such as eu-west-1, got 'EU'"],
    [['check', 'a', '--registry-id', '12'], "--registry-id: must be a 12-digit account id, got '12'"],
    [['sweep', '--concurrency', 'lots'], '--concurrency: must be an integer from 1 to 64'],
    [['sweep', '--concurrency', '100'], '--concurrency: must be an integer from 1 to 64'],
    [['check', 'a', '--exclusion-filter', 'latest'], '--exclusion-filter: must be empty unless --target is'],
    [
      ['check', 'a', '--target', 'IMMUTABLE_WITH_EXCLUSION', '--exclusion-filter', 'bad filter!'],
      "--exclusion-filter: 'bad filter!' is not a tag filter",
    ],
    [
      ['check', 'a', '--exempt-expiry-tag-key', 'until'],
      '--exempt-expiry-tag-key: needs --exempt-tag-key to be set',
    ],
    [['check', 'a', '--connect-timeout', 'soon'], '--connect-timeout: must be an integer from 100 to 60000'],
    [
      [
        'check',
        'a',
        '--target',
        'IMMUTABLE_WITH_EXCLUSION',
        '--exclusion-filter',
        'latest',
        '--exclusion-filter',
        '*',
      ],
      "--exclusion-filter: '*' matches every tag, so IMMUTABLE_WITH_EXCLUSION with it is MUTABLE",
    ],
    [
      ['check', 'a', '--allowed-exclusion', '**'],
      "--allowed-exclusion: '**' matches every tag, so IMMUTABLE_WITH_EXCLUSION with it is MUTABLE",
    ],
    [
      ['check', 'a', '--endpoint-url', 'localhost:4566'],
      '--endpoint-url: must be an http:// or https:// URL',
    ],
  ])('%j is bad usage naming the flag: %s', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('never prints array indices or garbled flag names', async () => {
    const result = await cli(['check', 'a', '--region', 'eu-west-1', '--region', 'nowhere']);
    expect(result.stderr).not.toMatch(/\.\d|-a-w-s|region\.1/);
    expect(result.stderr).toContain("--region: must be an AWS region such as eu-west-1, got 'nowhere'");
  });

  it('names the variable when the bad value came from the environment', async () => {
    const result = await cli(['check', 'a'], { EXCLUSION_FILTERS: 'latest' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('EXCLUSION_FILTERS: must be empty unless --target is');
  });

  it('lets a flag complete a setting from the environment, naming each as the user wrote it', () => {
    const options = parseCommonOptions({ exclusionFilter: ['latest,dev-*'] });
    const config = configFromOptions(options, { TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION' });
    expect(config.policy.target).toEqual({
      mutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['dev-*', 'latest'],
    });
  });

  it('takes the timeouts from flags over the environment', () => {
    const options = parseCommonOptions({ requestTimeout: '2500' });
    const { sdk } = configFromOptions(options, {
      SDK_REQUEST_TIMEOUT_MS: '9000',
      SDK_CONNECT_TIMEOUT_MS: '700',
    });
    expect(sdk).toMatchObject({ requestTimeoutMs: 2500, connectTimeoutMs: 700 });
  });

  it('offers every setting that has a flag, in the help of each command of its scope, with its variable', async () => {
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const help = async (...command: string[]) => flat((await cli([...command, '--help'])).stdout);
    const helpOf: Record<FlagScope, readonly string[]> = {
      global: [await help()],
      repositories: [await help('sweep'), await help('check'), await help('remediate')],
      sweep: [await help('sweep')],
    };
    for (const row of settingRows()) {
      if (row.flag === undefined || row.flagScope === undefined) continue;
      for (const text of helpOf[row.flagScope]) {
        expect(text, row.flag).toContain(row.flag);
        if (row.env !== undefined) expect(text, row.flag).toContain(`[env: ${row.env}]`);
      }
    }
    expect(helpOf.global[0]).toContain('--endpoint-url <url>');
    // Only the commands that decide repositories take --dry-run (the examples after the options may name it).
    const optionsOf = (text: string | undefined) => text?.split(' Commands: ')[0];
    expect(optionsOf(helpOf.global[0])).not.toContain('--dry-run');
    expect(await help('plan')).not.toContain('--dry-run');
    expect(SETTINGS.targetMutability.flag).toBe('--target <mutability>');
  });
});

describe('the region, as the AWS CLI resolves it', () => {
  const options = parseCommonOptions({});

  it('takes --region first, then AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    const env = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' };
    expect(await regionsOf(parseCommonOptions({ region: ['ap-south-1'] }), env)).toEqual(['ap-south-1']);
    expect(await regionsOf(options, env)).toEqual(['eu-west-1']);
    expect(await regionsOf(options, { AWS_DEFAULT_REGION: 'us-east-1' })).toEqual(['us-east-1']);
  });

  it('names AWS_DEFAULT_REGION when it is malformed', async () => {
    await expect(regionsOf(options, { AWS_DEFAULT_REGION: 'Ireland' })).rejects.toMatchObject({
      issues: ["AWS_DEFAULT_REGION: must be an AWS region such as eu-west-1, got 'Ireland'"],
    });
  });
});

describe('the CLI against the emulator (child process)', () => {
  let emulator: TestEmulator;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: 'payments/api' }));
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it('is bad usage (exit 2) with a hint when no region is configured anywhere', async () => {
    const result = await cliProcess(['check', 'payments/api', '--endpoint-url', emulator.url], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'no region: pass --region eu-west-1, set AWS_REGION (or AWS_DEFAULT_REGION)',
    );
    expect(result.stderr.split('\n').length).toBeLessThan(5);
  });

  it('reaches the endpoint of --endpoint-url in the region of AWS_DEFAULT_REGION', async () => {
    const result = await cliProcess(['check', 'payments/api', '--json', '--endpoint-url', emulator.url], {
      AWS_DEFAULT_REGION: 'us-east-1',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('"region":"us-east-1"');
    expect(result.stdout).toContain('"repositoryName":"payments/api"');
    expect(result.code).toBe(3);
  });
});
