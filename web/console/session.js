// Session expiry. The server says how many seconds the session has left
// (expires_in_seconds, at sign-in and in GET /v1/me); a few minutes before
// the end a banner (role="alert") says so, and "Stay signed in" asks for the
// password again and signs in afresh. There is deliberately no way to extend
// a session with the token alone: a console left open must not stay signed
// in for ever. When the time is up the caller checks with the server, whose
// 401 takes the console to the sign-in page (app.js keeps unsent drafts).
import { $, h, announce, showError, busy } from './dom.js';

export const WARN_BEFORE_S = 300;
const TICK_MS = 1000;

export class SessionClock {
  // hooks: renewed(token) after a fresh sign-in, ended() when the time is up.
  constructor(api, username, hooks) {
    this.api = api;
    this.username = username;
    this.hooks = hooks;
    this.deadline = null;
    this.warned = false;
    this.ended = false;
    this.ticker = null;
    // Where the nurse was working, to go back there after signing in again.
    this.lastFocus = null;
    document.addEventListener('focusin', (e) => {
      if (!$('session-banner').contains(e.target)) this.lastFocus = e.target;
    });
  }

  // Counts from the client's own clock, so a wrong clock does not matter.
  start(expiresInSeconds) {
    this.stop();
    if (expiresInSeconds === null || expiresInSeconds === undefined) return;
    this.deadline = Date.now() + Number(expiresInSeconds) * 1000;
    this.warned = false;
    this.ended = false;
    // A timer per second rather than one long timeout: it survives a laptop
    // sleeping through the deadline, and very long sessions.
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.tick();
  }

  stop() {
    clearInterval(this.ticker);
    this.ticker = null;
    this.hide();
  }

  tick() {
    const left = (this.deadline - Date.now()) / 1000;
    if (left <= 0 && !this.ended) {
      this.ended = true;
      clearInterval(this.ticker);
      this.ticker = null;
      this.hooks.ended();
    } else if (left <= WARN_BEFORE_S && !this.warned) {
      this.warned = true;
      this.show(left);
    }
  }

  show(left) {
    const at = new Date(this.deadline).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
    const stay = h('button', { type: 'button', id: 'session-stay' }, 'Stay signed in');
    stay.addEventListener('click', () => this.ask());
    $('session-banner').replaceChildren(
      h('p', { id: 'session-warning' },
        `Your session ends at ${at}, ${inAbout(left)}. `,
        'To stay signed in, enter your password again. If it ends, a reply or note you have not sent is kept for when you sign in.'),
      stay);
  }

  hide() {
    $('session-banner').replaceChildren();
  }

  // "Stay signed in": the password, in the banner, without leaving the page.
  ask() {
    const input = h('input', { id: 'session-password', type: 'password', autocomplete: 'current-password', required: true });
    const form = h('form', { id: 'session-form', class: 'row', novalidate: true },
      h('label', { for: 'session-password' }, `Password for ${this.username}`), input,
      h('button', { type: 'submit' }, 'Sign in again'),
      h('p', { class: 'form-error', id: 'session-error', role: 'alert' }));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.renew(form); });
    $('session-stay').replaceWith(form);
    input.focus();
  }

  async renew(form) {
    showError('session-error');
    const input = $('session-password');
    const password = input.value;
    if (!password) {
      showError('session-error', { detail: 'Enter your password.' });
      input.focus();
      return;
    }
    const old = this.api.token;
    let r;
    try {
      r = await busy(form, () => this.api.request('POST', '/v1/auth/login', { username: this.username, password }));
    } catch (e) {
      input.value = '';
      const message = e.status === 401 ? 'The password is not right.'
        : e.status === 429 ? `Too many attempts. ${e.detail}` : e.detail;
      showError('session-error', { detail: message });
      input.focus();
      return;
    }
    input.value = '';
    this.api.setToken(r.token);
    // The session this one replaces ends now rather than at its expiry.
    this.api.revoke(old);
    this.start(r.expires_in_seconds);
    this.hooks.renewed(r.token);
    const until = new Date(this.deadline).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
    announce(`You are signed in again, until ${until}.`);
    const back = this.lastFocus;
    if (back && document.contains(back) && back !== document.body && back.checkVisibility?.() !== false) back.focus();
    else document.querySelector('.view:not([hidden]) h1')?.focus();
  }
}

function inAbout(seconds) {
  if (seconds < 60) return 'in less than a minute';
  const minutes = Math.round(seconds / 60);
  return `in about ${minutes} minute${minutes === 1 ? '' : 's'}`;
}
