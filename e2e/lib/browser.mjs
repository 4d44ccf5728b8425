// Debian's Chromium driven by playwright-core. No browser is downloaded: the tests use the
// system one (apt package `chromium`), which scripts/test installs when it is missing.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { outputDir } from './paths.mjs';

const CHROMIUM = process.env.SPORTELLO_CHROMIUM ?? '/usr/bin/chromium';

// Chromium as root in a container needs --no-sandbox; the rest keeps it from reaching out
// to Google's services, which this closed network refuses (and which would slow every start).
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches headless Chromium. Playwright gives every launch a new, empty profile folder
 * (its `--user-data-dir`) and deletes it on `browser.close()`.
 * @returns {Promise<{browser: import('playwright-core').Browser,
 *   context: import('playwright-core').BrowserContext, page: import('playwright-core').Page}>}
 */
export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (scripts/test does)`);
  }
  // Chromium's own widgets (a date field's 06/12/2026, a file field's "Scegli file") speak
  // the language of its environment, as an Italian user's browser does (Debian's
  // chromium-l10n brings the Italian texts).
  const env = { ...process.env, LANGUAGE: 'it', LANG: 'it_IT.UTF-8' };
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, env });
  const { context, page } = await newContext(browser);
  return { browser, context, page };
}

/**
 * A fresh context (its own cookies and storage, like a new visitor) with one page, as an
 * Italian user on a laptop-sized screen would have it. `options` go to playwright's
 * `browser.newContext` (`bypassCSP` lets a test inject a checker such as axe-core into pages
 * whose Content-Security-Policy refuses inline scripts).
 */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({
    locale: 'it-IT',
    timezoneId: 'Europe/Rome',
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  return { context, page };
}

/**
 * Records what a page asks for that the product must not need: requests to any other host
 * (the product works offline: no CDN) and assets under /assets/ that fail to load.
 * Requests to other hosts are blocked, so a test never waits on the closed network.
 * @returns {{external: string[], brokenAssets: string[]}}
 */
export async function watchRequests(context, baseUrl) {
  const origin = new URL(baseUrl).origin;
  const seen = { external: [], brokenAssets: [] };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    seen.external.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin === origin && url.pathname.startsWith('/assets/') && response.status() >= 400) {
      seen.brokenAssets.push(`${response.status()} ${url.pathname}`);
    }
  });
  context.on('requestfailed', (request) => {
    const url = new URL(request.url());
    const reason = request.failure()?.errorText ?? 'failed';
    // ERR_ABORTED: the page navigated away before the asset arrived, which is no fault.
    if (url.origin === origin && url.pathname.startsWith('/assets/') && reason !== 'net::ERR_ABORTED') {
      seen.brokenAssets.push(`${reason} ${url.pathname}`);
    }
  });
  return seen;
}

/** Saves a full-page PNG as e2e/output/<test file>/<name>.png and returns its path. */
export async function screenshot(page, name) {
  const file = path.join(outputDir(), `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Saves the page at a laptop width (1366 px) and a phone width (390 px), as
 * `<name>-1366.png` and `<name>-390.png`, then restores the viewport. The page is loaded
 * again at each width (the menu lays itself out when it loads), so call it on a page shown by
 * a GET. Returns the paths.
 */
export async function screenshotWidths(page, name, widths = [1366, 390]) {
  const before = page.viewportSize();
  const files = [];
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 });
    await page.reload({ waitUntil: 'load' });
    files.push(await screenshot(page, `${name}-${width}`));
  }
  if (before) {
    await page.setViewportSize(before);
    await page.reload({ waitUntil: 'load' });
  }
  return files;
}
