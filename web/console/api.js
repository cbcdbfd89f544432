// The console API (README "Console API"): JSON in and out, bearer token,
// errors as {"error", "detail"}.

export class ApiError extends Error {
  constructor(status, code, detail, body) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail || code || `The server answered ${status}.`;
    this.body = body;
  }
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

export class Api {
  constructor() {
    this.token = sessionStorage.getItem('crisisline.token') || '';
    this.onUnauthorized = () => {};
  }

  setToken(token) {
    this.token = token || '';
    if (token) sessionStorage.setItem('crisisline.token', token);
    else sessionStorage.removeItem('crisisline.token');
  }

  async request(method, path, body, { idempotencyKey } = {}) {
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    let res;
    try {
      res = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store', credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError(0, 'network', 'The server could not be reached. Check the connection and try again.');
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!res.ok) {
      const err = new ApiError(res.status, data?.error, data?.detail, data);
      if (res.status === 401 && !path.startsWith('/v1/auth/login')) this.onUnauthorized(err);
      throw err;
    }
    return data;
  }

  get(path) { return this.request('GET', path); }

  // Ends another session of ours (the one a fresh sign-in replaces). Best
  // effort: it expires on its own anyway, and no answer here signs anyone out.
  async revoke(token) {
    if (!token || token === this.token) return;
    try {
      await fetch('/v1/auth/logout', {
        method: 'POST', headers: { Authorization: `Bearer ${token}` }, cache: 'no-store', credentials: 'omit',
      });
    } catch { /* expires by itself */ }
  }

  // A command: retried with the same Idempotency-Key it changes nothing twice.
  command(path, body = {}, key = newKey()) {
    return this.request('POST', path, body, { idempotencyKey: key });
  }
}

// One Idempotency-Key per form submission attempt: a retry after a network
// error reuses it (so a command that did commit is not applied twice); a
// success or an edit starts a new one.
export function formKey(form) {
  if (!form.dataset.idempotencyKey) form.dataset.idempotencyKey = newKey();
  if (!form.dataset.keyWatch) {
    form.dataset.keyWatch = '1';
    form.addEventListener('input', () => { delete form.dataset.idempotencyKey; });
  }
  return form.dataset.idempotencyKey;
}
export function formDone(form) { delete form.dataset.idempotencyKey; }
