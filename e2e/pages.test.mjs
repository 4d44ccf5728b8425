// Every page of every role, at a laptop (1366 px) and a phone (390 px) width, passes the
// checks of lib/checks.mjs:
//   - no serious or critical axe-core violation;
//   - every visible form control has a visible border or underline;
//   - no label's box covers the box of other text;
//   - at 390 px the page does not scroll sideways, and the menu toggle opens the menu;
//   - no certificate subject, ISO date or snake_case code in the visible text of <main>.
//
// The pages of a role are found as a person finds them: its home, the links of its menu and
// of its home, then the pages these lead to (one of each kind: the first practice, operator,
// device, audit entry… of a list). Screenshots of every page at both widths in
// e2e/output/pages/, named <role>-<path>-<width>.png, for a person to look at.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROLES, startApp } from './lib/app.mjs';
import { launch, newContext, screenshot } from './lib/browser.mjs';
import {
  axeViolations,
  controlsWithoutBorder,
  labelOverlaps,
  menuToggleProblems,
  sidewaysScroll,
  technicalWords,
  visibleWords,
} from './lib/checks.mjs';
import {
  attach, completeProfile, fillCertificate, linkFromMail, login, smallPdf, startModel, uploadSigned,
} from './lib/flows.mjs';

let app;
let browser;

before(async () => {
  app = await startApp();
  ({ browser } = await launch());
  await practiceInCharge();
  await issuanceOpened();
});

/**
 * The demo has no practice: the company sends a certificate of origin and the officer takes
 * it in charge, so the pages of a model, of a practice (the company's and the desk's) and of
 * the officer's actions on it are opened too.
 */
async function practiceInCharge() {
  const company = await newContext(browser);
  const officer = await newContext(browser);
  try {
    const c = company.page;
    await login(c, app, 'company');
    await completeProfile(c, app);
    await startModel(c, app, 'certificate_of_origin');
    await fillCertificate(c);
    await uploadSigned(c, 'certificate');
    await attach(c, smallPdf('fattura.pdf'), 'Fattura 2026/118', 'invoice');
    await c.click('[data-testid="send"]');
    await c.locator('[data-testid="notice"]').waitFor();
    const id = c.url().split('?')[0].split('/').pop();

    const o = officer.page;
    await login(o, app, 'officer');
    await o.goto(`${app.baseUrl}/desk/practices/${id}`);
    await o.click('[data-testid="take"]');
    await o.locator('[data-testid="approve"]').waitFor();
  } finally {
    await company.context.close();
    await officer.context.close();
  }
}

after(async () => {
  await browser?.close();
  await app?.stop();
});

/**
 * The demo has no appointment either: a person books one at the Genova desk and confirms it
 * from the e-mail, and the RAO opens its issuance, so the day's list, the session page and
 * the pages the applicant reaches from the e-mail are opened too.
 */
async function issuanceOpened() {
  const applicant = await newContext(browser);
  const operator = await newContext(browser);
  try {
    const a = applicant.page;
    await a.goto(`${app.baseUrl}/book/GE-GENOVA`);
    await a.locator('[data-testid="slot"]').first().click();
    await a.fill('#given_name', 'Giulia');
    await a.fill('#surname', 'Bianchi');
    await a.fill('#tax_code', 'BNCGLI80A41D969H');
    await a.fill('#birth_date', '1980-01-01');
    await a.fill('#birth_place', 'Genova');
    await a.fill('#email', 'giulia.bianchi@example.it');
    await a.fill('#phone', '3331234567');
    await a.click('[data-testid="book"]');
    await a.locator('[data-testid="booked"]').waitFor();
    const confirm = await linkFromMail(app.dataDir, '/book/confirm/');
    await a.goto(`${app.baseUrl}${confirm}`);
    await a.click('[data-testid="confirm"]');
    await a.locator('[data-testid="confirmed"]').waitFor();
    KNOWN.anonymous.push(confirm);
    const cancel = await linkFromMail(app.dataDir, '/book/cancel/').catch(() => null);
    if (cancel) KNOWN.anonymous.push(cancel);

    await a.goto(`${app.baseUrl}${confirm}`);
    const [d, m, y] = (await a.locator('dd').first().innerText()).trim().split(' ')[0].split('/');
    const o = operator.page;
    await login(o, app, 'rao');
    await o.goto(`${app.baseUrl}/appointments?desk=GE-GENOVA&date=${y}-${m}-${d}`);
    await o.locator('[data-testid="start-issuance"]').first().click();
    await o.waitForURL(/\/issuance\/[0-9a-f-]+$/);
  } finally {
    await applicant.context.close();
    await operator.context.close();
  }
}

// Pages a role reaches other than by its menu or home: the account page behind the user's
// name, and the public pages an anonymous visitor is told about by e-mail, on paper or at the
// desk (the customer-facing screen); the setup adds the links of the booking's e-mails.
const KNOWN = {
  anonymous: ['/login', '/verify', '/book', '/password/forgot', '/screen'],
  signedIn: ['/account'],
};

// Pages of one kind at most, per role: enough to open every kind of page, few enough to keep
// the run within a few minutes on a small machine.
const MAX_PAGES = 40;

/** A path's kind: ids, tokens, numbers and codes replaced, so one page of each kind is opened. */
function shape(href) {
  return href
    .split('#')[0]
    .split('?')[0]
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/g, ':id')
    .replace(/\/[A-Za-z0-9_-]{20,}(?=\/|$)/g, '/:token')
    .replace(/\/[A-Z0-9-]*\d[A-Z0-9-]*(?=\/|$)/g, '/:n')
    .replace(/\/[A-Z][A-Z0-9-]+(?=\/|$)/g, '/:code');
}

/** The links of the page to other pages of the site, in the header menu and in <main>. */
async function linksOf(page) {
  const hrefs = await page.evaluate(() =>
    [...document.querySelectorAll('header a[href^="/"], main a[href^="/"]')].map((a) => a.getAttribute('href')),
  );
  return hrefs.filter(
    (h) =>
      h &&
      !h.startsWith('/lang/') &&
      !h.startsWith('/logout') &&
      !h.startsWith('/assets/') &&
      !/\.(pdf|csv|xlsx|p7m|xml|png|zip|json)$/.test(h.split('?')[0]) &&
      !/\/(xml|signed|download)(\/|$)/.test(h.split('?')[0]),
  );
}

function fileName(role, href) {
  const p = shape(href).replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');
  return `${role}-${p || 'home'}`;
}

/** Opens `href` at `width`; true when it is an HTML page of the site (not a download). */
async function open(page, href, width) {
  await page.setViewportSize({ width, height: 900 });
  let response;
  try {
    response = await page.goto(`${app.baseUrl}${href}`, { waitUntil: 'load' });
  } catch {
    return false; // a download, not a page
  }
  if (!response || response.status() !== 200) return false;
  return (response.headers()['content-type'] ?? '').startsWith('text/html');
}

/** Everything wrong with the page as shown now at `width`. */
async function problemsOf(page, width) {
  const problems = [];
  problems.push(...(await axeViolations(page)));
  problems.push(...(await controlsWithoutBorder(page)));
  problems.push(...(await labelOverlaps(page)));
  problems.push(...technicalWords(await visibleWords(page, 'main')));
  if (width <= 390) {
    const extra = await sidewaysScroll(page);
    if (extra > 0) problems.push(`the page scrolls sideways by ${extra} px`);
  }
  return problems;
}

describe('the checks', () => {
  it('catch what they look for, on a page made to fail each of them', async () => {
    const { context, page } = await newContext(browser);
    try {
      await page.setViewportSize({ width: 390, height: 900 });
      await page.setContent(`<!DOCTYPE html><html lang="it"><head><title>Prova</title></head><body>
        <header><nav aria-label="Menu"><ul id="nav-main"><li><a class="nav-link" href="/x">Voce</a></li></ul></nav></header>
        <main><h1>Prova</h1>
          <p>Un paragrafo introduttivo.</p>
          <label for="a" style="display:block;margin-top:-1.5em">Etichetta sopra</label>
          <input id="a" style="border:none">
          <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
          <p>CN=Mario Rossi, 2026-12-06, user_login</p>
          <div style="width:900px">Una riga troppo larga</div>
        </main></body></html>`);
      const axe = await axeViolations(page);
      assert.ok(axe.some((v) => v.includes('image-alt')), `axe finds the image without text: ${axe}`);
      assert.deepEqual(await controlsWithoutBorder(page), ['input#a (type text) has no border or underline']);
      assert.ok((await labelOverlaps(page)).some((o) => o.includes('Un paragrafo')), 'the label covers the paragraph');
      assert.ok((await sidewaysScroll(page)) > 0, 'the page scrolls sideways');
      assert.deepEqual(await menuToggleProblems(page), ['the menu has no visible toggle']);
      const words = technicalWords(await visibleWords(page, 'main')).map((w) => w.split(' "')[0]);
      assert.deepEqual(words, ['a certificate subject', 'an ISO date', 'a snake_case code']);
    } finally {
      await context.close();
    }
  });
});

describe('every page of every role', () => {
  for (const role of ['anonymous', ...ROLES]) {
    it(`${role}: accessible, readable and usable at 1366 and 390 px`, async (t) => {
      // The site's Content-Security-Policy refuses inline scripts, axe-core's included.
      const { context, page } = await newContext(browser, { bypassCSP: true });
      const problems = [];
      const opened = [];
      let menus = 0;
      try {
        if (role !== 'anonymous') await login(page, app, role);
        const seen = new Set();
        let queue = ['/', ...(role === 'anonymous' ? KNOWN.anonymous : KNOWN.signedIn)];
        // Depth 0: home and the known pages; 1: what their menu and body link to; 2: the
        // pages those lead to (details of a list's first item, forms of a section); 3: the
        // pages of a detail (the confirmation page of an action on a practice, say).
        for (let depth = 0; depth < 4 && queue.length > 0; depth += 1) {
          const next = [];
          for (const href of queue) {
            const kind = shape(href);
            if (seen.has(kind) || seen.size >= MAX_PAGES) continue;
            seen.add(kind);
            for (const width of [1366, 390]) {
              if (!(await open(page, href, width))) break;
              if (width === 1366) {
                opened.push(href);
                next.push(...(await linksOf(page)));
              }
              for (const p of await problemsOf(page, width)) problems.push(`${href} at ${width} px, as ${role}: ${p}`);
              await screenshot(page, `${fileName(role, href)}-${width}`);
              if (width === 390) {
                if ((await page.locator('#nav-main a.nav-link').count()) > 0) menus += 1;
                for (const p of await menuToggleProblems(page)) problems.push(`${href} at 390 px, as ${role}: ${p}`);
              }
            }
          }
          queue = next;
        }
      } finally {
        await context.close();
      }
      t.diagnostic(`${opened.length} pages: ${opened.join(' ')}`);
      assert.ok(opened.length > 1, `${role} sees more than one page`);
      if (role !== 'anonymous') assert.ok(menus > 0, `${role} has a menu`);
      assert.deepEqual(problems, [], `every page of ${role} passes the checks`);
    });
  }
});
