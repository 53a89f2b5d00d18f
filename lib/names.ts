/**
 * ECR's names and limits, validated once: the repository name and registry id rules shared by the event parser
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

/**
 * DescribeRepositories accepts at most 100 names per call and 1000 results per page
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html): here, not in
 * the adapter, so the sweep core and the resume token use them without loading the SDK.
 */
export const MAX_NAMES_PER_DESCRIBE = 100;
export const MAX_PAGE_SIZE = 1000;
