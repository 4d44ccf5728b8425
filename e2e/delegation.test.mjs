// Delegations (issue 15, item 2): a person signs up through the local OpenID provider, is
// linked to no company, uploads a delegation for Ligure Export signed by its legal
// representative Giulia Bianchi (made by scripts/delegation-fixtures.sh with the test PKI the
// demo trusts); a delegation signed by someone else is refused first, in words. The chamber's
// office approves it from its queue; the person then acts for the company. The representative
// sees the person among the company's users and narrows what they may do. Screenshots at 1366
// and 390 px of every new page.
//
// Page contract:
//   /welcome                [data-testid=welcome-delegation] link to /delegations
//   /delegations            form: #company, #file, [data-testid=send-delegation];
//                           [data-testid=notice], [data-testid=error], rows [data-testid=request-<state>]
//   /admin/delegations      rows [data-testid=queue-<state>] with a link to the request
//   /admin/delegations/{id} [data-testid=signer], [data-testid=approve], [data-testid=notice]
//   /companies/{id}/users   rows [data-testid=user-<tax code>], [data-testid=scope-<tax code>],
//                           [data-testid=save-scope-<tax code>]
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { technicalWords, visibleWords } from './lib/checks.mjs';
import { completeProfile, fillCertificate, startModel, uploadSigned } from './lib/flows.mjs';
import { freePort, startProvider } from './lib/oidc.mjs';
import { repoRoot } from './lib/paths.mjs';

const FIXTURES = path.join(repoRoot, 'crates/sportello/tests/fixtures/delegation');
const MARTA = 'NREMRT90A41D969G';

let app;
let provider;
let browser;
let person;

before(async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  provider = await startProvider(`${base}/login/oidc/callback`, {
    marta: {
      given_name: 'Marta',
      family_name: 'Neri',
      email: 'marta.neri@example.it',
      email_verified: true,
      fiscal_number: `TINIT-${MARTA}`,
    },
  });
  app = await startApp({
    env: {
      SPORTELLO_LISTEN: `127.0.0.1:${port}`,
      SPORTELLO_PUBLIC_URL: base,
      SPORTELLO_OIDC_ISSUER: provider.issuer,
      SPORTELLO_OIDC_CLIENT_ID: 'sportello',
      SPORTELLO_OIDC_CLIENT_SECRET: 'sportello-test-secret',
    },
  });
  ({ browser } = await launch());
  person = await newContext(browser);
});

after(async () => {
  await person?.context.close();
  await browser?.close();
  await app?.stop();
  await provider?.stop();
});

/** The password login of a demo role (the login page also has the SPID / CIE button). */
async function login(page, role) {
  const { email, password } = app.logins.get(role);
  await page.goto(`${app.baseUrl}/login`);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('form[action="/login"] button[type="submit"]');
  await page.waitForURL(`${app.baseUrl}/`);
}

async function humanWords(page) {
  assert.deepEqual(technicalWords(await visibleWords(page, 'main')), []);
}

function delegation(name) {
  return {
    name: name.replace(/^delega_[a-z]+/, 'delega'),
    mimeType: name.endsWith('.p7m') ? 'application/pkcs7-mime' : 'application/pdf',
    buffer: readFileSync(path.join(FIXTURES, name)),
  };
}

async function send(page, file) {
  await page.fill('#company', '01879020517');
  await page.setInputFiles('#file', delegation(file));
  await page.click('[data-testid="send-delegation"]');
  await page.waitForLoadState('load');
}

describe('a delegation signed by the legal representative', () => {
  it('is uploaded by a person who signed up with a digital identity', async () => {
    const { page } = person;
    try {
      await page.goto(`${app.baseUrl}/login`);
      await page.locator('[data-testid="oidc-button"]').click();
      await page.waitForURL((url) => url.href.startsWith(provider.issuer));
      await page.locator('input[name="login"]').fill('marta');
      await page.locator('input[name="password"]').fill('qualsiasi');
      await page.locator('button[type="submit"]').click();
      await page.waitForURL(`${app.baseUrl}/welcome`);
      await page.locator('[data-testid="welcome-delegation"]').click();
      await page.waitForURL(`${app.baseUrl}/delegations`);
      assert.equal(await page.locator('[data-testid="no-requests"]').count(), 1);
      await humanWords(page);
      await screenshotWidths(page, '01-delegations-empty');
      // Signed by someone who is not a representative: refused, in words, the company kept.
      await send(page, 'delega_paolo.pdf.p7m');
      const error = await page.locator('[data-testid="error"]').innerText();
      assert.match(error, /Paolo Verdi \(VRDPLA70A01D969S\) non risulta tra i legali rappresentanti/);
      assert.equal(await page.inputValue('#company'), '01879020517');
      await page.setViewportSize({ width: 1366, height: 900 });
      await screenshot(page, '02-delegation-refused-1366');
      await page.setViewportSize({ width: 390, height: 900 });
      await screenshot(page, '02-delegation-refused-390');
      await page.setViewportSize({ width: 1366, height: 900 });
      // Signed by Giulia Bianchi, Ligure Export's legal representative: waiting for the office.
      await send(page, 'delega_giulia.pdf.p7m');
      assert.match(await page.locator('[data-testid="notice"]').innerText(), /Delega ricevuta/);
      const row = await page.locator('[data-testid="request-pending"]').innerText();
      assert.match(row, /LIGURE EXPORT/);
      assert.match(row, /Giulia Bianchi/);
      await humanWords(page);
      await screenshotWidths(page, '03-delegation-sent');
    } catch (error) {
      await screenshot(page, 'failed-upload').catch(() => {});
      throw error;
    }
  });

  it('is approved by the chamber office from its queue', async () => {
    const { context, page } = await newContext(browser);
    try {
      await login(page, 'chamber-admin');
      await page.goto(`${app.baseUrl}/admin/delegations`);
      assert.match(await page.locator('[data-testid="waiting"]').innerText(), /1 richiesta in attesa/);
      await humanWords(page);
      await screenshotWidths(page, '04-office-queue');
      await page.locator('[data-testid="queue-pending"] a').click();
      await page.waitForLoadState('load');
      assert.match(await page.locator('[data-testid="signer"]').innerText(), /Giulia Bianchi/);
      assert.match(await page.locator('[data-testid="person"]').innerText(), /Marta Neri/);
      await humanWords(page);
      await screenshotWidths(page, '05-office-request');
      await page.click('[data-testid="approve"]');
      await page.waitForLoadState('load');
      assert.match(await page.locator('[data-testid="notice"]').innerText(), /Delega approvata/);
      assert.match(await page.locator('[data-testid="state"]').innerText(), /Approvata/);
      await screenshotWidths(page, '06-office-request-approved');
    } catch (error) {
      await screenshot(page, 'failed-office').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });

  it('lets the person act for the company', async () => {
    const { page } = person;
    try {
      await page.goto(`${app.baseUrl}/delegations`);
      assert.equal(await page.locator('[data-testid="request-approved"]').count(), 1);
      await screenshotWidths(page, '07-delegation-approved');
      await page.goto(`${app.baseUrl}/welcome`);
      const companies = await page.locator('[data-testid="welcome-companies"]').innerText();
      assert.match(companies, /LIGURE EXPORT/);
      assert.match(companies, /delega approvata dalla Camera di commercio/);
      const response = await page.goto(`${app.baseUrl}/practices`);
      assert.equal(response.status(), 200);
      const models = await page.goto(`${app.baseUrl}/models/new`);
      assert.notEqual(models.status(), 403);
    } catch (error) {
      await screenshot(page, 'failed-acts').catch(() => {});
      throw error;
    }
  });

  it('shows the person to the representative, who makes them read only', async () => {
    const { context, page } = await newContext(browser);
    try {
      await login(page, 'company');
      await page.goto(`${app.baseUrl}/company/users`);
      const row = page.locator(`[data-testid="user-${MARTA}"]`);
      assert.match(await row.innerText(), /delega approvata dalla Camera di commercio/);
      await humanWords(page);
      await screenshotWidths(page, '08-company-users');
      await page.selectOption(`[data-testid="scope-${MARTA}"]`, 'read');
      await page.click(`[data-testid="save-scope-${MARTA}"]`);
      await page.waitForLoadState('load');
      assert.match(await page.locator('[data-testid="notice"]').innerText(), /Salvato/);
      await screenshotWidths(page, '09-company-users-read-only');
    } catch (error) {
      await screenshot(page, 'failed-representative').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
    // Read only: the person reads the practices and prepares none.
    const { page: marta } = person;
    assert.equal((await marta.goto(`${app.baseUrl}/practices`)).status(), 200);
    assert.equal((await marta.goto(`${app.baseUrl}/models/new`)).status(), 403);
  });

  it('offers the read-only person only what they may do', async () => {
    const { page } = person;
    try {
      await page.setViewportSize({ width: 1366, height: 900 });
      await page.goto(`${app.baseUrl}/`);
      // Neither the menu nor the home page offers "Nuova pratica", models or mandates.
      const menu = page.locator('#nav-main a.nav-link');
      const hrefs = await menu.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      assert.ok(hrefs.includes('/practices'), hrefs.join(' '));
      assert.ok(hrefs.includes('/wallet'), hrefs.join(' '));
      for (const refused of ['/models/new', '/company/mandates']) {
        assert.ok(!hrefs.includes(refused), `${refused} in the menu`);
        assert.equal(await page.locator(`main a[href="${refused}"]`).count(), 0, `${refused} on the home page`);
      }
      assert.doesNotMatch(await page.locator('#nav-main').innerText(), /Nuova pratica/);
      await humanWords(page);
      await screenshot(page, '10-read-only-home-1366');
      // On a phone, the menu opened by its toggle.
      await page.setViewportSize({ width: 390, height: 900 });
      await page.reload({ waitUntil: 'load' });
      await page.click('[data-testid="nav-toggle"]');
      await page.locator('#nav-main a.nav-link').first().waitFor({ state: 'visible' });
      await page.waitForTimeout(400);
      assert.doesNotMatch(await page.locator('#nav-main').innerText(), /Nuova pratica/);
      await screenshot(page, '10-read-only-menu-390');
      await page.setViewportSize({ width: 1366, height: 900 });
    } catch (error) {
      await screenshot(page, 'failed-read-only-menu').catch(() => {});
      throw error;
    }
  });

  it('shows the read-only person a draft without the actions that change it', async () => {
    // The representative prepares a draft practice of Ligure Export.
    const rep = await newContext(browser);
    let draftUrl;
    try {
      await login(rep.page, 'company');
      await completeProfile(rep.page, app);
      await startModel(rep.page, app, 'certificate_of_origin');
      await fillCertificate(rep.page);
      await uploadSigned(rep.page, 'read-only-draft');
      draftUrl = rep.page.url();
      assert.equal(await rep.page.locator('[data-testid="send"]').count(), 1);
    } catch (error) {
      await screenshot(rep.page, 'failed-read-only-draft').catch(() => {});
      throw error;
    } finally {
      await rep.context.close();
    }
    const { page } = person;
    try {
      assert.equal((await page.goto(draftUrl)).status(), 200);
      assert.equal(await page.locator('[data-testid="send"]').count(), 0);
      assert.equal(await page.locator('form[action$="/attachments"]').count(), 0);
      assert.equal(await page.locator('form[action$="/delete"]').count(), 0);
      await humanWords(page);
      await screenshotWidths(page, '11-read-only-practice');
    } catch (error) {
      await screenshot(page, 'failed-read-only-practice').catch(() => {});
      throw error;
    }
  });
});
