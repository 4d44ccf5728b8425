// The company's journey for a certificate of origin, walked as a person would from the home
// page to a sent practice, counting every gesture: a click (links, buttons, radio buttons, a
// form's submit), a choice in a drop-down, a file chosen. Typing in a field is counted apart.
// The totals are printed as `JOURNEY gestures=N typed=M` and recorded in BENCHMARKS.md
// ("Clicks").
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot } from './lib/browser.mjs';
import { login, sign, smallPdf, work } from './lib/flows.mjs';
import path from 'node:path';

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

/** A person's hands on the page: each method does one gesture and counts it. */
function hands(page) {
  const count = { click: 0, select: 0, file: 0, typed: 0 };
  return {
    count,
    gestures: () => count.click + count.select + count.file,
    async click(target) {
      count.click += 1;
      await (typeof target === 'string' ? page.locator(target) : target).click();
    },
    /** Picks an option, only when the drop-down does not already show it. */
    async select(selector, value) {
      if ((await page.inputValue(selector)) === value) return;
      count.select += 1;
      await page.selectOption(selector, value);
    },
    async file(selector, file) {
      count.file += 1;
      await page.setInputFiles(selector, file);
    },
    async type(selector, value) {
      count.typed += 1;
      await page.fill(selector, value);
    },
  };
}

/** The menu link with this label (the menu is open at laptop width). */
const menu = (page, label) => page.locator('#nav-main').getByRole('link', { name: label, exact: true });

describe('the company journey', () => {
  it('goes from the home page to a sent certificate of origin, counting gestures', async () => {
    const { context, page } = await newContext(browser);
    const h = hands(page);
    try {
      await login(page, app, 'company');
      await page.waitForURL(`${app.baseUrl}/`);

      // "Nuova pratica" in the menu.
      await h.click(menu(page, 'Nuova pratica'));
      await h.click('[data-testid="new-model"]');
      await h.select('#practice_type', 'certificate_of_origin');
      await h.click('[data-testid="start-model"]');
      await page.waitForURL(/\/models\/[0-9a-f-]+$/);

      await h.type('#consignee-name', 'ACME Trading LLC');
      await h.type('#consignee-address', '1200 Harbor Blvd, Long Beach CA 90802');
      await h.select('#consignee-country', 'US');
      await h.select('#origin_country', 'IT');
      await h.type('#items-0-packages', '20 casse di legno');
      await h.type('#items-0-description', 'Valvole a sfera in acciaio inox');
      await h.type('#items-0-quantity', '1.250 kg lordi');
      await h.type('#invoices-0-number', '2026/118');
      await h.type('#invoices-0-date', '2026-11-20');
      await h.type('#invoices-0-amount', '15.400,00');
      await h.click('[data-testid="save-model"]');
      await page.locator('[data-testid="download-xml"]').waitFor();

      // Download, sign outside the platform, upload.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        h.click('[data-testid="download-xml"]'),
      ]);
      const xml = path.join(work, 'journey.xml');
      await download.saveAs(xml);
      const signed = sign(xml);
      await h.click('[data-testid="to-practice"]');
      await h.select('#desk', 'GE-GENOVA');
      await h.file('#signed_model', signed);
      await h.click('label[for="proforma-no"]');
      await h.type('#goods_location', 'Magazzino Via Rubattino 4, Genova');
      await h.click('[data-testid="upload"]');
      await page.waitForURL(/\/practices\/[0-9a-f-]+$/);
      const practiceUrl = page.url();

      await h.file('#file', smallPdf('fattura-journey.pdf'));
      await h.type('#description', 'Fattura di esportazione 2026/118');
      await h.select('#code', 'invoice');
      await h.click('[data-testid="attach"]');
      await page.getByRole('link', { name: 'fattura-journey.pdf' }).waitFor();

      // The blocker: the profile is missing; the link opens it, with no way back.
      await h.click(page.locator('main a[href="/company/profile"]').last());
      await h.type('#tax_code', '01879020517');
      await h.type('#delivery_address', 'Via XX Settembre 12');
      await h.type('#postcode', '16121');
      await h.type('#municipality', 'Genova');
      await h.type('#province', 'GE');
      await h.click('form[action="/company/profile"] button[type="submit"]');
      await page.getByText('Configurazione salvata').waitFor();
      await h.click(menu(page, 'Le mie pratiche'));
      await h.click(page.locator(`[data-testid="practice-list"] a[href="${new URL(practiceUrl).pathname}"]`));

      await h.click('[data-testid="send"]');
      await page.locator('[data-testid="notice"]').waitFor();
      assert.equal((await page.textContent('[data-testid="status"]')).trim(), 'Inviata');
      await screenshot(page, 'journey-sent');

      console.log(`JOURNEY gestures=${h.gestures()} typed=${h.count.typed} ${JSON.stringify(h.count)}`);
    } catch (error) {
      await screenshot(page, 'failed').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });
});
