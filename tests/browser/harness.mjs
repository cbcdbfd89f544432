// What the browser tests share: the real server on an ephemeral port with a
// temp database, a fake Twilio-compatible SMS provider, signed webhooks, the
// `crisisline` CLI, a login over HTTP, and a small WebSocket client for the
// crew feed (node 18 has no WebSocket of its own).
//
// Each test is its own process: runTest(main) runs it, prints the failure with
// the server log's tail, and cleans up whatever was registered in `cleanup`.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

export const PUBLIC_BASE = 'https://crisisline.example.nhs.uk';
export const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const AUTH_TOKEN = 'browser-test-twilio-token';
export const SHARED_NUMBER = '+447700900000';
export const TEXTER = '+447700900123';
export const STEP_MS = 15000;

export const { values: args } = parseArgs({
  options: {
    binary: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});

export const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crisisline-browser-'));
export const db = path.join(dir, 'crisisline.db');
// Run in order at the end, pass or fail; unshift what must run first.
export const cleanup = [];
let serverLog = '';

const started = Date.now();
export function step(what) { console.log(`- ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`); }

export function fail(message) {
  throw new Error(message);
}

export function check(cond, message) {
  if (!cond) fail(message);
}

export async function waitFor(what, predicate, ms = STEP_MS) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > until) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function screenshotPath(name) {
  return path.join(os.tmpdir(), `crisisline-browser-${name}-failure.png`);
}

export async function runTest(name, main) {
  if (!args.binary) {
    console.error(`usage: node ${name}_test.mjs --binary PATH/TO/crisisline [--chromium PATH] [--headed]`);
    process.exit(2);
  }
  try {
    await main();
    console.log(`browser ${name} test passed`);
  } catch (e) {
    process.exitCode = 1;
    console.error(`FAILED: ${e.message}`);
    console.error(`--- server log (last 4 KiB) ---\n${serverLog.slice(-4096)}`);
    console.error(`screenshot: ${screenshotPath(name)}`);
  } finally {
    for (const c of cleanup) { try { await c(); } catch { /* best effort */ } }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- fake SMS provider (Twilio-compatible REST) ----

export function startFakeProvider() {
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

// The configuration for texts through the signed webhook and replies to the fake provider.
export function smsConfig(providerPort) {
  return `
server { public_base_url: "${PUBLIC_BASE}" }
twilio { account_sid: "${ACCOUNT_SID}" auth_token: "${AUTH_TOKEN}" api_base_url: "http://127.0.0.1:${providerPort}" }
areas { name: "solent" display_name: "Solent" keywords: "SOLENT" }
access_numbers { number: "${SHARED_NUMBER}" route: "sms_keyword" }
`;
}

// ---- the real server ----

export function runCli(argv, input) {
  const r = spawnSync(args.binary, argv, { input, encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) {
    fail(`crisisline ${argv.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

export function addStaff(configPath, { username, password, name, role }) {
  runCli(['staff', 'add', '--db', db, '--config', configPath, '--username', username, '--role', role,
    '--display-name', name, '--password-stdin'], `${password}\n`);
}

export function startServer(configPath) {
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
export function twilioSignature(token, url, params) {
  const sorted = Object.entries(params).sort(([a, av], [b, bv]) =>
    (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const data = url + sorted.map(([k, v]) => k + v).join('');
  return crypto.createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
}

export async function sendText(port, sid, body, from = TEXTER) {
  const webhookPath = '/v1/webhooks/twilio/sms';
  const params = {
    MessageSid: sid, AccountSid: ACCOUNT_SID, From: from, To: SHARED_NUMBER,
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

// POST /v1/auth/login from node: the login answer.
export async function login(port, username, password) {
  const res = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  const body = await res.json();
  check(res.status === 200, `login of ${username} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

// A browser page that records console errors and page errors in `problems`.
// `expected` are console errors the test causes on purpose (Chromium logs
// every 4xx answer to fetch as "Failed to load resource").
export async function openPage(browser, name, problems, expected = []) {
  const context = await browser.newContext({ reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expected.some((re) => re.test(m.text()))) return;
    problems.push(`console (${name}): ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error (${name}): ${e}`));
  cleanup.unshift(async () => {
    if (process.exitCode) await page.screenshot({ path: screenshotPath(name), fullPage: true }).catch(() => {});
  });
  return page;
}

// ---- a WebSocket client, enough for the crew feed ----

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export class WsClient {
  // Connects to ws://127.0.0.1:port/path offering `protocol`, with a bearer token.
  static connect(port, pathname, { protocol, token }) {
    return new Promise((resolve, reject) => {
      const key = crypto.randomBytes(16).toString('base64');
      const req = http.request({
        host: '127.0.0.1', port, path: pathname,
        headers: {
          Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': protocol, Authorization: `Bearer ${token}`,
        },
      });
      req.on('response', (res) => reject(new Error(`${pathname}: no upgrade, HTTP ${res.statusCode}`)));
      req.on('error', reject);
      req.on('upgrade', (res, socket, head) => {
        const accept = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
        if (res.headers['sec-websocket-accept'] !== accept) return reject(new Error('bad Sec-WebSocket-Accept'));
        if (res.headers['sec-websocket-protocol'] !== protocol) {
          return reject(new Error(`subprotocol ${res.headers['sec-websocket-protocol']}, not ${protocol}`));
        }
        const ws = new WsClient(socket, head);
        cleanup.unshift(() => ws.close());
        resolve(ws);
      });
      req.end();
    });
  }

  constructor(socket, head) {
    this.socket = socket;
    this.buf = Buffer.from(head || []);
    this.fragments = [];
    this.messages = [];
    this.wake = () => {};
    this.closed = false;
    socket.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.parse(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => {});
    this.parse();
  }

  parse() {
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = (this.buf[0] & 0x80) !== 0;
      const op = this.buf[0] & 0x0f;
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) return;
      const payload = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      if (op === 0x8) {
        this.close();
      } else if (op === 0x9) {
        this.frame(0xa, payload);
      } else if (op === 0x1 || op === 0x0) {
        this.fragments.push(payload);
        if (fin) {
          this.messages.push(JSON.parse(Buffer.concat(this.fragments).toString('utf8')));
          this.fragments = [];
          this.wake();
        }
      }
    }
  }

  // Client frames are masked (RFC 6455 5.3).
  frame(op, payload) {
    if (this.closed) return;
    const mask = crypto.randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | op, 0x80 | len])
      : Buffer.from([0x80 | op, 0x80 | 126, len >> 8, len & 0xff]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  send(obj) { this.frame(0x1, Buffer.from(JSON.stringify(obj), 'utf8')); }

  // The first frame received (or still to come) that `match` accepts.
  async next(what, match, ms = STEP_MS) {
    const until = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex(match);
      if (i >= 0) return this.messages.splice(i, 1)[0];
      if (this.closed) fail(`the socket closed while waiting for ${what}`);
      const left = until - Date.now();
      if (left <= 0) fail(`timed out waiting for ${what}; frames: ${JSON.stringify(this.messages)}`);
      await new Promise((r) => {
        const timer = setTimeout(r, left);
        this.wake = () => { clearTimeout(timer); r(); };
      });
    }
  }

  // A request and its answer, matched by requestId.
  async request(frame) {
    const requestId = `r${crypto.randomBytes(4).toString('hex')}`;
    this.send({ requestId, ...frame });
    const answer = await this.next(`the answer to ${JSON.stringify(frame)}`, (f) => f.requestId === requestId);
    check(!answer.error, `the crew feed refused ${JSON.stringify(frame)}: ${JSON.stringify(answer.error)}`);
    return answer;
  }

  close() {
    if (this.closed) return;
    this.frame(0x8, Buffer.from([0x03, 0xe8]));
    this.closed = true;
    this.socket.end();
  }
}
