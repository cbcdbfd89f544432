// The nurse console: shift, offers, my contacts, the queue, notices, handovers.
import { $, h, announce, showError, busy, replaceChildrenKeepingFocus } from './dom.js';
import { bandBadge, channelName, duration, clock } from './labels.js';
import { formKey, formDone } from './api.js';
import { Feed } from './feed.js';
import { Conversation } from './conversation.js';

const MAX_NOTICES = 50;
const QUEUE_ROWS = 50;

const splitList = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const queueEntries = (q) => (Array.isArray(q) ? q : q?.entries || []);

export class NurseConsole {
  constructor(api) {
    this.api = api;
    this.me = null;
    this.offers = [];
    this.offersAt = Date.now();
    this.contacts = [];
    this.queue = [];
    this.seenOffers = new Set();
    this.conversation = new Conversation(api, {
      changed: () => this.refreshLists(),
      closed: () => $('contacts-h').focus(),
    });
    this.feed = new Feed(() => api.token, {
      onFrame: (f) => this.onFrame(f),
      onState: (s) => this.onFeedState(s),
      poll: () => this.poll(),
    });
    this.countdown = null;
    this.wire();
  }

  wire() {
    $('shift-start-form').addEventListener('submit', (e) => { e.preventDefault(); this.startShift(e.target); });
    $('shift-end-form').addEventListener('submit', (e) => { e.preventDefault(); this.endShift(e.target); });
    $('status-toggle').addEventListener('click', () => this.toggleStatus());
    $('take-next').addEventListener('click', () => this.simple('/v1/console/take-next', 'Asked for the next contact.'));
    $('wrap-up-done').addEventListener('click', () => this.simple('/v1/console/wrap-up-done', 'Wrap-up finished.'));
  }

  async show() {
    await this.refreshMe();
    this.renderShift();
    this.loadHandovers();
    await this.poll();
    if (this.feed.stopped) this.feed.start();
    clearInterval(this.countdown);
    this.countdown = setInterval(() => this.tickOffers(), 1000);
  }

  hide() {
    this.feed.stop();
    clearInterval(this.countdown);
  }

  async refreshMe() {
    this.me = await this.api.get('/v1/me');
  }

  // ---- shift ----

  renderShift() {
    const me = this.me || {};
    const nurse = me.nurse;
    const on = me.on_shift ?? (!!nurse && nurse.status !== 'offline' && !nurse.signed_off);
    $('shift-start-form').hidden = on;
    $('shift-controls').hidden = !on;
    $('shift-end').hidden = !on;
    let line = 'You are not on shift.';
    if (on && nurse) {
      const status = nurse.status === 'on_break' ? 'on a break' : nurse.status || 'on shift';
      const state = { idle: 'free', offered: 'being offered a contact', on_contact: 'with a contact', wrap_up: 'in wrap-up' }[nurse.state] || nurse.state || '';
      const load = nurse.texts !== undefined ? `, ${nurse.texts} of ${nurse.text_capacity ?? '?'} text conversations, ${nurse.calls ?? 0} calls` : '';
      line = `On shift: ${status}${state ? `, ${state}` : ''}${load}.`;
    } else if (on) {
      line = 'On shift.';
    }
    $('shift-status').textContent = line;
    $('status-toggle').textContent = nurse?.status === 'on_break' ? 'Become available' : 'Take a break';
    $('wrap-up-done').hidden = nurse?.state !== 'wrap_up';
  }

  async startShift(form) {
    showError('shift-error');
    const f = new FormData(form);
    const body = {
      skills: splitList(f.get('skills') || ''),
      areas: splitList(f.get('areas') || ''),
      text_capacity: Number(f.get('text_capacity') || 3),
    };
    try {
      await busy(form, () => this.api.command('/v1/console/shift/start', body, formKey(form)));
      formDone(form);
      await Promise.all([this.refreshMe(), this.refreshLists()]);
      this.renderShift();
      announce('Shift started. You are available.');
      $('status-toggle').focus();
      this.loadHandovers();
    } catch (e) { showError('shift-error', e); }
  }

  async endShift(form) {
    showError('shift-error');
    const f = new FormData(form);
    const body = { note: f.get('note') || '' };
    const to = (f.get('handover_to') || '').trim();
    if (to) body.handover_to = to;
    try {
      const r = await busy(form, () => this.api.command('/v1/console/shift/end', body, formKey(form)));
      formDone(form);
      form.reset();
      $('shift-end').open = false;
      await this.refreshMe();
      this.renderShift();
      announce(`Shift ended. Handover ${r?.handover_id ?? ''} recorded.`);
      $('shift-start-form').querySelector('input').focus();
    } catch (e) { showError('shift-error', e); }
  }

  async toggleStatus() {
    showError('shift-error');
    const next = this.me?.nurse?.status === 'on_break' ? 'available' : 'on_break';
    try {
      await this.api.command('/v1/console/status', { status: next });
      await Promise.all([this.refreshMe(), this.refreshLists()]);
      this.renderShift();
      announce(next === 'available' ? 'You are available.' : 'You are on a break. No new offers.');
    } catch (e) { showError('shift-error', e); }
  }

  async simple(path, done) {
    showError('shift-error');
    try {
      await this.api.command(path, {});
      announce(done);
      await Promise.all([this.refreshMe(), this.refreshLists()]);
      this.renderShift();
    } catch (e) { showError('shift-error', e); }
  }

  // ---- handovers ----

  async loadHandovers() {
    let list = [];
    try {
      list = (await this.api.get('/v1/handovers?for=me'))?.handovers || [];
    } catch { list = []; }
    const pending = list.filter((x) => !x.acknowledged_by);
    $('handovers-panel').hidden = pending.length === 0;
    const section = (title, items) => (items && items.length
      ? [h('h4', {}, title), h('ul', {}, items.map((i) => h('li', {}, typeof i === 'object' ? describe(i) : String(i))))]
      : []);
    $('handovers').replaceChildren(...pending.map((ho) => {
      const form = h('form', { class: 'stack' },
        h('button', { type: 'submit', 'data-focus-key': `ack-${ho.id}` }, `Acknowledge handover ${ho.id}`));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await busy(form, () => this.api.command(`/v1/handovers/${encodeURIComponent(ho.id)}/acknowledge`, {}, formKey(form)));
          announce(`Handover ${ho.id} acknowledged.`);
          await this.loadHandovers();
          $('offers-h').focus();
        } catch (err) { showError('shift-error', err); }
      });
      return h('article', { class: 'cards-item', 'aria-labelledby': `ho-${ho.id}` },
        h('h3', { id: `ho-${ho.id}` }, `Handover from ${ho.from} at ${clock(ho.created)}`),
        ho.note ? h('p', {}, `Note: ${ho.note}`) : null,
        ...section('Open conversations', ho.open_conversations),
        ...section('Pending callbacks', ho.pending_callbacks),
        ...section('High risk', ho.high_risk),
        ...section('Cars on scene', ho.cars_on_scene),
        ...section('Unresolved dispatches', ho.unresolved_dispatches),
        form);
    }));
    if (pending.length) announce(`${pending.length} handover${pending.length > 1 ? 's' : ''} waiting for your acknowledgement.`);
  }

  // ---- feed and polling ----

  onFeedState(state) {
    const el = $('feed-state');
    el.hidden = state === 'stopped';
    el.textContent = {
      connecting: 'Connecting to live updates…',
      live: 'Live updates on',
      polling: 'Live updates interrupted: refreshing every 5 seconds',
    }[state] || '';
    if (state === 'polling') announce('Live updates interrupted. The console refreshes every 5 seconds.');
  }

  onFrame(f) {
    if (f.type === 'snapshot') {
      if (f.queue !== undefined) this.setQueue(queueEntries(f.queue), f.queue_totals?.waiting);
      if (f.offers !== undefined) this.setOffers(f.offers);
      if (f.contacts !== undefined) this.setContacts(f.contacts);
      if (f.nurse !== undefined && this.me) { this.me.nurse = f.nurse; this.renderShift(); }
      return;
    }
    if (f.type !== 'update') return;
    if (f.queue !== undefined) this.setQueue(queueEntries(f.queue), f.queue_totals?.waiting);
    else if (f.queue_changed) this.refreshQueue();
    if (f.nurse !== undefined && this.me) { this.me.nurse = f.nurse; this.renderShift(); }
    for (const c of f.contacts || []) {
      if (c.dispatch) this.conversation.dispatchUpdate(String(c.contact_id), c.dispatch);
    }
    if (f.offers !== undefined) {
      this.setOffers(f.offers);
      if (f.contacts?.length) this.refreshListsSoon();
    } else {
      // Updates carry only what changed; offers and my contacts are re-read
      // (at most a few times a second, the server coalesces) so they stay exact.
      this.refreshListsSoon();
    }
    if (f.contacts?.length) this.conversation.changed(f.contacts.map((c) => String(c.contact_id)));
    for (const n of f.notices || []) this.addNotice(n);
  }

  async poll() {
    await Promise.all([this.refreshLists(), this.refreshQueue(), this.refreshMe().then(() => this.renderShift())]);
    // Every read of a record is audited: the open conversation is re-read when
    // its summary in "My contacts" changes, and otherwise at most every 30 s.
    if (Date.now() - (this.conversationReadAt || 0) > 30000) {
      this.conversationReadAt = Date.now();
      this.conversation.refresh();
    }
  }

  async refreshLists() {
    try {
      const [offers, contacts] = await Promise.all([
        this.api.get('/v1/console/offers'), this.api.get('/v1/console/contacts')]);
      this.setOffers(offers?.offers || []);
      this.setContacts(contacts?.contacts || []);
    } catch (e) { showError('offers-error', e); }
  }

  refreshListsSoon() {
    if (this.listsTimer) return;
    this.listsTimer = setTimeout(() => { this.listsTimer = null; this.refreshLists(); }, 250);
  }

  async refreshQueue() {
    try {
      const q = await this.api.get(`/v1/queue?limit=${QUEUE_ROWS}`);
      this.setQueue(queueEntries(q), q?.waiting);
    } catch { /* next poll */ }
  }

  // ---- offers ----

  setOffers(offers) {
    showError('offers-error');
    this.offers = offers;
    this.offersAt = Date.now();
    const fresh = offers.filter((o) => !this.seenOffers.has(String(o.contact_id)));
    this.seenOffers = new Set(offers.map((o) => String(o.contact_id)));
    this.renderOffers(new Set(fresh.map((o) => String(o.contact_id))));
    for (const o of fresh) {
      announce(`New offer: ${channelName(o.channel)}, band ${o.band}, ${o.area || 'regional pool'}. ` +
        `Accept or decline within ${duration(o.expires_in_seconds)}.`, { urgent: true });
    }
  }

  renderOffers(fresh = new Set()) {
    $('offers-empty').hidden = this.offers.length > 0;
    replaceChildrenKeepingFocus($('offers'), this.offers.map((o) => {
      const id = String(o.contact_id);
      const reasonId = `decline-reason-${id}`;
      const accept = h('button', { type: 'button', 'data-focus-key': `accept-${id}` }, `Accept contact ${id}`);
      accept.addEventListener('click', () => this.accept(id, accept));
      const reason = h('input', { id: reasonId, 'data-focus-key': `reason-${id}`, autocomplete: 'off' });
      const decline = h('button', { type: 'submit', class: 'secondary', 'data-focus-key': `decline-${id}` }, `Decline contact ${id}`);
      const form = h('form', { class: 'row' },
        h('label', { for: reasonId }, 'Reason for declining'), reason, decline);
      form.addEventListener('submit', (e) => { e.preventDefault(); this.decline(id, reason.value, form); });
      return h('li', { class: fresh.has(id) ? 'new' : '', dataset: { contact: id } },
        h('p', {}, bandBadge(o.band), ` ${channelName(o.channel)} · ${o.area || 'regional pool'} · waited `,
          h('span', { class: 'waited' }, duration(o.waited_seconds)), ' · ',
          h('span', { class: 'expires' }, `expires in ${duration(o.expires_in_seconds)}`)),
        o.summary ? h('p', {}, o.summary) : null,
        h('div', { class: 'row' }, accept), form);
    }));
  }

  // Waiting times move on between updates.
  tickQueue() {
    const elapsed = (Date.now() - (this.queueAt || Date.now())) / 1000;
    for (const row of $('queue-body').children) {
      const e = this.queue.find((x) => String(x.contact_id) === row.dataset.contact);
      if (e) row.querySelector('.waited').textContent = duration(Number(e.waited_seconds) + elapsed);
    }
  }

  tickOffers() {
    this.tickQueue();
    const elapsed = (Date.now() - this.offersAt) / 1000;
    for (const li of $('offers').children) {
      const o = this.offers.find((x) => String(x.contact_id) === li.dataset.contact);
      if (!o) continue;
      const left = Math.max(0, Number(o.expires_in_seconds) - elapsed);
      li.querySelector('.expires').textContent = left > 0 ? `expires in ${duration(left)}` : 'expired';
      li.querySelector('.waited').textContent = duration(Number(o.waited_seconds) + elapsed);
    }
  }

  async accept(id, button) {
    showError('offers-error');
    button.disabled = true;
    try {
      await this.api.command(`/v1/contacts/${encodeURIComponent(id)}/accept`);
      announce(`Contact ${id} accepted.`);
      await this.refreshLists();
      await this.conversation.open(id);
    } catch (e) {
      showError('offers-error', e);
      button.disabled = false;
      this.refreshLists();
    }
  }

  async decline(id, reason, form) {
    showError('offers-error');
    if (!reason.trim()) {
      showError('offers-error', { detail: 'Give a reason for declining.' });
      form.querySelector('input').focus();
      return;
    }
    try {
      await busy(form, () => this.api.command(`/v1/contacts/${encodeURIComponent(id)}/decline`, { reason }, formKey(form)));
      announce(`Contact ${id} declined.`);
      await this.refreshLists();
      $('offers-h').focus();
    } catch (e) { showError('offers-error', e); }
  }

  // ---- my contacts ----

  setContacts(contacts) {
    const open = contacts.find((c) => String(c.contact_id) === this.conversation.id);
    const signature = open ? JSON.stringify(open) : '';
    if (open && this.openSignature !== undefined && signature !== this.openSignature) this.conversation.refreshSoon();
    this.openSignature = signature;
    this.contacts = contacts;
    $('contacts-empty').hidden = contacts.length > 0;
    replaceChildrenKeepingFocus($('contacts'), contacts.map((c) => {
      const id = String(c.contact_id);
      const open = h('button', { type: 'button', 'data-focus-key': `open-${id}` }, `Open conversation ${id}`);
      open.addEventListener('click', () => this.conversation.open(id));
      const unread = Number(c.unread || 0);
      return h('li', { class: this.conversation.id === id ? 'selected' : '' },
        h('p', {}, bandBadge(c.band), ` ${channelName(c.channel)} · ${c.area || 'regional pool'}`,
          c.since ? ` · since ${clock(c.since)}` : '',
          unread ? h('strong', {}, ` · ${unread} unread`) : ''),
        open);
    }));
  }

  // ---- queue ----

  setQueue(entries, total) {
    const key = JSON.stringify(entries.map((e) => [e.contact_id, e.band, e.rank, e.offered_to]));
    this.queue = entries;
    this.queueAt = Date.now();
    const waiting = total ?? entries.length;
    $('queue-summary').textContent = waiting
      ? `${waiting} waiting${total === undefined && entries.length >= QUEUE_ROWS ? ' or more' : ''}.`
      : 'Nobody is waiting.';
    if (key === this.queueKey) {
      this.tickQueue();
      return;
    }
    this.queueKey = key;
    $('queue-body').replaceChildren(...entries.slice(0, QUEUE_ROWS).map((e, i) => h('tr',
      { dataset: { contact: String(e.contact_id) }, class: e.tier === 'overdue' ? 'breach' : '' },
      h('td', {}, String(e.rank ?? i + 1)),
      h('td', {}, bandBadge(e.band)),
      h('td', {}, channelName(e.channel), e.callback ? ' (callback)' : ''),
      h('td', {}, e.area || 'regional pool'),
      h('td', { class: 'waited' }, duration(e.waited_seconds)),
      h('td', {}, e.reason || ''))));
  }

  // ---- notices ----

  addNotice(n) {
    const text = n.text || n.kind || 'Notice';
    const li = h('li', {}, `${new Date().toLocaleTimeString('en-GB')}: ${text}`,
      n.contact_id ? ` (contact ${n.contact_id})` : '');
    const list = $('notices');
    list.prepend(li);
    while (list.children.length > MAX_NOTICES) list.lastElementChild.remove();
    announce(text);
  }
}

function describe(item) {
  return Object.entries(item).map(([k, v]) => `${k.replaceAll('_', ' ')}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}
