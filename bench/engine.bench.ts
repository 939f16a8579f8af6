/**
 * Grove's engine against graphile-worker 0.17 and pg-boss 10 on the same PostgreSQL server.
 *
 *   npm run build && npx tsx bench/engine.bench.ts   (DATABASE_URL may name another server;
 *   Grove runs from the compiled dist/, as it ships)
 *
 *   npx tsx bench/engine.bench.ts --only=throughput:grove:default:5000   (one measurement, as JSON;
 *   kinds idle, idle-inproc, throughput; systems grove, graphile, pgboss; variants default, fast)
 *
 *   BENCH_PROFILE_DIR=/tmp/prof npx tsx bench/engine.bench.ts --only=…   (also writes a CPU
 *   profile of each child process there)
 *
 * Every system under test runs in its own child process (bench/engine/child.ts) against its
 * own fresh database, created here and dropped afterwards, with worker concurrency 10 and a
 * no-op handler. Line 1 compares wall-clock Date.now() readings (a slot instant against a
 * handler start in another process, one machine); line 2 reads performance.now(), as the
 * enqueue and the handler run in one process. Percentiles are nearest-rank over sorted samples.
 *
 * Lines
 *  1. slot → handler start: (a) 1 config, (b) 100 configs due at the same instant. The peers'
 *     crons are minute-level, so every system runs minute slots over the same three
 *     consecutive minutes, all processes at once: (a) on the first and third, (b) on the
 *     second (crons on every other minute). The peers' slots fall on :00, Grove's on :30
 *     (a six-field cron, still one slot a minute) so its burst and theirs do not share the
 *     CPU. Lag = handler start − slot instant.
 *  2. enqueue → handler start with the workers idle and started, one job at a time, each
 *     waiting for its handler to start and the job to finish before the next.
 *  3. no-op executions per second: enqueue N first, then start the worker and time until every
 *     job is finished in the database.
 *
 * Peers run "default" (as installed) and "fast" (their documented tuning; see
 * bench/engine/graphile.ts and bench/engine/pgboss.ts). Order: line 1 for everything at
 * once; pg-boss polls, so its line 2 and its default line 3 (seconds per sample, bounded by
 * its polling intervals rather than by the machine) run alongside line 1. Grove's line 3
 * starts once the latency-sensitive line-1 systems are done, while pg-boss default's late
 * cron jobs finish; then line 2 and the peers' line 3, one system at a time, each after a
 * CHECKPOINT and a second of quiet.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  checkpoint,
  type ChildMessage,
  createDatabase,
  type CronResult,
  type CronSample,
  type CronTask,
  dropDatabase,
  type IdleResult,
  type IdleTask,
  type ParentMessage,
  percentile,
  sleep,
  type SystemName,
  type Task,
  type ThroughputResult,
  type ThroughputTask,
  type Variant,
  WARMUP_SAMPLES,
} from './engine/common.js';
import { GROVE_SLOT_SECOND } from './engine/grove.js';
import { FAST_BATCH_SIZE, pollingMs } from './engine/pgboss.js';

const MINUTE = 60_000;
/**
 * Line 1 measures three consecutive minutes A, B, A': the 1-config systems fire on A and A'
 * only and the 100-config systems on B only (crons on every other minute), so a 1-config
 * slot never shares its instant with a 100-config burst.
 */
const A_SLOTS = 2;
/** Set-up time allowed before the first measured minute (spawn, migrate, create configs). */
const SETUP_MS = 30_000;
const CROWD = 100;
const IDLE_SAMPLES = 200;
const THROUGHPUT_N = 20_000;
/** pg-boss default handles at most 10 loops × 1 job / 2 s = 5 jobs/s: 20,000 would take > 1 h. */
const PGBOSS_DEFAULT_THROUGHPUT_N = 500;
/** How long after its last slot a system may still deliver line-1 samples. */
const CRON_GRACE_MS = 70_000;

const log = (message: string) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${message}\n`);

// ---------------------------------------------------------------- child processes

const CHILD = fileURLToPath(new URL('./engine/child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const runId = `${process.pid}`;
const liveDatabases = new Set<string>();
const liveChildren = new Set<ChildProcess>();

interface Child {
  readonly name: string;
  readonly samples: CronSample[];
  ready: Promise<number>;
  result: Promise<unknown>;
  stop(): void;
}

async function spawn(name: string, makeTask: (dbUrl: string) => Task): Promise<Child> {
  const database = `grove_bench_${name.replace(/[^a-z0-9]+/g, '_')}_${runId}`;
  liveDatabases.add(database);
  const dbUrl = await createDatabase(database);
  const profile = process.env['BENCH_PROFILE_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE_DIR']}`] : [];
  const proc = fork(CHILD, [], { execArgv: ['--import', TSX, ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  liveChildren.add(proc);
  const samples: CronSample[] = [];
  let onReady: (at: number) => void = () => undefined;
  let notReady: (error: Error) => void = () => undefined;
  const ready = new Promise<number>((resolve, reject) => {
    onReady = resolve;
    notReady = reject;
  });
  const result = new Promise<unknown>((resolve, reject) => {
    let settled = false;
    proc.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') onReady(message.at);
      else if (message.type === 'samples') samples.push(...message.samples);
      else if (message.type === 'result') {
        settled = true;
        resolve(message.result);
      } else if (message.type === 'error') {
        settled = true;
        const error = new Error(`${name}: ${message.message}`);
        log(error.message);
        notReady(error);
        reject(error);
      }
    });
    proc.on('exit', (code) => {
      liveChildren.delete(proc);
      if (settled) return;
      const error = new Error(`${name}: child exited with code ${code} before its result`);
      log(error.message);
      notReady(error);
      reject(error);
    });
  }).finally(async () => {
    // Let the child close its connections before the database goes.
    await new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
    await dropDatabase(database).catch((error: Error) => log(`could not drop ${database}: ${error.message}`));
    liveDatabases.delete(database);
  });
  result.catch(() => undefined);
  ready.catch(() => undefined);
  const post = (message: ParentMessage) => {
    if (proc.connected) proc.send(message);
  };
  post({ type: 'start', task: makeTask(dbUrl) });
  return { name, samples, ready, result, stop: () => post({ type: 'stop' }) };
}

async function cleanup(): Promise<void> {
  for (const proc of liveChildren) proc.kill('SIGKILL');
  await sleep(200);
  for (const database of liveDatabases) await dropDatabase(database).catch(() => undefined);
}

// ---------------------------------------------------------------- measurements

interface LagStats {
  p50: number;
  p99: number;
  n: number;
}

function stats(samples: readonly number[]): LagStats {
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), n: samples.length };
}

type CronKey = 'grove' | 'graphile' | 'pgboss-default' | 'pgboss-fast';

interface CronLagResults {
  /** Per system: (a) one config, (b) CROWD configs. */
  lags: Record<CronKey, { a: LagStats; b: LagStats }>;
  /** The minute slots measured for (a) and (b) (the peers'; Grove's are 30 s later). */
  slots: { a: Date[]; b: Date[] };
}

interface PhaseOneResults {
  cron: CronLagResults;
  pgbossIdle: Record<Variant, LagStats>;
  pgbossDefaultThroughput: ThroughputResult;
}

const minuteParity = (at: number) => (Math.floor(at / MINUTE) % 60) % 2 === 0 ? 0 : 1;

/** The first minute instant of `parity` strictly after `after`. */
function firstMinute(after: number, parity: 0 | 1): number {
  let at = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  if (minuteParity(at) !== parity) at += MINUTE;
  return at;
}

/** pg-boss default fires its cron up to ~60 s late; these keys finish in the background. */
const SLOW_CRON: ReadonlySet<CronKey> = new Set<CronKey>(['pgboss-default']);

/**
 * Line 1 for every system at once, plus pg-boss's polling-bound lines 2 and 3 (default) in
 * their own databases alongside. Resolves `quiet` once every latency-sensitive line-1 system
 * has its samples (pg-boss's idle loops are stopped then); `all` once pg-boss default's
 * delayed cron and its throughput run are done too.
 */
function phaseOne(): { quiet: Promise<void>; all: Promise<PhaseOneResults> } {
  let onQuiet: () => void = () => undefined;
  const quiet = new Promise<void>((resolve) => {
    onQuiet = resolve;
  });
  const all = (async (): Promise<PhaseOneResults> => {
    const cronSpecs: Array<{ key: CronKey; system: SystemName; variant: Variant }> = [
      { key: 'grove', system: 'grove', variant: 'default' },
      { key: 'graphile', system: 'graphile', variant: 'default' },
      { key: 'pgboss-default', system: 'pgboss', variant: 'default' },
      { key: 'pgboss-fast', system: 'pgboss', variant: 'fast' },
    ];
    // (a) fires on the parity of the first minute that leaves time to set up; (b) on the other.
    const aParity = minuteParity(Math.floor((Date.now() + SETUP_MS) / MINUTE) * MINUTE + MINUTE);
    const parityOf = (scenario: 'a' | 'b') => (scenario === 'a' ? aParity : ((1 - aParity) as 0 | 1));
    const cronChildren = await Promise.all(
      cronSpecs.flatMap((spec) =>
        (['a', 'b'] as const).map(async (scenario) => {
          const configs = scenario === 'a' ? 1 : CROWD;
          const child = await spawn(`cron-${spec.key}-${scenario}`, (dbUrl): CronTask => ({
            kind: 'cron',
            system: spec.system,
            variant: spec.variant,
            dbUrl,
            configs,
            parity: parityOf(scenario),
          }));
          return { ...spec, scenario, configs, child, slots: scenario === 'a' ? A_SLOTS : A_SLOTS - 1 };
        }),
      ),
    );
    const idleChildren = await Promise.all(
      (['default', 'fast'] as const).map(async (variant) => ({
        variant,
        child: await spawn(`idle-pgboss-${variant}`, (dbUrl): IdleTask => ({ kind: 'idle', system: 'pgboss', variant, dbUrl, samples: IDLE_SAMPLES })),
      })),
    );
    const throughputChild = await spawn('throughput-pgboss-default', (dbUrl): ThroughputTask => ({
      kind: 'throughput',
      system: 'pgboss',
      variant: 'default',
      dbUrl,
      n: PGBOSS_DEFAULT_THROUGHPUT_N,
    }));

    const armedAt = Math.max(...(await Promise.all(cronChildren.map((c) => c.child.ready))));
    // 10 s of margin: nothing set up before arming may spill into the first measured minute.
    const a1 = firstMinute(armedAt + 10_000, aParity);
    const peerSlots = {
      a: Array.from({ length: A_SLOTS }, (_, k) => a1 + 2 * k * MINUTE),
      b: Array.from({ length: A_SLOTS - 1 }, (_, k) => a1 + (2 * k + 1) * MINUTE),
    };
    const offset = GROVE_SLOT_SECOND * 1000;
    const slotsOf = (key: CronKey, scenario: 'a' | 'b') => new Set(peerSlots[scenario].map((t) => (key === 'grove' ? t + offset : t)));
    const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
    log(`line 1: all armed; 1 config at ${peerSlots.a.map(hhmm).join(' and ')}, ${CROWD} configs at ${peerSlots.b.map(hhmm).join(', ')} (peers :00, Grove :${GROVE_SLOT_SECOND})`);

    // One sample per (config, slot): pg-boss's streamed slots are provisional (see its adapter).
    const arrived = (c: (typeof cronChildren)[number]) => new Set(c.child.samples.filter((x) => slotsOf(c.key, c.scenario).has(x.slot)).map((x) => `${x.key}@${x.slot}`)).size;
    const complete = (c: (typeof cronChildren)[number]) => arrived(c) >= c.configs * c.slots;
    const deadline = Math.max(...peerSlots.a, ...peerSlots.b) + offset + CRON_GRACE_MS;
    const waitFor = async (children: typeof cronChildren) => {
      while (!children.every(complete) && Date.now() < deadline) await sleep(250);
      for (const c of children) {
        if (!complete(c)) log(`line 1: ${c.child.name} has ${arrived(c)} of ${c.configs * c.slots} samples at its deadline`);
        c.child.stop();
      }
    };
    await waitFor(cronChildren.filter((c) => !SLOW_CRON.has(c.key)));
    for (const { child } of idleChildren) child.stop();
    onQuiet();
    await waitFor(cronChildren.filter((c) => SLOW_CRON.has(c.key)));

    const lags = {} as CronLagResults['lags'];
    for (const c of cronChildren) {
      const result = (await c.child.result) as CronResult | null;
      const samples = (result?.samples ?? c.child.samples).filter((x) => slotsOf(c.key, c.scenario).has(x.slot));
      lags[c.key] ??= { a: stats([]), b: stats([]) };
      lags[c.key][c.scenario] = stats(samples.map((x) => x.at - x.slot));
    }
    const pgbossIdle = {} as Record<Variant, LagStats>;
    for (const { variant, child } of idleChildren) pgbossIdle[variant] = stats(((await child.result) as IdleResult).lagsMs);
    const pgbossDefaultThroughput = (await throughputChild.result) as ThroughputResult;
    return {
      cron: { lags, slots: { a: peerSlots.a.map((t) => new Date(t)), b: peerSlots.b.map((t) => new Date(t)) } },
      pgbossIdle,
      pgbossDefaultThroughput,
    };
  })();
  all.catch(() => onQuiet());
  return { quiet, all };
}

/** Flushes the previous measurement's writes and lets the machine settle. */
async function settle(): Promise<void> {
  await checkpoint();
  await sleep(1000);
}

/** Line 2 for one system, alone on the machine. */
async function idleLatency(system: SystemName, variant: Variant, samples: number, inProcess = false): Promise<LagStats> {
  await settle();
  const child = await spawn(`idle-${system}-${variant}${inProcess ? '-inproc' : ''}`, (dbUrl): IdleTask => ({ kind: 'idle', system, variant, dbUrl, samples, inProcess }));
  return stats(((await child.result) as IdleResult).lagsMs);
}

/** Line 3 for one system, alone on the machine. */
async function throughput(system: SystemName, variant: Variant, n: number): Promise<ThroughputResult> {
  await settle();
  const child = await spawn(`throughput-${system}-${variant}`, (dbUrl): ThroughputTask => ({ kind: 'throughput', system, variant, dbUrl, n }));
  return (await child.result) as ThroughputResult;
}

// ---------------------------------------------------------------- report

interface Row {
  line: string;
  kind: 'latency' | 'throughput';
  grove: number;
  graphile: number | undefined;
  pgboss: number | undefined;
  samples: string;
}

const rate = (r: ThroughputResult) => (r.n * 1000) / r.ms;

function fmt(value: number | undefined, kind: Row['kind']): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  return kind === 'throughput' ? `${Math.round(value)}/s` : `${value.toFixed(value >= 100 ? 0 : 1)} ms`;
}

function ratio(peer: number | undefined, grove: number, kind: Row['kind']): string {
  if (peer === undefined || Number.isNaN(peer) || Number.isNaN(grove)) return '—';
  const value = kind === 'throughput' ? grove / peer : peer / Math.max(grove, 0.1);
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(2)}×`;
}

function table(rows: Row[]): string {
  const header = ['line', 'grove', 'graphile-worker', 'pg-boss', 'graphile÷grove', 'pg-boss÷grove', 'samples g/gw/pb'];
  const body = rows.map((r) => [
    r.line,
    fmt(r.grove, r.kind),
    fmt(r.graphile, r.kind),
    fmt(r.pgboss, r.kind),
    ratio(r.graphile, r.grove, r.kind),
    ratio(r.pgboss, r.grove, r.kind),
    r.samples,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const began = Date.now();
  await checkpoint();
  log('line 1 (+ pg-boss lines 2 and 3 default, polling-bound) — all systems at once');
  const phase = phaseOne();
  await phase.quiet;

  // Grove's line 3 is the long one: it starts while pg-boss default's late cron jobs and its
  // 5 jobs/s throughput run finish (light polling, noted in the output).
  log(`line 3 for Grove: ${THROUGHPUT_N} executions (pg-boss default's line-1 tail finishing alongside)`);
  const tGrove = await throughput('grove', 'default', THROUGHPUT_N);
  log(`grove ${Math.round(rate(tGrove))}/s`);
  const one = await phase.all;

  log('line 2: one system at a time');
  const idleGrove = await idleLatency('grove', 'default', IDLE_SAMPLES);
  const idleGroveInProcess = await idleLatency('grove', 'default', IDLE_SAMPLES, true);
  const idleGraphileDefault = await idleLatency('graphile', 'default', IDLE_SAMPLES);
  const idleGraphileFast = await idleLatency('graphile', 'fast', IDLE_SAMPLES);

  log(`line 3 for the peers: ${THROUGHPUT_N} executions, one system at a time`);
  const tGraphileDefault = await throughput('graphile', 'default', THROUGHPUT_N);
  const tGraphileFast = await throughput('graphile', 'fast', THROUGHPUT_N);
  const tPgbossFast = await throughput('pgboss', 'fast', THROUGHPUT_N);
  const tPgbossDefault = one.pgbossDefaultThroughput;
  const elapsed = Date.now() - began;

  const { lags } = one.cron;
  const n = (...counts: Array<number | undefined>) => counts.map((c) => (c === undefined ? '—' : String(c))).join('/');
  const rows: Row[] = [];
  for (const scenario of ['a', 'b'] as const) {
    const label = scenario === 'a' ? '1a slot→start, 1 config' : `1b slot→start, ${CROWD} configs`;
    for (const variant of ['default', 'fast'] as const) {
      const boss = lags[variant === 'default' ? 'pgboss-default' : 'pgboss-fast'][scenario];
      const gw = variant === 'default' ? lags.graphile[scenario] : undefined;
      const g = lags.grove[scenario];
      for (const q of ['p50', 'p99'] as const) {
        rows.push({ line: `${label} ${q} [${variant}]`, kind: 'latency', grove: g[q], graphile: gw?.[q], pgboss: boss[q], samples: n(g.n, gw?.n, boss.n) });
      }
    }
  }
  for (const variant of ['default', 'fast'] as const) {
    const gw = variant === 'default' ? idleGraphileDefault : idleGraphileFast;
    const boss = one.pgbossIdle[variant];
    for (const q of ['p50', 'p99'] as const) {
      rows.push({ line: `2  enqueue→start ${q} [${variant}]`, kind: 'latency', grove: idleGrove[q], graphile: gw[q], pgboss: boss[q], samples: n(idleGrove.n, gw.n, boss.n) });
    }
  }
  rows.push({ line: '3  no-op executions/s [default]', kind: 'throughput', grove: rate(tGrove), graphile: rate(tGraphileDefault), pgboss: rate(tPgbossDefault), samples: n(tGrove.n, tGraphileDefault.n, tPgbossDefault.n) });
  rows.push({ line: '3  no-op executions/s [fast]', kind: 'throughput', grove: rate(tGrove), graphile: rate(tGraphileFast), pgboss: rate(tPgbossFast), samples: n(tGrove.n, tGraphileFast.n, tPgbossFast.n) });

  const minutes = (list: Date[]) => list.map((d) => d.toISOString().slice(11, 16)).join(' and ');
  const notes = [
    `Ratios: latency = peer ÷ grove, throughput = grove ÷ peer; above 1× Grove is ahead. Grove has one configuration; [default]/[fast] name the peers' settings.`,
    `Line 1: minute slots for every system (Grove too), on every other minute: 1 config at ${minutes(one.cron.slots.a)} UTC, ${CROWD} configs at ${minutes(one.cron.slots.b)} UTC, so the two never fire together; the peers' slots on :00, Grove's on :${GROVE_SLOT_SECOND}. All line-1 processes ran at once, one database each; samples = handler starts. graphile-worker was run in its default configuration only (its cron → NOTIFY path does not use pollInterval; its local queue trades latency for throughput).`,
    `pg-boss line 1 uses one queue + schedule + work() loop per config (pg-boss 10 keys schedules by queue name). pg-boss lines 1–2 and its default line 3 ran alongside line 1 (each sample is bounded by its polling: ${pollingMs('default')} ms default, ${pollingMs('fast')} ms fast).`,
    `Line 2: Grove's trigger comes from a second Grove system on its own pool (an API process): the run is handed to the idle worker in the statement that records it (a NOTIFY carries it; the worker makes no claim); through the worker's own system (claimed for it as it is recorded): p50 ${fmt(idleGroveInProcess.p50, 'latency')}, p99 ${fmt(idleGroveInProcess.p99, 'latency')} (n=${idleGroveInProcess.n}). graphile: addJob from makeWorkerUtils (own pool); pg-boss: send() after a random wait within its polling interval.`,
    `Line 2 discards each system's first ${WARMUP_SAMPLES} samples; every line-2 and line-3 run starts after a CHECKPOINT and 1 s of quiet.`,
    `Line 3: Grove ${tGrove.n} manual runs of one config (maxConcurrent 1000, so the cap never binds), ${tGrove.historyRows} success rows kept; the worker runs 10 at once and claims up to 500 ahead (graphile fast: a local queue of 500); enqueue took ${(tGrove.enqueueMs / 1000).toFixed(1)} s (not timed); its first seconds overlapped pg-boss default's last line-1 jobs and 5/s throughput run (light polling). graphile-worker deletes finished jobs (no history row). pg-boss keeps completed rows (${tPgbossFast.historyRows} fast, ${tPgbossDefault.historyRows} default). pg-boss default measured on ${tPgbossDefault.n} jobs (ceiling 10 loops × 1 job / 2 s = 5/s); pg-boss fast = 10 loops × batchSize ${FAST_BATCH_SIZE} / 0.5 s (ceiling ${(10 * FAST_BATCH_SIZE) / 0.5}/s; up to ${10 * FAST_BATCH_SIZE} jobs in hand at once, beyond "concurrency 10").`,
    `Total time ${(elapsed / 1000).toFixed(0)} s.`,
  ];
  process.stdout.write(`\nGrove engine vs graphile-worker 0.17 vs pg-boss 10 (concurrency 10, no-op handlers, one PostgreSQL server)\n\n${table(rows)}\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`);
}

process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

/** `--only=idle:grove:default[:samples]` or `--only=throughput:graphile:fast[:n]`: one measurement, printed as JSON. */
async function only(spec: string): Promise<void> {
  const [kind, system, variant, count] = spec.split(':') as [string, SystemName, Variant, string | undefined];
  const result =
    kind === 'idle'
      ? await idleLatency(system, variant, Number(count ?? IDLE_SAMPLES))
      : kind === 'idle-inproc'
        ? await idleLatency(system, variant, Number(count ?? IDLE_SAMPLES), true)
        : kind === 'throughput'
          ? await throughput(system, variant, Number(count ?? THROUGHPUT_N)).then((r) => ({ ...r, perSecond: Math.round(rate(r)) }))
          : undefined;
  if (!result) throw new Error(`--only: unknown measurement '${kind}' (idle, idle-inproc, throughput)`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const onlyArg = process.argv.find((arg) => arg.startsWith('--only='));
try {
  await (onlyArg ? only(onlyArg.slice('--only='.length)) : main());
} catch (error) {
  await cleanup();
  throw error;
}
