/**
 * S3's data: buckets (one global namespace, as in S3: each bucket belongs to one account and one region) and
 * their objects, in memory.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
import { createHash } from 'node:crypto';

/** One stored object: its bytes and what GetObject answers about them. */
export interface StoredObject {
  readonly body: Buffer;
  /** `"<md5 hex>"`, quoted as S3 sends it (a single-part upload's ETag is the MD5 of its bytes). */
  readonly etag: string;
  readonly contentType: string;
  readonly lastModifiedMs: number;
  /** Additional checksums sent with the upload, by header name (`x-amz-checksum-crc32` → base64). */
  readonly checksums: Readonly<Record<string, string>>;
  /** User metadata, by header name (`x-amz-meta-…`). */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface Bucket {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly createdMs: number;
  readonly objects: Map<string, StoredObject>;
}

/** Why a bucket name is not valid, or undefined when it is (general purpose bucket naming rules). */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name))
    return 'must be lowercase letters, digits, dots and hyphens, and begin and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(name)) return 'must not be formatted as an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-'])
    if (name.startsWith(prefix)) return `must not begin with '${prefix}'`;
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'])
    if (name.endsWith(suffix)) return `must not end with '${suffix}'`;
  return undefined;
}

/** The ETag S3 gives a single-part upload. */
export function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

/** Every bucket by name. */
export class BucketStore {
  private buckets = new Map<string, Bucket>();

  get(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  /** Creates an empty bucket (the caller has checked the name and that it is free). */
  create(name: string, account: string, region: string, nowMs: number): Bucket {
    const bucket: Bucket = { name, account, region, createdMs: nowMs, objects: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  /** The buckets of one account, by name. */
  list(account?: string): Bucket[] {
    return [...this.buckets.values()]
      .filter((bucket) => account === undefined || bucket.account === account)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  clear(): void {
    this.buckets = new Map();
  }
}
