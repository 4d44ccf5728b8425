// Paths shared by the browser-test helpers, all resolved from this file's location so the
// tests run from any checkout and any working directory.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(e2eDir, '..');

// `node --test` runs each test file in its own process, so the script being run names the
// test file: `login.test.mjs` writes its screenshots and logs to `e2e/output/login/`.
function testFileName() {
  const script = process.argv[1] ? path.basename(process.argv[1]) : 'adhoc';
  return script.replace(/\.test\.m?js$/, '').replace(/\.m?js$/, '');
}

let prepared = null;

/** This test file's output folder, emptied the first time it is asked for in a run. */
export function outputDir() {
  if (prepared === null) {
    prepared = path.join(e2eDir, 'output', testFileName());
    rmSync(prepared, { recursive: true, force: true });
    mkdirSync(prepared, { recursive: true });
  }
  return prepared;
}
