/**
 * Optional cross-check of the emulator against moto's server
 * (https://docs.getmoto.org/en/latest/docs/server_mode.html): `npm run cross-check:moto`.
 * - STS and Organizations: both are called through the same SDK clients; for each call the member names
 *   each answer has are compared.
 * - ECR images: the same scenario (PutImage on immutable, mutable and exclusion-filtered repositories,
 *   DescribeImages paging and tagStatus, BatchGetImage, BatchDeleteImage failures, DeleteRepository of a
 *   non-empty repository) runs on both, and each step's outcome (error code, digests, tags, failure codes)
 *   is compared. Where moto is known to differ from ECR's documentation the step is listed as such.
 * The script exits 1 when moto answers with a member the emulator lacks or an ECR step differs in a way not
 * known. Needs `python3 -m moto.server`; without it the script says so and exits 0 (not part of `npm test`).
 */
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startEmulator } from '../emulator/index.ts';
import { type MotoServer, motoVersion, startMotoServer } from './moto-server.ts';

const CREDENTIALS = { accessKeyId: 'cross-check', secretAccessKey: 'x' };
const MANAGEMENT = '123456789012';

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
    DescribeOrganization: await organizations.send(new DescribeOrganizationCommand({})),
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

function manifest(seed: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 7,
      digest: `sha256:${seed.padEnd(64, '0')}`,
    },
    layers: [],
  });
}

/**
 * Steps where moto 5 is known to answer otherwise than ECR documents: moto refuses an immutable tag
 * overwrite with ImageAlreadyExistsException where ECR answers ImageTagAlreadyExistsException
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html), and matches exclusion
 * filters as regular-expression prefixes where ECR's are WILDCARD filters (`*` is the only wildcard). moto
 * also drops the image a moved tag leaves, where ECR keeps it untagged (what lifecycle rules with
 * `tagStatus: untagged` expire: https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html).
 */
const KNOWN_ECR_DIFFERENCES: Readonly<Record<string, string>> = {
  'PutImage immutable v1 <- m1':
    "moto answers the SHA-256 of the empty string as imageDigest; ECR's is the manifest's (the emulator's)",
  'DescribeImages mutable ANY':
    'moto deletes the image a moved tag leaves (ECR keeps it untagged) and ignores maxResults',
  'DescribeImages mutable TAGGED': 'moto ignores maxResults',
  'DescribeImages mutable UNTAGGED': 'moto ignores filter.tagStatus and maxResults',
  'PutImage immutable v1 <- m2': 'moto: ImageAlreadyExistsException for a blocked overwrite',
  'PutImage excl(latest) latest-1 <- m2': 'moto: filters are regex prefixes (latest matches latest-1)',
  'PutImage mutexcl(release-*) release-1 <- m2': 'moto: ImageAlreadyExistsException for a blocked overwrite',
};

/** Runs the ECR image scenario and returns each step's outcome as text. */
async function ecrScenario(ecr: ECRClient): Promise<Array<[string, string]>> {
  const steps: Array<[string, string]> = [];
  const step = async (name: string, run: () => Promise<string>): Promise<void> => {
    try {
      steps.push([name, await run()]);
    } catch (error) {
      steps.push([name, `error ${error instanceof Error ? error.name : String(error)}`]);
    }
  };
  const put = (repositoryName: string, seed: string, imageTag?: string) =>
    ecr.send(
      new PutImageCommand({
        repositoryName,
        imageManifest: manifest(seed),
        ...(imageTag === undefined ? {} : { imageTag }),
      }),
    );
  const describe = async (repositoryName: string, tagStatus: 'TAGGED' | 'UNTAGGED' | 'ANY') => {
    const tags: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ecr.send(
        new DescribeImagesCommand({
          repositoryName,
          maxResults: 1,
          filter: { tagStatus },
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
      for (const image of page.imageDetails ?? []) tags.push((image.imageTags ?? ['<untagged>']).join('+'));
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken !== undefined && pages < 20);
    return `${tags.sort().join(',')} in ${pages} pages`;
  };
  await ecr.send(
    new CreateRepositoryCommand({ repositoryName: 'immutable', imageTagMutability: 'IMMUTABLE' }),
  );
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'mutable', imageTagMutability: 'MUTABLE' }));
  await step('CreateRepository excl(latest)', async () => {
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'excl',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
      }),
    );
    return 'ok';
  });
  await step('CreateRepository mutexcl(release-*)', async () => {
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'mutexcl',
        imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'release-*', filterType: 'WILDCARD' }],
      }),
    );
    return 'ok';
  });
  await step('PutImage immutable v1 <- m1', async () => {
    const answer = await put('immutable', 'a1', 'v1');
    return `digest ${answer.image?.imageId?.imageDigest}`;
  });
  await step(
    'PutImage immutable v1 <- m2',
    async () => `ok ${(await put('immutable', 'a2', 'v1')).image?.imageId?.imageTag}`,
  );
  await step(
    'PutImage immutable v1 <- m1 again',
    async () => `ok ${(await put('immutable', 'a1', 'v1')).image?.imageId?.imageTag}`,
  );
  await step(
    'PutImage immutable v2 <- m1',
    async () => `ok ${(await put('immutable', 'a1', 'v2')).image?.imageId?.imageTag}`,
  );
  await step('PutImage mutable latest <- m1, m2, m3', async () => {
    for (const seed of ['b1', 'b2', 'b3']) await put('mutable', seed, 'latest');
    await put('mutable', 'b4', 'stable');
    return 'ok';
  });
  await step('DescribeImages mutable ANY', () => describe('mutable', 'ANY'));
  await step('DescribeImages mutable TAGGED', () => describe('mutable', 'TAGGED'));
  await step('DescribeImages mutable UNTAGGED', () => describe('mutable', 'UNTAGGED'));
  await step('PutImage excl(latest) latest <- m2', async () => {
    await put('excl', 'c1', 'latest');
    return `ok ${(await put('excl', 'c2', 'latest')).image?.imageId?.imageTag}`;
  });
  await step('PutImage excl(latest) latest-1 <- m2', async () => {
    await put('excl', 'c3', 'latest-1');
    return `ok ${(await put('excl', 'c4', 'latest-1')).image?.imageId?.imageTag}`;
  });
  await step('PutImage mutexcl(release-*) release-1 <- m2', async () => {
    await put('mutexcl', 'd1', 'release-1');
    return `ok ${(await put('mutexcl', 'd2', 'release-1')).image?.imageId?.imageTag}`;
  });
  await step('PutImage mutexcl(release-*) latest <- m2', async () => {
    await put('mutexcl', 'd3', 'latest');
    return `ok ${(await put('mutexcl', 'd4', 'latest')).image?.imageId?.imageTag}`;
  });
  await step('BatchGetImage mutable stable + missing', async () => {
    const answer = await ecr.send(
      new BatchGetImageCommand({
        repositoryName: 'mutable',
        imageIds: [{ imageTag: 'stable' }, { imageTag: 'missing' }],
      }),
    );
    return `images ${answer.images?.length} failures ${answer.failures?.map((failure) => failure.failureCode).join(',')}`;
  });
  await step('BatchDeleteImage mutable missing tag', async () => {
    const answer = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName: 'mutable', imageIds: [{ imageTag: 'missing' }] }),
    );
    return `deleted ${answer.imageIds?.length} failures ${answer.failures?.map((failure) => failure.failureCode).join(',')}`;
  });
  await step('BatchDeleteImage mutable stable', async () => {
    const answer = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName: 'mutable', imageIds: [{ imageTag: 'stable' }] }),
    );
    return `deleted ${answer.imageIds?.map((id) => id.imageTag).join(',')} failures ${answer.failures?.length}`;
  });
  await step('DeleteRepository mutable (not empty)', async () => {
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'mutable' }));
    return 'ok';
  });
  await step('DeleteRepository mutable force', async () => {
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'mutable', force: true }));
    return 'ok';
  });
  return steps;
}

/** Compares the ECR scenario on both; returns how many steps differ in a way not known. */
async function crossCheckEcr(ourUrl: string, motoUrl: string): Promise<number> {
  const make = (endpoint: string) =>
    new ECRClient({ region: 'us-east-1', endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  const ours = make(ourUrl);
  const theirs = make(motoUrl);
  try {
    const ourSteps = await ecrScenario(ours);
    const motoSteps = new Map(await ecrScenario(theirs));
    let unexpected = 0;
    for (const [name, outcome] of ourSteps) {
      const moto = motoSteps.get(name) ?? '(not run)';
      const known = KNOWN_ECR_DIFFERENCES[name];
      const same = moto === outcome;
      if (!same && known === undefined) unexpected += 1;
      process.stdout.write(
        `${name.padEnd(48)} ${same ? 'same' : known === undefined ? 'DIFFERS' : 'known difference'}: emulator ${outcome}` +
          `${same ? '' : ` | moto ${moto}${known === undefined ? '' : ` (${known})`}`}\n`,
      );
    }
    return unexpected;
  } finally {
    ours.destroy();
    theirs.destroy();
  }
}

async function main(): Promise<number> {
  if (motoVersion() === undefined) {
    process.stdout.write(
      'moto server is not installed (pip install "moto[server]>=5"); nothing to cross-check\n',
    );
    return 0;
  }
  const moto: MotoServer = await startMotoServer();
  try {
    return await crossCheck(moto.url);
  } finally {
    await moto.stop();
  }
}

/** Both answers compared: STS and Organizations by shape, ECR image steps by outcome; 1 when any differs unexpectedly. */
async function crossCheck(motoUrl: string): Promise<number> {
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
  const theirs = clients(motoUrl);
  try {
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
    const ecrDifferences = await crossCheckEcr(emulator.url, motoUrl);
    return missing === 0 && ecrDifferences === 0 ? 0 : 1;
  } finally {
    for (const client of [ours.sts, ours.organizations, theirs.sts, theirs.organizations]) client.destroy();
    await emulator.stop();
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
