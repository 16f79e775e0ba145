// Every web page at desk width (1280×800) and phone width (390×844), in headless
// Chromium driven by playwright-core. Run by tests/tests/it/pages_browser.rs against a
// real `serve --demo` process; env: BASE_URL, ARTIFACTS_DIR.
//
// For the public portal (no sign-in) and for each demo role (supervisor, legal,
// admin, an officer) it signs in through /login without `next` (each role must land
// on its own work), then crawls same-origin links breadth-first from the landing
// page (a few pages per URL pattern, so every kind of page is seen without walking
// every record). Every page, at both widths, fails on:
//   - a 4xx/5xx answer to a link the page itself shows (the menu shows only what
//     the role may open), or any 5xx;
//   - horizontal overflow of the document;
//   - visible text under 12 px (SVG text at its rendered size);
//   - a form control without a label (label, aria-label, aria-labelledby, title);
//   - a radio or checkbox smaller than 24×24 px;
//   - a form with editable fields and no submit button;
//   - a console error or uncaught page error;
//   - the same status text twice in a row ("按时公开 按时公开");
//   - a rule ID (R-XXX-n) shown to citizens on /public pages;
//   - a list of records (table.cards) scrolling sideways at phone width;
//   - a missing favicon link or a doubled <title>.
// Screenshots of every page at both widths go to ARTIFACTS_DIR/pages/ unless
// LIUHEN_SCREENSHOTS=0 (they are half of the suite's time; scripts/test-all.sh leaves
// them out, `cargo test -p liuhen-e2e --test it pages_browser` takes them).
// Prints one JSON line on stdout at the end; the exit code is 1 if any check failed.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is required`);
  return v;
};
const BASE = env('BASE_URL').replace(/\/$/, '');
const ART = path.join(env('ARTIFACTS_DIR'), 'pages');
const PASSWORD = 'demo-password';
const WAIT = 30_000;
/** Pages of one URL pattern visited per role (ids replaced, query keys kept). */
const PER_PATTERN = Number(process.env.PER_PATTERN || 2);
/** Upper bound of pages per role, to keep the run short. */
const MAX_PAGES = Number(process.env.MAX_PAGES || 45);
/** Whether every page is photographed at both widths. */
const SCREENSHOTS = process.env.LIUHEN_SCREENSHOTS !== '0';
/** Roles crawled at the same time (each in its own browser contexts). */
const CRAWLERS = Number(process.env.CRAWLERS || 2);
const WIDTHS = [
  { name: 'desk', width: 1280, height: 800, isMobile: false },
  { name: 'phone', width: 390, height: 844, isMobile: true },
];
const ROLES = [
  { login: null, name: 'public', landing: '/public', also: ['/', '/login'] },
  { login: 'supervisor', name: 'supervisor', landing: '/desk' },
  { login: 'legal', name: 'legal', landing: '/legal' },
  { login: 'admin', name: 'admin', landing: '/admin', also: ['/admin/public-stats?year=2025', '/admin/public-stats?year=2024'] },
  { login: 'qy-zf-001', name: 'officer', landing: '/start' },
];

const failures = [];
const screenshots = [];
let loads = 0;
const log = (...a) => console.error(...a);
const fail = (msg) => {
  failures.push(msg);
  log(`FAIL ${msg}`);
};

/** Runs one named check; a failure is recorded and the script goes on. */
async function check(name, fn) {
  try {
    await fn();
    log(`ok   ${name}`);
  } catch (e) {
    fail(`${name}: ${e && e.message ? e.message : e}`);
  }
}

/** The URL pattern of a path: ids and numbers replaced, query keys kept. */
function pattern(u) {
  const p = u.pathname
    .split('/')
    .map((s) => (/^[0-9a-f-]{16,}$/i.test(s) || /\d/.test(s) ? ':id' : s))
    .join('/');
  const keys = [...u.searchParams.keys()].filter((k) => !['after', 'before'].includes(k)).sort();
  return keys.length ? `${p}?${keys.join('&')}` : p;
}

/** Links a crawl does not open as pages: downloads, media, sign-out, the API. */
function skipped(u) {
  const p = u.pathname;
  return p.startsWith('/api/') || p === '/logout' || p === '/healthz' || p.startsWith('/assets/')
    || /\/evidence\//.test(p) || /\.(csv|xlsx|json|pdf|png|jpe?g|svg)$/i.test(p)
    || p.startsWith('/public/documents/');
}

const slug = (s) => s.replace(/^\//, '').replace(/[^a-zA-Z0-9]+/g, '-').slice(0, 80) || 'home';

/** In-page checks of one rendered page; returns a list of problems. */
async function inspect(page, isPublic) {
  return page.evaluate((isPublic) => {
    const problems = [];
    const vw = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > vw + 1) {
      // Name the widest culprits: elements sticking out of the viewport.
      const wide = [...document.querySelectorAll('body *')]
        .filter((el) => {
          const r = el.getBoundingClientRect();
          return r.right > vw + 1 && r.width > 0 && getComputedStyle(el).position !== 'fixed'
            && !el.closest('.scroll, [style*="overflow"]');
        })
        .slice(0, 4)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\s+/g, '.') : ''}(${Math.round(el.getBoundingClientRect().right)}px)`);
      problems.push(`horizontal overflow: ${document.documentElement.scrollWidth}px > ${vw}px ${wide.join(' ')}`);
    }
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return false;
      const s = getComputedStyle(el);
      return s.visibility !== 'hidden' && s.display !== 'none' && !el.closest('details:not([open]) > :not(summary)');
    };
    // Text under 12 px.
    const small = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim()) continue;
      const el = n.parentElement;
      if (!el || !visible(el) || el.closest('script, style, noscript, title')) continue;
      let px = parseFloat(getComputedStyle(el).fontSize);
      if (el instanceof SVGElement) {
        const m = el.getScreenCTM();
        if (m) px *= Math.sqrt(m.a * m.a + m.b * m.b);
      }
      if (px < 11.95) small.add(`"${n.textContent.trim().slice(0, 20)}" ${px.toFixed(1)}px`);
    }
    if (small.size) problems.push(`text under 12px: ${[...small].slice(0, 5).join('; ')}`);
    // Form controls need a label; radios and checkboxes a 24 px target.
    for (const el of document.querySelectorAll('input, select, textarea')) {
      const type = (el.getAttribute('type') || '').toLowerCase();
      if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
      if (!visible(el)) continue;
      const labelled = el.labels?.length || el.getAttribute('aria-label')?.trim()
        || el.getAttribute('aria-labelledby') || el.getAttribute('title')?.trim();
      if (!labelled) problems.push(`unlabeled ${el.tagName.toLowerCase()}[name=${el.getAttribute('name')}]`);
      if (type === 'radio' || type === 'checkbox') {
        const r = el.getBoundingClientRect();
        if (r.width < 23.5 || r.height < 23.5) {
          problems.push(`${type}[name=${el.getAttribute('name')}] target ${Math.round(r.width)}×${Math.round(r.height)}px < 24px`);
        }
      }
    }
    // A form with editable fields has a way to send them.
    for (const f of document.querySelectorAll('form')) {
      const editable = [...f.elements].some((el) => ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)
        && !['hidden', 'submit', 'button'].includes((el.getAttribute('type') || '').toLowerCase())
        && !el.disabled && !el.readOnly);
      const send = f.querySelector('button:not([type=button]):not([type=reset]), input[type=submit]');
      if (editable && !send) problems.push(`form ${f.id || f.getAttribute('action')} has editable fields and no submit button`);
    }
    const text = document.body.innerText;
    // Within one line of text (table cells are separated by tabs in innerText).
    const doubled = text.match(/(?<![\p{Script=Han}])([\p{Script=Han}]{2,})[ \u00a0]+\1(?![\p{Script=Han}])/u);
    if (doubled) problems.push(`doubled text "${doubled[0]}"`);
    if (isPublic) {
      const rule = text.match(/R-[A-Z]+-\d+/);
      if (rule) problems.push(`internal rule ID ${rule[0]} shown to citizens`);
    }
    if (!document.querySelector('link[rel~=icon]')) problems.push('no favicon link');
    // Record lists become cards on a phone: nothing hidden off to the side.
    for (const t of document.querySelectorAll('table.cards')) {
      const box = t.closest('.scroll') || t;
      if (vw < 600 && box.scrollWidth > box.clientWidth + 1) {
        problems.push(`table#${t.id || '?'} scrolls sideways at ${vw}px (${box.scrollWidth}px)`);
      }
    }
    const parts = document.title.split(' · ').map((s) => s.trim());
    if (new Set(parts).size !== parts.length) problems.push(`doubled <title> "${document.title}"`);
    if (!document.title.trim()) problems.push('empty <title>');
    return problems;
  }, isPublic);
}

/** Same-origin links on the page (absolute URLs without hash). */
async function linksOf(page) {
  const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
  const out = [];
  for (const h of hrefs) {
    let u;
    try { u = new URL(h); } catch { continue; }
    if (u.origin !== new URL(BASE).origin) continue;
    u.hash = '';
    out.push(u);
  }
  return out;
}

/** Opens `url` in `page`, runs every check; returns the response status. */
async function visit(page, url, who, width, problemsOut) {
  const errors = [];
  const onConsole = (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); };
  const onPageError = (e) => errors.push(`page error: ${e}`);
  const onResponse = (r) => { if (r.status() >= 500) errors.push(`${r.status()} from ${r.url()}`); };
  page.on('console', onConsole);
  page.on('pageerror', onPageError);
  page.on('response', onResponse);
  let status = 0;
  try {
    const resp = await page.goto(url, { waitUntil: 'load' });
    loads += 1;
    status = resp ? resp.status() : 0;
    const ctype = resp ? (resp.headers()['content-type'] || '') : '';
    if (ctype.startsWith('text/html')) {
      problemsOut.push(...await inspect(page, new URL(page.url()).pathname.startsWith('/public')));
      if (SCREENSHOTS) {
        const file = path.join(ART, `${who}-${slug(new URL(page.url()).pathname + new URL(page.url()).search)}-${width}.jpg`);
        await page.screenshot({ path: file, fullPage: true, type: 'jpeg', quality: 60 });
        screenshots.push(file);
      }
    }
  } finally {
    page.off('console', onConsole);
    page.off('pageerror', onPageError);
    page.off('response', onResponse);
  }
  problemsOut.push(...errors);
  return status;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium-headless-shell',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic', '--lang=zh-CN'],
});
fs.mkdirSync(ART, { recursive: true });
const visited = {};

async function signIn(page, login) {
  await page.goto(`${BASE}/login`);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
}

/** Crawls one role's pages at both widths (its own browser contexts). */
async function crawlRole(role) {
  const contexts = [];
  for (const w of WIDTHS) {
    const c = await browser.newContext({
      viewport: { width: w.width, height: w.height }, isMobile: w.isMobile, hasTouch: w.isMobile, locale: 'zh-CN',
    });
    c.setDefaultTimeout(WAIT);
    contexts.push(c);
  }
  const pages = await Promise.all(contexts.map((c) => c.newPage()));
  if (role.login) {
    await check(`${role.name} signs in without "next" and lands on ${role.landing}`, async () => {
      for (const p of pages) {
        await signIn(p, role.login);
        assert.equal(new URL(p.url()).pathname, role.landing, `landed on ${p.url()}`);
      }
      const nav = await pages[0].$$eval('header.top nav a', (as) => as.map((a) => a.getAttribute('href')));
      assert.ok(nav.length > 0, 'a menu is shown');
    });
  }
  const queue = [role.landing, ...(role.also || [])].map((p) => new URL(p, BASE));
  const seen = new Set(queue.map((u) => u.href));
  const perPattern = new Map();
  const linked = new Set();
  const from = new Map();
  const list = [];
  while (queue.length && list.length < MAX_PAGES) {
    const u = queue.shift();
    // Public pages are crawled once, signed out.
    if (role.login && u.pathname.startsWith('/public')) continue;
    const pat = pattern(u);
    const n = perPattern.get(pat) || 0;
    if (n >= PER_PATTERN) continue;
    perPattern.set(pat, n + 1);
    list.push(u.pathname + u.search);
    for (let i = 0; i < WIDTHS.length; i++) {
      const problems = [];
      let status = 0;
      try {
        status = await visit(pages[i], u.href, role.name, WIDTHS[i].width, problems);
      } catch (e) {
        problems.push(`could not load: ${e.message}`);
      }
      if (status >= 400) problems.push(`answered ${status} (linked from ${from.get(u.href) || 'start'})`);
      for (const p of problems) fail(`[${role.name} ${WIDTHS[i].width}px] ${u.pathname}${u.search}: ${p}`);
      if (i === 0 && status < 400) {
        for (const l of await linksOf(pages[0])) {
          if (skipped(l)) { linked.add(l.href); continue; }
          if (seen.has(l.href)) continue;
          seen.add(l.href);
          from.set(l.href, u.pathname + u.search);
          queue.push(l);
        }
      }
    }
  }
  // Downloads and media the pages link to answer without a server error; a
  // flow chart or guide is shown in the browser, not downloaded.
  const downloads = [...linked].map((h) => new URL(h)).filter((l) => !l.pathname.startsWith('/api/')
    && l.pathname !== '/logout' && !(role.login && l.pathname.startsWith('/public')));
  const perKind = new Map();
  for (const l of downloads) {
    const pat = pattern(l);
    if ((perKind.get(pat) || 0) >= PER_PATTERN) continue;
    perKind.set(pat, (perKind.get(pat) || 0) + 1);
    const r = await contexts[0].request.get(l.href, { maxRedirects: 0 });
    if (r.status() >= 500) fail(`[${role.name}] ${l.pathname}${l.search}: answered ${r.status()}`);
    loads += 1;
    const disp = r.headers()['content-disposition'] || '';
    const ctype = r.headers()['content-type'] || '';
    if (/^(image\/|application\/pdf)/.test(ctype) && /attachment/i.test(disp) && l.searchParams.get('download') !== '1') {
      fail(`[${role.name}] ${l.pathname}: ${ctype} is downloaded (Content-Disposition: ${disp}), not shown inline`);
    }
  }
  visited[role.name] = list;
  log(`${role.name}: ${list.length} pages, ${downloads.length} downloads`);
  await Promise.all(contexts.map((c) => c.close()));
}

try {
  // The roles are crawled CRAWLERS at a time in the one browser: each page load
  // mostly waits on the server and Chromium's renderer, so two roles side by side
  // take about half as long as one after the other (issue 17).
  const pending = [...ROLES];
  await Promise.all(Array.from({ length: CRAWLERS }, async () => {
    while (pending.length) await crawlRole(pending.shift());
  }));

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const VIOLATIONS = '/desk/inspections/01936d00-0000-7000-8000-00000000d002';
  const sctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const spage = await sctx.newPage();
  await signIn(spage, 'supervisor');
  await check('the queue names each violated rule in Chinese with its ID beside it', async () => {
    await spage.goto(`${BASE}/desk`);
    const rules = await spage.$$eval('#queue .rule', (els) => els.map((e) => ({
      name: e.querySelector('.rule-name')?.textContent.trim() ?? '',
      id: e.querySelector('.rule-id')?.textContent.trim() ?? '',
    })));
    assert.ok(rules.length > 0, 'violations listed');
    for (const r of rules) assert.ok(r.name && /^R-[A-Z]+-\d+$/.test(r.id), `rule shown as ${JSON.stringify(r)}`);
  });
  await check('the inspection page starts with its review state and the action; the form stays beside the record', async () => {
    await spage.goto(`${BASE}${VIOLATIONS}`);
    const y = async (sel) => (await spage.locator(sel).boundingBox()).y;
    assert.ok(await y('#review-summary') < await y('#team'), 'summary above the record');
    assert.ok(await y('#review-summary') < 300, 'summary on the first screen');
    assert.ok(await spage.locator('#review-summary .rule .rule-id').count() > 0, 'failed rules named in the summary');
    assert.equal(await spage.locator('#review-summary a#to-decide[href="#decide-section"]').count(), 1, 'the action at the top');
    const form = await spage.locator('#decide-section').boundingBox();
    const team = await spage.locator('#team').boundingBox();
    assert.ok(form.x > team.x + team.width - 1, `the decision form beside the record (${form.x} vs ${team.x + team.width})`);
  });
  await check('the access log shows names and numbers this record\'s accesses without gaps', async () => {
    await spage.goto(`${BASE}${VIOLATIONS}/access`);
    const text = await spage.locator('#access-log').innerText();
    assert.ok(!/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/.test(text), `no user UUID: ${text.slice(0, 200)}`);
    const seq = await spage.$$eval('#access-log tr.access-entry td:first-child', (tds) => tds.map((t) => Number(t.textContent)));
    assert.ok(seq.length >= 1, 'entries');
    seq.forEach((n, i) => assert.equal(n, seq[0] - i, `sequence ${seq}`));
    assert.equal(seq[seq.length - 1], 1, `the first access is number 1 (${seq})`);
  });
  await check('a signed-in user\'s 404 page keeps their menu', async () => {
    const r = await spage.goto(`${BASE}/desk/no-such-page`);
    assert.equal(r.status(), 404);
    assert.ok(await spage.locator('header.top nav a[href="/desk"]').count() === 1, 'menu shown');
  });
  await sctx.close();
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  await signIn(small, 'supervisor');
  await check('on a phone the queue\'s filters are folded and the first record is on the first screen', async () => {
    await small.goto(`${BASE}/desk`);
    assert.equal(await small.locator('details#filter-box[open]').count(), 0, 'filters folded');
    const first = await small.locator('#queue tbody tr').first().boundingBox();
    assert.ok(first && first.y < 844, `first record at y=${first && first.y}`);
  });
  await phone.close();
  await check('the home page links what exists and promises nothing', async () => {
    await page.goto(`${BASE}/`);
    const text = await page.locator('main').innerText();
    assert.ok(!text.includes('后续版本'), 'no "later version" promise');
    for (const href of ['/public', '/login']) {
      assert.ok(await page.locator(`main a[href="${href}"]`).count() >= 1, `links ${href}`);
    }
  });
  await check('unknown page URLs answer a Chinese 404 page; /api keeps JSON', async () => {
    for (const p of ['/desk/no-such-page', '/no-such-page', '/public/no-such-page']) {
      const r = await page.goto(`${BASE}${p}`);
      assert.equal(r.status(), 404, p);
      assert.ok((r.headers()['content-type'] || '').startsWith('text/html'), `${p} is HTML`);
      assert.ok((await page.locator('h1').innerText()).includes('找不到'), `${p} says 找不到`);
    }
    const r = await ctx.request.get(`${BASE}/api/v1/no-such-endpoint`);
    assert.equal(r.status(), 404);
    assert.equal((await r.json()).code, 'not_found');
  });
  await check('the favicon is served', async () => {
    const r = await ctx.request.get(`${BASE}/favicon.ico`);
    assert.equal(r.status(), 200);
  });
  await ctx.close();
} finally {
  await browser.close();
}

console.log(JSON.stringify({ failures, loads, visited, screenshots: screenshots.length }));
process.exit(failures.length ? 1 : 0);
