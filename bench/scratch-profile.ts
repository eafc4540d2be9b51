import { answer } from '../test/support/openai-stub-behaviours.ts';
import { startBenchEnvironment } from './bench-environment.ts';
import { completeDirectTimed, connectServiceClient, generateTimed, openChat, stubRecordOf } from './timed-streams.ts';
import { percentile } from './percentile.ts';
const env = await startBenchEnvironment({ databaseAdminUrl: undefined, serviceNodeArgs: process.env['BENCH_SERVICE_NODE_ARGS']?.split(' ').filter(Boolean) });
env.stub.respondWith(answer(['warm', ' up']));
const c0 = await connectServiceClient(env.service.baseUrl);
for (let i = 0; i < 20; i++) { await completeDirectTimed(env.direct); await generateTimed(c0, await openChat(c0)); }
c0.close();
const shape = process.argv[2] ?? 'streaming';
const rounds = Number(process.argv[3] ?? 6);
const [first, streamFor] = shape === 'burst' ? [100, 80] : [1000, 1000];
env.stub.respondWith(answer(Array.from({ length: 1 + Math.ceil(streamFor / 20) }, (_, i) => ` token${i}`), { firstPieceDelayMs: first, pieceDelayMs: 20 }));
const clients = await Promise.all(Array.from({ length: 50 }, () => connectServiceClient(env.service.baseUrl)));
// monotonic µs = perf.now()*1000 + offset
const offsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
const samples: Array<{ ms: number; at: number; recv: number }> = [];
for (let round = 0; round < rounds + 1; round++) {
  const chatIds = await Promise.all(clients.map((c) => openChat(c)));
  const served = await Promise.all(clients.map((c, i) => generateTimed(c, chatIds[i] ?? '')));
  if (round === 0) continue;
  const roundStart = Math.min(...served.map((t) => stubRecordOf(env.stub, t)?.receivedAt ?? Infinity));
  for (const t of served) {
    const rec = stubRecordOf(env.stub, t);
    if (!rec?.firstPieceAt || t.firstDeltaAt === undefined) continue;
    samples.push({ ms: t.firstDeltaAt - rec.firstPieceAt, at: rec.firstPieceAt * 1000 + offsetUs, recv: rec.receivedAt - roundStart });
  }
}
const s = samples.map((x) => x.ms);
console.log(shape, 'n', s.length, 'p50', percentile(s, 50).toFixed(1), 'p99', percentile(s, 99).toFixed(1));
for (const x of [...samples].sort((a, b) => b.ms - a.ms).slice(0, 10)) console.log('worst', x.ms.toFixed(1), 'ms at mono_us', x.at.toFixed(0), 'request arrived +', x.recv.toFixed(1));
for (const c of clients) c.close();
await env.stop();
