import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? 'parse');
}

describe('the import-boundary lint rule', () => {
  it('refuses imports from outside domain/ in domain/', async () => {
    expect(await ruleIds("import { migrate } from '../../store/migrate.js';\nexport const m = migrate;\n", 'src/domain/config/x.ts')).toContain(
      'no-restricted-imports',
    );
    expect(await ruleIds("import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'src/domain/schedule/x.ts')).toContain(
      'no-restricted-imports',
    );
  });

  it('refuses clock reads in domain/ and engine/', async () => {
    for (const code of ['export const t = Date.now();\n', 'export const d = new Date();\n', 'setTimeout(() => undefined, 5);\n']) {
      expect(await ruleIds(code, 'src/domain/schedule/x.ts'), code).toContain('no-restricted-syntax');
      expect(await ruleIds(code, 'src/engine/x.ts'), code).toContain('no-restricted-syntax');
    }
  });

  it('allows domain/ to import domain/ and read instants it is given', async () => {
    expect(await ruleIds("import { parseCron } from '../schedule/parse-cron.js';\nexport const p = parseCron;\nexport const d = (ms: number) => new Date(ms);\n", 'src/domain/config/x.ts')).toEqual([]);
  });

  it('keeps store/ from importing the engine beyond its ports, and cli/ from reaching past app.ts', async () => {
    expect(await ruleIds("import { ConfigService } from '../engine/config-service.js';\nexport const c = ConfigService;\n", 'src/store/x.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import type { Store } from '../engine/ports.js';\nexport type S = Store;\n", 'src/store/x.ts')).toEqual([]);
    expect(await ruleIds("import { migrate } from '../store/migrate.js';\nexport const m = migrate;\n", 'src/cli/x.ts')).toContain('no-restricted-imports');
  });

  it('keeps api/ from importing the composition root that imports it', async () => {
    expect(await ruleIds("import type { GroveJobs } from '../app.js';\nexport type G = GroveJobs;\n", 'src/api/x.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import type { GroveJobs } from '../../app.js';\nexport type G = GroveJobs;\n", 'src/api/routes/x.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import type { ApiSystem } from './system.js';\nexport type S = ApiSystem;\n", 'src/api/x.ts')).toEqual([]);
  });
});
