// Login with a digital identity: the demo app configured with the local OpenID provider
// (scripts/oidc-provider), a person pressing "Entra con SPID / CIE", filling the provider's
// login form, and landing signed up on the welcome page, linked to the company the demo
// Registry lists them as the legal representative of (Mario Rossi, ROSSI MARIO). A second
// person the Registry does not list is told how to be linked. Screenshots at 1366 and 390 px
// of the login page with the button, the welcome pages and a refused identity.
//
// Page contract:
//   /login    [data-testid=oidc-button], a submit button in a form posting to /login/oidc
//   /welcome  [data-testid=welcome-created]; [data-testid=welcome-companies] listing the
//             companies, or [data-testid=welcome-no-company] saying how to be linked
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { technicalWords, visibleWords } from './lib/checks.mjs';
import { freePort, startProvider } from './lib/oidc.mjs';

let app;
let provider;
let browser;

before(async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  provider = await startProvider(`${base}/login/oidc/callback`, {
    mario: {
      given_name: 'Mario',
      family_name: 'Rossi',
      email: 'mario.rossi@example.it',
      fiscal_number: 'TINIT-RSSMRA80A01H501U',
    },
    paolo: {
      name: 'Paolo Verdi',
      email: 'paolo.verdi@example.it',
      email_verified: true,
      fiscal_number: 'TINIT-VRDPLA70A01D969S',
    },
    anonimo: { name: 'Anna Nonima', email: 'anna@example.it' },
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
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await provider?.stop();
});

/** From our login page through the provider's form, as `login`; waits to be back here. */
async function logInWithIdentity(page, login) {
  await page.goto(`${app.baseUrl}/login`);
  await page.locator('[data-testid="oidc-button"]').click();
  await page.waitForURL((url) => url.href.startsWith(provider.issuer));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('qualsiasi');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.href.startsWith(app.baseUrl));
  await page.waitForLoadState('load');
}

async function humanWords(page) {
  assert.deepEqual(technicalWords(await visibleWords(page, 'main')), []);
}

describe('login with a digital identity', () => {
  it('shows the SPID / CIE button on the login page', async () => {
    const { context, page } = await newContext(browser);
    try {
      await page.goto(`${app.baseUrl}/login`);
      const button = page.locator('[data-testid="oidc-button"]');
      assert.equal((await button.innerText()).trim(), 'Entra con SPID / CIE');
      await humanWords(page);
      await screenshotWidths(page, '01-login-with-identity-button');
    } finally {
      await context.close();
    }
  });

  it('signs up a Registry representative on the first login, linked to the company', async () => {
    const { context, page } = await newContext(browser);
    try {
      await logInWithIdentity(page, 'mario');
      assert.equal(new URL(page.url()).pathname, '/welcome');
      const created = await page.locator('[data-testid="welcome-created"]').innerText();
      assert.match(created, /Mario Rossi, il tuo account è stato creato/);
      const companies = await page.locator('[data-testid="welcome-companies"]').innerText();
      assert.match(companies, /ROSSI MARIO/);
      assert.match(companies, /rappresentante legale secondo il Registro Imprese/);
      await humanWords(page);
      await screenshotWidths(page, '02-welcome-linked');
      // Home: the company user's work, no "not linked" notice.
      await page.goto(`${app.baseUrl}/`);
      assert.equal(await page.locator('[data-testid="home-no-company"]').count(), 0);
      assert.match(await page.locator('[data-testid="user-name"]').first().innerText(), /Mario Rossi/);
    } catch (error) {
      await screenshot(page, 'failed-representative').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });

  it('tells a person the Registry does not list how to be linked', async () => {
    const { context, page } = await newContext(browser);
    try {
      await logInWithIdentity(page, 'paolo');
      assert.equal(new URL(page.url()).pathname, '/welcome');
      assert.match(
        await page.locator('[data-testid="welcome-no-company"]').innerText(),
        /delega firmata digitalmente/,
      );
      await screenshotWidths(page, '03-welcome-not-linked');
      await page.goto(`${app.baseUrl}/`);
      assert.equal(await page.locator('[data-testid="home-no-company"]').count(), 1);
      await screenshotWidths(page, '04-home-not-linked');
    } catch (error) {
      await screenshot(page, 'failed-not-linked').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });

  it('refuses an identity without a tax code, in words, creating nothing', async () => {
    const { context, page } = await newContext(browser);
    try {
      await logInWithIdentity(page, 'anonimo');
      assert.equal(new URL(page.url()).pathname, '/login/oidc/callback');
      const alert = await page.locator('[role="alert"]').first().innerText();
      assert.match(alert, /non ha comunicato il tuo codice fiscale/);
      assert.match(alert, /Nessun account è stato creato/);
      await humanWords(page);
      await page.setViewportSize({ width: 1366, height: 900 });
      await screenshot(page, '05-refused-no-tax-code-1366');
      await page.setViewportSize({ width: 390, height: 900 });
      await screenshot(page, '05-refused-no-tax-code-390');
    } finally {
      await context.close();
    }
  });
});
