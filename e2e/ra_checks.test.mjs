// Registration authority, periodic checks (RA procedure, part 1, "Verifiche periodiche"): the
// Master RAO registers a natural-person ODR who is a sole trader and an ODR organisation with its
// legal representative, runs the daily checks, the Registry is imported again (the sole trade
// ceased, the organisation's representative changed), and the checks page lists both changes.
// Screenshots land in e2e/output/ra_checks/.
//
// Page contract:
//   /ra/operators  form [data-testid=ra-new-operator] (see ra.test.mjs)
//   /ra/checks     form action=/ra/checks/run (run the daily checks now),
//                  [data-testid=ra-registry-flags] with one <li> per registry change, fifty a
//                  page, newest first, [data-testid=pager] with rel=next / rel=prev links

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { repoRoot } from './lib/paths.mjs';
import { runSql } from './lib/plant.mjs';

let app;
let browser;

before(async () => {
  app = await startApp();
  ({ browser } = await launch());
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

async function logIn(page, role) {
  const login = app.logins.get(role);
  assert.ok(login, `the demo printed a login for ${role}`);
  await page.goto(`${app.baseUrl}/login`);
  await page.locator('input[name="email"]').fill(login.email);
  await page.locator('input[name="password"]').fill(login.password);
  await page.locator('form button[type="submit"]').first().click();
  await page.waitForLoadState('load');
}

async function createOperator(page, fields) {
  await page.goto(`${app.baseUrl}/ra/operators`);
  const form = page.locator('[data-testid="ra-new-operator"]');
  await form.locator('select[name="kind"]').selectOption(fields.kind);
  for (const [name, value] of Object.entries(fields)) {
    if (name !== 'kind') await form.locator(`input[name="${name}"]`).fill(value);
  }
  await form.locator('button[type="submit"]').click();
  await page.waitForLoadState('load');
}

async function runChecks(page) {
  await page.goto(`${app.baseUrl}/ra/checks`);
  await page.locator('form[action="/ra/checks/run"] button[type="submit"]').click();
  await page.waitForLoadState('load');
}

/** Imports a Registry extract into the running demo's database with the command line. */
function importRegistry(rows) {
  const file = path.join(app.dataDir, 'registro.csv');
  const header =
    'codice_fiscale;partita_iva;denominazione;provincia;numero_rea;tipo_sede;indirizzo;cap;comune;' +
    'stato;diritto_annuale_pagato;rappresentanti';
  writeFileSync(file, `${header}\n${rows.join('\n')}\n`);
  const env = { ...process.env, SPORTELLO_DATA_DIR: app.dataDir, SPORTELLO_LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  if (process.env.SPORTELLO_E2E_DATABASE_URL) env.DATABASE_URL = process.env.SPORTELLO_E2E_DATABASE_URL;
  const binary = process.env.SPORTELLO_BIN
    ? path.resolve(process.env.SPORTELLO_BIN)
    : path.join(repoRoot, 'target', 'debug', 'sportello');
  execFileSync(binary, ['admin', 'import-registry', file], { env, cwd: repoRoot });
}

describe('registration authority, periodic checks', () => {
  it('a re-import of the Registry flags a ceased sole trader and a changed legal representative', async () => {
    const { page } = await newContext(browser);
    try {
      await logIn(page, 'master-rao');
      await createOperator(page, {
        kind: 'odr', name: 'MARIO ROSSI', tax_code: 'RSSMRA80A01H501U', email: 'mario.rossi@studio.test',
      });
      await createOperator(page, {
        kind: 'odr', name: 'LIGURE EXPORT S.R.L.', tax_code: '01879020517', email: 'ligure@pec.test',
        legal_representative_tax_code: 'BNCGLI85M41D969D',
      });
      await runChecks(page);
      assert.equal(await page.locator('[data-testid="ra-registry-flags"]').count(), 0, 'nothing changed yet');
      importRegistry([
        'RSSMRA80A01H501U;12345670017;ROSSI MARIO;GE;456789;SEDE;Via di Pre 20;16126;Genova;CESSATA;2024 2025;RSSMRA80A01H501U',
        '01879020517;01879020517;LIGURE EXPORT S.R.L.;GE;123456;SEDE;Via XX Settembre 12;16121;Genova;ATTIVA;2023 2024 2025;VRDLRA85M41D969U',
      ]);
      await runChecks(page);
      const flags = page.locator('[data-testid="ra-registry-flags"] li');
      const texts = await flags.allTextContents();
      assert.ok(
        texts.some((t) => t.includes('MARIO ROSSI') && t.includes('cessata nel Registro Imprese')),
        texts.join('\n'),
      );
      assert.ok(
        texts.some((t) => t.includes('LIGURE EXPORT S.R.L.') && t.includes('VRDLRA85M41D969U')),
        texts.join('\n'),
      );
      // The page itself, not the answer to the form (a reload would run the checks again).
      await page.goto(`${app.baseUrl}/ra/checks`);
      await screenshotWidths(page, 'registry-changes');
    } catch (e) {
      await screenshot(page, 'failed').catch(() => {});
      throw e;
    }
  });

  it('the registry changes are shown fifty a page, newest first, with links to the others', async () => {
    const { page } = await newContext(browser);
    try {
      await logIn(page, 'master-rao');
      // Sixty more changes of one of the chamber's operators, all seen at one instant.
      const email = app.logins.get('master-rao').email.replaceAll("'", "''");
      const rows = [];
      for (let i = 0; i < 60; i += 1) {
        const n = String(i).padStart(2, '0');
        rows.push(
          'INSERT INTO ra_registry_flags (id, chamber_id, operator_id, kind, detail, detected_at) ' +
            `SELECT 'e2e-flag-${n}', o.chamber_id, o.id, 'renamed', 'NUOVO NOME ${n} S.R.L.', ` +
            "'2026-11-02T08:00:00.000000Z' FROM ra_operators o WHERE o.id = (SELECT MIN(id) FROM " +
            `ra_operators WHERE chamber_id = (SELECT chamber_id FROM users WHERE email = '${email}'));`,
        );
      }
      runSql(app, rows.join('\n'));
      await page.goto(`${app.baseUrl}/ra/checks`);
      const flags = page.locator('[data-testid="ra-registry-flags"] li');
      assert.equal(await flags.count(), 50);
      const first = await flags.allTextContents();
      await screenshotWidths(page, 'registry-changes-page-1');
      await page.locator('[data-testid="pager"] a[rel="next"]').click();
      await page.waitForLoadState('load');
      const second = await flags.allTextContents();
      assert.ok(second.length >= 10 && second.length < 50, `${second.length} on the second page`);
      assert.ok(second.every((t) => !first.includes(t)), 'no change shown twice');
      await screenshotWidths(page, 'registry-changes-page-2');
      await page.locator('[data-testid="pager"] a[rel="prev"]').click();
      await page.waitForLoadState('load');
      assert.deepEqual(await flags.allTextContents(), first);
    } catch (e) {
      await screenshot(page, 'failed-pages').catch(() => {});
      throw e;
    }
  });
});
