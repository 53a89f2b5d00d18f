/**
 * zod/mini setup shared by every schema: English issue messages (zod/mini ships none by default)
 * and one formatter that names the failing path of each issue; JSON text read the two ways input
 * needs it (a saved file that must be JSON, a field that may be).
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { InvalidInputError } from './errors.ts';

z.config(en());

/** Formats zod issues as `path.to.field: message`, prefixed with `prefix` (e.g. `detail`). */
export function formatIssues(error: z.core.$ZodError, prefix: readonly (string | number)[] = []): string[] {
  return error.issues.map((issue) => {
    // String(): a symbol key would make join() throw; a number joins the same either way.
    const path = [...prefix, ...issue.path.map(String)];
    return `${path.length > 0 ? path.join('.') : '(input)'}: ${issue.message}`;
  });
}

/**
 * `text` parsed as JSON.
 * @throws InvalidInputError naming `where` and what the parser said.
 */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError([
      `${where}: not JSON (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
}

/** `text` parsed as JSON; undefined when there is no text or it is not JSON. */
export function jsonOrUndefined(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
