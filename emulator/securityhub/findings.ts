/**
 * Security Hub findings in memory: the store, the string filters and sort of GetFindings, and the checks
 * of the AWS Security Finding Format (ASFF) that BatchImportFindings applies.
 * @see https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_GetFindings.html
 * @see https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_StringFilter.html
 * @see https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format-syntax.html
 */
import { isJsonObject, type JsonObject } from '../core/validate.ts';

/** One stored finding: its ASFF document, as GetFindings returns it, and where it lives. */
export interface StoredFinding {
  readonly id: string;
  readonly productArn: string;
  /** The finding's `AwsAccountId`. */
  readonly account: string;
  /** The Region it was imported in (its `Region`). */
  readonly region: string;
  document: JsonObject;
}

/** A finding's identity in Security Hub: `{Id, ProductArn}`. */
export function findingKey(productArn: string, id: string): string {
  return `${productArn}\u0000${id}`;
}

/** Every finding of the emulator, by identity, in import order. */
export class FindingStore {
  private readonly findings = new Map<string, StoredFinding>();

  get size(): number {
    return this.findings.size;
  }

  get(productArn: string, id: string): StoredFinding | undefined {
    return this.findings.get(findingKey(productArn, id));
  }

  /** Adds a finding or replaces the one with the same identity. */
  put(finding: StoredFinding): void {
    this.findings.set(findingKey(finding.productArn, finding.id), finding);
  }

  list(): StoredFinding[] {
    return [...this.findings.values()];
  }

  clear(): void {
    this.findings.clear();
  }
}

/** A member of a JSON document by path, or undefined. */
export function memberAt(document: JsonObject, ...path: readonly string[]): unknown {
  let value: unknown = document;
  for (const key of path) value = isJsonObject(value) ? value[key] : undefined;
  return value;
}

function text(value: unknown): string[] {
  return typeof value === 'string' ? [value] : [];
}

/** `field` of every object in the list `list` (e.g. every resource's `Id`). */
function eachOf(document: JsonObject, list: string, field: string): string[] {
  const items = document[list];
  if (!Array.isArray(items)) return [];
  return items.flatMap((item) => (isJsonObject(item) ? text(item[field]) : []));
}

/**
 * The string filter fields the emulator evaluates (AwsSecurityFindingFilters), each with the values it
 * reads from a finding; list-valued fields (`ResourceId`, `Type`) give one value per item.
 */
export const STRING_FILTER_FIELDS: Readonly<Record<string, (document: JsonObject) => string[]>> = {
  Id: (document) => text(document.Id),
  ProductArn: (document) => text(document.ProductArn),
  ProductName: (document) => text(document.ProductName),
  CompanyName: (document) => text(document.CompanyName),
  AwsAccountId: (document) => text(document.AwsAccountId),
  AwsAccountName: (document) => text(document.AwsAccountName),
  Region: (document) => text(document.Region),
  GeneratorId: (document) => text(document.GeneratorId),
  Type: (document) => (Array.isArray(document.Types) ? document.Types.flatMap(text) : []),
  Title: (document) => text(document.Title),
  Description: (document) => text(document.Description),
  SeverityLabel: (document) => text(memberAt(document, 'Severity', 'Label')),
  ComplianceStatus: (document) => text(memberAt(document, 'Compliance', 'Status')),
  ComplianceSecurityControlId: (document) => text(memberAt(document, 'Compliance', 'SecurityControlId')),
  ComplianceAssociatedStandardsId: (document) => {
    const standards = memberAt(document, 'Compliance', 'AssociatedStandards');
    if (!Array.isArray(standards)) return [];
    return standards.flatMap((standard) => (isJsonObject(standard) ? text(standard.StandardsId) : []));
  },
  RecordState: (document) => text(document.RecordState),
  WorkflowStatus: (document) => text(memberAt(document, 'Workflow', 'Status')),
  WorkflowState: (document) => text(document.WorkflowState),
  VerificationState: (document) => text(document.VerificationState),
  ResourceType: (document) => eachOf(document, 'Resources', 'Type'),
  ResourceId: (document) => eachOf(document, 'Resources', 'Id'),
  ResourcePartition: (document) => eachOf(document, 'Resources', 'Partition'),
  ResourceRegion: (document) => eachOf(document, 'Resources', 'Region'),
  NoteText: (document) => text(memberAt(document, 'Note', 'Text')),
  NoteUpdatedBy: (document) => text(memberAt(document, 'Note', 'UpdatedBy')),
};

/** Timestamp members GetFindings can sort on (ISO 8601 strings, compared as instants). */
const DATE_SORT_FIELDS = ['CreatedAt', 'UpdatedAt', 'FirstObservedAt', 'LastObservedAt', 'ProcessedAt'];

export const STRING_COMPARISONS = [
  'EQUALS',
  'PREFIX',
  'NOT_EQUALS',
  'PREFIX_NOT_EQUALS',
  'CONTAINS',
  'NOT_CONTAINS',
  'CONTAINS_WORD',
] as const;
export type StringComparison = (typeof STRING_COMPARISONS)[number];

/** One parsed string filter. */
export interface StringFilter {
  readonly value: string;
  readonly comparison: Exclude<StringComparison, 'CONTAINS_WORD'>;
}

/** The filters of one GetFindings request: field → its string filters. */
export type FindingFilters = ReadonlyMap<string, readonly StringFilter[]>;

function isNegative(comparison: StringFilter['comparison']): boolean {
  return comparison === 'NOT_EQUALS' || comparison === 'PREFIX_NOT_EQUALS' || comparison === 'NOT_CONTAINS';
}

function satisfies(value: string, filter: StringFilter): boolean {
  switch (filter.comparison) {
    case 'EQUALS':
    case 'NOT_EQUALS':
      return value === filter.value;
    case 'PREFIX':
    case 'PREFIX_NOT_EQUALS':
      return value.startsWith(filter.value);
    case 'CONTAINS':
    case 'NOT_CONTAINS':
      return value.includes(filter.value);
  }
}

/**
 * True when the finding matches every field's filters: on one field, `EQUALS`, `PREFIX` and `CONTAINS`
 * are joined by OR (one value of the field matching one of them is enough), `NOT_EQUALS`,
 * `PREFIX_NOT_EQUALS` and `NOT_CONTAINS` by AND (no value of the field may match any of them); fields
 * are joined by AND (the StringFilter reference).
 */
export function matchesFilters(document: JsonObject, filters: FindingFilters): boolean {
  for (const [field, list] of filters) {
    const read = STRING_FILTER_FIELDS[field];
    if (read === undefined) return false;
    const values = read(document);
    const positive = list.filter((filter) => !isNegative(filter.comparison));
    if (positive.length > 0 && !values.some((value) => positive.some((filter) => satisfies(value, filter))))
      return false;
    for (const filter of list) {
      if (isNegative(filter.comparison) && values.some((value) => satisfies(value, filter))) return false;
    }
  }
  return true;
}

/** One sort criterion of GetFindings. */
export interface SortCriterion {
  readonly field: string;
  readonly order: 'asc' | 'desc';
}

/** The fields GetFindings sorts on here: the string filter fields and the timestamps. */
export function isSortField(field: string): boolean {
  return field in STRING_FILTER_FIELDS || DATE_SORT_FIELDS.includes(field);
}

/** A finding's position in a listing: its sort values, then its ProductArn and Id (a total order). */
export type SortKey = readonly (string | null)[];

function sortValue(document: JsonObject, field: string): string | null {
  if (DATE_SORT_FIELDS.includes(field)) {
    const value = document[field];
    if (typeof value !== 'string') return null;
    const instant = Date.parse(value);
    // Instants as fixed-width text so that they compare as strings.
    return Number.isNaN(instant) ? null : String(instant).padStart(16, '0');
  }
  return STRING_FILTER_FIELDS[field]?.(document)[0] ?? null;
}

export function sortKeyOf(finding: StoredFinding, criteria: readonly SortCriterion[]): SortKey {
  return [
    ...criteria.map((criterion) => sortValue(finding.document, criterion.field)),
    finding.productArn,
    finding.id,
  ];
}

/** Orders two sort keys: by each criterion (a missing value last), then by ProductArn and Id ascending. */
export function compareSortKeys(a: SortKey, b: SortKey, criteria: readonly SortCriterion[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const left = a[index] ?? null;
    const right = b[index] ?? null;
    if (left === right) continue;
    if (left === null) return 1;
    if (right === null) return -1;
    const order = criteria[index]?.order === 'desc' ? -1 : 1;
    return left < right ? -order : order;
  }
  return 0;
}

/** ISO 8601 as ASFF requires it: a date, a time with optional fraction, and `Z` or an offset. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

export function isTimestamp(value: unknown): boolean {
  return typeof value === 'string' && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

export const SEVERITY_LABELS = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export const WORKFLOW_STATUSES = ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];
export const RECORD_STATES = ['ACTIVE', 'ARCHIVED'] as const;
export const COMPLIANCE_STATUSES = ['PASSED', 'WARNING', 'FAILED', 'NOT_AVAILABLE'] as const;
export const VERIFICATION_STATES = ['UNKNOWN', 'TRUE_POSITIVE', 'FALSE_POSITIVE', 'BENIGN_POSITIVE'] as const;
/** The largest finding Security Hub keeps (BatchUpdateFindings' `FindingSizeExceeded`). */
export const MAX_FINDING_BYTES = 240 * 1024;
/** Most user-defined fields on a finding, and their key and value lengths. */
export const MAX_USER_DEFINED_FIELDS = 50;
export const MAX_USER_DEFINED_KEY = 128;
export const MAX_USER_DEFINED_VALUE = 1024;

/** Why a string is not `length` min..max, or undefined. */
function lengthProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'string') return 'should be string';
  if (value.length < min) return `should NOT be shorter than ${min} characters`;
  if (value.length > max) return `should NOT be longer than ${max} characters`;
  return undefined;
}

function enumProblem(value: unknown, values: readonly string[]): string | undefined {
  return typeof value === 'string' && values.includes(value)
    ? undefined
    : `should be equal to one of the allowed values (${values.join(', ')})`;
}

/** Why a map of user-defined fields (or product fields) is not valid, or undefined. */
export function stringMapProblem(value: unknown): string | undefined {
  if (!isJsonObject(value)) return 'should be object';
  const entries = Object.entries(value);
  if (entries.length > MAX_USER_DEFINED_FIELDS)
    return `should NOT have more than ${MAX_USER_DEFINED_FIELDS} properties`;
  for (const [key, entry] of entries) {
    if (key.length < 1 || key.length > MAX_USER_DEFINED_KEY)
      return `key '${key}' should be 1 to ${MAX_USER_DEFINED_KEY} characters`;
    if (typeof entry !== 'string') return `['${key}'] should be string`;
    if (entry.length > MAX_USER_DEFINED_VALUE)
      return `['${key}'] should NOT be longer than ${MAX_USER_DEFINED_VALUE} characters`;
  }
  return undefined;
}

/**
 * The first ASFF problem of a finding to import, as `data.<member> <problem>` (the wording of Security
 * Hub's `InvalidInput` failures), or undefined. Required top-level members as the user guide lists them:
 * AwsAccountId, CreatedAt, Description, GeneratorId, Id, ProductArn, Resources, SchemaVersion, Severity,
 * Title, Types, UpdatedAt.
 */
export function asffProblem(document: JsonObject): string | undefined {
  const checks: [string, () => string | undefined][] = [
    ['SchemaVersion', () => (document.SchemaVersion === '2018-10-08' ? undefined : "should be '2018-10-08'")],
    ['Id', () => lengthProblem(document.Id, 1, 512)],
    ['ProductArn', () => lengthProblem(document.ProductArn, 1, 2048)],
    ['GeneratorId', () => lengthProblem(document.GeneratorId, 1, 512)],
    [
      'AwsAccountId',
      () =>
        typeof document.AwsAccountId === 'string' && /^\d{12}$/.test(document.AwsAccountId)
          ? undefined
          : 'should match pattern "^\\d{12}$"',
    ],
    [
      'Types',
      () => {
        const types = document.Types;
        if (!Array.isArray(types) || types.length === 0) return 'should NOT have fewer than 1 items';
        if (types.length > 50) return 'should NOT have more than 50 items';
        return types.every((type) => typeof type === 'string' && type.length > 0)
          ? undefined
          : 'should be a list of non-empty strings';
      },
    ],
    ['CreatedAt', () => (isTimestamp(document.CreatedAt) ? undefined : 'should be an ISO 8601 timestamp')],
    ['UpdatedAt', () => (isTimestamp(document.UpdatedAt) ? undefined : 'should be an ISO 8601 timestamp')],
    ['Severity', () => severityProblem(document.Severity)],
    ['Title', () => lengthProblem(document.Title, 1, 256)],
    ['Description', () => lengthProblem(document.Description, 1, 1024)],
    ['Resources', () => resourcesProblem(document.Resources)],
    ...optionalChecks(document),
  ];
  for (const [member, check] of checks) {
    const problem = check();
    if (problem !== undefined) return `data.${member} ${problem}`;
  }
  return undefined;
}

function severityProblem(severity: unknown): string | undefined {
  if (!isJsonObject(severity)) return 'should be object';
  if (severity.Label !== undefined) return enumProblem(severity.Label, SEVERITY_LABELS);
  const normalized = severity.Normalized;
  if (typeof normalized === 'number' && Number.isInteger(normalized) && normalized >= 0 && normalized <= 100)
    return undefined;
  return 'should have Label or Normalized (0-100)';
}

function resourcesProblem(resources: unknown): string | undefined {
  if (!Array.isArray(resources) || resources.length === 0) return 'should NOT have fewer than 1 items';
  if (resources.length > 32) return 'should NOT have more than 32 items';
  for (const [index, resource] of resources.entries()) {
    if (!isJsonObject(resource)) return `[${index}] should be object`;
    const type = lengthProblem(resource.Type, 1, 256);
    if (type !== undefined) return `[${index}].Type ${type}`;
    const id = lengthProblem(resource.Id, 1, 512);
    if (id !== undefined) return `[${index}].Id ${id}`;
  }
  return undefined;
}

/** Checks of the optional members the emulator reads back (filters, workflow, notes). */
function optionalChecks(document: JsonObject): [string, () => string | undefined][] {
  const optional = (member: string, check: (value: unknown) => string | undefined) =>
    [member, () => (document[member] === undefined ? undefined : check(document[member]))] as [
      string,
      () => string | undefined,
    ];
  return [
    optional('Region', (value) => lengthProblem(value, 1, 64)),
    optional('RecordState', (value) => enumProblem(value, RECORD_STATES)),
    optional('VerificationState', (value) => enumProblem(value, VERIFICATION_STATES)),
    optional('Workflow', (value) =>
      isJsonObject(value) && value.Status !== undefined
        ? enumProblem(value.Status, WORKFLOW_STATUSES)
        : undefined,
    ),
    optional('Compliance', (value) => {
      if (!isJsonObject(value)) return 'should be object';
      if (value.Status !== undefined) return enumProblem(value.Status, COMPLIANCE_STATUSES);
      return undefined;
    }),
    optional('UserDefinedFields', stringMapProblem),
    optional('ProductFields', stringMapProblem),
    optional('Note', (value) => {
      if (!isJsonObject(value)) return 'should be object';
      return lengthProblem(value.Text, 1, 512) ?? lengthProblem(value.UpdatedBy, 1, 512);
    }),
  ];
}
