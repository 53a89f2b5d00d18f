/**
 * The emulator's Security Hub through the real `@aws-sdk/client-securityhub`: ECR.2 control findings
 * evaluated from the registries, GetFindings' string filters and paging, BatchUpdateFindings with the
 * administrator/member relation, BatchImportFindings' ASFF checks, faults and stats.
 */
import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandInput,
  GetFindingsCommand,
  type GetFindingsCommandInput,
  type SecurityHubClient,
  SecurityHubServiceException,
} from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OrganizationSeed } from '../../emulator/index.ts';
import {
  type ClientCredentials,
  securityHubClient,
  startTestEmulator,
  type TestEmulator,
} from './helpers.ts';

const MANAGEMENT = '111111111111';
const ADMIN = '222222222222';
const MEMBER = '333333333333';
const OTHER_MEMBER = '444444444444';
const OUTSIDER = '555555555555';
const REGION = 'eu-west-1';
const EAST = 'us-east-1';
const NOW = Date.parse('2026-06-01T12:00:00Z');
const HUB_PRODUCT = `arn:aws:securityhub:${REGION}::product/aws/securityhub`;
const key = (account: string): ClientCredentials => ({ accessKeyId: `key-${account}`, secretAccessKey: 'x' });
const repositoryArn = (account: string, name: string, region = REGION) =>
  `arn:aws:ecr:${region}:${account}:repository/${name}`;

const ORGANISATION: OrganizationSeed = {
  organization: { managementAccount: MANAGEMENT, delegatedAdministrators: [ADMIN] },
  accounts: [MANAGEMENT, ADMIN, MEMBER, OTHER_MEMBER].map((id) => ({
    id,
    name: `account-${id.slice(0, 1)}`,
    accessKeyIds: [`key-${id}`],
  })),
};

let emulator: TestEmulator;
let now = NOW;
const clients: SecurityHubClient[] = [];

function hub(account: string, region = REGION): SecurityHubClient {
  const client = securityHubClient(emulator.url, { region, credentials: key(account) });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  emulator = await startTestEmulator({
    organization: ORGANISATION,
    accounts: { [`key-${OUTSIDER}`]: OUTSIDER },
    now: () => now,
  });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await emulator.stop();
});

/** Seeds the member registries of the fixture and evaluates ECR.2 over them. */
async function seedRegistries(): Promise<void> {
  await emulator.admin.seed({
    account: MEMBER,
    region: REGION,
    repositories: [
      { name: 'app', imageTagMutability: 'MUTABLE' },
      { name: 'api', imageTagMutability: 'IMMUTABLE' },
      {
        name: 'web',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
      },
      {
        name: 'legacy',
        imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'v*', filterType: 'WILDCARD' }],
      },
    ],
  });
  await emulator.admin.seed({ account: OTHER_MEMBER, region: REGION, repositories: [{ name: 'tool' }] });
  await emulator.admin.seed({ account: MEMBER, region: EAST, repositories: [{ name: 'east' }] });
  await emulator.admin.evaluateControlFindings();
}

/** Every finding GetFindings returns for `input`, all pages, and how many pages it took. */
async function allFindings(
  client: SecurityHubClient,
  input: GetFindingsCommandInput = {},
): Promise<{ findings: AwsSecurityFinding[]; pages: number }> {
  const findings: AwsSecurityFinding[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new GetFindingsCommand({ ...input, NextToken: token }));
    pages += 1;
    findings.push(...(page.Findings ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return { findings, pages };
}

/** The repository names of findings (the last segment of the resource ARN), sorted. */
function repositoriesOf(findings: readonly AwsSecurityFinding[]): string[] {
  return findings.map((finding) => finding.Resources?.[0]?.Id?.split('/').at(-1) ?? '?').sort();
}

async function findingOf(client: SecurityHubClient, repository: string, account = MEMBER, region = REGION) {
  const { findings } = await allFindings(client, {
    Filters: { ResourceId: [{ Value: repositoryArn(account, repository, region), Comparison: 'EQUALS' }] },
  });
  const [finding] = findings;
  if (finding === undefined || findings.length !== 1) throw new Error(`no single finding for ${repository}`);
  return finding;
}

async function failureOf(
  call: Promise<unknown>,
): Promise<{ code: string; status: number | undefined; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof SecurityHubServiceException)
      return { code: error.name, status: error.$metadata.httpStatusCode, message: error.message };
    throw error;
  }
  throw new Error('the call succeeded');
}

const identifier = (finding: AwsSecurityFinding) => ({ Id: finding.Id, ProductArn: finding.ProductArn });

beforeEach(async () => {
  now = NOW;
  await emulator.admin.reset();
  await emulator.admin.clearFaults();
  await emulator.admin.configureSecurityHub({});
  await seedRegistries();
});

describe('ECR.2 control findings evaluated from the registries', () => {
  it.each([
    ['app', 'MUTABLE', 'FAILED', 'NEW'],
    ['api', 'IMMUTABLE', 'PASSED', 'RESOLVED'],
    ['web', 'IMMUTABLE_WITH_EXCLUSION', 'FAILED', 'NEW'],
    ['legacy', 'MUTABLE_WITH_EXCLUSION', 'FAILED', 'NEW'],
  ])('judges %s at %s %s (workflow %s)', async (name, mutability, status, workflow) => {
    const finding = await findingOf(hub(MEMBER), name);
    expect(finding).toMatchObject({
      ProductArn: HUB_PRODUCT,
      GeneratorId: 'security-control/ECR.2',
      AwsAccountId: MEMBER,
      Region: REGION,
      RecordState: 'ACTIVE',
      Compliance: { Status: status, SecurityControlId: 'ECR.2' },
      Workflow: { Status: workflow },
      Resources: [
        {
          Type: 'AwsEcrRepository',
          Id: repositoryArn(MEMBER, name),
          Details: { AwsEcrRepository: { RepositoryName: name, ImageTagMutability: mutability } },
        },
      ],
    });
    expect(finding.Id).toMatch(
      /^arn:aws:securityhub:eu-west-1:333333333333:security-control\/ECR\.2\/finding\//,
    );
  });

  it('judges IMMUTABLE_WITH_EXCLUSION PASSED when configured so', async () => {
    await emulator.admin.configureSecurityHub({ immutableWithExclusion: 'PASSED' });
    const [evaluation] = await emulator.admin.evaluateControlFindings({ account: MEMBER, region: REGION });
    expect(evaluation).toMatchObject({ updated: 1, unchanged: 3, passed: 2, failed: 2 });
    expect((await findingOf(hub(MEMBER), 'web')).Compliance?.Status).toBe('PASSED');
  });

  it('keeps one finding per repository across evaluations and archives the finding of a deleted repository', async () => {
    const before = await findingOf(hub(MEMBER), 'app');
    now += 60_000;
    await emulator.admin.seed({
      account: MEMBER,
      region: REGION,
      repositories: [{ name: 'app', imageTagMutability: 'IMMUTABLE' }],
    });
    emulator.emulator.state.store.registry(MEMBER, REGION).remove('legacy');
    const [evaluation] = await emulator.admin.evaluateControlFindings({ account: MEMBER, region: REGION });
    expect(evaluation).toMatchObject({ created: 0, updated: 1, unchanged: 2, archived: 1 });
    const after = await findingOf(hub(MEMBER), 'app');
    expect(after.Id).toBe(before.Id);
    expect(after).toMatchObject({
      Compliance: { Status: 'PASSED' },
      Workflow: { Status: 'RESOLVED' },
      CreatedAt: before.CreatedAt,
    });
    expect(after.UpdatedAt).toBe(new Date(now).toISOString());
    expect((await findingOf(hub(MEMBER), 'legacy')).RecordState).toBe('ARCHIVED');
  });

  it('sets a finding that fails again back to NEW, and never changes a SUPPRESSED one', async () => {
    const client = hub(MEMBER);
    const web = await findingOf(client, 'web');
    await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [identifier(web)],
        Workflow: { Status: 'SUPPRESSED' },
      }),
    );
    await emulator.admin.seed({
      account: MEMBER,
      region: REGION,
      repositories: [
        { name: 'api', imageTagMutability: 'MUTABLE' },
        { name: 'web', imageTagMutability: 'IMMUTABLE' },
      ],
    });
    await emulator.admin.evaluateControlFindings({ account: MEMBER, region: REGION });
    expect(await findingOf(client, 'api')).toMatchObject({
      Compliance: { Status: 'FAILED' },
      Workflow: { Status: 'NEW' },
    });
    expect(await findingOf(client, 'web')).toMatchObject({
      Compliance: { Status: 'PASSED' },
      Workflow: { Status: 'SUPPRESSED' },
    });
  });
});

describe('GetFindings', () => {
  const arn = (name: string) => repositoryArn(MEMBER, name);
  const cases: [string, AwsSecurityFindingFilters, string[]][] = [
    [
      'ComplianceSecurityControlId EQUALS',
      { ComplianceSecurityControlId: [{ Value: 'ECR.2', Comparison: 'EQUALS' }] },
      ['api', 'app', 'legacy', 'web'],
    ],
    [
      'ProductArn EQUALS',
      { ProductArn: [{ Value: HUB_PRODUCT, Comparison: 'EQUALS' }] },
      ['api', 'app', 'legacy', 'web'],
    ],
    [
      'ResourceType EQUALS',
      { ResourceType: [{ Value: 'AwsEcrRepository', Comparison: 'EQUALS' }] },
      ['api', 'app', 'legacy', 'web'],
    ],
    [
      'ResourceId EQUALS joined by OR',
      {
        ResourceId: [
          { Value: arn('app'), Comparison: 'EQUALS' },
          { Value: arn('web'), Comparison: 'EQUALS' },
        ],
      },
      ['app', 'web'],
    ],
    ['ResourceId PREFIX', { ResourceId: [{ Value: arn('a'), Comparison: 'PREFIX' }] }, ['api', 'app']],
    [
      'ResourceId NOT_EQUALS',
      { ResourceId: [{ Value: arn('app'), Comparison: 'NOT_EQUALS' }] },
      ['api', 'legacy', 'web'],
    ],
    [
      'ResourceId PREFIX_NOT_EQUALS',
      { ResourceId: [{ Value: arn('a'), Comparison: 'PREFIX_NOT_EQUALS' }] },
      ['legacy', 'web'],
    ],
    [
      'ResourceId PREFIX then NOT_EQUALS',
      {
        ResourceId: [
          { Value: arn('a'), Comparison: 'PREFIX' },
          { Value: arn('app'), Comparison: 'NOT_EQUALS' },
        ],
      },
      ['api'],
    ],
    [
      'ComplianceStatus EQUALS FAILED',
      { ComplianceStatus: [{ Value: 'FAILED', Comparison: 'EQUALS' }] },
      ['app', 'legacy', 'web'],
    ],
    [
      'WorkflowStatus EQUALS RESOLVED',
      { WorkflowStatus: [{ Value: 'RESOLVED', Comparison: 'EQUALS' }] },
      ['api'],
    ],
    ['RecordState EQUALS ARCHIVED', { RecordState: [{ Value: 'ARCHIVED', Comparison: 'EQUALS' }] }, []],
    [
      'AwsAccountId EQUALS the caller',
      { AwsAccountId: [{ Value: MEMBER, Comparison: 'EQUALS' }] },
      ['api', 'app', 'legacy', 'web'],
    ],
    [
      'AwsAccountId EQUALS another account',
      { AwsAccountId: [{ Value: OTHER_MEMBER, Comparison: 'EQUALS' }] },
      [],
    ],
    ['Region EQUALS another Region', { Region: [{ Value: EAST, Comparison: 'EQUALS' }] }, []],
    [
      'Title CONTAINS',
      { Title: [{ Value: 'tag immutability', Comparison: 'CONTAINS' }] },
      ['api', 'app', 'legacy', 'web'],
    ],
    [
      'two fields joined by AND',
      {
        ComplianceStatus: [{ Value: 'FAILED', Comparison: 'EQUALS' }],
        ResourceId: [{ Value: arn('a'), Comparison: 'PREFIX' }],
      },
      ['app'],
    ],
  ];
  it.each(cases)('filters on %s', async (_name, filters, expected) => {
    expect(repositoriesOf((await allFindings(hub(MEMBER), { Filters: filters })).findings)).toEqual(expected);
  });

  const refused: [string, GetFindingsCommandInput][] = [
    ['MaxResults 0', { MaxResults: 0 }],
    ['MaxResults 101', { MaxResults: 101 }],
    [
      'EQUALS with NOT_EQUALS on one field',
      {
        Filters: {
          Id: [
            { Value: 'a', Comparison: 'EQUALS' },
            { Value: 'b', Comparison: 'NOT_EQUALS' },
          ],
        },
      },
    ],
    [
      'CONTAINS with PREFIX on one field',
      {
        Filters: {
          Title: [
            { Value: 'a', Comparison: 'CONTAINS' },
            { Value: 'b', Comparison: 'PREFIX' },
          ],
        },
      },
    ],
    [
      'CONTAINS_WORD (a V2 comparison)',
      { Filters: { Title: [{ Value: 'a', Comparison: 'CONTAINS_WORD' }] } },
    ],
    ['a filter without Comparison', { Filters: { Title: [{ Value: 'a' }] } }],
    [
      '21 values on one field',
      {
        Filters: {
          Id: Array.from({ length: 21 }, (_, index) => ({
            Value: `f${index}`,
            Comparison: 'EQUALS' as const,
          })),
        },
      },
    ],
    [
      '11 filtered attributes',
      {
        Filters: Object.fromEntries(
          [
            'Id',
            'ProductArn',
            'AwsAccountId',
            'Region',
            'GeneratorId',
            'Title',
            'Description',
            'RecordState',
            'WorkflowStatus',
            'ResourceId',
            'ResourceType',
          ].map((field) => [field, [{ Value: 'x', Comparison: 'PREFIX' }]]),
        ),
      },
    ],
    [
      'a date filter the emulator does not evaluate',
      { Filters: { UpdatedAt: [{ DateRange: { Value: 1, Unit: 'DAYS' } }] } },
    ],
    ['an unknown sort field', { SortCriteria: [{ Field: 'Nonsense', SortOrder: 'asc' }] }],
    ['a forged NextToken', { NextToken: 'e30.AAAAAAAAAAAAAAAAAAAAAA' }],
  ];
  it.each(refused)('refuses %s with InvalidInputException', async (_name, input) => {
    expect(await failureOf(hub(MEMBER).send(new GetFindingsCommand(input)))).toMatchObject({
      code: 'InvalidInputException',
      status: 400,
    });
  });

  describe('paging over 250 findings', () => {
    beforeEach(async () => {
      await emulator.admin.seed({
        account: MEMBER,
        region: REGION,
        generate: { count: 246, prefix: 'gen', mutableEvery: 3 },
      });
      await emulator.admin.evaluateControlFindings({ account: MEMBER, region: REGION });
    });

    it.each([7, 100])('returns every finding exactly once in pages of at most %i', async (size) => {
      const client = hub(MEMBER);
      const { findings, pages } = await allFindings(client, { MaxResults: size });
      expect(findings).toHaveLength(250);
      expect(new Set(findings.map((finding) => finding.Id)).size).toBe(250);
      expect(pages).toBe(Math.ceil(250 / size));
    });

    it.each(['asc', 'desc'] as const)('sorts by ResourceId %s across pages', async (order) => {
      const { findings } = await allFindings(hub(MEMBER), {
        MaxResults: 30,
        SortCriteria: [{ Field: 'ResourceId', SortOrder: order }],
      });
      const ids = findings.map((finding) => finding.Resources?.[0]?.Id ?? '');
      const sorted = [...ids].sort();
      expect(ids).toEqual(order === 'asc' ? sorted : sorted.reverse());
    });

    it('refuses a NextToken issued for other filters', async () => {
      const client = hub(MEMBER);
      const first = await client.send(new GetFindingsCommand({ MaxResults: 10 }));
      const other = client.send(
        new GetFindingsCommand({
          MaxResults: 10,
          NextToken: first.NextToken,
          Filters: { RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }] },
        }),
      );
      expect(await failureOf(other)).toMatchObject({ code: 'InvalidInputException' });
    });
  });
});

describe('BatchUpdateFindings', () => {
  it('suppresses with a note, merges user-defined fields and leaves UpdatedAt alone', async () => {
    const client = hub(MEMBER);
    const app = await findingOf(client, 'app');
    await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [identifier(app)],
        UserDefinedFields: { owner: 'team-a' },
      }),
    );
    now += 5_000;
    const answer = await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [identifier(app)],
        Workflow: { Status: 'SUPPRESSED' },
        Note: { Text: 'exempt under rule exempt-name', UpdatedBy: 'ecr-immutability-guard' },
        UserDefinedFields: { 'ecr-guard': 'suppressed' },
      }),
    );
    expect(answer).toMatchObject({ ProcessedFindings: [identifier(app)], UnprocessedFindings: [] });
    expect(await findingOf(client, 'app')).toMatchObject({
      Workflow: { Status: 'SUPPRESSED' },
      Note: {
        Text: 'exempt under rule exempt-name',
        UpdatedBy: 'ecr-immutability-guard',
        UpdatedAt: new Date(now).toISOString(),
      },
      UserDefinedFields: { owner: 'team-a', 'ecr-guard': 'suppressed' },
      UpdatedAt: app.UpdatedAt,
    });
  });

  it('answers FindingNotFound for unknown and foreign findings and DuplicatedFindingIdentifier for repeats', async () => {
    const app = await findingOf(hub(MEMBER), 'app');
    const foreign = await findingOf(hub(OTHER_MEMBER), 'tool', OTHER_MEMBER);
    const api = await findingOf(hub(MEMBER), 'api');
    const answer = await hub(MEMBER).send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [
          identifier(app),
          { Id: 'no-such-finding', ProductArn: HUB_PRODUCT },
          identifier(foreign),
          identifier(api),
          identifier(api),
        ],
        Workflow: { Status: 'NOTIFIED' },
      }),
    );
    expect(answer.ProcessedFindings).toEqual([identifier(app)]);
    expect(
      answer.UnprocessedFindings?.map((entry) => [
        entry.FindingIdentifier?.Id,
        entry.ErrorCode,
        entry.ErrorMessage,
      ]),
    ).toEqual([
      ['no-such-finding', 'FindingNotFound', 'Finding Not Found'],
      [foreign.Id, 'FindingNotFound', 'Finding Not Found'],
      [api.Id, 'DuplicatedFindingIdentifier', 'Finding Identifier is duplicated'],
      [api.Id, 'DuplicatedFindingIdentifier', 'Finding Identifier is duplicated'],
    ]);
    expect((await findingOf(hub(OTHER_MEMBER), 'tool', OTHER_MEMBER)).Workflow?.Status).toBe('NEW');
  });

  const one = { Id: 'x', ProductArn: HUB_PRODUCT };
  const refused: [string, BatchUpdateFindingsCommandInput][] = [
    [
      '101 findings',
      {
        FindingIdentifiers: Array.from({ length: 101 }, (_, index) => ({
          Id: `f${index}`,
          ProductArn: HUB_PRODUCT,
        })),
        Workflow: { Status: 'NEW' },
      },
    ],
    ['no findings', { FindingIdentifiers: [], Workflow: { Status: 'NEW' } }],
    ['nothing to update', { FindingIdentifiers: [one] }],
    [
      'a note of 513 characters',
      { FindingIdentifiers: [one], Note: { Text: 'n'.repeat(513), UpdatedBy: 'me' } },
    ],
    ['a note without UpdatedBy', { FindingIdentifiers: [one], Note: { Text: 'n', UpdatedBy: undefined } }],
    ['an unknown workflow status', { FindingIdentifiers: [one], Workflow: { Status: 'CLOSED' as 'NEW' } }],
    [
      '51 user-defined fields',
      {
        FindingIdentifiers: [one],
        UserDefinedFields: Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`k${index}`, 'v'])),
      },
    ],
    [
      'a user-defined key of 129 characters',
      { FindingIdentifiers: [one], UserDefinedFields: { ['k'.repeat(129)]: 'v' } },
    ],
    ['a confidence of 101', { FindingIdentifiers: [one], Confidence: 101 }],
  ];
  it.each(refused)('refuses %s with InvalidInputException', async (_name, input) => {
    expect(await failureOf(hub(MEMBER).send(new BatchUpdateFindingsCommand(input)))).toMatchObject({
      code: 'InvalidInputException',
      status: 400,
    });
  });

  it('lets the administrator see and update its members’ findings, and nobody else', async () => {
    const admin = hub(ADMIN);
    const { findings } = await allFindings(admin);
    expect(repositoriesOf(findings)).toEqual(['api', 'app', 'legacy', 'tool', 'web']);
    const tool = await findingOf(admin, 'tool', OTHER_MEMBER);
    const answer = await admin.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [identifier(tool)],
        Workflow: { Status: 'SUPPRESSED' },
      }),
    );
    expect(answer.ProcessedFindings).toEqual([identifier(tool)]);
    expect((await findingOf(hub(OTHER_MEMBER), 'tool', OTHER_MEMBER)).Workflow?.Status).toBe('SUPPRESSED');
    expect((await allFindings(hub(OUTSIDER))).findings).toEqual([]);
    expect((await allFindings(hub(OTHER_MEMBER))).findings.map((finding) => finding.AwsAccountId)).toEqual([
      OTHER_MEMBER,
    ]);
  });

  it('follows a configured administrator and member list instead of the organisation', async () => {
    await emulator.admin.configureSecurityHub({ administrator: OUTSIDER, members: [OTHER_MEMBER] });
    expect(repositoriesOf((await allFindings(hub(OUTSIDER))).findings)).toEqual(['tool']);
    expect((await allFindings(hub(ADMIN))).findings).toEqual([]);
  });

  it('shows every Region’s findings in the aggregation Region only', async () => {
    await emulator.admin.configureSecurityHub({ aggregationRegion: REGION });
    expect(repositoriesOf((await allFindings(hub(ADMIN, REGION))).findings)).toEqual([
      'api',
      'app',
      'east',
      'legacy',
      'tool',
      'web',
    ]);
    expect(repositoriesOf((await allFindings(hub(ADMIN, EAST))).findings)).toEqual(['east']);
    const east = await findingOf(hub(ADMIN, REGION), 'east', MEMBER, EAST);
    const answer = await hub(ADMIN, REGION).send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [identifier(east)],
        Workflow: { Status: 'NOTIFIED' },
      }),
    );
    expect(answer.ProcessedFindings).toHaveLength(1);
  });
});

describe('BatchImportFindings', () => {
  function asff(overrides: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
    const at = new Date(NOW).toISOString();
    return {
      SchemaVersion: '2018-10-08',
      Id: 'imported-1',
      ProductArn: HUB_PRODUCT,
      GeneratorId: 'security-control/ECR.2',
      AwsAccountId: MEMBER,
      Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
      CreatedAt: at,
      UpdatedAt: at,
      Severity: { Label: 'MEDIUM' },
      Title: 'ECR private repositories should have tag immutability configured',
      Description: 'seeded',
      Resources: [{ Type: 'AwsEcrRepository', Id: repositoryArn(MEMBER, 'imported') }],
      Compliance: { Status: 'FAILED', SecurityControlId: 'ECR.2' },
      ...overrides,
    };
  }

  it('imports under Security Hub’s own product and the account’s default product', async () => {
    const client = hub(MEMBER);
    const own = `arn:aws:securityhub:${REGION}:${MEMBER}:product/${MEMBER}/default`;
    const answer = await client.send(
      new BatchImportFindingsCommand({
        Findings: [
          asff(),
          asff({
            Id: 'imported-2',
            ProductArn: own,
            Resources: [{ Type: 'AwsEcrRepository', Id: repositoryArn(MEMBER, 'own') }],
          }),
        ],
      }),
    );
    expect(answer).toMatchObject({ SuccessCount: 2, FailedCount: 0, FailedFindings: [] });
    for (const [name, productArn] of [
      ['imported', HUB_PRODUCT],
      ['own', own],
    ]) {
      expect(await findingOf(client, name ?? '')).toMatchObject({
        ProductArn: productArn,
        Workflow: { Status: 'NEW' },
        RecordState: 'ACTIVE',
        Region: REGION,
      });
    }
  });

  const failures: [string, Partial<AwsSecurityFinding>, string, RegExp][] = [
    [
      'another account’s finding',
      { AwsAccountId: OTHER_MEMBER },
      'AccessDeniedException',
      /not authorized to import findings for account 444444444444/,
    ],
    [
      'another product',
      { ProductArn: `arn:aws:securityhub:${REGION}::product/other/product` },
      'AccessDeniedException',
      /into product/,
    ],
    ['no title', { Title: undefined }, 'InvalidInput', /data\.Title/],
    ['no resources', { Resources: [] }, 'InvalidInput', /data\.Resources should NOT have fewer than 1 items/],
    ['a timestamp that is not ISO 8601', { UpdatedAt: 'yesterday' }, 'InvalidInput', /data\.UpdatedAt/],
    ['another Region', { Region: EAST }, 'InvalidInput', /data\.Region should be eu-west-1/],
    [
      'an unknown compliance status',
      { Compliance: { Status: 'BROKEN' as 'FAILED' } },
      'InvalidInput',
      /data\.Compliance/,
    ],
  ];
  it.each(failures)('fails a finding with %s alone', async (_name, overrides, code, message) => {
    const answer = await hub(MEMBER).send(
      new BatchImportFindingsCommand({ Findings: [asff({ Id: 'good' }), asff({ Id: 'bad', ...overrides })] }),
    );
    expect(answer).toMatchObject({ SuccessCount: 1, FailedCount: 1 });
    expect(answer.FailedFindings?.[0]).toMatchObject({ Id: 'bad', ErrorCode: code });
    expect(answer.FailedFindings?.[0]?.ErrorMessage).toMatch(message);
  });

  it.each([0, 101])('refuses a request of %i findings with InvalidInputException', async (count) => {
    const findings = Array.from({ length: count }, (_, index) => asff({ Id: `f${index}` }));
    expect(
      await failureOf(hub(MEMBER).send(new BatchImportFindingsCommand({ Findings: findings }))),
    ).toMatchObject({ code: 'InvalidInputException' });
  });

  it('keeps the workflow, note and user-defined fields a customer set when the provider imports again', async () => {
    const client = hub(MEMBER);
    await client.send(new BatchImportFindingsCommand({ Findings: [asff()] }));
    await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: 'imported-1', ProductArn: HUB_PRODUCT }],
        Workflow: { Status: 'SUPPRESSED' },
        Note: { Text: 'kept', UpdatedBy: 'me' },
        UserDefinedFields: { mark: 'x' },
      }),
    );
    await client.send(
      new BatchImportFindingsCommand({
        Findings: [
          asff({
            Description: 'again',
            Workflow: { Status: 'NEW' },
            Note: { Text: 'provider', UpdatedBy: 'p', UpdatedAt: new Date(NOW).toISOString() },
          }),
        ],
      }),
    );
    expect(await findingOf(client, 'imported')).toMatchObject({
      Description: 'again',
      Workflow: { Status: 'SUPPRESSED' },
      Note: { Text: 'kept' },
      UserDefinedFields: { mark: 'x' },
    });
  });
});

describe('faults, stats and control routes', () => {
  it('throttles with 429 TooManyRequestsException, which the SDK retries', async () => {
    await emulator.admin.faults({ GetFindings: { throttle: { probability: 1 } } });
    expect(await failureOf(hub(MEMBER).send(new GetFindingsCommand({})))).toMatchObject({
      code: 'TooManyRequestsException',
      status: 429,
    });
    const retrying = securityHubClient(emulator.url, {
      region: REGION,
      credentials: key(MEMBER),
      maxAttempts: 3,
    });
    clients.push(retrying);
    await failureOf(retrying.send(new GetFindingsCommand({})));
    const stats = await emulator.admin.stats({ account: MEMBER, region: REGION });
    expect(stats.operations.GetFindings).toEqual({
      calls: 4,
      ok: 0,
      errors: { TooManyRequestsException: 4 },
    });
  });

  it('answers an injected server fault with 500 InternalException and a denial with 403 AccessDeniedException', async () => {
    await emulator.admin.faults({
      BatchUpdateFindings: { serverErrorProbability: 1 },
      BatchImportFindings: { accessDenied: true },
    });
    const update = hub(MEMBER).send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: 'x', ProductArn: HUB_PRODUCT }],
        Workflow: { Status: 'NEW' },
      }),
    );
    expect(await failureOf(update)).toMatchObject({ code: 'InternalException', status: 500 });
    expect(await failureOf(hub(MEMBER).send(new BatchImportFindingsCommand({ Findings: [] })))).toMatchObject(
      { code: 'AccessDeniedException', status: 403 },
    );
  });

  it('counts calls per operation and account', async () => {
    await allFindings(hub(MEMBER), { MaxResults: 2 });
    await allFindings(hub(OTHER_MEMBER));
    expect((await emulator.admin.stats({ account: MEMBER })).operations.GetFindings?.calls).toBe(2);
    expect((await emulator.admin.stats({ account: OTHER_MEMBER })).operations.GetFindings?.calls).toBe(1);
  });

  it('answers a route it does not serve with 404 UnknownOperationException in the error header', async () => {
    const response = await fetch(`${emulator.url}/findings`, {
      method: 'GET',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=key-${MEMBER}/20260601/${REGION}/securityhub/aws4_request, SignedHeaders=host, Signature=0`,
      },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await response.json()).toMatchObject({
      Code: 'UnknownOperationException',
      Message: expect.stringContaining('GetFindings (POST /findings)'),
    });
  });

  it('lists findings, clears them on reset and keeps the configuration', async () => {
    await emulator.admin.configureSecurityHub({ immutableWithExclusion: 'PASSED' });
    expect((await emulator.admin.findings({ account: MEMBER, region: REGION })).count).toBe(4);
    await emulator.admin.reset();
    expect(await emulator.admin.securityHub()).toEqual({
      administrator: ADMIN,
      immutableWithExclusion: 'PASSED',
      findings: 0,
    });
  });

  it.each([
    [{ administrator: '12' }, /administrator must be a 12-digit account ID/],
    [{ immutableWithExclusion: 'MAYBE' }, /immutableWithExclusion must be FAILED or PASSED/],
    [{ aggregation: 'eu-west-1' }, /aggregation is not a Security Hub setting/],
  ])('refuses the configuration %j, naming the setting', async (settings, message) => {
    await expect(emulator.admin.configureSecurityHub(settings as never)).rejects.toThrow(message);
  });
});
