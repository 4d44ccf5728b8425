// pagoPA top-ups: the company asks for a notice and sees it with its QR code, the office
// imports the reconciliation flow that reports the payment, and the wallet shows the credit
// and its receipt. Screenshots at 1366 and 390 px of the wallet and of the office's page.
// The office then resolves an anomaly (a payment of an unknown notice) with a note, and
// edits the chamber's pagoPA settings.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { axeViolations } from './lib/checks.mjs';
import { login as loginAs } from './lib/flows.mjs';
import { outputDir } from './lib/paths.mjs';

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

const login = (page, role) => loginAs(page, app, role);

/** A reconciliation flow (FlussoRiversamento) reporting one executed payment. */
function flow(iuv, cents, id = '0001', iur = 'IUR-E2E-1') {
  const amount = (cents / 100).toFixed(2);
  const day = new Date().toISOString().slice(0, 10);
  return `<?xml version="1.0" encoding="UTF-8"?>
<FlussoRiversamento xmlns="http://www.digitpa.gov.it/schemas/2011/Pagamenti/">
  <versioneOggetto>1.0</versioneOggetto>
  <identificativoFlusso>${day}BPPIITRRXXX-${id}</identificativoFlusso>
  <dataOraFlusso>${day}T10:00:00</dataOraFlusso>
  <identificativoUnivocoRegolamento>SEPA-0001</identificativoUnivocoRegolamento>
  <dataRegolamento>${day}</dataRegolamento>
  <istitutoMittente>
    <identificativoUnivocoMittente>
      <tipoIdentificativoUnivoco>B</tipoIdentificativoUnivoco>
      <codiceIdentificativoUnivoco>BPPIITRRXXX</codiceIdentificativoUnivoco>
    </identificativoUnivocoMittente>
    <denominazioneMittente>Poste Italiane</denominazioneMittente>
  </istitutoMittente>
  <istitutoRicevente>
    <identificativoUnivocoRicevente>
      <tipoIdentificativoUnivoco>G</tipoIdentificativoUnivoco>
      <codiceIdentificativoUnivoco>80043770108</codiceIdentificativoUnivoco>
    </identificativoUnivocoRicevente>
  </istitutoRicevente>
  <numeroTotalePagamenti>1</numeroTotalePagamenti>
  <importoTotalePagamenti>${amount}</importoTotalePagamenti>
  <datiSingoliPagamenti>
    <identificativoUnivocoVersamento>${iuv}</identificativoUnivocoVersamento>
    <identificativoUnivocoRiscossione>${iur}</identificativoUnivocoRiscossione>
    <indiceDatiSingoloPagamento>1</indiceDatiSingoloPagamento>
    <singoloImportoPagato>${amount}</singoloImportoPagato>
    <codiceEsitoSingoloPagamento>0</codiceEsitoSingoloPagamento>
    <dataEsitoSingoloPagamento>${day}</dataEsitoSingoloPagamento>
  </datiSingoliPagamenti>
</FlussoRiversamento>
`;
}

describe('pagoPA', () => {
  it('tops up the wallet through a notice and an imported reconciliation flow', async () => {
    const company = await newContext(browser, { bypassCSP: true });
    const office = await newContext(browser, { bypassCSP: true });
    try {
      // The company asks for 75,00 €.
      await login(company.page, 'company');
      await company.page.goto(`${app.baseUrl}/wallet`);
      const before = await company.page.textContent('[data-testid="balance-GE"]');
      await company.page.fill('#amount', '75,00');
      await company.page.click('form[action="/wallet/top-ups"] button[type="submit"]');
      await company.page.locator('[data-testid="pagopa-notice"]').waitFor();
      const code = (await company.page.textContent('[data-testid="notice-code"]')).replace(/\s/g, '');
      assert.match(code, /^301\d{15}$/);
      assert.equal((await company.page.textContent('[data-testid="notice-amount"]')).trim(), '75,00 €');
      const qr = await company.page.getAttribute('[data-testid="pagopa-notice"] svg', 'data-qr');
      assert.equal(qr, `PAGOPA|002|${code}|80043770108|7500`);
      assert.deepEqual(await axeViolations(company.page), []);
      await screenshotWidths(company.page, 'pagopa-01-notice');

      // The notice PDF opens.
      const href = await company.page.getAttribute('[data-testid="pagopa-notice"] a[href$="notice.pdf"]', 'href');
      const pdf = await company.page.request.get(`${app.baseUrl}${href}`);
      assert.equal(pdf.status(), 200);
      assert.equal(pdf.headers()['content-type'], 'application/pdf');
      writeFileSync(path.join(outputDir(), 'pagopa-notice.pdf'), await pdf.body());

      // The office imports the reconciliation flow that reports the payment.
      await login(office.page, 'chamber-admin');
      await office.page.goto(`${app.baseUrl}/admin/payments`);
      await office.page.setInputFiles('#flow', {
        name: 'flusso-rendicontazione.xml',
        mimeType: 'application/xml',
        buffer: Buffer.from(flow(code.slice(1), 7500)),
      });
      await office.page.click('form[action="/admin/payments/import"] button[type="submit"]');
      await office.page.locator('[data-testid="import-report"]').waitFor();
      assert.match(
        await office.page.textContent('[data-testid="import-report"]'),
        /1 pagamento accreditato per 75,00 €, 0 anomalie/,
      );
      assert.deepEqual(await axeViolations(office.page), []);
      // The report is the answer to the upload: saved as it is (a reload would post again).
      await screenshot(office.page, 'pagopa-02-office-report-1366');
      await office.page.goto(`${app.baseUrl}/admin/payments`);
      await screenshotWidths(office.page, 'pagopa-03-office');

      // The wallet shows the credit, the notice paid and the receipt.
      await company.page.goto(`${app.baseUrl}/wallet`);
      const afterText = await company.page.textContent('[data-testid="balance-GE"]');
      assert.notEqual(afterText, before);
      const euros = (s) => Number(s.split(':').pop().replace(/[^\d,]/g, '').replace(',', '.'));
      assert.equal(Math.round((euros(afterText) - euros(before)) * 100), 7500);
      assert.match(await company.page.textContent('[data-testid="position"]'), /Pagato/);
      const receipt = await company.page.getAttribute('[data-testid="receipt"]', 'href');
      const r = await company.page.request.get(`${app.baseUrl}${receipt}`);
      assert.equal(r.status(), 200);
      assert.equal(r.headers()['content-type'], 'application/pdf');
      writeFileSync(path.join(outputDir(), 'pagopa-receipt.pdf'), await r.body());
      await screenshotWidths(company.page, 'pagopa-04-credited');
    } catch (error) {
      await screenshot(company.page, 'pagopa-failed-company').catch(() => {});
      await screenshot(office.page, 'pagopa-failed-office').catch(() => {});
      throw error;
    } finally {
      await company.context.close();
      await office.context.close();
    }
  });

  it('resolves an anomaly with a note and edits the pagoPA settings', async () => {
    const office = await newContext(browser, { bypassCSP: true });
    try {
      await login(office.page, 'chamber-admin');
      await office.page.goto(`${app.baseUrl}/admin/payments`);
      // A payment of a notice nobody asked for: an anomaly.
      await office.page.setInputFiles('#flow', {
        name: 'flusso-anomalia.xml',
        mimeType: 'application/xml',
        buffer: Buffer.from(flow('01000000000099919', 1234, '0002', 'IUR-E2E-2')),
      });
      await office.page.click('form[action="/admin/payments/import"] button[type="submit"]');
      await office.page.locator('[data-testid="import-report"]').waitFor();
      await office.page.goto(`${app.baseUrl}/admin/payments`);
      const row = office.page.locator('[data-testid="anomaly"]', { hasText: '01000000000099919' });
      await row.locator('[data-testid="anomaly-resolve"]').click();
      await office.page.locator('[data-testid="resolve-note-form"]').waitFor();
      assert.deepEqual(await axeViolations(office.page), []);
      await screenshotWidths(office.page, 'pagopa-05-anomaly');
      // Without a note: refused, said next to the field.
      await office.page.click('[data-testid="resolve-note-submit"]');
      await office.page.locator('[data-testid="error-summary"]').waitFor();
      assert.match(await office.page.textContent('[data-testid="error-summary"]'), /Scrivi nella nota/);
      await screenshotWidths(office.page, 'pagopa-06-anomaly-note-missing');
      await office.page.fill('#note', 'rimborsato con bonifico del 03/12/2026');
      // A double click resolves once.
      await office.page.dblclick('[data-testid="resolve-note-submit"]');
      await office.page.waitForURL(/resolved=1/);
      assert.match(
        await office.page.textContent('[data-testid="anomaly-resolved"]'),
        /Risolta da .* il \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}: rimborsato con bonifico del 03\/12\/2026/,
      );
      await screenshotWidths(office.page, 'pagopa-07-anomaly-resolved');
      await office.page.goto(`${app.baseUrl}/admin/payments`);
      const resolved = office.page.locator('[data-testid="anomaly"]', { hasText: '01000000000099919' });
      assert.match(await resolved.locator('[data-testid="anomaly-resolved"]').innerText(), /rimborsato con bonifico/);
      assert.deepEqual(await axeViolations(office.page), []);
      await screenshotWidths(office.page, 'pagopa-08-office-resolved');

      // The settings: a wrong segregation code is said next to the field, then saved.
      await office.page.click('[data-testid="pagopa-settings-link"]');
      await office.page.locator('[data-testid="pagopa-settings-form"]').waitFor();
      assert.equal(await office.page.inputValue('#tax_code'), '80043770108');
      assert.deepEqual(await axeViolations(office.page), []);
      await screenshotWidths(office.page, 'pagopa-09-settings');
      await office.page.fill('#segregation_code', '1');
      await office.page.click('[data-testid="pagopa-settings-submit"]');
      await office.page.locator('[data-testid="error-summary"]').waitFor();
      assert.equal(await office.page.inputValue('#segregation_code'), '1');
      await screenshotWidths(office.page, 'pagopa-10-settings-error');
      await office.page.fill('#segregation_code', '01');
      await office.page.click('[data-testid="pagopa-settings-submit"]');
      await office.page.waitForURL(/configured=1/);
      assert.match(await office.page.textContent('[data-testid="import-report"]'), /Configurazione pagoPA salvata/);
    } catch (error) {
      await screenshot(office.page, 'pagopa-failed-anomaly').catch(() => {});
      throw error;
    } finally {
      await office.context.close();
    }
  });
});
