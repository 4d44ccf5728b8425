// Revocations that reach people and devices (RA procedure, part 1, "Procedura di revoca ODR"):
// the office prepares the revocation notice of the demo ODR, which holds consigned devices, and
// the Manager signs it in his queue, which revokes the ODR; the notice goes out by e-mail to the
// ODR's contact and the operator page lists what was sent and the recall of every consigned
// device. Each device comes back by two people (the Master
// RAO records it, the RAO confirms it into the cabinet); the last one is lost and written off
// with the usual two-person write-off; the recall closes and the statistics count it.
// Screenshots at 1366 and 390 px land in e2e/output/ra_recall/.
//
// Page contract:
//   /ra/operators/{id}  form [data-testid=prepare-revocation_notice] (input[name=reason],
//                       input[name=document]); [data-testid=ra-state]; [data-testid=ra-mails] (the e-mails);
//                       [data-testid=recall] with [data-testid=recall-status],
//                       [data-testid=recall-devices] rows tr[data-serial] holding
//                       [data-testid=recall-report] (with input[name=note]) or
//                       [data-testid=recall-confirm], and a link to the device's write-off;
//                       [data-testid=recall-settlement]
//   /ra/manager         [data-testid=ra-manager-request] with form [data-testid=ra-manager-sign]
//                       (input[name=signed]); [data-testid=ra-manager-done]
//   /devices/stats      [data-testid=stats-recalls] with [data-testid=recalls-returned|recalls-missing]
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths, watchRequests } from './lib/browser.mjs';
import { login } from './lib/flows.mjs';
import { repoRoot } from './lib/paths.mjs';

const FIXTURES = path.join(repoRoot, 'crates/sportello-core/tests/fixtures/ra');
const UNSIGNED = path.join(FIXTURES, 'comunicazione-revoca.pdf');
const NOTICE = path.join(FIXTURES, 'revocation_notice.pdf');
const ODR = { name: 'STUDIO RIVA & ASSOCIATI S.R.L.', email: 'odr@demo.sportello.test' };

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

/** Waits for an e-mail file to `to` containing `text`; returns its text. */
async function mailTo(to, text) {
  for (let i = 0; i < 60; i += 1) {
    for (const f of files(path.join(app.dataDir, 'mail'))) {
      const body = readFileSync(f, 'utf8').replace(/=\r?\n/g, '');
      if (body.includes(to) && body.includes(text)) return body;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no e-mail to ${to} with "${text}" arrived`);
}

async function open(page, url) {
  await page.goto(url);
  await page.waitForLoadState('load');
}

describe('device recall of a revoked ODR', () => {
  it('revokes an ODR with consigned devices and takes the recall through to closed', async () => {
    const { context: master, page } = await newContext(browser);
    const { context: rao, page: second } = await newContext(browser);
    const requests = await watchRequests(master, app.baseUrl);
    try {
      await login(page, app, 'master-rao');
      await login(second, app, 'rao');
      await open(page, `${app.baseUrl}/ra/operators`);
      await page.getByRole('link', { name: ODR.name }).first().click();
      await page.waitForLoadState('load');
      const odrUrl = page.url().split('?')[0];

      // The office prepares the revocation notice with the reason; the Manager signs it.
      const notice = page.locator('[data-testid="prepare-revocation_notice"]');
      await notice.locator('input[name="reason"]').fill('Perdita dei requisiti');
      await notice.locator('input[name="document"]').setInputFiles(UNSIGNED);
      await notice.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      const { context: dirigente, page: signer } = await newContext(browser);
      try {
        await login(signer, app, 'manager');
        await open(signer, `${app.baseUrl}/ra/manager`);
        const item = signer.locator('[data-testid="ra-manager-request"]');
        await item.locator('input[name="signed"]').setInputFiles({
          name: 'comunicazione-revoca-firmata.pdf',
          mimeType: 'application/pdf',
          buffer: readFileSync(NOTICE),
        });
        await item.locator('[data-testid="ra-manager-sign"] button[type="submit"]').click();
        await signer.locator('[data-testid="ra-manager-done"]').waitFor();
      } finally {
        await dirigente.close();
      }
      await open(page, odrUrl);
      assert.match(await page.locator('[data-testid="ra-state"]').innerText(), /Revocato/);
      assert.match(await page.locator('[data-testid="ra-mails"]').innerText(), /odr@demo\.sportello\.test/);
      const recalled = await page.locator('[data-testid="recall-devices"] tbody tr').count();
      assert.ok(recalled >= 2, `the demo ODR holds devices (${recalled})`);
      await screenshot(page, '01-odr-revoked');

      // The signed notice reaches the ODR's contact, with the devices to return.
      const mail = await mailTo(ODR.email, 'Comunicazione di revoca');
      assert.match(mail, /comunicazione-revoca-firmata\.pdf/, 'the signed notice is attached');

      await open(page, odrUrl);
      const rows = page.locator('[data-testid="recall-devices"] tbody tr');
      assert.equal(await rows.count(), recalled, 'one row per recalled device');
      assert.match(await page.locator('[data-testid="recall-status"]').innerText(), /Aperto/);
      await page.locator('[data-testid="ra-mails"]').waitFor();
      await screenshotWidths(page, '02-recall-open');
      const serials = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.serial));

      // Every device but the last comes back: recorded by one person, confirmed by another,
      // on the recall's page (the RAO finds it from the inventory page).
      let recallUrl = null;
      for (const serial of serials.slice(0, -1)) {
        if (recallUrl) await open(page, recallUrl);
        const row = page.locator(`tr[data-serial="${serial}"]`);
        await row.locator('input[name="note"]').fill('Riconsegnato allo sportello');
        await row.locator('[data-testid="recall-report"]').click();
        await page.waitForLoadState('load');
        recallUrl = page.url().split('?')[0];
        assert.match(recallUrl, /\/ra\/recalls\//);
        const mine = page.locator(`tr[data-serial="${serial}"]`);
        assert.equal(await mine.locator('[data-testid="recall-confirm"]').count(), 0, 'the recorder cannot confirm');
        assert.match(await mine.innerText(), /conferma di un'altra persona/);
        if (serial === serials[0]) {
          await open(second, `${app.baseUrl}/devices`);
          await second.locator('[data-testid="open-recall"]').first().click();
          await second.waitForLoadState('load');
          await screenshotWidths(second, '03-return-to-confirm');
        } else {
          await open(second, recallUrl);
        }
        await second.locator(`tr[data-serial="${serial}"] [data-testid="recall-confirm"]`).click();
        await second.waitForLoadState('load');
        assert.match(await second.locator(`tr[data-serial="${serial}"]`).innerText(), /Restituito/);
      }

      // The last one is lost: written off by two people from its own page.
      await open(page, odrUrl);
      const last = serials[serials.length - 1];
      await page.locator(`tr[data-serial="${last}"] a[href*="/devices/d/"]`).click();
      await page.waitForLoadState('load');
      const form = page.locator('[data-testid="write-off-form"]');
      await form.locator('label[for="wo-mark_lost"]').click();
      await form.locator('#wo-reason').fill("L'ODR dichiara di averlo smarrito");
      await form.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      await open(second, `${app.baseUrl}/devices`);
      await second.locator('[data-testid="write-off-pending"] [data-testid="approve-write-off"]').first().click();
      await second.waitForLoadState('load');

      await open(page, odrUrl);
      assert.match(await page.locator('[data-testid="recall-status"]').innerText(), /Chiuso/);
      assert.match(await page.locator(`tr[data-serial="${last}"]`).innerText(), /Scaricato/);
      assert.match(await page.locator('[data-testid="recall-settlement"]').innerText(), /€/);
      await screenshotWidths(page, '04-recall-closed');

      await open(page, `${app.baseUrl}/devices/stats`);
      assert.equal((await page.locator('[data-testid="recalls-returned"]').innerText()).trim(), String(recalled - 1));
      assert.equal((await page.locator('[data-testid="recalls-missing"]').innerText()).trim(), '1');
      await screenshotWidths(page, '05-stats');

      assert.deepEqual(requests.external, [], 'pages load nothing from other hosts');
      assert.deepEqual(requests.brokenAssets, [], 'every asset loads');
    } catch (error) {
      await screenshot(page, 'failed').catch(() => {});
      await screenshot(second, 'failed-second').catch(() => {});
      throw error;
    } finally {
      await master.close();
      await rao.close();
    }
  });
});
