/**
 * The one SDK client setup every client uses (ECR and EventBridge, in the functions and the CLI):
 * bounded connection and request timeouts, the retry mode and attempts, an optional endpoint. Pure
 * (no SDK import): it returns the configuration object the clients' constructors take, and the SDK
 * builds its Node HTTP handler from `requestHandler`'s options.
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
import type { SdkSettings } from './config.ts';

export interface AwsClientOptions {
  /** Attempts per call when AWS_MAX_ATTEMPTS does not say (5 in the guardrail, 8 in the sweep and the CLI). */
  readonly defaultMaxAttempts: number;
  readonly region?: string;
  readonly profile?: string;
  /** Overrides every service's endpoint, as the AWS CLI's `--endpoint-url`; AWS_ENDPOINT_URL(_ECR) need nothing here. */
  readonly endpoint?: string;
}

export interface AwsClientConfig {
  readonly region?: string;
  readonly profile?: string;
  readonly endpoint?: string;
  readonly maxAttempts: number;
  readonly retryMode: SdkSettings['retryMode'];
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: true;
  };
}

/**
 * The configuration of an SDK client. Adaptive retries back off and rate-limit client-side under
 * throttling, which suits ECR's rate-based throttling; a timed-out attempt (`TimeoutError`) is a
 * transient error the SDK retries like a throttle.
 */
export function awsClientConfig(sdk: SdkSettings, options: AwsClientOptions): AwsClientConfig {
  return {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    maxAttempts: sdk.maxAttempts ?? options.defaultMaxAttempts,
    retryMode: sdk.retryMode,
    requestHandler: {
      connectionTimeout: sdk.connectTimeoutMs,
      requestTimeout: sdk.requestTimeoutMs,
      // Without it the Node handler only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}
