// Sessions and the supervisor page in a real browser against the real server.
//
// The server runs with a 304-second session, so the console's expiry banner
// (shown 300 s before the end) comes 4 s after signing in. A supervisor's page
// follows the live feed meanwhile and must not poll while the feed is up. The
// nurse then signs in again from the banner, and after the server ends her
// session (a 401) she gets her unsent reply and note back on signing in.
//
//   node session_test.mjs --binary build/src/app/crisisline [--chromium /usr/bin/chromium]
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import {
  addStaff, args, check, cleanup, dir, login, openPage, runTest, sendText, smsConfig, startFakeProvider,
  startServer, step, waitFor,
} from './harness.mjs';

const NURSE = { username: 'ana.nurse', password: 'correct horse battery staple', name: 'Ana Nurse', role: 'nurse' };
const SUPERVISOR = { username: 'sam.super', password: 'supervisor password long', name: 'Sam Super', role: 'supervisor' };
// The console warns 300 s before the end (WARN_BEFORE_S in web/console/session.js).
const TTL_S = 304;

async function signIn(page, who) {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.keyboard.press('Enter');
}

const tokenOf = (page) => page.evaluate(() => sessionStorage.getItem('crisisline.token'));

async function me(port, token) {
  const res = await fetch(`http://127.0.0.1:${port}/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function main() {
  const provider = await startFakeProvider();
  const configPath = path.join(dir, 'crisisline.textproto');
  fs.writeFileSync(configPath, `${smsConfig(provider.port)}
console { session_ttl_seconds: ${TTL_S} }
`);
  step('crisisline staff add (a nurse and a supervisor)');
  addStaff(configPath, NURSE);
  addStaff(configPath, SUPERVISOR);
  step('start the server');
  const server = await startServer(configPath);
  const base = `http://127.0.0.1:${server.port}`;

  step('launch chromium');
  const browser = await chromium.launch({
    executablePath: args.chromium, headless: !args.headed, args: ['--no-sandbox'],
  });
  cleanup.unshift(() => browser.close());
  const problems = [];
  const sup = await openPage(browser, 'supervisor', problems);
  // A wrong password and a revoked session answer 401 on purpose.
  const page = await openPage(browser, 'session', problems, [/status of 401/]);

  step('a supervisor signs in: the page follows the live feed');
  let supervisorReads = 0;
  let lastSupervisorRead = 0;
  sup.on('request', (r) => {
    if (new URL(r.url()).pathname !== '/v1/supervisor') return;
    supervisorReads += 1;
    lastSupervisorRead = Date.now();
  });
  await sup.goto(`${base}/`);
  await signIn(sup, SUPERVISOR);
  await sup.getByRole('heading', { name: 'Supervisor' }).waitFor();
  await sup.locator('#feed-state').getByText('Live updates on').waitFor();
  await sup.locator('#sup-updated').getByText(/live updates on/).waitFor();
  check(await sup.locator('#sup-nurses-empty').isVisible(), 'a nurse is listed before anyone started a shift');

  step('the nurse signs in: no expiry banner yet');
  await page.goto(`${base}/`);
  await signIn(page, NURSE);
  await page.getByRole('heading', { name: 'Nurse console' }).waitFor();
  check(await page.locator('#session-banner').textContent() === '', 'the expiry banner shows right after signing in');
  const firstToken = await tokenOf(page);
  const first = await me(server.port, firstToken);
  check(first.status === 200 && first.body.expires_in_seconds <= TTL_S && first.body.expires_in_seconds > TTL_S - 10,
    `GET /v1/me: ${JSON.stringify(first)}`);

  step('she starts a shift and accepts a text: the supervisor page follows, live');
  await page.getByLabel(/Areas I cover/).fill('solent');
  await page.getByRole('button', { name: 'Start shift' }).click();
  await page.getByText(/On shift: available/).waitFor();
  await sup.locator('#sup-nurses').getByText(NURSE.username).waitFor({ timeout: 5000 });
  await sendText(server.port, 'SMsession00000000000000000000001', 'SOLENT please can someone text me back');
  const accept = page.getByRole('button', { name: /^Accept contact / });
  await accept.waitFor();
  const contactId = (await accept.textContent()).replace('Accept contact ', '').trim();
  await accept.click();
  await page.getByRole('heading', { name: `Conversation: contact ${contactId}` }).waitFor();
  await waitFor('the supervisor page to show her text conversation', async () =>
    (await sup.locator('#sup-nurses').textContent()).includes('1 of 3'), 5000);
  check(await sup.locator('#feed-state').textContent() === 'Live updates on', 'the supervisor feed is not live');
  // The page reads at most once a second: let a read for the last change land.
  await waitFor('the supervisor page to settle', () => Date.now() - lastSupervisorRead > 1200, 5000);
  const quietSince = Date.now();
  const readsWhenQuiet = supervisorReads;

  step('a few minutes before the session ends, a banner says so (role="alert")');
  const banner = page.getByRole('alert').filter({ hasText: 'Your session ends at' });
  await banner.waitFor({ timeout: 10000 });
  check(/in about 5 minutes/.test(await banner.textContent()), `banner: ${await banner.textContent()}`);

  step('"Stay signed in" asks for the password again and signs in afresh');
  await page.getByRole('button', { name: 'Stay signed in' }).click();
  const password = page.getByLabel(`Password for ${NURSE.username}`);
  check(await password.evaluate((el) => el === document.activeElement), 'focus is not in the password field');
  await password.fill('not my password at all');
  await page.keyboard.press('Enter');
  await page.locator('#session-error').getByText('The password is not right.').waitFor();
  check(await tokenOf(page) === firstToken, 'a wrong password changed the token');
  await password.fill(NURSE.password);
  await page.keyboard.press('Enter');
  await waitFor('the banner to go', async () => (await page.locator('#session-banner').textContent()) === '');
  const secondToken = await tokenOf(page);
  check(secondToken && secondToken !== firstToken, 'no new token after signing in again');
  const renewed = await me(server.port, secondToken);
  check(renewed.status === 200 && renewed.body.expires_in_seconds > TTL_S - 10, `new session: ${JSON.stringify(renewed)}`);
  await waitFor('the replaced session to be ended', async () => (await me(server.port, firstToken)).status === 401);
  await page.locator('#feed-state').getByText('Live updates on').waitFor();
  await page.getByRole('heading', { name: `Conversation: contact ${contactId}` }).waitFor();

  step('meanwhile nothing changed, and the supervisor page on the live feed read nothing');
  // Signing in again is not an event. At least 3.5 s of quiet: the page
  // before this one polled every 3 s.
  const quiet = Date.now() - quietSince;
  if (quiet < 3500) await new Promise((r) => setTimeout(r, 3500 - quiet));
  check(supervisorReads === readsWhenQuiet,
    `the supervisor page read /v1/supervisor ${supervisorReads - readsWhenQuiet} times in ${Date.now() - quietSince} ms with nothing changing`);
  check(await sup.locator('#feed-state').textContent() === 'Live updates on', 'the supervisor feed is not live');

  step('the server ends the session: the live feed closes (1008), the console goes to sign-in by itself, keeping the unsent reply and note');
  const reply = 'Draft reply: I am still here, are you safe?';
  const note = 'Draft note: sister lives nearby';
  await page.getByLabel('Reply by text').fill(reply);
  await page.getByLabel('Add a note').fill(note);
  const out = await fetch(`${base}/v1/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${secondToken}` } });
  check(out.status === 204, `logout answered ${out.status}`);
  // Nothing clicked: the server closes the session's feed, the console's next
  // read gets the 401.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 5000 });
  check(/session has ended.*kept/.test(await page.locator('#login-error').textContent()),
    `sign-in says "${await page.locator('#login-error').textContent()}"`);
  check(await tokenOf(page) === null, 'the dead token is still kept');
  check(!(await page.locator('#reply-body').isVisible()), 'the conversation is still on screen after the 401');

  step('signing in again brings the drafts back, in the same conversation');
  await signIn(page, NURSE);
  await page.getByRole('heading', { name: `Conversation: contact ${contactId}` }).waitFor();
  await waitFor('the reply draft', async () => (await page.getByLabel('Reply by text').inputValue()) === reply);
  check(await page.getByLabel('Add a note').inputValue() === note, 'the note draft is gone');
  check(await page.evaluate(() => document.activeElement.id) === 'reply-body', 'focus is not in the restored reply');
  check(await page.evaluate(() => sessionStorage.getItem('crisisline.drafts')) === null, 'the drafts stay in storage');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.locator('#conv-messages').getByText(reply).waitFor();
  await waitFor('the reply at the fake provider', () =>
    provider.requests.find((r) => new URLSearchParams(r.body).get('Body') === reply));

  step('no browser errors, and the server stops cleanly');
  check(problems.length === 0, `browser reported:\n  ${problems.join('\n  ')}`);
  const fresh = await login(server.port, SUPERVISOR.username, SUPERVISOR.password);
  check(fresh.expires_in_seconds <= TTL_S && fresh.expires_in_seconds > TTL_S - 10, `login: ${JSON.stringify(fresh)}`);
  await browser.close();
  server.child.kill('SIGTERM');
  const status = await server.exited;
  check(status.code === 0, `server exit ${JSON.stringify(status)}`);
}

await runTest('session', main);
