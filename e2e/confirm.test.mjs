// Irreversible actions ask first, and a forgotten password can be recovered.
//
//   /password/forgot            [data-testid=recovery-submit], then [data-testid=recovery-sent]
//   /password/reset/{token}     [data-testid=reset-form] → [data-testid=reset-done];
//                               a used link: [data-testid=reset-invalid]
//   /desk/practices/{id}        [data-testid=take], [data-testid=approve] (only once taken),
//                               [data-testid=reject]; each opens a Bootstrap Italia modal
//                               ([data-testid=confirm-approve] …) whose
//                               [data-testid=confirm-approve-submit] posts the action. Without
//                               JavaScript the same link opens the confirmation page (GET).
//   /issuance/{id}              [data-testid=abort] → [data-testid=confirm-abort]
//   /ra/operators/{id}          [data-testid=revoke] → [data-testid=confirm-revoke]
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { outputDir } from './lib/paths.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import {
  attach, completeProfile, fillCertificate, login, smallPdf, startModel, uploadSigned,
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

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Waits for an e-mail to `to` with a link starting with `prefix`; returns its path part. */
async function linkFromMail(to, prefix) {
  for (let i = 0; i < 60; i += 1) {
    for (const f of files(path.join(app.dataDir, 'mail'))) {
      const text = readFileSync(f, 'utf8').replace(/=\r?\n/g, '');
      const at = text.indexOf(prefix);
      if (at >= 0 && text.includes(to)) return /^[A-Za-z0-9/_-]+/.exec(text.slice(at))[0];
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no e-mail with ${prefix} arrived`);
}

/** A page shown as the answer to a POST, at both widths, without reloading it. */
async function screenshotAsShown(page, name) {
  const before = page.viewportSize();
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await screenshot(page, `${name}-${width}`);
  }
  if (before) await page.setViewportSize(before);
}

/** Opens the dialog of `trigger` at both widths and saves it; closes it again. */
async function dialogWidths(page, trigger, dialog, name) {
  const before = page.viewportSize();
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.reload({ waitUntil: 'load' });
    await page.click(`[data-testid="${trigger}"]`);
    await page.locator(`[data-testid="${dialog}"].show`).waitFor();
    await page.waitForTimeout(400); // the fade-in
    // What the person sees: the window, with the dialog over the page.
    await page.screenshot({ path: path.join(outputDir(), `${name}-${width}.png`) });
  }
  if (before) await page.setViewportSize(before);
  await page.reload({ waitUntil: 'load' });
}

/** A visitor whose browser runs no JavaScript. */
async function withoutJavaScript() {
  const context = await browser.newContext({
    locale: 'it-IT', timezoneId: 'Europe/Rome', viewport: { width: 1280, height: 900 }, javaScriptEnabled: false,
  });
  context.setDefaultTimeout(10_000);
  return { context, page: await context.newPage() };
}

/** The company sends a certificate of origin; returns the practice id. */
async function sentPractice(c) {
  await startModel(c, app, 'certificate_of_origin');
  await fillCertificate(c);
  await uploadSigned(c, 'certificate');
  await attach(c, smallPdf('fattura.pdf'), 'Fattura 2026/118', 'invoice');
  await c.click('[data-testid="send"]');
  await c.locator('[data-testid="notice"]').waitFor();
  return c.url().split('?')[0].split('/').pop();
}

describe('confirmations and password recovery', () => {
  it('recovers a password from the front door with a single-use link', async () => {
    const { page } = await newContext(browser);
    const { email } = app.logins.get('auditor');
    try {
      await page.goto(`${app.baseUrl}/`);
      await page.click('[data-testid="forgot-link"]');
      await page.waitForURL(/\/password\/forgot$/);
      await screenshotWidths(page, '01-recovery-form');
      await page.fill('#email', email);
      await page.click('[data-testid="recovery-submit"]');
      await page.locator('[data-testid="recovery-sent"]').waitFor();
      await screenshotAsShown(page, '02-recovery-sent');

      const link = await linkFromMail(email, '/password/reset/');
      await page.goto(`${app.baseUrl}${link}`);
      await page.locator('[data-testid="reset-form"]').waitFor();
      await screenshotWidths(page, '03-reset-form');
      await page.fill('#new_password', 'corta');
      await page.fill('#confirm', 'corta');
      await page.click('[data-testid="reset-submit"]');
      await page.locator('[data-testid="error-summary"]').waitFor();
      await screenshotAsShown(page, '04-reset-error');
      await page.fill('#new_password', 'una frase lunga e nuova');
      await page.fill('#confirm', 'una frase lunga e nuova');
      await page.click('[data-testid="reset-submit"]');
      await page.locator('[data-testid="reset-done"]').waitFor();
      await screenshotAsShown(page, '05-reset-done');

      await page.goto(`${app.baseUrl}${link}`);
      await page.locator('[data-testid="reset-invalid"]').waitFor();
      await screenshotWidths(page, '06-reset-used');

      await page.goto(`${app.baseUrl}/login`);
      await page.fill('input[name="email"]', email);
      await page.fill('input[name="password"]', 'una frase lunga e nuova');
      await page.click('button[type="submit"]');
      await page.waitForURL(`${app.baseUrl}/`);
    } catch (error) {
      await screenshot(page, 'failed-recovery').catch(() => {});
      throw error;
    }
  });

  it('approves only a practice taken in charge, and asks before approving or rejecting', async () => {
    const company = await newContext(browser);
    const officer = await newContext(browser);
    const plain = await withoutJavaScript();
    const c = company.page;
    const o = officer.page;
    const n = plain.page;
    try {
      await login(c, app, 'company');
      await completeProfile(c, app);
      const first = await sentPractice(c);
      const second = await sentPractice(c);

      // Before the take: no approval, and the page says why.
      await login(o, app, 'officer');
      await o.goto(`${app.baseUrl}/desk/practices/${first}`);
      assert.equal(await o.locator('[data-testid="approve"]').count(), 0);
      await o.locator('[data-testid="approve-after-take"]').waitFor();
      await o.click('[data-testid="take"]');
      await o.locator('[data-testid="notice"]').waitFor();
      await o.goto(`${app.baseUrl}/desk/practices/${first}`);

      // The approval's dialog names the practice, the company and the fee.
      await dialogWidths(o, 'approve', 'confirm-approve', '07-approve-dialog');
      await o.click('[data-testid="approve"]');
      const dialog = o.locator('[data-testid="confirm-approve"].show');
      await dialog.waitFor();
      const text = await dialog.innerText();
      assert.match(text, /Approvare la pratica/);
      assert.match(text, /€/);
      // "Annulla" closes it and nothing happens.
      await dialog.getByRole('button', { name: 'Annulla' }).click();
      await dialog.waitFor({ state: 'hidden' });
      assert.equal((await o.textContent('[data-testid="status"]')).trim(), 'In istruttoria');
      await o.click('[data-testid="approve"]');
      await o.click('[data-testid="confirm-approve-submit"]');
      await o.locator('[data-testid="certificate-number"]').waitFor();

      // The rejection asks for the reason in its dialog.
      await o.goto(`${app.baseUrl}/desk/practices/${second}`);
      await dialogWidths(o, 'reject', 'confirm-reject', '08-reject-dialog');

      // Without JavaScript the same buttons open confirmation pages.
      await login(n, app, 'officer');
      await n.goto(`${app.baseUrl}/desk/practices/${second}`);
      await n.click('[data-testid="reject"]');
      await n.waitForURL(new RegExp(`/desk/practices/${second}/reject$`));
      await screenshotWidths(n, '09-reject-page-no-js');
      await n.fill('#reject-reason', 'Merce non di origine italiana');
      await n.click('[data-testid="confirm-reject-submit"]');
      await n.locator('[data-testid="notice"]').waitFor();
      assert.equal((await n.textContent('[data-testid="status"]')).trim(), 'Respinta');
    } catch (error) {
      await screenshot(o, 'failed-officer').catch(() => {});
      await screenshot(n, 'failed-no-js').catch(() => {});
      throw error;
    }
  });

  it('asks before aborting an issuance and revoking a mandate', async () => {
    const rao = await newContext(browser);
    const master = await newContext(browser);
    const plain = await withoutJavaScript();
    const r = rao.page;
    const m = master.page;
    const n = plain.page;
    try {
      // A walk-in issuance, aborted after the dialog.
      await login(r, app, 'rao');
      await r.goto(`${app.baseUrl}/issuance`);
      await r.fill('#given_name', 'Mario');
      await r.fill('#surname', 'Rossi');
      await r.fill('#tax_code', 'RSSMRA80A01H501U');
      await r.fill('#birth_date', '1980-01-01');
      await r.fill('#birth_place', 'Roma');
      await r.fill('#email', 'mario.rossi@example.it');
      await r.fill('#phone', '3331234567');
      await r.click('form[action="/issuance"] button[type="submit"]');
      await r.waitForURL(/\/issuance\/[0-9a-f-]+$/);
      const session = r.url();
      await dialogWidths(r, 'abort', 'confirm-abort', '10-abort-dialog');
      await login(n, app, 'rao');
      await n.goto(session);
      await n.click('[data-testid="abort"]');
      await n.waitForURL(/\/abort$/);
      await screenshotWidths(n, '11-abort-page-no-js');
      await r.click('[data-testid="abort"]');
      await r.fill('#abort-reason', 'Documento scaduto');
      await r.click('[data-testid="confirm-abort-submit"]');
      await r.waitForURL(session);
      assert.equal(await r.locator('[data-testid="abort"]').count(), 0, 'the session ended');

      // A mandate: the dialog and the page say whose and what follows; nothing is revoked.
      await login(m, app, 'master-rao');
      await m.goto(`${app.baseUrl}/ra/operators`);
      const links = await m.locator('a[href^="/ra/operators/"]').evaluateAll(
        (as) => as.map((a) => a.getAttribute('href')).filter((h) => /^\/ra\/operators\/[0-9a-f-]{36}$/.test(h)),
      );
      let operator = null;
      for (const href of links) {
        await m.goto(`${app.baseUrl}${href}`);
        if (await m.locator('[data-testid="revoke"]').count()) {
          operator = href;
          break;
        }
      }
      assert.ok(operator, 'an operator whose mandate can be revoked');
      await dialogWidths(m, 'revoke', 'confirm-revoke', '12-revoke-dialog');
      await plain.context.clearCookies();
      await login(n, app, 'master-rao');
      await n.goto(`${app.baseUrl}${operator}`);
      await n.click('[data-testid="revoke"]');
      await n.waitForURL(/\/steps\/revoke$/);
      await screenshotWidths(n, '13-revoke-page-no-js');
      await n.getByRole('link', { name: 'Annulla' }).click();
      await n.waitForURL(`${app.baseUrl}${operator}`);
    } catch (error) {
      await screenshot(r, 'failed-rao').catch(() => {});
      await screenshot(m, 'failed-master').catch(() => {});
      await screenshot(n, 'failed-no-js').catch(() => {});
      throw error;
    }
  });
});
