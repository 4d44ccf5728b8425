// The Manager's queue (RA procedure, part 1: the mandate letter and the revocation notice are
// "firmata digitalmente dal Dirigente"). The Master RAO registers a RAO, sees the documents the
// mandate requires and prepares the letter; the Manager finds it in the queue, uploads a file
// someone else signed (refused, naming the signer), a file he signed that is another document
// (refused), then the letter he signed (accepted); the mandate then goes out. Then the office prepares the revocation of the demo ODR, and the
// Manager's signed notice revokes it. Signed files are made by OpenSSL
// (crates/sportello-core/tests/fixtures/ra). Screenshots at 1366 and 390 px land in
// e2e/output/ra_manager/.
//
// Page contract:
//   /ra/operators/{id}  [data-testid=ra-required] (one row per required document,
//                       [data-testid=ra-required-<kind>]), forms [data-testid=prepare-mandate_letter]
//                       and [data-testid=prepare-revocation_notice] (input[name=document], input[name=reason])
//   /ra/manager         one [data-testid=ra-manager-request] per waiting document, with
//                       [data-testid=ra-manager-download] and form [data-testid=ra-manager-sign]
//                       (input[name=signed]); [data-testid=ra-manager-error] next to a refused one,
//                       [data-testid=ra-manager-done] after a signature, [data-testid=ra-manager-empty];
//                       fifty a page, oldest first, [data-testid=pager] with rel=next / rel=prev links
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths, watchRequests } from './lib/browser.mjs';
import { login } from './lib/flows.mjs';
import { repoRoot } from './lib/paths.mjs';
import { entityTaxCode, runSql } from './lib/plant.mjs';

const FIXTURES = path.join(repoRoot, 'crates/sportello-core/tests/fixtures/ra');
const fixture = (name) => path.join(FIXTURES, name);

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

async function requiredState(page, kind) {
  return (await page.locator(`[data-testid="ra-required-${kind}"] td`).nth(2).innerText()).trim();
}

async function state(page) {
  return (await page.locator('[data-testid="ra-state"]').innerText()).trim();
}

describe("the Manager's queue", () => {
  it('the Manager signs the letter, refusing a file someone else signed; then a revocation', async () => {
    const office = await newContext(browser);
    const manager = await newContext(browser);
    const requests = await watchRequests(office.context, app.baseUrl);
    const page = office.page;
    try {
      await login(page, app, 'master-rao');
      await page.goto(`${app.baseUrl}/ra/operators`);
      const form = page.locator('[data-testid="ra-new-operator"]');
      await form.locator('select[name="kind"]').selectOption('rao');
      await form.locator('input[name="name"]').fill('MARIO ROSSI');
      await form.locator('input[name="tax_code"]').fill('RSSMRA80A01H501U');
      await form.locator('input[name="email"]').fill('m.rossi@camera.test');
      await form.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      const raoPath = new URL(page.url()).pathname;
      for (const kind of ['mandate_letter', 'acceptance_form', 'data_processing_authorisation', 'privacy_notice']) {
        assert.equal(await requiredState(page, kind), 'Mancante', kind);
      }

      // Without the Manager's letter the mandate does not go out.
      const send = page.locator('[data-testid="step-send_mandate"]');
      await send.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      assert.match(await page.locator('[data-testid="ra-error"]').innerText(), /lettera di incarico firmata dal Dirigente/);
      assert.equal(await state(page), 'Registrato');

      const prepare = page.locator('[data-testid="prepare-mandate_letter"]');
      await prepare.locator('input[name="document"]').setInputFiles(fixture('lettera-incarico.pdf'));
      await prepare.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      assert.equal(await requiredState(page, 'mandate_letter'), 'In attesa della firma del Dirigente');
      await screenshotWidths(page, '01-letter-waiting-for-the-manager');

      await login(manager.page, app, 'manager');
      await manager.page.goto(`${app.baseUrl}/ra/manager`);
      const item = manager.page.locator('[data-testid="ra-manager-request"]');
      assert.equal(await item.count(), 1);
      // People by name, in usual case; the date as 06/12/2026.
      const text = await item.innerText();
      assert.match(text, /Mario Rossi/);
      assert.match(text, /Luca Galli/, 'the Master RAO who prepared it, by name');
      assert.doesNotMatch(text, /@demo\.sportello\.test/, 'no e-mail for a name');
      assert.match(text, /\d{2}\/\d{2}\/\d{4}/);
      await screenshotWidths(manager.page, '02-managers-queue');
      // A file signed by someone else is refused, naming who signed; nothing is lost.
      await item.locator('input[name="signed"]').setInputFiles(fixture('acceptance_rossi.pdf'));
      await item.locator('[data-testid="ra-manager-sign"] button[type="submit"]').click();
      await manager.page.waitForLoadState('load');
      const refused = manager.page.locator('[data-testid="ra-manager-error"]');
      await refused.waitFor();
      assert.match(await refused.innerText(), /firmato da Mario Rossi|firmato da MARIO ROSSI/i);
      await screenshot(manager.page, '03-someone-elses-signature-refused-1366');
      await manager.page.setViewportSize({ width: 390, height: 900 });
      await screenshot(manager.page, '03-someone-elses-signature-refused-390');
      await manager.page.setViewportSize({ width: 1366, height: 900 });
      // A file the Manager signed, but another document than the letter prepared: refused.
      await item.locator('input[name="signed"]').setInputFiles({
        name: 'comunicazione-revoca-firmata.pdf',
        mimeType: 'application/pdf',
        buffer: fs.readFileSync(fixture('revocation_notice.pdf')),
      });
      await item.locator('[data-testid="ra-manager-sign"] button[type="submit"]').click();
      await manager.page.waitForLoadState('load');
      await refused.waitFor();
      assert.match(await refused.innerText(), /non è il documento preparato dall'ufficio/);
      // A page shown by a POST: resized in place, not reloaded (a reload would post again).
      await screenshot(manager.page, '03-another-document-refused-1366');
      await manager.page.setViewportSize({ width: 390, height: 900 });
      await screenshot(manager.page, '03-another-document-refused-390');
      await manager.page.setViewportSize({ width: 1366, height: 900 });
      await item.locator('input[name="signed"]').setInputFiles({
        name: 'lettera-incarico-firmata.pdf',
        mimeType: 'application/pdf',
        buffer: fs.readFileSync(fixture('mandate_letter.pdf')),
      });
      await item.locator('[data-testid="ra-manager-sign"] button[type="submit"]').click();
      await manager.page.waitForLoadState('load');
      await manager.page.locator('[data-testid="ra-manager-done"]').waitFor();
      assert.equal(await manager.page.locator('[data-testid="ra-manager-request"]').count(), 0);
      await screenshotWidths(manager.page, '04-letter-signed');

      await page.goto(`${app.baseUrl}${raoPath}`);
      assert.equal(await requiredState(page, 'mandate_letter'), 'Presente e firmato');
      await page.locator('[data-testid="step-send_mandate"] button[type="submit"]').click();
      await page.waitForLoadState('load');
      assert.equal(await state(page), 'Mandato inviato');
      await screenshotWidths(page, '05-mandate-sent');

      // The demo ODR: the office prepares the revocation, the Manager's signature makes it.
      await page.goto(`${app.baseUrl}/ra/operators`);
      await page.locator('a', { hasText: 'Marco Riva' }).first().click();
      await page.waitForLoadState('load');
      const revoke = page.locator('[data-testid="prepare-revocation_notice"]');
      await revoke.locator('input[name="reason"]').fill('Cessata attività');
      await revoke.locator('input[name="document"]').setInputFiles(fixture('comunicazione-revoca.pdf'));
      await revoke.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      const odrPath = new URL(page.url()).pathname;
      assert.match(await page.locator('[data-testid="ra-manager-requests"]').innerText(), /In attesa della firma del Dirigente/);

      await manager.page.goto(`${app.baseUrl}/ra/manager`);
      const notice = manager.page.locator('[data-testid="ra-manager-request"]');
      assert.match(await notice.innerText(), /Comunicazione di revoca/);
      assert.match(await notice.innerText(), /Cessata attività/);
      await screenshotWidths(manager.page, '06-revocation-in-the-queue');
      await notice.locator('input[name="signed"]').setInputFiles({
        name: 'comunicazione-revoca-firmata.pdf',
        mimeType: 'application/pdf',
        buffer: fs.readFileSync(fixture('revocation_notice.pdf')),
      });
      await notice.locator('[data-testid="ra-manager-sign"] button[type="submit"]').click();
      await manager.page.waitForLoadState('load');
      assert.match(await manager.page.locator('[data-testid="ra-manager-done"]').innerText(), /revoca è stata registrata/);
      await manager.page.locator('[data-testid="ra-manager-empty"]').waitFor();

      await page.goto(`${app.baseUrl}${odrPath}`);
      assert.equal(await state(page), 'Revocato');
      await screenshotWidths(page, '07-odr-revoked');

      assert.deepEqual(requests.external, [], 'pages load nothing from other hosts');
      assert.deepEqual(requests.brokenAssets, [], 'every asset loads');
    } catch (error) {
      await screenshot(page, 'failed-office').catch(() => {});
      await screenshot(manager.page, 'failed-manager').catch(() => {});
      throw error;
    } finally {
      await office.context.close();
      await manager.context.close();
    }
  });

  it("the Manager's queue is shown fifty a page, oldest first, with links to the others", async () => {
    const { context, page } = await newContext(browser);
    try {
      // Thirty more operators of the Manager's chamber, each with a letter and a notice
      // waiting, prepared at one instant.
      const email = app.logins.get('manager').email.replaceAll("'", "''");
      const chamber = `(SELECT chamber_id FROM users WHERE email = '${email}')`;
      const rows = [];
      for (let i = 0; i < 30; i += 1) {
        const n = String(i).padStart(2, '0');
        rows.push(
          'INSERT INTO ra_operators (id, chamber_id, kind, name, tax_code, email, state, created_at, updated_at) ' +
            `SELECT 'e2e-op-${n}', ${chamber}, 'rao', 'STUDIO ASSOCIATO ${n}', '${entityTaxCode(i)}', ` +
            `'studio${n}@example.test', 'new', '2026-11-01T08:00:00.000000Z', '2026-11-01T08:00:00.000000Z';`,
        );
        for (const kind of ['mandate_letter', 'revocation_notice']) {
          rows.push(
            'INSERT INTO ra_signature_requests (id, chamber_id, operator_id, kind, state, filename, blob, ' +
              `size_bytes, reason, prepared_by, prepared_at) SELECT 'e2e-req-${n}-${kind}', ${chamber}, ` +
              `'e2e-op-${n}', '${kind}', 'waiting', 'documento-${n}.pdf', 'e2e', 1000, ` +
              `${kind === 'revocation_notice' ? "'Cessata attività'" : 'NULL'}, 'Ufficio RA', ` +
              "'2026-11-02T08:00:00.000000Z';",
          );
        }
      }
      runSql(app, rows.join('\n'));
      await login(page, app, 'manager');
      await page.goto(`${app.baseUrl}/ra/manager`);
      const items = page.locator('[data-testid="ra-manager-request"]');
      assert.equal(await items.count(), 50);
      const first = await items.locator('h2').allTextContents();
      await screenshotWidths(page, '08-queue-page-1');
      await page.locator('[data-testid="pager"] a[rel="next"]').click();
      await page.waitForLoadState('load');
      const second = await items.locator('h2').allTextContents();
      assert.equal(second.length, 10);
      assert.ok(second.every((t) => !first.includes(t)), 'no request shown twice');
      await screenshotWidths(page, '09-queue-page-2');
      await page.locator('[data-testid="pager"] a[rel="prev"]').click();
      await page.waitForLoadState('load');
      assert.deepEqual(await items.locator('h2').allTextContents(), first);
    } catch (error) {
      await screenshot(page, 'failed-queue-pages').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });
});
