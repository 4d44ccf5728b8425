// The local OpenID provider (scripts/oidc-provider: panva's oidc-provider from npm) for the
// browser tests of the login with a digital identity.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { repoRoot } from './paths.mjs';

/** A free TCP port on loopback (for an app whose callback URL the provider must know). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the provider with one client (`sportello`) allowed to come back to `redirectUri`,
 * and `accounts` (login name -> claims). Returns its issuer and `stop`.
 */
export async function startProvider(redirectUri, accounts) {
  const script = path.join(repoRoot, 'scripts', 'oidc-provider', 'server.mjs');
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      OIDC_CLIENT_ID: 'sportello',
      OIDC_CLIENT_SECRET: 'sportello-test-secret',
      OIDC_REDIRECT_URIS: redirectUri,
      OIDC_ACCOUNTS: JSON.stringify(accounts),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const issuer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the OpenID provider did not start')), 20_000);
    child.once('exit', (code) => reject(new Error(`the OpenID provider exited (${code})`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return {
    issuer,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      child.kill('SIGTERM');
    },
  };
}
