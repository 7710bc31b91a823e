// The verify page in a real browser: a person uploads a receipt image and reads the verdict;
// the altered areas of a tampered copy are outlined in red on the image shown back.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { check, demo, launch, screenshot, visitor } from './support.mjs';

/** The red of the outlines (platform/src/web/verify.rs). */
const RED = [220, 0, 0];

/** How many pixels of the outlined image shown back are outline red. */
function redPixels(page) {
  return page.$eval(
    '#outlined',
    async (img, red) => {
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d');
      context.drawImage(img, 0, 0);
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] === red[0] && data[i + 1] === red[1] && data[i + 2] === red[2]) count += 1;
      }
      return count;
    },
    RED,
  );
}

describe('the verify page', () => {
  let browser;
  let page;

  before(async () => {
    browser = await launch();
    ({ page } = await visitor(browser));
  });

  after(async () => {
    await browser?.close();
  });

  it('calls the untouched receipt authentic and outlines nothing', async () => {
    assert.equal(await check(page, demo.verify.receipt), 200);
    await screenshot(page, 'verify-clean');
    const verdict = page.locator('#verdict');
    assert.equal(await verdict.getAttribute('data-outcome'), 'authentic');
    assert.equal(await verdict.getAttribute('data-regions'), '0');
    assert.equal(await verdict.getAttribute('class'), 'ok');
    assert.equal(
      (await verdict.textContent()).trim(),
      'This receipt is authentic and has not been altered.',
    );
    assert.equal(await page.locator('#fields').count(), 0, 'no altered fields are listed');
    assert.equal(await redPixels(page), 0, 'nothing is outlined');
  });

  it('calls the copy with a repainted amount altered and outlines the amount in red', async () => {
    assert.equal(await check(page, demo.tamper.receipt), 200);
    await screenshot(page, 'verify-tampered');
    const verdict = page.locator('#verdict');
    assert.equal(await verdict.getAttribute('data-outcome'), 'tampered');
    assert.ok(Number(await verdict.getAttribute('data-regions')) >= 1, 'a region is outlined');
    assert.equal(await verdict.getAttribute('class'), 'bad');
    assert.equal(
      (await verdict.textContent()).trim(),
      'This receipt has been altered. The changed areas are outlined in red.',
    );
    const fields = await page.textContent('#fields');
    assert.match(fields, /^Altered fields: .*\bamount\b/);
    for (const field of demo.tamper.fields) {
      assert.ok(fields.includes(field), `the page names the altered field ${field}`);
    }
    assert.ok((await redPixels(page)) > 100, 'the altered area is outlined in red');
  });

  it('says so when the file is not a receipt image', async () => {
    const file = { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a PNG') };
    assert.equal(await check(page, file), 400);
    await screenshot(page, 'verify-unreadable');
    const verdict = page.locator('#verdict');
    assert.equal(await verdict.getAttribute('data-outcome'), 'unreadable');
    assert.equal(
      (await verdict.textContent()).trim(),
      'This file is not a receipt image we can read.',
    );
    assert.equal(await page.locator('#outlined').count(), 0);
  });
});
