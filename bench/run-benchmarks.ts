import { availableParallelism, loadavg } from 'node:os';
import { answer } from '../test/support/openai-stub-behaviours.ts';
import { type BenchResults, printTable, reportRows } from './benchmark-report.ts';
import { startBenchEnvironment, type BenchEnvironment } from './bench-environment.ts';
import { measureCancelPropagation } from './cancel-propagation.ts';
import { describeCpuWindows } from './cpu-window.ts';
import { measureMemoryUnderLoad } from './memory-under-load.ts';
import { measureThroughput, throughputPieceCount } from './throughput.ts';
import { completeDirectTimed, connectServiceClient, generateTimed, openChat } from './timed-streams.ts';
import { measureTtftOverhead } from './ttft-overhead.ts';

/**
 * The whole run must end within 5 minutes; a hang, or a machine too loaded to finish, prints what
 * was measured so far and exits 1. A run takes about 2 minutes on a quiet machine, 4 at load 13.
 */
const runDeadlineMs = 4.75 * 60_000;
const warmUpTurns = 20;

type TtftStep = Parameters<typeof measureTtftOverhead>[1];

/**
 * What runs. Time to first token runs twice at 50 and 200 streams. "Burst": every stream starts at
 * once, its first token comes 100 ms after its provider request and its answer ends 80 ms later, so
 * first tokens meet other streams' preflight and finalization transactions on the service's event
 * loop. "Streaming": first tokens come late enough that normally every stream has started (the run
 * reports how many still overlapped) and answers last a second, so first tokens meet only other
 * streams' deltas. Issue 3's ≤ 10 ms is judged on the 50-stream streaming shape; the burst, an
 * overload of turn starts on this machine, is reported without a target (benchmark-report.ts).
 * Throughput runs enough rounds that its median does not follow one noisy round: single rounds
 * of either side vary by 2× on these shared machines. Memory holds 200 streams twice, so growth
 * that stays can be told from a leak.
 * The 200-stream time to first token (no target of its own) runs last: on a machine too loaded to
 * finish in time, the deadline cuts it rather than a scenario with a target.
 */
const plan = {
  ttft: [
    { label: '1 stream', shape: 'single', concurrency: 1, rounds: 40, firstPieceDelayMs: 100, streamForMs: 80 },
    { label: '50 streams burst', shape: 'burst', concurrency: 50, rounds: 3, firstPieceDelayMs: 100, streamForMs: 80 },
    { label: '50 streams streaming', shape: 'streaming', concurrency: 50, rounds: 3, firstPieceDelayMs: 1_000, streamForMs: 1_000 },
  ] satisfies TtftStep[],
  ttftAtScale: [
    { label: '200 streams burst', shape: 'burst', concurrency: 200, rounds: 2, firstPieceDelayMs: 100, streamForMs: 80 },
    { label: '200 streams streaming', shape: 'streaming', concurrency: 200, rounds: 2, firstPieceDelayMs: 2_500, streamForMs: 1_000 },
  ] satisfies TtftStep[],
  throughput: [
    { concurrency: 1, rounds: 11 },
    { concurrency: 10, rounds: 5 },
  ],
  cancel: { streams: 50 },
  memory: { streams: 200, cycles: 2 },
};

function progress(message: string): void {
  process.stderr.write(`[bench ${(performance.now() / 1000).toFixed(1)} s] ${message}\n`);
}

/** Loads code paths, JIT and connection pools on both sides before anything is measured. */
async function warmUp(env: BenchEnvironment): Promise<void> {
  env.stub.respondWith(answer(['warm', ' up']));
  const client = await connectServiceClient(env.service.baseUrl);
  try {
    for (let turn = 0; turn < warmUpTurns; turn += 1) {
      await completeDirectTimed(env.direct);
      await generateTimed(client, await openChat(client));
    }
  } finally {
    client.close();
  }
}

const scenarioNames = ['memory', 'ttft', 'throughput', 'cancel'] as const;
type ScenarioName = (typeof scenarioNames)[number];

/** `npm run bench` runs every scenario; `npm run bench -- ttft cancel` only those. */
function selectedScenarios(args: string[]): Set<ScenarioName> {
  const unknown = args.filter((arg) => !scenarioNames.some((name) => name === arg));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; expected any of ${scenarioNames.join(', ')}`);
  return new Set(args.length === 0 ? scenarioNames : scenarioNames.filter((name) => args.includes(name)));
}

/** Runs the selected scenarios, adding each result to `results` as soon as it is measured. */
async function runScenarios(env: BenchEnvironment, selected: Set<ScenarioName>, results: BenchResults): Promise<void> {
  progress('warming up');
  await warmUp(env);
  // Memory first, on a warmed but otherwise fresh process: less garbage from earlier scenarios to hide the growth.
  for (let cycle = 1; selected.has('memory') && cycle <= plan.memory.cycles; cycle += 1) {
    progress(`memory: ${plan.memory.streams} streams held open, cycle ${cycle}`);
    results.memory.push(await measureMemoryUnderLoad(env, plan.memory));
  }
  await runTtft(env, selected.has('ttft') ? plan.ttft : [], results);
  for (const step of selected.has('throughput') ? plan.throughput : []) {
    progress(`throughput: ${step.concurrency} concurrent long answers × ${step.rounds} rounds`);
    results.throughput.push(await measureThroughput(env, step));
  }
  if (selected.has('cancel')) {
    progress(`cancel propagation: ${plan.cancel.streams} streams, one at a time`);
    results.cancel = await measureCancelPropagation(env, plan.cancel);
  }
  await runTtft(env, selected.has('ttft') ? plan.ttftAtScale : [], results);
}

async function runTtft(env: BenchEnvironment, steps: TtftStep[], results: BenchResults): Promise<void> {
  for (const step of steps) {
    progress(`time to first token, ${step.label}: ${step.rounds} rounds, first token at +${step.firstPieceDelayMs} ms, answers last ${step.streamForMs} ms`);
    results.ttft.push(await measureTtftOverhead(env, step));
  }
}

function printDetails(results: BenchResults): void {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const list = (values: number[], scale = 1) => values.map((value) => (value / scale).toFixed(1)).join(', ');
  for (const result of results.ttft) {
    const label = `TTFT ${result.label}`;
    write(`${label}: provider requests arrived over [${list(result.arrivalSpreadMs)}] ms per round; ${result.overlappedStarts} first tokens came while streams were still starting`);
    write(`${label}: CPU during service rounds: ${describeCpuWindows(result.serviceRoundCpu, result.concurrency)}`);
    write(`${label}: CPU while creating the round's chats: ${describeCpuWindows(result.createChatCpu, result.concurrency, 'CreateChat')}`);
    write(`${label}: ${result.benchGcDelayedFirstTokens} of ${result.serviceMs.length} first tokens waited through a garbage collection of the bench process itself (longest pause ${result.benchGcLongestPauseMs.toFixed(1)} ms)`);
  }
  for (const result of results.throughput) {
    write(`throughput ${result.concurrency} streams: direct [${list(result.directBytesPerSecond, 1e6)}] MB/s, service [${list(result.serviceBytesPerSecond, 1e6)}] MB/s`);
    write(`throughput ${result.concurrency} streams: CPU during service rounds: ${describeCpuWindows(result.serviceRoundCpu, result.concurrency)}`);
    write(`throughput ${result.concurrency} streams: deltas per answer of ${throughputPieceCount} pieces [${result.serviceDeltasPerAnswer.map((count) => count.toFixed(0)).join(', ')}]`);
  }
  const failures = [...results.ttft.flatMap((r) => r.failures), ...results.throughput.flatMap((r) => r.failures), ...(results.cancel?.failures ?? [])];
  write(`failed or unmatched streams: ${failures.length}`);
  for (const failure of failures.slice(0, 10)) write(`  ${failure}`);
}

function printResults(results: BenchResults): void {
  printTable(reportRows(results));
  printDetails(results);
}

async function main(): Promise<void> {
  const results: BenchResults = { ttft: [], throughput: [], memory: [] };
  const deadline = setTimeout(() => {
    progress(`the run passed its ${runDeadlineMs / 1000} s deadline; giving up with what was measured so far`);
    printResults(results);
    process.exit(1);
  }, runDeadlineMs);
  deadline.unref();
  const selected = selectedScenarios(process.argv.slice(2));
  progress(`node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}`);
  progress(process.env['DATABASE_URL'] ? 'starting a bench database on DATABASE_URL' : 'starting embedded PostgreSQL');
  const env = await startBenchEnvironment({
    databaseAdminUrl: process.env['DATABASE_URL'] || undefined,
    serviceNodeArgs: process.env['BENCH_SERVICE_NODE_ARGS']?.split(' ').filter(Boolean),
  });
  progress(`service pid ${env.service.pid} at ${env.service.baseUrl}, stub at ${env.stub.baseUrl}`);
  try {
    await runScenarios(env, selected, results);
  } finally {
    // Also after a failed scenario: what was measured before it still counts.
    printResults(results);
    progress(`done; load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}; stopping`);
    await env.stop();
  }
}

await main();
