import { spawnSync } from 'node:child_process';

/** Why promtool tests skip outside CI; under CI=true its absence fails instead. */
export const PROMTOOL_MISSING = 'promtool is not installed (Debian: apt-get install -y prometheus, as .ci/run does)';

/** Whether `promtool` runs; under CI=true a missing promtool throws, so the suite fails loudly. */
export function promtoolAvailable(): boolean {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return true;
  if (process.env['CI'] === 'true') throw new Error(`${PROMTOOL_MISSING}; CI needs it for the metrics tests`);
  return false;
}

/** `promtool check metrics` on a scrape: exit code 0 and no output when the text is clean. */
export function checkMetrics(text: string): { code: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}
