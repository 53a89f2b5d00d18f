/**
 * AWS Security Hub (CSPM), REST with JSON (signing name `securityhub`): GetFindings (`POST /findings`),
 * BatchUpdateFindings (`PATCH /findings/batchupdate`) and BatchImportFindings (`POST /findings/import`),
 * validated as the API reference documents them. Errors are `{"Code", "Message"}` with the code in
 * `x-amzn-ErrorType`, as restJson1 services send them.
 * @see https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_GetFindings.html
 * @see https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html
 * @see https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html
 * @see https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization
 */
import { createHash } from 'node:crypto';
import type { Directory } from '../core/directory.ts';
import { AwsError } from '../core/errors.ts';
import type { Caller } from '../core/identity.ts';
import type { PageTokens } from '../core/page-token.ts';
import { parseJsonBody } from '../core/protocol.ts';
import type { RestCall, RestReply, RestRequest, RestService } from '../core/service.ts';
import { isJsonObject, type JsonObject } from '../core/validate.ts';
import { type SecurityHubConfig, seesRegion, visibleAccounts } from './config.ts';
import { partitionOf, securityHubProductArn } from './control.ts';
import {
  asffProblem,
  compareSortKeys,
  type FindingFilters,
  type FindingStore,
  findingKey,
  isSortField,
  MAX_FINDING_BYTES,
  matchesFilters,
  memberAt,
  SEVERITY_LABELS,
  type SortCriterion,
  type SortKey,
  STRING_COMPARISONS,
  STRING_FILTER_FIELDS,
  type StoredFinding,
  type StringFilter,
  sortKeyOf,
  stringMapProblem,
  VERIFICATION_STATES,
  WORKFLOW_STATUSES,
} from './findings.ts';

export const SECURITY_HUB_OPERATIONS = ['GetFindings', 'BatchUpdateFindings', 'BatchImportFindings'] as const;
export type SecurityHubOperation = (typeof SECURITY_HUB_OPERATIONS)[number];

const ROUTES: readonly (readonly [string, string, SecurityHubOperation])[] = [
  ['POST', '/findings', 'GetFindings'],
  ['PATCH', '/findings/batchupdate', 'BatchUpdateFindings'],
  ['POST', '/findings/import', 'BatchImportFindings'],
];

/** GetFindings' page size bounds; BatchUpdateFindings' and BatchImportFindings' most findings per call. */
export const MAX_GET_RESULTS = 100;
export const MAX_BATCH_FINDINGS = 100;
/** GetFindings: at most 10 filtered attributes, 20 filter values each (the API reference). */
const MAX_FILTER_FIELDS = 10;
const MAX_FILTER_VALUES = 20;

/** What the Security Hub service runs against. */
export interface SecurityHubServiceState {
  readonly findings: FindingStore;
  readonly tokens: PageTokens;
  directory(): Directory;
  config(): SecurityHubConfig;
}

function invalidInput(message: string): AwsError {
  return new AwsError('InvalidInputException', message, 400);
}

function operationOf(request: RestRequest): SecurityHubOperation {
  const path = request.path.replace(/\/+$/, '') || '/';
  const route = ROUTES.find(([method, route]) => method === request.method && route === path);
  if (route !== undefined) return route[2];
  const served = ROUTES.map(([method, route, name]) => `${name} (${method} ${route})`).join(', ');
  throw new AwsError(
    'UnknownOperationException',
    `The emulator does not serve ${request.method} ${request.path}; it serves Security Hub ${served}`,
    404,
  );
}

/** What a caller may see: its own findings (and its members' as administrator), in its Region or all from the aggregation Region. */
function visibility(state: SecurityHubServiceState, caller: Caller): (finding: StoredFinding) => boolean {
  const config = state.config();
  const accounts = visibleAccounts(caller.account, config, state.directory());
  return (finding) => accounts.has(finding.account) && seesRegion(caller.region, finding.region, config);
}

function readFilters(value: unknown): FindingFilters {
  if (value === undefined || value === null) return new Map();
  if (!isJsonObject(value)) throw invalidInput('Filters must be a structure');
  const fields = Object.entries(value).filter(([, filters]) => filters !== null);
  if (fields.length > MAX_FILTER_FIELDS)
    throw invalidInput(
      `Filters names ${fields.length} attributes; at most ${MAX_FILTER_FIELDS} may be filtered`,
    );
  const parsed = new Map<string, StringFilter[]>();
  for (const [field, list] of fields) {
    if (STRING_FILTER_FIELDS[field] === undefined)
      throw invalidInput(
        `The emulator does not filter on '${field}'; it filters on the string attributes ${Object.keys(STRING_FILTER_FIELDS).join(', ')}`,
      );
    if (!Array.isArray(list) || list.length === 0)
      throw invalidInput(`Filters.${field} must be a non-empty list`);
    if (list.length > MAX_FILTER_VALUES)
      throw invalidInput(
        `Filters.${field} has ${list.length} values; at most ${MAX_FILTER_VALUES} are allowed`,
      );
    parsed.set(
      field,
      list.map((filter, index) => readStringFilter(filter, `Filters.${field}[${index}]`)),
    );
    checkCombination(field, parsed.get(field) ?? []);
  }
  return parsed;
}

function readStringFilter(value: unknown, path: string): StringFilter {
  if (!isJsonObject(value)) throw invalidInput(`${path} must be a StringFilter`);
  const { Value, Comparison } = value;
  if (typeof Value !== 'string') throw invalidInput(`${path}.Value must be a string`);
  const comparison = STRING_COMPARISONS.find((candidate) => candidate === Comparison);
  if (comparison === undefined)
    throw invalidInput(`${path}.Comparison must be one of ${STRING_COMPARISONS.join(', ')}`);
  if (comparison === 'CONTAINS_WORD')
    throw invalidInput(
      `${path}.Comparison CONTAINS_WORD works only in the V2 APIs (GetFindingsV2), not GetFindings`,
    );
  return { value: Value, comparison };
}

/** The combinations the StringFilter reference refuses on one field. */
function checkCombination(field: string, filters: readonly StringFilter[]): void {
  const has = (comparison: StringFilter['comparison']) =>
    filters.some((filter) => filter.comparison === comparison);
  const others = (comparison: StringFilter['comparison']) =>
    filters.some((filter) => filter.comparison !== comparison);
  if (has('EQUALS') && (has('NOT_EQUALS') || has('PREFIX_NOT_EQUALS')))
    throw invalidInput(`Filters.${field}: EQUALS cannot be combined with NOT_EQUALS or PREFIX_NOT_EQUALS`);
  if (has('CONTAINS') && others('CONTAINS'))
    throw invalidInput(`Filters.${field}: CONTAINS filters can only be used with other CONTAINS filters`);
  if (has('NOT_CONTAINS') && others('NOT_CONTAINS'))
    throw invalidInput(
      `Filters.${field}: NOT_CONTAINS filters can only be used with other NOT_CONTAINS filters`,
    );
}

function readSort(value: unknown): SortCriterion[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidInput('SortCriteria must be a list');
  return value.map((criterion, index) => {
    if (!isJsonObject(criterion) || typeof criterion.Field !== 'string')
      throw invalidInput(`SortCriteria[${index}].Field must be a string`);
    if (!isSortField(criterion.Field))
      throw invalidInput(
        `SortCriteria[${index}].Field '${criterion.Field}' is not a field the emulator sorts on`,
      );
    const order = criterion.SortOrder ?? 'asc';
    if (order !== 'asc' && order !== 'desc')
      throw invalidInput(`SortCriteria[${index}].SortOrder must be asc or desc`);
    return { field: criterion.Field, order };
  });
}

function readSortKey(text: string): SortKey | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || !value.every((item) => item === null || typeof item === 'string'))
    return undefined;
  return value;
}

/**
 * One page of the visible findings that match, in sort order (then ProductArn and Id). A page resumes
 * strictly after the last finding it returned, so findings changing between pages are not returned twice.
 */
function getFindings(state: SecurityHubServiceState, caller: Caller, input: JsonObject): JsonObject {
  const max = input.MaxResults ?? MAX_GET_RESULTS;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_GET_RESULTS)
    throw invalidInput(`MaxResults must be a number between 1 and ${MAX_GET_RESULTS}`);
  const filters = readFilters(input.Filters);
  const criteria = readSort(input.SortCriteria);
  const listing = `securityhub:${createHash('sha256')
    .update(JSON.stringify([input.Filters ?? null, input.SortCriteria ?? null]))
    .digest('hex')
    .slice(0, 32)}`;
  let after: SortKey | undefined;
  if (input.NextToken !== undefined && input.NextToken !== null && input.NextToken !== '') {
    if (typeof input.NextToken !== 'string') throw invalidInput('NextToken must be a string');
    const invalid = () => invalidInput('The NextToken is not valid for this request');
    after = readSortKey(
      state.tokens.decode(input.NextToken, caller.account, caller.region, listing, invalid),
    );
    if (after === undefined) throw invalid();
  }
  const visible = visibility(state, caller);
  const keyed = state.findings
    .list()
    .filter((finding) => visible(finding) && matchesFilters(finding.document, filters))
    .map((finding) => ({ key: sortKeyOf(finding, criteria), finding }))
    .sort((a, b) => compareSortKeys(a.key, b.key, criteria));
  const start =
    after === undefined ? 0 : keyed.findIndex(({ key }) => compareSortKeys(key, after, criteria) > 0);
  const rest = start === -1 ? [] : keyed.slice(start);
  const page = rest.slice(0, max);
  const last = page.at(-1);
  return {
    Findings: page.map(({ finding }) => structuredClone(finding.document)),
    ...(rest.length > max && last !== undefined
      ? {
          NextToken: state.tokens.encode({
            account: caller.account,
            region: caller.region,
            after: JSON.stringify(last.key),
            scope: listing,
          }),
        }
      : {}),
  };
}

interface Identifier {
  readonly Id: string;
  readonly ProductArn: string;
}

function readIdentifiers(value: unknown): Identifier[] {
  if (!Array.isArray(value) || value.length === 0)
    throw invalidInput('FindingIdentifiers must be a list of 1 to 100 {Id, ProductArn}');
  if (value.length > MAX_BATCH_FINDINGS)
    throw invalidInput(
      `FindingIdentifiers has ${value.length} findings; BatchUpdateFindings updates up to ${MAX_BATCH_FINDINGS} at a time`,
    );
  return value.map((identifier, index) => {
    if (
      !isJsonObject(identifier) ||
      typeof identifier.Id !== 'string' ||
      typeof identifier.ProductArn !== 'string'
    )
      throw invalidInput(`FindingIdentifiers[${index}] must have the strings Id and ProductArn`);
    return { Id: identifier.Id, ProductArn: identifier.ProductArn };
  });
}

const UPDATE_FIELDS = [
  'Note',
  'Severity',
  'VerificationState',
  'Confidence',
  'Criticality',
  'Types',
  'UserDefinedFields',
  'Workflow',
  'RelatedFindings',
] as const;

function score(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100)
    throw invalidInput(`${field} must be an integer from 0 to 100`);
  return value;
}

/** The members a BatchUpdateFindings request sets, checked; applied to each finding by {@link applyUpdate}. */
function readUpdate(input: JsonObject, now: string): JsonObject {
  const update: JsonObject = {};
  if (!UPDATE_FIELDS.some((field) => input[field] !== undefined && input[field] !== null))
    throw invalidInput(`BatchUpdateFindings needs at least one of ${UPDATE_FIELDS.join(', ')}`);
  const { Note, Workflow, UserDefinedFields, Severity, VerificationState, Types, RelatedFindings } = input;
  if (Note !== undefined && Note !== null) {
    if (!isJsonObject(Note)) throw invalidInput('Note must be {Text, UpdatedBy}');
    for (const member of ['Text', 'UpdatedBy'] as const) {
      const value = Note[member];
      if (typeof value !== 'string' || value.length < 1 || value.length > 512)
        throw invalidInput(`Note.${member} must be a string of 1 to 512 characters`);
    }
    update.Note = { Text: Note.Text, UpdatedBy: Note.UpdatedBy, UpdatedAt: now };
  }
  if (Workflow !== undefined && Workflow !== null) {
    const status = isJsonObject(Workflow) ? Workflow.Status : undefined;
    if (typeof status !== 'string' || !(WORKFLOW_STATUSES as readonly string[]).includes(status))
      throw invalidInput(`Workflow.Status must be one of ${WORKFLOW_STATUSES.join(', ')}`);
    update.Workflow = { Status: status };
  }
  if (UserDefinedFields !== undefined && UserDefinedFields !== null) {
    const problem = stringMapProblem(UserDefinedFields);
    if (problem !== undefined) throw invalidInput(`UserDefinedFields ${problem}`);
    update.UserDefinedFields = UserDefinedFields;
  }
  if (Severity !== undefined && Severity !== null) {
    if (!isJsonObject(Severity)) throw invalidInput('Severity must be {Label?, Normalized?, Product?}');
    if (Severity.Label !== undefined && !(SEVERITY_LABELS as readonly unknown[]).includes(Severity.Label))
      throw invalidInput(`Severity.Label must be one of ${SEVERITY_LABELS.join(', ')}`);
    if (Severity.Normalized !== undefined) score(Severity.Normalized, 'Severity.Normalized');
    update.Severity = Severity;
  }
  if (VerificationState !== undefined && VerificationState !== null) {
    if (!(VERIFICATION_STATES as readonly unknown[]).includes(VerificationState))
      throw invalidInput(`VerificationState must be one of ${VERIFICATION_STATES.join(', ')}`);
    update.VerificationState = VerificationState;
  }
  for (const field of ['Confidence', 'Criticality'] as const) {
    if (input[field] !== undefined && input[field] !== null) update[field] = score(input[field], field);
  }
  if (Types !== undefined && Types !== null) {
    if (!Array.isArray(Types) || !Types.every((type) => typeof type === 'string'))
      throw invalidInput('Types must be a list of strings');
    update.Types = Types;
  }
  if (RelatedFindings !== undefined && RelatedFindings !== null) {
    update.RelatedFindings = readIdentifiers(RelatedFindings);
  }
  return update;
}

/** The finding after an update: user-defined fields are merged key by key, the rest replaced. */
function applyUpdate(document: JsonObject, update: JsonObject): JsonObject {
  const next: JsonObject = { ...document, ...update };
  if (isJsonObject(update.UserDefinedFields)) {
    const current = isJsonObject(document.UserDefinedFields) ? document.UserDefinedFields : {};
    next.UserDefinedFields = { ...current, ...update.UserDefinedFields };
  }
  if (isJsonObject(update.Severity) && isJsonObject(document.Severity))
    next.Severity = { ...document.Severity, ...update.Severity };
  return next;
}

function batchUpdateFindings(state: SecurityHubServiceState, call: RestCall, input: JsonObject): JsonObject {
  const identifiers = readIdentifiers(input.FindingIdentifiers);
  const update = readUpdate(input, new Date(call.nowMs).toISOString());
  const visible = visibility(state, call.caller);
  const occurrences = new Map<string, number>();
  for (const identifier of identifiers) {
    const key = findingKey(identifier.ProductArn, identifier.Id);
    occurrences.set(key, (occurrences.get(key) ?? 0) + 1);
  }
  const processed: Identifier[] = [];
  const unprocessed: JsonObject[] = [];
  const refuse = (identifier: Identifier, code: string, message: string) =>
    unprocessed.push({ FindingIdentifier: identifier, ErrorCode: code, ErrorMessage: message });
  for (const identifier of identifiers) {
    if ((occurrences.get(findingKey(identifier.ProductArn, identifier.Id)) ?? 0) > 1) {
      refuse(identifier, 'DuplicatedFindingIdentifier', 'Finding Identifier is duplicated');
      continue;
    }
    const stored = state.findings.get(identifier.ProductArn, identifier.Id);
    // A finding the caller may not see is, to the caller, not there.
    if (stored === undefined || !visible(stored)) {
      refuse(identifier, 'FindingNotFound', 'Finding Not Found');
      continue;
    }
    const next = applyUpdate(stored.document, update);
    if (Buffer.byteLength(JSON.stringify(next)) > MAX_FINDING_BYTES) {
      refuse(identifier, 'FindingSizeExceeded', 'Finding size exceeded 240 KB');
      continue;
    }
    stored.document = next;
    processed.push(identifier);
  }
  return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
}

/** The product ARNs a caller may import into: its own default product, and Security Hub's own (as moto accepts). */
function importableProducts(caller: Caller): readonly string[] {
  const partition = partitionOf(caller.region);
  return [
    `arn:${partition}:securityhub:${caller.region}:${caller.account}:product/${caller.account}/default`,
    securityHubProductArn(caller.region),
  ];
}

/** Why one finding cannot be imported by this caller: `[ErrorCode, ErrorMessage]`, or undefined. */
function importProblem(
  document: JsonObject,
  caller: Caller,
  existing: StoredFinding | undefined,
): [string, string] | undefined {
  const problem = asffProblem(document);
  if (problem !== undefined)
    return ['InvalidInput', `Finding does not adhere to Amazon Finding Format. ${problem}`];
  if (document.Region !== undefined && document.Region !== caller.region)
    return [
      'InvalidInput',
      `Finding does not adhere to Amazon Finding Format. data.Region should be ${caller.region}, the Region of the request`,
    ];
  if (
    document.AwsAccountId !== caller.account ||
    (existing !== undefined && existing.account !== caller.account)
  )
    return [
      'AccessDeniedException',
      `Account ${caller.account} is not authorized to import findings for account ${String(document.AwsAccountId)}`,
    ];
  if (!importableProducts(caller).includes(String(document.ProductArn)))
    return [
      'AccessDeniedException',
      `Account ${caller.account} is not authorized to import findings into product ${String(document.ProductArn)} (the emulator accepts ${importableProducts(caller).join(' and ')})`,
    ];
  return undefined;
}

/** The workflow an imported finding keeps: Security Hub's, reset from NOTIFIED/RESOLVED to NEW on reactivation or a new failure. */
function keptWorkflow(existing: JsonObject, incoming: JsonObject): unknown {
  const workflow = existing.Workflow;
  const status = memberAt(existing, 'Workflow', 'Status');
  const reactivated = existing.RecordState === 'ARCHIVED' && (incoming.RecordState ?? 'ACTIVE') === 'ACTIVE';
  const failedAgain =
    memberAt(existing, 'Compliance', 'Status') === 'PASSED' &&
    ['WARNING', 'FAILED', 'NOT_AVAILABLE'].includes(String(memberAt(incoming, 'Compliance', 'Status')));
  if ((reactivated || failedAgain) && (status === 'NOTIFIED' || status === 'RESOLVED'))
    return { Status: 'NEW' };
  return workflow;
}

/** The members a provider's import cannot change once the finding exists (BatchUpdateFindings sets them). */
const CUSTOMER_MEMBERS = ['Note', 'UserDefinedFields', 'VerificationState'] as const;

/** An existing finding imported again: the provider's document, with the customer's members kept. */
function updatedDocument(existing: JsonObject, incoming: JsonObject): JsonObject {
  const next: JsonObject = {
    ...incoming,
    RecordState: incoming.RecordState ?? 'ACTIVE',
    Workflow: keptWorkflow(existing, incoming),
  };
  for (const member of CUSTOMER_MEMBERS) {
    const value = existing[member];
    if (value === undefined) delete next[member];
    else next[member] = value;
  }
  return next;
}

/**
 * Imports findings: new ones are created (Workflow NEW, RecordState ACTIVE unless given), existing ones
 * updated, keeping what customers set with BatchUpdateFindings (Note, UserDefinedFields,
 * VerificationState, Workflow), as the API reference says a provider cannot change those.
 */
function batchImportFindings(state: SecurityHubServiceState, call: RestCall, input: JsonObject): JsonObject {
  const findings = input.Findings;
  if (!Array.isArray(findings) || findings.length === 0 || findings.length > MAX_BATCH_FINDINGS)
    throw invalidInput(`Findings must be a list of 1 to ${MAX_BATCH_FINDINGS} findings`);
  const { caller } = call;
  const now = new Date(call.nowMs).toISOString();
  const failed: JsonObject[] = [];
  let succeeded = 0;
  for (const document of findings) {
    if (!isJsonObject(document)) {
      failed.push({
        Id: '',
        ErrorCode: 'InvalidInput',
        ErrorMessage: 'Finding does not adhere to Amazon Finding Format. data should be object',
      });
      continue;
    }
    const id = typeof document.Id === 'string' ? document.Id : '';
    const productArn = typeof document.ProductArn === 'string' ? document.ProductArn : '';
    const existing = state.findings.get(productArn, id);
    const problem = importProblem(document, caller, existing);
    if (problem !== undefined) {
      failed.push({ Id: id, ErrorCode: problem[0], ErrorMessage: problem[1] });
      continue;
    }
    const base: JsonObject = { ...document, Region: caller.region, ProcessedAt: now };
    const next: JsonObject =
      existing === undefined
        ? { Workflow: { Status: 'NEW' }, WorkflowState: 'NEW', RecordState: 'ACTIVE', ...base }
        : updatedDocument(existing.document, base);
    state.findings.put({ id, productArn, account: caller.account, region: caller.region, document: next });
    succeeded += 1;
  }
  return { FailedCount: failed.length, SuccessCount: succeeded, FailedFindings: failed };
}

function jsonReply(body: JsonObject): RestReply {
  const text = JSON.stringify(body);
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
    body: text,
  };
}

export function securityHubService(state: SecurityHubServiceState): RestService {
  return {
    protocol: 'rest',
    name: 'securityhub',
    title: 'Security Hub',
    signingName: 'securityhub',
    operations: SECURITY_HUB_OPERATIONS,
    operationOf,
    run(call) {
      const input = parseJsonBody(call.request.body);
      const operation = operationOf(call.request);
      switch (operation) {
        case 'GetFindings':
          return jsonReply(getFindings(state, call.caller, input));
        case 'BatchUpdateFindings':
          return jsonReply(batchUpdateFindings(state, call, input));
        case 'BatchImportFindings':
          return jsonReply(batchImportFindings(state, call, input));
      }
    },
    faultError(fault) {
      // Security Hub throttles with 429 TooManyRequestsException ("Too Many Requests") and fails with InternalException.
      if (fault === 'throttle') return new AwsError('TooManyRequestsException', 'Too Many Requests', 429);
      if (fault === 'server-error')
        return new AwsError('InternalException', 'Internal service failure (injected by the emulator)', 500);
      return new AwsError(
        'AccessDeniedException',
        'You do not have sufficient access to perform this action. (injected by the emulator)',
        403,
      );
    },
    errorReply(error) {
      const text = JSON.stringify({ Code: error.code, Message: error.message });
      return {
        status: error.status,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
          'x-amzn-errortype': error.code,
        },
        body: text,
      };
    },
  };
}
