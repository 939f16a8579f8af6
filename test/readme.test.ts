import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function readmeCommands(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /^# [^\n]+\n+```sh\n([\s\S]*?)\n```/.exec(readme);
  if (!block?.[1]) throw new Error('README.md must open with a sh code block holding the two commands');
  return block[1].split('\n');
}

describe('the README', () => {
  it('opens with exactly two commands: install and start, then test', () => {
    expect(readmeCommands()).toEqual(['npm install && npm start', 'npm test']);
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/^CI=true npm test$/m);
  });

  it('starts the product from a fresh clone on a new embedded store', async () => {
    const clone = join(mkdtempSync(join(tmpdir(), 'grove-clone-')), 'grove-jobs');
    execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${root}`, clone]);
    expect(existsSync(join(clone, 'dist')), 'a clone carries no build output').toBe(false);
    // The install half of the first command is the registry's; reuse this checkout's packages.
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');

    const start = readmeCommands()[0]?.split(' && ')[1] ?? '';
    const [command = '', ...args] = start.split(' ');
    const child = spawn(command, args, { cwd: clone, detached: true, env: { ...process.env, DATABASE_URL: '', GROVE_JOBS_DATA_DIR: '', GROVE_JOBS_PORT: '0' } });
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Press Ctrl-C to stop.')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
    try {
      await ready;
      // The console address carries the admin token the first start created; the API takes it.
      const address = /Console: (http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(output);
      expect(address, output).not.toBeNull();
      const [, base, token] = address as RegExpExecArray;
      const listed = await fetch(`${base}/api/jobs`, { headers: { authorization: `Bearer ${token}` } });
      expect(listed.status).toBe(200);
      const { items } = (await listed.json()) as { items: Array<{ meta: { id: string } }> };
      expect(items.map((job) => job.meta.id)).toContain('advancement-batch');
      const sprouts = await fetch(`${base}/api/sprouts?limit=1`, { headers: { authorization: `Bearer ${token}` } });
      expect(sprouts.status).toBe(200);
    } finally {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    }
    expect(output).toContain(`Store: embedded PostgreSQL in ${join(clone, '.grove-jobs')}`);
    expect(output).toMatch(/Demo data: \d+ sprouts/);
    expect(output).toContain('Migrations: applied 0001_init.sql');
    expect(existsSync(join(clone, '.grove-jobs', 'pgdata'))).toBe(true);
  }, 120_000);
});
