/**
 * Optional cross-check of the emulator's STS and Organizations response shapes against moto's server
 * (https://docs.getmoto.org/en/latest/docs/server_mode.html): `node emulator/cross-check-moto.ts`.
 * Both are called through the same SDK clients; for each call the member names each answer has are compared,
 * and the script exits 1 when moto answers with a member the emulator lacks. Needs `python3 -m moto.server`;
 * without it the script says so and exits 0 (it is not part of `npm test`).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startEmulator } from './index.ts';

const CREDENTIALS = { accessKeyId: 'cross-check', secretAccessKey: 'x' };
const MANAGEMENT = '123456789012';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await fetch(`${url}/moto-api/`);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Member paths of a response, e.g. `Accounts[].State`, without the SDK's `$metadata`. */
// Members moto always sends that AWS sends only in other cases (PackedPolicySize: when session policies or
// tags are passed, per the AssumeRole API reference), so their absence here is not a shape error.
const KNOWN_ABSENT = new Set(['AssumeRole PackedPolicySize']);

function shape(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((item) => shape(item, `${prefix}[]`)))];
  if (value === null || typeof value !== 'object' || value instanceof Date)
    return prefix === '' ? [] : [prefix];
  return Object.entries(value).flatMap(([key, member]) =>
    key === '$metadata'
      ? []
      : [
          `${prefix}${prefix === '' ? '' : '.'}${key}`,
          ...shape(member, `${prefix}${prefix === '' ? '' : '.'}${key}`),
        ],
  );
}

interface Calls {
  readonly sts: STSClient;
  readonly organizations: OrganizationsClient;
}

async function answers(
  { sts, organizations }: Calls,
  roleArn: string,
  rootId: string,
): Promise<Record<string, unknown>> {
  return {
    GetCallerIdentity: await sts.send(new GetCallerIdentityCommand({})),
    AssumeRole: await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'cross-check' })),
    ListAccounts: await organizations.send(new ListAccountsCommand({})),
    ListRoots: await organizations.send(new ListRootsCommand({})),
    ListOrganizationalUnitsForParent: await organizations.send(
      new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }),
    ),
  };
}

function clients(url: string): Calls {
  return {
    sts: new STSClient({ region: 'us-east-1', endpoint: url, credentials: CREDENTIALS, maxAttempts: 1 }),
    organizations: new OrganizationsClient({
      region: 'us-east-1',
      endpoint: url,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    }),
  };
}

async function main(): Promise<number> {
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    process.stdout.write(
      'moto server is not installed (pip install "moto[server]>=5"); nothing to cross-check\n',
    );
    return 0;
  }
  const port = await freePort();
  const moto: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    detached: true,
  });
  const emulator = await startEmulator({
    organization: {
      organization: { managementAccount: MANAGEMENT },
      accounts: [
        { id: MANAGEMENT, name: 'management' },
        { id: '210987654321', name: 'member' },
      ],
      organizationalUnits: [{ name: 'Workloads' }],
      roles: [{ account: '210987654321', name: 'Member', trustedPrincipals: [MANAGEMENT] }],
    },
  });
  const ours = clients(emulator.url);
  const theirs = clients(`http://127.0.0.1:${port}`);
  try {
    await waitUntilUp(`http://127.0.0.1:${port}`);
    // moto needs its organisation made through the API; it trusts any AssumeRole.
    await theirs.organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    await theirs.organizations.send(
      new CreateAccountCommand({ AccountName: 'member', Email: 'member@example.com' }),
    );
    const motoRoots = await theirs.organizations.send(new ListRootsCommand({}));
    await theirs.organizations.send(
      new CreateOrganizationalUnitCommand({ ParentId: motoRoots.Roots?.[0]?.Id ?? '', Name: 'Workloads' }),
    );
    const motoAnswers = await answers(
      theirs,
      'arn:aws:iam::210987654321:role/Member',
      motoRoots.Roots?.[0]?.Id ?? '',
    );
    const ourAnswers = await answers(ours, 'arn:aws:iam::210987654321:role/Member', 'r-emu0');
    let missing = 0;
    for (const [operation, motoAnswer] of Object.entries(motoAnswers)) {
      const ourShape = new Set(shape(ourAnswers[operation]));
      const motoShape = new Set(shape(motoAnswer));
      const lacking = [...motoShape].filter(
        (member) => !ourShape.has(member) && !KNOWN_ABSENT.has(`${operation} ${member}`),
      );
      const extra = [...ourShape].filter((member) => !motoShape.has(member));
      missing += lacking.length;
      process.stdout.write(
        `${operation.padEnd(34)} ${lacking.length === 0 ? 'ok' : `MISSING ${lacking.join(', ')}`}` +
          `${extra.length === 0 ? '' : ` (emulator also has ${extra.join(', ')})`}\n`,
      );
    }
    return missing === 0 ? 0 : 1;
  } finally {
    for (const client of [ours.sts, ours.organizations, theirs.sts, theirs.organizations]) client.destroy();
    await emulator.stop();
    if (moto.pid !== undefined) process.kill(-moto.pid, 'SIGTERM');
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cross-check: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
