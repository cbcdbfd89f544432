// One contact: facts, previous contacts, messages, and every action a nurse
// takes on it (reply, note, triage, transfer, callback, close).
import { $, h, announce, showError, busy } from './dom.js';
import { BANDS, OUTCOMES, bandBadge, channelName, clock, duration, fillSelect } from './labels.js';
import { formKey, formDone } from './api.js';
import { DispatchPanel } from './dispatch.js';

export class Conversation {
  // hooks: changed() after a command, closed() after the view is left
  constructor(api, hooks) {
    this.api = api;
    this.hooks = hooks;
    this.id = null;
    this.data = null;
    // Crew status per contact, from the feed's dispatch updates.
    this.dispatch = new Map();
    this.panel = new DispatchPanel(api);
    fillSelect($('triage-category'), BANDS, 'Choose a category');
    fillSelect($('close-outcome'), OUTCOMES, 'Choose an outcome');
    this.wire();
  }

  wire() {
    const on = (id, fn) => $(id).addEventListener('submit', (e) => { e.preventDefault(); fn(e.target); });
    on('reply-form', (f) => this.reply(f));
    on('note-form', (f) => this.note(f));
    on('triage-form', (f) => this.triage(f));
    on('transfer-form', (f) => this.transfer(f));
    on('callback-form', (f) => this.callback(f));
    on('close-form', (f) => this.close(f));
    $('conv-back').addEventListener('click', () => this.leave());
    const body = $('reply-body');
    body.addEventListener('input', () => {
      $('reply-count').textContent = `${body.value.length} characters`;
    });
  }

  async open(id) {
    this.id = String(id);
    this.data = null;
    this.rendered = null;
    $('conversation').hidden = false;
    $('conv-h').textContent = `Conversation: contact ${this.id}`;
    $('conv-messages').replaceChildren();
    this.panel.open(this.id);
    await this.refresh();
    $('conv-h').focus();
  }

  leave() {
    this.id = null;
    this.data = null;
    this.panel.close();
    $('conversation').hidden = true;
    this.hooks.closed();
  }

  // The feed's incidents for a contact (with each live unit's stage).
  dispatchUpdate(id, incidents) {
    this.dispatch.set(id, incidents);
    if (id === this.id) this.panel.fromFeed(incidents);
  }

  // What the nurse typed and has not sent, to survive a sign-in (app.js).
  drafts() {
    if (!this.id) return null;
    const reply = $('reply-body').value;
    const note = $('note-text').value;
    if (!reply.trim() && !note.trim()) return null;
    return { contact: this.id, reply, necessary: $('reply-necessary').checked, note };
  }

  async restoreDrafts(d) {
    await this.open(d.contact);
    if (this.id !== String(d.contact)) return;
    $('reply-body').value = d.reply || '';
    $('reply-necessary').checked = !!d.necessary;
    $('note-text').value = d.note || '';
    $('reply-count').textContent = `${$('reply-body').value.length} characters`;
    const what = [d.reply?.trim() ? 'reply' : '', d.note?.trim() ? 'note' : ''].filter(Boolean).join(' and ');
    announce(`Your unsent ${what} for contact ${this.id} ${what.includes(' and ') ? 'are' : 'is'} back, not yet sent.`);
    (d.reply?.trim() ? $('reply-body') : $('note-text')).focus();
  }

  // Called with the ids of contacts the feed says changed.
  changed(ids) {
    if (this.id && ids.includes(this.id)) this.refreshSoon();
  }

  refreshSoon() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.refresh(); }, 200);
  }

  async refresh() {
    if (!this.id) return;
    const id = this.id;
    try {
      const c = await this.api.get(`/v1/contacts/${encodeURIComponent(id)}`);
      if (this.id !== id) return;
      showError('conv-error');
      this.data = c;
      this.render(c);
      this.panel.fromContact(c);
    } catch (e) { showError('conv-error', e); }
  }

  render(c) {
    const facts = [
      ['Band', bandBadge(c.band)],
      ['Channel', channelName(c.channel)],
      ['Area', c.area || 'regional pool'],
      ['State', String(c.state || '').replaceAll('_', ' ')],
      ['Arrived', clock(c.arrival || c.created)],
    ];
    if (c.risk_rules?.length) facts.push(['Risk signals', c.risk_rules.join(', ')]);
    if (c.from_withheld) facts.push(['Number', 'Withheld: cannot be texted or called back']);
    if (c.opted_out) facts.push(['Opted out', 'Yes: only clinically necessary replies, as a clinician task']);
    const response = c.dispatch || this.dispatch.get(this.id);
    if (response && (!Array.isArray(response) || response.length)) facts.push(['Response', describeDispatch(response)]);
    if (c.outcome_code) facts.push(['Outcome', `${c.outcome_code}: ${OUTCOMES[c.outcome_code] || ''}`]);
    $('conv-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

    // A crisis plan is {text, at, by, contact_id} (or plain text).
    const plan = c.crisis_plan;
    const planText = typeof plan === 'string' ? plan : plan?.text;
    $('conv-plan-section').hidden = !planText;
    $('conv-plan').replaceChildren(...(planText ? [
      h('p', { class: 'body' }, planText),
      plan?.at ? h('p', { class: 'hint' }, `Recorded ${clock(plan.at)}${plan.by ? ` by ${plan.by}` : ''}` +
        `${plan.contact_id ? ` (contact ${plan.contact_id})` : ''}.`) : null] : []));

    const history = c.history || [];
    $('conv-history').replaceChildren(...(history.length ? history.map((p) => h('li', {},
      `Contact ${p.contact_id}, ${channelName(p.channel)}, ${clock(p.started)}: `, bandBadge(p.band),
      p.outcome_code ? ` Outcome ${p.outcome_code} (${OUTCOMES[p.outcome_code] || 'unknown'}).` : ' No outcome recorded.',
      (p.risk_flags || p.risk_rules)?.length ? ` Risk signals: ${(p.risk_flags || p.risk_rules).join(', ')}.` : '',
      ...(p.notes || []).map((n) => h('span', { class: 'body' }, ` Note: ${typeof n === 'object' ? n.text : n}`))))
      : [h('li', {}, 'None found.')]));

    this.renderMessages(c);

    $('conv-notes').replaceChildren(...(c.notes || []).map((n) =>
      h('li', {}, h('span', { class: 'meta' }, `${clock(n.at)}, ${n.by}: `), h('span', { class: 'body' }, n.text))));
  }

  renderMessages(c) {
    const messages = c.messages || (c.replies || []).map((r) => ({ direction: 'out', at: r.at, body: r.body }));
    const list = $('conv-messages');
    // Append only what is new. Texts that arrive while the conversation is
    // open are announced; the history shown on opening is not read out.
    if (list.children.length > messages.length) list.replaceChildren();
    const start = list.children.length;
    const opening = this.rendered !== this.id;
    this.rendered = this.id;
    messages.slice(start).forEach((m) => {
      const out = m.direction === 'out';
      list.append(h('li', { class: out ? 'out' : 'in' },
        h('span', { class: 'meta' }, `${out ? 'Sent' : 'Received'} ${clock(m.at)}${m.status ? `, ${m.status}` : ''}`),
        h('span', { class: 'body' }, m.body ?? '')));
      if (!opening && !out) announce(`New text on contact ${this.id}: ${m.body ?? ''}`);
    });
    // Statuses (sent, delivered) change in place.
    messages.slice(0, start).forEach((m, i) => {
      const meta = list.children[i]?.querySelector('.meta');
      const out = m.direction === 'out';
      if (meta) meta.textContent = `${out ? 'Sent' : 'Received'} ${clock(m.at)}${m.status ? `, ${m.status}` : ''}`;
    });
  }

  async command(form, action, body, done) {
    showError('conv-error');
    const id = this.id;
    try {
      await busy(form, () => this.api.command(`/v1/contacts/${encodeURIComponent(id)}/${action}`, body, formKey(form)));
      formDone(form);
      announce(done);
      await this.refresh();
      this.hooks.changed();
      return true;
    } catch (e) {
      showError('conv-error', e);
      $('conv-error').scrollIntoView?.({ block: 'nearest' });
      return false;
    }
  }

  async reply(form) {
    const body = $('reply-body').value;
    if (!body.trim()) { showError('conv-error', { detail: 'Write a reply first.' }); $('reply-body').focus(); return; }
    const ok = await this.command(form, 'reply',
      { body, clinically_necessary: $('reply-necessary').checked }, 'Reply sent.');
    if (ok) {
      form.reset();
      $('reply-count').textContent = '0 characters';
      $('reply-body').focus();
    }
  }

  async note(form) {
    const text = $('note-text').value;
    if (!text.trim()) { showError('conv-error', { detail: 'Write the note first.' }); return; }
    if (await this.command(form, 'notes', { text }, 'Note added.')) form.reset();
  }

  async triage(form) {
    const category = $('triage-category').value;
    const reason = $('triage-reason').value;
    if (!category || !reason.trim()) { showError('conv-error', { detail: 'Choose a category and give a reason.' }); return; }
    if (await this.command(form, 'triage', { category, reason }, `Triage set to band ${category}.`)) form.reset();
  }

  async transfer(form) {
    const f = new FormData(form);
    const target = String(f.get('target') || '').trim();
    const warm = $('transfer-warm').checked;
    const note = String(f.get('note') || '');
    if (!target) { showError('conv-error', { detail: 'Say which nurse or area to transfer to.' }); return; }
    if (warm && !note.trim()) { showError('conv-error', { detail: 'A warm transfer needs a note for the receiving nurse.' }); return; }
    const body = { warm, note };
    if (f.get('kind') === 'area') body.to_area = target; else body.to_nurse = target;
    if (await this.command(form, 'transfer', body, `Contact transferred to ${target}.`)) {
      form.reset();
      this.hooks.changed();
    }
  }

  async callback(form) {
    const local = $('callback-due').value;
    const body = {};
    if (local) body.due = new Date(local).toISOString();
    if (await this.command(form, 'callback', body, 'Callback booked.')) form.reset();
  }

  async close(form) {
    const outcome = $('close-outcome').value;
    if (!outcome) { showError('conv-error', { detail: 'Choose an outcome code.' }); $('close-outcome').focus(); return; }
    if (await this.command(form, 'close', { outcome_code: outcome }, `Contact ${this.id} closed with outcome ${outcome}.`)) {
      form.reset();
      this.leave();
    }
  }
}

// `d` is the contact's incidents (GET /v1/contacts/{id} and the feed's
// contact entries): [{incident_id, state, units: [{call_sign, stage, eta_seconds}]}].
function describeDispatch(d) {
  const incidents = Array.isArray(d) ? d : [d];
  if (!incidents.length) return 'None';
  return incidents.map((inc) => {
    const units = (inc.units || []).map((u) => `${u.call_sign || u.unit_id} ${String(u.stage || '').replaceAll('_', ' ')}` +
      (u.eta_seconds !== undefined && u.eta_seconds !== null ? ` (arriving in about ${duration(u.eta_seconds)})` : ''));
    return `Incident ${inc.incident_id} (${inc.state})${units.length ? `: ${units.join('; ')}` : ': no unit assigned yet'}`;
  }).join('. ');
}
