// A company user, in real Chromium, goes from an empty draft to a sent practice with its
// protocol number: profile, base model from the Registry, form, XML download, signature
// (made by OpenSSL with the test PKI, as the user's signing software would), upload of the
// signed model, attachment, fee, send, wallet.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, watchRequests } from './lib/browser.mjs';
import { login as loginAs, sign, smallPdf, work } from './lib/flows.mjs';

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

describe('company side', () => {
  it('goes from an empty draft to a sent practice with a protocol number', async () => {
    const { context, page } = await newContext(browser);
    const requests = await watchRequests(context, app.baseUrl);
    try {
      await login(page, 'company');

      // The profile, completed before the first practice.
      await page.goto(`${app.baseUrl}/company/profile`);
      await page.fill('#tax_code', '01879020517');
      await page.fill('#delivery_address', 'Via XX Settembre 12');
      await page.fill('#postcode', '16121');
      await page.fill('#municipality', 'Genova');
      await page.fill('#province', 'GE');
      await page.fill('#notification_email', 'export@ligure-export.test');
      await page.click('form[action="/company/profile"] button[type="submit"]');
      await page.getByText('Configurazione salvata').waitFor();
      await screenshot(page, '01-profile');

      // A base model from the Registry: the acting company's sites are offered.
      await page.goto(`${app.baseUrl}/models/new`);
      await page.click('[data-testid="type-certificate_of_origin"]');
      await screenshot(page, '02-start');
      await page.click('[data-testid="start-model"]');
      await page.waitForURL(/\/models\/[0-9a-f-]+$/);

      // Saving half a form keeps it and names what is missing.
      await page.fill('#consignee-name', 'ACME Trading LLC');
      await page.click('[data-testid="save-model"]');
      await page.locator('[data-testid="form-problems"]').waitFor();
      await screenshot(page, '03-draft-with-problems');

      await page.fill('#consignee-address', '1200 Harbor Blvd, Long Beach CA 90802');
      await page.selectOption('#consignee-country', 'US');
      await page.selectOption('#origin_country', 'IT');
      await page.fill('#transport', 'Nave da Genova a Long Beach');
      await page.fill('#remarks', 'Invoice No. 2026/118');
      await page.fill('#items-0-marks', 'ACME 1-20');
      await page.fill('#items-0-packages', '20 casse di legno');
      await page.fill('#items-0-description', 'Valvole a sfera in acciaio inox');
      await page.fill('#items-0-quantity', '1.250 kg lordi');
      await page.fill('#invoices-0-number', '2026/118');
      await page.fill('#invoices-0-date', '2026-11-20');
      await page.fill('#invoices-0-amount', '15.400,00');
      await page.click('[data-testid="save-model"]');
      await page.locator('[data-testid="download-xml"]').waitFor();
      assert.equal(await page.locator('[data-testid="form-problems"]').count(), 0, 'complete');
      await screenshot(page, '04-complete-model');

      // Download the XML and sign it outside the platform.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('[data-testid="download-xml"]'),
      ]);
      assert.match(download.suggestedFilename(), /^modello-base_CO_01879020517_.*\.xml$/);
      const xml = path.join(work, 'renamed-by-the-user.xml');
      await download.saveAs(xml);
      const signed = sign(xml);

      // Upload the signed model, choose desk and details.
      await page.click('[data-testid="to-practice"]');
      await page.selectOption('#desk', 'GE-GENOVA');
      await page.setInputFiles('#signed_model', signed);
      await page.click('label[for="proforma-no"]');
      await page.fill('#goods_location', 'Magazzino Via Rubattino 4, Genova');
      await screenshot(page, '05-upload');
      await page.click('[data-testid="upload"]');
      await page.waitForURL(/\/practices\/[0-9a-f-]+$/);
      assert.match(await page.textContent('main'), /Giulia Bianchi \(BNCGLI85M41D969D\), certificato di /, 'the signer is shown');
      assert.equal((await page.textContent('[data-testid="fee-total"]')).trim(), '10,00 €', 'fee shown before sending');

      // Attach the invoice.
      const pdf = smallPdf('fattura.pdf');
      await page.setInputFiles('#file', pdf);
      await page.fill('#description', 'Fattura di esportazione 2026/118');
      await page.selectOption('#code', 'invoice');
      await page.click('[data-testid="attach"]');
      await page.getByRole('link', { name: 'fattura.pdf' }).waitFor();
      await screenshot(page, '06-ready-to-send');

      // Send.
      await page.click('[data-testid="send"]');
      await page.locator('[data-testid="notice"]').waitFor();
      const protocol = (await page.textContent('[data-testid="protocol"]')).trim();
      assert.match(protocol, /^GE\/\d{4}\/\d{7}$/);
      assert.equal((await page.textContent('[data-testid="status"]')).trim(), 'Inviata');
      await screenshot(page, '07-sent');

      await page.goto(`${app.baseUrl}/wallet`);
      assert.match(await page.textContent('[data-testid="balance-GE"]'), /40,00 €/, '€50 − €10');
      await screenshot(page, '08-wallet');

      // The confirmation e-mail was written as an .eml file (no SMTP relay in the demo).
      const mailDir = path.join(app.dataDir, 'mail');
      let mails = [];
      for (let i = 0; i < 50 && mails.length === 0; i += 1) {
        mails = existsSync(mailDir) ? readdirSync(mailDir).filter((f) => f.endsWith('.eml')) : [];
        if (mails.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(mails.length, 1, 'one confirmation e-mail');
      assert.match(readFileSync(path.join(mailDir, mails[0]), 'utf8'), new RegExp(protocol.replaceAll('/', '\\/')));

      assert.deepEqual(requests.external, [], 'nothing loaded from other hosts');
      assert.deepEqual(requests.brokenAssets, [], 'every asset loads');
    } catch (error) {
      await screenshot(page, 'failed').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });
});
