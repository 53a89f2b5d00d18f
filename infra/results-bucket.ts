/**
 * The organisation sweep's results bucket: the scope items the scope function writes under `scope/` and the
 * Distributed Map reads, the ResultWriter's manifest and result files under `results/` that the scope function
 * sums, and grants that reach one prefix each, never the whole bucket.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { S3_ACTIONS } from '../lib/iam-actions.ts';
import { nagResource, wildcardFinding } from './nag.ts';

/** Where the scope function writes the items (`scope/<execution name>.json`) the Distributed Map reads. */
export const SCOPE_ITEMS_PREFIX = 'scope/';
/** Where the Distributed Map's ResultWriter writes `<map run id>/manifest.json` and the result files. */
export const RESULTS_PREFIX = 'results/';

/** Days the results bucket keeps its objects by default. */
export const DEFAULT_RESULTS_RETENTION_DAYS = 30;

/** The ResultWriter's actions on its prefix (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html#resultwriter-iam-policies). */
export const RESULT_WRITER_ACTIONS = [
  's3:PutObject',
  's3:GetObject',
  's3:ListMultipartUploadParts',
  's3:AbortMultipartUpload',
] as const;

/** The bucket (construct ID `ResultsBucket`): S3-managed encryption, TLS only, objects expired after `retentionDays`. */
export function createResultsBucket(scope: Construct, retentionDays: number | undefined): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'ResultsBucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      {
        id: 'ExpireResults',
        expiration: Duration.days(retentionDays ?? DEFAULT_RESULTS_RETENTION_DAYS),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ],
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      "This bucket holds only the organisation sweep's working files (the scope items and the Distributed Map results), written and read by the guard's own roles and expired after resultsRetentionDays; the audit records are in the functions' log groups, not here.",
  });
  return bucket;
}

/**
 * A JSON-array ItemReader (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html)
 * whose grant is `s3:GetObject` on one prefix of the bucket, not the whole bucket.
 */
export class PrefixedJsonItemReader extends sfn.S3JsonItemReader {
  readonly #objects: string;
  constructor(bucket: s3.IBucket, key: string, prefix: string) {
    super({ bucket, key });
    this.#objects = bucket.arnForObjects(`${prefix}*`);
  }
  override providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.#objects] })];
  }
}

/**
 * A ResultWriter (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html) whose
 * grant is its actions on its prefix only; the Map state's own output is then only `{ MapRunArn,
 * ResultWriterDetails: { Bucket, Key } }`.
 */
export class PrefixedResultWriter extends sfn.ResultWriterV2 {
  readonly #objects: string;
  constructor(bucket: s3.IBucket, prefix: string) {
    super({ bucket, prefix });
    this.#objects = bucket.arnForObjects(`${prefix}*`);
  }
  override providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({ actions: [...RESULT_WRITER_ACTIONS], resources: [this.#objects] })];
  }
}

/**
 * The scope function writes the items under scope/ and reads the results under results/, nothing else (policy
 * `ScopeFunctionResultsPolicy` in `scope`); a customer key of the bucket is granted to it and to the state
 * machine's role.
 */
export function grantScopeFunctionResults(
  scope: Construct,
  scopeFunction: lambda.IFunction,
  bucket: s3.IBucket,
  stateMachineRole: iam.IRole,
): void {
  const role = scopeFunction.role;
  if (role === undefined) {
    throw new Error(
      'scopeFunction: has no role to grant s3:PutObject on scope/* and s3:GetObject on results/*',
    );
  }
  const policy = new iam.Policy(scope, 'ScopeFunctionResultsPolicy', {
    statements: [
      new iam.PolicyStatement({
        sid: 'WriteScopeItems',
        actions: [...S3_ACTIONS.writeScopeItems],
        resources: [bucket.arnForObjects(`${SCOPE_ITEMS_PREFIX}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'ReadResults',
        actions: [...S3_ACTIONS.readResults],
        resources: [bucket.arnForObjects(`${RESULTS_PREFIX}*`)],
      }),
    ],
  });
  policy.attachToRole(role);
  bucket.encryptionKey?.grantEncryptDecrypt(role);
  bucket.encryptionKey?.grantEncryptDecrypt(stateMachineRole);
  Validations.of(policy).acknowledge({
    id: wildcardFinding(nagResource(scope, bucket.arnForObjects(`${SCOPE_ITEMS_PREFIX}*`))),
    reason:
      'The scope function writes one object per execution, named after the execution, under the scope/ prefix of the results bucket: the key is only known at run time.',
  });
  Validations.of(policy).acknowledge({
    id: wildcardFinding(nagResource(scope, bucket.arnForObjects(`${RESULTS_PREFIX}*`))),
    reason:
      "The scope function reads the Distributed Map's manifest and result files, whose keys Step Functions chooses (results/<map run id>/...), under the results/ prefix only.",
  });
}
