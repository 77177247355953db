// panel-test.cjs URL SCREENSHOT FAKE_URL: the Heartbeat panel in headless Chromium.
// Adds a thread, saves an interval and sees it after a reload, sees a field error for an invalid
// interval, clicks Run now and sees the run in the live feed, and checks that text from the model
// is shown as text. Exit 0 on success, 1 on failure (with the reason), 77 to skip.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.log(`SKIP: playwright-core not available: ${e.message}`);
  process.exit(77);
}

const [url, screenshot, fakeUrl] = process.argv.slice(2);
const executablePath = process.env.HB_CHROMIUM || '/usr/bin/chromium';
const profile = process.env.HB_BROWSER_PROFILE ||
  fs.mkdtempSync(path.join(os.tmpdir(), 'hb-browser-'));
const TIMEOUT = 20000;

function check(cond, what) {
  if (!cond)
    throw new Error(`check failed: ${what}`);
  console.log(`ok - ${what}`);
}

async function pushDecision(decision) {
  const res = await fetch(`${fakeUrl}/_fake/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'content', text: JSON.stringify(decision) }),
  });
  if (!res.ok)
    throw new Error(`fake push: HTTP ${res.status}`);
}

async function main() {
  fs.rmSync(profile, { recursive: true, force: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 950 },
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const consoleErrors = [];
  // The 422 the test provokes is logged by Chromium itself: that one is expected.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  // A dialog would mean some text was run as script.
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });

  try {
    await page.goto(url);
    await page.locator('#status-state', { hasText: /^(Running|Stopped)$/ }).waitFor();
    check(true, 'the panel loads and shows the scheduler state');
    if (await page.textContent('#status-state') === 'Stopped') {
      await page.click('#start');
      await page.locator('#status-state', { hasText: 'Running' }).waitFor();
      check(true, 'Start starts the scheduler, and the panel says so');
    }
    await page.locator('#feed-state', { hasText: 'live' }).waitFor();
    check(true, 'the live feed is connected');

    await page.fill('#new-thread', 'alpha');
    await page.click('#add-thread button[type=submit]');
    await page.locator('#threads button', { hasText: 'alpha' }).waitFor();
    await page.locator('#config-fields:not([disabled])').waitFor();
    check(await page.inputValue('#f-every') === '1800', 'a new thread shows the default interval');

    await page.fill('#f-every', '120');
    await page.click('#save');
    await page.locator('#config-note', { hasText: 'Saved.' }).waitFor();
    await page.reload();
    await page.locator('#config-fields:not([disabled])').waitFor();
    await page.waitForFunction(() => document.querySelector('#f-every').value === '120');
    check(true, 'the saved interval is there after a reload');

    await page.fill('#f-every', '5');
    await page.click('#save');
    const fieldError = page.locator('#config .field-error[data-field="every"]');
    await fieldError.filter({ hasText: /\S/ }).waitFor();
    check((await fieldError.textContent()).length > 0, 'an invalid interval shows a field error');
    check(await page.getAttribute('#f-every', 'aria-invalid') === 'true',
      'the invalid field is marked');
    await page.fill('#f-every', '120');

    await pushDecision({ action: 'post', title: 'Note <img src=x onerror=alert(1)>',
      content: 'Hello <b>world</b>', reasoning: 'say <script>alert(2)</script> hi' });
    await page.click('#run-now');
    const item = page.locator('#feed li.run', { hasText: 'alpha' }).filter({ hasText: 'acted' });
    await item.first().waitFor();
    const summary = await item.first().locator('.summary').textContent();
    check(summary.length > 0, 'Run now puts the run in the live feed with its summary');
    check(await page.locator('#feed img, #feed script, #feed b').count() === 0,
      'text from the model is shown as text, not HTML');
    await page.locator('#history tbody tr').first().waitFor();
    check(true, 'the run appears in the history');

    await page.locator('#md-content').waitFor();
    check((await page.inputValue('#md-content')).includes('Checklist'), 'HEARTBEAT.md is in the editor');

    await page.click('#stop');
    await page.locator('#status-state', { hasText: 'Stopped' }).waitFor();
    check(true, 'Stop stops the scheduler, and the panel says so');
    await page.click('#start');
    await page.locator('#status-state', { hasText: 'Running' }).waitFor();

    await page.screenshot({ path: screenshot, fullPage: true });
    check(fs.statSync(screenshot).size > 0, `the screenshot is in ${screenshot}`);
    check(dialogs === 0, 'nothing from the page ran as script');
    check(consoleErrors.length === 0, `no errors in the console (${consoleErrors.join('; ')})`);
  } catch (e) {
    try {
      await page.screenshot({ path: screenshot, fullPage: true });
    } catch (ignored) { /* the failure matters more */ }
    throw e;
  } finally {
    await context.close();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`FAIL: ${e.stack || e}`);
  process.exit(1);
});
