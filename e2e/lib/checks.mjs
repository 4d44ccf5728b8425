// Checks a page must pass whoever looks at it, shared by the browser tests: accessibility
// (axe-core), form controls a person can see, labels that cover no other text, no sideways
// scroll, a phone menu that opens, and words instead of codes.
import path from 'node:path';
import { e2eDir } from './paths.mjs';

const AXE = path.join(e2eDir, 'node_modules', 'axe-core', 'axe.min.js');

/** The impacts that fail a page; `moderate` and `minor` ones are reported by axe but pass. */
export const FAILING_IMPACTS = ['serious', 'critical'];

/**
 * The serious and critical axe-core violations of the page as it is now, one readable line
 * each: the rule, what it asks, and the elements (CSS selectors) that break it. axe-core is
 * injected from node_modules, never fetched.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.addScriptTag({ path: AXE });
  }
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return violations
    .filter((v) => FAILING_IMPACTS.includes(v.impact))
    .map((v) => {
      const shown = v.targets.slice(0, 5).join(', ');
      const more = v.targets.length > 5 ? ` and ${v.targets.length - 5} more` : '';
      return `axe ${v.impact} ${v.id} (${v.help}): ${shown}${more}`;
    });
}

/**
 * The visible form controls with neither a border nor an underline: a person cannot see
 * where to type. Bootstrap Italia draws an input only when it has a type it knows (an input
 * without a type gets nothing). Check boxes and radio buttons are drawn by their label, and
 * buttons are not places to type.
 */
export async function controlsWithoutBorder(page) {
  return page.evaluate(() => {
    const skip = new Set(['hidden', 'checkbox', 'radio', 'submit', 'button', 'reset', 'image']);
    const found = [];
    for (const el of document.querySelectorAll('main input, main select, main textarea')) {
      if (el.tagName === 'INPUT' && skip.has(el.type)) continue;
      if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
      const box = el.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1) continue;
      const style = getComputedStyle(el);
      const drawn = ['Top', 'Right', 'Bottom', 'Left'].some((side) => {
        const width = parseFloat(style[`border${side}Width`]);
        const kind = style[`border${side}Style`];
        const colour = style[`border${side}Color`];
        const transparent = colour === 'transparent' || /rgba\([^)]*,\s*0\)$/.test(colour);
        return width >= 1 && kind !== 'none' && kind !== 'hidden' && !transparent;
      });
      if (!drawn) {
        const name = el.id ? `#${el.id}` : el.name ? `[name=${el.name}]` : '';
        found.push(`${el.tagName.toLowerCase()}${name} (type ${el.type || 'none'}) has no border or underline`);
      }
    }
    return found;
  });
}

/**
 * The overlaps on the page: each visible label whose box meets the box of a visible piece of
 * text in <main> that is not its own. Text boxes are the boxes of the text itself (a Range
 * around each text node), not of the block holding it.
 */
export async function labelOverlaps(page) {
  return page.evaluate(() => {
    const main = document.querySelector('main') ?? document.body;
    const visible = (el) => {
      if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
      const r = el.getBoundingClientRect();
      return r.width > 1 && r.height > 1;
    };
    const texts = [];
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const parent = node.parentElement;
      if (!parent || parent.closest('script, style, select, option, textarea, .visually-hidden')) continue;
      if (!visible(parent)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width > 1 && r.height > 1) texts.push({ node, r, text: node.textContent.trim().slice(0, 40) });
      }
    }
    const found = [];
    for (const label of main.querySelectorAll('label')) {
      if (!visible(label) || label.closest('.visually-hidden')) continue;
      const l = label.getBoundingClientRect();
      for (const { node, r, text } of texts) {
        if (label.contains(node)) continue;
        const w = Math.min(l.right, r.right) - Math.max(l.left, r.left);
        const h = Math.min(l.bottom, r.bottom) - Math.max(l.top, r.top);
        if (w > 2 && h > 2) {
          found.push(`label "${label.textContent.trim().slice(0, 40)}" over "${text}"`);
        }
      }
    }
    return found;
  });
}

/** How much wider than the window the page is, in pixels (0: no sideways scroll). */
export async function sidewaysScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/**
 * How much wider than its box the `.table-responsive` wrapper round `selector` (a table, or
 * the wrapper itself) is, in pixels: 0 when nothing inside it needs a sideways scroll. Throws
 * when there is no such element.
 */
export async function wrapperOverflow(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) throw new Error(`no element ${sel}`);
    const wrapper = el.closest('.table-responsive') ?? el;
    return wrapper.scrollWidth - wrapper.clientWidth;
  }, selector);
}

/**
 * On a narrow window, the page's menu (when it has one) hides behind a toggle that opens it.
 * Returns what is wrong, or an empty list; leaves the menu open.
 */
export async function menuToggleProblems(page) {
  const links = page.locator('#nav-main a.nav-link');
  if ((await links.count()) === 0) return [];
  const toggle = page.locator('[data-testid="nav-toggle"]');
  if (!(await toggle.isVisible())) return ['the menu has no visible toggle'];
  if (await links.first().isVisible()) return ['the menu is open before the toggle is pressed'];
  await toggle.click();
  try {
    // The panel slides in from the left: wait until its links are on screen.
    await page.waitForFunction(
      () => {
        const link = document.querySelector('#nav-main a.nav-link');
        if (!link || !link.checkVisibility({ checkVisibilityCSS: true })) return false;
        const box = link.getBoundingClientRect();
        return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth;
      },
      null,
      { timeout: 3_000 },
    );
  } catch {
    return ['pressing the toggle does not bring the menu links on screen'];
  }
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') return ['the open toggle does not say aria-expanded="true"'];
  return [];
}

// Human words: what a person must not be shown as text.
export const TECHNICAL = [
  ['a certificate subject', /\b(?:CN|serialNumber)=/],
  ['an ISO date', /\b\d{4}-\d{2}-\d{2}\b/],
  ['a snake_case code', /\b[a-z]+_[a-z_]+\b/],
];

/**
 * The visible text under `root` (a CSS selector), without e-mail addresses (a mailbox may hold
 * `_`) and <code> (what the user must type or copy as it is). Text inside inputs is not read.
 */
export async function visibleWords(page, root = 'body') {
  return page.evaluate((selector) => {
    const top = document.querySelector(selector) ?? document.body;
    const hidden = new Set();
    for (const el of top.querySelectorAll('*')) {
      if (!el.checkVisibility({ checkVisibilityCSS: true })) hidden.add(el);
    }
    const walker = document.createTreeWalker(top, NodeFilter.SHOW_TEXT);
    const out = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || hidden.has(parent)) continue;
      if (parent.closest('code, script, style, .visually-hidden, option, textarea')) continue;
      out.push(node.textContent);
    }
    return out.join(' ').replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, ' ');
  }, root);
}

/** Each technical pattern found in `text`, with a little of the text around it. */
export function technicalWords(text) {
  const found = [];
  for (const [what, re] of TECHNICAL) {
    const m = text.match(re);
    if (m) found.push(`${what} "${text.slice(Math.max(0, m.index - 30), m.index + 30).replace(/\s+/g, ' ').trim()}"`);
  }
  return found;
}
