import { randomBytes } from 'node:crypto';
import { EventSink } from './events.ts';
import { FaultInjector } from './faults.ts';
import { createPageTokens, type PageTokens } from './page-token.ts';
import { CallStats } from './stats.ts';
import { RepositoryStore } from './store.ts';

/** Options of {@link EmulatorState} (and of `startEmulator`). */
export interface EmulatorStateOptions {
  /** The account of every caller not listed in `accounts`; default `123456789012`. */
  readonly account?: string;
  /** Access key ID → account, to emulate several accounts side by side. */
  readonly accounts?: Readonly<Record<string, string>>;
  /** Milliseconds a repository made by CreateRepository stays invisible to DescribeRepositories; default 0. */
  readonly visibilityDelayMs?: number;
  /** Default seed of the fault PRNG; default 1. */
  readonly seed?: number;
  /** Clock in epoch milliseconds; default `Date.now`. Tests may pass their own. */
  readonly now?: () => number;
}

/** Default account of the emulator. */
export const DEFAULT_ACCOUNT = '123456789012';
/** Region used by control routes when none is given. */
export const DEFAULT_REGION = 'us-east-1';

const ACCOUNT = /^[0-9]{12}$/;

function checkAccount(account: string, source: string): string {
  if (!ACCOUNT.test(account))
    throw new TypeError(`${source} must be a 12-digit account ID, got '${account}'`);
  return account;
}

/** Everything the emulator holds in memory; exposed by `startEmulator` for direct assertions. */
export class EmulatorState {
  readonly account: string;
  readonly store = new RepositoryStore();
  readonly events = new EventSink();
  readonly stats = new CallStats();
  readonly faults: FaultInjector;
  readonly tokens: PageTokens;
  readonly now: () => number;
  private readonly baseVisibilityDelayMs: number;
  private readonly accessKeyAccounts: ReadonlyMap<string, string>;

  constructor(options: EmulatorStateOptions = {}) {
    this.account = checkAccount(options.account ?? DEFAULT_ACCOUNT, 'account');
    this.accessKeyAccounts = new Map(
      Object.entries(options.accounts ?? {}).map(([key, account]) => [
        key,
        checkAccount(account, `accounts.${key}`),
      ]),
    );
    const delay = options.visibilityDelayMs ?? 0;
    if (!Number.isFinite(delay) || delay < 0) throw new TypeError('visibilityDelayMs must be a number >= 0');
    this.baseVisibilityDelayMs = delay;
    this.faults = new FaultInjector(options.seed ?? 1);
    // A fresh secret per emulator: tokens cannot be forged, nor reused across emulator instances.
    this.tokens = createPageTokens(randomBytes(32).toString('hex'));
    this.now = options.now ?? Date.now;
  }

  /** The visibility delay in force: the fault override if set, else the option. */
  get visibilityDelayMs(): number {
    return this.faults.visibilityDelayMs ?? this.baseVisibilityDelayMs;
  }

  /** The account a caller acts as, from its access key ID. */
  accountFor(accessKeyId: string): string {
    return this.accessKeyAccounts.get(accessKeyId) ?? this.account;
  }

  /** Clears repositories, repository creation templates, events, stats and faults. */
  reset(): void {
    this.store.clear();
    this.events.clear();
    this.stats.clear();
    this.faults.clear();
  }
}
