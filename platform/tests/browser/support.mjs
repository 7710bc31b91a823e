// What the browser tests share: the running demo platform (from run.sh), Debian's Chromium
// driven by playwright-core, screenshots saved as test artefacts, the portal's sign-in steps.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

/** Reads a variable that run.sh sets; the tests make no sense without it. */
function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests through platform/tests/browser/run.sh`);
  }
  return value;
}

/**
 * The summary `ereceipt demo --json` printed: the portal's address, the pull customer's phone
 * number and one-time code, each receipt's id, delivery mode and image file, the tampered copy.
 */
export const demo = JSON.parse(readFileSync(required('DEMO_SUMMARY'), 'utf8'));

/** The portal's address, `http://127.0.0.1:PORT/`. */
export const portal = demo.portal_url;

/** Where screenshots go: tests/artifacts/browser/ of the repository unless ARTIFACTS says. */
export const artifacts = resolve(process.env.ARTIFACTS ?? join(root, 'tests', 'artifacts', 'browser'));
mkdirSync(artifacts, { recursive: true });

/** The demo's receipt delivered by `mode` (sms, mms, email, pull). */
export function receipt(mode) {
  const found = demo.receipts.find((r) => r.delivery === mode);
  assert.ok(found, `the demo issued no receipt by ${mode}`);
  return found;
}

/** A transaction of the sample data the demo issued its receipts from. */
export function transaction(name) {
  const path = join(root, 'tests', 'data', 'transactions', `${name}.json`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

/**
 * Launches Debian's Chromium (never a downloaded browser). The flags keep it working in a
 * container and quiet on the network: it talks to the local platform only.
 */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A fresh browser profile (cookies of its own) as a person with `locale` would have it; short
 * timeouts, because every page is served from this machine.
 */
export async function visitor(browser, { locale = 'en-US', ...options } = {}) {
  const context = await browser.newContext({ baseURL: portal, locale, ...options });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page };
}

/** Saves a full-page screenshot as `artifacts/NAME.png`. */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Fills the sign-in form and submits it; resolves with the answer's HTTP status. */
export async function signIn(page, phone, code) {
  await page.goto('/');
  await page.fill('#login-phone', phone);
  await page.fill('#code', code);
  const [answer] = await Promise.all([
    page.waitForNavigation(),
    page.click('#sign-in'),
  ]);
  return answer.status();
}

/**
 * Uploads `file` (a path, or `{name, mimeType, buffer}`) on the verify page and waits for the
 * verdict; resolves with the answer's HTTP status.
 */
export async function check(page, file) {
  await page.goto('/verify');
  await page.setInputFiles('#image', file);
  const [answer] = await Promise.all([page.waitForNavigation(), page.click('#check')]);
  await page.waitForSelector('#verdict');
  return answer.status();
}

/** A six-digit code that is certainly not `code`. */
export function wrongCode(code) {
  const last = (Number(code.at(-1)) + 1) % 10;
  return code.slice(0, -1) + last;
}

/**
 * The sign-in code last texted to `phone`: with no SMS gateway configured the platform writes
 * each text to DATA/outbox/ as JSON, `{"to": …, "body": "… 123456"}`.
 */
export function textedCode(phone) {
  const outbox = join(demo.data_dir, 'outbox');
  const texts = readdirSync(outbox)
    .filter((name) => /-code-.*\.json$/.test(name))
    .map((name) => join(outbox, name))
    .map((path) => ({ path, text: JSON.parse(readFileSync(path, 'utf8')) }))
    .filter(({ text }) => text.to === phone)
    .sort((a, b) => statSync(a.path).mtimeMs - statSync(b.path).mtimeMs);
  assert.ok(texts.length > 0, `no sign-in code was texted to the number in ${outbox}`);
  const code = texts.at(-1).text.body.match(/(\d{6})\s*$/);
  assert.ok(code, 'the texted message ends with a six-digit code');
  return code[1];
}

/**
 * Whether the page is wider than the screen: a phone user would have to scroll sideways.
 */
export function scrollsSideways(page) {
  return page.evaluate(
    () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
  );
}

/** The PNG file signature. */
export const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
