// Login with the smart card (CNS): the demo app with the test card authority of
// scripts/cns-pki.sh trusted and 127.0.0.1 as its TLS proxy. The browser reaches Sportello
// directly from 127.0.0.1, and the test plays nginx's part for the one request nginx would
// add it to: it puts the card's certificate, URL-escaped as `$ssl_client_escaped_cert`, in
// `X-SSL-Client-Cert` of `POST /login/cns` (the real nginx is in the Rust test
// `cns_nginx`). Mario Rossi's card signs him up, linked to ROSSI MARIO as the demo Registry
// lists him; an expired card is refused in words. Screenshots at 1366 and 390 px of the login
// page with the button, the welcome page and the refusal. A card without an e-mail address
// (Elena Neri's) signs up in two steps: the address typed, then the link mailed to it;
// screenshots of each step.
//
// Page contract:
//   /login  [data-testid=cns-button], a submit button in a form posting to /login/cns;
//           after a refused card, [data-testid=cns-error] with the reason
//   /login/cns/email  [data-testid=cns-sign-up-form] with #email; then
//           [data-testid=cns-sign-up-sent]
//   /login/cns/confirm/{token}  [data-testid=cns-confirm-submit]; then
//           [data-testid=cns-sign-up-done]
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { technicalWords, visibleWords } from './lib/checks.mjs';
import { linkFromMail } from './lib/flows.mjs';
import { repoRoot } from './lib/paths.mjs';

let app;
let browser;
let cards;

function sportelloBin() {
  return process.env.SPORTELLO_BIN
    ? path.resolve(process.env.SPORTELLO_BIN)
    : path.join(repoRoot, process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'sportello');
}

/** The certificate of `name` as nginx forwards it. */
function escaped(name) {
  return encodeURIComponent(readFileSync(path.join(cards, `${name}.pem`), 'utf8'));
}

before(async () => {
  cards = mkdtempSync(path.join(os.tmpdir(), 'sportello-cards-'));
  execFileSync('bash', [path.join(repoRoot, 'scripts/cns-pki.sh'), cards], { stdio: 'ignore' });
  app = await startApp({
    env: {
      SPORTELLO_TRUSTED_PROXIES: '127.0.0.1',
      SPORTELLO_CNS_TRUST_ANCHORS: path.join(cards, 'ca.pem'),
    },
  });
  // The card authority's CRL, kept for offline use as an administrator would.
  execFileSync(sportelloBin(), ['admin', 'trust', 'crl', 'add', path.join(cards, 'ca.crl')], {
    env: { ...process.env, SPORTELLO_DATA_DIR: app.dataDir },
    stdio: 'ignore',
  });
  ({ browser } = await launch());
});

after(async () => {
  await browser?.close();
  await app?.stop();
  if (cards) rmSync(cards, { recursive: true, force: true });
});

/** Presses "Entra con CNS" with `card` in the reader (as the proxy would forward it). */
async function logInWithCard(page, card) {
  await page.route('**/login/cns', (route) =>
    route.continue({
      headers: { ...route.request().headers(), 'x-ssl-client-cert': escaped(card) },
    }),
  );
  await page.goto(`${app.baseUrl}/login`);
  await page.locator('[data-testid="cns-button"]').click();
  await page.waitForLoadState('load');
}

async function humanWords(page) {
  assert.deepEqual(technicalWords(await visibleWords(page, 'main')), []);
}

describe('login with the CNS card', () => {
  it('shows the CNS button next to SPID / CIE on the login page', async () => {
    const { context, page } = await newContext(browser);
    try {
      await page.goto(`${app.baseUrl}/login`);
      const button = page.locator('[data-testid="cns-button"]');
      assert.equal((await button.innerText()).trim(), 'Entra con CNS');
      await humanWords(page);
      await screenshotWidths(page, '01-login-with-cns-button');
    } finally {
      await context.close();
    }
  });

  it('signs up the card holder, linked to the company the Registry lists', async () => {
    const { context, page } = await newContext(browser);
    try {
      await logInWithCard(page, 'mario');
      assert.equal(new URL(page.url()).pathname, '/welcome');
      assert.match(
        await page.locator('[data-testid="welcome-created"]').innerText(),
        /Mario Rossi, il tuo account è stato creato/,
      );
      await humanWords(page);
      await screenshotWidths(page, '02-welcome-after-cns');
    } catch (error) {
      await screenshot(page, 'failed-cns-sign-up').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });

  it('refuses an expired card in words', async () => {
    const { context, page } = await newContext(browser);
    try {
      await logInWithCard(page, 'expired');
      assert.equal(new URL(page.url()).pathname, '/login/cns');
      const alert = await page.locator('[data-testid="cns-error"]').innerText();
      assert.match(alert, /L'accesso con CNS non è riuscito/);
      assert.match(alert, /Il certificato della carta è scaduto/);
      await humanWords(page);
      await page.setViewportSize({ width: 1366, height: 900 });
      await screenshot(page, '03-refused-expired-card-1366');
      await page.setViewportSize({ width: 390, height: 900 });
      await screenshot(page, '03-refused-expired-card-390');
    } finally {
      await context.close();
    }
  });

  it('signs up a card without an e-mail address once the address typed is confirmed', async () => {
    const { context, page } = await newContext(browser);
    try {
      await logInWithCard(page, 'nomail');
      assert.equal(new URL(page.url()).pathname, '/login/cns/email');
      assert.match(await page.locator('[data-testid="cns-sign-up-card"]').innerText(), /Elena Neri/);
      await humanWords(page);
      await screenshotWidths(page, '04-cns-sign-up-address');
      // A malformed address is said next to the field, the typing kept.
      await page.fill('#email', 'elena');
      await page.locator('[data-testid="cns-sign-up-submit"]').click();
      await page.locator('[data-testid="error-summary"]').waitFor();
      assert.equal(await page.inputValue('#email'), 'elena');
      await screenshotWidths(page, '05-cns-sign-up-address-error');
      await page.fill('#email', 'elena.neri@example.it');
      await page.locator('[data-testid="cns-sign-up-submit"]').click();
      const sent = await page.locator('[data-testid="cns-sign-up-sent"]').innerText();
      assert.match(sent, /elena\.neri@example\.it/);
      await humanWords(page);
      await screenshotWidths(page, '06-cns-sign-up-link-sent');
      // The link in the mail: confirm, and the account is made.
      const link = await linkFromMail(app.dataDir, '/login/cns/confirm/', 'elena.neri@example.it');
      await page.goto(`${app.baseUrl}${link}`);
      assert.match(await page.locator('[data-testid="cns-sign-up-confirm"]').innerText(), /elena\.neri@example\.it/);
      await screenshotWidths(page, '07-cns-sign-up-confirm');
      await page.locator('[data-testid="cns-confirm-submit"]').click();
      assert.match(
        await page.locator('[data-testid="cns-sign-up-done"]').innerText(),
        /Account creato/,
      );
      await humanWords(page);
      await screenshotWidths(page, '08-cns-sign-up-done');
      // The link again: already used.
      await page.goto(`${app.baseUrl}${link}`);
      assert.match(await page.locator('[data-testid="cns-sign-up-invalid"]').innerText(), /già stato usato/);
      await screenshotWidths(page, '09-cns-sign-up-link-used');
    } catch (error) {
      await screenshot(page, 'failed-cns-no-email-sign-up').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });
});
