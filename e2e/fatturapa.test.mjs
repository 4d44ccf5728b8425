// A company prefills a certificate of origin from a FatturaPA e-invoice (made by a38, see
// scripts/fatturapa-fixtures.sh), reviews it, changes the invoice amount, and sees the
// difference named before sending; the officer sees it on the desk page.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { login as loginAs, sign, smallPdf, work } from './lib/flows.mjs';

const fixtures = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..', 'crates', 'sportello-core', 'tests', 'fixtures', 'fatturapa',
);

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

describe('FatturaPA', () => {
  it('prefills a certificate from an e-invoice and names a mismatch before sending and to the officer', async () => {
    const { context, page } = await newContext(browser);
    let practiceUrl;
    try {
      await login(page, 'company');
      await page.goto(`${app.baseUrl}/company/profile`);
      await page.fill('#tax_code', '01879020517');
      await page.fill('#delivery_address', 'Via XX Settembre 12');
      await page.fill('#postcode', '16121');
      await page.fill('#municipality', 'Genova');
      await page.fill('#province', 'GE');
      await page.fill('#notification_email', 'export@ligure-export.test');
      await page.click('form[action="/company/profile"] button[type="submit"]');
      await page.getByText('Configurazione salvata').waitFor();

      await page.goto(`${app.baseUrl}/models/new`);
      await page.click('[data-testid="type-certificate_of_origin"]');
      await page.click('[data-testid="start-model"]');
      await page.waitForURL(/\/models\/[0-9a-f-]+$/);
      const modelUrl = page.url();
      await screenshotWidths(page, 'fatturapa-01-empty-model');

      // A file that is not an e-invoice is refused with a message.
      await page.setInputFiles('#einvoice', smallPdf('fattura.pdf'));
      await page.click('[data-testid="upload-einvoice"]');
      await page.locator('[data-testid="einvoice-error"]').waitFor();
      assert.match(await page.textContent('[data-testid="einvoice-error"]'), /non è una fattura elettronica FatturaPA/);

      // The e-invoice prefills consignee, goods and invoice table.
      await page.setInputFiles('#einvoice', path.join(fixtures, 'fpr12-export.xml'));
      await page.click('[data-testid="upload-einvoice"]');
      await page.locator('[data-testid="einvoice-notice"]').waitFor();
      assert.match(await page.textContent('[data-testid="einvoice-notice"]'), /destinatario compilato; 2 righe di merci aggiunte; una fattura aggiunta/);
      assert.equal(await page.inputValue('#consignee-name'), 'ACME Trading LLC');
      assert.equal(await page.inputValue('#items-0-quantity'), '1.200 PZ');
      assert.equal(await page.inputValue('#items-1-quantity'), '250,5 KG');
      assert.equal(await page.inputValue('#invoices-0-number'), '2026/118');
      for (const width of [1366, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await screenshot(page, `fatturapa-02-prefilled-${width}`);
      }
      await page.setViewportSize({ width: 1366, height: 900 });

      // The company reviews: packages, origin, and an amount that differs from the e-invoice.
      await page.selectOption('#origin_country', 'IT');
      await page.fill('#items-0-packages', '12 casse');
      await page.fill('#items-1-packages', '3 pallet');
      await page.fill('#invoices-0-amount', '15.300,00');
      await page.click('[data-testid="save-model"]');
      await page.locator('[data-testid="download-xml"]').waitFor();
      await page.goto(modelUrl);
      assert.equal(await page.locator('[data-testid="einvoice-row"]').count(), 1);
      await screenshotWidths(page, 'fatturapa-03-reviewed');

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('[data-testid="download-xml"]'),
      ]);
      const xml = path.join(work, 'fatturapa-model.xml');
      await download.saveAs(xml);
      const signed = sign(xml);
      await page.click('[data-testid="to-practice"]');
      await page.selectOption('#desk', 'GE-GENOVA');
      await page.setInputFiles('#signed_model', signed);
      await page.click('label[for="proforma-no"]');
      await page.fill('#goods_location', 'Magazzino Via Rubattino 4, Genova');
      await page.click('[data-testid="upload"]');
      await page.waitForURL(/\/practices\/[0-9a-f-]+$/);
      practiceUrl = page.url();
      await page.setInputFiles('#file', smallPdf('fattura.pdf'));
      await page.fill('#description', 'Fattura di esportazione 2026/118');
      await page.selectOption('#code', 'invoice');
      await page.click('[data-testid="attach"]');
      await page.getByRole('link', { name: 'fattura.pdf' }).waitFor();

      // Before sending: the mismatch names the invoice.
      const warning = await page.textContent('[data-testid="einvoice-mismatches"]');
      assert.match(warning, /Fattura 2026\/118: nel riquadro fatture l'importo è 15\.300,00 €, nella fattura elettronica 15\.400,00 €/);
      await page.locator('[data-testid="einvoice-check"]').scrollIntoViewIfNeeded();
      await screenshotWidths(page, 'fatturapa-04-mismatch-before-sending');
      await page.click('[data-testid="send"]');
      await page.locator('[data-testid="notice"]').waitFor();
      assert.equal((await page.textContent('[data-testid="status"]')).trim(), 'Inviata');

      // Sent: the model's e-invoices are what the office examines; the page says so and
      // offers neither upload nor removal.
      await page.goto(modelUrl);
      await page.locator('[data-testid="einvoice-locked"]').waitFor();
      assert.match(await page.textContent('[data-testid="einvoice-locked"]'), /è già stata inviata/);
      assert.equal(await page.locator('[data-testid="upload-einvoice"]').count(), 0);
      await page.locator('[data-testid="einvoices"]').scrollIntoViewIfNeeded();
      await screenshotWidths(page, 'fatturapa-06-locked-after-send');
    } catch (error) {
      await screenshot(page, 'fatturapa-failed').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }

    const officer = await newContext(browser);
    try {
      await login(officer.page, 'officer');
      const id = practiceUrl.split('/practices/')[1];
      await officer.page.goto(`${app.baseUrl}/desk/practices/${id}`);
      const text = await officer.page.textContent('[data-testid="einvoice-mismatches"]');
      assert.match(text, /Differenze tra le fatture del modello firmato/);
      assert.match(text, /2026\/118/);
      await officer.page.locator('[data-testid="einvoice-check"]').scrollIntoViewIfNeeded();
      await screenshotWidths(officer.page, 'fatturapa-05-desk');
    } catch (error) {
      await screenshot(officer.page, 'fatturapa-officer-failed').catch(() => {});
      throw error;
    } finally {
      await officer.context.close();
    }
  });
});
