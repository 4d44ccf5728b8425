// Registration authority, periodic checks (RA procedure, part 1, "Verifiche periodiche"): the
// device deliveries not recorded correctly are shown fifty a page, and the yearly checks of
// the self-declarations five years a page, older years reachable. Screenshots land in
// e2e/output/ra_checks_bounds/.
//
// Page contract:
//   /ra/checks  section#deliveries: [data-testid=ra-delivery-anomalies] with one <li> per
//               anomaly, fifty a page, [data-testid=pager] with rel=next / rel=prev links
//               (?deliveries_after= / ?deliveries_before=);
//               section#selfchecks: [data-testid=ra-self-check] cards, five years a page,
//               [data-testid=ra-self-checks-recent] on the first page when older ones follow,
//               [data-testid=pager] with "Anni precedenti" (rel=next) / "Anni più recenti"

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { login } from './lib/flows.mjs';
import { runSql } from './lib/plant.mjs';

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

/** Sixty devices of one of the master RAO's operators, personalised, never delivered; and
 * eight yearly checks of earlier years. */
function plant() {
  const email = app.logins.get('master-rao').email.replaceAll("'", "''");
  const chamber = `(SELECT chamber_id FROM users WHERE email = '${email}')`;
  const operator = `(SELECT MIN(id) FROM ra_operators WHERE chamber_id = ${chamber})`;
  const der = process.env.SPORTELLO_E2E_DATABASE_URL ? "'\\x00'::bytea" : "X'00'";
  const at = '2026-11-02T08:00:00.000000Z';
  const rows = [
    'INSERT INTO dev_deliveries (id, chamber_id, filename, sha256, devices, created_by, created_at) ' +
      `SELECT 'e2e-delivery', ${chamber}, 'consegna.csv', 'x', 60, 'e2e', '${at}';`,
  ];
  for (let i = 0; i < 60; i += 1) {
    const serial = `E2E-${String(i).padStart(3, '0')}`;
    rows.push(
      'INSERT INTO dev_devices (id, chamber_id, serial, kind, batch, delivery_id, state, ' +
        'holder_operator_id, delivered_on, updated_at) ' +
        `SELECT 'e2e-dev-${serial}', ${chamber}, '${serial}', 'smart_card', 'L1', 'e2e-delivery', ` +
        `'in_operator_box', ${operator}, '2026-11-01', '${at}';`,
      'INSERT INTO iss_certificates (id, chamber_id, device_serial, purpose, holder_tax_code, ' +
        'subject, not_before, not_after, der, revoked_at, created_at) ' +
        `SELECT 'e2e-cert-${serial}', ${chamber}, '${serial}', 'authentication', ` +
        `'RSSMRA80A01H501U', 'CN=e2e', '${at}', '${at}', ${der}, NULL, '${at}';`,
    );
  }
  for (let year = 2015; year <= 2022; year += 1) {
    rows.push(
      'INSERT INTO ra_self_checks (id, chamber_id, year, seed, sample_size, population, sample, ' +
        'drawn_at, drawn_by) ' +
        `SELECT 'e2e-check-${year}', ${chamber}, ${year}, '42', 1, '["' || ${operator} || '"]', ` +
        `'["' || ${operator} || '"]', '${year}-01-15T09:00:00.000000Z', 'Master RAO';`,
    );
  }
  runSql(app, rows.join('\n'));
}

describe('registration authority, periodic checks a page at a time', () => {
  it('shows the delivery anomalies fifty a page and the older yearly checks', async () => {
    const { page } = await newContext(browser);
    try {
      await login(page, app, 'master-rao');
      plant();
      await page.goto(`${app.baseUrl}/ra/checks`);
      const deliveries = page.locator('section[aria-labelledby="deliveries"] [data-testid="ra-delivery-anomalies"] li');
      assert.equal(await deliveries.count(), 50);
      const first = await deliveries.allTextContents();
      const cards = page.locator('[data-testid="ra-self-check"]');
      assert.equal(await cards.count(), 5);
      assert.equal(await page.locator('[data-testid="ra-self-checks-recent"]').count(), 1);
      await screenshotWidths(page, 'checks-page-1');

      const deliveriesPager = page.locator('section[aria-labelledby="deliveries"] [data-testid="pager"]');
      await deliveriesPager.locator('a[rel="next"]').click();
      await page.waitForLoadState('load');
      const second = await deliveries.allTextContents();
      assert.ok(second.length >= 10 && second.length < 50, `${second.length} on the second page`);
      assert.ok(second.every((t) => !first.includes(t)), 'no anomaly shown twice');
      await screenshotWidths(page, 'deliveries-page-2');
      await deliveriesPager.locator('a[rel="prev"]').click();
      await page.waitForLoadState('load');
      assert.deepEqual(await deliveries.allTextContents(), first);

      const yearsPager = page.locator('section[aria-labelledby="selfchecks"] [data-testid="pager"]');
      const years = async () =>
        (await cards.locator('h3').allTextContents()).map((t) => Number(t.trim().slice(0, 4)));
      const recent = await years();
      await yearsPager.locator('a[rel="next"]').click();
      await page.waitForLoadState('load');
      const older = await years();
      assert.ok(older.length > 0 && Math.max(...older) < Math.min(...recent), `${older} after ${recent}`);
      assert.equal(await page.locator('[data-testid="ra-self-checks-recent"]').count(), 0);
      assert.deepEqual(await deliveries.allTextContents(), first, 'the deliveries keep their page');
      await screenshotWidths(page, 'older-years');
      await page.setViewportSize({ width: 390, height: 900 });
      await page.reload({ waitUntil: 'load' });
      const yearly = page.locator('[data-testid="ra-self-check"] .table-responsive');
      for (let i = 0; i < (await yearly.count()); i++) {
        const overflow = await yearly.nth(i).evaluate((el) => el.scrollWidth - el.clientWidth);
        assert.ok(overflow <= 0, `yearly check ${i}: no sideways scroll at 390 px (${overflow} px)`);
      }
      assert.ok(await page.locator('[data-testid="ra-self-check-stacked"]').first().isVisible(), 'the outcome under the name at 390 px');
      assert.ok(await page.locator('[data-testid="ra-self-check"] button[type="submit"]').first().isVisible(), 'the record button on screen');
    } catch (e) {
      await screenshot(page, 'failed').catch(() => {});
      throw e;
    }
  });
});
