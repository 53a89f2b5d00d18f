/**
 * Runs the emulator until SIGINT/SIGTERM: `npm run emulator -- --port 4566 [--seed seed.json]`.
 * Prints the URL and the environment lines that point the AWS SDK and CLI at it.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  type AdminClient,
  emulatorAdmin,
  type FaultInput,
  isOrganizationSeed,
  type OrganizationSeedRequest,
  type SeedRequest,
  type SeedResult,
  startEmulator,
} from './index.ts';

const USAGE = `Usage: node emulator/cli.ts [options]

  --port N                  port on 127.0.0.1 (default 4566; 0 picks a free one)
  --host ADDRESS            interface to bind (default 127.0.0.1)
  --account ID              12-digit account of unknown access keys (default 123456789012)
  --seed FILE               JSON seed: an organisation (accounts, OUs, roles, registries; see
                            emulator/README.md), or a request / list of requests as POST /_emulator/seed takes
  --faults FILE             JSON fault configuration, as POST /_emulator/faults takes
  --visibility-delay-ms N   hide new repositories from DescribeRepositories for N ms
  --fault-seed N            seed of the fault PRNG (default 1)
  --deliver-to URL          POST each recorded ECR write call (and failed call) as the EventBridge event
                            CloudTrail would produce to this loopback URL
  --lookup-throttle         throttle CloudTrail LookupEvents to 2 requests/s per account and region
  -h, --help                show this help
`;

function parseInteger(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return number;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `cannot read JSON from ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function reportSeed(result: SeedResult): void {
  process.stdout.write(
    `seeded ${result.created} new, ${result.replaced} replaced in ${result.account}/${result.region} (total ${result.total})\n`,
  );
  if (result.templates !== undefined) {
    const { created, replaced, total } = result.templates;
    process.stdout.write(
      `seeded ${created} new, ${replaced} replaced templates in ${result.account}/${result.region} (total ${total})\n`,
    );
  }
}

// The file holds our own control-route shapes; the routes validate them.
async function seedFromFile(admin: AdminClient, seed: unknown): Promise<void> {
  if (isOrganizationSeed(seed)) {
    const result = await admin.organization(seed as OrganizationSeedRequest);
    process.stdout.write(
      `organisation: ${result.accounts} accounts, ${result.organizationalUnits} OUs, ${result.roles} roles\n`,
    );
    for (const registry of result.registries) reportSeed(registry);
    return;
  }
  for (const request of Array.isArray(seed) ? seed : [seed])
    reportSeed(await admin.seed(request as SeedRequest));
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      account: { type: 'string' },
      seed: { type: 'string' },
      faults: { type: 'string' },
      'visibility-delay-ms': { type: 'string' },
      'fault-seed': { type: 'string' },
      'deliver-to': { type: 'string' },
      'lookup-throttle': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = parseInteger(values.port, 'port', 0, 65_535) ?? 4566;
  const visibilityDelayMs = parseInteger(values['visibility-delay-ms'], 'visibility-delay-ms', 0, 3_600_000);
  const faultSeed = parseInteger(values['fault-seed'], 'fault-seed', 0, 2 ** 32 - 1);
  const emulator = await startEmulator({
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.account === undefined ? {} : { account: values.account }),
    ...(visibilityDelayMs === undefined ? {} : { visibilityDelayMs }),
    ...(faultSeed === undefined ? {} : { seed: faultSeed }),
    ...(values['deliver-to'] === undefined ? {} : { delivery: { url: values['deliver-to'] } }),
    ...(values['lookup-throttle'] === true ? { lookupEventsThrottle: true } : {}),
  });
  try {
    const admin = emulatorAdmin(emulator.url);
    if (values.seed !== undefined) await seedFromFile(admin, await readJson(values.seed));
    if (values.faults !== undefined) await admin.faults((await readJson(values.faults)) as FaultInput);
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  process.stdout.write(
    `ECR emulator listening on ${emulator.url} (account ${emulator.state.account})\n` +
      `export AWS_ENDPOINT_URL_ECR=${emulator.url}\n` +
      `export AWS_ENDPOINT_URL_EVENTBRIDGE=${emulator.url}\n` +
      `export AWS_ENDPOINT_URL_STS=${emulator.url}\n` +
      `export AWS_ENDPOINT_URL_ORGANIZATIONS=${emulator.url}\n` +
      `export AWS_ENDPOINT_URL_CLOUDTRAIL=${emulator.url}\n` +
      `export AWS_ENDPOINT_URL_SECURITYHUB=${emulator.url}\n` +
      '# any credentials work, e.g. export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.stop();
  process.stdout.write('ECR emulator stopped\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `emulator: ${error instanceof Error ? error.message : String(error)} (--help for usage)\n`,
    );
    process.exitCode = 2;
  },
);
