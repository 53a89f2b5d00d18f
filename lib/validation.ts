/**
 * zod/mini setup shared by every schema: English issue messages (zod/mini ships none by default)
 * and one formatter that names the failing path of each issue.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

/** Formats zod issues as `path.to.field: message`, prefixed with `prefix` (e.g. `detail`). */
export function formatIssues(error: z.core.$ZodError, prefix: readonly (string | number)[] = []): string[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))];
    return `${path.length > 0 ? path.join('.') : '(input)'}: ${issue.message}`;
  });
}
