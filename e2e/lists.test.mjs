// Lists with counts and pages, and the work waiting on the role homes. Screenshots at a laptop
// (1366 px) and a phone (390 px) width in e2e/output/lists/.
//
// Page contract:
//   lists read by keyset (devices, audit, practices, desk inbox, RA operators, the users
//                      of /admin/users): below the table nav[data-testid=pager] with the
//                      previous and next page links (rel="prev", rel="next", ?after=… /
//                      ?before=…), keeping the filters
//   other paged lists  [data-testid=list-count] ("12 operatori · Pagina 1 di 1") as well
//   /                  signed in: section [data-testid=work-waiting] with one card per kind of
//                      work, each a link to its list with the number in [data-count]
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshotWidths } from './lib/browser.mjs';
import { login, work } from './lib/flows.mjs';

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

/** Screenshots at both widths, checking at each that the page does not scroll sideways. */
async function shootBothWidths(page, name) {
  const before = page.viewportSize();
  for (const width of [1366, 390]) {
    await screenshotWidths(page, name, [width]);
    await page.setViewportSize({ width, height: 900 });
    await page.reload({ waitUntil: 'load' });
    const sideways = await page.evaluate(
      () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
    );
    assert.equal(sideways, false, `${name} does not scroll sideways at ${width} px`);
  }
  if (before) await page.setViewportSize(before);
}

describe('lists and home pages', () => {
  it('pages through the devices with the filter kept, and pages the audit trail', async () => {
    const { context, page } = await newContext(browser);
    try {
      await login(page, app, 'master-rao');
      // The Certification Authority delivers 600 more smart cards: seven pages in all.
      const csv = path.join(work, 'consegna-600.csv');
      let rows = 'seriale;tipo;lotto\n';
      for (let i = 0; i < 600; i += 1) rows += `7420000001${String(i).padStart(6, '0')};SMART CARD;L-2026-12\n`;
      writeFileSync(csv, rows);
      await page.goto(`${app.baseUrl}/devices`);
      await page.setInputFiles('[data-testid="delivery-form"] input[type="file"]', csv);
      await page.locator('[data-testid="delivery-form"] button[type="submit"]').click();
      await page.waitForLoadState('load');
      await page.goto(`${app.baseUrl}/devices`);
      assert.equal(await page.locator('[data-testid="devices"] tbody tr').count(), 100);
      const pager = page.locator('nav[data-testid="pager"]');
      assert.equal(await pager.locator('a[rel="prev"]').count(), 0, 'the first page has no previous page');
      await pager.locator('a[rel="next"]').click();
      await page.waitForURL(/\/devices\?after=/);
      assert.equal(await pager.locator('a[rel="prev"]').count(), 1);
      assert.equal(await page.locator('[data-testid="devices"] tbody tr').count(), 100);
      await shootBothWidths(page, '01-devices-page-2');

      // A filter is a GET form: its value stays in the page links.
      await page.selectOption('#state', 'in_cabinet');
      await page.locator('#devices ~ form button[type="submit"]').click();
      await page.waitForURL(/state=in_cabinet/);
      const links = await page.locator('nav[data-testid="pager"] a.page-link').evaluateAll(
        (as) => as.map((a) => a.getAttribute('href')),
      );
      for (const href of links) assert.match(href, /state=in_cabinet/);

      await page.goto(`${app.baseUrl}/devices?after=nonsense`);
      assert.equal(await page.locator('[data-testid="devices"] tbody tr').count(), 100);
      assert.equal(await pager.locator('a[rel="prev"]').count(), 0, 'a bad cursor is the first page');
    } finally {
      await context.close();
    }

    const auditor = await newContext(browser);
    try {
      await login(auditor.page, app, 'auditor');
      await auditor.page.goto(`${app.baseUrl}/audit`);
      assert.ok((await auditor.page.locator('[data-testid="audit-results"] tbody tr').count()) > 0);
      await shootBothWidths(auditor.page, '02-audit');
    } finally {
      await auditor.context.close();
    }
  });

  it('shows each role the work waiting, with counts that match the lists', async () => {
    for (const role of ['master-rao', 'officer', 'company', 'chamber-admin']) {
      const { context, page } = await newContext(browser);
      try {
        await login(page, app, role);
        const cards = page.locator('[data-testid="work-waiting"] a');
        assert.ok((await cards.count()) > 0, `${role} has work cards`);
        await shootBothWidths(page, `03-home-${role}`);
        // Every card's number is the count its list shows.
        const targets = await cards.evaluateAll((as) =>
          as.map((a) => ({ href: a.getAttribute('href'), count: a.querySelector('[data-count]').dataset.count })),
        );
        for (const { href, count } of targets) {
          if (href.includes('#')) continue;
          if (href.startsWith('/appointments')) continue;
          await page.goto(`${app.baseUrl}${href}`);
          const counted = page.locator('[data-testid="list-count"]');
          if ((await counted.count()) > 0) {
            const line = await counted.innerText();
            assert.ok(line.startsWith(`${count} `), `${role}: ${href} says ${line}, the home ${count}`);
          } else {
            // A keyset list has no count: its rows, each linking to a practice, an operator or
            // a user, are the count.
            const shown = await page
              .locator(
                'table tbody tr td:first-child a[href*="/practices/"], table tbody tr td a[href^="/ra/operators/"], table tbody tr td a[href^="/admin/users/"]',
              )
              .count();
            assert.equal(String(shown), count, `${role}: ${href} shows ${shown}, the home ${count}`);
          }
        }
      } finally {
        await context.close();
      }
    }
  });

  it('shows the operators and the managed users a page at a time', async () => {
    const master = await newContext(browser);
    try {
      await login(master.page, app, 'master-rao');
      await master.page.goto(`${app.baseUrl}/ra/operators`);
      const names = await master.page
        .locator('[data-testid="ra-operators"] tbody td a[href^="/ra/operators/"]')
        .allInnerTexts();
      assert.ok(names.length > 0, 'the demo chamber has operators');
      await shootBothWidths(master.page, '04-ra-operators');
    } finally {
      await master.context.close();
    }
    const admin = await newContext(browser);
    try {
      await login(admin.page, app, 'chamber-admin');
      await admin.page.goto(`${app.baseUrl}/admin/users`);
      assert.ok((await admin.page.locator('[data-testid="admin-users"] tbody tr').count()) > 0);
      await admin.page.goto(`${app.baseUrl}/admin/users?after=nonsense`);
      assert.ok((await admin.page.locator('[data-testid="admin-users"] tbody tr').count()) > 0, 'a bad cursor is the first page');
      await shootBothWidths(admin.page, '05-admin-users');
    } finally {
      await admin.context.close();
    }
  });
});
