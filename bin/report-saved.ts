/**
 * The saved output `ecr-guard report --from` reads: a file of the CLI's `--json` lines, or an organisation
 * sweep's ResultWriter output — its `manifest.json` (or the folder holding it and the result files, as
 * `aws s3 cp --recursive` leaves them) on disk, or `s3://<bucket>/results/<map run>/manifest.json` read with
 * the caller's own credentials through the same reader as `--retry-failed-from` (lib/scope-items.ts,
 * lib/org-results.ts). Nothing here decides what the data means: lib/report-readers.ts does.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '../lib/aws-client-config.ts';
import type { GuardConfig } from '../lib/config.ts';
import { GuardError, InvalidInputError } from '../lib/errors.ts';
import { readResults } from '../lib/org-results.ts';
import { parseManifestUri } from '../lib/org-retry.ts';
import { mergeReads, type ReadResult, type ReportContext, readCliJsonLines } from '../lib/report-readers.ts';
import { isResultWriterManifest, readResultWriterFiles } from '../lib/report-sweep-results.ts';
import { createResultReader, type ResultReader } from '../lib/scope-items.ts';
import { checkCallSetup, cliClientLimits, regionsOf } from './context.ts';
import type { CommonOptions } from './options.ts';

/** Saved output that cannot be read or is not what the CLI or the ResultWriter writes: no report (exit 1). */
export class SavedOutputError extends GuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SavedOutputError';
  }
}

/** Where one `--from` points. */
export type SavedSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 's3'; readonly uri: string; readonly bucket: string; readonly key: string };

/**
 * The `--from` values, checked before any file or AWS call: an `s3://` URI must be a ResultWriter manifest.
 * @throws InvalidInputError (a usage error) naming the value.
 */
export function parseSavedSources(values: readonly string[]): SavedSource[] {
  const issues: string[] = [];
  const sources = values.flatMap((value): SavedSource[] => {
    if (!value.startsWith('s3://')) return [{ kind: 'file', path: value }];
    try {
      return [{ kind: 's3', uri: value, ...parseManifestUri(value, '--from') }];
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      issues.push(...error.issues);
      return [];
    }
  });
  if (issues.length > 0) throw new InvalidInputError(issues);
  return sources;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Reads a local file as text; a missing or unreadable file fails the report, naming it. */
async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new SavedOutputError(`--from ${file}: cannot be read (${describe(error)})`, { cause: error });
  }
}

/**
 * The ResultWriter files next to a local manifest: each result file's S3 key is looked up by its name in
 * the manifest's folder (the ResultWriter writes the manifest and its result files in one prefix).
 */
function localResultReader(manifestPath: string): ResultReader {
  const folder = path.dirname(manifestPath);
  return {
    async read(_bucket, key) {
      if (key === manifestPath) return readText(manifestPath);
      const file = path.join(folder, path.posix.basename(key));
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        throw new SavedOutputError(
          `--from ${manifestPath}: the result file ${key} it lists is not at ${file} (${describe(error)})`,
          { cause: error },
        );
      }
    },
  };
}

/** A data set from a ResultWriter manifest read through `reader`; malformed files fail the report. */
async function readManifest(
  context: ReportContext,
  reader: ResultReader,
  at: { readonly bucket: string; readonly key: string },
  name: string,
): Promise<ReadResult> {
  try {
    const { manifest, files } = await readResults(reader, at);
    return readResultWriterFiles({ ...context, manifestKey: name, manifest, files });
  } catch (error) {
    if (error instanceof InvalidInputError)
      throw new SavedOutputError(`--from ${name}: ${error.issues.join('; ')}`, { cause: error });
    throw error;
  }
}

/** One local `--from`: CLI JSON lines, a ResultWriter manifest, or the folder holding `manifest.json`. */
async function readLocal(context: ReportContext, given: string): Promise<ReadResult> {
  let file = given;
  try {
    if ((await stat(given)).isDirectory()) file = path.join(given, 'manifest.json');
  } catch (error) {
    throw new SavedOutputError(`--from ${given}: cannot be read (${describe(error)})`, { cause: error });
  }
  const text = await readText(file);
  if (isResultWriterManifest(text)) {
    return readManifest(context, localResultReader(file), { bucket: '', key: file }, file);
  }
  try {
    return readCliJsonLines(text, { ...context, file: given });
  } catch (error) {
    if (error instanceof InvalidInputError)
      throw new SavedOutputError(`--from ${given}: ${error.issues.join('; ')}`, { cause: error });
    throw error;
  }
}

/**
 * Every `--from`, read in the order given and merged (lib/report-readers.ts `mergeReads`). S3 is called only
 * when a source is in S3, with the caller's own credentials (`--profile`, `--endpoint-url` and the region as
 * for every command).
 *
 * @throws SavedOutputError when a source cannot be read or is malformed; the AWS error of an S3 read.
 */
export async function readSavedSources(
  sources: readonly SavedSource[],
  context: ReportContext & {
    readonly options: CommonOptions;
    readonly config: GuardConfig;
    readonly env: Readonly<Record<string, string | undefined>>;
  },
): Promise<ReadResult> {
  const { options, config, env } = context;
  let s3: S3Client | undefined;
  const s3Reader = async (): Promise<ResultReader> => {
    if (s3 === undefined) {
      await checkCallSetup(options, env);
      const [region] = await regionsOf(options, env);
      s3 = new S3Client({
        ...awsClientConfig(config.sdk, {
          profile: options.profile,
          endpoint: options.endpointUrl,
          region,
          defaultMaxAttempts: 8,
        }),
        // The results bucket may be in another Region than the caller's.
        followRegionRedirects: true,
      });
      cliClientLimits(options, config, env)(s3);
    }
    return createResultReader(s3);
  };
  try {
    const reads: ReadResult[] = [];
    for (const source of sources) {
      reads.push(
        source.kind === 'file'
          ? await readLocal(context, source.path)
          : await readManifest(context, await s3Reader(), source, source.uri),
      );
    }
    return mergeReads(context, reads);
  } finally {
    s3?.destroy();
  }
}
