// Forms as Bootstrap Italia means them: a field's label never covers other text, and a form
// sent with mistakes answers with a summary naming each field.
//
// Page contract:
//   every page with a form, as each role that sees it, at 1366 and 390 px: no visible
//   <label>'s box overlaps the box of any visible text in <main> other than its own, and
//   the page is no wider than the window (wide tables scroll inside their own region).
//   an error summary is [data-testid=error-summary], a list of links a[href="#<field id>"],
//   each naming the field by its label; the field has aria-invalid="true".
// Screenshots in e2e/output/forms/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, screenshotWidths } from './lib/browser.mjs';
import { labelOverlaps, technicalWords, visibleWords } from './lib/checks.mjs';
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

// The pages with forms, by the role that sees them (null: an anonymous visitor). A path that
// answers with anything but a page with a label is skipped (another role's page).
const PAGES = {
  anonymous: ['/login', '/verify', '/book'],
  company: ['/account', '/company', '/company/profile', '/models/new', '/practices/new', '/practices', '/wallet'],
  officer: ['/account', '/desk', '/desk/forms', '/dashboard', '/appointments', '/issuance'],
  'chamber-admin': ['/admin/users', '/admin/desks', '/admin/tariffs', '/admin/wallet', '/audit', '/dashboard'],
  'master-rao': ['/ra/operators', '/ra/tree', '/ra/checks', '/ra/convention', '/devices/odr'],
  rao: ['/ra/operators', '/devices', '/devices/free', '/devices/reports', '/devices/stats', 'first-device'],
  odr: ['/devices/reports', '/account'],
  ir: ['/issuance', '/appointments', '/appointments/plan'],
  manager: ['/dashboard', '/devices/stats'],
  auditor: ['/audit'],
};

async function hasLabels(page) {
  return (await page.locator('main label').count()) > 0;
}

function fileName(role, p) {
  return `labels-${role}${p.replace(/[^a-z0-9]+/gi, '-')}`.replace(/-$/, '');
}

describe('labels never overlap other text', () => {
  for (const [role, paths] of Object.entries(PAGES)) {
    it(`${role}: every page with a form, at 1366 and 390 px`, async () => {
      const { context, page } = await newContext(browser);
      const problems = [];
      let checked = 0;
      try {
        if (role !== 'anonymous') await login(page, app, role);
        for (let p of paths) {
          let name = fileName(role, p);
          if (p === 'first-device') {
            await page.goto(`${app.baseUrl}/devices`);
            const href = await page.locator('main a[href^="/devices/d/"]').first().getAttribute('href').catch(() => null);
            if (!href) continue;
            p = href;
            name = fileName(role, '/device');
          }
          for (const width of [1366, 390]) {
            await page.setViewportSize({ width, height: 900 });
            const response = await page.goto(`${app.baseUrl}${p}`);
            if (!response || response.status() !== 200 || !(await hasLabels(page))) break;
            checked += 1;
            await screenshot(page, `${name}-${width}`);
            for (const o of await labelOverlaps(page)) problems.push(`${p} at ${width} px: ${o}`);
            const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
            if (pageWidth > width) problems.push(`${p} at ${width} px: the page is ${pageWidth} px wide`);
          }
        }
      } finally {
        await context.close();
      }
      assert.ok(checked > 0, `${role} sees at least one page with a form`);
      assert.deepEqual(problems, [], 'no label covers other text, no page scrolls sideways');
    });
  }
});

/** Sends a form with mistakes at `width` and checks its summary; screenshot of the answer. */
async function sendWithMistakes(page, width, { path, submit, fill = async () => {}, fields }) {
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${app.baseUrl}${path}`);
  await fill(page);
  await page.click(submit);
  await page.waitForLoadState('load');
  const summary = page.locator('[data-testid="error-summary"]');
  await summary.waitFor();
  for (const [id, label] of fields) {
    const link = summary.locator(`a[href="#${id}"]`);
    assert.equal(await link.count(), 1, `the summary links to #${id}`);
    assert.equal((await link.textContent()).trim(), label, `#${id} is named by its label`);
    assert.equal(await page.locator(`#${id}`).getAttribute('aria-invalid'), 'true', `#${id} is invalid`);
    const describedBy = (await page.locator(`#${id}`).getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy.split(' ').includes(`${id}-error`), `#${id} is described by its message`);
    assert.ok(await page.locator(`[id="${id}-error"]`).isVisible(), `the message of #${id} is shown`);
  }
  const overlaps = await labelOverlaps(page);
  assert.deepEqual(overlaps, [], 'no label covers other text, errors shown');
  // Following a link of the summary lands on its field.
  const [firstId] = fields[0];
  await summary.locator(`a[href="#${firstId}"]`).click();
  assert.equal(await page.evaluate(() => location.hash), `#${firstId}`);
}

describe('an error summary names each field and links to it', () => {
  const FORMS = [
    {
      role: 'anonymous',
      name: 'login',
      path: '/login',
      submit: 'main form button[type="submit"]',
      fields: [['email', 'Indirizzo e-mail'], ['password', 'Password']],
    },
    {
      role: 'company',
      name: 'account',
      path: '/account',
      submit: 'form[action="/account/password"] button[type="submit"]',
      fields: [['current', 'Password attuale'], ['new_password', 'Nuova password'], ['confirm', 'Ripeti la nuova password']],
    },
    {
      role: 'company',
      name: 'upload',
      path: '/practices/new',
      submit: '[data-testid="upload"]',
      fill: async (page) => {
        await page.fill('#copies', '99');
        await page.click('label[for="duplicate"]');
      },
      fields: [['signed_model', 'Modello base firmato (.p7m)'], ['copies', 'Copie in più'], ['replaces', 'Sostituisce il certificato n.']],
    },
    {
      role: 'chamber-admin',
      name: 'new-user',
      path: '/admin/users',
      submit: 'form[action="/admin/users"] button[type="submit"]',
      fields: [['name', 'Nome'], ['email', 'Indirizzo e-mail'], ['role', 'Ruolo'], ['password', 'Password iniziale']],
    },
  ];
  for (const form of FORMS) {
    it(`${form.role}: ${form.name}, at 1366 and 390 px`, async () => {
      const { context, page } = await newContext(browser);
      try {
        if (form.role !== 'anonymous') await login(page, app, form.role);
        for (const width of [1366, 390]) {
          await sendWithMistakes(page, width, form);
          await page.evaluate(() => window.scrollTo(0, 0));
          await screenshot(page, `errors-${form.name}-${width}`);
        }
      } catch (error) {
        await screenshot(page, `failed-errors-${form.name}`).catch(() => {});
        throw error;
      } finally {
        await context.close();
      }
    });
  }
});

describe('an upload over the size limit', () => {
  it('company: a page that names the limit and leads back to the form, at 1366 and 390 px', async () => {
    const { context, page } = await newContext(browser);
    try {
      await login(page, app, 'company');
      for (const width of [1366, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(`${app.baseUrl}/practices/new`);
        await page.setInputFiles('#signed_model', {
          name: 'modello-enorme.p7m',
          mimeType: 'application/pkcs7-mime',
          buffer: Buffer.alloc(33 * 1024 * 1024, 0x30),
        });
        await page.click('[data-testid="upload"]');
        await page.waitForLoadState('load');
        assert.match(await page.locator('h1').textContent(), /File troppo grande/);
        assert.match(await page.locator('[data-testid="error-message"]').textContent(), /il limite è 32 MB/);
        await screenshot(page, `too-large-${width}`);
        await page.click('[data-testid="error-back"]');
        await page.waitForURL(`${app.baseUrl}/practices/new`);
      }
    } finally {
      await context.close();
    }
  });
});

// Human words: no page shows a certificate subject (`CN=…`), an ISO date or a snake_case
// code as text. The walk opens, as each role, every page of its menu and home and the pages
// with forms above. Text inside inputs, <code> and e-mail addresses is not read as words.
/** The links of the page to other pages of the site. */
async function linksOf(page) {
  const hrefs = await page.evaluate(() =>
    [...document.querySelectorAll('a[href^="/"]')].map((a) => a.getAttribute('href')),
  );
  return hrefs.filter(
    (h) => h && !h.startsWith('/lang/') && !h.startsWith('/logout') && !/\.(pdf|csv|xlsx|p7m|xml|png|zip)$/.test(h.split('?')[0]),
  );
}

/** A path's kind: ids and numbers replaced, so one page of each kind is read. */
function shape(href) {
  return href
    .split('?')[0]
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/g, ':id')
    .replace(/\/\d+(?=\/|$)/g, '/:n');
}

/**
 * Every page of the role, one of each kind: its home, its menu, its pages with forms above,
 * and the pages these link to (a practice, a device, an operator, an audit entry…).
 */
async function walk(page, role, visit) {
  const seen = new Set();
  let queue = ['/', ...(PAGES[role] ?? []).filter((p) => p !== 'first-device')];
  for (let depth = 0; depth < 3 && queue.length > 0; depth += 1) {
    const next = [];
    for (const href of queue) {
      const kind = shape(href);
      if (seen.has(kind) || seen.size >= 80) continue;
      seen.add(kind);
      let response;
      try {
        response = await page.goto(`${app.baseUrl}${href}`);
      } catch {
        continue; // a download, not a page
      }
      if (!response || response.status() !== 200) continue;
      if (!(response.headers()['content-type'] ?? '').startsWith('text/html')) continue;
      await visit(href);
      next.push(...(await linksOf(page)));
    }
    queue = next;
  }
}

describe('visible text is human words', () => {
  for (const role of ['anonymous', ...Object.keys(PAGES).filter((r) => r !== 'anonymous')]) {
    it(`${role}: no certificate subject, ISO date or snake_case code on any page`, async (t) => {
      const { context, page } = await newContext(browser);
      const problems = [];
      let checked = 0;
      try {
        if (role !== 'anonymous') await login(page, app, role);
        await walk(page, role, async (p) => {
          checked += 1;
          for (const found of technicalWords(await visibleWords(page))) problems.push(`${p}: ${found}`);
        });
      } finally {
        await context.close();
      }
      t.diagnostic(`${checked} pages read`);
      assert.ok(checked > 0, `${role} sees at least one page`);
      assert.deepEqual(problems, [], 'people read words, not codes');
    });
  }

  it('auditor: the audit log as sentences, and an entry as a labelled list', async () => {
    const { context, page } = await newContext(browser);
    try {
      await login(page, app, 'auditor');
      await page.goto(`${app.baseUrl}/audit`);
      const first = page.locator('[data-testid="audit-sentence"]').first();
      assert.match(await first.innerText(), /\p{L}+ \p{L}+/u, 'an entry is a sentence');
      await screenshotWidths(page, 'audit-list');
      const detail = page.locator('[data-testid="audit-results"] a[href^="/audit/"]').first();
      if ((await detail.count()) > 0) {
        await detail.click();
        await page.waitForLoadState('load');
        assert.ok((await page.locator('dl dt').count()) >= 2, 'the detail is a labelled list');
        await screenshotWidths(page, 'audit-entry');
      }
    } finally {
      await context.close();
    }
  });
});
