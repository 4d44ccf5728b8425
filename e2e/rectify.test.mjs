// A rectification that corrects the signed model, in real Chromium: the officer asks to
// correct the consignee's country, the company sees the field flagged and the deadline, edits
// the model, downloads the new XML, signs it (OpenSSL with the test PKI, as its signing
// software would), uploads it to the same practice and resends; the officer sees what changed
// in the model, field by field. Screenshots of both pages at 1366 and 390 px.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths, watchRequests } from './lib/browser.mjs';
import {
  attach, completeProfile, fillCertificate, login, sign, smallPdf, startModel, uploadSigned, work,
} from './lib/flows.mjs';

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

async function visitor() {
  const { context, page } = await newContext(browser);
  const requests = await watchRequests(context, app.baseUrl);
  return { context, page, requests };
}

/** Takes both widths' screenshots and checks that at the phone's the page does not scroll sideways. */
async function screenshotsFitting(page, name) {
  await screenshotWidths(page, name);
  const before = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 900 });
  await page.reload({ waitUntil: 'load' });
  const over = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${e.textContent.slice(0, 40)}`);
  });
  const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  if (before) await page.setViewportSize(before);
  await page.reload({ waitUntil: 'load' });
  assert.ok(pageWidth <= 390, `${name}: the page is ${pageWidth} px wide at 390 px: ${over.join(' | ')}`);
}

describe('rectification with a re-signed model', () => {
  it('flags a field, takes a corrected signed model and shows the officer what changed', async () => {
    const company = await visitor();
    const officer = await visitor();
    const c = company.page;
    const o = officer.page;
    try {
      // The company sends a certificate of origin for the United States.
      await login(c, app, 'company');
      await completeProfile(c, app);
      await startModel(c, app, 'certificate_of_origin');
      await fillCertificate(c);
      await uploadSigned(c, 'first');
      await attach(c, smallPdf('fattura.pdf'), 'Fattura 2026/118', 'invoice');
      await c.click('[data-testid="send"]');
      await c.locator('[data-testid="notice"]').waitFor();
      const practiceUrl = c.url().split('?')[0];
      const practiceId = practiceUrl.split('/').pop();

      // The officer asks to correct the consignee's country, naming the field.
      await login(o, app, 'officer');
      await o.goto(`${app.baseUrl}/desk/practices/${practiceId}`);
      await o.fill('#rectify-reason', 'Il destinatario è in Canada, non negli Stati Uniti');
      await o.click('label[for="fld-consignee.country"]');
      await o.click('[data-testid="rectify"]');
      await o.locator('[data-testid="notice"]').waitFor();

      // The company sees the request, the deadline and the field flagged next to it.
      await c.goto(practiceUrl);
      await c.locator('[data-testid="rectification"]').waitFor();
      assert.match(await c.textContent('[data-testid="rectify-fields"]'), /Paese del destinatario/);
      assert.match(await c.textContent('[data-testid="rectify-deadline"]'), /\d{2}\/\d{2}\/\d{4}/);
      assert.equal(await c.locator('[data-testid="flag-consignee-country"]').count(), 1);
      assert.equal(await c.locator('[data-testid="flag-consignee-name"]').count(), 0);
      await screenshotsFitting(c, 'company-rectification');

      // It edits the model, downloads the new XML from the practice, signs and uploads it.
      await c.click('[data-testid="edit-model"]');
      await c.waitForURL(/\/models\/[0-9a-f-]+$/);
      await c.selectOption('#consignee-country', 'CA');
      await c.click('[data-testid="save-model"]');
      await c.locator('[data-testid="download-xml"]').waitFor();
      await c.goto(practiceUrl);
      const [download] = await Promise.all([
        c.waitForEvent('download'),
        c.click('[data-testid="download-model-xml"]'),
      ]);
      const xml = path.join(work, 'corrected.xml');
      await download.saveAs(xml);
      await c.setInputFiles('#signed_model', sign(xml));
      await c.click('[data-testid="replace-model"]');
      await c.locator('[data-testid="notice"]').waitFor();
      assert.match(await c.textContent('[data-testid="model"]'), /Canada/);
      assert.match(await c.textContent('[data-testid="model-changes"]'), /Canada/);
      await screenshotsFitting(c, 'company-model-replaced');

      // It resends: the practice is with the office again.
      await c.click('[data-testid="send"]');
      await c.locator('[data-testid="notice"]').waitFor();
      assert.equal((await c.textContent('[data-testid="status"]')).trim(), 'Inviata');

      // The officer sees the change, in words, and both signed files.
      await o.goto(`${app.baseUrl}/desk/practices/${practiceId}`);
      const changes = await o.textContent('[data-testid="model-changes"]');
      assert.match(changes, /Paese del destinatario/);
      assert.match(changes, /Stati Uniti d'America/);
      assert.match(changes, /Canada/);
      assert.equal(await o.locator('[data-testid="signed-models"] li').count(), 2);
      await screenshotsFitting(o, 'officer-changes');

      assert.deepEqual(company.requests.external, [], 'nothing loaded from other hosts');
      assert.deepEqual(officer.requests.brokenAssets, [], 'every asset loads');
    } catch (error) {
      await screenshot(c, 'failed-company').catch(() => {});
      await screenshot(o, 'failed-officer').catch(() => {});
      throw error;
    } finally {
      await company.context.close();
      await officer.context.close();
    }
  });
});
