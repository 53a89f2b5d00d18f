/** The `/_emulator/*` control routes: core ones (health, stats, faults, reset) and each service's data. */
import { AdminRequestError } from './core/errors.ts';
import { parseFaultConfig } from './core/faults.ts';
import { type AdminReply, DEFAULT_REGION, servedOperations } from './core/server.ts';
import { isJsonObject, type JsonObject } from './core/validate.ts';
import { toWireRepository } from './ecr/model.ts';
import { type SeedResult, seedRepositories } from './ecr/seed.ts';
import { toWireTemplate } from './ecr/templates.ts';
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
      return seedRepositories(state.store, registry, { account, region: DEFAULT_REGION, nowMs: state.now() });
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
        imageCount: repository.imageCount,
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

/** Answers one control route. */
export function adminRoute(state: EmulatorState, method: string, url: URL, bytes: Buffer): AdminReply {
  const route = `${method} ${url.pathname.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /_emulator/health':
      return { status: 200, body: { ok: true } };
    case 'GET /_emulator/stats':
      return { status: 200, body: { ...state.stats.snapshot(readScope(url)) } };
    case 'POST /_emulator/reset':
      state.reset();
      return { status: 200, body: { ok: true } };
    case 'POST /_emulator/seed':
      return {
        status: 200,
        body: {
          ...seedRepositories(state.store, parseAdminBody(bytes), {
            account: state.account,
            region: DEFAULT_REGION,
            nowMs: state.now(),
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
    default:
      return { status: 404, body: { error: `no control route ${route}` } };
  }
}
