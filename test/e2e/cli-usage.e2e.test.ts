/**
 * Usage errors of the built CLI (dist/bin/ecr-guard.mjs): invalid repository names, exemption tag keys AWS
 * would refuse, a `--profile` that does not exist and endpoint URLs that are not URLs are exit 2 with the
 * reason, before any AWS call (none reaches the backend: the emulator, or moto); every bad value of a list is
 * named, not only the first.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../helpers/cli.ts';
import { type Backend, startBackend } from './backend.ts';

describe('usage errors of the built CLI, before any call', () => {
  let backend: Backend;
  const home = mkdtempSync(path.join(tmpdir(), 'ecr-guard-usage-'));
  const config = path.join(home, 'config');
  const credentials = path.join(home, 'credentials');
  writeFileSync(config, '[default]\nregion = eu-west-1\n\n[profile dev]\nregion = eu-west-1\n');
  writeFileSync(credentials, '[ci]\naws_access_key_id = test\naws_secret_access_key = test\n');
  const env = () => ({
    AWS_ENDPOINT_URL: backend.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
  });

  beforeAll(async () => {
    backend = await startBackend();
  });
  beforeEach(async () => backend.reset());
  afterAll(async () => backend?.stop());

  it.each([
    {
      what: 'every invalid repository name, each with ECR’s rule',
      args: ['check', 'Payments/API', 'payments/api', 'bad..name'],
      reasons: [
        "repository name 'Payments/API': must be lowercase path segments",
        "repository name 'bad..name': must be lowercase path segments",
      ],
    },
    {
      what: 'an exemption tag key with the prefix AWS reserves',
      args: ['sweep', '--exempt-tag-key', 'aws:exempt'],
      reasons: ["--exempt-tag-key: 'aws:exempt' uses the prefix aws:"],
    },
    {
      what: 'an exemption tag key with characters AWS refuses',
      args: ['sweep', '--exempt-tag-key', 'exempt!', '--exempt-expiry-tag-key', 'until#'],
      reasons: [
        "--exempt-tag-key: 'exempt!' is not a tag key AWS accepts",
        "--exempt-expiry-tag-key: 'until#' is not a tag key AWS accepts",
      ],
    },
    {
      what: 'the same key for the exemption and its expiry',
      args: ['plan', '--exempt-tag-key', 'guard:exempt', '--exempt-expiry-tag-key', 'guard:exempt'],
      reasons: ["--exempt-expiry-tag-key: must differ from --exempt-tag-key ('guard:exempt')"],
    },
    {
      what: 'a profile neither shared file has, with the closest one',
      args: ['sweep', '--profile', 'deb'],
      reasons: [`--profile: no profile 'deb' in ${config} or ${credentials} (did you mean 'dev'?)`],
    },
    {
      what: 'an endpoint URL that is not a URL',
      args: ['check', 'payments/api', '--endpoint-url', 'http://local host:4566'],
      reasons: ['--endpoint-url: must be an http:// or https:// URL'],
    },
    {
      what: 'every bad value of repeated flags',
      args: ['sweep', '--account', '1234', '--account', '5678', '--region', 'EU', '--region', 'mars-1'],
      reasons: [
        '--account: must be a 12-digit account id, got "1234"',
        'must be a 12-digit account id, got "5678"',
        "--region: must be an AWS region such as eu-west-1, got 'EU'",
        "--region: must be an AWS region such as eu-west-1, got 'mars-1'",
      ],
    },
  ])('$what is exit 2 with the reason', async ({ args, reasons }) => {
    const { code, stderr } = await runBuiltCli(args, env());

    expect(code).toBe(2);
    for (const reason of reasons) expect(stderr).toContain(reason);
    expect(backend.calls()).toEqual({});
  });

  it.each([
    {
      what: 'an exemption tag key from the environment, named by its variable',
      variables: { EXEMPT_TAG_KEY: 'AWS:exempt' } as Record<string, string>,
      reason: "EXEMPT_TAG_KEY: 'AWS:exempt' uses the prefix aws:",
    },
    {
      what: 'an endpoint variable that is not a URL, named by its variable',
      variables: { AWS_ENDPOINT_URL_ECR: 'ftp://127.0.0.1:21' } as Record<string, string>,
      reason:
        "AWS_ENDPOINT_URL_ECR: must be an http:// or https:// URL such as https://ecr.eu-west-1.amazonaws.com, got 'ftp://127.0.0.1:21' (the scheme is ftp:)",
    },
  ])('$what is exit 2 with the reason', async ({ variables, reason }) => {
    const { code, stderr } = await runBuiltCli(['sweep', '--dry-run'], { ...env(), ...variables });

    expect(code).toBe(2);
    expect(stderr).toContain(reason);
    expect(backend.calls()).toEqual({});
  });

  it('takes a profile that exists in either shared file', async () => {
    const fromCredentials = await runBuiltCli(['sweep', '--dry-run', '--profile', 'ci', '--json'], env());
    expect(fromCredentials.stderr).toBe('');
    expect(fromCredentials.code).toBe(0);
  });
});
