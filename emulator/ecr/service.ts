/** Amazon ECR (`AmazonEC2ContainerRegistry_V20150921`, AWS JSON 1.1) as a service of the emulator core. */
import { AwsError } from '../core/errors.ts';
import type { PageTokens } from '../core/page-token.ts';
import type { JsonService } from '../core/service.ts';
import { ECR_OPERATIONS, isEcrOperation, runEcrOperation } from './operations.ts';
import type { RepositoryStore } from './store.ts';

/** What the ECR service runs against. */
export interface EcrServiceState {
  readonly store: RepositoryStore;
  readonly tokens: PageTokens;
  /** The visibility delay in force for an account and region. */
  visibilityDelayMs(account: string, region: string): number;
}

export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

export function ecrService(state: EcrServiceState): JsonService {
  return {
    name: 'ecr',
    title: 'ECR',
    protocol: 'json',
    targetPrefix: ECR_TARGET_PREFIX,
    operations: ECR_OPERATIONS,
    run({ operation, caller, input, nowMs }) {
      if (!isEcrOperation(operation))
        throw new AwsError('UnknownOperationException', `ECR has no ${operation}`);
      const { account, region } = caller;
      return runEcrOperation(
        operation,
        {
          account,
          region,
          store: state.store,
          nowMs,
          visibilityDelayMs: state.visibilityDelayMs(account, region),
          tokens: state.tokens,
        },
        input,
      );
    },
    faultError(fault, { operation, caller }) {
      if (fault === 'throttle') return new AwsError('ThrottlingException', 'Rate exceeded');
      if (fault === 'server-error')
        return new AwsError('ServerException', 'Injected server fault (emulator)', 500);
      return new AwsError(
        'AccessDeniedException',
        `User: ${caller.arn} is not authorized to perform: ecr:${operation} on resource: arn:aws:ecr:${caller.region}:${caller.account}:repository/* (injected by the emulator)`,
      );
    },
  };
}
