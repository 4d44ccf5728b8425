// Steps several browser tests share: logging in, signing as the company's software would,
// and a company sending a certificate of origin from an empty draft.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './paths.mjs';

const PKI = path.join(repoRoot, 'crates/sportello-core/tests/fixtures/pki');
export const work = mkdtempSync(path.join(os.tmpdir(), 'sportello-e2e-'));

/** Signs a file like a company's signing software: CAdES, attached, made by OpenSSL. */
export function sign(file) {
  const out = `${file}.p7m`;
  execFileSync('openssl', [
    'cms', '-sign', '-binary', '-nodetach', '-cades', '-md', 'sha256', '-outform', 'DER',
    '-in', file, '-signer', path.join(PKI, 'giulia.pem'), '-inkey', path.join(PKI, 'giulia.key'),
    '-certfile', path.join(PKI, 'inter.pem'), '-out', out,
  ]);
  return out;
}

/** A small PDF, as a scanned document would be. */
export function smallPdf(name) {
  const file = path.join(work, name);
  writeFileSync(file, '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  return file;
}

/** The text of a PDF (poppler's pdftotext). */
export function pdfText(file) {
  return execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
}

export async function login(page, app, role) {
  const { email, password } = app.logins.get(role);
  await page.goto(`${app.baseUrl}/login`);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${app.baseUrl}/`);
}

export async function completeProfile(page, app) {
  await page.goto(`${app.baseUrl}/company/profile`);
  await page.fill('#tax_code', '01879020517');
  await page.fill('#delivery_address', 'Via XX Settembre 12');
  await page.fill('#postcode', '16121');
  await page.fill('#municipality', 'Genova');
  await page.fill('#province', 'GE');
  await page.fill('#notification_email', 'export@ligure-export.test');
  await page.click('form[action="/company/profile"] button[type="submit"]');
  await page.getByText('Configurazione salvata').waitFor();
}

/**
 * Starts a base model of `type` for the acting company, as "Nuova pratica" does once the type
 * is chosen (the profile must be complete); lands on its form.
 */
export async function startModel(page, app, type) {
  await page.goto(`${app.baseUrl}/models/new?practice_type=${type}`);
  await page.click('[data-testid="start-model"]');
  await page.waitForURL(/\/models\/[0-9a-f-]+$/);
}

/** Downloads the model's XML, signs it, uploads it with the details, lands on the practice. */
export async function uploadSigned(page, name, extra = async () => {}) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-xml"]')]);
  const xml = path.join(work, `${name}.xml`);
  await download.saveAs(xml);
  const signed = sign(xml);
  await page.click('[data-testid="to-practice"]');
  await page.selectOption('#desk', 'GE-GENOVA');
  await page.setInputFiles('#signed_model', signed);
  await page.click('label[for="proforma-no"]');
  await page.fill('#goods_location', 'Magazzino Via Rubattino 4, Genova');
  await extra();
  await page.click('[data-testid="upload"]');
  await page.waitForURL(/\/practices\/[0-9a-f-]+$/);
}

export async function attach(page, file, description, code) {
  await page.setInputFiles('#file', file);
  await page.fill('#description', description);
  await page.selectOption('#code', code);
  await page.click('[data-testid="attach"]');
  await page.getByRole('link', { name: path.basename(file) }).first().waitFor();
}

/** Fills and completes a certificate-of-origin form. */
export async function fillCertificate(page) {
  await page.fill('#consignee-name', 'ACME Trading LLC');
  await page.fill('#consignee-address', '1200 Harbor Blvd, Long Beach CA 90802');
  await page.selectOption('#consignee-country', 'US');
  await page.selectOption('#origin_country', 'IT');
  await page.fill('#items-0-packages', '20 casse di legno');
  await page.fill('#items-0-description', 'Valvole a sfera in acciaio inox');
  await page.fill('#items-0-quantity', '1.250 kg lordi');
  await page.fill('#invoices-0-number', '2026/118');
  await page.fill('#invoices-0-date', '2026-11-20');
  await page.fill('#invoices-0-amount', '15.400,00');
  await page.click('[data-testid="save-model"]');
  await page.locator('[data-testid="download-xml"]').waitFor();
}

/** Every file under `dir`, recursively. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/**
 * The first link starting with `prefix` (a path such as `/book/confirm/`) in an e-mail the
 * demo wrote to `<dataDir>/mail` (to `to`, when given); waits up to 30 s for it to arrive.
 */
export async function linkFromMail(dataDir, prefix, to = '') {
  for (let i = 0; i < 60; i += 1) {
    for (const f of filesUnder(path.join(dataDir, 'mail'))) {
      const text = readFileSync(f, 'utf8').replace(/=\r?\n/g, '');
      const at = text.indexOf(prefix);
      if (at >= 0 && text.includes(to)) return /^[A-Za-z0-9/_-]+/.exec(text.slice(at))[0];
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no e-mail with ${prefix} arrived`);
}
