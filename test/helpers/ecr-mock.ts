/**
 * An `aws-sdk-client-mock` ECR that answers as a registry holding one MUTABLE `payments/api` in whichever
 * registry was asked for (the account of the call, as ECR does), and accepts the change to IMMUTABLE.
 */
import {
  DescribeRepositoriesCommand,
  type ECRClient,
  PutImageTagMutabilityCommand,
} from '@aws-sdk/client-ecr';
import type { AwsClientStub } from 'aws-sdk-client-mock';

type EcrMock = AwsClientStub<ECRClient>;

export function answerWithOneMutableRepository(ecrMock: EcrMock, homeAccount: string): void {
  ecrMock.reset();
  ecrMock.on(DescribeRepositoriesCommand).callsFake((input: { registryId?: string }) => ({
    repositories: [
      {
        repositoryName: 'payments/api',
        repositoryArn: `arn:aws:ecr:us-east-1:${input.registryId ?? homeAccount}:repository/payments/api`,
        registryId: input.registryId ?? homeAccount,
        imageTagMutability: 'MUTABLE',
      },
    ],
  }));
  ecrMock.on(PutImageTagMutabilityCommand).resolves({ imageTagMutability: 'IMMUTABLE' });
}
