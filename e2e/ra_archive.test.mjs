// The RA restricted archive read a page at a time (issue 14): the Master RAO sees the
// chamber's mandate documents newest first, 50 a page, each with its operator, and turns to
// the next page and back with the pager's links. The demo keeps a few documents: 60 more are
// written into its database first (the archive is the Master RAO's to read, not to fill).
// On a phone (390 px) the table keeps its document column and stacks the date, the operator
// and the signature under each document, so nothing scrolls sideways; at 1366 px it keeps its
// four columns. Screenshots of both pages at 1366 and 390 px in e2e/output/ra_archive/.
//
// Page contract:
//   /ra/archive   table [data-testid=ra-archive], one link /ra/archive/{id} per document;
//                 below md each document cell holds [data-testid=ra-archive-stacked] (its date,
//                 operator and signature, labelled);
//                 [data-testid=pager] with a[rel=next] / a[rel=prev] when there are more
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshotWidths } from './lib/browser.mjs';
import { sidewaysScroll, wrapperOverflow } from './lib/checks.mjs';
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

/** Runs `sql` on the demo's database (PostgreSQL when the tests run on it, else SQLite). */
function sql(statement) {
  const url = process.env.SPORTELLO_E2E_DATABASE_URL;
  if (url) {
    return execFileSync('psql', ['-qAt', '-v', 'ON_ERROR_STOP=1', url, '-c', statement], {
      encoding: 'utf8',
    });
  }
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', path.join(app.dataDir, 'sportello.db'), statement], {
    encoding: 'utf8',
  });
}

/** 60 signed mandate documents of the Master RAO's chamber, one a day in November 2026. */
function fillArchive() {
  const { email } = app.logins.get('master-rao');
  const [operator, chamber] = sql(
    'SELECT o.id, o.chamber_id FROM ra_operators o JOIN users u ON u.chamber_id = o.chamber_id ' +
      `WHERE u.email = '${email}' ORDER BY o.name LIMIT 1`,
  )
    .trim()
    .split('|');
  assert.ok(operator && chamber, 'an operator of the Master RAO chamber');
  const rows = [];
  for (let i = 0; i < 60; i += 1) {
    const day = String(1 + (i % 30)).padStart(2, '0');
    const hour = String(8 + Math.floor(i / 30)).padStart(2, '0');
    const id = `0193e000-0000-7000-8000-${String(i).padStart(12, '0')}`;
    rows.push(
      `('${id}', '${operator}', '${chamber}', 'acceptance_form', 'modulo-accettazione-${i + 1}.pdf', ` +
        `'application/pdf', 'blob', 96, 'PAdES', 'RSSMRA80A01H501U', 'CN=Mario Rossi,SERIALNUMBER=TINIT-RSSMRA80A01H501U', ` +
        `'2026-11-${day}T${hour}:00:00.000000Z')`,
    );
  }
  sql(
    'INSERT INTO ra_documents (id, operator_id, chamber_id, kind, filename, content_type, blob, size, ' +
      'signature_format, signer_tax_code, signer_subject, created_at) VALUES ' +
      rows.join(', '),
  );
}

describe('the RA restricted archive', () => {
  it('lists 50 documents a page, newest first, with a next and a previous page', async () => {
    fillArchive();
    const { context, page } = await newContext(browser);
    try {
      await login(page, app, 'master-rao');
      await page.goto(`${app.baseUrl}/ra/archive`);
      const links = page.locator('[data-testid="ra-archive"] tbody a[href^="/ra/archive/"]');
      assert.equal(await links.count(), 50, 'the first page holds 50 documents');
      assert.equal(await page.locator('a[rel="prev"]').count(), 0, 'nothing before the first page');
      await screenshotWidths(page, 'archive-first-page');
      assert.ok((await sidewaysScroll(page)) <= 0, 'no sideways scroll at 1366 px');
      await page.setViewportSize({ width: 1366, height: 900 });
      await page.reload();
      const headers = page.locator('[data-testid="ra-archive"] thead th');
      assert.deepEqual(
        (await headers.allTextContents()).map((h) => h.trim()),
        ['Data', 'Operatore', 'Documento', 'Firma'],
        'four columns at 1366 px',
      );
      assert.equal(await wrapperOverflow(page, '[data-testid="ra-archive"]'), 0, 'the table fits at 1366 px');
      assert.equal(
        await page.locator('[data-testid="ra-archive-stacked"]').first().isVisible(),
        false,
        'nothing stacked at 1366 px',
      );
      await page.setViewportSize({ width: 390, height: 900 });
      await page.reload();
      assert.ok((await sidewaysScroll(page)) <= 0, 'no sideways scroll of the page at 390 px');
      assert.ok(
        (await wrapperOverflow(page, '[data-testid="ra-archive"]')) <= 0,
        'the table does not scroll sideways inside its wrapper at 390 px',
      );
      const visibleHeaders = [];
      for (const h of await headers.all()) if (await h.isVisible()) visibleHeaders.push((await h.textContent()).trim());
      assert.deepEqual(visibleHeaders, ['Documento'], 'one column at 390 px');
      const stacked = page.locator('[data-testid="ra-archive-stacked"]').first();
      assert.ok(await stacked.isVisible(), 'date, operator and signature stacked at 390 px');
      const details = await stacked.textContent();
      for (const label of ['Data:', 'Operatore:', 'Firma:']) {
        assert.ok(details.includes(label), `"${label}" under the document: ${details}`);
      }
      assert.match(details, /PAdES/, `the signature is still shown at 390 px: ${details}`);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.reload();
      const firstPage = await links.allInnerTexts();
      // Newest first: 30 November at 9:00 before 29 November at 9:00.
      const at = (n) => firstPage.indexOf(`modulo-accettazione-${n}.pdf`);
      assert.ok(at(60) >= 0 && at(60) < at(59), `newest first: ${firstPage.join(', ')}`);

      await page.click('a[rel="next"]');
      await page.waitForURL(/\/ra\/archive\?after=/);
      const rest = await links.allInnerTexts();
      assert.ok(rest.length > 0, 'the second page lists the older documents');
      assert.equal(
        rest.filter((name) => firstPage.includes(name)).length,
        0,
        'no document on both pages',
      );
      await screenshotWidths(page, 'archive-second-page');
      await page.setViewportSize({ width: 390, height: 900 });
      await page.reload();
      assert.ok((await sidewaysScroll(page)) <= 0, 'no sideways scroll at 390 px');
      assert.ok(
        (await wrapperOverflow(page, '[data-testid="ra-archive"]')) <= 0,
        'the second page does not scroll sideways inside its wrapper at 390 px',
      );

      await page.click('a[rel="prev"]');
      await page.waitForURL(/\/ra\/archive\?before=/);
      assert.deepEqual(await links.allInnerTexts(), firstPage, 'back to the first page');
    } finally {
      await context.close();
    }
  });
});
