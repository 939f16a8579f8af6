import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { builtInJobTypes, createGroveJobs, createGroveStores, groveJobTypes } from '../../src/app.js';
import type { AnyNotification, Notifier } from '../../src/engine/ports.js';
import { createSqlStore } from '../../src/store/sql-store.js';
import { createTokenStore } from '../../src/store/tokens.js';
import { FakeClock } from '../support/fake-clock.js';
import { pgliteFactory } from '../support/test-store.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
/** Generating takes about a second and type-checking five; a minute means something hangs. */
const STEP_TIMEOUT_MS = 60_000;

const factory = pgliteFactory();
const silent: Notifier<AnyNotification> = { notify: () => undefined, flush: async () => undefined };
let dir: string;

/** The document as `serve` gives it: the built-in and Grove job types. */
async function servedDocument(): Promise<unknown> {
  const sql = await factory.make();
  const grove = createGroveStores(sql);
  const system = createGroveJobs({ clock: new FakeClock('2026-11-23T10:00:00Z'), store: createSqlStore(sql), grove, jobTypes: [...builtInJobTypes, ...groveJobTypes(grove, silent)] });
  const app = createApi({ system, tokens: createTokenStore(sql) });
  return (await app.request('/api/openapi.json')).json();
}

const CLIENT = `import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

export const client = createClient<paths>({ baseUrl: 'http://localhost:3000' });
export type JobConfigPatch = components['schemas']['JobConfigPatch'];
`;

/** Calls a team would write; every one type-checks. */
const CORRECT = `import { client, type JobConfigPatch } from './client.js';

export async function createAndRead(): Promise<string | undefined> {
  const { data, error } = await client.POST('/api/jobs', {
    body: {
      meta: { id: 'nightly-ping', title: 'Nightly ping' },
      payload: {
        jobType: 'http-request',
        schedule: { cronExpression: '0 2 * * *', timezone: 'Europe/Berlin', isEnabled: true },
        limits: { batchSize: 50, timeoutSeconds: 30 },
        parameters: { url: 'https://example.com/ping', method: 'GET', expectStatus: [200, 204] },
      },
    },
  });
  if (error) return error.error.code;
  // The payload is a union on jobType: narrowing gives the type's own parameters.
  if (data.payload.jobType === 'http-request') return data.payload.parameters.url;
  if (data.payload.jobType === 'advancement-batch') return data.payload.parameters.signalPeriod;
  return data.meta.updatedAt;
}

export async function batch(): Promise<void> {
  await client.PUT('/api/jobs/{id}', {
    params: { path: { id: 'advancement-batch' }, header: { 'if-match': '"3"' } },
    body: { meta: { id: 'advancement-batch' }, payload: { jobType: 'advancement-batch', limits: { batchSize: 200 }, parameters: { dryRun: true } } },
  });
  const patch: JobConfigPatch = { payload: { schedule: { cronExpression: '30 2 * * *', jitterSeconds: null } } };
  await client.PATCH('/api/jobs/{id}', { params: { path: { id: 'advancement-batch' } }, body: patch });
  await client.GET('/api/jobs/{id}/executions', { params: { path: { id: 'advancement-batch' }, query: { limit: 5 } } });
}

/** A job as read goes back as it is (its secrets read as REDACTED, which keeps them). */
export async function roundTrip(): Promise<void> {
  const { data: job } = await client.GET('/api/jobs/{id}', { params: { path: { id: 'nightly-ping' } } });
  if (!job) return;
  await client.PUT('/api/jobs/{id}', { params: { path: { id: 'nightly-ping' } }, body: { meta: job.meta, payload: job.payload } });
}
`;

/** Each line marked \`// wrong:\` holds one mistake the generated types must refuse. */
const MISSPELLED = `import { client, type JobConfigPatch } from './client.js';

export async function mistakes(): Promise<void> {
  await client.POST('/api/jobs', {
    body: { meta: { id: 'a' }, paylod: { jobType: 'http-request' } }, // wrong: paylod
  });
  await client.POST('/api/jobs', {
    body: { meta: { id: 'b' }, payload: { jobType: 'http-request', schedule: { cronExpresion: '0 2 * * *' } } }, // wrong: cronExpresion
  });
  await client.POST('/api/jobs', {
    body: { meta: { id: 'c' }, payload: { jobType: 'advancement-batch', limits: { batchSize: 'fifty' } } }, // wrong: batchSize as text
  });
  await client.POST('/api/jobs', {
    body: { meta: { id: 'd' }, payload: { jobType: 'advancement-batch', parameters: { dryrun: true } } }, // wrong: dryrun
  });
  await client.POST('/api/jobs', {
    body: { meta: { id: 'e' }, payload: { jobType: 'advancement-batch', parameters: { url: 'https://example.com' } } }, // wrong: another type's parameter
  });
  const patch: JobConfigPatch = { payload: { schedule: { cronExpresion: '0 3 * * *' } } }; // wrong: cronExpresion in a patch
  await client.PATCH('/api/jobs/{id}', { params: { path: { id: 'a' } }, body: patch });
}
`;

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'], strict: true, noEmit: true, skipLibCheck: true, types: [] },
  files: ['correct.ts', 'misspelled.ts'],
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grove-openapi-client-'));
  await writeFile(join(dir, 'openapi.json'), JSON.stringify(await servedDocument()));
  // openapi-fetch and its types resolve from this package's node_modules.
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await writeFile(join(dir, 'client.ts'), CLIENT);
  await writeFile(join(dir, 'correct.ts'), CORRECT);
  await writeFile(join(dir, 'misspelled.ts'), MISSPELLED);
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
}, STEP_TIMEOUT_MS);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await factory.dispose();
});

describe('a client generated from the OpenAPI document', () => {
  it('refuses misspelled and mistyped job-config fields and accepts correct calls', { timeout: 2 * STEP_TIMEOUT_MS }, async () => {
    await run(bin('openapi-typescript'), ['openapi.json', '--output', 'schema.d.ts'], { cwd: dir, timeout: STEP_TIMEOUT_MS });
    let output = '';
    try {
      await run(bin('tsc'), ['-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, timeout: STEP_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      output = (error as { stdout?: string }).stdout ?? String(error);
    }
    const diagnostics = [...output.matchAll(/^(\S+\.ts)\((\d+),\d+\): error (TS\d+)/gm)].map((m) => ({ file: m[1], line: Number(m[2]), code: m[3] }));
    expect(diagnostics.filter((d) => d.file !== 'misspelled.ts'), output).toEqual([]);
    const wrongLines = MISSPELLED.split('\n').flatMap((text, i) => (text.includes('// wrong:') ? [i + 1] : []));
    const failingLines = [...new Set(diagnostics.map((d) => d.line))].sort((a, b) => a - b);
    expect(failingLines, output).toEqual(wrongLines);
  });
});
