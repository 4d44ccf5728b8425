// The chamber side in real Chromium: a certificate of origin goes send → rectification (a
// packing list and a visa and a legalisation on the invoice, charged as the difference) →
// resend → take → approval (confirmed) → sealed PDF download → public verification; then the company asks to
// cancel it (loss) and the verification page says "annullato".
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import {
  launch, newContext, screenshot, screenshotWidths, watchRequests,
} from './lib/browser.mjs';
import {
  attach, completeProfile, fillCertificate, login, pdfText, smallPdf, startModel, uploadSigned, work,
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

describe('chamber side', () => {
  it('rectifies, approves, seals and verifies a certificate, then cancels it', async () => {
    const company = await visitor();
    const officer = await visitor();
    const anyone = await visitor();
    const c = company.page;
    const o = officer.page;
    try {
      // The company sends a certificate of origin.
      await login(c, app, 'company');
      await completeProfile(c, app);
      await startModel(c, app, 'certificate_of_origin');
      await fillCertificate(c);
      await uploadSigned(c, 'certificate');
      await attach(c, smallPdf('fattura.pdf'), 'Fattura 2026/118', 'invoice');
      await c.click('[data-testid="send"]');
      await c.locator('[data-testid="notice"]').waitFor();
      const practiceUrl = c.url().split('?')[0];
      const practiceId = practiceUrl.split('/').pop();

      // The officer finds it in the inbox and asks for a rectification.
      await login(o, app, 'officer');
      await o.goto(`${app.baseUrl}/desk`);
      await screenshot(o, '01-inbox');
      // The counts per open status (bounded: "più di 999" past the cap) over the filters.
      assert.match(await o.locator('[data-testid="counts"]').innerText(), /\d+\s+\S/);
      await screenshotWidths(o, '01-inbox-counts');
      await o.click(`a[href="/desk/practices/${practiceId}"]`);
      await o.fill('#rectify-reason', 'Allegare la packing list');
      await o.click('label[for="fld-attachments"]');
      await screenshot(o, '02-rectify');
      await o.click('[data-testid="rectify"]');
      await o.locator('[data-testid="notice"]').waitFor();
      assert.equal((await o.textContent('[data-testid="status"]')).trim(), 'Da rettificare');

      // The company corrects and resends: nothing charged again.
      await c.goto(practiceUrl);
      assert.equal((await c.textContent('[data-testid="status"]')).trim(), 'Da rettificare');
      await attach(c, smallPdf('packing-list.pdf'), 'Packing list', 'packing_list');
      // A visa and a legalisation on the invoice (the first row's form): the fee shows them.
      const invoiceStamps = c.locator('form[data-testid^="stamps-"]').first();
      await invoiceStamps.locator('input[name="visas"]').fill('1');
      await invoiceStamps.locator('input[name="legalisations"]').fill('1');
      await Promise.all([
        c.waitForNavigation(),
        invoiceStamps.locator('[data-testid="save-stamps"]').click(),
      ]);
      assert.match(await c.textContent('[data-testid="fee-total"]'), /16,00 €/);
      await screenshotWidths(c, '03-rectified-stamps');
      await c.click('[data-testid="send"]');
      await c.locator('[data-testid="notice"]').waitFor();
      await c.goto(`${app.baseUrl}/wallet`);
      assert.match(
        await c.textContent('[data-testid="balance-GE"]'),
        /34,00 €/,
        'the first fee once, then only what the visa and the legalisation added',
      );

      // The officer takes it in charge, then approves after the confirmation: the
      // certificate is numbered and sealed.
      await o.goto(`${app.baseUrl}/desk/practices/${practiceId}`);
      await o.click('[data-testid="take"]');
      await o.locator('[data-testid="notice"]').waitFor();
      await o.click('[data-testid="approve"]');
      await o.click('[data-testid="confirm-approve-submit"]');
      await o.locator('[data-testid="certificate-number"]').waitFor();
      const number = (await o.textContent('[data-testid="certificate-number"]')).trim();
      assert.match(number, /^C\d{2}GE\d{7}$/);
      await screenshot(o, '04-approved');
      assert.match(await o.textContent('body'), /Fattura 2026\/118[^]*Visto/, 'the stamped invoice is named');
      await screenshotWidths(o, '04-approved-stamped');

      // The company downloads the sealed PDF.
      await c.goto(practiceUrl);
      const [download] = await Promise.all([
        c.waitForEvent('download'),
        c.evaluate((url) => {
          const a = document.createElement('a');
          a.href = url;
          a.download = '';
          document.body.appendChild(a);
          a.click();
        }, `${practiceUrl}/certificate.pdf`),
      ]);
      const pdf = path.join(work, 'certificato.pdf');
      await download.saveAs(pdf);
      const text = pdfText(pdf);
      assert.ok(text.includes(number), 'the number is printed');
      assert.ok(text.includes('DOCUMENTI VISTATI / STAMPED DOCUMENTS'), 'the stamped invoice is listed');
      assert.ok(text.includes('1. Fattura 2026/118'), 'by its description');
      const code = text.split(/\s+/).find((w) => /^[A-Z0-9]{10}$/.test(w) && w !== number);
      assert.ok(code, 'a security code is printed');

      // Anyone verifies it, without logging in.
      const v = anyone.page;
      await v.goto(`${app.baseUrl}/verify/${number}?code=${code}`);
      assert.match(await v.textContent('[data-testid="verify-status"]'), /valido/);
      await screenshot(v, '05-verified');
      await v.goto(`${app.baseUrl}/verify/${number}?code=XXXXXXXXXX`);
      await v.locator('[data-testid="verify-not-found"]').waitFor();

      // The company reports the certificate lost and asks to cancel it.
      await startModel(c, app, 'cancellation');
      await c.fill('#applicant-name', 'Giulia Bianchi');
      await c.fill('#applicant-capacity', 'Legale rappresentante');
      await c.fill('#certificate_number', number);
      await c.selectOption('#reason', 'loss');
      await c.fill('#notes', 'Smarrito durante la spedizione');
      await c.click('[data-testid="save-model"]');
      await c.locator('[data-testid="download-xml"]').waitFor();
      await uploadSigned(c, 'cancellation');
      await attach(c, smallPdf('richiesta.pdf'), 'Richiesta di annullamento firmata', 'request_form');
      await attach(c, smallPdf('denuncia.pdf'), 'Denuncia di smarrimento', 'police_report');
      await c.click('[data-testid="send"]');
      await c.locator('[data-testid="notice"]').waitFor();
      const cancellationId = c.url().split('?')[0].split('/').pop();

      await o.goto(`${app.baseUrl}/desk/practices/${cancellationId}`);
      await o.click('[data-testid="take"]');
      await o.locator('[data-testid="notice"]').waitFor();
      await o.click('[data-testid="approve"]');
      await o.click('[data-testid="confirm-approve-submit"]');
      await o.locator('[data-testid="notice"]').waitFor();

      await v.goto(`${app.baseUrl}/verify/${number}?code=${code}`);
      assert.match(await v.textContent('[data-testid="verify-status"]'), /annullato/);
      await screenshot(v, '06-cancelled');

      for (const w of [company, officer, anyone]) {
        assert.deepEqual(w.requests.external, [], 'nothing loaded from other hosts');
        assert.deepEqual(w.requests.brokenAssets, [], 'every asset loads');
      }
    } catch (error) {
      await screenshot(c, 'failed-company').catch(() => {});
      await screenshot(o, 'failed-officer').catch(() => {});
      throw error;
    } finally {
      await company.context.close();
      await officer.context.close();
      await anyone.context.close();
    }
  });
});
