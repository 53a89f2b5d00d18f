// One cold invocation, as Lambda's runtime makes it: a fresh process imports a bundle, calls its
// `handler(event, context)` once, and is done. bench/cold-start.ts runs it for the guardrail and the
// bare-SDK handler alike and times the whole process. Plain JavaScript on purpose: a .ts runner would
// add Node's type stripping to every measured start.
//   node bench/cold-invoke-runner.mjs <bundle.mjs> <event.json> [report]
// With `report`, one JSON line goes to file descriptor 3: when the import and the invocation ended
// (milliseconds since the process started), the CPU time the main thread had used by then (user +
// system: steadier than wall time on a loaded machine) and what the handler returned.
const { readFileSync, writeSync } = process.getBuiltinModule('node:fs');
const { pathToFileURL } = process.getBuiltinModule('node:url');

const [bundle, eventFile, report] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'ecr-immutability-guard';
const region = process.env.AWS_REGION ?? 'eu-west-1';
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: '8f5c2a1e-0b3d-4c6e-9f1a-2b3c4d5e6f70',
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: '2026/12/01/[$LATEST]0123456789abcdef0123456789abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

const { handler } = await import(pathToFileURL(bundle).href);
const imported = process.uptime() * 1000;
const result = await handler(event, context);
const invoked = process.uptime() * 1000;
if (report === 'report') {
  const { user, system } = process.threadCpuUsage();
  const cpuMs = (user + system) / 1000;
  writeSync(3, `${JSON.stringify({ importMs: imported, invokeMs: invoked, cpuMs, result })}\n`);
}
// Lambda freezes the process once the handler has answered; here it ends, whatever sockets the SDK keeps.
process.exit(0);
