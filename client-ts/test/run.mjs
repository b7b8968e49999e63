// @ts-check
// The client's unit tests: esbuild (the client's bundler already) turns client-ts/test/*.test.ts into ES
// modules under client-ts/out/test/, node's own test runner runs them. A test module that reached `vscode`
// would fail to load here: what these tests cover stays pure.
// Run: npm run test:unit   (tests/e2e_vscode/test_client_unit.py runs it inside pytest)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, '..', 'out', 'test');
const tests = fs.readdirSync(here).filter((name) => name.endsWith('.test.ts'));
fs.rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: tests.map((name) => path.join(here, name)),
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});
const run = spawnSync(
  process.execPath,
  ['--test', ...process.argv.slice(2), ...tests.map((name) => path.join(outdir, name.replace(/\.ts$/, '.mjs')))],
  { stdio: 'inherit', cwd: here },
);
process.exit(run.status ?? 1);
