// The customer portal in a real browser: sign-in by one-time code, the list of receipts, one
// receipt and its PNG, the boundary between two customers, a phone's screen, both languages.
//
// The tests run in order and build on each other: the customers signed in by the early tests
// are the ones the later tests look through.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  PNG_MAGIC,
  check,
  demo,
  launch,
  receipt,
  screenshot,
  scrollsSideways,
  signIn,
  textedCode,
  transaction,
  visitor,
  wrongCode,
} from './support.mjs';

/** The number the demo's SMS and MMS receipts went to (cli/src/demo.rs). */
const TEXTED_PHONE = '+8613800138000';

describe('the customer portal', () => {
  let browser;
  /** The pull customer's browser (signed in by the demo's code). */
  let pull;
  /** The browser of the customer whose receipts came by SMS and MMS. */
  let texted;

  before(async () => {
    browser = await launch();
    pull = await visitor(browser);
    texted = await visitor(browser);
  });

  after(async () => {
    await browser?.close();
  });

  it('refuses a wrong code with an error and stays signed out', async () => {
    const { page } = pull;
    const { phone, login_code: code } = demo.pull_customer;
    const status = await signIn(page, phone, wrongCode(code));
    await screenshot(page, 'wrong-code');
    assert.equal(status, 401);
    assert.equal(
      (await page.textContent('#error')).trim(),
      'That code is wrong or has expired. Request a new one if needed.',
    );
    assert.equal(await page.inputValue('#login-phone'), phone, 'the number is kept');
    assert.equal(await page.locator('#receipts').count(), 0);
    assert.equal(await page.locator('#sign-out').count(), 0);
  });

  it('signs the pull customer in with the code and lists their receipt', async () => {
    const { page } = pull;
    const { phone, login_code: code } = demo.pull_customer;
    const mine = receipt('pull');
    await signIn(page, phone, code);
    await page.waitForSelector('#receipts');
    await screenshot(page, 'list-pull-customer');
    const rows = page.locator('#receipts tbody tr');
    assert.equal(await rows.count(), 1, 'one receipt was delivered to this number');
    assert.equal(await rows.first().getAttribute('data-receipt'), mine.receipt_id);
    const cells = (await rows.first().locator('td').allTextContents()).map((t) => t.trim());
    assert.equal(cells[0], '2026-11-21 19:40', "the terminal's local time");
    assert.equal(cells[1], transaction('kwd-refund').merchant.name);
    assert.equal(cells[2], 'KWD 12.500', 'the Kuwaiti dinar has three decimals');
  });

  it('opens the receipt and downloads the very PNG the terminal issued', async () => {
    const { page } = pull;
    const mine = receipt('pull');
    await Promise.all([page.waitForNavigation(), page.click('tr[data-receipt] a')]);
    assert.equal(new URL(page.url()).pathname, `/receipts/${mine.receipt_id}`);
    assert.equal((await page.textContent('h1')).trim(), transaction('kwd-refund').merchant.name);
    assert.match(await page.textContent('main p strong'), /^KWD 12\.500$/);
    const shown = await page.$eval('#receipt-image', (img) => img.complete && img.naturalWidth);
    assert.ok(shown > 0, 'the receipt image is displayed');
    await screenshot(page, 'receipt-pull-customer');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.equal(download.suggestedFilename(), `receipt-${mine.receipt_id}.png`);
    const bytes = readFileSync(await download.path());
    assert.ok(bytes.subarray(0, 8).equals(PNG_MAGIC), 'the download is a PNG');
    const issued = readFileSync(mine.png);
    assert.ok(
      bytes.equals(issued),
      `the download (${bytes.length} bytes) equals the issued image (${issued.length} bytes)`,
    );
  });

  it('texts a code requested on the page and signs a second customer in with it', async () => {
    const { page } = texted;
    await page.goto('/');
    await page.fill('#phone', TEXTED_PHONE);
    await Promise.all([page.waitForNavigation(), page.click('#send-code')]);
    assert.match(await page.textContent('#notice'), /a code is on its way/);
    assert.equal(await page.inputValue('#login-phone'), TEXTED_PHONE, 'the number is carried over');
    await screenshot(page, 'code-requested');

    await page.fill('#code', textedCode(TEXTED_PHONE));
    await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
    await page.waitForSelector('#receipts');
    await screenshot(page, 'list-texted-customer');
    const rows = await page.$$eval('#receipts tbody tr', (trs) =>
      trs.map((tr) => ({
        id: tr.dataset.receipt,
        cells: [...tr.cells].map((td) => td.textContent.trim()),
      })),
    );
    const merchant = transaction('cny-sale').merchant.name;
    const byId = Object.fromEntries(rows.map((r) => [r.id, r.cells]));
    assert.equal(rows.length, 2, 'the SMS and the MMS receipt');
    assert.deepEqual(byId[receipt('sms').receipt_id]?.slice(1), [merchant, 'CNY 128.00']);
    assert.deepEqual(byId[receipt('mms').receipt_id]?.slice(1), [merchant, 'CNY 45.00']);
    assert.ok(!rows.some((r) => r.id === receipt('pull').receipt_id), "not the other's receipt");
  });

  it("answers a receipt of one customer in the other's session like an unknown one", async () => {
    const theirs = receipt('pull').receipt_id;
    const { page } = texted;
    const answer = await page.goto(`/receipts/${theirs}`);
    await screenshot(page, 'not-yours');
    assert.equal(answer.status(), 404);
    assert.equal((await page.textContent('#error')).trim(), 'There is no such receipt here.');
    assert.ok(!(await page.content()).includes(transaction('kwd-refund').merchant.name));
    const image = await page.request.get(`/receipts/${theirs}/receipt.png?download=1`);
    assert.equal(image.status(), 404);
    assert.notEqual(image.headers()['content-type'], 'image/png');
    const unknown = await page.goto('/receipts/00000000-0000-0000-0000-000000000000');
    assert.equal(unknown.status(), 404, 'the same answer as for a receipt nobody has');

    const back = await pull.page.goto(`/receipts/${receipt('sms').receipt_id}`);
    assert.equal(back.status(), 404, 'nor the other way round');
  });

  it('fits a 390x844 phone screen without sideways scrolling', async () => {
    const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
    const signedIn = await visitor(browser, {
      ...phone,
      storageState: await texted.context.storageState(),
    });
    const stranger = await visitor(browser, phone);
    // Each page with what must be on it, so a page that failed to load cannot pass.
    const pages = [
      [stranger.page, '/', '#sign-in', 'phone-sign-in'],
      [signedIn.page, '/', '#receipts tbody tr >> nth=1', 'phone-list'],
      [signedIn.page, `/receipts/${receipt('sms').receipt_id}`, '#receipt-image', 'phone-receipt'],
      [stranger.page, '/verify', '#check', 'phone-verify'],
    ];
    for (const [page, path, content, name] of pages) {
      await page.goto(path);
      await page.waitForSelector(content);
      await screenshot(page, name);
      assert.equal(await scrollsSideways(page), false, `${path} scrolls sideways on a phone`);
    }
    const button = await stranger.page.locator('#check').boundingBox();
    assert.ok(button.x + button.width <= 390, 'the check button is on screen');
    assert.equal(await check(stranger.page, demo.tamper.receipt), 200);
    await stranger.page.waitForSelector('#outlined');
    await screenshot(stranger.page, 'phone-verify-tampered');
    assert.equal(await scrollsSideways(stranger.page), false, 'the verdict scrolls sideways');
    await signedIn.context.close();
    await stranger.context.close();
  });

  it('switches between English and Chinese, and starts in Chinese for a Chinese browser', async () => {
    const { page } = texted;
    await page.goto('/');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal((await page.textContent('h1')).trim(), 'Receipts delivered to your number');
    assert.equal((await page.textContent('#lang-switch')).trim(), '中文');

    await Promise.all([page.waitForNavigation(), page.click('#lang-switch')]);
    await screenshot(page, 'list-chinese');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal((await page.textContent('h1')).trim(), '发送到您号码的签购单');
    const headings = (await page.locator('#receipts th').allTextContents()).map((t) => t.trim());
    assert.deepEqual(headings, ['日期', '商户', '金额']);
    assert.equal((await page.textContent('#sign-out')).trim(), '退出');
    assert.equal((await page.textContent('#lang-switch')).trim(), 'English');
    await page.goto('/verify');
    assert.equal((await page.textContent('#check')).trim(), '验证', 'the choice is remembered');

    await Promise.all([page.waitForNavigation(), page.click('#lang-switch')]);
    assert.equal(new URL(page.url()).pathname, '/', 'the switch leads back to the portal');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal((await page.textContent('h1')).trim(), 'Receipts delivered to your number');

    const chinese = await visitor(browser, { locale: 'zh-CN' });
    await chinese.page.goto('/');
    await screenshot(chinese.page, 'sign-in-chinese');
    assert.equal(await chinese.page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal((await chinese.page.textContent('#sign-in')).trim(), '登录');
    assert.equal((await chinese.page.textContent('#send-code')).trim(), '发送验证码');
    await chinese.context.close();
  });

  it('signs out, after which a receipt address leads back to the sign-in form', async () => {
    const { page } = pull;
    const mine = receipt('pull').receipt_id;
    await page.goto('/');
    await Promise.all([page.waitForNavigation(), page.click('#sign-out')]);
    await page.waitForSelector('#sign-in');
    assert.equal(await page.locator('#receipts').count(), 0);

    await page.goto(`/receipts/${mine}`);
    assert.equal(new URL(page.url()).pathname, '/', 'redirected to the sign-in page');
    await page.waitForSelector('#sign-in');
    const image = await page.request.get(`/receipts/${mine}/receipt.png`);
    assert.equal(image.status(), 404, 'the image is not served to a signed-out visitor');
    await screenshot(page, 'signed-out');
  });
});
