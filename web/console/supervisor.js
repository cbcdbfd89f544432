// The supervisor page: the queue by band, longest wait, breaches, nurses and load.
import { $, h, showError } from './dom.js';
import { BANDS, bandBadge, duration, clock } from './labels.js';

const REFRESH_MS = 3000;

export class SupervisorPage {
  constructor(api) {
    this.api = api;
    this.timer = null;
  }

  async show() {
    await this.refresh();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  hide() { clearInterval(this.timer); this.timer = null; }

  async refresh() {
    let s;
    try {
      s = await this.api.get('/v1/supervisor');
    } catch (e) {
      showError('sup-error', e);
      return;
    }
    showError('sup-error');
    const q = s.queue || {};
    $('sup-summary').replaceChildren(
      h('dt', {}, 'Waiting'), h('dd', {}, String(q.waiting ?? 0)),
      h('dt', {}, 'Longest wait'), h('dd', {}, duration(q.longest_wait_seconds ?? 0)),
      h('dt', {}, 'Breaches'), h('dd', {}, String((q.breaches || []).length)));
    const byBand = q.by_band || {};
    $('sup-bands').replaceChildren(...Object.keys(BANDS).map((b) =>
      h('tr', {}, h('td', {}, bandBadge(b)), h('td', {}, String(byBand[b] ?? 0)))));
    const breaches = q.breaches || [];
    $('sup-breaches-empty').hidden = breaches.length > 0;
    $('sup-breaches').replaceChildren(...breaches.map((b) => h('tr', { class: 'breach' },
      h('td', {}, String(b.contact_id)), h('td', {}, bandBadge(b.band)),
      h('td', {}, duration(b.waited_seconds)), h('td', {}, duration(b.target_seconds)))));
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
    $('sup-updated').textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}; refreshes every ${REFRESH_MS / 1000} seconds.`;
  }
}
