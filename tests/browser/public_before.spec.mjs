// The public portal's "before enforcement" pages (事前公开, R-PRE-1..4), the double
// random results (R-POST-4) and the annual statistics (R-POST-5) in headless
// Chromium, driven by playwright-core, without signing in. Run by
// tests/tests/it/public_browser_before.rs, which starts the server with the full demo
// data and commits and runs one draw of QYHJ-SJ-07 (its population holds the
// natural person 刘建华); it passes in env: BASE_URL, ARTIFACTS_DIR, DRAW_ID.
// Prints one JSON line on stdout at the end: the screenshots it took, the pages it
// visited and the failures. Progress and failures go to stderr; the exit code is 1
// if any check failed.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is required`);
  return v;
};
const BASE = env('BASE_URL').replace(/\/$/, '');
const ART = env('ARTIFACTS_DIR');
const DRAW = env('DRAW_ID');
const WAIT = 30_000;

const AGENCY = 'qy-sthj';
const AGENCY_NAME = '清远市生态环境局';
const AGENCY_URL = `/public/agencies/${AGENCY}`;
/** The five agency pages, in tab order. */
const TABS = ['', '/officers', '/items', '/documents', '/catalogue'].map((t) => AGENCY_URL + t);
/** Never on a public page (R-POST-2): the demo person's full name and ID number. */
const SECRETS = ['刘建华', '441802198505120317'];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** --accent in desk.css: the current agency tab's background. */
const ACCENT = 'rgb(11, 92, 173)';

const failures = [];
const screenshots = [];
const visited = new Set();
const log = (...a) => console.error(...a);

/** Runs one check; a failure is recorded and the script goes on. */
async function check(name, fn) {
  try {
    await fn();
    log(`ok   ${name}`);
  } catch (e) {
    failures.push(`${name}: ${e && e.message ? e.message : e}`);
    log(`FAIL ${name}\n     ${String(e && e.stack ? e.stack : e).split('\n').slice(0, 6).join('\n     ')}`);
  }
}

const pathOf = (page) => new URL(page.url()).pathname;

async function shot(page, name) {
  // LIUHEN_SCREENSHOTS=0 (scripts/test-all.sh): the checks run, no pictures are taken.
  if (process.env.LIUHEN_SCREENSHOTS === '0') return;
  const file = path.join(ART, `public-before-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  screenshots.push(file);
}

/** The page holds no personal data (R-POST-2) and no inline style (CSP). */
async function checkPage(page) {
  visited.add(pathOf(page));
  const html = await page.content();
  for (const s of SECRETS) {
    assert.ok(!html.includes(s), `R-POST-2: ${pathOf(page)} contains ${s}`);
  }
  const inline = await page.evaluate(() => ({
    attrs: document.querySelectorAll('[style]').length,
    elements: document.querySelectorAll('style').length,
  }));
  assert.deepEqual(inline, { attrs: 0, elements: 0 }, `no inline style on ${pathOf(page)}`);
}

/** Opens `url` (path under BASE), expects `status`, and checks the page. */
async function open(page, url, status = 200) {
  const resp = await page.goto(BASE + url);
  assert.equal(resp.status(), status, `${url} answered ${resp.status()}`);
  await checkPage(page);
  return resp;
}

/** Clicks `locator` (a link) and waits for the next page; checks it. */
async function follow(page, locator) {
  await Promise.all([page.waitForNavigation(), locator.click()]);
  await checkPage(page);
}

/** The agency tab bar links to all five agency pages; only `current` is marked. */
async function checkTabs(page, current) {
  const tabs = page.locator('nav#agency-tabs.agency-tabs a');
  const hrefs = await tabs.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs, TABS, `tab links on ${current}`);
  const marked = await page.locator('nav#agency-tabs a[aria-current="page"]')
    .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(marked, [current], `aria-current="page" on ${current}`);
  const bg = await page.locator('nav#agency-tabs a[aria-current="page"]')
    .evaluate((a) => getComputedStyle(a).backgroundColor);
  assert.equal(bg, ACCENT, 'desk.css styles the current tab');
  // The site menu marks 执法主体 as the current section.
  const nav = await page.locator('#public-nav a[aria-current]').allInnerTexts();
  assert.deepEqual(nav.map((t) => t.trim()), ['执法主体'], 'site menu section');
}

/** Text of `sel` without its heading. */
async function bodyText(page, sel) {
  return page.locator(sel).evaluate((el) => {
    const c = el.cloneNode(true);
    c.querySelectorAll('h2').forEach((h) => h.remove());
    return c.textContent.trim();
  });
}

/** Opens the agency tab named `name` from the current agency page. */
async function tab(page, name, url) {
  await follow(page, page.locator('nav#agency-tabs a', { hasText: name }));
  assert.equal(pathOf(page), url);
  await checkTabs(page, url);
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liuhen-chromium-'));
fs.mkdirSync(ART, { recursive: true });
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium-headless-shell',
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1280, height: 900 },
  locale: 'zh-CN',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--lang=zh-CN',
  ],
});
context.setDefaultTimeout(WAIT);
const page = context.pages()[0] ?? (await context.newPage());
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
const cspErrors = [];
page.on('console', (m) => {
  if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
});

try {
  await check('no sign-in needed: the portal home lists the agencies', async () => {
    await context.clearCookies();
    await open(page, '/public');
    assert.equal(pathOf(page), '/public', 'not sent to /login');
    const link = page.locator(`#agencies li[data-id="${AGENCY}"] > a`);
    assert.equal((await link.innerText()).trim(), AGENCY_NAME);
    assert.equal(await page.locator('#public-nav a[href="/public"][aria-current="page"]').count(), 1, '首页 current');
    await shot(page, 'home');
  });

  await check(`R-PRE-1: the link to ${AGENCY_NAME} opens its bodies, duties, supervision and remedy`, async () => {
    await open(page, '/public');
    await follow(page, page.locator(`#agencies li[data-id="${AGENCY}"] > a`));
    assert.equal(pathOf(page), AGENCY_URL);
    assert.equal((await page.locator('main h1').innerText()).trim(), AGENCY_NAME);
    for (const sel of ['#bodies', '#duties', '#supervision', '#remedy']) {
      const text = await bodyText(page, sel);
      assert.ok(text.length >= 10, `${sel} has text: "${text}"`);
    }
    assert.ok((await bodyText(page, '#bodies')).includes('综合行政执法支队'), '#bodies names the 支队');
    assert.ok((await bodyText(page, '#supervision')).includes('0763-12345'), '#supervision phone');
    assert.ok((await bodyText(page, '#remedy')).includes('行政复议'), '#remedy names 行政复议');
    await checkTabs(page, AGENCY_URL);
    await shot(page, 'agency');
  });

  await check('R-PRE-2: the roster lists valid certificates only (李明, 陈晓红; not 黄志强, 吴建国)', async () => {
    await open(page, AGENCY_URL);
    await tab(page, '执法人员清单', `${AGENCY_URL}/officers`);
    const names = await page.$$eval('#officers tbody tr td:first-child', (tds) => tds.map((t) => t.textContent.trim()));
    for (const n of ['李明', '陈晓红']) assert.ok(names.includes(n), `${n} listed (names: ${names})`);
    const text = await page.locator('main').innerText();
    assert.ok(!text.includes('黄志强'), `黄志强 (expired certificate) not listed (names: ${names})`);
    assert.ok(!text.includes('吴建国'), `吴建国 (suspended certificate) not listed (names: ${names})`);
    const ids = await page.$$eval('#officers tr[data-id]', (rows) => rows.map((r) => r.getAttribute('data-id')));
    assert.ok(!ids.includes('qy-zf-003') && !ids.includes('qy-zf-004'), `rows: ${ids}`);
    const li = await page.locator('#officers tr[data-id="qy-zf-001"]').innerText();
    assert.ok(/\d{4}-\d{2}-\d{2}/.test(li), `李明's row shows the certificate validity: ${li}`);
    await shot(page, 'officers');
  });

  await check('R-PRE-3: the spot-check item list has rows with body, basis, ratio, method, frequency', async () => {
    await open(page, `${AGENCY_URL}/officers`);
    await tab(page, '随机抽查事项清单', `${AGENCY_URL}/items`);
    const rows = await page.$$eval('#items tbody tr[data-code]', (trs) => trs.map((t) => ({
      code: t.getAttribute('data-code'),
      cells: [...t.cells].map((c) => c.textContent.trim()),
    })));
    assert.ok(rows.length > 0, 'rows in #items');
    const waste = rows.find((r) => r.code === 'QYHJ-SJ-07');
    assert.ok(waste, `QYHJ-SJ-07 listed (codes: ${rows.map((r) => r.code)})`);
    assert.equal(waste.cells.length, 8, `eight columns: ${waste.cells}`);
    assert.ok(waste.cells.every((c) => c.length > 0), `every column filled: ${waste.cells}`);
    assert.equal(waste.cells[5], '100%', `ratio: ${waste.cells}`);
    await shot(page, 'items');
  });

  await check('R-PRE-4: the documents page lists the flow chart and the recording list; the chart shows in the browser and downloads', async () => {
    await open(page, `${AGENCY_URL}/items`);
    await tab(page, '流程图、服务指南与音像记录清单', `${AGENCY_URL}/documents`);
    const row = page.locator('#documents tbody tr', { hasText: '行政检查流程图' });
    assert.equal(await row.count(), 1, 'one flow chart row');
    assert.ok((await row.innerText()).includes('流程图'), 'kind 流程图');
    const steps = await page.$$eval('#recording ol li', (lis) => lis.map((l) => l.textContent.trim()));
    assert.ok(steps.length >= 3, `recording list (steps: ${steps})`);
    const href = await row.locator('a[href^="/public/documents/"]:not(.download)').getAttribute('href');
    const resp = await page.request.get(BASE + href);
    assert.equal(resp.status(), 200, `${href} status`);
    assert.match(resp.headers()['content-type'] ?? '', /^image\/(png|jpeg)$/, 'image content type');
    assert.match(resp.headers()['content-disposition'] ?? '', /^inline;/, 'shown in the browser');
    const body = await resp.body();
    assert.deepEqual([...body.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'PNG bytes');
    // The 下载 link saves the file.
    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('a.download').click()]);
    assert.match(download.suggestedFilename(), /流程图.*\.png$/, `saved as ${download.suggestedFilename()}`);
    assert.equal(fs.statSync(await download.path()).size, body.length, 'saved whole');
    await shot(page, 'documents');
  });

  await check('R-PRE-4, R-LEGAL-2: the legal review catalogue shows version 1 and 较大数额罚款 over 50000.00 元', async () => {
    await open(page, `${AGENCY_URL}/documents`);
    await tab(page, '法制审核目录清单', `${AGENCY_URL}/catalogue`);
    const cat = page.locator('section#catalogue');
    assert.equal(await cat.getAttribute('data-version'), '1', 'data-version');
    assert.ok((await cat.locator('h2').innerText()).includes('第 1 版'), 'heading names 第 1 版');
    const triggers = await page.$$eval('#triggers li', (lis) => lis.map((l) => l.textContent.trim()));
    assert.ok(triggers.includes('较大数额罚款'), `triggers: ${triggers}`);
    const threshold = await page.locator('#threshold').innerText();
    assert.ok(threshold.includes('50000.00 元'), `threshold: ${threshold}`);
    await shot(page, 'catalogue');
  });

  await check('the agency tabs lead back to the agency page', async () => {
    await open(page, `${AGENCY_URL}/catalogue`);
    await tab(page, '执法主体', AGENCY_URL);
  });

  await check('an unknown agency is a clear 404 page', async () => {
    await open(page, '/public/agencies/no-such-agency/officers', 404);
    const err = await page.locator('#public-error').innerText();
    assert.ok(err.includes('找不到'), `#public-error: ${err}`);
  });

  await check('R-POST-4: the draws page lists the draw; its result masks the person (刘某)', async () => {
    await open(page, AGENCY_URL);
    await follow(page, page.locator('#public-nav a', { hasText: '双随机抽查' }));
    assert.equal(pathOf(page), '/public/draws');
    assert.equal(await page.locator('#public-nav a[href="/public/draws"][aria-current="page"]').count(), 1);
    const row = page.locator(`#draws tr[data-id="${DRAW}"]`);
    assert.equal(await row.count(), 1, `draw ${DRAW} listed`);
    assert.ok((await row.innerText()).includes(AGENCY_NAME), 'agency named');
    await shot(page, 'draws');
    await follow(page, row.locator('a', { hasText: '查看结果' }));
    assert.equal(pathOf(page), `/public/draws/${DRAW}`);
    const targets = await page.$$eval('#drawn tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent.trim()));
    assert.ok(targets.length > 0, 'drawn rows');
    assert.ok(targets.includes('刘某'), `the natural person shows as 刘某 (targets: ${targets})`);
    await shot(page, 'draw');
  });

  await check('R-POST-5: the 2025 statistics show the chart and the table', async () => {
    await open(page, '/public');
    await follow(page, page.locator('#public-nav a', { hasText: '年度统计' }));
    assert.equal(pathOf(page), '/public/stats');
    const y = page.locator('#years li[data-year="2025"]');
    assert.ok((await y.innerText()).includes('已公布'), `2025: ${await y.innerText()}`);
    await follow(page, y.locator('a'));
    assert.equal(pathOf(page), '/public/stats/2025');
    const bars = page.locator('#chart .bar-row');
    assert.ok(await bars.count() > 0, 'bars in the chart');
    assert.ok(await page.locator('#chart svg.bar rect').count() === await bars.count(), 'one bar drawn per row');
    const box = await page.locator('#chart .bars').boundingBox();
    assert.ok(box && box.width > 300 && box.height > 50, `chart drawn: ${JSON.stringify(box)}`);
    // The labels are page text: readable at any width (never scaled down with a drawing).
    const px = await bars.first().locator('.bar-label').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(px >= 12, `label ${px}px`);
    const name = await page.locator(`#stats tr[data-agency="${AGENCY}"] td:first-child`).innerText();
    assert.equal(name.trim(), AGENCY_NAME);
    await shot(page, 'stats-2025');
  });

  await check('R-POST-5: the CSV and XLSX links download with the right types', async () => {
    await open(page, '/public/stats/2025');
    const files = [
      ['#csv', '/public/stats/2025.csv', 'text/csv; charset=utf-8', [0xef, 0xbb, 0xbf], /\.csv$/],
      ['#xlsx', '/public/stats/2025.xlsx', XLSX, [0x50, 0x4b, 0x03, 0x04], /\.xlsx$/],
    ];
    for (const [sel, url, type, magic, ext] of files) {
      const link = page.locator(`a${sel}`);
      assert.equal(await link.getAttribute('href'), url, `${sel} href`);
      const resp = await page.request.get(BASE + url);
      assert.equal(resp.status(), 200, `${url} status`);
      assert.equal(resp.headers()['content-type'], type, `${url} content type`);
      const body = await resp.body();
      assert.deepEqual([...body.subarray(0, magic.length)], magic, `${url} starts like a ${ext} file`);
      if (sel === '#csv') {
        const text = body.toString('utf8');
        assert.ok(text.includes(AGENCY_NAME), 'CSV names the agency');
        for (const s of SECRETS) assert.ok(!text.includes(s), `CSV contains ${s}`);
      }
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      assert.match(download.suggestedFilename(), ext, `saved as ${download.suggestedFilename()}`);
      const saved = fs.readFileSync(await download.path());
      if (sel === '#csv') {
        assert.equal(saved.length, body.length, `${url} saved whole`);
      } else {
        // Each XLSX is made anew with its creation time inside, so two downloads may
        // differ by a byte of compression: the saved file must be a whole ZIP (its
        // end-of-central-directory record closes it), about the size fetched above.
        assert.deepEqual([...saved.subarray(0, magic.length)], magic, `${url} saved from its start`);
        const eocd = saved.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
        assert.ok(eocd >= 0 && eocd === saved.length - 22, `${url} saved whole (end of the ZIP at ${eocd} of ${saved.length})`);
        assert.ok(Math.abs(saved.length - body.length) <= 16, `${url}: ${saved.length} bytes saved, ${body.length} fetched`);
      }
    }
  });

  await check('a bad year (/public/stats/99999) is a clear error page, not a crash', async () => {
    await open(page, '/public/stats/99999', 400);
    const err = page.locator('#public-error');
    assert.equal((await err.locator('h1').innerText()).trim(), '查询条件有误');
    const text = await err.innerText();
    assert.ok(text.includes('99999') && text.includes('无效'), `message: ${text}`);
    assert.equal(await err.locator('a[href="/public"]').count(), 1, 'a way back to the portal');
    assert.equal(await page.locator('#public-nav').count(), 1, 'the portal layout around it');
    await shot(page, 'bad-year');
    await open(page, '/public/stats/2999', 404);
    assert.ok((await page.locator('#public-error').innerText()).includes('尚未到来'), 'a future year');
    await open(page, '/public/stats/2025.pdf', 404);
  });

  await check('print layout: no menus or tabs, tables at full width', async () => {
    await open(page, `${AGENCY_URL}/officers`);
    await page.emulateMedia({ media: 'print' });
    const shown = await page.evaluate(() => ({
      nav: getComputedStyle(document.querySelector('#public-nav')).display,
      tabs: getComputedStyle(document.querySelector('#agency-tabs')).display,
      table: getComputedStyle(document.querySelector('#officers')).display,
    }));
    assert.deepEqual(shown, { nav: 'none', tabs: 'none', table: 'table' });
    await shot(page, 'officers-print');
    await page.emulateMedia({ media: 'screen' });
  });

  await check('narrow screen: the tabs wrap and the page does not overflow sideways', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    await open(page, AGENCY_URL);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page wider than the screen by ${overflow}px`);
    await shot(page, 'agency-768');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await check('no uncaught script errors and no CSP refusals on the public pages', async () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(cspErrors, []);
  });
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

log(`\nscreenshots:\n  ${screenshots.join('\n  ')}`);
if (failures.length) {
  log(`\n${failures.length} check(s) failed:\n- ${failures.join('\n- ')}`);
}
console.log(JSON.stringify({
  screenshots,
  visited: [...visited],
  failures,
}));
process.exit(failures.length ? 1 : 0);
