// The company's journey for a certificate of origin, walked as a person would from the home
// page to a sent practice, counting every gesture: a click (links, buttons, radio buttons, a
// form's submit), a choice in a drop-down, a file chosen. Typing in a field is counted apart.
// The totals are printed as `JOURNEY gestures=N typed=M` and recorded in BENCHMARKS.md
// ("Clicks"); the walk fails if the gestures grow past the recorded number.
// Then the drafts: a practice and a base model not sent are deleted after a confirmation.
// Screenshots at 1366 and 390 px in e2e/output/journey/.
//
// Page contract:
//   menu "Nuova pratica"   /models/new: one link per type, [data-testid=type-<type>]
//   /models/new?practice_type=T   without a company profile: redirect to
//                          /company/profile?next=…, [data-testid=profile-first], the button
//                          [data-testid=save-profile] goes on to `next`, [data-testid=profile-back]
//   lists                  [data-testid=next-step] per row; drafts have a
//                          [data-testid=delete-practice] / [data-testid=delete-model] trigger
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { login, sign, smallPdf, work } from './lib/flows.mjs';
import path from 'node:path';

let app;
let browser;
/** The signed model of the first walk, uploaded again by the second. */
let signed;

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

/** The most gestures the walk may take (BENCHMARKS.md, "Clicks": 19 before, 16 after). */
const MAX_GESTURES = 16;

describe('the company journey', () => {
  it('goes from the home page to a sent certificate of origin, counting gestures', async () => {
    const { context, page } = await newContext(browser);
    const h = hands(page);
    try {
      await login(page, app, 'company');
      await page.waitForURL(`${app.baseUrl}/`);

      // "Nuova pratica" in the menu: the type first.
      await h.click(menu(page, 'Nuova pratica'));
      await page.locator('[data-testid="practice-types"]').waitFor();
      await screenshotWidths(page, '01-new-practice');
      await h.click('[data-testid="type-certificate_of_origin"]');

      // No company profile yet: it is asked for now, with the way back.
      await page.waitForURL(/\/company\/profile\?next=/);
      await page.locator('[data-testid="profile-first"]').waitFor();
      assert.equal(await page.getAttribute('[data-testid="profile-back"]', 'href'), '/models/new');
      await screenshotWidths(page, '02-profile-first');
      await h.type('#tax_code', '01879020517');
      await h.type('#delivery_address', 'Via XX Settembre 12');
      await h.type('#postcode', '16121');
      await h.type('#municipality', 'Genova');
      await h.type('#province', 'GE');
      await h.click('[data-testid="save-profile"]');

      // Back on the new practice, the type kept: start the model.
      await page.waitForURL(`${app.baseUrl}/models/new?practice_type=certificate_of_origin`);
      await screenshotWidths(page, '03-start-model');
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
      signed = sign(xml);
      await h.click('[data-testid="to-practice"]');
      await h.select('#desk', 'GE-GENOVA');
      await h.file('#signed_model', signed);
      await h.click('label[for="proforma-no"]');
      await h.type('#goods_location', 'Magazzino Via Rubattino 4, Genova');
      await h.click('[data-testid="upload"]');
      await page.waitForURL(/\/practices\/[0-9a-f-]+$/);

      // The fee names the copy blank paper makes mandatory, as the copies field does.
      assert.match(await page.textContent('main'), /Copia \(obbligatoria per la stampa su foglio bianco\)/);
      assert.match(await page.textContent('#copies-help'), /una copia è obbligatoria/);

      await h.file('#file', smallPdf('fattura-journey.pdf'));
      await h.type('#description', 'Fattura di esportazione 2026/118');
      await h.select('#code', 'invoice');
      await h.click('[data-testid="attach"]');
      await page.getByRole('link', { name: 'fattura-journey.pdf' }).waitFor();

      await h.click('[data-testid="send"]');
      await page.locator('[data-testid="notice"]').waitFor();
      assert.equal((await page.textContent('[data-testid="status"]')).trim(), 'Inviata');
      assert.match(await page.textContent('[data-testid="next-step"]'), /In lavorazione presso l.ufficio/);
      await screenshot(page, 'journey-sent');

      console.log(`JOURNEY gestures=${h.gestures()} typed=${h.count.typed} ${JSON.stringify(h.count)}`);
      assert.ok(h.gestures() <= MAX_GESTURES, `${h.gestures()} gestures, at most ${MAX_GESTURES}`);
    } catch (error) {
      await screenshot(page, 'failed').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });

  it('deletes an unsent practice and a base model after asking, and lists the next steps', async () => {
    const { context, page } = await newContext(browser);
    try {
      await login(page, app, 'company');
      // A second practice from the same signed model, not sent.
      await page.goto(`${app.baseUrl}/practices/new`);
      await page.selectOption('#desk', 'GE-GENOVA');
      await page.setInputFiles('#signed_model', signed);
      await page.click('label[for="proforma-no"]');
      await page.fill('#goods_location', 'Magazzino Via Rubattino 4, Genova');
      await page.click('[data-testid="upload"]');
      await page.waitForURL(/\/practices\/[0-9a-f-]+$/);
      const draft = new URL(page.url()).pathname;

      // The lists say the state and the next step of each practice.
      await page.goto(`${app.baseUrl}/practices?list=to_send`);
      assert.match(await page.textContent('[data-testid="practice-list"] [data-testid="next-step"]'), /Da completare e inviare/);
      assert.match(await page.textContent('[data-testid="practice-list"] a'), /^Bozza del \d\d\/\d\d\/\d{4}/);
      await screenshotWidths(page, '04-list-to-send');
      await page.goto(`${app.baseUrl}/practices?list=sent`);
      assert.match(await page.textContent('[data-testid="practice-list"] [data-testid="next-step"]'), /In lavorazione presso l.ufficio/);
      await screenshotWidths(page, '05-list-sent');

      // Delete the draft: the dialog asks, then the list says it is gone.
      await page.goto(`${app.baseUrl}/practices?list=to_send`);
      await page.click('[data-testid="delete-practice"]');
      const dialog = page.locator('[data-testid="confirm-delete-practice"]');
      await dialog.waitFor({ state: 'visible' });
      assert.match(await dialog.textContent(), /Nulla è stato addebitato/);
      await page.waitForTimeout(400);
      await screenshot(page, '06-delete-practice-dialog-1366');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      await screenshot(page, '06-delete-practice-dialog-390');
      await page.setViewportSize({ width: 1280, height: 900 });
      // Without JavaScript the trigger opens this page.
      await page.goto(`${app.baseUrl}${draft}/delete`);
      await screenshotWidths(page, '07-delete-practice-page');
      await page.click('[data-testid="confirm-delete-practice-submit"]');
      await page.waitForURL(/notice=deleted/);
      await page.locator('[data-testid="notice"]').waitFor();
      const left = await page.locator('[data-testid="practice-list"] [data-testid="next-step"]').count();
      assert.equal(left, 0, 'nothing left to send');
      const gone = await page.goto(`${app.baseUrl}${draft}`);
      assert.equal(gone.status(), 404);

      // A base model never uploaded: deleted from the list of models.
      await page.goto(`${app.baseUrl}/models/new?practice_type=invoice_visa`);
      await page.click('[data-testid="start-model"]');
      await page.waitForURL(/\/models\/[0-9a-f-]+$/);
      await page.goto(`${app.baseUrl}/models`);
      assert.equal(await page.locator('[data-testid="delete-model"]').count(), 1, 'only the unused model');
      await screenshotWidths(page, '08-models');
      await page.click('[data-testid="delete-model"]');
      const modelDialog = page.locator('[data-testid="confirm-delete-model"]');
      await modelDialog.waitFor({ state: 'visible' });
      await page.click('[data-testid="confirm-delete-model"] [data-testid="confirm-delete-model-submit"]');
      await page.waitForURL(/\/models\?notice=deleted/);
      assert.equal(await page.locator('[data-testid="delete-model"]').count(), 0);
    } catch (error) {
      await screenshot(page, 'failed-drafts').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });
});
