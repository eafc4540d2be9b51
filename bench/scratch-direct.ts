import { spawn } from 'node:child_process';
import { answer } from '../test/support/openai-stub-behaviours.ts';
import { startOpenAIStubServer } from '../test/support/openai-stub-server.ts';
import { completeDirectTimed, createDirectClient } from './timed-streams.ts';
if (process.argv[2] === 'child') {
  const client = createDirectClient(process.argv[3]!);
  let reads = 0;
  for (let i = 0; i < Number(process.argv[4]); i++) {
    const t = await completeDirectTimed(client);
    process.stdout.write(JSON.stringify({ last: performance.timeOrigin + (t.lastDeltaAt ?? NaN), bytes: t.contentBytes, deltas: t.deltaCount }) + '\n');
  }
  process.exit(0);
}
const pieces = Array.from({ length: 20000 }, (_, i) => `${String(i).padStart(6, '0')} ${'x'.repeat(43)}`);
const stub = await startOpenAIStubServer();
stub.respondWith(answer(pieces));
const client = createDirectClient(stub.baseUrl);
for (let r = 0; r < 5; r++) {
  const t = await completeDirectTimed(client);
  const rec = stub.requests.at(-1)!;
  console.log('in-process MB/s', (t.contentBytes / ((t.lastDeltaAt! - rec.firstPieceAt!) / 1000) / 1e6).toFixed(2));
}
const child = spawn(process.execPath, [process.argv[1]!, 'child', stub.baseUrl, '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
let buf = '';
child.stdout.on('data', (d) => (buf += d));
await new Promise((r) => child.on('exit', r));
const lines = buf.trim().split('\n').map((l) => JSON.parse(l));
lines.forEach((l, i) => {
  const rec = stub.requests.at(-5 + i)!;
  console.log('child-process MB/s', (l.bytes / ((l.last - (performance.timeOrigin + rec.firstPieceAt!)) / 1000) / 1e6).toFixed(2));
});
await stub.close?.();
process.exit(0);
