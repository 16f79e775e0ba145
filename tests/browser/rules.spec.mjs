// The rules half of issue 20 in headless Chromium, driven by playwright-core. Run
// by tests/tests/it/rules_browser.rs against `serve --demo` (legal demo, publications
// and desk inspections); env: BASE_URL, ARTIFACTS_DIR, DEMO_PENDING (a pending
// desk inspection). Checks:
//  - the desk queue tells the truth after a web decision: an inspection approved
//    on its page leaves /desk?state=pending at once;
//  - R-POST-2: a draft naming a relative is refused at submission with the field,
//    position and quoted name, and how to fix it;
//  - R-LEGAL-2: the catalogue's other items (其他事项) are on the draft form and a
//    selected one makes the draft 重大;
//  - R-LEGAL-3: a legal reviewer editing a draft is warned and must confirm; the
//    way out (other reviewers, or staffing per R-LEGAL-6) is shown;
//  - R-POST-1/R-LEGAL-5: a deadline that cannot be computed shows
//    「待导入 N 年节假日安排」 linked to /admin/calendar, never an error text; the
//    admin page lists the missing years and how to import them.
// Prints one JSON line on stdout (screenshots, failures); exit code 1 on failure.

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
const PENDING = env('DEMO_PENDING');
const PASSWORD = 'demo-password';
const WAIT = 30_000;
const stamp = Date.now().toString(36);

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

async function send(page, selector) {
  await Promise.all([
    page.waitForNavigation(),
    page.locator(selector).evaluate((el) => el.requestSubmit()),
  ]);
}

async function queueIds(page, state) {
  await page.goto(`${BASE}/desk?state=${state}`);
  return page.$$eval('#queue tr[data-id]', (rows) => rows.map((r) => r.getAttribute('data-id')));
}

/** Fills the new-draft form with a complete, non-major penalty. */
async function fillDraft(page, title, conclusion) {
  const f = page.locator('form#draft-form');
  await f.locator('select[name=kind]').selectOption('penalty');
  await f.locator('input[name=title]').fill(title);
  await f.locator('input[name=category]').fill('生态环境');
  await f.locator('select[name=party_kind]').selectOption('company');
  await f.locator('input[name=party_name]').fill('清远市某陶瓷有限公司');
  await f.locator('textarea[name=legal_basis]').fill('《中华人民共和国大气污染防治法》第九十九条');
  await f.locator('textarea[name=facts]').fill('现场检查发现窑炉废气颗粒物超标排放。');
  await f.locator('textarea[name=conclusion]').fill(conclusion);
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

try {
  await check('an inspection approved on the web leaves /desk?state=pending at once', async () => {
    await signIn(page, 'supervisor');
    assert.ok((await queueIds(page, 'pending')).includes(PENDING), 'pending before');
    await page.goto(`${BASE}/desk/inspections/${PENDING}`);
    await Promise.all([
      page.waitForNavigation(),
      page.click('form#decide button[name=decision][value=approved]'),
    ]);
    assert.match(await page.locator('body').innerText(), /审核决定已提交/);
    const pending = await queueIds(page, 'pending');
    assert.ok(!pending.includes(PENDING), `still pending: ${pending}`);
    await shot(page, 'rules-01-desk-pending-after-approve');
    assert.ok((await queueIds(page, 'approved')).includes(PENDING), 'listed as approved');
  });

  let draftId = '';
  await check('R-POST-2: a relative named in 决定内容 is refused with its position', async () => {
    await page.goto(`${BASE}/legal/drafts/new`);
    await fillDraft(page, `关于某陶瓷公司超标排放的行政处罚决定（${stamp}）`,
      '责令改正。法定代表人：欧阳娜娜，其妻王小红在场。');
    await send(page, 'form#draft-form');
    const m = pathOf(page).match(/^\/legal\/drafts\/([0-9a-f-]{36})$/);
    assert.ok(m, `saved: ${page.url()}`);
    draftId = m[1];
    await send(page, '#submit-form');
    const refusal = await page.locator('#refusal').innerText();
    assert.match(refusal, /R-POST-2/);
    assert.match(refusal, /“决定内容”第 12 个字起的“欧阳娜娜”/);
    assert.match(refusal, /“王小红”/);
    assert.match(refusal, /王某|欧阳某/);
    await shot(page, 'rules-02-name-refused');
    assert.notEqual(await page.locator('#draft-status').innerText(), '审核中', 'not submitted');
  });

  await check('R-LEGAL-2: a catalogue 其他事项 is on the form and makes the draft 重大', async () => {
    await page.goto(`${BASE}/legal/drafts/new`);
    const items = page.locator('#other-items input[name=other_item]');
    assert.ok((await items.count()) > 0, 'the catalogue has other items on the form');
    await fillDraft(page, `关于跨行政区域污染的处理决定（${stamp}）`, '责令改正违法行为。');
    await items.first().check();
    await shot(page, 'rules-03-other-items');
    await send(page, 'form#draft-form');
    const cls = await page.locator('#classification').innerText();
    assert.match(cls, /重大执法决定/);
    assert.match(cls, /目录清单所列其他事项/);
  });

  await check('R-LEGAL-3: a reviewer editing a draft is warned and must confirm', async () => {
    await signIn(page, 'legal');
    await page.goto(`${BASE}/legal/drafts/${draftId}/edit`);
    const warn = page.locator('#lockout-warning');
    await warn.waitFor();
    const text = await warn.innerText();
    assert.match(text, /R-LEGAL-3/);
    assert.match(text, /不能再审核此草案/);
    assert.match(text, /R-LEGAL-6|其他法制审核人员审核/, 'the way out');
    await shot(page, 'rules-04-lockout-warning');
    await page.fill('form#draft-form textarea[name=facts]', `审核人员补充的事实（${stamp}）`);
    await send(page, 'form#draft-form');
    assert.match(await page.locator('#refusal').innerText(), /R-LEGAL-3/);
    assert.match(pathOf(page), /\/edit$/, 'still on the form, nothing saved');
    assert.equal(await page.inputValue('form#draft-form textarea[name=facts]'), `审核人员补充的事实（${stamp}）`, 'typed text kept');
    await page.check('#lockout-warning input[name=confirm_lockout]');
    await send(page, 'form#draft-form');
    assert.equal(pathOf(page), `/legal/drafts/${draftId}`, 'saved after confirming');
    await page.goto(`${BASE}/legal/drafts/${draftId}/edit`);
    assert.equal(await page.locator('#lockout-warning').count(), 0, 'already excluded: no second warning');
  });

  await check('a deadline that cannot be computed says which year to import, with a link', async () => {
    await signIn(page, 'supervisor');
    for (const url of ['/publish', '/legal']) {
      await page.goto(`${BASE}${url}`);
      const body = await page.locator('body').innerText();
      assert.doesNotMatch(body, /法定节假日安排数据，无法计算/, `raw calendar error on ${url}`);
      assert.doesNotMatch(body, /无法计算审核期限/, `raw calendar error on ${url}`);
      const pending = page.locator('a.calendar-pending');
      for (let i = 0; i < (await pending.count()); i++) {
        assert.match(await pending.nth(i).innerText(), /^待导入 \d{4} 年节假日安排$/);
        assert.match(await pending.nth(i).getAttribute('href'), /^\/admin\/calendar#year-\d{4}$/);
      }
    }
    await page.goto(`${BASE}/publish`);
    const pending = page.locator('a.calendar-pending');
    // The demo's inspection result is due 20 working days after today: from
    // December on, in a year the program has no data for.
    if (new Date().getMonth() === 11) {
      assert.ok((await pending.count()) > 0, 'a deadline into next year is pending');
    }
    if ((await pending.count()) > 0) {
      const year = (await pending.first().innerText()).match(/\d{4}/)[0];
      await shot(page, 'rules-05-publish-pending-year');
      await Promise.all([page.waitForNavigation(), pending.first().click()]);
      assert.equal(pathOf(page), '/admin/calendar');
      assert.match(await page.locator(`#year-${year}`).innerText(), new RegExp(`待导入 ${year} 年节假日安排`));
      assert.match(await page.locator('#how-to-import').innerText(), /管理员/);
      await signIn(page, 'admin');
      await page.goto(`${BASE}/admin/calendar`);
      await page.locator('#calendar-form').waitFor();
      assert.match(await page.locator(`#year-${year}`).innerText(), /公示期限|下一年度/);
      await shot(page, 'rules-06-admin-calendar');
    }
  });

  await check('no page error', async () => {
    assert.deepEqual(pageErrors, []);
  });
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

console.log(JSON.stringify({ screenshots, failures }));
process.exit(failures.length ? 1 : 0);
