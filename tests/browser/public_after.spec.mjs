// Published decisions (公示, R-POST-1..3, R-POST-7) in headless Chromium, driven by
// playwright-core. Run by tests/tests/it/public_browser_after.rs, which starts
// `serve --demo` (legal demo decisions + demo publications) and adds published
// fixture decisions so the public list has two pages; it passes in env:
//   BASE_URL, ARTIFACTS_DIR, COMPANY_DOC, PERSON_DOC, INSPECTION_DOC, PERSON_NAME,
//   PRIVATE_VALUES (JSON array of values that must never appear).
// Checks: search by the masked name and open the record (刘某 shown, the real name
// and ID number nowhere); page through the list with rel=next/prev and past the
// end; publish the inspection result through the three-person workflow (filer,
// reviewer, approver); withdraw the company penalty and see the notice on its
// page, the record gone from the list. Screenshots into ARTIFACTS_DIR. Prints one
// JSON line on stdout at the end; exit code 1 if any check failed.

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
const COMPANY_DOC = env('COMPANY_DOC');
const PERSON_DOC = env('PERSON_DOC');
const INSPECTION_DOC = env('INSPECTION_DOC');
const PERSON_NAME = env('PERSON_NAME');
const PRIVATE = JSON.parse(env('PRIVATE_VALUES'));
const PASSWORD = 'demo-password';
const WAIT = 30_000;

const failures = [];
const screenshots = [];
const log = (...a) => console.error(...a);

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
  await page.context().clearCookies();
  await page.goto(`${BASE}/login`);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.notEqual(pathOf(page), '/login', `signed in as ${login}`);
}

async function rowIds(page) {
  return page.$$eval('#decisions tr[data-id]', (rows) => rows.map((r) => r.getAttribute('data-id')));
}

async function noPrivate(page, where) {
  const html = await page.content();
  for (const v of PRIVATE) {
    assert.ok(!html.includes(v), `R-POST-2: ${JSON.stringify(v)} appears on ${where}`);
  }
}

/** Decision id of a document number, from the staff queue (signed in). */
async function queueId(page, doc) {
  await page.goto(`${BASE}/publish`);
  const row = page.locator('#publish-queue tr[data-id]', { hasText: doc });
  assert.equal(await row.count(), 1, `queue row of ${doc}`);
  return row.getAttribute('data-id');
}

async function submit(page, formSel) {
  await Promise.all([page.waitForNavigation(), page.locator(`${formSel} button[type=submit]`).click()]);
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liuhen-chromium-'));
fs.mkdirSync(ART, { recursive: true });
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium-headless-shell',
  headless: true,
  viewport: { width: 1280, height: 900 },
  locale: 'zh-CN',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--lang=zh-CN'],
});
context.setDefaultTimeout(WAIT);
const page = context.pages()[0] ?? (await context.newPage());
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
let companyId = null;
let inspectionId = null;

try {
  await check('search by the masked name finds the person decision; the record shows 刘某 only', async () => {
    await page.goto(`${BASE}/public/decisions`);
    const form = page.locator('#decision-search');
    await form.locator('input[name=q]').fill('刘某');
    await Promise.all([page.waitForNavigation(), form.evaluate((el) => el.requestSubmit())]);
    const ids = await rowIds(page);
    assert.equal(ids.length, 1, `one result for 刘某: ${ids}`);
    await shot(page, 'public-after-search');
    await noPrivate(page, 'the search page');
    await Promise.all([page.waitForNavigation(), page.locator('#decisions a.open-decision').first().click()]);
    await page.locator('#decision').waitFor();
    assert.equal((await page.locator('#decision-target').innerText()).trim(), '刘某');
    assert.equal((await page.locator('#decision-doc').innerText()).trim(), PERSON_DOC);
    await noPrivate(page, 'the person decision page');
    await shot(page, 'public-after-person-decision');
  });

  await check('a search by the real name finds nothing public', async () => {
    await page.goto(`${BASE}/public/decisions?q=${encodeURIComponent(PERSON_NAME)}`);
    await page.locator('#decisions-empty').waitFor();
    assert.equal((await rowIds(page)).length, 0);
  });

  await check('an injected <script> is shown escaped and finds nothing', async () => {
    const resp = await page.goto(`${BASE}/public/decisions?q=${encodeURIComponent('<script>window.__x=1</script>')}`);
    assert.equal(resp.status(), 200);
    await page.locator('#decisions-empty').waitFor();
    assert.equal(await page.evaluate(() => window.__x), undefined, 'script did not run');
    assert.equal(await page.locator('input[name=q]').inputValue(), '<script>window.__x=1</script>');
  });

  await check('page through the list with rel=next / rel=prev and past the end', async () => {
    await page.goto(`${BASE}/public/decisions`);
    const first = await rowIds(page);
    assert.equal(first.length, 20, 'a full first page');
    await Promise.all([page.waitForNavigation(), page.locator('a[rel=next]').click()]);
    const second = await rowIds(page);
    assert.ok(second.length >= 1, 'a second page');
    assert.ok(second.every((id) => !first.includes(id)), 'no record twice');
    await shot(page, 'public-after-page-2');
    await Promise.all([page.waitForNavigation(), page.locator('a[rel=prev]').click()]);
    assert.deepEqual(await rowIds(page), first, 'the same first page again');
    await page.goto(`${BASE}/public/decisions?page=50`);
    await page.locator('#decisions-empty').waitFor();
    await Promise.all([page.waitForNavigation(), page.locator('#decisions-empty a').click()]);
    assert.deepEqual(await rowIds(page), first, 'the link goes back to page 1');
  });

  await check('the inspection result is published by filer, reviewer and approver (R-POST-7)', async () => {
    await signIn(page, 'supervisor');
    inspectionId = await queueId(page, INSPECTION_DOC);
    await page.goto(`${BASE}/publish/${inspectionId}`);
    await page.locator('#public-preview').waitFor();
    await shot(page, 'publish-preview');
    await page.locator('#file-form input[name=confirm]').check();
    await submit(page, '#file-form');
    // Each step says what happened, never a generic 操作已完成.
    const said = async (words) => {
      const n = (await page.locator('#publish-notice').innerText()).trim();
      assert.ok(n.startsWith(words), `notice says ${words}: ${n}`);
    };
    await said('已填报');
    await signIn(page, 'legal');
    await page.goto(`${BASE}/publish/${inspectionId}`);
    await submit(page, '#review-form');
    await said('已审核');
    await signIn(page, 'admin');
    await page.goto(`${BASE}/publish/${inspectionId}`);
    await submit(page, '#approve-form');
    await said('已审批并公开');
    await page.locator('#published-on').waitFor();
    for (const who of ['#filer', '#reviewer', '#approver']) {
      assert.ok((await page.locator(who).innerText()).trim().length > 0, `${who} named`);
    }
    await shot(page, 'publish-published');
    await page.goto(`${BASE}/public/decisions/${inspectionId}`);
    await page.locator('#decision').waitFor();
  });

  await check('a withdrawn decision leaves the list and its page shows the notice (R-POST-3)', async () => {
    companyId = await queueId(page, COMPANY_DOC);
    await page.goto(`${BASE}/publish/${companyId}`);
    const form = page.locator('#withdraw-form');
    await form.locator('select[name=reason_kind]').selectOption('revoked');
    await form.locator('textarea[name=reason]').fill('行政复议机关决定撤销（浏览器测试）');
    await submit(page, '#withdraw-form');
    await page.locator('#withdrawal-reason').waitFor();
    await page.context().clearCookies();
    const resp = await page.goto(`${BASE}/public/decisions/${companyId}`);
    assert.equal(resp.status(), 200);
    await page.locator('#withdrawn-notice').waitFor();
    assert.equal(await page.locator('#decision').count(), 0, 'no content');
    await shot(page, 'public-after-withdrawn');
    await page.goto(`${BASE}/public/decisions?q=${encodeURIComponent('有限公司')}`);
    const ids = await rowIds(page);
    assert.ok(!ids.includes(companyId), 'gone from the search');
    const api = await page.request.get(`${BASE}/api/open/v1/decisions?per_page=100`);
    const body = await api.json();
    assert.ok(!body.items.some((d) => d.id === companyId), 'gone from the open data');
  });

  await check('no uncaught script errors on the public pages', async () => {
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
console.log(JSON.stringify({ screenshots, failures, company_id: companyId, inspection_id: inspectionId }));
process.exit(failures.length ? 1 : 0);
