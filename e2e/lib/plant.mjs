// Plants rows in the running demo's database for a list that must be long to show its pages
// (fifty rows a page): SQL run by the engine's own command-line client, `sqlite3` on the demo's
// data folder or `psql` on SPORTELLO_E2E_DATABASE_URL.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Runs `sql` (statements separated by semicolons) on the demo app's database. */
export function runSql(app, sql) {
  const url = process.env.SPORTELLO_E2E_DATABASE_URL;
  if (url) {
    execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql]);
  } else {
    execFileSync('sqlite3', [path.join(app.dataDir, 'sportello.db')], { input: sql });
  }
}

/** Reads one value with `sql` from the demo app's database. */
export function readSql(app, sql) {
  const url = process.env.SPORTELLO_E2E_DATABASE_URL;
  const out = url
    ? execFileSync('psql', [url, '-At', '-c', sql])
    : execFileSync('sqlite3', [path.join(app.dataDir, 'sportello.db'), sql]);
  return out.toString().trim();
}

/** A valid entity tax code (11 digits, the last the Luhn check digit) from `n`. */
export function entityTaxCode(n) {
  const body = String(70_000_000 + n).padStart(10, '0');
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    const d = Number(body[i]);
    sum += i % 2 === 0 ? d : d * 2 > 9 ? d * 2 - 9 : d * 2;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}
