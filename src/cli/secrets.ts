import type { Command } from 'commander';
import { rotateSecretKey } from '../open.js';
import type { CliContext } from './context.js';
import { json } from './output.js';

/** `grove-jobs secrets rotate-key`: re-encrypts every stored secret with a new key. */
export function registerSecrets(program: Command, context: CliContext): void {
  const secrets = program.command('secrets').description('secret values of job configs, encrypted at rest (AES-256-GCM)');
  secrets
    .command('rotate-key')
    .description(
      'encrypt every stored secret with a new key, in one transaction (safe to run again). With a key file in the data folder the new key ' +
        'replaces it; with GROVE_JOBS_SECRET_KEY, give the new key and then set GROVE_JOBS_SECRET_KEY to it',
    )
    .option('--new-key <base64>', 'the new key (base64 of 32 random bytes, e.g. from: openssl rand -base64 32); default: GROVE_JOBS_NEW_SECRET_KEY, or a new random key for a key file')
    .option('--json', 'print one JSON document: { keyId, previousKeyId?, keyFile?, configs, versions, snapshots, runOutputs }')
    .action(async (options: { newKey?: string; json?: boolean }) => {
      const report = await rotateSecretKey(context.env, options.newKey === undefined ? {} : { newKey: options.newKey });
      if (options.json) return context.io.out(json(report));
      const rows = `${report.configs} config(s), ${report.versions} version(s), ${report.snapshots} execution snapshot(s) and ${report.runOutputs} run output(s) that held a secret value`;
      context.io.out(
        report.keyFile
          ? `Secrets are now encrypted with key ${report.keyId} (${report.keyFile}); rewrote ${rows}. Running processes read the new key file when they meet a value sealed with it.`
          : `Secrets are now encrypted with key ${report.keyId}; rewrote ${rows}. Set GROVE_JOBS_SECRET_KEY to the new key and restart every grove-jobs process.`,
      );
    });
}
