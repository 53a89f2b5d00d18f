/**
 * ECR's names, validated once: the repository name and registry id rules shared by the event parser
 * (lib/events.ts) and the sweep's payload and resume token (lib/sweep-input.ts). Pure: zod schemas only,
 * so either can use them without importing the other. See docs/architecture.md, "Module map".
 */
import * as z from 'zod/mini';

/** ECR's repository name rule (API_CreateRepository): 2-256 characters, lowercase path segments. */
export const REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const repositoryNameSchema = z
  .string()
  .check(
    z.minLength(2, 'must be at least 2 characters'),
    z.maxLength(256, 'must be at most 256 characters'),
    z.regex(REPOSITORY_NAME_PATTERN, 'must be lowercase path segments of [a-z0-9] separated by . _ - /'),
  );
export const registryIdSchema = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit account id'));
