import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OpenedGroveJobs } from '../../src/open.js';
import { openCommandLog } from '../../src/cli/log.js';
import { reportEngineErrors } from '../../src/cli/worker.js';
import { EngineEvents } from '../../src/engine/events.js';
import { cli, cliProcess, exited, runProcess, startCliProcess } from '../support/cli.js';
import { assertPostgresReachable, POSTGRES_URL, uniqueSchema } from '../support/test-store.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schemas: string[] = [];
let env: Record<string, string | undefined>;

beforeAll(assertPostgresReachable);
beforeEach(() => {
  const schema = uniqueSchema('cliuse');
  schemas.push(schema);
  env = { DATABASE_URL: POSTGRES_URL, GROVE_JOBS_SCHEMA: schema, GROVE_JOBS_ACTOR: 'cli:test', GROVE_JOBS_JOB_TYPES: undefined, GROVE_JOBS_ADMIN_TOKEN: undefined };
});
afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}", "${schema}_grove" cascade`);
  await client.end();
});

/** A line of the long-running commands' log (or of their banner with --json): pino's shape, an event and its fields. */
interface LogLine {
  level: number;
  time: number;
  msg: string;
  event: string;
  [field: string]: unknown;
}

/** Every line of `text` as a JSON line of the log's shape; fails on a line that is not one. */
function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const parsed = JSON.parse(line) as LogLine;
      expect(parsed).toMatchObject({ level: expect.any(Number), time: expect.any(Number), pid: expect.any(Number), msg: expect.any(String), event: expect.any(String) });
      return parsed;
    });
}

describe('npm scripts run the built CLI', () => {
  /** A project of one file shaped like this one, for the build step of scripts/cli.mjs. */
  function smallProject(): string {
    const dir = mkdtempSync(join(tmpdir(), 'grove-cli-script-'));
    mkdirSync(join(dir, 'scripts'));
    mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
    mkdirSync(join(dir, 'src', 'store', 'migrations'), { recursive: true });
    copyFileSync(join(root, 'scripts', 'cli.mjs'), join(dir, 'scripts', 'cli.mjs'));
    copyFileSync(join(root, 'scripts', 'copy-assets.mjs'), join(dir, 'scripts', 'copy-assets.mjs'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'small', type: 'module' }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true, types: [], outDir: 'dist', rootDir: 'src' }, include: ['src'], exclude: ['src/**/*.test.ts'] }),
    );
    writeFileSync(join(dir, 'src', 'store', 'migrations', '0001_init.sql'), 'select 1;\n');
    writeMain(dir, 'first');
    return dir;
  }

  function writeMain(dir: string, word: string, at = new Date()): void {
    const file = join(dir, 'src', 'cli', 'main.ts');
    writeFileSync(file, `declare const process: { argv: string[] };\nconst word: string = '${word}';\nconsole.log(JSON.stringify({ word, argv: process.argv.slice(2) }));\n`);
    utimesSync(file, at, at);
  }

  it('builds only when dist/ is missing or older than src/, printing nothing of the build on standard output', async () => {
    const dir = smallProject();
    const script = join(dir, 'scripts', 'cli.mjs');

    const first = await runProcess(process.execPath, [script, 'run', 'x', '--json'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ word: 'first', argv: ['run', 'x', '--json'] });
    expect(first.stderr).toContain('building dist/ (dist/ has no build yet)');
    expect(existsSync(join(dir, 'dist', 'store', 'migrations', '0001_init.sql'))).toBe(true);

    const again = await runProcess(process.execPath, [script, '--json'], { cwd: dir });
    expect(again).toEqual({ code: 0, stdout: `${JSON.stringify({ word: 'first', argv: ['--json'] })}\n`, stderr: '' });

    // A test file is not built: it does not make dist/ stale.
    const test = join(dir, 'src', 'cli', 'main.test.ts');
    writeFileSync(test, 'export {};\n');
    utimesSync(test, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
    expect((await runProcess(process.execPath, [script], { cwd: dir })).stderr).toBe('');

    writeMain(dir, 'second', new Date(Date.now() + 60_000));
    const changed = await runProcess(process.execPath, [script], { cwd: dir });
    expect(changed.stderr).toContain('building dist/ (src/cli/main.ts changed since the last build)');
    expect(JSON.parse(changed.stdout)).toEqual({ word: 'second', argv: [] });

    // A failed build says so on standard error and runs nothing.
    const main = join(dir, 'src', 'cli', 'main.ts');
    writeFileSync(main, "const n: number = 'not a number';\nconsole.log(n);\n");
    utimesSync(main, new Date(Date.now() + 120_000), new Date(Date.now() + 120_000));
    const broken = await runProcess(process.execPath, [script], { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toContain("Type 'string' is not assignable to type 'number'");
    expect(broken.stderr).toContain('the build failed');
  }, 60_000);

  it('prints one parseable JSON document for `npm run -s advancement:batch -- --dry-run --json`, as the README shows', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm run -s advancement:batch -- --dry-run --json');
    const result = await runProcess('npm', ['run', '-s', 'advancement:batch', '--', '--dry-run', '--json'], { cwd: root, env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ configId: 'advancement-batch', trigger: 'manual', status: 'success', dryRun: true });
  }, 120_000);
});

describe('unknown fields', () => {
  it('suggests the nearest known path: payload.batchSize → payload.limits.batchSize', async () => {
    const set = await cli(['jobs', 'set', 'advancement-batch', 'payload.batchSize=0'], env);
    expect(set.code).toBe(2);
    expect(set.stderr).toBe('grove-jobs: payload.batchSize: is not a known field; did you mean payload.limits.batchSize?');

    const json = await cli(['jobs', 'set', 'advancement-batch', 'payload.schedule.timeZone=UTC', '--json'], env);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'CONFIG_INVALID', message: 'payload.schedule.timeZone: is not a known field; did you mean payload.schedule.timezone?', field: 'payload.schedule.timeZone' },
    });
  });
});

describe('serve on a port in use', () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('names the port and suggests --port, exit 2, and makes no admin token it could not show', async () => {
    const refused = await cli(['serve', '--port', String(port), '--no-worker', '--no-demo'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--port: 127.0.0.1:${port} is in use already (another grove-jobs serve?); choose another port with --port`);
    expect(refused.stderr).not.toContain('EADDRINUSE');
    expect(refused.stdout).not.toContain('admin API token');

    // The first serve that listens makes the token and shows it.
    const served = await cli(['serve', '--port', '0', '--no-worker', '--no-demo'], env);
    expect(served.code, served.stderr).toBe(0);
    expect(served.stdout).toContain('Created an admin API token; it is shown only this once:');
    expect(served.stdout).toMatch(/Console: http:\/\/127\.0\.0\.1:\d+\/#token=\S+/);
  });

  it('ends its log with one fatal JSON line naming the failure, and prints no error document with --json', async () => {
    const refused = await cli(['serve', '--port', String(port), '--no-worker', '--no-demo', '--json', '--no-log-pretty'], env);
    expect(refused.code).toBe(2);
    const lines = logLines(refused.stderr);
    expect(lines.at(-1)).toMatchObject({ level: 60, event: 'command:failed', code: 'USAGE', exitCode: 2, field: '--port' });
    expect(lines.at(-1)?.msg).toContain(`127.0.0.1:${port} is in use already`);
    logLines(refused.stdout);
  });
});

describe('seed on a store that has the demo data', () => {
  it('says the demo data is there and how to load it afresh, exit 2, loading nothing', async () => {
    const first = await cli(['seed', '--sprouts', '3', '--events', '10'], env);
    expect(first.code, first.stderr).toBe(0);
    const again = await cli(['seed', '--sprouts', '3', '--events', '10', '--seed', '7'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("this store has the demo data already (sprout 'demo-00001' exists already); nothing was loaded");
    expect(again.stderr).toContain('whatever --seed says');
    expect(again.stderr).toContain('point GROVE_JOBS_SCHEMA at a new schema');
    const listed = JSON.parse((await cli(['sprouts', 'list', '--json'], env)).stdout) as { items: unknown[] };
    expect(listed.items).toHaveLength(3);
  });
});

describe('the long-running commands: log on standard error, banner on standard output (--json: as JSON lines)', () => {
  it('serve prints its banner as JSON lines of the log\'s shape; its log has the same entries without the token', async () => {
    const served = await cli(['serve', '--port', '0', '--no-demo', '--json', '--no-log-pretty'], env);
    expect(served.code, served.stderr).toBe(0);
    const banner = logLines(served.stdout);
    expect(banner.map((line) => line.event)).toEqual(
      expect.arrayContaining(['store:opened', 'store:migrated', 'store:defaults-installed', 'token:created', 'server:listening', 'engine:started', 'server:ready', 'server:stopping']),
    );
    const listening = banner.find((line) => line.event === 'server:listening');
    expect(listening).toMatchObject({ port: expect.any(Number) });
    const token = /#token=(\S+)$/.exec(String(listening?.['console']))?.[1];
    expect(token).toMatch(/^gj_/);
    expect(banner.every((line) => line.level === 30)).toBe(true);

    const log = logLines(served.stderr);
    expect(log.map((line) => line.event)).toEqual(expect.arrayContaining(['store:opened', 'token:created', 'server:listening', 'server:stopping', 'server:stopped']));
    expect(log.find((line) => line.event === 'server:listening')).toMatchObject({ port: listening?.['port'], url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(served.stderr).not.toContain(String(token));
  });

  it('start --once lists the job configs as fields of one banner line', async () => {
    const started = await cli(['start', '--once', '--no-demo', '--json', '--no-log-pretty'], env);
    expect(started.code, started.stderr).toBe(0);
    const listed = logLines(started.stdout).find((line) => line.event === 'configs:listed');
    expect(listed?.msg).toMatch(/^Job configs \(\d+\):\n/);
    expect(listed?.['configs']).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'advancement-batch', jobType: 'advancement-batch', cronExpression: '0 2 * * *' })]));
  });

  it('worker writes JSON lines only, from start to stop, as its own process', async () => {
    const worker = await startCliProcess(['worker', '--json', '--concurrency', '1'], env, '"event":"engine:started"');
    worker.child.kill('SIGTERM');
    expect(await exited(worker.child)).toBe(0);
    const lines = logLines(worker.output());
    expect(lines.map((line) => line.event)).toEqual(expect.arrayContaining(['engine:started', 'engine:stopping', 'engine:stopped']));
    expect(lines.find((line) => line.event === 'engine:started')).toMatchObject({ scheduler: true, concurrency: 1 });
  }, 60_000);

  it("logs the store's outages as one entry when they start and one when they end, with when they happened", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const context = { io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text), readStdin: async () => '' }, env: {}, stopped: Promise.resolve() };
    const { log } = await openCommandLog(context, { logLevel: 'info', logPretty: false });
    const events = new EngineEvents();
    const off = reportEngineErrors({ events } as unknown as OpenedGroveJobs, log);
    const scheduler = { source: 'scheduler', id: 'scheduler:a' } as const;
    events.storeFailed(scheduler, new Error('connect ECONNREFUSED 127.0.0.1:5432'), new Date('2026-12-07T03:00:00Z'), new Date('2026-12-07T03:00:00Z'));
    events.storeReached(scheduler, new Date('2026-12-07T03:00:21.25Z'));
    off();
    expect(out).toEqual([]);
    const lines = logLines(err.join('\n'));
    expect(lines.map(({ at, level, event }) => ({ at, level, event }))).toEqual([
      { at: '2026-12-07T03:00:00.000Z', level: 50, event: 'store:unreachable' },
      { at: '2026-12-07T03:00:21.250Z', level: 40, event: 'store:reached' },
    ]);
    expect(lines[0]).toMatchObject({ msg: 'store out of reach (scheduler scheduler:a: connect ECONNREFUSED 127.0.0.1:5432); trying again every few seconds', source: 'scheduler', id: 'scheduler:a' });
    expect(lines[1]).toMatchObject({ durationMs: 21_250, since: '2026-12-07T03:00:00.000Z' });
  });

  it('without --json, worker prints the lines it always printed', async () => {
    const worked = await cli(['worker', '--concurrency', '2'], env);
    expect(worked.code, worked.stderr).toBe(0);
    expect(worked.stdout).toMatch(/^Scheduler and worker \S+ running \(concurrency 2\)\. Press Ctrl-C to stop\.$/m);
    expect(worked.stdout).toMatch(/^Stopping: 0 running execution\(s\) get up to 30 s to finish/m);
  });
});

describe('--version and exit codes', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await cliProcess(['--version'], {})).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect((await cli(['-V'], {})).stdout).toBe(version);
  });

  it.each([
    { argv: ['jobs', 'show', 'no-such-job'], code: 'CONFIG_NOT_FOUND' },
    { argv: ['jobs', 'versions', 'no-such-job'], code: 'CONFIG_NOT_FOUND' },
    { argv: ['sprouts', 'show', 'no-such-sprout'], code: 'GROVE_NOT_FOUND' },
    { argv: ['logs', '01a24e2b-0000-7000-8000-000000000000'], code: 'EXECUTION_NOT_FOUND' },
  ])('answers $argv with exit 2 and $code, as the exit-code table says', async ({ argv, code }) => {
    const result = await cli([...argv, '--json'], env);
    expect(result.code, result.stderr).toBe(2);
    expect((JSON.parse(result.stdout) as { error: { code: string } }).error.code).toBe(code);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/\| `2` \| [^\n]*not found/);
  });

  it('accepts d#L as dL: next "0 0 * * FRI#L" lists last Fridays', async () => {
    const result = await cli(['next', '0 0 * * FRI#L', '--from', '2026-01-01T00:00:00Z', '--count', '2', '--json'], {});
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('2026-01-30T00:00:00');
    expect(result.stdout).toContain('2026-02-27T00:00:00');
  });
});
