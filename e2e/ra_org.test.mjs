// Registration authority: an organisation RAO with its staff sheet (RA procedure: "conferisce
// l'incarico di RAO a Infocamere Scpa con scadenza 5 anni ... svolto da remoto, la quale accetta
// allegando la scheda degli addetti che, puntualmente, aggiorna"). The Master RAO registers the
// organisation, records its first staff sheet, sends the mandate with the act's term and the
// remote service, then records a second version that adds a collaborator. Screenshots at 1366
// and 390 px land in e2e/output/ra_org/.
//
// Page contract:
//   /ra/operators/{id}                   [data-testid=ra-staff-sheet] (organisations), with
//                                        [data-testid=ra-staff-sheet-versions], -current, -new;
//                                        [data-testid=ra-act-term], [data-testid=ra-remote-issuance]
//   /ra/operators/{id}/staff-sheets/new  form [data-testid=ra-staff-sheet-form]: sheet_date,
//                                        sent_by, file, name_N / tax_code_N / email_N per line
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths, watchRequests } from './lib/browser.mjs';
import {
  controlsWithoutBorder, labelOverlaps, sidewaysScroll, technicalWords, visibleWords,
} from './lib/checks.mjs';
import { repoRoot } from './lib/paths.mjs';

const fixture = (name) => path.join(repoRoot, 'crates/sportello-core/tests/fixtures/ra', name);
const ORG = { name: 'SERVIZI CAMERALI REMOTI S.C.P.A.', taxCode: '00743110157', rep: 'MRTNTN23M02D969P' };
const STAFF = [
  ['MARIO ROSSI', 'RSSMRA80A01H501U', 'mario.rossi@remoti.test'],
  ['LAURA VERDI', 'VRDLRA85M41D969U', 'laura.verdi@remoti.test'],
];
const ADDED = ['PAOLA NERI', 'NREPLA80A41D969K', 'paola.neri@remoti.test'];

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

function today() {
  // The app's business day is Italy's; the test runs far from midnight in practice.
  return new Date().toISOString().slice(0, 10);
}

async function logIn(page, role) {
  const login = app.logins.get(role);
  assert.ok(login, `the demo printed a login for ${role}`);
  await page.goto(`${app.baseUrl}/login`);
  await page.locator('input[name="email"]').fill(login.email);
  await page.locator('input[name="password"]').fill(login.password);
  await page.locator('form button[type="submit"]').first().click();
  await page.waitForLoadState('load');
}

async function state(page) {
  return (await page.locator('[data-testid="ra-state"]').innerText()).trim();
}

/** The layout checks of the shared page test, on one page at both widths. */
async function pageChecks(page, what) {
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.reload({ waitUntil: 'load' });
    assert.deepEqual(await labelOverlaps(page), [], `${what} at ${width}: labels overlap nothing`);
    assert.deepEqual(await controlsWithoutBorder(page), [], `${what} at ${width}: controls are drawn`);
    assert.ok((await sidewaysScroll(page)) <= 0, `${what} at ${width}: no sideways scroll`);
    assert.deepEqual(technicalWords(await visibleWords(page, 'main')), [], `${what}: human words`);
  }
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.reload({ waitUntil: 'load' });
}

async function fillLines(form, lines, from = 0) {
  for (const [i, [name, taxCode, email]] of lines.entries()) {
    await form.locator(`input[name="name_${from + i}"]`).fill(name);
    await form.locator(`input[name="tax_code_${from + i}"]`).fill(taxCode);
    await form.locator(`input[name="email_${from + i}"]`).fill(email);
  }
}

describe('organisation RAO', () => {
  it('registers an organisation RAO with a staff sheet, then a second version adds a collaborator', async () => {
    const { context, page } = await newContext(browser);
    const requests = await watchRequests(context, app.baseUrl);
    try {
      await logIn(page, 'master-rao');
      await page.goto(`${app.baseUrl}/ra/operators`);
      const create = page.locator('[data-testid="ra-new-operator"]');
      await create.locator('select[name="kind"]').selectOption('rao');
      await create.locator('input[name="name"]').fill(ORG.name);
      await create.locator('input[name="tax_code"]').fill(ORG.taxCode);
      await create.locator('input[name="email"]').fill('rao@remoti.test');
      await create.locator('input[name="legal_representative_tax_code"]').fill(ORG.rep);
      await create.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      const orgPath = new URL(page.url()).pathname;
      assert.match(orgPath, /^\/ra\/operators\/[0-9a-f-]+$/, 'an organisation may be a RAO');
      assert.match(await page.locator('[data-testid="ra-staff-sheet"]').innerText(), /Nessuna scheda registrata/);

      // The first sheet, sent with the acceptance.
      await page.locator('[data-testid="ra-staff-sheet-new"]').click();
      await page.waitForLoadState('load');
      await screenshotWidths(page, '01-first-sheet-form');
      let form = page.locator('[data-testid="ra-staff-sheet-form"]');
      await form.locator('input[name="sent_by"]').fill('Legale rappresentante, via PEC');
      await fillLines(form, STAFF);
      await form.locator('[data-testid="ra-staff-sheet-save"]').click();
      await page.waitForLoadState('load');
      assert.equal(new URL(page.url()).pathname, orgPath);
      assert.match(await page.locator('.alert-success[role="status"]').innerText(), /Versione 1 della scheda registrata/);
      assert.equal(await page.locator('[data-testid="ra-staff-sheet-current"] tbody tr').count(), 2);
      assert.equal(await page.locator('[data-testid="ra-collaborators"] tbody tr').count(), 2, 'each person is an operator');

      // The letter goes through the Manager's queue: the office prepares it, the Manager signs.
      const prepare = page.locator('[data-testid="prepare-mandate_letter"]');
      await prepare.locator('input[name="document"]').setInputFiles(fixture('lettera-incarico.pdf'));
      await prepare.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      const manager = await newContext(browser);
      try {
        await logIn(manager.page, 'manager');
        await manager.page.goto(`${app.baseUrl}/ra/manager`);
        const item = manager.page.locator('[data-testid="ra-manager-request"]');
        await item.locator('input[name="signed"]').setInputFiles({
          // A file name as a Manager saves it (the fixture's own has an underscore).
          name: 'lettera-incarico-firmata.pdf',
          mimeType: 'application/pdf',
          buffer: fs.readFileSync(fixture('mandate_letter.pdf')),
        });
        await item.locator('[data-testid="ra-manager-sign"] button[type="submit"]').click();
        await manager.page.locator('[data-testid="ra-manager-done"]').waitFor();
      } finally {
        await manager.context.close();
      }
      await page.goto(`${app.baseUrl}${orgPath}`);

      // The mandate: the act's term (5 years) and the remote issuance service.
      await screenshotWidths(page, '02-mandate-form');
      const mandate = page.locator('[data-testid="step-send_mandate"]');
      await mandate.locator('input[name="protocol_date"]').fill(today());
      await mandate.locator('input[name="term_years"]').fill('5');
      await mandate.locator('label[for="remote_issuance"]').click();
      await mandate.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      assert.equal(await state(page), 'Mandato inviato');
      assert.match(await page.locator('[data-testid="ra-act-term"]').innerText(), /5 anni dall'atto/);
      assert.match(await page.locator('[data-testid="ra-remote-issuance"]').innerText(), /da remoto/);
      assert.match(await page.locator('[data-testid="ra-collaborators"]').innerText(), /Mandato inviato/, 'the staff follow the organisation');
      await screenshotWidths(page, '03-organisation-rao-mandate');

      // A wrong line comes back with the form as typed.
      await page.locator('[data-testid="ra-staff-sheet-new"]').click();
      await page.waitForLoadState('load');
      form = page.locator('[data-testid="ra-staff-sheet-form"]');
      assert.equal(await form.locator('input[name="tax_code_1"]').inputValue(), STAFF[1][1], 'prefilled with the current staff');
      await form.locator('input[name="sent_by"]').fill('Legale rappresentante, via PEC');
      await fillLines(form, [[ADDED[0], 'NREPLA80A41D969X', ADDED[2]]], 2);
      await form.locator('[data-testid="ra-staff-sheet-save"]').click();
      await page.waitForLoadState('load');
      assert.match(await page.locator('[data-testid="ra-error"]').innerText(), /Riga 3/);
      form = page.locator('[data-testid="ra-staff-sheet-form"]');
      assert.equal(await form.locator('input[name="name_2"]').inputValue(), ADDED[0], 'nothing typed is lost');
      await screenshot(page, '04-wrong-line-1366');
      await page.setViewportSize({ width: 390, height: 900 });
      await screenshot(page, '04-wrong-line-390');
      await page.setViewportSize({ width: 1366, height: 900 });

      // The second version adds a collaborator.
      await form.locator('input[name="tax_code_2"]').fill(ADDED[1]);
      await form.locator('[data-testid="ra-staff-sheet-save"]').click();
      await page.waitForLoadState('load');
      assert.match(await page.locator('.alert-success[role="status"]').innerText(), /Versione 2 della scheda registrata/);
      const versions = page.locator('[data-testid="ra-staff-sheet-versions"] tbody tr');
      assert.equal(await versions.count(), 2);
      assert.match(await versions.first().innerText(), /Paola Neri/);
      assert.equal(await page.locator('[data-testid="ra-collaborators"] tbody tr').count(), 3);
      await pageChecks(page, 'the organisation page');
      await screenshotWidths(page, '05-second-version');

      // The new collaborator starts on the sheet's date and must pass the course first.
      await page.locator('[data-testid="ra-collaborators"] a', { hasText: ADDED[0] }).click();
      await page.waitForLoadState('load');
      assert.equal(await state(page), 'Mandato inviato');
      assert.match(await page.locator('[data-testid="ra-can-act"]').innerText(), /^No/);
      assert.match(await page.locator('[data-testid="ra-remote-issuance"]').innerText(), /da remoto/);
      await screenshotWidths(page, '06-added-collaborator');

      await page.goto(`${app.baseUrl}${orgPath}/staff-sheets/new`);
      await pageChecks(page, 'the staff sheet form');

      assert.deepEqual(requests.external, [], 'pages load nothing from other hosts');
      assert.deepEqual(requests.brokenAssets, [], 'every asset loads');
    } catch (error) {
      await screenshot(page, 'failed').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });
});
