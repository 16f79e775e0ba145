// The legal review workflow (法制审核, R-LEGAL-1..7) in headless Chromium, driven by
// playwright-core. Run by tests/tests/it/legal_browser.rs, which starts the server with
// the demo accounts and a published catalogue (R-LEGAL-2); it passes in env:
//   BASE_URL, ARTIFACTS_DIR.
// The full cycle: the supervisor drafts a major penalty (fine ¥80,000 above the
// ¥50,000 threshold) and submits it; deciding is refused (R-LEGAL-1); the reviewer
// fails 事实证据 and returns it (存在问题); the supervisor amends the facts and
// resubmits; the reviewer sees what changed since the last review (R-LEGAL-4) and
// approves; the supervisor decides; the audit trail names everyone.
// Prints one JSON line on stdout at the end (draft id, screenshots, failures).
// Progress and failures go to stderr; the exit code is 1 if any check failed.

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
const PASSWORD = 'demo-password';
const WAIT = 30_000;

const stamp = Date.now().toString(36);
const TITLE = `关于清远市鑫达陶瓷有限公司超标排放的行政处罚决定（${stamp}）`;
const FACTS_1 = '2026年3月2日现场检查发现，当事人窑炉废气排放口颗粒物浓度超过排放标准。';
const FACTS_2 = `${FACTS_1}经第三方监测报告（编号 QYJC-2026-0311）复核，超标 2.1 倍，已附采样记录。`;
const FAIL_NOTE = `监测报告未附采样记录，证据不充分（${stamp}）`;
const DOC_NUMBER = '清环罚〔2026〕99号';
const ITEMS = ['qualification', 'authority', 'procedure', 'facts_evidence', 'law_discretion', 'documents', 'crime_transfer'];

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
  await page.goto(`${BASE}/login?next=/legal`);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.notEqual(pathOf(page), '/login', `signed in as ${login} (still on /login: ${await page.locator('.error').allInnerTexts()})`);
}

async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
  assert.equal(pathOf(page), '/login');
}

/** Submits a form by its selector and waits for the next page. */
async function send(page, selector) {
  await Promise.all([
    page.waitForNavigation(),
    page.locator(selector).evaluate((el) => el.requestSubmit()),
  ]);
}

/** Fills the review form: every item passes except `fail` (item → note). */
async function fillReview(page, fail, opinion, text) {
  for (const item of ITEMS) {
    const verdict = fail[item] ? 'fail' : 'pass';
    await page.check(`#review-form input[name="check:${item}"][value=${verdict}]`);
    if (fail[item]) await page.fill(`#review-form textarea[name="note:${item}"]`, fail[item]);
  }
  await page.check(`#review-form input[name=opinion][value=${opinion}]`);
  if (text) await page.fill('#review-form textarea[name=opinion_text]', text);
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
    '--lang=zh-CN',
  ],
});
context.setDefaultTimeout(WAIT);
const page = context.pages()[0] ?? (await context.newPage());
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
let id = '';
const draftUrl = () => `${BASE}/legal/drafts/${id}`;

try {
  await check('the legal queue needs a session', async () => {
    await page.goto(`${BASE}/legal`);
    assert.equal(pathOf(page), '/login', `ended on ${page.url()}`);
  });

  await check('the supervisor drafts a major penalty (¥80,000 > ¥50,000, R-LEGAL-2)', async () => {
    await signIn(page, 'supervisor');
    await page.goto(`${BASE}/legal`);
    await page.locator('nav a[href="/legal"][aria-current=page]').waitFor();
    await Promise.all([page.waitForNavigation(), page.click('a#new-draft')]);
    const f = page.locator('form#draft-form');
    await f.locator('select[name=kind]').selectOption('penalty');
    await f.locator('input[name=title]').fill(TITLE);
    await f.locator('input[name=category]').fill('生态环境');
    await f.locator('select[name=party_kind]').selectOption('company');
    await f.locator('input[name=party_name]').fill('清远市鑫达陶瓷有限公司');
    await f.locator('textarea[name=legal_basis]').fill('《中华人民共和国大气污染防治法》第九十九条第（二）项');
    await f.locator('textarea[name=facts]').fill(FACTS_1);
    await f.locator('textarea[name=discretion]').fill('清远市生态环境行政处罚自由裁量基准第 12 项（超标 1 倍以上 3 倍以下）');
    await f.locator('textarea[name=conclusion]').fill('责令改正，并处罚款人民币捌万元整。');
    await f.locator('input[name=fine]').fill('80000');
    await f.locator('textarea[name=confidential]').fill('保密：当事人提供的釉料配方');
    await shot(page, 'legal-01-new-draft');
    await send(page, 'form#draft-form');
    const m = pathOf(page).match(/^\/legal\/drafts\/([0-9a-f-]{36})$/);
    assert.ok(m, `on the draft page: ${page.url()}`);
    id = m[1];
    await page.locator('#notice').waitFor();
    const cls = await page.locator('#classification').innerText();
    assert.match(cls, /重大执法决定/);
    assert.match(cls, /较大数额罚款/);
    const fine = await page.locator('#draft-fields dd[data-field=fine_fen]').innerText();
    assert.match(fine, /80000\.00 元/);
  });

  await check('the supervisor submits it for legal review', async () => {
    await page.goto(draftUrl());
    await page.fill('#submit-form textarea[name=note]', '首次提交');
    await send(page, '#submit-form');
    assert.match(await page.locator('#notice').innerText(), /已提交法制审核/);
    assert.equal(await page.locator('#draft-status').innerText(), '审核中');
    await page.locator('#deadline .deadline').waitFor();
  });

  await check('deciding before the review passed is refused (R-LEGAL-1)', async () => {
    await page.fill('#decide-form input[name=doc_number]', DOC_NUMBER);
    await send(page, '#decide-form');
    const refusal = await page.locator('#refusal').innerText();
    assert.match(refusal, /R-LEGAL-1/);
    assert.match(refusal, /不得作出决定/);
    assert.equal(await page.locator('#decision .doc-number').count(), 0, 'no decision');
    assert.equal(await page.inputValue('#decide-form input[name=doc_number]'), DOC_NUMBER, 'typed number kept');
    await shot(page, 'legal-02-decide-refused');
  });

  await check('the reviewer finds problems in 事实证据 (R-LEGAL-3, R-LEGAL-4)', async () => {
    await signOut(page);
    await signIn(page, 'legal');
    await page.goto(`${BASE}/legal`);
    await page.locator(`#legal-queue tr[data-id="${id}"]`).waitFor();
    await shot(page, 'legal-03-queue');
    await page.goto(draftUrl());
    await Promise.all([page.waitForNavigation(), page.click('a#review-link')]);
    await fillReview(page, { facts_evidence: FAIL_NOTE }, 'problems', '事实证据不充分，请补充监测报告的采样记录后重新提交。');
    await shot(page, 'legal-04-review-problems');
    await send(page, '#review-form');
    assert.equal(pathOf(page), `/legal/drafts/${id}`);
    assert.match(await page.locator('#notice').innerText(), /审核意见已出具/);
    assert.equal(await page.locator('#draft-status').innerText(), '退回修改');
    const review = page.locator('#reviews .legal-review[data-version="1"]');
    assert.match(await review.locator('.opinion').innerText(), /存在问题/);
    const failed = await review.locator('tr.check-fail').innerText();
    assert.ok(failed.includes(FAIL_NOTE) && failed.includes('证据'), `failed item with its note: ${failed}`);
  });

  await check('the supervisor amends the facts and resubmits', async () => {
    await signOut(page);
    await signIn(page, 'supervisor');
    await page.goto(draftUrl());
    await Promise.all([page.waitForNavigation(), page.click('a#edit-link')]);
    await page.fill('form#draft-form textarea[name=facts]', FACTS_2);
    await send(page, 'form#draft-form');
    assert.match(await page.locator('#notice').innerText(), /修改已保存/);
    assert.match(await page.locator('#unsubmitted-changes').innerText(), /认定事实/);
    await page.fill('#submit-form textarea[name=note]', '已补充第三方监测报告及采样记录');
    await send(page, '#submit-form');
    assert.equal(await page.locator('#draft-status').innerText(), '审核中');
  });

  await check('the reviewer sees what changed since the last review (R-LEGAL-4) and approves', async () => {
    await signOut(page);
    await signIn(page, 'legal');
    await page.goto(`${draftUrl()}/review`);
    const changes = await page.locator('#changes-since-review').innerText();
    assert.match(changes, /认定事实/);
    assert.match(changes, /QYJC-2026-0311/);
    await fillReview(page, {}, 'approve', '经审核，事实清楚，证据充分，适用法律正确，同意。');
    await shot(page, 'legal-05-review-approve');
    await send(page, '#review-form');
    assert.equal(await page.locator('#draft-status').innerText(), '审核通过');
    assert.match(await page.locator('#reviews .legal-review[data-version="2"] .opinion').innerText(), /同意/);
  });

  await check('the supervisor decides with 清环罚〔2026〕99号', async () => {
    await signOut(page);
    await signIn(page, 'supervisor');
    await page.goto(draftUrl());
    await page.fill('#decide-form input[name=doc_number]', DOC_NUMBER);
    await send(page, '#decide-form');
    assert.match(await page.locator('#notice').innerText(), /执法决定已作出/);
    assert.equal(await page.locator('#decision .doc-number').innerText(), DOC_NUMBER);
    assert.match(await page.locator('#decision').innerText(), /第 2 版经法制审核通过/);
    assert.equal(await page.locator('#draft-status').innerText(), '已作出决定');
    assert.equal(await page.locator('#decide-form').count(), 0);
    await shot(page, 'legal-06-decided');
  });

  await check('the audit trail lists submitted, opinion and decided with names', async () => {
    const trail = page.locator('#audit-trail');
    const texts = async (kind) => trail.locator(`li[data-kind=${kind}]`).allInnerTexts();
    const submitted = await texts('submitted');
    assert.equal(submitted.length, 2, `two submissions: ${submitted}`);
    assert.ok(submitted.every((t) => t.includes('演示督查员')), `submitted by the supervisor: ${submitted}`);
    const opinions = await texts('opinion');
    assert.equal(opinions.length, 2, `two opinions: ${opinions}`);
    assert.ok(opinions.every((t) => t.includes('演示法制审核员')), `opinions by the reviewer: ${opinions}`);
    assert.match(opinions[0], /存在问题/);
    assert.match(opinions[1], /同意/);
    const decided = await texts('decided');
    assert.equal(decided.length, 1);
    assert.match(decided[0], /演示督查员/);
    assert.ok(decided[0].includes(DOC_NUMBER), decided[0]);
    await trail.scrollIntoViewIfNeeded();
    await shot(page, 'legal-07-audit-trail');
  });

  await check('no uncaught script errors on the legal pages', async () => {
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
console.log(JSON.stringify({ draft_id: id, doc_number: DOC_NUMBER, screenshots, failures }));
process.exit(failures.length ? 1 : 0);
