/**
 * An error shaped as the SDK throws it for a service's answer: its `name` is the AWS code, with the
 * `$fault` and HTTP status the SDK's retry classification reads (`@smithy/core/retry`).
 */
export function sdkError(name: string, status: number | undefined, fault: 'client' | 'server' = 'client') {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });
}
