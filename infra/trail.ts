/**
 * The optional CloudTrail trail: EventBridge receives `AWS API Call via CloudTrail` events only
 * while a trail logs. One multi-Region trail per account is enough, so it is created only in its
 * home Region (`trailHomeRegion`); stacks of the same app in other Regions do not create another
 * (a second trail's management events are billed). Its bucket expires logs after a retention and
 * aborts incomplete multipart uploads.
 */
import { Annotations, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Days the trail's log files are kept by default. */
export const DEFAULT_TRAIL_RETENTION_DAYS = 365;

export interface TrailOptions {
  readonly homeRegion?: string | undefined;
  readonly retentionDays?: number | undefined;
}

/**
 * Whether this stack creates the trail: always when no home Region is given, else only in it.
 * @throws Error when a home Region is given but the stack's Region is not known at synthesis.
 */
export function createsTrailHere(scope: Construct, homeRegion: string | undefined): boolean {
  if (homeRegion === undefined) return true;
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region)) {
    throw new Error(
      'EcrImmutabilityGuard: trailHomeRegion needs a stack with an explicit env.region (this one is environment-agnostic)',
    );
  }
  return region === homeRegion;
}

export interface GuardTrail {
  readonly trail: cloudtrail.Trail;
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
}

export function createTrail(scope: Construct, options: TrailOptions): GuardTrail | undefined {
  if (!createsTrailHere(scope, options.homeRegion)) {
    Annotations.of(scope).addInfo(
      `No trail here: the trail is created once, in its home Region ${options.homeRegion ?? ''}.`,
    );
    return undefined;
  }
  const retention = Duration.days(options.retentionDays ?? DEFAULT_TRAIL_RETENTION_DAYS);
  const lifecycleRules: s3.LifecycleRule[] = [
    {
      id: 'ExpireTrailLogs',
      expiration: retention,
      noncurrentVersionExpiration: Duration.days(1),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    },
  ];
  const accessLogsBucket = new s3.Bucket(scope, 'TrailAccessLogsBucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      {
        id: 'ExpireAccessLogs',
        expiration: retention,
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
  });
  Validations.of(accessLogsBucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'This bucket receives the server access logs of the trail bucket; logging it to itself would loop.',
  });
  const bucket = new s3.Bucket(scope, 'TrailBucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    versioned: true,
    serverAccessLogsBucket: accessLogsBucket,
    serverAccessLogsPrefix: 'trail-bucket/',
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules,
  });
  const trail = new cloudtrail.Trail(scope, 'Trail', {
    bucket,
    isMultiRegionTrail: true,
    includeGlobalServiceEvents: true,
    enableFileValidation: true,
    // CreateRepository and PutImageTagMutability are write management events.
    managementEvents: cloudtrail.ReadWriteType.WRITE_ONLY,
  });
  return { trail, bucket, accessLogsBucket };
}
