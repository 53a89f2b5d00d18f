/**
 * Sweep scenarios: a planned registry of thousands of repositories in its own emulator, faults
 * injected through `/_emulator/faults`, the built sweep bundle in its own container(s) driven like the
 * state machine, then a rerun once the faults stop. Every scenario asserts the same invariants.
 */
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  ECRClient,
  type ImageTagMutability,
} from '@aws-sdk/client-ecr';
import { type AdminClient, type FaultInput, startEmulator } from '../../../emulator/index.ts';
import { reliableAdmin } from './admin.ts';
import { type Container, type Invocation, lambdaEnv, REGION, startContainer } from './lambda.ts';
import type { ContextPlan } from './protocol.ts';
import {
  type Kind,
  type PlannedRepository,
  planRegistry,
  policyEnv,
  type RegistryPlan,
  seedPlan,
  snapshot,
} from './registry.ts';
import { addCounts, type ScenarioResult } from './results.ts';
import { assertRerunCompliant, assertSweepInvariants, runLogicalSweep, SCHEDULED_EVENT } from './sweep.ts';
import { startWireRecorder } from './wire-recorder.ts';

export interface Churn {
  /** Repositories deleted and as many created between two invocations. */
  readonly perResumption: number;
  /** Also delete and create one repository every `everyMs` while an invocation runs. */
  readonly concurrentEveryMs?: number;
}

export interface SweepScenario {
  readonly id: string;
  readonly title: string;
  /** The faults in words, for the report. */
  readonly faultsText: string;
  readonly plan: RegistryPlan;
  readonly faults: FaultInput;
  readonly env?: Record<string, string>;
  /** How each invocation's context reports the time left; default 15 minutes. */
  readonly context?: ContextPlan;
  /** A new container for every invocation (a cold start per page), as Lambda may do. */
  readonly coldStarts?: boolean;
  readonly churn?: Churn;
  /** The scenario must have needed at least this many invocations. */
  readonly minInvocations?: number;
  /** Failed repositories are expected (the faults outlast the configured retries). */
  readonly mayFail?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function outsideClient(url: string): ECRClient {
  // The "people" changing the registry: straight to the backend, not through the recorder.
  return new ECRClient({
    region: REGION,
    endpoint: url,
    credentials: { accessKeyId: 'churn', secretAccessKey: 'churn' },
    maxAttempts: 10,
  });
}

/** Picks the repositories to delete and names (next to existing ones) to create while the sweep runs. */
function churnPlan(repositories: readonly PlannedRepository[], count: number, seed: number) {
  const doomed: string[] = [];
  const newborn: { name: string; mutability: ImageTagMutability }[] = [];
  let state = seed;
  const pick = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % repositories.length;
  };
  const used = new Set<string>();
  while (doomed.length < count) {
    const repository = repositories[pick()];
    if (repository === undefined || used.has(repository.name)) continue;
    used.add(repository.name);
    doomed.push(repository.name);
  }
  while (newborn.length < count) {
    const neighbour = repositories[pick()];
    if (neighbour === undefined || neighbour.name.startsWith('sandbox/')) continue;
    const name = `${neighbour.name}-new${newborn.length}`;
    newborn.push({ name, mutability: newborn.length % 2 === 0 ? 'MUTABLE' : 'IMMUTABLE' });
  }
  return { doomed, newborn };
}

function injectedErrors(stats: Awaited<ReturnType<AdminClient['stats']>>): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const counts of Object.values(stats.operations)) addCounts(errors, counts.errors);
  return errors;
}

/** Runs one scenario end to end and asserts its invariants; resolves with what it measured. */
export async function runSweepScenario(scenario: SweepScenario): Promise<ScenarioResult> {
  const started = Date.now();
  const emulator = await startEmulator({ port: 0, seed: scenario.plan.seed });
  const admin = reliableAdmin(emulator.url);
  const recorder = await startWireRecorder(emulator.url);
  const outside = outsideClient(emulator.url);
  const containers: Container[] = [];
  let running = true;
  let concurrentChurn: Promise<void> = Promise.resolve();
  try {
    const repositories = planRegistry(scenario.plan);
    await seedPlan(admin, repositories);
    const kinds = new Map<string, Kind>(repositories.map((repository) => [repository.name, repository.kind]));
    const env = lambdaEnv(recorder.url, {
      VERBOSE_AUDIT: 'true',
      ...policyEnv(scenario.plan),
      ...scenario.env,
    });
    const newContainer = async () => {
      const container = await startContainer('sweep', env);
      containers.push(container);
      return container;
    };
    let warm: Container | undefined;
    const invoke = async (event: unknown, plan: ContextPlan): Promise<Invocation> => {
      if (scenario.coldStarts) {
        const container = await newContainer();
        try {
          return await container.invoke(event, plan);
        } finally {
          await container.stop();
        }
      }
      warm ??= await newContainer();
      return warm.invoke(event, plan);
    };

    const churn = scenario.churn === undefined ? undefined : churnPlan(repositories, 200, scenario.plan.seed);
    const deleted: string[] = [];
    const created: string[] = [];
    const deleteOne = async () => {
      const name = churn?.doomed[deleted.length];
      if (name === undefined) return;
      deleted.push(name);
      await outside.send(new DeleteRepositoryCommand({ repositoryName: name, force: true }));
    };
    const createOne = async () => {
      const repository = churn?.newborn[created.length];
      if (repository === undefined) return;
      created.push(repository.name);
      await outside.send(
        new CreateRepositoryCommand({
          repositoryName: repository.name,
          imageTagMutability: repository.mutability,
        }),
      );
    };

    const before = await snapshot(admin);
    await admin.faults(scenario.faults);
    concurrentChurn = (async () => {
      const every = scenario.churn?.concurrentEveryMs;
      if (every === undefined) return;
      while (running) {
        await deleteOne();
        await createOne();
        await sleep(every);
      }
    })();
    const sweep = await runLogicalSweep({
      invoke,
      first: SCHEDULED_EVENT,
      plan: scenario.context ?? { remainingMs: 900_000 },
      between: async () => {
        for (let i = 0; i < (scenario.churn?.perResumption ?? 0); i++) {
          await deleteOne();
          await createOne();
        }
      },
    });
    running = false;
    await concurrentChurn;
    const injected = injectedErrors(await admin.stats());
    await admin.clearFaults();
    const after = await snapshot(admin);
    const writes = [...recorder.writes];

    // Invariants of the sweep under faults.
    const transient = new Set([...deleted, ...created]);
    const throughout = new Map([...kinds].filter(([name]) => !transient.has(name)));
    const tally = assertSweepInvariants(sweep, { throughout, transient, before, after, writes });
    if (!scenario.mayFail && (tally.outcomes.failed ?? 0) > 0) {
      throw new Error(
        `${tally.outcomes.failed} repositories failed although the retries should outlast the faults`,
      );
    }
    if (sweep.invocations.length < (scenario.minInvocations ?? 1)) {
      throw new Error(`only ${sweep.invocations.length} invocations; the scenario needs resumptions`);
    }

    // The faults stop; a fresh sweep leaves the registry fully compliant.
    // The next scheduled run: a new container (its SDK retry state fresh), default audit verbosity.
    recorder.clear();
    const rerunContainer = await startContainer('sweep', { ...env, VERBOSE_AUDIT: 'false' });
    containers.push(rerunContainer);
    const rerun = await runLogicalSweep({
      invoke: (event, plan) => rerunContainer.invoke(event, plan),
      first: SCHEDULED_EVENT,
      plan: { remainingMs: 900_000 },
    });
    const final = await snapshot(admin);
    const isExempt = (name: string) => {
      const kind = kinds.get(name);
      return kind === 'exempt-by-name' || kind === 'exempt-by-tag';
    };
    const rerunOutcomes = assertRerunCompliant(rerun, {
      before: after,
      after: final,
      writes: recorder.writes,
      isExempt,
    });

    const resumptions = sweep.completed.length - 1;
    const verified = [
      'each repository that existed throughout has exactly one counted outcome',
      'counts add up to scanned in every invocation, and match the audit lines',
      'no compliant or exempt repository received a write; every write was IMMUTABLE in our account',
      'every non-compliant repository is remediated (written exactly once) or failed with its error code',
      'the registry after the sweep agrees with the writes',
      'a rerun without faults leaves every non-exempt repository compliant, writing only those still non-compliant',
    ];
    if (transient.size > 0) {
      verified.splice(1, 0, 'each repository deleted or created meanwhile was counted at most once');
    }
    const failed = Object.entries(tally.failedCodes)
      .map(([code, count]) => `${count} ${code}`)
      .join(', ');
    return {
      id: scenario.id,
      group: 'sweep',
      title: scenario.title,
      faults: scenario.faultsText,
      repositories: repositories.length,
      work:
        `${sweep.invocations.length} invocation(s): ${resumptions} resumption(s)` +
        (sweep.thrown.length > 0 ? `, ${sweep.thrown.length} re-driven after throwing` : '') +
        (scenario.coldStarts ? ', a cold start each' : '') +
        (transient.size > 0 ? `; ${deleted.length} deleted and ${created.length} created meanwhile` : ''),
      outcomes: tally.outcomes,
      injected,
      writes: writes.length,
      after:
        `rerun: ${Object.entries(rerunOutcomes)
          .map(([outcome, count]) => `${count} ${outcome}`)
          .join(', ')}; ${recorder.writes.length} write(s); fully compliant` +
        (failed === '' ? '' : ` (failed in the faulted run: ${failed})`),
      verified,
      durationMs: Date.now() - started,
    };
  } finally {
    running = false;
    await concurrentChurn.catch(() => undefined);
    await Promise.all(containers.map((container) => container.stop()));
    outside.destroy();
    await recorder.stop();
    await emulator.stop();
  }
}
