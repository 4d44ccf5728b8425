// Registration authority, part 1: the Master RAO walks an ODR organisation with two
// collaborators from the expression of interest to the chain of trust, with documents signed
// by OpenSSL (crates/sportello-core/tests/fixtures/ra), then revokes it. Screenshots of each step
// land in e2e/output/ra/.
//
// Page contract:
//   /ra/operators       form [data-testid=ra-new-operator] with select[name=kind],
//                       input[name=name|tax_code|email|organisation_tax_code|legal_representative_tax_code]
//   /ra/operators/{id}  [data-testid=ra-state] (state), [data-testid=ra-error] on a refused step,
//                       one form per possible step [data-testid=step-<step>] with a submit button,
//                       [data-testid=ra-collaborators], [data-testid=ra-revocation] after a revocation
//   /ra/tree            [data-testid=ra-tree] with the offices and operators the viewer may see
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from './lib/app.mjs';
import { launch, newContext, screenshot, watchRequests } from './lib/browser.mjs';
import { repoRoot } from './lib/paths.mjs';

const FIXTURES = path.join(repoRoot, 'crates/sportello-core/tests/fixtures/ra');
const fixture = (name) => path.join(FIXTURES, name);
const ORG = { name: 'CANTIERI DEL LEVANTE S.R.L.', taxCode: '00743110157', rep: 'MRTNTN23M02D969P' };

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

function isoDate(daysFromToday) {
  const d = new Date(Date.now() + daysFromToday * 86_400_000);
  return d.toISOString().slice(0, 10);
}

async function logIn(page, role) {
  const login = app.logins.get(role);
  assert.ok(login, `the demo printed a login for ${role}`);
  await page.goto(`${app.baseUrl}/login`);
  await page.locator('input[name="email"]').fill(login.email);
  await page.locator('input[name="password"]').fill(login.password);
  await page.locator('form button[type="submit"]').first().click();
  await page.waitForLoadState('load');
}

async function createOperator(page, fields) {
  await page.goto(`${app.baseUrl}/ra/operators`);
  const form = page.locator('[data-testid="ra-new-operator"]');
  await form.locator('select[name="kind"]').selectOption(fields.kind);
  for (const [name, value] of Object.entries(fields)) {
    if (name !== 'kind') await form.locator(`input[name="${name}"]`).fill(value);
  }
  await form.locator('button[type="submit"]').click();
  await page.waitForLoadState('load');
  assert.match(new URL(page.url()).pathname, /^\/ra\/operators\/[0-9a-f-]+$/, 'lands on the new operator');
  return new URL(page.url()).pathname;
}

async function state(page) {
  return (await page.locator('[data-testid="ra-state"]').innerText()).trim();
}

/** Submits the form of `step` on the operator page, after `fill` filled it. */
async function takeStep(page, step, fill = async () => {}) {
  const form = page.locator(`[data-testid="step-${step}"]`);
  await form.waitFor();
  await fill(form);
  await form.locator('button[type="submit"]').click();
  await page.waitForLoadState('load');
}

describe('registration authority', () => {
  it('an ODR organisation with two collaborators goes from interest to active, then is revoked', async () => {
    const { context, page } = await newContext(browser);
    const requests = await watchRequests(context, app.baseUrl);
    try {
      await logIn(page, 'master-rao');
      const orgPath = await createOperator(page, {
        kind: 'odr', name: ORG.name, tax_code: ORG.taxCode, email: app.logins.get('odr').email,
        legal_representative_tax_code: ORG.rep,
      });
      await screenshot(page, '01-organisation-registered');
      const rossiPath = await createOperator(page, {
        kind: 'odr', name: 'MARIO ROSSI', tax_code: 'RSSMRA80A01H501U', email: 'mario.rossi@levante.test',
        organisation_tax_code: ORG.taxCode,
      });
      const verdiPath = await createOperator(page, {
        kind: 'ir', name: 'LAURA VERDI', tax_code: 'VRDLRA85M41D969U', email: 'laura.verdi@levante.test',
        organisation_tax_code: ORG.taxCode,
      });

      await page.goto(`${app.baseUrl}${orgPath}`);
      assert.equal(await page.locator('[data-testid="ra-collaborators"] tbody tr').count(), 2, 'two collaborators');
      await takeStep(page, 'record_interest');
      assert.equal(await state(page), 'Manifestazione di interesse');
      // The letter goes through the Manager's queue: the office prepares it, the Manager signs.
      const prepare = page.locator('[data-testid="prepare-mandate_letter"]');
      await prepare.locator('input[name="document"]').setInputFiles(fixture('lettera-incarico.pdf'));
      await prepare.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      const manager = await newContext(browser);
      try {
        await logIn(manager.page, 'manager');
        await manager.page.goto(`${app.baseUrl}/ra/manager`);
        const item = manager.page.locator('[data-testid="ra-manager-request"]');
        await item.locator('input[name="signed"]').setInputFiles(fixture('mandate_letter.pdf'));
        await item.locator('[data-testid="ra-manager-sign"] button[type="submit"]').click();
        await manager.page.locator('[data-testid="ra-manager-done"]').waitFor();
      } finally {
        await manager.context.close();
      }
      await page.goto(`${app.baseUrl}${orgPath}`);
      await takeStep(page, 'send_mandate');
      assert.equal(await state(page), 'Mandato inviato');
      assert.match(await page.locator('[data-testid="ra-mandate"]').innerText(), /\d{2}\/\d{2}\/\d{4} – \d{2}\/\d{2}\/\d{4}/);
      await screenshot(page, '02-mandate-sent');

      // A document altered after signing is refused, with the reason next to the form.
      await takeStep(page, 'receive_documents', async (f) => {
        await f.locator('input[name="acceptance_form"]').setInputFiles(fixture('acceptance_org_tampered.pdf'));
        await f.locator('input[name="data_processing_authorisation"]').setInputFiles(fixture('data_processing_org.pdf'));
        await f.locator('input[name="privacy_notice"]').setInputFiles(fixture('acceptance_org.pdf'));
        await f.locator('input[name="form_e"]').setInputFiles(fixture('acceptance_org.pdf'));
        await f.locator('input[name="form_f"]').setInputFiles(fixture('data_processing_org.pdf'));
      });
      const error = page.locator('[data-testid="ra-error"]');
      await error.waitFor();
      assert.match(await error.innerText(), /firma non è valida/);
      assert.equal(await state(page), 'Mandato inviato', 'nothing changed');
      await screenshot(page, '03-tampered-document-refused');
      await takeStep(page, 'receive_documents', async (f) => {
        await f.locator('input[name="acceptance_form"]').setInputFiles(fixture('acceptance_org.pdf'));
        await f.locator('input[name="data_processing_authorisation"]').setInputFiles(fixture('data_processing_org.pdf'));
        // The fixtures have two documents signed by the representative; the rest reuse them.
        await f.locator('input[name="privacy_notice"]').setInputFiles(fixture('acceptance_org.pdf'));
        await f.locator('input[name="form_e"]').setInputFiles(fixture('acceptance_org.pdf'));
        await f.locator('input[name="form_f"]').setInputFiles(fixture('data_processing_org.pdf'));
      });
      assert.equal(await state(page), 'Documenti firmati ricevuti');
      await takeStep(page, 'send_to_ca', async (f) => {
        await f.locator('input[name="id_number"]').fill('CA12345AB');
        await f.locator('input[name="id_expires_on"]').fill('2031-01-01');
        await f.locator('input[name="id_file"]').setInputFiles(fixture('identity_scan.txt'));
      });
      assert.equal(await state(page), 'Inviato al Certificatore');
      await takeStep(page, 'request_course');
      assert.equal(await state(page), 'Corso richiesto');
      await screenshot(page, '04-course-requested');

      for (const p of [rossiPath, verdiPath]) {
        await page.goto(`${app.baseUrl}${p}`);
        assert.equal(await state(page), 'Corso richiesto', 'the collaborators follow the organisation');
        await takeStep(page, 'pass_course', async (f) => {
          await f.locator('input[name="score_percent"]').fill('95');
          await f.locator('input[name="passed_on"]').fill(isoDate(-3));
        });
      }
      await screenshot(page, '05-collaborator-course-passed');

      await page.goto(`${app.baseUrl}${orgPath}`);
      assert.match(await state(page), /In attesa di eventuali correzioni/);
      await takeStep(page, 'activate');
      assert.equal(await state(page), 'Attivo nella catena della fiducia');
      assert.match(await page.locator('[data-testid="ra-collaborators"]').innerText(), /Attivo nella catena della fiducia/);
      await screenshot(page, '06-organisation-active');

      await page.goto(`${app.baseUrl}/ra/tree`);
      const tree = await page.locator('[data-testid="ra-tree"]').innerText();
      assert.match(tree, /CANTIERI DEL LEVANTE S\.R\.L\./);
      assert.match(tree, /MARIO ROSSI/);
      assert.match(tree, /LAURA VERDI/);
      await screenshot(page, '07-chain-of-trust');

      // The organisation's representative (the demo ODR) sees only its own subtree.
      const odr = await newContext(browser);
      try {
        await logIn(odr.page, 'odr');
        await odr.page.goto(`${app.baseUrl}/ra/tree`);
        const own = await odr.page.locator('[data-testid="ra-tree"]').innerText();
        assert.match(own, /CANTIERI DEL LEVANTE/);
        assert.doesNotMatch(own, /REMOTIZZATI/, 'no other office');
        await screenshot(odr.page, '08-odr-sees-its-subtree');
      } finally {
        await odr.context.close();
      }

      await page.goto(`${app.baseUrl}${orgPath}`);
      // An ODR is revoked by the notice the Manager signs: the office prepares it with the
      // reason, the Manager signs it in his queue, and the revocation takes effect.
      assert.equal(await page.locator('[data-testid="step-revoke"]').count(), 0, 'no direct revocation of an ODR');
      const notice = page.locator('[data-testid="prepare-revocation_notice"]');
      await notice.locator('input[name="reason"]').fill('Perdita dei requisiti');
      await notice.locator('input[name="document"]').setInputFiles(fixture('comunicazione-revoca.pdf'));
      await notice.locator('button[type="submit"]').click();
      await page.waitForLoadState('load');
      const signer = await newContext(browser);
      try {
        await logIn(signer.page, 'manager');
        await signer.page.goto(`${app.baseUrl}/ra/manager`);
        const item = signer.page.locator('[data-testid="ra-manager-request"]');
        await item.locator('input[name="signed"]').setInputFiles({
          name: 'comunicazione-revoca-firmata.pdf',
          mimeType: 'application/pdf',
          buffer: fs.readFileSync(fixture('revocation_notice.pdf')),
        });
        await item.locator('[data-testid="ra-manager-sign"] button[type="submit"]').click();
        await signer.page.locator('[data-testid="ra-manager-done"]').waitFor();
      } finally {
        await signer.context.close();
      }
      await page.goto(`${app.baseUrl}${orgPath}`);
      assert.equal(await state(page), 'Revocato');
      assert.match(await page.locator('[data-testid="ra-collaborators"]').innerText(), /Sospeso/);
      await screenshot(page, '09-organisation-revoked');

      await page.goto(`${app.baseUrl}${rossiPath}`);
      assert.equal(await state(page), 'Sospeso');
      assert.match(await page.locator('[data-testid="ra-can-act"]').innerText(), /organizzazione per cui opera è stata revocata/);
      await screenshot(page, '10-collaborator-suspended');

      assert.deepEqual(requests.external, [], 'pages load nothing from other hosts');
      assert.deepEqual(requests.brokenAssets, [], 'every asset loads');
    } catch (error) {
      await screenshot(page, 'failed').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });
});
