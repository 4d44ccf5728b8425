// Blank-paper authorisations: the chamber's administrator lists the companies authorised to
// print on blank paper, authorises one with date and reference, and withdraws it.
//
// Page contract:
//   /admin/blank-paper   a row per authorised company ([data-testid=authorised-<tax code>]) with
//                        an "Revoca" button; a form with #tax_code, #reference, #authorised_on
//                        and the "Autorizza" button; a notice ([data-testid=notice]) after each.
//   /practices/new       without an authorisation: no #print-blank, #print-form checked, and
//                        [data-testid=blank-paper-reserved] saying why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshotWidths } from './lib/browser.mjs';
import { login } from './lib/flows.mjs';

const LIGURE = '01879020517';
const TIGULLIO = '03358520967';

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

describe('blank-paper authorisations', () => {
  it('an administrator authorises a company and withdraws it', async () => {
    const { page } = await newContext(browser);
    await login(page, app, 'chamber-admin');
    await page.goto(`${app.baseUrl}/admin/blank-paper`);
    assert.equal(await page.locator(`[data-testid=authorised-${LIGURE}]`).count(), 1);
    assert.equal(await page.locator(`[data-testid=authorised-${TIGULLIO}]`).count(), 0);

    await page.fill('#tax_code', TIGULLIO);
    await page.fill('#reference', 'Determinazione n. 12/2026');
    await page.getByRole('button', { name: 'Autorizza', exact: true }).click();
    await page.waitForSelector('[data-testid=notice]');
    assert.match(await page.locator('[data-testid=notice]').innerText(), /TIGULLIO MECCANICA/);
    assert.equal(await page.locator(`[data-testid=authorised-${TIGULLIO}]`).count(), 1);
    await page.goto(`${app.baseUrl}/admin/blank-paper`);
    await screenshotWidths(page, 'admin-blank-paper');

    await page
      .getByRole('button', { name: /Revoca l'autorizzazione di TIGULLIO/ })
      .click();
    await page.waitForSelector('[data-testid=notice]');
    assert.match(await page.locator('[data-testid=notice]').innerText(), /revocata/);
    assert.equal(await page.locator(`[data-testid=authorised-${TIGULLIO}]`).count(), 0);

    // Once Ligure Export's authorisation is withdrawn, its new practices print on the form only.
    await page.goto(`${app.baseUrl}/admin/blank-paper`);
    await page
      .getByRole('button', { name: /Revoca l'autorizzazione di LIGURE/ })
      .click();
    await page.waitForSelector('[data-testid=notice]');
    const company = await newContext(browser);
    await login(company.page, app, 'company');
    await company.page.goto(`${app.baseUrl}/practices/new`);
    assert.equal(await company.page.locator('#print-blank').count(), 0);
    assert.equal(await company.page.locator('#print-form').isChecked(), true);
    assert.equal(await company.page.locator('[data-testid=blank-paper-reserved]').count(), 1);
    await screenshotWidths(company.page, 'practice-new-form-only');

    // A wrong tax code is named next to its field.
    await page.fill('#tax_code', '12345678903');
    await page.fill('#reference', 'x');
    await page.getByRole('button', { name: 'Autorizza', exact: true }).click();
    await page.waitForSelector('.field-error');
    assert.match(await page.locator('.field-error').first().innerText(), /Codice fiscale/);
  });
});
