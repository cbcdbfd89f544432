// The web console in a real browser against the real server.
//
// Starts the crisisline binary (ephemeral port, temp database) with its SMS
// provider pointed at a fake provider run here, creates a nurse with
// `crisisline staff add`, and drives Debian's chromium (playwright-core) as a
// nurse would, keyboard first: sign in, start a shift, see a text that a
// signed webhook injected, accept it, reply, close it. Then checks the reply
// reached the fake provider and that `crisisline export audit` has the rows.
//
//   node console_test.mjs --binary build/src/app/crisisline [--chromium /usr/bin/chromium]
//
// Exit 0 on success; on failure prints what went wrong, the server log and a
// screenshot path, and exits 1.
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    binary: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
if (!args.binary) {
  console.error('usage: node console_test.mjs --binary PATH/TO/crisisline [--chromium PATH]');
  process.exit(2);
}

const PUBLIC_BASE = 'https://crisisline.example.nhs.uk';
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'browser-test-twilio-token';
const SHARED_NUMBER = '+447700900000';
const TEXTER = '+447700900123';
const NURSE = { username: 'ana.nurse', password: 'correct horse battery staple', name: 'Ana Nurse' };
const STEP_MS = 15000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crisisline-browser-'));
const db = path.join(dir, 'crisisline.db');
const cleanup = [];
let serverLog = '';

function step(what) { console.log(`- ${what}`); }

function fail(message) {
  throw new Error(message);
}

function check(cond, message) {
  if (!cond) fail(message);
}

// ---- fake SMS provider (Twilio-compatible REST) ----

function startFakeProvider() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
      const sid = `SM${crypto.randomBytes(16).toString('hex')}`;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid, status: 'queued' }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      cleanup.push(() => new Promise((r) => server.close(r)));
      resolve({ port: server.address().port, requests });
    });
  });
}

// ---- the real server ----

function runCli(argv, input) {
  const r = spawnSync(args.binary, argv, { input, encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) {
    fail(`crisisline ${argv.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

function startServer(configPath) {
  const child = spawn(args.binary, ['serve', '--config', configPath, '--listen', '127.0.0.1:0', '--db', db],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server not listening after 20 s')), 20000);
    const onData = (chunk) => {
      serverLog += chunk;
      const m = serverLog.match(/"msg":"listening".*?"port":(\d+)/);
      if (m) { clearTimeout(timer); resolve({ port: Number(m[1]), child, exited }); }
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((s) => { clearTimeout(timer); reject(new Error(`server exited before listening: ${JSON.stringify(s)}`)); });
  });
}

// X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, over the
// public URL followed by every parameter name and value, sorted by name.
function twilioSignature(token, url, params) {
  const sorted = Object.entries(params).sort(([a, av], [b, bv]) =>
    (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const data = url + sorted.map(([k, v]) => k + v).join('');
  return crypto.createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
}

async function sendText(port, sid, body) {
  const webhookPath = '/v1/webhooks/twilio/sms';
  const params = {
    MessageSid: sid, AccountSid: ACCOUNT_SID, From: TEXTER, To: SHARED_NUMBER,
    Body: body, NumSegments: '1', SmsStatus: 'received',
  };
  const res = await fetch(`http://127.0.0.1:${port}${webhookPath}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilioSignature(AUTH_TOKEN, PUBLIC_BASE + webhookPath, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  check(res.status === 200, `signed webhook answered ${res.status}: ${await res.text()}`);
}

async function waitFor(what, predicate, ms = STEP_MS) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > until) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Every visible element with its own text: the contrast of its colour with the
// first opaque background behind it (WCAG 2 relative luminance).
async function checkContrast(page, theme) {
  const low = await page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !el.checkVisibility?.() || el.closest('.visually-hidden')) continue;
      const [a, b] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1`);
    }
    return out;
  });
  check(low.length === 0, `text below 4.5:1 in ${theme}:\n  ${low.join('\n  ')}`);
}

// Tabbing from the skip link visits every visible control, in document order,
// and then leaves the page: nothing traps the keyboard. (A date-time field
// takes several Tabs, one per part, so repeats in a row count once.)
async function checkTabOrder(page) {
  const expected = await page.evaluate(() => {
    window.tabKey = (el) => el.id || el.dataset.focusKey || `${el.tagName}:${el.textContent.trim()}`;
    return [...document.querySelectorAll('a[href], button, input, select, textarea, summary')]
      .filter((el) => !el.disabled && el.checkVisibility() && !(el.type === 'radio' && !el.checked))
      .map(window.tabKey);
  });
  await page.locator('.skip-link').focus();
  const visited = [expected[0]];
  for (let i = 0; i < expected.length * 2 + 10 && visited.length < expected.length + 1; i++) {
    await page.keyboard.press('Tab');
    const now = await page.evaluate(() =>
      (document.activeElement === document.body ? null : window.tabKey(document.activeElement)));
    if (now !== visited.at(-1)) visited.push(now);
  }
  const lap = visited.slice(0, expected.length);
  check(JSON.stringify(lap) === JSON.stringify(expected),
    `Tab order\n  ${lap.join(' | ')}\nis not document order\n  ${expected.join(' | ')}`);
  check(visited.length > expected.length, 'Tab did not leave the page after the last control');
}

// ---- the test ----

async function main() {
  const provider = await startFakeProvider();
  const configPath = path.join(dir, 'crisisline.textproto');
  fs.writeFileSync(configPath, `
server { public_base_url: "${PUBLIC_BASE}" }
twilio { account_sid: "${ACCOUNT_SID}" auth_token: "${AUTH_TOKEN}" api_base_url: "http://127.0.0.1:${provider.port}" }
areas { name: "solent" display_name: "Solent" keywords: "SOLENT" }
access_numbers { number: "${SHARED_NUMBER}" route: "sms_keyword" }
`);

  step('crisisline staff add (a nurse)');
  runCli(['staff', 'add', '--db', db, '--config', configPath, '--username', NURSE.username, '--role', 'nurse',
    '--display-name', NURSE.name, '--password-stdin'], `${NURSE.password}\n`);

  step('start the server');
  const server = await startServer(configPath);
  const base = `http://127.0.0.1:${server.port}`;

  const headers = (await fetch(`${base}/`)).headers;
  check(headers.get('content-type') === 'text/html; charset=utf-8', `/ content-type ${headers.get('content-type')}`);
  check(/script-src 'self'/.test(headers.get('content-security-policy') || ''), 'no CSP on /');
  check(headers.get('x-content-type-options') === 'nosniff', 'no nosniff on /');

  step('launch chromium');
  const browser = await chromium.launch({
    executablePath: args.chromium, headless: !args.headed, args: ['--no-sandbox'],
  });
  cleanup.unshift(() => browser.close());
  const context = await browser.newContext({ reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  cleanup.unshift(async () => {
    if (process.exitCode) await page.screenshot({ path: path.join(os.tmpdir(), 'crisisline-browser-failure.png'), fullPage: true }).catch(() => {});
  });

  step('every control on the page has a label');
  await page.goto(`${base}/`);
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim())))
    .map((el) => el.id || el.outerHTML.slice(0, 60)));
  check(unlabelled.length === 0, `controls without a label: ${unlabelled.join(', ')}`);

  step('sign in with the keyboard only');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  check(await page.evaluate(() => document.querySelector('a[href], button, input, select, textarea').textContent)
    === 'Skip to main content', 'the skip link is not the first thing Tab reaches');
  check(await page.evaluate(() => document.activeElement.id) === 'login-username', 'focus does not start in the username');
  await page.keyboard.type(NURSE.username);
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.id) === 'login-password', 'Tab from username does not reach password');
  await page.keyboard.type(NURSE.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Nurse console' }).waitFor();
  check(await page.evaluate(() => document.activeElement.id) === 'nurse-h', 'focus did not move to the console heading');

  step('start a shift covering Solent');
  await page.getByLabel(/Areas I cover/).fill('solent');
  await page.getByRole('button', { name: 'Start shift' }).click();
  await page.getByText(/On shift: available/).waitFor();
  await page.getByText('Live updates on').waitFor();

  step('a signed webhook delivers a text; it is offered to the nurse');
  const words = 'SOLENT I cannot cope tonight and need to talk to someone';
  await sendText(server.port, 'SMbrowser000000000000000000000001', words);
  const accept = page.getByRole('button', { name: /^Accept contact / });
  await accept.waitFor();
  const urgent = await waitFor('the offer announcement', async () =>
    (await page.locator('#announce-urgent').textContent()) || '');
  check(/New offer: Text, band C/.test(urgent), `offer announced as "${urgent}"`);
  const contactId = (await accept.textContent()).replace('Accept contact ', '').trim();

  step(`accept contact ${contactId} with the keyboard and read the conversation`);
  await accept.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: `Conversation: contact ${contactId}` }).waitFor();
  await page.locator('#conv-messages').getByText(words).waitFor();

  step('Tab reaches every control of the page, in order, with no trap');
  await checkTabOrder(page);

  step('reply');
  const reply = 'Thank you for texting. I am a nurse and I am here now. Are you safe right now?';
  await page.getByLabel('Reply by text').fill(reply);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.locator('#conv-messages').getByText(reply).waitFor();
  const sent = await waitFor('the reply at the fake provider', () =>
    provider.requests.find((r) => new URLSearchParams(r.body).get('Body') === reply));
  const form = new URLSearchParams(sent.body);
  check(sent.method === 'POST' && sent.url === `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, `provider request ${sent.method} ${sent.url}`);
  check(form.get('To') === TEXTER, `reply went to ${form.get('To')}`);
  check(form.get('From') === SHARED_NUMBER, `reply came from ${form.get('From')}`);
  check(sent.authorization === `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`, 'provider request not authenticated');

  step('close with outcome 02 (advice on call only)');
  await page.getByLabel('Outcome (NHS contact outcome code)').selectOption('02');
  await page.getByRole('button', { name: 'Close contact' }).click();
  await page.getByRole('heading', { name: `Conversation: contact ${contactId}` }).waitFor({ state: 'hidden' });
  await page.getByText('No contacts assigned to you.').waitFor();

  step('text contrast is at least WCAG AA (4.5:1) in both themes');
  await checkContrast(page, 'the default theme');
  await page.getByRole('button', { name: 'High contrast' }).click();
  check(await page.evaluate(() => document.documentElement.classList.contains('hc')), 'high contrast not applied');
  check(await page.getByRole('button', { name: 'High contrast' }).getAttribute('aria-pressed') === 'true', 'toggle not pressed');
  await checkContrast(page, 'high contrast');

  check(problems.length === 0, `browser reported:\n  ${problems.join('\n  ')}`);
  await browser.close();
  cleanup.shift();

  step('the audit log has the nurse reading and changing the contact');
  // Exit 0 means the hash chain verified; one JSON row per line.
  const audit = runCli(['export', 'audit', '--db', db]);
  const rows = audit.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const about = rows.filter((r) => (r.username ?? r.user) === NURSE.username &&
    (r.record === `contact:${contactId}` || String(r.contact_id) === contactId));
  const actions = about.map((r) => String(r.action));
  for (const what of ['read', 'reply', 'close']) {
    check(actions.some((a) => a.includes(what)),
      `no audit row of ${NURSE.username} doing "${what}" on contact ${contactId}; rows:\n${audit}`);
  }

  step('the server stops cleanly');
  server.child.kill('SIGTERM');
  const status = await server.exited;
  check(status.code === 0, `server exit ${JSON.stringify(status)}`);
}

try {
  await main();
  console.log('browser test passed');
} catch (e) {
  process.exitCode = 1;
  console.error(`FAILED: ${e.message}`);
  console.error(`--- server log (last 4 KiB) ---\n${serverLog.slice(-4096)}`);
  console.error(`screenshot: ${path.join(os.tmpdir(), 'crisisline-browser-failure.png')}`);
} finally {
  for (const c of cleanup) { try { await c(); } catch { /* best effort */ } }
  fs.rmSync(dir, { recursive: true, force: true });
}
