// Free smart cards and the CA's documents (RA procedure, part 2). The RAO checks three demo
// companies on the free-device page: a sole trader registered this year, a company registered
// last year, and one registered long ago with this year's annual fee unpaid; the answer names
// the years due and paid. Anyone reads the Operating Manual and Certificate Policy at
// /ra/documents, linked from the booking pages; the Master RAO publishes a new version.
// Screenshots in e2e/output/free_cards/.
//
// Page contract:
//   /devices/free?company_tax_code=…&device=smart_card   [data-testid=free-verdict],
//        [data-testid=free-reasons] li[data-rule], [data-testid=free-fee-years] tr[data-year]
//   /ra/documents    [data-testid=ra-docs-current] links to /ra/documents/{id};
//                    [data-testid=ra-doc-form] (#kind, #version, #effective_on, #pdf) for the Master RAO
//   /book            [data-testid=ra-doc-link]
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshotWidths } from './lib/browser.mjs';
import { login, smallPdf } from './lib/flows.mjs';

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

describe('free smart cards', () => {
  it('explains the annual-fee years due and paid for new and old companies', async () => {
    const { context, page } = await newContext(browser);
    await login(page, app, 'rao');
    const cases = [
      ['VRDNNA92E45D969L', 'this-year', true],
      ['02456780010', 'last-year', true],
      ['01879020517', 'long-ago', false],
    ];
    for (const [code, name, eligible] of cases) {
      await page.goto(`${app.baseUrl}/devices/free?company_tax_code=${code}&device=smart_card`);
      const verdict = await page.textContent('[data-testid=free-verdict]');
      assert.equal(verdict.includes('può essere rilasciato gratuitamente') && !verdict.includes('non può'), eligible, `${name}: ${verdict}`);
      const fee = await page.textContent('[data-testid=free-reasons] li[data-rule=annual_fee]');
      assert.match(fee, /Diritto annuale/);
      assert.equal(await page.locator('[data-testid=free-fee-years] tbody tr').count(), 3);
      await screenshotWidths(page, `free-eligibility-${name}`);
    }
    // The sole trader registered this year: the years before are not due.
    await page.goto(`${app.baseUrl}/devices/free?company_tax_code=VRDNNA92E45D969L&device=smart_card`);
    const fee = await page.textContent('[data-testid=free-reasons] li[data-rule=annual_fee]');
    assert.match(fee, /14\/09\/2026/);
    await context.close();
  });
});

describe('Operating Manual and Certificate Policy', () => {
  it('are public, linked from booking, and published by the Master RAO', async () => {
    const { context: visitor, page } = await newContext(browser);
    await page.goto(`${app.baseUrl}/book`);
    await page.click('[data-testid=ra-doc-link] a');
    await page.waitForURL(`${app.baseUrl}/ra/documents`);
    assert.match(await page.textContent('[data-testid=ra-docs-current]'), /Manuale Operativo/);
    assert.equal(await page.locator('[data-testid=ra-doc-form]').count(), 0);
    const href = await page.getAttribute('[data-testid=ra-docs-current] a', 'href');
    const pdf = await page.request.get(`${app.baseUrl}${href}`);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    await screenshotWidths(page, 'ra-documents-public');
    await visitor.close();

    const { context, page: master } = await newContext(browser);
    await login(master, app, 'master-rao');
    await master.goto(`${app.baseUrl}/ra/documents`);
    await master.selectOption('#kind', 'certificate_policy');
    await master.fill('#version', '1.5');
    await master.setInputFiles('#pdf', smallPdf('certificate-policy-1.5.pdf'));
    await master.click('[data-testid=ra-doc-form] button[type=submit]');
    await master.waitForURL(/\/ra\/documents\?ok=published$/);
    assert.match(await master.textContent('[data-testid=ra-docs-current]'), /1\.5/);
    await master.goto(`${app.baseUrl}/ra/documents`);
    await screenshotWidths(master, 'ra-documents-master-rao');
    await context.close();
  });
});
