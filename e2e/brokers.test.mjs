// Customs brokers (issue 15, item 3): Ligure Export's legal representative gives the demo broker a
// mandate for certificates of origin at Genoa; the broker prepares and sends a certificate for
// its client, sees who presented it for whom, and is refused an invoice visa, the refusal naming
// why; the representative revokes the mandate.
//
// Page contract:
//   /company/mandates  the company's mandates (a row [data-testid=mandate-<id>] each) and, for its
//                      legal representative, [data-testid=grant-form]: #intermediary_id,
//                      checkboxes practice_types and chamber_ids, #valid_from, #valid_to, and
//                      [data-testid=grant]; [data-testid=notice] after granting or revoking.
//   /clients           the broker's clients, a row [data-testid=client-<id>] per mandate with its
//                      state; [data-testid=delegation-form] to upload a signed delegation.
//   /practices/<id>    [data-testid=acted-for]: "Presentata da … per conto di …".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { attach, completeProfile, fillCertificate, login, smallPdf, startModel, uploadSigned } from './lib/flows.mjs';

const LIGURE = '01879020517';

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

describe('customs brokers', () => {
  it('the representative gives a mandate, the broker sends for the client within it', async () => {
    const rep = await newContext(browser);
    const broker = await newContext(browser);
    try {
      // The representative gives Rossi Spedizioni a mandate for certificates of origin at Genoa.
      await login(rep.page, app, 'company');
      await rep.page.goto(`${app.baseUrl}/company/mandates`);
      assert.equal(await rep.page.locator('[data-testid=mandates-empty]').count(), 1);
      await screenshotWidths(rep.page, 'company-mandates-empty');
      await rep.page.selectOption('#intermediary_id', { label: 'Rossi Spedizioni S.r.l. (02345670992)' });
      await rep.page.click('label[for="type-certificate_of_origin"]');
      await rep.page.locator('[data-testid=grant-form] fieldset').nth(1).locator('label').first().click();
      await rep.page.click('[data-testid=grant]');
      await rep.page.waitForSelector('[data-testid=notice]');
      assert.match(await rep.page.locator('main').innerText(), /Rossi Spedizioni S\.r\.l\./);
      assert.match(await rep.page.locator('main').innerText(), /Attivo/);
      await rep.page.goto(`${app.baseUrl}/company/mandates`);
      await screenshotWidths(rep.page, 'company-mandates');

      // The broker sees its client and acts for it.
      await login(broker.page, app, 'intermediary');
      await broker.page.goto(`${app.baseUrl}/clients`);
      assert.match(await broker.page.locator('main').innerText(), /LIGURE EXPORT/);
      await screenshotWidths(broker.page, 'broker-clients');
      await broker.page.goto(`${app.baseUrl}/company`);
      await broker.page.click(`[data-testid=act-${LIGURE}]`);
      await completeProfile(broker.page, app);

      // Out of scope: an invoice visa is refused, naming the company and the type.
      await broker.page.goto(`${app.baseUrl}/models/new?practice_type=invoice_visa`);
      await broker.page.click('[data-testid="start-model"]');
      await broker.page.waitForLoadState('load');
      assert.match(
        await broker.page.locator('main').innerText(),
        /Il mandato di LIGURE EXPORT S\.R\.L\. non copre i visti su fattura/,
      );
      await screenshot(broker.page, 'broker-out-of-scope-1366');
      await broker.page.setViewportSize({ width: 390, height: 900 });
      await screenshot(broker.page, 'broker-out-of-scope-390');
      await broker.page.setViewportSize({ width: 1366, height: 900 });

      // Within scope: a certificate of origin, prepared, signed by the client, sent.
      await startModel(broker.page, app, 'certificate_of_origin');
      await fillCertificate(broker.page);
      await uploadSigned(broker.page, 'broker');
      await attach(broker.page, smallPdf('fattura-broker.pdf'), 'Fattura di esportazione 2026/118', 'invoice');
      await broker.page.click('[data-testid="send"]');
      await broker.page.locator('[data-testid="notice"]').waitFor();
      assert.equal((await broker.page.textContent('[data-testid="status"]')).trim(), 'Inviata');
      const sentence = 'Presentata da Rossi Spedizioni S.r.l. per conto di LIGURE EXPORT S.R.L.';
      assert.equal((await broker.page.textContent('[data-testid=acted-for]')).trim(), sentence);
      const practiceUrl = broker.page.url();
      await screenshotWidths(broker.page, 'broker-practice');

      // The broker's list shows the client, with its filter.
      await broker.page.goto(`${app.baseUrl}/practices?list=sent`);
      assert.equal(await broker.page.locator('[data-testid=client-filter]').count(), 1);
      assert.match(await broker.page.locator('[data-testid=client]').first().innerText(), /LIGURE EXPORT/);
      await screenshotWidths(broker.page, 'broker-practices');
      await broker.page.goto(`${app.baseUrl}/models`);
      await screenshotWidths(broker.page, 'broker-models');

      // The company sees who presented it.
      await rep.page.goto(practiceUrl);
      assert.equal((await rep.page.textContent('[data-testid=acted-for]')).trim(), sentence);
      await screenshotWidths(rep.page, 'company-practice-by-broker');

      // The representative revokes; the broker is refused from then on.
      await rep.page.goto(`${app.baseUrl}/company/mandates`);
      await rep.page.click('[data-testid=revoke]');
      await rep.page.waitForSelector('[data-testid=notice]');
      assert.match(await rep.page.locator('main').innerText(), /Revocato/);
      // The former client is no longer the broker's: a new model is refused, saying why, and
      // the practice it presented is not found.
      const refused = await broker.page.goto(`${app.baseUrl}/models/new?practice_type=certificate_of_origin`);
      assert.equal(refused.status(), 403);
      assert.match(await broker.page.locator('main').innerText(), /è stato revocato il/);
      await screenshotWidths(broker.page, 'broker-new-model-revoked');
      assert.equal((await broker.page.goto(practiceUrl)).status(), 404);
      await broker.page.goto(`${app.baseUrl}/clients`);
      await screenshotWidths(broker.page, 'broker-clients-revoked');
    } catch (error) {
      await screenshot(broker.page, 'failed-broker').catch(() => {});
      await screenshot(rep.page, 'failed-rep').catch(() => {});
      throw error;
    } finally {
      await rep.context.close();
      await broker.context.close();
    }
  });
});
