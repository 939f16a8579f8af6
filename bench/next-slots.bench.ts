/**
 * nextSlots throughput against croner on the same mix of expressions and zones.
 *
 *   npx tsx bench/next-slots.bench.ts
 *
 * For each side, one "pass" computes SLOTS_PER_CALL slots for every row of the mix from
 * that row's fixed start. Both sides run warm: nextSlots takes the expression string but
 * memoizes the compiled schedule (and zone transitions) internally, so the croner side
 * builds its Cron instances once, outside the timed loop. Passes repeat for ROUND_MS per
 * round, the two sides alternate rounds, and the median of ROUNDS rounds is reported in
 * slots/second.
 *
 * croner runs with the options closest to SCHEDULING.md: `fixedTimeRule: 'no-wildcard'`
 * (a job is fixed-time unless its seconds, minutes or hours use `*` or a step) and the
 * default day-of-month/day-of-week OR rule. The mix avoids the forms where the two are
 * known to read an expression differently (`a/n` starts, a `*\/n` day-of-month together
 * with a day of week), so differing slots come from daylight-saving edges. The same
 * comparison with croner's defaults is printed for information.
 */
import { performance } from 'node:perf_hooks';
import { Cron, type CronOptions } from 'croner';
import { nextSlots } from '../src/domain/schedule/index.js';

interface BenchRow {
  cron: string;
  zone: string;
  from: string;
}

const mix: BenchRow[] = [
  { cron: '*/5 * * * *', zone: 'UTC', from: '2026-01-01T00:00:00Z' },
  { cron: '0 2 * * *', zone: 'America/New_York', from: '2026-03-01T00:00:00Z' },
  { cron: '30 1,13 * * *', zone: 'America/New_York', from: '2026-10-15T00:00:00Z' },
  { cron: '*/15 1-3 * * *', zone: 'America/New_York', from: '2026-10-31T00:00:00Z' },
  { cron: '0 9 * * MON-FRI', zone: 'Europe/Berlin', from: '2026-03-01T00:00:00Z' },
  { cron: '0,30 2 * * *', zone: 'Europe/Berlin', from: '2026-03-20T00:00:00Z' },
  { cron: '0 0 L * *', zone: 'Europe/Berlin', from: '2026-01-01T00:00:00Z' },
  { cron: '0 9 LW * *', zone: 'Australia/Sydney', from: '2026-01-01T00:00:00Z' },
  { cron: '0 9 15W * *', zone: 'Australia/Sydney', from: '2026-01-01T00:00:00Z' },
  { cron: '0 10 * * 5#3', zone: 'Australia/Sydney', from: '2026-01-01T00:00:00Z' },
  { cron: '0 18 * * 5L', zone: 'Australia/Sydney', from: '2026-01-01T00:00:00Z' },
  { cron: '*/10 2 * * *', zone: 'Australia/Lord_Howe', from: '2026-09-25T00:00:00Z' },
  { cron: '15 2 * * *', zone: 'Australia/Lord_Howe', from: '2026-09-01T00:00:00Z' },
  { cron: '45 1 * * *', zone: 'Australia/Lord_Howe', from: '2026-03-20T00:00:00Z' },
  { cron: '0 */2 * * *', zone: 'Asia/Kathmandu', from: '2026-01-01T00:00:00Z' },
  { cron: '0 0,12 1,15 * *', zone: 'Asia/Kathmandu', from: '2026-01-01T00:00:00Z' },
  { cron: '0 3 * * *', zone: 'Pacific/Chatham', from: '2026-09-01T00:00:00Z' },
  { cron: '*/30 2-4 * * *', zone: 'Pacific/Chatham', from: '2026-04-01T00:00:00Z' },
  { cron: '0 9-17 * * 1-5', zone: 'Asia/Kolkata', from: '2026-01-01T00:00:00Z' },
  { cron: '0 0 1 JAN,APR,JUL,OCT *', zone: 'America/Sao_Paulo', from: '2026-01-01T00:00:00Z' },
];

const SLOTS_PER_CALL = 100;
const ROUNDS = 7;
const ROUND_MS = 300;

const closestCronerOptions: Omit<CronOptions, 'timezone'> = { fixedTimeRule: 'no-wildcard' };

const starts = mix.map((row) => new Date(row.from));

function oursPass(): number {
  let slots = 0;
  for (let i = 0; i < mix.length; i += 1) {
    const row = mix[i] as BenchRow;
    slots += nextSlots(row.cron, row.zone, starts[i] as Date, SLOTS_PER_CALL).length;
  }
  return slots;
}

const cronerJobs = mix.map((row) => new Cron(row.cron, { ...closestCronerOptions, timezone: row.zone }));

function cronerPass(): number {
  let slots = 0;
  for (let i = 0; i < cronerJobs.length; i += 1) {
    slots += (cronerJobs[i] as Cron).nextRuns(SLOTS_PER_CALL, starts[i] as Date).length;
  }
  return slots;
}

/** Slots per second over one round of about ROUND_MS. */
function measureRound(pass: () => number): number {
  let slots = 0;
  const started = performance.now();
  let elapsed: number;
  do {
    slots += pass();
    elapsed = performance.now() - started;
  } while (elapsed < ROUND_MS);
  return slots / (elapsed / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

interface Difference {
  row: BenchRow;
  onlyOurs: string[];
  onlyCroner: string[];
}

function compare(options: Omit<CronOptions, 'timezone'>): { total: number; differing: number; rows: Difference[] } {
  let total = 0;
  let differing = 0;
  const rows: Difference[] = [];
  mix.forEach((row, i) => {
    const ours = nextSlots(row.cron, row.zone, starts[i] as Date, SLOTS_PER_CALL).map((d) => d.toISOString());
    const theirs = new Cron(row.cron, { ...options, timezone: row.zone })
      .nextRuns(SLOTS_PER_CALL, starts[i] as Date)
      .map((d) => d.toISOString());
    // Compare the stretch both cover, so one extra slot at the end is not counted twice.
    const lastOurs = ours.at(-1) ?? '';
    const lastTheirs = theirs.at(-1) ?? '';
    const horizon = lastOurs < lastTheirs ? lastOurs : lastTheirs;
    const oursSet = new Set(ours.filter((s) => s <= horizon));
    const theirSet = new Set(theirs.filter((s) => s <= horizon));
    const onlyOurs = [...oursSet].filter((s) => !theirSet.has(s));
    const onlyCroner = [...theirSet].filter((s) => !oursSet.has(s));
    total += ours.length;
    differing += onlyOurs.length + onlyCroner.length;
    if (onlyOurs.length + onlyCroner.length > 0) rows.push({ row, onlyOurs, onlyCroner });
  });
  return { total, differing, rows };
}

function pad(text: string, width: number): string {
  return text.padEnd(width);
}

function formatRate(rate: number): string {
  return Math.round(rate).toLocaleString('en-US');
}

function main(): void {
  // Warm up both sides (JIT, Intl formatter caches).
  for (let i = 0; i < 3; i += 1) {
    oursPass();
    cronerPass();
  }

  const ours: number[] = [];
  const croner: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    if (round % 2 === 0) {
      ours.push(measureRound(oursPass));
      croner.push(measureRound(cronerPass));
    } else {
      croner.push(measureRound(cronerPass));
      ours.push(measureRound(oursPass));
    }
  }
  const oursRate = median(ours);
  const cronerRate = median(croner);

  console.log(
    `nextSlots vs croner: ${mix.length} expressions x ${SLOTS_PER_CALL} slots, ` +
      `median of ${ROUNDS} rounds of ~${ROUND_MS} ms (node ${process.version})`,
  );
  console.log('');
  console.log(`${pad('engine', 28)}${pad('slots/s', 14)}ratio to croner`);
  console.log(`${pad('grove-jobs nextSlots', 28)}${pad(formatRate(oursRate), 14)}${(oursRate / cronerRate).toFixed(2)}`);
  console.log(`${pad('croner nextRuns', 28)}${pad(formatRate(cronerRate), 14)}1.00`);
  console.log('');

  for (const [label, options] of [
    ["croner { fixedTimeRule: 'no-wildcard' }", closestCronerOptions],
    ['croner defaults', {}],
  ] as const) {
    const { total, differing, rows } = compare(options);
    console.log(`slots differing from ${label}: ${differing} of ${total}`);
    for (const { row, onlyOurs, onlyCroner } of rows) {
      const show = (list: string[]): string =>
        list.length === 0 ? '-' : list.slice(0, 3).join(' ') + (list.length > 3 ? ` (+${list.length - 3})` : '');
      console.log(`  ${pad(`'${row.cron}'`, 26)}${pad(row.zone, 22)}only ours: ${show(onlyOurs)}; only croner: ${show(onlyCroner)}`);
    }
    console.log('');
  }
}

main();
