/**
 * ECR.2 control findings from the state of a registry, the way the control produces them: Security Hub's
 * control ECR.2 ("ECR private repositories should have tag immutability configured") is fed by the Config
 * rule `ecr-private-tag-immutability-enabled`, which passes a repository at `IMMUTABLE`. One finding per
 * repository under Security Hub's own product ARN, kept across evaluations (same `Id`); a repository that
 * is gone has its finding archived. `IMMUTABLE_WITH_EXCLUSION` is judged by the configured verdict
 * (default FAILED: the rule's documentation names `IMMUTABLE` alone as passing).
 *
 * Workflow as Security Hub sets it: a new FAILED finding is NEW; a finding turning PASSED is RESOLVED
 * (unless SUPPRESSED); turning FAILED again, or coming back from ARCHIVED, resets NOTIFIED or RESOLVED to
 * NEW; SUPPRESSED is never changed by an evaluation.
 * @see https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html#ecr-2
 * @see https://docs.aws.amazon.com/config/latest/developerguide/ecr-private-tag-immutability-enabled.html
 * @see https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Workflow.html
 */
import { createHash } from 'node:crypto';
import { isJsonObject, type JsonObject } from '../core/validate.ts';
import type { ExclusionVerdict } from './config.ts';
import { type FindingStore, memberAt, type StoredFinding } from './findings.ts';

export const ECR2_CONTROL_ID = 'ECR.2';
export const ECR2_GENERATOR_ID = 'security-control/ECR.2';
export const ECR2_TITLE = 'ECR private repositories should have tag immutability configured';
const ECR2_DESCRIPTION =
  'This control checks whether a private ECR repository has tag immutability enabled. This control fails if a private ECR repository has tag immutability disabled. This rule passes if tag immutability is enabled and has the value IMMUTABLE.';
const FSBP = 'standards/aws-foundational-security-best-practices/v/1.0.0';

/** Security Hub's own product ARN in a Region, under which control findings are written. */
export function securityHubProductArn(region: string): string {
  return `arn:${partitionOf(region)}:securityhub:${region}::product/aws/securityhub`;
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** A repository as the generator sees it (the composition root reads them from the ECR store). */
export interface ControlRepository {
  readonly arn: string;
  readonly name: string;
  readonly imageTagMutability: string;
}

/** What one evaluation of an account-region did. */
export interface ControlEvaluation {
  readonly account: string;
  readonly region: string;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly archived: number;
  readonly passed: number;
  readonly failed: number;
}

/** The control's verdict on a repository's setting. */
export function ecr2Status(mutability: string, exclusionVerdict: ExclusionVerdict): 'PASSED' | 'FAILED' {
  if (mutability === 'IMMUTABLE') return 'PASSED';
  if (mutability === 'IMMUTABLE_WITH_EXCLUSION') return exclusionVerdict;
  return 'FAILED';
}

/** A stable finding id per repository (a name-based UUID of its ARN), as the control keeps one finding per resource. */
function findingId(region: string, account: string, repositoryArn: string): string {
  const hex = createHash('sha256').update(repositoryArn).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `arn:${partitionOf(region)}:securityhub:${region}:${account}:${ECR2_GENERATOR_ID}/finding/${uuid}`;
}

function controlFinding(
  repository: ControlRepository,
  account: string,
  region: string,
  status: 'PASSED' | 'FAILED',
  now: string,
): JsonObject {
  return {
    SchemaVersion: '2018-10-08',
    Id: findingId(region, account, repository.arn),
    ProductArn: securityHubProductArn(region),
    ProductName: 'Security Hub CSPM',
    CompanyName: 'AWS',
    Region: region,
    GeneratorId: ECR2_GENERATOR_ID,
    AwsAccountId: account,
    Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    FirstObservedAt: now,
    LastObservedAt: now,
    CreatedAt: now,
    UpdatedAt: now,
    Severity: { Label: 'MEDIUM', Original: 'MEDIUM' },
    Title: ECR2_TITLE,
    Description: ECR2_DESCRIPTION,
    Remediation: {
      Recommendation: {
        Text: 'For information on how to correct this issue, consult the AWS Security Hub CSPM controls documentation.',
        Url: 'https://docs.aws.amazon.com/console/securityhub/ECR.2/remediation',
      },
    },
    ProductFields: {
      'RelatedAWSResources:0/name': 'securityhub-ecr-private-tag-immutability-enabled',
      'RelatedAWSResources:0/type': 'AWS::Config::ConfigRule',
      'aws/securityhub/ProductName': 'Security Hub',
      'aws/securityhub/CompanyName': 'AWS',
    },
    Resources: [
      {
        Type: 'AwsEcrRepository',
        Id: repository.arn,
        Partition: partitionOf(region),
        Region: region,
        Details: {
          AwsEcrRepository: {
            Arn: repository.arn,
            RepositoryName: repository.name,
            ImageTagMutability: repository.imageTagMutability,
          },
        },
      },
    ],
    Compliance: {
      Status: status,
      SecurityControlId: ECR2_CONTROL_ID,
      AssociatedStandards: [{ StandardsId: FSBP }],
    },
    WorkflowState: 'NEW',
    Workflow: { Status: status === 'PASSED' ? 'RESOLVED' : 'NEW' },
    RecordState: 'ACTIVE',
    ProcessedAt: now,
  };
}

/** The workflow status after an evaluation: Security Hub's automatic transitions. */
function nextWorkflow(
  workflow: string,
  wasActive: boolean,
  before: unknown,
  after: 'PASSED' | 'FAILED',
): string {
  if (workflow === 'SUPPRESSED') return workflow;
  if (after === 'PASSED') return before === 'PASSED' && wasActive ? workflow : 'RESOLVED';
  const reset = before === 'PASSED' || !wasActive;
  return reset && (workflow === 'NOTIFIED' || workflow === 'RESOLVED') ? 'NEW' : workflow;
}

/** Re-evaluates an existing finding; returns whether anything changed. */
function reevaluate(
  stored: StoredFinding,
  repository: ControlRepository,
  status: 'PASSED' | 'FAILED',
  now: string,
): boolean {
  const document = stored.document;
  const before = memberAt(document, 'Compliance', 'Status');
  const wasActive = document.RecordState === 'ACTIVE';
  const workflow = String(memberAt(document, 'Workflow', 'Status') ?? 'NEW');
  const resource = Array.isArray(document.Resources) ? document.Resources[0] : undefined;
  const recorded = isJsonObject(resource)
    ? memberAt(resource, 'Details', 'AwsEcrRepository', 'ImageTagMutability')
    : undefined;
  if (before === status && wasActive && recorded === repository.imageTagMutability) return false;
  const fresh = controlFinding(repository, stored.account, stored.region, status, now);
  stored.document = {
    ...document,
    Resources: fresh.Resources,
    Compliance: { ...(isJsonObject(document.Compliance) ? document.Compliance : {}), Status: status },
    RecordState: 'ACTIVE',
    Workflow: { Status: nextWorkflow(workflow, wasActive, before, status) },
    LastObservedAt: now,
    UpdatedAt: now,
    ProcessedAt: now,
  };
  return true;
}

/**
 * Evaluates every repository of one account-region against ECR.2 and writes the findings into `store`:
 * new repositories get a finding, changed ones an updated one, and findings of repositories that are gone
 * are archived.
 */
export function evaluateEcr2(
  store: FindingStore,
  scope: {
    readonly account: string;
    readonly region: string;
    readonly repositories: readonly ControlRepository[];
    readonly nowMs: number;
    readonly exclusionVerdict: ExclusionVerdict;
  },
): ControlEvaluation {
  const { account, region } = scope;
  const now = new Date(scope.nowMs).toISOString();
  const productArn = securityHubProductArn(region);
  const counts = { created: 0, updated: 0, unchanged: 0, archived: 0, passed: 0, failed: 0 };
  const seen = new Set<string>();
  for (const repository of scope.repositories) {
    const status = ecr2Status(repository.imageTagMutability, scope.exclusionVerdict);
    counts[status === 'PASSED' ? 'passed' : 'failed'] += 1;
    const id = findingId(region, account, repository.arn);
    seen.add(id);
    const stored = store.get(productArn, id);
    if (stored === undefined) {
      store.put({
        id,
        productArn,
        account,
        region,
        document: controlFinding(repository, account, region, status, now),
      });
      counts.created += 1;
    } else if (reevaluate(stored, repository, status, now)) counts.updated += 1;
    else counts.unchanged += 1;
  }
  for (const stored of store.list()) {
    const mine =
      stored.account === account &&
      stored.region === region &&
      stored.productArn === productArn &&
      stored.document.GeneratorId === ECR2_GENERATOR_ID;
    if (!mine || seen.has(stored.id) || stored.document.RecordState === 'ARCHIVED') continue;
    stored.document = { ...stored.document, RecordState: 'ARCHIVED', UpdatedAt: now, ProcessedAt: now };
    counts.archived += 1;
  }
  return { account, region, ...counts };
}
