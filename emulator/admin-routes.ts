/** The `/_emulator/*` control routes: core ones (health, stats, faults, reset) and each service's data. */
import { randomUUID } from 'node:crypto';
import { checkDeliveryUrl } from './cloudtrail/delivery.ts';
import { AdminRequestError } from './core/errors.ts';
import { parseFaultConfig } from './core/faults.ts';
import { type AdminReply, DEFAULT_REGION, servedOperations } from './core/server.ts';
import { isJsonObject, type JsonObject } from './core/validate.ts';
import { toWireRepository } from './ecr/model.ts';
import { applyPushes, readPushes } from './ecr/pushes.ts';
import { type SeedResult, seedRepositories } from './ecr/seed.ts';
import { toWireTemplate } from './ecr/templates.ts';
import { administratorOf } from './securityhub/config.ts';
import type { EmulatorState } from './state.ts';

const ACCOUNT = /^[0-9]{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-[0-9]+$/;

function queryValue(url: URL, name: string): string | undefined {
  return url.searchParams.get(name) ?? undefined;
}

/** `?account=&region=` of a scoped stats or faults route; both optional. */
function readScope(url: URL): { account?: string; region?: string } {
  const account = queryValue(url, 'account');
  const region = queryValue(url, 'region');
  if (account !== undefined && !ACCOUNT.test(account))
    throw new AdminRequestError(`account '${account}' is not a 12-digit account ID`);
  if (region !== undefined && !REGION.test(region))
    throw new AdminRequestError(`region '${region}' is not a region name`);
  return { ...(account === undefined ? {} : { account }), ...(region === undefined ? {} : { region }) };
}

function parseAdminBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return {};
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new AdminRequestError('the request body is not valid JSON', { cause: error });
  }
}

/**
 * Seeds one registry (`POST /_emulator/seed`): repositories and templates, then `pushes`, each of which
 * becomes an image and a PutImage record in the trail (delivered like a live call). Pushes are checked
 * before anything changes.
 */
export function seedRegistry(
  state: EmulatorState,
  body: unknown,
  defaults: { account: string; region: string },
): SeedResult {
  const account = isJsonObject(body) && typeof body.account === 'string' ? body.account : defaults.account;
  const pushes =
    isJsonObject(body) && body.pushes !== undefined ? readPushes(body.pushes, account) : undefined;
  const result = seedRepositories(state.store, body, { ...defaults, nowMs: state.now() });
  if (pushes === undefined) return result;
  const outcomes = applyPushes(state.store, result.account, result.region, pushes);
  for (const outcome of outcomes) {
    state.record({
      eventSource: 'ecr.amazonaws.com',
      eventName: 'PutImage',
      account: result.account,
      region: result.region,
      actorArn: outcome.push.actor,
      accessKeyId: outcome.push.accessKeyId,
      sourceIp: outcome.push.sourceIp,
      userAgent: 'emulator-seed',
      requestParameters: outcome.input,
      responseElements: outcome.output,
      error: outcome.error,
      requestId: randomUUID(),
      nowMs: outcome.push.atMs,
    });
  }
  return {
    ...result,
    pushes: {
      recorded: outcomes.length,
      failed: outcomes.filter((outcome) => outcome.error !== undefined).length,
    },
  };
}

/**
 * Applies an organisation seed (`POST /_emulator/organization`, or an organisation seed file): accounts,
 * OUs, roles, then `registries` (each a `POST /_emulator/seed` body; `account` defaults to the management
 * account, else the emulator's account). Everything is checked before any registry changes.
 */
export function seedOrganizationFile(state: EmulatorState, body: unknown): JsonObject {
  if (!isJsonObject(body)) throw new AdminRequestError('the organisation seed must be a JSON object');
  const registries = body.registries ?? [];
  if (!Array.isArray(registries)) throw new AdminRequestError('registries must be a list of seed requests');
  const directory = state.seedOrganization(body);
  const account = directory.organization?.managementAccount ?? state.account;
  const results: SeedResult[] = registries.map((registry, index) => {
    try {
      return seedRegistry(state, registry, { account, region: DEFAULT_REGION });
    } catch (error) {
      if (error instanceof AdminRequestError)
        throw new AdminRequestError(`registries[${index}]: ${error.message}`, { cause: error });
      throw error;
    }
  });
  return {
    organization: directory.organization === undefined ? null : { ...directory.organization },
    accounts: directory.accountList.length,
    organizationalUnits: directory.organizationalUnitList.length,
    roles: directory.roles.size,
    registries: results.map((result) => ({ ...result })),
  };
}

function listRepositories(state: EmulatorState, url: URL): JsonObject {
  const account = queryValue(url, 'account') ?? state.account;
  const region = queryValue(url, 'region') ?? DEFAULT_REGION;
  const limit = Number(queryValue(url, 'limit') ?? '1000');
  if (!Number.isInteger(limit) || limit < 1) throw new AdminRequestError('limit must be a positive integer');
  const registry = state.store.registry(account, region);
  return {
    account,
    region,
    count: registry.size,
    repositories: registry
      .list()
      .slice(0, limit)
      .map((repository) => ({
        ...toWireRepository(repository),
        tags: Object.fromEntries(repository.tags),
        imageCount: repository.imageCount + repository.images.size,
        visibleAt: repository.visibleAtMs / 1000,
      })),
  };
}

function listTemplates(state: EmulatorState, url: URL): JsonObject {
  const account = queryValue(url, 'account') ?? state.account;
  const region = queryValue(url, 'region') ?? DEFAULT_REGION;
  const { templates } = state.store.registry(account, region);
  return { account, region, count: templates.size, templates: templates.list().map(toWireTemplate) };
}

function listTrail(state: EmulatorState, url: URL): JsonObject {
  const account = queryValue(url, 'account') ?? state.account;
  const region = queryValue(url, 'region') ?? DEFAULT_REGION;
  const records = state.trail.list(account, region);
  return { account, region, count: records.length, records: records.map((record) => record.record) };
}

/** `{url, includeReadOnly?}`: a loopback URL to POST each event to (callbacks are set in-process only). */
function readDeliveryTarget(body: unknown): { url: string; includeReadOnly: boolean } {
  if (!isJsonObject(body)) throw new AdminRequestError('the delivery target must be a JSON object');
  for (const key of Object.keys(body))
    if (key !== 'url' && key !== 'includeReadOnly')
      throw new AdminRequestError(`${key} is not a delivery setting (use url, includeReadOnly)`);
  if (typeof body.url !== 'string') throw new AdminRequestError('url must be a loopback http(s) URL');
  if (body.includeReadOnly !== undefined && typeof body.includeReadOnly !== 'boolean')
    throw new AdminRequestError('includeReadOnly must be true or false');
  return { url: checkDeliveryUrl(body.url), includeReadOnly: body.includeReadOnly === true };
}

function organizationSummary(state: EmulatorState): JsonObject {
  const directory = state.directory;
  return {
    organization: directory.organization === undefined ? null : { ...directory.organization },
    accounts: directory.accountList.map((account) => ({ ...account })),
    organizationalUnits: directory.organizationalUnitList.map((unit) => ({ ...unit })),
    roles: [...directory.roles.values()].map((role) => ({ ...role })),
    sessions: state.sessions.size,
  };
}

/** `GET /_emulator/securityhub/findings?account=&region=`: stored findings, of one account and/or Region. */
function listFindings(state: EmulatorState, url: URL): JsonObject {
  const { account, region } = readScope(url);
  const findings = state.findings
    .list()
    .filter(
      (finding) =>
        (account === undefined || finding.account === account) &&
        (region === undefined || finding.region === region),
    )
    .map((finding) => finding.document);
  return { count: findings.length, findings };
}

/** `POST /_emulator/securityhub/control-findings {account?, region?}`: evaluates ECR.2 over the registries. */
function evaluateControl(state: EmulatorState, body: unknown): JsonObject {
  if (!isJsonObject(body)) throw new AdminRequestError('the body must be {account?, region?}');
  for (const key of Object.keys(body))
    if (key !== 'account' && key !== 'region')
      throw new AdminRequestError(`${key} is not a scope member (use account, region)`);
  const { account, region } = body;
  if (account !== undefined && (typeof account !== 'string' || !ACCOUNT.test(account)))
    throw new AdminRequestError(`account ${JSON.stringify(account)} is not a 12-digit account ID`);
  if (region !== undefined && (typeof region !== 'string' || !REGION.test(region)))
    throw new AdminRequestError(`region ${JSON.stringify(region)} is not a region name`);
  const evaluations = state.evaluateControlFindings({
    ...(account === undefined ? {} : { account }),
    ...(region === undefined ? {} : { region }),
  });
  return { evaluations: evaluations.map((evaluation) => ({ ...evaluation })) };
}

function securityHubSummary(state: EmulatorState): JsonObject {
  const administrator = administratorOf(state.securityHub, state.directory);
  return {
    ...state.securityHub,
    ...(administrator === undefined ? {} : { administrator }),
    findings: state.findings.size,
  };
}

/** Answers one control route. */
export function adminRoute(state: EmulatorState, method: string, url: URL, bytes: Buffer): AdminReply {
  const route = `${method} ${url.pathname.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /_emulator/health':
      return { status: 200, body: { ok: true } };
    case 'GET /_emulator/stats':
      return {
        status: 200,
        body: { ...state.stats.snapshot(readScope(url)), deliveries: { ...state.delivery.stats() } },
      };
    case 'POST /_emulator/reset':
      state.reset();
      return { status: 200, body: { ok: true } };
    case 'POST /_emulator/seed':
      return {
        status: 200,
        body: {
          ...seedRegistry(state, parseAdminBody(bytes), {
            account: state.account,
            region: DEFAULT_REGION,
          }),
        },
      };
    case 'POST /_emulator/organization':
      return { status: 200, body: seedOrganizationFile(state, parseAdminBody(bytes)) };
    case 'GET /_emulator/organization':
      return { status: 200, body: organizationSummary(state) };
    case 'GET /_emulator/events':
      return { status: 200, body: { events: [...state.events.list()] } };
    case 'GET /_emulator/faults':
      return { status: 200, body: { ...state.faults.current(readScope(url)) } };
    case 'POST /_emulator/faults': {
      const scope = readScope(url);
      state.faults.configure(
        parseFaultConfig(
          parseAdminBody(bytes),
          servedOperations(state.services),
          state.faults.current().seed,
        ),
        scope,
      );
      return { status: 200, body: { ...state.faults.current(scope) } };
    }
    case 'DELETE /_emulator/faults': {
      const scope = readScope(url);
      state.faults.clear(scope);
      return { status: 200, body: { ...state.faults.current(scope) } };
    }
    case 'GET /_emulator/repositories':
      return { status: 200, body: listRepositories(state, url) };
    case 'GET /_emulator/templates':
      return { status: 200, body: listTemplates(state, url) };
    case 'GET /_emulator/trail':
      return { status: 200, body: listTrail(state, url) };
    case 'GET /_emulator/securityhub':
      return { status: 200, body: securityHubSummary(state) };
    case 'POST /_emulator/securityhub':
      state.configureSecurityHub(parseAdminBody(bytes));
      return { status: 200, body: securityHubSummary(state) };
    case 'POST /_emulator/securityhub/control-findings':
      return { status: 200, body: evaluateControl(state, parseAdminBody(bytes)) };
    case 'GET /_emulator/securityhub/findings':
      return { status: 200, body: listFindings(state, url) };
    case 'GET /_emulator/delivery':
      return { status: 200, body: { ...state.delivery.describe(), ...state.delivery.stats() } };
    case 'POST /_emulator/delivery':
      state.delivery.configure(readDeliveryTarget(parseAdminBody(bytes)));
      return { status: 200, body: state.delivery.describe() };
    case 'DELETE /_emulator/delivery':
      state.delivery.configure(undefined);
      return { status: 200, body: state.delivery.describe() };
    default:
      return { status: 404, body: { error: `no control route ${route}` } };
  }
}
