// Logging in and out as every demo role, in Italian and English.
//
// Page contract:
//   /login   <html lang="it">, a form with input[name=email], input[name=password] and
//            button[type=submit]; a failed login stays on /login and shows [role=alert].
//   /        for a signed-in user: [data-testid=user-name] (the user's name),
//            [data-testid=role-home] (links to what the role can do), visible language
//            links a[hreflang=en] / a[hreflang=it], and [data-testid=logout], a button in a
//            form. Without a session, / is the front door: [data-testid=front-door] with
//            links to /verify, /book and /login.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROLES, startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, watchRequests } from './lib/browser.mjs';

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

function pathOf(page) {
  return new URL(page.url()).pathname;
}

async function htmlLang(page) {
  return page.locator('html').getAttribute('lang');
}

/** Opens a new visitor's page, runs `body`, and keeps a screenshot when it fails. */
async function asVisitor(name, body) {
  const { context, page } = await newContext(browser);
  const requests = await watchRequests(context, app.baseUrl);
  try {
    await body(page);
    assert.deepEqual(requests.external, [], 'pages must load nothing from other hosts');
    assert.deepEqual(requests.brokenAssets, [], 'every asset the pages name must load');
  } catch (error) {
    await screenshot(page, `failed-${name}`).catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
}

async function openLogin(page) {
  await page.goto(`${app.baseUrl}/login`);
  assert.equal(await htmlLang(page), 'it', 'the login page is in Italian by default');
  const form = page.locator('form').filter({ has: page.locator('input[name="password"]') });
  assert.equal(await form.count(), 1, 'one login form');
  assert.equal(await form.locator('input[name="email"]').count(), 1, 'an e-mail field');
  assert.equal(await form.locator('button[type="submit"]').count(), 1, 'a submit button');
  return form;
}

async function logIn(page, { email, password }) {
  const form = await openLogin(page);
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
  await page.waitForLoadState('load');
}

/** Clicks the visible language link for `lang` and waits for the page in that language. */
async function switchLanguage(page, lang) {
  await page.locator(`a[hreflang="${lang}"]`).locator('visible=true').first().click();
  await page.waitForSelector(`html[lang="${lang}"]`, { state: 'attached' });
  await page.waitForLoadState('load');
}

describe('login', () => {
  for (const role of ROLES) {
    it(`${role}: logs in, sees the role's home in Italian and English, logs out`, async () => {
      const login = app.logins.get(role);
      assert.ok(login, `the demo printed a login for ${role} (LOGIN ${role} <email> <password>)`);

      await asVisitor(role, async (page) => {
        await logIn(page, login);
        assert.equal(pathOf(page), '/', 'a successful login lands on /');

        const userName = (await page.locator('[data-testid="user-name"]').first().innerText()).trim();
        assert.notEqual(userName, '', 'the header shows who is signed in');
        const home = page.locator('[data-testid="role-home"]');
        await home.waitFor();
        assert.ok((await home.locator('a[href]').count()) >= 1, 'the home lists what the role can do');
        const sideways = await page.evaluate(
          () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
        );
        assert.equal(sideways, false, 'the menu and the page fit a laptop screen without scrolling sideways');
        await screenshot(page, `home-${role}`);

        await switchLanguage(page, 'en');
        assert.equal(await htmlLang(page), 'en');
        assert.equal(pathOf(page), '/', 'switching language stays on the same page');
        await page.locator('[data-testid="role-home"]').waitFor();
        await screenshot(page, `home-${role}-en`);

        await switchLanguage(page, 'it');
        assert.equal(await htmlLang(page), 'it');

        const logout = page.locator('[data-testid="logout"]');
        assert.equal(
          await logout.evaluate((el) => el.tagName === 'BUTTON' && el.closest('form') !== null),
          true,
          'logging out is a button in a form (a POST), not a link',
        );
        await logout.click();
        await page.waitForLoadState('load');
        if (pathOf(page) === '/') {
          await page.locator('a[href$="/login"]').first().waitFor();
        } else {
          assert.equal(pathOf(page), '/login', 'after logging out the visitor is on /login or /');
        }

        await page.goto(`${app.baseUrl}/`);
        assert.equal(pathOf(page), '/', 'once logged out, / is the front door');
        const door = page.locator('[data-testid="front-door"]');
        await door.waitFor();
        for (const href of ['/verify', '/book', '/login']) {
          assert.equal(await door.locator(`a[href="${href}"]`).count(), 1, `the door leads to ${href}`);
        }
        if (role === ROLES[0]) {
          await page.setViewportSize({ width: 1366, height: 900 });
          await screenshot(page, 'front-door-1366');
          await page.setViewportSize({ width: 390, height: 844 });
          await screenshot(page, 'front-door-390');
        }
      });
    });
  }

  it('on a phone the menu hides behind a toggle that opens it; on a laptop it is always shown', async () => {
    const login = app.logins.get('officer');
    assert.ok(login, 'the demo printed a login for officer');

    await asVisitor('mobile-menu', async (page) => {
      await logIn(page, login);
      const links = page.locator('#nav-main a.nav-link');
      const toggle = page.locator('[data-testid="nav-toggle"]');

      await page.setViewportSize({ width: 1366, height: 900 });
      assert.equal(await toggle.isVisible(), false, 'no toggle on a wide screen');
      assert.ok(await links.first().isVisible(), 'the menu is shown on a wide screen');
      await screenshot(page, 'menu-1366');

      await page.setViewportSize({ width: 390, height: 844 });
      assert.equal(await links.first().isVisible(), false, 'on a phone the menu starts closed');
      const sideways = await page.evaluate(
        () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
      );
      assert.equal(sideways, false, 'the page does not scroll sideways at 390 px');
      await screenshot(page, 'menu-390-closed');

      assert.ok(await toggle.isVisible(), 'the toggle is shown on a phone');
      await toggle.click();
      await links.first().waitFor({ state: 'visible' });
      // The panel slides in: wait until it has arrived before looking.
      await page.waitForFunction(() => {
        const panel = document.querySelector('#nav-main');
        const box = panel?.querySelector('.menu-wrapper')?.getBoundingClientRect();
        return panel?.classList.contains('expanded') && box !== undefined && box.width > 0
          && Math.abs(box.left) < 1;
      });
      await page.waitForTimeout(400); // the rest of the slide, so the screenshot is still
      const box = await links.first().boundingBox();
      assert.ok(box && box.x >= 0 && box.x < 390, `the menu links are on screen: ${JSON.stringify(box)}`);
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      await screenshot(page, 'menu-390-open');
    });
  });

  it('a wrong password shows an alert and stays on /login', async () => {
    const login = app.logins.get('company');
    assert.ok(login, 'the demo printed a login for company');

    await asVisitor('wrong-password', async (page) => {
      await logIn(page, { email: login.email, password: `${login.password}-wrong` });
      assert.equal(pathOf(page), '/login');
      const alert = page.locator('[role="alert"]').first();
      await alert.waitFor();
      assert.notEqual((await alert.innerText()).trim(), '', 'the alert says what went wrong');
      await screenshot(page, 'login-wrong-password');

      await page.goto(`${app.baseUrl}/`);
      await page.locator('[data-testid="front-door"]').waitFor();
      assert.equal(await page.locator('[data-testid="user-name"]').count(), 0, 'a failed login opens no session');
    });
  });
});
