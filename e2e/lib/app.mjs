// Starts `sportello demo` for one test file: a fresh data folder, a free port on loopback,
// and the demo logins the app prints.
//
// The app's side of the contract (stdout):
//   LOGIN <role> <email> <password>     once per demo user
//   listening on http://HOST:PORT       once, when the server accepts connections
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { outputDir, repoRoot } from './paths.mjs';

export const ROLES = [
  'company',
  'officer',
  'chamber-admin',
  'master-rao',
  'master-rao-ordinary',
  'rao',
  'odr',
  'ir',
  'manager',
  'auditor',
];

const START_TIMEOUT_MS = 60_000;
// Logins printed after the "listening" line are still collected for this long.
const LATE_LOGINS_MS = 5_000;

function binaryPath() {
  if (process.env.SPORTELLO_BIN) return path.resolve(process.env.SPORTELLO_BIN);
  const targetDir = process.env.CARGO_TARGET_DIR
    ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR)
    : path.join(repoRoot, 'target');
  return path.join(targetDir, 'debug', 'sportello');
}

/**
 * Starts the demo app and waits until it listens. `options.env` adds or overrides variables
 * (a fixed SPORTELLO_LISTEN, the SPORTELLO_OIDC_* of a local provider).
 * @param {{env?: Record<string, string>}} [options]
 * @returns {Promise<{baseUrl: string, logins: Map<string, {email: string, password: string}>,
 *   dataDir: string, stop: () => Promise<void>}>}
 */
export async function startApp(options = {}) {
  const binary = binaryPath();
  if (!existsSync(binary)) {
    throw new Error(
      `the app binary ${binary} does not exist: run \`cargo build -p sportello\` first ` +
        '(scripts/test does), or point SPORTELLO_BIN at it',
    );
  }

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sportello-e2e-'));
  const env = { ...process.env, SPORTELLO_LISTEN: '127.0.0.1:0', SPORTELLO_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  if (process.env.SPORTELLO_E2E_DATABASE_URL) {
    env.DATABASE_URL = process.env.SPORTELLO_E2E_DATABASE_URL;
  }
  Object.assign(env, options.env ?? {});

  const logPath = path.join(outputDir(), 'app.log');
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(binary, ['demo'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.pipe(log, { end: false });

  // Never leave the app running behind a test process that dies.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const logins = new Map();
  let baseUrl = null;
  // 'close' comes after the process exited and its output was read to the end.
  const exited = new Promise((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ error }));
  });

  const ready = new Promise((resolve, reject) => {
    let lateTimer = null;
    const done = () => {
      clearTimeout(startTimer);
      clearTimeout(lateTimer);
      resolve();
    };
    const startTimer = setTimeout(
      () => reject(new Error(`the app did not print "listening on http://…" within ${START_TIMEOUT_MS} ms; see ${logPath}`)),
      START_TIMEOUT_MS,
    );
    exited.then(({ code, signal, error }) => {
      clearTimeout(startTimer);
      const why = error ? `could not start: ${error.message}` : `exited (code ${code}, signal ${signal})`;
      reject(new Error(`the app ${why} before it was ready; see ${logPath}`));
    });

    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (!log.writableEnded) log.write(`stdout: ${line}\n`);
      const login = /^LOGIN\s+(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
      if (login) {
        logins.set(login[1], { email: login[2], password: login[3] });
      }
      const listening = /(?:^|\s)listening on (https?:\/\/\S+?)\/?\s*$/.exec(line);
      if (listening && baseUrl === null) {
        baseUrl = listening[1];
        lateTimer = setTimeout(done, LATE_LOGINS_MS);
      }
      if (baseUrl !== null && ROLES.every((role) => logins.has(role))) {
        done();
      }
    });
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    await new Promise((resolve) => log.end(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, logins, dataDir, stop };
}
