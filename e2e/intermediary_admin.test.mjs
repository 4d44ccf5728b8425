// The register of intermediaries kept by the chamber's office (issue 15, item 3): the chamber
// administrator registers a customs broker (a wrong check digit is said next to the field),
// adds a person by tax code and e-mail, suspends the broker, and the audit names it.
//
// Page contract:
//   /admin/intermediaries       [data-testid=intermediaries] (a row [data-testid=intermediary-<tax
//                               code>] each) and [data-testid=register-form]: #name, #tax_code,
//                               #email, #kind, [data-testid=register]; problems in .field-error.
//   /admin/intermediaries/<id>  [data-testid=notice], [data-testid=intermediary-state],
//                               [data-testid=add-person]: #person_tax_code, #person_email,
//                               [data-testid=add]; [data-testid=invitation-<tax code>];
//                               [data-testid=suspend] / [data-testid=reactivate].
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshotWidths } from './lib/browser.mjs';
import { axeViolations, sidewaysScroll } from './lib/checks.mjs';
import { login } from './lib/flows.mjs';

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

async function noSeriousProblems(page, what) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 1)}`);
}

describe('register of intermediaries', () => {
  it('the office registers a broker, adds a person, suspends it, and the audit names it', async () => {
    const { page, context } = await newContext(browser, { bypassCSP: true });
    try {
      await login(page, app, 'chamber-admin');
      await page.goto(`${app.baseUrl}/admin/intermediaries`);
      assert.match(await page.locator('main').innerText(), /Rossi Spedizioni S\.r\.l\./);
      await noSeriousProblems(page, 'register');
      await screenshotWidths(page, 'intermediaries');

      // A wrong check digit: said next to the field, what was typed kept.
      await page.fill('#name', 'Bianchi Consulenze S.r.l.');
      await page.fill('#tax_code', '00743110158');
      await page.fill('#email', 'uffici@bianchi.test');
      await page.selectOption('#kind', 'consultancy');
      await page.click('[data-testid=register]');
      await page.waitForSelector('.field-error');
      assert.match(await page.locator('.field-error').innerText(), /cifra di controllo/);
      assert.equal(await page.inputValue('#name'), 'Bianchi Consulenze S.r.l.');
      await screenshotWidths(page, 'intermediaries-error');

      // Corrected: registered, its page opens.
      await page.fill('#tax_code', '00743110157');
      await page.click('[data-testid=register]');
      await page.waitForSelector('[data-testid=notice]');
      assert.match(await page.locator('h1').innerText(), /Bianchi Consulenze S\.r\.l\./);
      assert.match(await page.locator('main').innerText(), /Studio di consulenza/);

      // A person without an account: invited until their first SPID/CIE/CNS login.
      await page.fill('#person_tax_code', 'RSSMRA80A01H501U');
      await page.fill('#person_email', 'mario.rossi@example.test');
      await page.click('[data-testid=add]');
      await page.waitForSelector('[data-testid=invitation-RSSMRA80A01H501U]');
      assert.match(await page.locator('[data-testid=notice]').innerText(), /primo accesso/);
      await noSeriousProblems(page, 'intermediary');
      await screenshotWidths(page, 'intermediary');

      // Suspended: the state says since when.
      await page.click('[data-testid=suspend]');
      await page.waitForSelector('[data-testid=reactivate]');
      assert.match(await page.locator('[data-testid=intermediary-state]').innerText(), /Sospeso dal/);
      await screenshotWidths(page, 'intermediary-suspended');
      for (const width of [390]) {
        await page.setViewportSize({ width, height: 900 });
        assert.equal(await sidewaysScroll(page), 0, `sideways scroll at ${width}`);
      }
      await page.setViewportSize({ width: 1366, height: 900 });

      // The audit says what was done, to which intermediary, by name.
      await page.goto(`${app.baseUrl}/audit?action=intermediary.suspend`);
      const sentences = await page.locator('[data-testid=audit-sentence]').allInnerTexts();
      assert.ok(
        sentences.some((s) => /ha sospeso l'intermediario Bianchi Consulenze S\.r\.l\./.test(s)),
        sentences.join('\n'),
      );
      await page.goto(`${app.baseUrl}/audit?action=intermediary.invite_user`);
      assert.match(await page.locator('main').innerText(), /Bianchi Consulenze S\.r\.l\./);
      await screenshotWidths(page, 'audit-intermediary');
    } finally {
      await context.close();
    }
  });
});
