// Off-boarding: the officer sees their API tokens on the account page; the chamber's
// administrator opens the officer from the users page and disables them; the officer's
// session and token stop at once.
//
// Page contract:
//   /account            [id=tokens] heading, a table row per token with a "Revoca" button.
//   /admin/users        a row per managed user, the name a link to /admin/users/{id}.
//   /admin/users/{id}   the user's data, a "Disattiva l'utente" button (a form), the tokens.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, watchRequests } from './lib/browser.mjs';
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

async function both(page, name) {
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: 900 });
    // Let the header's responsive transition settle before the picture.
    await page.waitForTimeout(600);
    await screenshot(page, `${name}-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('off-boarding', () => {
  it('an administrator disables an officer: session and API token end at once', async () => {
    const officer = app.logins.get('officer');
    const issued = await fetch(`${app.baseUrl}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: officer.email, password: officer.password }),
    });
    assert.equal(issued.status, 200);
    const { token } = await issued.json();
    const me = () =>
      fetch(`${app.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await me()).status, 200);

    const a = await newContext(browser);
    const requestsA = await watchRequests(a.context, app.baseUrl);
    await login(a.page, app, 'officer');
    await a.page.goto(`${app.baseUrl}/account`);
    assert.equal(await a.page.locator('#tokens').count(), 1);
    assert.equal(await a.page.getByRole('button', { name: 'Revoca' }).count(), 1);
    assert.equal(await a.page.locator(`text=${token}`).count(), 0, 'the value is never shown');
    await both(a.page, 'account-tokens');

    const b = await newContext(browser);
    const requestsB = await watchRequests(b.context, app.baseUrl);
    await login(b.page, app, 'chamber-admin');
    await b.page.goto(`${app.baseUrl}/admin/users`);
    await both(b.page, 'admin-users');
    const row = b.page.locator('tr').filter({ hasText: officer.email });
    await row.getByRole('link').first().click();
    await b.page.waitForLoadState('load');
    assert.match(new URL(b.page.url()).pathname, /^\/admin\/users\/[0-9a-f-]+$/);
    await both(b.page, 'admin-user');
    await b.page.getByRole('button', { name: "Disattiva l'utente" }).click();
    await b.page.waitForLoadState('load');
    assert.match(await b.page.locator('[role=status]').innerText(), /disattivato/);
    await both(b.page, 'admin-user-disabled');

    await a.page.goto(`${app.baseUrl}/account`);
    assert.equal(new URL(a.page.url()).pathname, '/login', 'the session ended');
    assert.equal((await me()).status, 401, 'the token is revoked');
    assert.deepEqual(requestsA.external, []);
    assert.deepEqual(requestsB.brokenAssets, []);
    await a.context.close();
    await b.context.close();
  });
});
