// The supervisor's desk (审核工作台) in headless Chromium, driven by playwright-core.
// Run by tests/tests/it/desk_browser.rs, which starts the server with the desk demo
// data and syncs a fresh inspection from a simulated phone; it passes in env:
//   BASE_URL, INSPECTION_ID, FINDING_ID, PHOTO_SHA, AUDIO_SHA, ARTIFACTS_DIR and
//   DEMO_* ids of the seeded inspections (server/src/demo.rs).
// Prints one JSON line on stdout at the end: the comments it wrote (the Rust test
// checks they reach the phone) and the screenshots it took. Progress and failures
// go to stderr; the exit code is 1 if any check failed.

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
const ID = env('INSPECTION_ID');
const FINDING = env('FINDING_ID');
const PHOTO = env('PHOTO_SHA');
const AUDIO = env('AUDIO_SHA');
const ART = env('ARTIFACTS_DIR');
const D = {
  clean: env('DEMO_PENDING_CLEAN'),
  violations: env('DEMO_VIOLATIONS'),
  late: env('DEMO_LATE_PHOTO'),
  awaiting: env('DEMO_AWAITING_UPLOAD'),
  returned: env('DEMO_RETURNED'),
  amended: env('DEMO_AMENDED'),
  approved: env('DEMO_APPROVED'),
  open: env('DEMO_OPEN'),
  conflict: env('DEMO_CONFLICT'),
  script: env('DEMO_SCRIPT_TEXT'),
  other: env('DEMO_OTHER_AGENCY'),
  // Approved inspections opened in 2025, the demo's statistics year.
  statsYear: env('DEMO_STATS_YEAR').split(','),
};
const PASSWORD = 'demo-password';
const WAIT = 30_000;

const stamp = Date.now().toString(36);
const COMMENT = `请补充警示标志整改期限的说明（浏览器测试 ${stamp}）`;
const FINDING_COMMENT = `警示标志缺失应注明具体位置并附近景照片（${stamp}）`;
const CSRF_PROBE = `无令牌表单-${stamp}`;
const KEPT_TEXT = `会话结束前输入的意见（${stamp}）`;

const failures = [];
const screenshots = [];
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
  const file = path.join(ART, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  screenshots.push(file);
}

async function signIn(page, login) {
  await page.goto(`${BASE}/login`);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.notEqual(pathOf(page), '/login', `signed in as ${login} (still on /login: ${await page.locator('.error').allInnerTexts()})`);
}

async function rowIds(page) {
  return page.$$eval('#queue tr[data-id]', (rows) => rows.map((r) => r.getAttribute('data-id')));
}

/** Sets the queue filters (others back to their defaults) and submits the form. */
async function filterQueue(page, f) {
  await page.goto(`${BASE}/desk`);
  const form = page.locator('#queue-filters');
  await form.waitFor({ timeout: WAIT });
  if (f.state) await form.locator('select[name=state]').selectOption(f.state);
  if (f.officer) await form.locator('select[name=officer]').selectOption(f.officer);
  if (f.target !== undefined) await form.locator('input[name=target]').fill(f.target);
  if (f.from) await form.locator('input[name=from]').fill(f.from);
  for (const box of ['violations', 'late', 'awaiting']) {
    if (f[box]) await form.locator(`input[name=${box}]`).check();
  }
  await Promise.all([
    page.waitForNavigation(),
    form.evaluate((el) => el.requestSubmit()),
  ]);
  return rowIds(page);
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liuhen-chromium-'));
fs.mkdirSync(ART, { recursive: true });
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium-headless-shell',
  headless: true,
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
    '--autoplay-policy=no-user-gesture-required',
    '--lang=zh-CN',
  ],
});
context.setDefaultTimeout(WAIT);
const page = context.pages()[0] ?? (await context.newPage());
const dialogs = [];
context.on('page', (p) => p.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); }));
page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));

try {
  const insp = `${BASE}/desk/inspections/${ID}`;

  await check('every desk URL sends a visitor without a session to /login', async () => {
    const urls = [
      '/desk',
      '/desk?state=pending&violations=1',
      `/desk/inspections/${ID}`,
      `/desk/inspections/${ID}/evidence/${PHOTO}`,
      `/desk/inspections/${ID}/evidence/${PHOTO}/thumb`,
      `/desk/inspections/${ID}/evidence/${AUDIO}`,
      `/desk/inspections/${ID}/access`,
      `/desk/inspections/${D.clean}`,
    ];
    for (const u of urls) {
      await page.goto(BASE + u);
      assert.equal(pathOf(page), '/login', `${u} ended on ${page.url()}`);
    }
  });

  await signIn(page, 'supervisor');

  await check('queue lists the synced inspection and the demo inspections', async () => {
    await page.goto(`${BASE}/desk`);
    const ids = await rowIds(page);
    for (const want of [ID, D.clean, D.violations, D.returned]) {
      assert.ok(ids.includes(want), `row ${want} in #queue (rows: ${ids.join(', ')})`);
    }
    assert.ok(!ids.includes(D.other), 'no row of the other agency');
    const link = page.locator(`#queue tr[data-id="${ID}"] a.open-inspection`);
    assert.equal(await link.getAttribute('href'), `/desk/inspections/${ID}`);
    await shot(page, 'queue');
  });

  await check('queue filters: officer', async () => {
    const ids = await filterQueue(page, { officer: 'qy-zf-003' });
    assert.ok(ids.includes(D.violations), `黄志强's inspection listed (rows: ${ids})`);
    assert.ok(!ids.includes(ID) && !ids.includes(D.clean), `others gone (rows: ${ids})`);
  });

  await check('queue filters: awaiting upload', async () => {
    const ids = await filterQueue(page, { awaiting: true });
    assert.ok(ids.includes(D.awaiting), `awaiting-upload inspection listed (rows: ${ids})`);
    assert.ok(!ids.includes(D.clean) && !ids.includes(ID), `complete ones gone (rows: ${ids})`);
  });

  await check('queue filters: rule violations', async () => {
    const ids = await filterQueue(page, { violations: true });
    assert.ok(ids.includes(D.violations), `violating inspection listed (rows: ${ids})`);
    assert.ok(!ids.includes(D.clean) && !ids.includes(ID), `clean ones gone (rows: ${ids})`);
  });

  await check('queue filters: late evidence (R-REC-4)', async () => {
    const ids = await filterQueue(page, { late: true });
    assert.ok(ids.includes(D.late), `late-photo inspection listed (rows: ${ids})`);
    assert.ok(!ids.includes(D.clean), `on-time ones gone (rows: ${ids})`);
  });

  await check('queue filters: state returned / approved / open', async () => {
    let ids = await filterQueue(page, { state: 'returned' });
    assert.ok(ids.includes(D.returned), `returned listed (rows: ${ids})`);
    assert.ok(!ids.includes(D.approved) && !ids.includes(D.clean), `not returned gone (rows: ${ids})`);
    // Opened in the last 30 days: only this week's approved one; without a date
    // range, the 2025 statistics year's approved inspections too.
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    ids = await filterQueue(page, { state: 'approved', from: since });
    assert.deepEqual(ids, [D.approved], 'only the recent approved one');
    ids = await filterQueue(page, { state: 'approved' });
    assert.deepEqual([...ids].sort(), [D.approved, ...D.statsYear].sort(), 'approved, all dates');
    ids = await filterQueue(page, { state: 'open' });
    assert.ok(ids.includes(D.open) && !ids.includes(D.clean), `open on site (rows: ${ids})`);
    ids = await filterQueue(page, { state: 'amended' });
    assert.ok(ids.includes(D.amended) && !ids.includes(D.returned), `amended (rows: ${ids})`);
  });

  await check('queue filters: a target matching nothing shows #queue-empty', async () => {
    const ids = await filterQueue(page, { target: '不存在的检查对象xyz' });
    assert.deepEqual(ids, []);
    await page.locator('#queue-empty').waitFor({ state: 'visible' });
  });

  await check('inspection page opens from the queue with every section', async () => {
    await page.goto(`${BASE}/desk`);
    await Promise.all([
      page.waitForNavigation(),
      page.click(`#queue tr[data-id="${ID}"] a.open-inspection`),
    ]);
    assert.equal(pathOf(page), `/desk/inspections/${ID}`);
    for (const sel of ['#team', '#identity-notice', '#findings', '#evidence', '#rights-notice',
      '#timeline', '#rule-results', '#tamper-check', '#review', 'a#access-log-link']) {
      assert.ok(await page.locator(sel).count() > 0, `${sel} present`);
    }
    const team = await page.locator('#team').innerText();
    assert.ok(team.includes('李明') && team.includes('陈晓红'), `team: ${team}`);
    assert.equal(await page.locator(`#findings .finding[data-id="${FINDING}"]`).count(), 1, 'the finding');
    assert.equal(await page.locator('a#access-log-link').getAttribute('href'), `/desk/inspections/${ID}/access`);
  });

  await check('inspection page at tablet sizes: no sideways scrolling (and screenshots)', async () => {
    await page.goto(insp);
    for (const [width, height] of [[1024, 768], [768, 1024]]) {
      await page.setViewportSize({ width, height });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${width}x${height}: the page is ${overflow} px wider than the window`);
      await shot(page, `inspection-${width}x${height}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await check('the identity notice recording plays', async () => {
    await page.goto(insp);
    const audio = page.locator('#identity-notice audio[controls]');
    assert.equal(await audio.count(), 1, 'one <audio controls> in #identity-notice');
    const src = await audio.evaluate((a) => a.getAttribute('src') ?? a.querySelector('source')?.getAttribute('src'));
    assert.equal(src, `/desk/inspections/${ID}/evidence/${AUDIO}`);
    const played = await audio.evaluate((a, ms) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not playing: currentTime=${a.currentTime} error=${a.error && a.error.code} readyState=${a.readyState}`)), ms);
      const done = () => { if (a.currentTime > 0) { clearTimeout(timer); resolve(a.currentTime); } };
      a.addEventListener('timeupdate', done);
      a.addEventListener('error', () => { clearTimeout(timer); reject(new Error(`media error ${a.error && a.error.code}`)); });
      a.play().catch((e) => { clearTimeout(timer); reject(e); });
    }), WAIT);
    assert.ok(played > 0);
  });

  await check('a photo opens in full size and the access log lists the view', async () => {
    await page.goto(insp);
    const link = page.locator(`#evidence a.photo[href="/desk/inspections/${ID}/evidence/${PHOTO}"]`);
    assert.equal(await link.count(), 1, 'a.photo link to the original');
    const thumb = link.locator(`img[src="/desk/inspections/${ID}/evidence/${PHOTO}/thumb"]`);
    assert.equal(await thumb.count(), 1, 'thumbnail inside the link');
    await thumb.evaluate((img) => img.complete && img.naturalWidth > 0 ? null
      : new Promise((res, rej) => { img.onload = res; img.onerror = () => rej(new Error('thumbnail failed to load')); }));
    assert.ok(await thumb.evaluate((img) => img.naturalWidth) > 0, 'thumbnail decoded');
    const target = await link.getAttribute('target');
    let viewer = page;
    if (target === '_blank') {
      [viewer] = await Promise.all([context.waitForEvent('page'), link.click()]);
      await viewer.waitForLoadState();
    } else {
      await Promise.all([page.waitForNavigation(), link.click()]);
    }
    const width = await viewer.evaluate(async (sha) => {
      const imgs = [...document.images].filter((i) => !i.src.endsWith('/thumb') && i.src.includes(sha));
      const img = imgs[0] ?? document.images[0];
      if (!img) return 0;
      if (!img.complete) await new Promise((r) => { img.onload = r; img.onerror = r; });
      return img.naturalWidth;
    }, PHOTO);
    assert.ok(width >= 1600, `original photo decoded at full size (naturalWidth ${width})`);
    if (viewer !== page) await viewer.close();

    await page.goto(insp);
    await Promise.all([page.waitForNavigation(), page.click('a#access-log-link')]);
    assert.equal(pathOf(page), `/desk/inspections/${ID}/access`);
    const rows = await page.$$eval('#access-log tr', (trs) => trs.map((t) => t.innerText + ' ' + t.innerHTML));
    const viewRow = rows.find((r) => r.includes('演示督查员') && (r.includes(PHOTO.slice(0, 8)) || r.includes(PHOTO)));
    assert.ok(viewRow, `#access-log has a row by 演示督查员 naming photo ${PHOTO.slice(0, 12)}; rows:\n${rows.map((r) => r.slice(0, 200)).join('\n')}`);
    await shot(page, 'access-log');
  });

  await check('a decision POST without the csrf field is refused 403 and changes nothing', async () => {
    await page.goto(insp);
    const before = await page.locator('#review').innerText();
    const heads = await page.locator('form#decide input[name=base_heads]').inputValue();
    const resp = await page.request.post(`${insp}/decide`, {
      form: { form_id: `probe-${stamp}`, base_heads: heads, decision: 'approved', comment: CSRF_PROBE },
      maxRedirects: 0,
    });
    assert.equal(resp.status(), 403, `status ${resp.status()}`);
    await page.goto(insp);
    assert.equal(await page.locator('#review').innerText(), before, '#review unchanged');
    assert.ok(!(await page.content()).includes(CSRF_PROBE), 'probe comment not shown');
  });

  await check('return the inspection with a general and a per-finding comment', async () => {
    await page.goto(insp);
    const form = page.locator('form#decide');
    for (const f of ['csrf', 'form_id', 'base_heads']) {
      assert.equal(await form.locator(`input[type=hidden][name=${f}]`).count(), 1, `hidden ${f}`);
    }
    await form.locator(`textarea[name="item:finding:${FINDING}"]`).fill(FINDING_COMMENT);
    await form.locator('textarea[name=comment]').fill(COMMENT);
    await Promise.all([
      page.waitForNavigation(),
      form.locator('button[name=decision][value=returned]').click(),
    ]);
    await page.locator('#decision-done').waitFor({ state: 'visible' });
    await shot(page, 'returned');
    await page.goto(insp);
    const review = await page.locator('#review').innerText();
    assert.ok(review.includes(COMMENT), `#review shows the comment: ${review}`);
    assert.ok(review.includes('退回'), `#review shows 退回: ${review}`);
  });

  await check('an injected <script> in a finding is shown as text and never runs', async () => {
    const before = dialogs.length;
    await page.goto(`${BASE}/desk/inspections/${D.script}`, { waitUntil: 'load' });
    const text = await page.locator('#findings').innerText();
    assert.ok(text.includes('<script>alert("xss")</script>'), `literal text visible: ${text}`);
    assert.equal(await page.locator('#findings script').count(), 0, 'no <script> element in #findings');
    // A round trip through the page after load: any alert() would have opened by now.
    assert.equal(await page.evaluate(() => document.readyState), 'complete');
    assert.equal(dialogs.length, before, `no dialog opened (${dialogs.slice(before)})`);
  });

  await check('merged conflict and rule results are shown', async () => {
    await page.goto(`${BASE}/desk/inspections/${D.conflict}`);
    assert.ok(await page.locator('#conflicts .conflict').count() >= 1, '#conflicts .conflict');
    await page.goto(`${BASE}/desk/inspections/${D.violations}`);
    assert.ok(await page.locator('#rule-results .rule.bad[data-rule="R-SCENE-2"]').count() >= 1, 'R-SCENE-2 bad');
    await page.goto(`${BASE}/desk/inspections/${D.awaiting}`);
    assert.ok(await page.locator('#evidence .evidence-missing').count() >= 1, '.evidence-missing');
  });

  await check('a form kept across an ended session comes back pre-filled after sign-in', async () => {
    await page.goto(`${BASE}/desk/inspections/${D.clean}`);
    await page.locator('form#decide textarea[name=comment]').fill(KEPT_TEXT);
    await context.clearCookies();
    const [resp] = await Promise.all([
      page.waitForNavigation(),
      page.locator('form#decide button[name=decision][value=returned]').click(),
    ]);
    // The answer is the sign-in page itself (401), carrying the typed fields.
    assert.equal(resp.status(), 401, `status ${resp.status()} at ${page.url()}`);
    assert.equal(await page.locator('form[action="/login"] input[name=login]').count(), 1,
      `the sign-in form is shown (at ${page.url()})`);
    assert.equal(await page.locator('form#decide').count(), 0, 'not the decision form');
    await page.fill('input[name=login]', 'supervisor');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(pathOf(page), `/desk/inspections/${D.clean}`, `back on the inspection: ${page.url()}`);
    await page.locator('#kept-form-notice').waitFor({ state: 'visible' });
    assert.equal(await page.locator('form#decide textarea[name=comment]').inputValue(), KEPT_TEXT);
  });

  await check('sign-out ends the session', async () => {
    await page.goto(`${BASE}/desk`);
    if (pathOf(page) === '/login') await signIn(page, 'supervisor');
    await page.goto(`${BASE}/desk`);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
    await page.goto(`${BASE}/desk`);
    assert.equal(pathOf(page), '/login', `after sign-out /desk ended on ${page.url()}`);
  });

  await check('a supervisor of another agency sees none of its inspections', async () => {
    await context.clearCookies();
    await signIn(page, 'supervisor2');
    const resp = await page.goto(insp);
    assert.equal(resp.status(), 404, `inspection page status ${resp.status()}`);
    const ev = await page.request.get(`${insp}/evidence/${PHOTO}`);
    assert.equal(ev.status(), 404, `evidence status ${ev.status()}`);
    const acc = await page.request.get(`${insp}/access`);
    assert.equal(acc.status(), 404, `access log status ${acc.status()}`);
    await page.goto(`${BASE}/desk`);
    const ids = await rowIds(page);
    assert.ok(!ids.includes(ID) && !ids.includes(D.clean), `no qy-sthj rows (rows: ${ids})`);
    assert.ok(ids.includes(D.other), `its own inspection listed (rows: ${ids})`);
  });

  await check('no uncaught script errors on the desk pages', async () => {
    assert.deepEqual(pageErrors, []);
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
  comment: COMMENT,
  finding_comment: FINDING_COMMENT,
  csrf_probe: CSRF_PROBE,
  screenshots,
  failures,
}));
process.exit(failures.length ? 1 : 0);
