// Entry point: sign-in, the page for the user's role, sign-out, high contrast.
import { $, announce, showError, busy } from './dom.js';
import { Api } from './api.js';
import { NurseConsole } from './nurse.js';
import { SupervisorPage } from './supervisor.js';
import { SessionClock } from './session.js';
import { keepDrafts, takeDrafts, dropDrafts } from './drafts.js';

const api = new Api();
let user = null;
let nurse = null;
let supervisor = null;
let current = null;
let clock = null;
// Unsent drafts from before a forced sign-in, until the nurse console shows them.
let pendingDrafts = null;

const VIEWS = ['view-login', 'view-nurse', 'view-supervisor', 'view-other'];
const canNurse = (role) => role === 'nurse' || role === 'supervisor';
const canSupervise = (role) => role === 'supervisor' || role === 'admin';

function showView(id) {
  for (const v of VIEWS) $(v).hidden = v !== id;
  const heading = $(id).querySelector('h1');
  document.title = `${heading.textContent} · crisisline`;
  heading.focus();
}

// Signing out reloads the page, so nothing of the last user's records stays in
// the DOM or in memory; a message for the sign-in form survives the reload.
function signOut(message) {
  clock?.stop();
  api.setToken('');
  if (message) sessionStorage.setItem('crisisline.signin-message', message);
  location.replace('/');
}

function showSignIn() {
  $('nav').hidden = true;
  $('who').hidden = true;
  $('logout').hidden = true;
  $('feed-state').hidden = true;
  showView('view-login');
  const message = sessionStorage.getItem('crisisline.signin-message');
  sessionStorage.removeItem('crisisline.signin-message');
  showError('login-error', message ? { detail: message } : null);
  $('login-username').focus();
}

async function route() {
  if (!user) return;
  const wanted = location.hash === '#/supervisor' ? 'supervisor' : location.hash === '#/nurse' ? 'nurse' : '';
  let page = wanted;
  if (page === 'supervisor' && !canSupervise(user.role)) page = '';
  if (page === 'nurse' && !canNurse(user.role)) page = '';
  if (!page) page = canNurse(user.role) && user.role === 'nurse' ? 'nurse' : canSupervise(user.role) ? 'supervisor' : '';
  $('nav-nurse').parentElement.hidden = !canNurse(user.role);
  $('nav-supervisor').parentElement.hidden = !canSupervise(user.role);
  for (const [p, a] of [['nurse', $('nav-nurse')], ['supervisor', $('nav-supervisor')]]) {
    if (p === page) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (page === current) return;
  if (current === 'nurse') nurse.hide();
  if (current === 'supervisor') supervisor.hide();
  current = page;
  if (page === 'nurse') {
    nurse ??= new NurseConsole(api);
    showView('view-nurse');
    try { await nurse.show(); } catch (e) { showError('shift-error', e); }
    if (pendingDrafts && current === 'nurse') {
      const d = pendingDrafts;
      pendingDrafts = null;
      await nurse.conversation.restoreDrafts(d);
    }
  } else if (page === 'supervisor') {
    supervisor ??= new SupervisorPage(api);
    showView('view-supervisor');
    await supervisor.show();
  } else {
    $('other-text').textContent = `This console is for nurses and supervisors; you are signed in as ${user.role}.`;
    showView('view-other');
  }
}

// Asks the server once the session should have ended: its 401 signs out
// (keeping drafts); if the session turns out to have time left, count again.
async function checkSession() {
  try {
    const me = await api.get('/v1/me');
    clock.start(me.expires_in_seconds);
  } catch (e) {
    if (e.status !== 401) setTimeout(checkSession, 10000);
  }
}

function signedIn(u, expiresInSeconds) {
  user = u;
  pendingDrafts = takeDrafts(u.id);
  clock = new SessionClock(api, u.id, {
    // A new session: the live feeds reconnect on its token.
    renewed: () => { nurse?.feed.reconnect(); supervisor?.feed.reconnect(); },
    ended: checkSession,
  });
  clock.start(expiresInSeconds);
  $('who-name').textContent = u.display_name || u.id;
  $('who-role').textContent = u.role;
  $('who').hidden = false;
  $('logout').hidden = false;
  $('nav').hidden = !(canNurse(u.role) && canSupervise(u.role));
  route();
}

async function login(form) {
  showError('login-error');
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  if (!username || !password) {
    showError('login-error', { detail: 'Enter your username and password.' });
    (username ? $('login-password') : $('login-username')).focus();
    return;
  }
  try {
    const r = await busy(form, () => api.request('POST', '/v1/auth/login', { username, password }));
    api.setToken(r.token);
    $('login-password').value = '';
    announce(`Signed in as ${r.user?.display_name || username}.`);
    signedIn(r.user, r.expires_in_seconds);
  } catch (e) {
    const message = e.status === 401 ? 'The username or password is not right.'
      : e.status === 429 ? `Too many attempts. ${e.detail}` : e.detail;
    showError('login-error', { detail: message });
    $('login-password').focus();
  }
}

async function logout() {
  dropDrafts();
  try { await api.request('POST', '/v1/auth/logout', {}); } catch { /* the token is dropped either way */ }
  signOut('You have signed out.');
}

function setContrast(on) {
  document.documentElement.classList.toggle('hc', on);
  $('contrast-toggle').setAttribute('aria-pressed', String(on));
  localStorage.setItem('crisisline.contrast', on ? 'high' : 'normal');
}

async function start() {
  setContrast(localStorage.getItem('crisisline.contrast') === 'high');
  $('contrast-toggle').addEventListener('click', () =>
    setContrast($('contrast-toggle').getAttribute('aria-pressed') !== 'true'));
  $('login-form').addEventListener('submit', (e) => { e.preventDefault(); login(e.target); });
  $('logout').addEventListener('click', logout);
  window.addEventListener('hashchange', route);
  // A 401: the session expired or was ended. Back to sign-in, keeping what the
  // nurse typed and did not send.
  api.onUnauthorized = () => {
    if (!user) return;
    const kept = keepDrafts(user.id, nurse?.conversation.drafts() ?? pendingDrafts);
    signOut(kept ? 'Your session has ended. Sign in again: the reply and note you had not sent are kept.'
      : 'Your session has ended. Please sign in again.');
  };
  if (api.token) {
    try {
      const me = await api.get('/v1/me');
      signedIn({ id: me.id, role: me.role, display_name: me.display_name }, me.expires_in_seconds);
      return;
    } catch { api.setToken(''); }
  }
  showSignIn();
}

start();
