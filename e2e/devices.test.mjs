// Registration authority, part 2: an applicant books an appointment on the public page with
// pre-registration; the RAO opens the issuance from the day view, verifies the data, scans the
// identity document and picks a card from the box; the applicant follows on a second browser
// page (the customer-facing screen, paired at the start), accepts the clauses and types the OTP
// received by e-mail, while each page follows what the other does without being reloaded;
// the card is personalised by the local test CA, the holder is printed and the card handed
// over; the encrypted scan is then gone from the blob store. Screenshots in e2e/output/devices/.
//
// Page contract:
//   /book/{desk}              [data-testid=slot] links; /book/{desk}/form has the applicant fields
//                             (#given_name, #surname, #tax_code, #birth_date, …) and [data-testid=book]
//   /book/confirm/{token}     the link of the e-mail: [data-testid=confirm] while pending, then
//                             [data-testid=confirmed|already-confirmed|expired]
//   /appointments             [data-testid=start-issuance] per booked appointment
//   /issuance/{id}            [data-testid=stepper] with [data-testid=stage-N] (the current one
//                             aria-current="step"), [data-testid=iss-state], [data-testid=pairing-code]
//                             then [data-testid=screen-paired], forms with
//                             [data-testid=verify|scan|assign|send-otp|personalise|hand-over],
//                             [data-testid=clauses-count], [data-testid=holder] link,
//                             [data-testid=done]; it follows the session by itself (htmx polling)
//   /screen                   #code + [data-testid=pair]; /screen/session (no site header:
//                             [data-testid=chamber], the stepper, [data-testid=screen-todo]) polls its
//                             panel: [data-testid=accept-N], #otp-code + [data-testid=otp-submit],
//                             [data-testid=otp-ok], [data-testid=screen-ended]
//   /devices/d/{id}           [data-testid=write-off-form] (radio name=move, #wo-reason),
//                             [data-testid=notice], [data-testid=device-state], [data-testid=write-offs]
//   /devices                  [data-testid=write-offs] rows [data-testid=write-off-<status>] with
//                             [data-testid=approve-write-off] for anyone but the reporter;
//                             [data-testid=withdrawals]; who asked and who decided by name
//   /devices/odr              table [data-testid=odrs]: below md the ODR's name and its balance,
//                             the rest stacked under the name ([data-testid=odr-stacked])
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths, watchRequests } from './lib/browser.mjs';
import { sidewaysScroll, wrapperOverflow } from './lib/checks.mjs';
import { login, pdfText, smallPdf, work } from './lib/flows.mjs';
import { outputDir } from './lib/paths.mjs';

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

/** Every file under `dir`, recursively. */
function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Waits for an e-mail file (the demo writes .eml files) containing the OTP; returns it. */
async function otpFromMail(dataDir, seen) {
  for (let i = 0; i < 60; i += 1) {
    for (const f of files(path.join(dataDir, 'mail'))) {
      if (seen.has(f)) continue;
      const text = readFileSync(f, 'utf8').replace(/=\r?\n/g, '');
      const m = /OTP (?:è|=C3=A8) (\d{6})/.exec(text);
      if (m) return m[1];
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('no OTP e-mail arrived');
}

/** Waits for an e-mail file containing a link starting with `prefix`; returns its path part. */
async function linkFromMail(dataDir, prefix) {
  for (let i = 0; i < 60; i += 1) {
    for (const f of files(path.join(dataDir, 'mail'))) {
      const text = readFileSync(f, 'utf8').replace(/=\r?\n/g, '');
      const at = text.indexOf(prefix);
      if (at >= 0) return /^[A-Za-z0-9/_-]+/.exec(text.slice(at))[0];
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no e-mail with ${prefix} arrived`);
}

/**
 * Counts what a person does by hand on a page: clicks (a button, a link, a choice) and
 * reloads. Typing is not counted: the same fields are filled whatever the page does.
 */
function counted(page) {
  const count = { clicks: 0, reloads: 0 };
  return {
    count,
    click: async (selector) => {
      count.clicks += 1;
      await page.click(selector);
    },
    clickOn: async (locator) => {
      count.clicks += 1;
      await locator.click();
    },
    reload: async () => {
      count.reloads += 1;
      await page.reload();
    },
  };
}

/** Waits until the page's stepper marks stage `n` (from 1) as the current step. */
async function stageIs(page, n) {
  await page.locator(`[data-testid="stepper"] [data-testid="stage-${n}"][aria-current="step"]`).waitFor();
  assert.equal(await page.locator('[data-testid="stepper"] [aria-current="step"]').count(), 1);
}

/** Screenshots of a page at desktop (1366 px) and phone (390 px) widths. */
/** Both widths without reloading: the booking pages are answers to a POST. */
async function screenshotAsShown(page, name) {
  const before = page.viewportSize();
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await screenshot(page, `${name}-${width}`);
  }
  if (before) await page.setViewportSize(before);
}

describe('desk issuance', () => {
  it('books, issues with the second screen, prints the holder and deletes the scan', async () => {
    const applicant = await newContext(browser);
    const operator = await newContext(browser);
    const screen = await newContext(browser);
    const requests = await watchRequests(screen.context, app.baseUrl);
    try {
      // 1. The applicant books and pre-registers.
      const page = applicant.page;
      await page.goto(`${app.baseUrl}/book`);
      await page.getByRole('link', { name: 'Genova' }).click();
      await page.locator('[data-testid="slot"]').first().waitFor();
      await screenshot(page, '01-booking-slots');
      await page.locator('[data-testid="slot"]').first().click();
      await page.fill('#given_name', 'Giulia');
      await page.fill('#surname', 'Bianchi');
      await page.fill('#tax_code', 'BNCGLI80A41D969X');
      await page.fill('#birth_date', '1980-01-01');
      await page.fill('#birth_place', 'Genova');
      await page.fill('#email', 'giulia.bianchi@example.it');
      await page.fill('#phone', '3331234567');
      await page.click('[data-testid="book"]');
      let problem = page.locator('[data-testid="problem"]');
      if (await problem.count()) {
        // The tax code's check character is computed by the app: show the error, then fix.
        await screenshot(page, '02-booking-error');
        await page.fill('#tax_code', 'BNCGLI80A41D969H');
        await page.click('[data-testid="book"]');
      }
      await page.locator('[data-testid="booked"]').waitFor();
      await screenshotAsShown(page, '03-booked-pending');
      const bookedUrl = page.url();

      // The slot is held until the applicant confirms from the link in the e-mail.
      const confirmLink = await linkFromMail(app.dataDir, '/book/confirm/');
      await page.goto(`${app.baseUrl}${confirmLink}`);
      await page.locator('[data-testid="confirm"]').waitFor();
      await screenshotAsShown(page, '03a-confirm');
      await page.click('[data-testid="confirm"]');
      await page.locator('[data-testid="confirmed"]').waitFor();
      await screenshotAsShown(page, '03b-confirmed');
      await page.goto(`${app.baseUrl}${confirmLink}`);
      await page.locator('[data-testid="already-confirmed"]').waitFor();
      await screenshotAsShown(page, '03c-already-confirmed');
      await page.goto(`${app.baseUrl}/book/confirm/not-a-real-token`);
      await page.locator('[data-testid="confirm-unknown"]').waitFor();
      await screenshotAsShown(page, '03d-confirm-unknown');
      assert.ok(bookedUrl.includes('/book/GE-GENOVA'));

      // 2. The RAO takes the appointment from the day view.
      const op = operator.page;
      await login(op, app, 'rao');
      await page.goto(`${app.baseUrl}${confirmLink}`);
      const when = (await page.locator('dd').first().innerText()).trim();
      const [d, m, y] = when.split(' ')[0].split('/');
      await op.goto(`${app.baseUrl}/appointments?desk=GE-GENOVA&date=${y}-${m}-${d}`);
      // From here on, every click and reload of the operator and of the applicant is counted.
      // Neither page is ever reloaded by hand: each follows what the other does by itself.
      const opHand = counted(op);
      await opHand.clickOn(op.locator('[data-testid="start-issuance"]').first());
      await op.waitForURL(/\/issuance\/[0-9a-f-]+$/);
      await stageIs(op, 1);
      await screenshotAsShown(op, '04-operator-1-data');

      // 3. The second screen is paired first, by the code on the operator's page; it shows
      // the stage, what to do and the data, and nothing of the site around it.
      const code = (await op.locator('[data-testid="pairing-code"]').innerText()).trim();
      const sc = screen.page;
      await sc.goto(`${app.baseUrl}/screen`);
      assert.equal(await sc.locator('nav, .it-header-wrapper, [data-testid="logout"]').count(), 0, 'no site header');
      await screenshotAsShown(sc, '05-screen-pair');
      await sc.fill('#code', code === '000000' ? '111111' : '000000');
      await sc.click('[data-testid="pair"]');
      await sc.locator('[data-testid="problem"]').waitFor();
      await screenshotAsShown(sc, '05a-screen-pair-wrong-code');
      const scHand = counted(sc);
      await sc.fill('#code', code);
      await scHand.click('[data-testid="pair"]');
      await sc.waitForURL(`${app.baseUrl}/screen/session`);
      assert.match(await sc.locator('[data-testid="chamber"]').innerText(), /Camera di Commercio di Genova/);
      await stageIs(sc, 1);
      assert.match(await sc.locator('[data-testid="screen-data"]').innerText(), /BNCGLI80A41D969H/);
      await screenshotAsShown(sc, '06-screen-1-check-data');
      // The operator's page learns that the screen is paired.
      await op.locator('[data-testid="screen-paired"]').waitFor();

      await op.fill('#birth_place', 'GENOVA');
      await opHand.click('[data-testid="verify"]');
      await op.locator('[data-testid="scan-form"]').waitFor();
      await stageIs(op, 2);
      await screenshotAsShown(op, '07-operator-2-document');
      // The screen shows the corrected data by itself.
      await sc.locator('[data-testid="screen-data"]', { hasText: 'GENOVA' }).waitFor();

      const blobsBefore = new Set(files(path.join(app.dataDir, 'blobs')));
      await op.selectOption('#doc_type', 'carta_identita');
      await op.fill('#doc_number', 'CA98765ZZ');
      await op.fill('#doc_expires_on', '2031-05-31');
      await op.setInputFiles('#file', smallPdf('documento-identita.pdf'));
      await opHand.click('[data-testid="scan"]');
      await op.locator('[data-testid="device-form"]').waitFor();
      await stageIs(op, 3);
      await screenshotAsShown(op, '08-operator-3-device');
      const scanBlobs = files(path.join(app.dataDir, 'blobs')).filter((f) => !blobsBefore.has(f));
      assert.equal(scanBlobs.length, 1, 'the encrypted scan is in the blob store');
      assert.ok(!readFileSync(scanBlobs[0]).includes('Catalog'), 'stored encrypted');
      const serial = (await op.locator('#device_id option').first().innerText()).trim();
      await opHand.click('[data-testid="assign"]');
      await stageIs(op, 4);
      await screenshotAsShown(op, '09-operator-4-waits-for-clauses');

      // The clauses appear on the screen by themselves; the operator sees each one accepted.
      await sc.locator('[data-testid="accept-0"]').waitFor();
      await stageIs(sc, 4);
      await screenshotAsShown(sc, '10-screen-4-clauses');
      for (let n = 0; n < 4; n += 1) {
        await scHand.click(`[data-testid="accept-${n}"]`);
        if (n < 3) {
          await sc.locator(`[data-testid="accepted-${n}"]`).waitFor();
          await op.locator('[data-testid="clauses-count"]', { hasText: `${n + 1}/4` }).waitFor();
        }
      }
      await stageIs(sc, 5);
      await screenshotAsShown(sc, '11-screen-5-waits-for-otp');

      // "Invia l'OTP" appears on the operator's page without reloading it.
      const mailsBefore = new Set(files(path.join(app.dataDir, 'mail')));
      await op.locator('[data-testid="send-otp"]').waitFor();
      await stageIs(op, 5);
      await screenshotAsShown(op, '12-operator-5-send-otp');
      await opHand.click('[data-testid="send-otp"]');
      await op.locator('[data-testid="iss-state"]', { hasText: 'OTP inviato' }).waitFor();
      await screenshotAsShown(op, '13-operator-5-waits-for-otp');
      // Without JavaScript the same page works, with a refresh link instead of the polling.
      const noJs = await browser.newContext({ javaScriptEnabled: false, locale: 'it-IT' });
      try {
        const n = await noJs.newPage();
        await login(n, app, 'rao');
        await n.goto(op.url());
        await n.getByRole('link', { name: 'Aggiorna la pagina' }).waitFor();
        await stageIs(n, 5);
      } finally {
        await noJs.close();
      }
      const otp = await otpFromMail(app.dataDir, mailsBefore);
      // The OTP field appears on the screen by itself; a wrong code is said, nothing lost.
      await sc.locator('#otp-code').waitFor();
      await screenshotAsShown(sc, '14-screen-5-otp');
      await sc.fill('#otp-code', otp === '000000' ? '111111' : '000000');
      await sc.click('[data-testid="otp-submit"]');
      await sc.locator('[data-testid="problem"]').waitFor();
      assert.equal(await sc.locator('#otp-code').getAttribute('aria-invalid'), 'true');
      await screenshotAsShown(sc, '14a-screen-5-otp-wrong');
      await sc.fill('#otp-code', otp);
      await scHand.click('[data-testid="otp-submit"]');
      await sc.locator('[data-testid="otp-ok"]').waitFor();
      await stageIs(sc, 6);
      await screenshotAsShown(sc, '15-screen-6-otp-confirmed');

      // 4. "Personalizza" appears by itself; the holder printed, the card handed over.
      await op.locator('[data-testid="personalise"]').waitFor();
      await stageIs(op, 6);
      await screenshotAsShown(op, '16-operator-6-personalise');
      await opHand.click('[data-testid="personalise"]');
      await op.locator('[data-testid="holder"]').waitFor();
      await stageIs(op, 7);
      await screenshotAsShown(op, '17-operator-7-hand-over');
      await stageIs(sc, 7);
      await screenshotAsShown(sc, '18-screen-7-hand-over');
      const holder = await op.context().request.get(`${app.baseUrl}${await op.locator('[data-testid="holder"]').getAttribute('href')}`);
      assert.equal(holder.status(), 200);
      const holderFile = path.join(work, 'portatessera.pdf');
      writeFileSync(holderFile, await holder.body());
      const text = pdfText(holderFile);
      assert.match(text, /Scadenza dei certificati/);
      assert.match(text, new RegExp(serial));
      assert.match(text, /Assistenza/);
      await opHand.click('[data-testid="hand-over"]');
      await op.locator('[data-testid="done"]').waitFor();
      assert.equal(await op.locator('[data-testid="stepper"] li.confirmed').count(), 7, 'every stage done');
      await screenshotAsShown(op, '19-operator-handed-over');
      const clicks = {
        operator: opHand.count,
        applicant: scHand.count,
        total: opHand.count.clicks + opHand.count.reloads + scHand.count.clicks + scHand.count.reloads,
      };
      console.log(`desk issuance by hand: ${JSON.stringify(clicks)}`);
      writeFileSync(path.join(outputDir(), 'clicks.json'), `${JSON.stringify(clicks, null, 2)}\n`);
      // Before the pages followed the session, the operator reloaded twice (15 gestures).
      assert.equal(opHand.count.reloads + scHand.count.reloads, 0, 'nobody reloads by hand');
      assert.ok(clicks.total <= 13, `at most 13 gestures, not ${clicks.total}`);
      assert.ok(!existsSync(scanBlobs[0]), 'the scan is gone from the blob store');
      await sc.locator('[data-testid="screen-ended"]').waitFor();
      await screenshotAsShown(sc, '20-screen-ended');
      assert.deepEqual(requests.external, [], 'no request leaves the product');
      assert.deepEqual(requests.brokenAssets, []);
    } finally {
      await applicant.context.close();
      await operator.context.close();
      await screen.context.close();
    }
  });

  it('shows the inventory, the ODR accounts, the statistics and the opening plan to the Master RAO', async () => {
    const { context, page } = await newContext(browser);
    try {
      await login(page, app, 'master-rao');
      await page.goto(`${app.baseUrl}/devices`);
      const total = Number((await page.locator('[data-testid="total"]').innerText()).trim());
      assert.ok(total >= 40, 'the demo delivery is counted');
      await screenshot(page, '12-inventory');
      // Who asked for a withdrawal and who approved it, by name: the demo's Master RAO asks,
      // its RAO approves.
      const withdrawals = page.locator('[data-testid="withdrawals"] tbody tr');
      const askedBy = await withdrawals.locator('td:nth-child(5)').allTextContents();
      assert.ok(askedBy.length >= 2, 'the demo withdrawals are listed');
      assert.deepEqual([...new Set(askedBy.map((t) => t.trim()))], ['Luca Galli'], 'who asked, by name');
      const status = await withdrawals.locator('td:nth-child(6)').allTextContents();
      assert.ok(status.every((t) => t.includes('(Sara Costa)')), `who approved, by name: ${status.join(' | ')}`);
      assert.doesNotMatch(await withdrawals.first().innerText(), /@/, 'no e-mail address');
      await screenshotWidths(page, '12b-inventory');
      // On a phone the withdrawals keep the operator and the decision, the rest stacked under
      // the operator (who asked, by name, among it): nothing scrolls sideways.
      await page.setViewportSize({ width: 390, height: 900 });
      await page.reload();
      for (const table of ['withdrawals', 'write-offs']) {
        assert.ok((await wrapperOverflow(page, `[data-testid="${table}"]`)) <= 0, `${table}: no sideways scroll at 390 px`);
      }
      const stackedWithdrawal = await page.locator('[data-testid="withdrawal-stacked"]').first().innerText();
      assert.match(stackedWithdrawal, /Chiesto da:\s*Luca Galli/, stackedWithdrawal);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.reload();
      // The withdrawal form's RAOs, searched by name: a bounded read, never every operator.
      const offered = await page.locator('#operator_id option').allInnerTexts();
      assert.ok(offered.length >= 1, 'a RAO is offered');
      const start = offered[0].slice(0, 3).toLowerCase();
      await page.goto(`${app.baseUrl}/devices?rao=${encodeURIComponent(start)}#operator_id`);
      await page.locator('[data-testid="rao-search"]').waitFor();
      const found = await page.locator('#operator_id option').allInnerTexts();
      assert.ok(found.includes(offered[0]), `${offered[0]} is found by "${start}"`);
      assert.ok(found.every((n) => n.toLowerCase().startsWith(start)), found.join(', '));
      await screenshotWidths(page, '12a-rao-search');
      await page.goto(`${app.baseUrl}/devices/odr`);
      assert.match(await page.locator('[data-testid="odrs"]').innerText(), /STUDIO RIVA/);
      await screenshotWidths(page, '13-odr-accounts');
      // At 1366 px the six columns as before; at 390 px the ODR and its balance, the rest
      // stacked under the name, and nothing to scroll sideways.
      const odrHeaders = page.locator('[data-testid="odrs"] thead th');
      const shownHeaders = async () => {
        const shown = [];
        for (const h of await odrHeaders.all()) if (await h.isVisible()) shown.push((await h.textContent()).trim());
        return shown;
      };
      await page.setViewportSize({ width: 1366, height: 900 });
      await page.reload();
      assert.equal((await shownHeaders()).length, 6, 'six columns at 1366 px');
      assert.equal(await wrapperOverflow(page, '[data-testid="odrs"]'), 0, 'the table fits at 1366 px');
      assert.equal(await page.locator('[data-testid="odr-stacked"]').first().isVisible(), false);
      await page.setViewportSize({ width: 390, height: 900 });
      await page.reload();
      assert.deepEqual(await shownHeaders(), ['ODR', 'Saldo disponibile'], 'two columns at 390 px');
      assert.ok((await wrapperOverflow(page, '[data-testid="odrs"]')) <= 0, 'no sideways scroll in the table at 390 px');
      assert.ok((await sidewaysScroll(page)) <= 0, 'no sideways scroll of the page at 390 px');
      const stacked = page.locator('[data-testid="odr-stacked"]').first();
      assert.ok(await stacked.isVisible(), 'the other columns stacked under the name');
      const details = await stacked.textContent();
      for (const label of ['Può operare:', 'Servizio completo:', 'Trattenuto per dispositivi consegnati:', 'Dispositivi in mano:']) {
        assert.ok(details.includes(label), `"${label}" under the ODR: ${details}`);
      }
      // The consignment's three numbers stack at 390 px, each as wide as the form, with its
      // label on one line above it (three narrow columns wrapped one label and broke the line).
      const formWidth = (await page.locator('[data-testid="consign-form"]').boundingBox()).width;
      const labelHeights = [];
      for (const id of ['c_sc', 'c_tk', 'c_free']) {
        const field = await page.locator(`#${id}`).boundingBox();
        assert.ok(field.width > formWidth * 0.8, `#${id} is ${field.width} px wide in a form of ${formWidth} px`);
        const label = await page.locator(`label[for="${id}"]`).boundingBox();
        labelHeights.push(label.height);
        assert.ok(label.y < field.y, `the label of #${id} starts above its field`);
      }
      assert.equal(new Set(labelHeights).size, 1, `the three labels are as tall (none wraps): ${labelHeights}`);
      // The ODR's account: its ledger says who wrote each entry by name, or "Il sistema" for
      // the demo's own top-up, never by an e-mail or a label.
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${app.baseUrl}/devices/odr`);
      await page.locator('[data-testid="odrs"] a[href^="/devices/odr/"]', { hasText: 'STUDIO RIVA' }).first().click();
      await page.locator('[data-testid="ledger"] tbody tr').first().waitFor();
      const ledger = await page.locator('[data-testid="ledger"]').innerText();
      assert.ok(!ledger.includes('@'), `no e-mail in the ledger: ${ledger}`);
      assert.match(ledger, /Il sistema/, ledger);
      await screenshotWidths(page, '13b-odr-account');
      // At 390 px the entry and its amount, the rest stacked under the entry (who included),
      // and nothing to scroll sideways.
      await page.setViewportSize({ width: 390, height: 900 });
      await page.reload();
      assert.ok((await wrapperOverflow(page, '[data-testid="ledger"]')) <= 0, 'no sideways scroll in the ledger at 390 px');
      assert.ok((await sidewaysScroll(page)) <= 0, 'no sideways scroll of the page at 390 px');
      const stackedEntry = await page.locator('[data-testid="ledger-stacked"]').last().innerText();
      assert.match(stackedEntry, /Chi:\s*Il sistema/, stackedEntry);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${app.baseUrl}/devices/stats`);
      await page.locator('[data-testid="chart"]').waitFor();
      assert.ok((await page.locator('[data-testid="chart"] rect').count()) >= 2, 'the issued device is drawn');
      await screenshot(page, '14-statistics');
      const xlsx = await context.request.get(`${app.baseUrl}/devices/stats.xlsx`);
      assert.equal(xlsx.status(), 200);
      assert.equal((await xlsx.body()).subarray(0, 2).toString(), 'PK', 'a real XLSX (zip) file');
      await page.goto(`${app.baseUrl}/appointments/plan?desk=GE-GENOVA`);
      await screenshot(page, '15-opening-plan');
    } finally {
      await context.close();
    }
  });

  it('a lost device takes two people: the RAO reports it, the Master RAO approves', async () => {
    const rao = await newContext(browser);
    const master = await newContext(browser);
    try {
      // 1. The RAO finds a device in the cabinet and reports it lost, with the reason.
      const op = rao.page;
      await login(op, app, 'rao');
      await op.goto(`${app.baseUrl}/devices?state=in_cabinet`);
      const link = op.locator('[data-testid="devices"] a').first();
      const serial = (await link.innerText()).trim();
      await link.click();
      await op.waitForURL(/\/devices\/d\/[0-9a-f-]+$/);
      const deviceUrl = op.url();
      await op.locator('[data-testid="write-off-form"]').waitFor();
      await screenshotWidths(op, '16-device-write-off-form');
      await op.click('label[for="wo-mark_lost"]');
      assert.ok(await op.isChecked('#wo-mark_lost'));
      await op.fill('#wo-reason', 'Non trovato al controllo dell’armadio del 12/11/2026');
      await op.click('[data-testid="write-off-form"] button[type="submit"]');
      await op.locator('[data-testid="notice"]').waitFor();
      assert.match(await op.locator('[data-testid="notice"]').innerText(), /un’altra persona|un'altra persona/);
      assert.match(await op.locator('[data-testid="device-state"]').innerText(), /Nell'armadio|Nell’armadio/, 'nothing moved yet');
      assert.equal(await op.locator('[data-testid="approve-write-off"]').count(), 0, 'the reporter cannot approve');
      await screenshotWidths(op, '17-device-write-off-reported');

      // 2. The Master RAO sees it among the pending approvals and approves it.
      const mp = master.page;
      await login(mp, app, 'master-rao');
      await mp.goto(`${app.baseUrl}/devices`);
      const row = mp.locator('[data-testid="write-offs"] [data-testid="write-off-pending"]', { hasText: serial });
      await row.waitFor();
      assert.match(await row.innerText(), /Smarrito/);
      // Who reported it, by name (the demo's RAO), not by e-mail address.
      assert.match(await row.innerText(), /Sara Costa/);
      assert.doesNotMatch(await row.innerText(), /@/);
      await mp.locator('[data-testid="write-offs"]').scrollIntoViewIfNeeded();
      await screenshotWidths(mp, '18-pending-approvals');
      await mp.setViewportSize({ width: 390, height: 900 });
      await mp.reload();
      assert.ok((await wrapperOverflow(mp, '[data-testid="write-offs"]')) <= 0, 'the reports fit at 390 px');
      const button = await row.locator('[data-testid="approve-write-off"]').boundingBox();
      assert.ok(button && button.x + button.width <= 390, `the decision is on screen at 390 px: ${JSON.stringify(button)}`);
      assert.match(await row.locator('[data-testid="write-off-stacked"]').innerText(), /Sara Costa/);
      await mp.setViewportSize({ width: 1280, height: 900 });
      await mp.reload();
      await row.locator('[data-testid="approve-write-off"]').click();
      await mp.waitForURL(/ok=write-off-approved/);
      assert.equal(mp.url().split('?')[0], deviceUrl);
      assert.match(await mp.locator('[data-testid="device-state"]').innerText(), /Smarrito/);
      assert.match(await mp.locator('[data-testid="history"]').innerText(), /Segnalato smarrito/);
      // Who moved the device, by name: the fifth column of every line of its history.
      const who = await mp.locator('[data-testid="history"] tbody tr td:nth-child(5)').allInnerTexts();
      assert.ok(who.length > 0 && who.every((t) => t.trim() !== '' && !t.includes('@')), `names, not e-mails: ${who}`);
      assert.ok(who.every((t) => !/^(.+) \+ \1$/.test(t.trim())), `one person is named once: ${who}`);
      await screenshotWidths(mp, '19-device-write-off-approved');
      await mp.setViewportSize({ width: 390, height: 900 });
      await mp.reload();
      assert.ok((await wrapperOverflow(mp, '[data-testid="history"]')) <= 0, 'the history fits at 390 px');
      assert.match(await mp.locator('[data-testid="history-stacked"]').last().innerText(), /Chi:/);
      await mp.setViewportSize({ width: 1280, height: 900 });
    } finally {
      await rao.context.close();
      await master.context.close();
    }
  });
});
