// Lists with counts and pages, and the work waiting on the role homes. Screenshots at a laptop
// (1366 px) and a phone (390 px) width in e2e/output/lists/.
//
// Page contract:
//   every paged list   [data-testid=list-count] ("640 dispositivi · Pagina 2 di 7") above the
//                      table, and below it nav[data-testid=pager] with the page links, the
//                      current one aria-current="page"; links keep the filters (?state=…&page=N)
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
      const count = await page.locator('[data-testid="list-count"]').innerText();
      const m = /^(\d+) dispositivi · Pagina 1 di (\d+)$/.exec(count.trim());
      assert.ok(m, `the devices say how many there are: ${count}`);
      const [total, pages] = [Number(m[1]), Number(m[2])];
      assert.ok(total > 100 && pages === Math.ceil(total / 100));
      const pager = page.locator('nav[data-testid="pager"]');
      await pager.locator('a[rel="next"]').click();
      await page.waitForURL(/\/devices\?page=2$/);
      assert.match(await pager.locator('[aria-current="page"]').innerText(), /\b2$/);
      assert.match(await page.locator('[data-testid="list-count"]').innerText(), new RegExp(`Pagina 2 di ${pages}$`));
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

      await page.goto(`${app.baseUrl}/devices?page=nonsense`);
      assert.match(await page.locator('[data-testid="list-count"]').innerText(), /Pagina 1 di/);
    } finally {
      await context.close();
    }

    const auditor = await newContext(browser);
    try {
      await login(auditor.page, app, 'auditor');
      await auditor.page.goto(`${app.baseUrl}/audit`);
      assert.match(
        await auditor.page.locator('[data-testid="list-count"]').innerText(),
        /^\d+ registrazion[ei]/,
      );
      await shootBothWidths(auditor.page, '02-audit');
    } finally {
      await auditor.context.close();
    }
  });

  it('shows each role the work waiting, with counts that match the lists', async () => {
    for (const role of ['master-rao', 'officer', 'company']) {
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
          const line = await page.locator('[data-testid="list-count"]').innerText();
          assert.ok(line.startsWith(`${count} `), `${role}: ${href} says ${line}, the home ${count}`);
        }
      } finally {
        await context.close();
      }
    }
  });
});
