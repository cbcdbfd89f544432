// The live feed (WebSocket /v1/console/feed) with resume and a polling fallback.
//
// Every frame has a strictly increasing seq. On reconnect the feed asks for
// `since` = the last seq it applied, so the server can replay what was missed
// (or send a fresh snapshot). While the socket is down the console polls the
// HTTP API instead, so it never silently goes stale; once the socket is back
// the polling stops.

const POLL_MS = 5000;
const MAX_BACKOFF_MS = 10000;

export class Feed {
  // handlers: onFrame(frame), onState('connecting'|'live'|'polling'|'stopped'), poll()
  // options: pollMs, how often poll() runs while the socket is down.
  constructor(tokenFn, handlers, { pollMs = POLL_MS } = {}) {
    this.tokenFn = tokenFn;
    this.h = handlers;
    this.pollMs = pollMs;
    this.lastSeq = 0;
    this.ws = null;
    this.backoff = 500;
    this.failures = 0;
    this.stopped = true;
    this.pollTimer = null;
    this.retryTimer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopPolling();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, 'signed out');
    }
    this.lastSeq = 0;
    this.h.onState('stopped');
  }

  // After signing in again the open socket still belongs to the old session:
  // open one on the new token, resuming from the last seq applied.
  reconnect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const old = this.ws;
    this.ws = null;
    if (old) {
      old.onclose = null;
      old.onmessage = null;
      old.close(1000, 'new session');
    }
    this.backoff = 500;
    this.connect();
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const q = new URLSearchParams({ access_token: this.tokenFn() });
    if (this.lastSeq > 0) q.set('since', String(this.lastSeq));
    return `${scheme}://${location.host}/v1/console/feed?${q}`;
  }

  connect() {
    if (this.stopped) return;
    if (!this.pollTimer) this.h.onState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.backoff = 500;
      this.failures = 0;
      this.stopPolling();
      this.h.onState('live');
    };
    ws.onmessage = (ev) => {
      let frame;
      try { frame = JSON.parse(ev.data); } catch { return; }
      if (typeof frame.seq !== 'number' && typeof frame.seq !== 'string') return;
      const seq = Number(frame.seq);
      // A snapshot replaces everything; any other frame already applied is skipped.
      if (frame.type !== 'snapshot' && seq <= this.lastSeq) return;
      this.lastSeq = seq;
      this.h.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!opened) this.failures += 1;
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    // Fall back to polling straight away: a nurse must not look at a stale queue.
    this.startPolling();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }

  startPolling() {
    if (this.pollTimer || this.stopped) return;
    this.h.onState('polling');
    const tick = async () => {
      try { await this.h.poll(); } catch { /* shown by the poll itself */ }
    };
    tick();
    this.pollTimer = setInterval(tick, this.pollMs);
  }

  stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  }
}
