/**
 * The CLI's exit codes, made for pipelines, and how the outcomes of a pass over a scope become one. When
 * several apply the most serious wins: failures (1) over something named on the command line that does
 * not exist (4) over non-compliant findings (3). 130 is an interrupted run (Ctrl-C), as shells report
 * SIGINT; 141 is stdout closed early (`| head`), as for a command ended by SIGPIPE.
 */
import type { OutcomeCounts } from '../lib/audit.ts';

export const EXIT = {
  ok: 0,
  failures: 1,
  usage: 2,
  nonCompliant: 3,
  missing: 4,
  interrupted: 130,
  brokenPipe: 141,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Most serious first; a code not listed ranks last. */
const SEVERITY: readonly number[] = [
  EXIT.interrupted,
  EXIT.failures,
  EXIT.usage,
  EXIT.missing,
  EXIT.nonCompliant,
];

/** The most serious of several exit codes (0 when none is given). */
export function mostSevere(...codes: readonly number[]): number {
  let worst: number = EXIT.ok;
  const rank = (code: number) => {
    const index = SEVERITY.indexOf(code);
    return index === -1 ? SEVERITY.length : index;
  };
  for (const code of codes) if (rank(code) < rank(worst)) worst = code;
  return worst;
}

/** What decides the exit code of one account-region of a pass. */
export interface ExitFacts {
  /** The account-region failed as a whole (a role that cannot be assumed, access denied, a page unread). */
  readonly failed: boolean;
  readonly counts: OutcomeCounts;
  readonly templateCounts: OutcomeCounts;
  /** Repository names given on the command line that do not exist there. */
  readonly missing: readonly string[];
  /** An account given on the command line that is not in the organisation. */
  readonly accountMissing: boolean;
}

/** The exit code of a pass of `check`, `remediate` or `sweep` over every account-region of its scope. */
export function exitCodeOf(lines: readonly ExitFacts[]): number {
  return mostSevere(
    ...lines.map((line) => {
      if (line.failed || line.counts.failed + line.templateCounts.failed > 0) return EXIT.failures;
      if (line.accountMissing || line.missing.length > 0) return EXIT.missing;
      if (line.counts['would-remediate'] + line.templateCounts['would-remediate'] > 0)
        return EXIT.nonCompliant;
      return EXIT.ok;
    }),
  );
}
