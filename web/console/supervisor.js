// The supervisor page: the queue by band, longest wait, breaches, nurses and load.
//
// It follows the live feed (/v1/console/feed, which a supervisor receives for
// every change): each frame says something changed, and the page reads
// GET /v1/supervisor again, at most once a second however busy the feed is.
// Only while the feed is down does it poll instead, every 15 seconds.
import { $, h, announce, showError } from './dom.js';
import { BANDS, bandBadge, duration, clock } from './labels.js';
import { Feed } from './feed.js';

const POLL_MS = 15000;
const MIN_GAP_MS = 1000;

export class SupervisorPage {
  constructor(api) {
    this.api = api;
    this.feed = new Feed(() => api.token, {
      onFrame: () => this.refreshSoon(),
      onState: (s) => this.onFeedState(s),
      poll: () => this.refresh(),
    }, { pollMs: POLL_MS });
    this.feedState = 'stopped';
    this.soon = null;
    this.inFlight = false;
    this.again = false;
    this.lastAt = 0;
    this.ticker = null;
    this.data = null;
  }

  // The feed's first frame (a snapshot) brings the first read; if the feed
  // cannot open, polling starts at once.
  async show() {
    if (this.feed.stopped) this.feed.start();
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(), 1000);
  }

  hide() {
    this.feed.stop();
    clearInterval(this.ticker);
    clearTimeout(this.soon);
    this.ticker = null;
    this.soon = null;
  }

  onFeedState(state) {
    this.feedState = state;
    const el = $('feed-state');
    el.hidden = state === 'stopped';
    el.textContent = {
      connecting: 'Connecting to live updates…',
      live: 'Live updates on',
      polling: `Live updates interrupted: refreshing every ${POLL_MS / 1000} seconds`,
    }[state] || '';
    if (state === 'polling') announce(`Live updates interrupted. The page refreshes every ${POLL_MS / 1000} seconds.`);
    this.renderUpdated();
  }

  refreshSoon() {
    if (this.soon) return;
    const wait = Math.max(0, this.lastAt + MIN_GAP_MS - Date.now());
    this.soon = setTimeout(() => { this.soon = null; this.refresh(); }, wait);
  }

  async refresh() {
    // Frames that arrive during a read are covered by one more read after it.
    if (this.inFlight) { this.again = true; return; }
    this.inFlight = true;
    this.lastAt = Date.now();
    try {
      const s = await this.api.get('/v1/supervisor');
      showError('sup-error');
      this.data = s;
      this.at = Date.now();
      this.render(s);
    } catch (e) {
      showError('sup-error', e);
    } finally {
      this.inFlight = false;
      if (this.again) { this.again = false; this.refreshSoon(); }
    }
  }

  render(s) {
    const q = s.queue || {};
    $('sup-summary').replaceChildren(
      h('dt', {}, 'Waiting'), h('dd', {}, String(q.waiting ?? 0)),
      h('dt', {}, 'Longest wait'), h('dd', { id: 'sup-longest' }, duration(q.longest_wait_seconds ?? 0)),
      h('dt', {}, 'Breaches'), h('dd', {}, String((q.breaches || []).length)));
    const byBand = q.by_band || {};
    $('sup-bands').replaceChildren(...Object.keys(BANDS).map((b) =>
      h('tr', {}, h('td', {}, bandBadge(b)), h('td', {}, String(byBand[b] ?? 0)))));
    const breaches = q.breaches || [];
    $('sup-breaches-empty').hidden = breaches.length > 0;
    $('sup-breaches').replaceChildren(...breaches.map((b) => h('tr', { class: 'breach' },
      h('td', {}, String(b.contact_id)), h('td', {}, bandBadge(b.band)),
      h('td', { class: 'waited' }, duration(b.waited_seconds)), h('td', {}, duration(b.target_seconds)))));
    const nurses = s.nurses || [];
    $('sup-nurses-empty').hidden = nurses.length > 0;
    $('sup-nurses').replaceChildren(...nurses.map((n) => {
      const load = n.load || {};
      return h('tr', {},
        h('td', {}, String(n.id)),
        h('td', {}, String(n.status || '').replaceAll('_', ' ')),
        h('td', {}, String(n.state || '').replaceAll('_', ' ')),
        h('td', {}, `${load.texts ?? 0} of ${load.capacity ?? '?'}`),
        h('td', {}, String(load.calls ?? 0)),
        h('td', {}, clock(n.on_shift_since)));
    }));
    this.renderUpdated();
  }

  renderUpdated() {
    if (!this.data) return;
    const how = this.feedState === 'live' ? 'live updates on'
      : `refreshing every ${POLL_MS / 1000} seconds until live updates are back`;
    $('sup-updated').textContent = `Updated ${new Date(this.at).toLocaleTimeString('en-GB')}; ${how}.`;
  }

  // Waiting times grow between reads without any event: count them on here.
  tick() {
    const q = this.data?.queue;
    if (!q) return;
    const elapsed = (Date.now() - this.at) / 1000;
    if (q.waiting > 0 && $('sup-longest')) $('sup-longest').textContent = duration(Number(q.longest_wait_seconds ?? 0) + elapsed);
    const rows = $('sup-breaches').children;
    (q.breaches || []).forEach((b, i) => {
      const cell = rows[i]?.querySelector('.waited');
      if (cell) cell.textContent = duration(Number(b.waited_seconds) + elapsed);
    });
  }
}
