// Response cars from the open contact (README "Response-car dispatch"): raise
// an incident, ask for a recommendation, assign a unit, and follow each
// assigned unit's steps as the crew reports them.
//
// The live part: the feed's update for a contact carries its incidents with
// each live unit's current stage. That stage is shown at once; the step times
// come from GET /v1/incidents/{id}, read again whenever the feed says an
// incident's units or state changed.
import { $, h, announce, showError, busy, replaceChildrenKeepingFocus } from './dom.js';
import { BANDS, bandBadge, fillSelect } from './labels.js';
import { formKey, formDone } from './api.js';

// A unit's steps on a job, in order (the board's unit states without
// available and unavailable).
export const STEPS = ['assigned', 'alerted', 'acknowledged', 'en_route', 'on_scene', 'transporting', 'at_destination', 'clear'];
export const STEP_NAMES = {
  assigned: 'Assigned',
  alerted: 'Alerted',
  acknowledged: 'Acknowledged',
  en_route: 'En route',
  on_scene: 'On scene',
  transporting: 'Transporting',
  at_destination: 'At destination',
  clear: 'Clear',
  available: 'Available',
  unavailable: 'Unavailable',
};
const INCIDENT_STATES = {
  new: 'new, no unit assigned yet',
  queued: 'queued: waiting for a suitable unit',
  active: 'active',
  monitored: 'monitored, no unit',
  ended: 'ended',
};
// dispatch.known_skills by default; skills of the configured units are added.
const SKILLS = {
  mh_paramedic: 'Mental-health paramedic',
  mh_nurse: 'Mental-health nurse',
  camhs: 'CAMHS (children and young people)',
};
// Asked for through "Police requested", which needs a reason.
const POLICE_SKILL = 'police';

const skillName = (s) => SKILLS[s] || String(s).replaceAll('_', ' ');
const stepName = (s) => STEP_NAMES[s] || String(s || '').replaceAll('_', ' ');
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString('en-GB') : '');
const sameIds = (a, b) => String(a) === String(b);
// A straight-line estimate: whole minutes, rounded up, as the server words it.
const minutes = (seconds) => `${Math.max(1, Math.ceil(Number(seconds) / 60))} min`;

export class DispatchPanel {
  constructor(api) {
    this.api = api;
    this.contactId = null;
    // incident id -> { summary, detail, rec, signature }
    this.incidents = new Map();
    // "incident/unit" -> stage last shown, to announce what changed.
    this.stages = new Map();
    this.timers = new Map();
    this.unitsLoaded = false;
    fillSelect($('incident-category'), BANDS, 'Choose a category');
    this.renderSkills(Object.keys(SKILLS));
    this.wire();
  }

  wire() {
    $('incident-form').addEventListener('submit', (e) => { e.preventDefault(); this.raise(e.target); });
    $('incident-category').addEventListener('change', () => { $('incident-category').dataset.touched = '1'; });
    $('incident-police').addEventListener('change', () => {
      $('incident-police-details').hidden = !$('incident-police').checked;
    });
    $('incident-raise').addEventListener('toggle', () => {
      if ($('incident-raise').open) this.loadSkills();
    });
  }

  // A new conversation: nothing of the last contact's incidents stays.
  open(contactId) {
    this.reset();
    this.contactId = String(contactId);
  }

  close() {
    this.reset();
    this.contactId = null;
  }

  reset() {
    this.incidents.clear();
    this.stages.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    showError('dispatch-error');
    this.resetForm();
    $('incident-raise').open = false;
    this.render();
  }

  resetForm() {
    $('incident-form').reset();
    delete $('incident-category').dataset.touched;
    $('incident-police-details').hidden = true;
  }

  // GET /v1/contacts/{id}: its band (the default category) and its incidents.
  fromContact(c) {
    if (!this.contactId || !sameIds(c.contact_id ?? this.contactId, this.contactId)) return;
    if (!$('incident-category').dataset.touched && BANDS[c.band]) $('incident-category').value = c.band;
    this.merge(c.dispatch || []);
  }

  // A feed update for this contact: [{incident_id, state, units: [{unit_id, call_sign, stage, eta_seconds}]}].
  fromFeed(incidents) {
    this.merge(incidents || []);
  }

  merge(list) {
    for (const inc of list) {
      const id = String(inc.incident_id);
      const entry = this.entry(id);
      entry.summary = inc;
      const signature = JSON.stringify([inc.state, (inc.units || []).map((u) => [u.unit_id, u.stage])]);
      if (signature !== entry.signature || !entry.detail) {
        entry.signature = signature;
        this.readSoon(id);
      }
    }
    this.render();
  }

  entry(id) {
    let e = this.incidents.get(id);
    if (!e) {
      e = { summary: null, detail: null, rec: null, signature: '' };
      this.incidents.set(id, e);
    }
    return e;
  }

  readSoon(id) {
    if (this.timers.has(id)) return;
    this.timers.set(id, setTimeout(() => { this.timers.delete(id); this.read(id); }, 100));
  }

  async read(id) {
    const contact = this.contactId;
    try {
      const detail = await this.api.get(`/v1/incidents/${encodeURIComponent(id)}`);
      if (contact !== this.contactId) return;
      this.entry(id).detail = detail;
      this.render();
    } catch (e) { showError('dispatch-error', e); }
  }

  // Skills of the configured units, so the form offers what can be sent.
  async loadSkills() {
    if (this.unitsLoaded) return;
    try {
      const units = (await this.api.get('/v1/units'))?.units || [];
      this.unitsLoaded = true;
      const all = new Set(Object.keys(SKILLS));
      for (const u of units) for (const s of u.skills || []) all.add(s);
      this.renderSkills([...all]);
    } catch (e) {
      showError('dispatch-error', { detail: `The units' skills could not be read (${e.detail}); the usual skills are listed.` });
    }
  }

  renderSkills(skills) {
    const checked = new Set([...document.querySelectorAll('#incident-skills input:checked')].map((i) => i.value));
    const boxes = skills.filter((s) => s !== POLICE_SKILL).map((s) => {
      const id = `incident-skill-${s}`;
      return h('div', { class: 'check' },
        h('input', { type: 'checkbox', id, name: 'skills', value: s, checked: checked.has(s) }),
        h('label', { for: id }, skillName(s)));
    });
    $('incident-skills').replaceChildren(h('legend', {}, 'Required skills'), ...boxes);
  }

  async raise(form) {
    showError('dispatch-error');
    const fail = (detail, field) => {
      showError('dispatch-error', { detail });
      if (field) $(field).focus();
    };
    const address = $('incident-address').value.trim();
    const latText = $('incident-lat').value.trim();
    const lonText = $('incident-lon').value.trim();
    const body = {};
    if (latText || lonText) {
      const latitude = Number(latText);
      const longitude = Number(lonText);
      if (!latText || !lonText || !Number.isFinite(latitude) || !Number.isFinite(longitude)) {
        return fail('Coordinates need both a latitude and a longitude, in decimal degrees (for example 50.92 and -1.39).',
          latText ? 'incident-lon' : 'incident-lat');
      }
      body.coordinates = { latitude, longitude };
    }
    if (!address && !body.coordinates) return fail('Give the address, the coordinates, or both.', 'incident-address');
    if (address) body.address = address;
    const category = $('incident-category').value;
    if (!category) return fail('Choose a triage category.', 'incident-category');
    body.category = `TRIAGE_${category}`;
    body.requiredSkills = [...document.querySelectorAll('#incident-skills input:checked')].map((i) => i.value);
    if ($('incident-police').checked) {
      const reason = document.querySelector('input[name="police_reason"]:checked')?.value;
      if (!reason) {
        return fail('Say why the police are needed: a crime, or a real and immediate risk to life or of serious harm.',
          'police-crime');
      }
      body.police = { reason, detail: $('police-detail').value.trim() };
    }
    const note = $('incident-note').value.trim();
    if (note) body.note = note;
    const contact = this.contactId;
    try {
      const r = await busy(form, () =>
        this.api.command(`/v1/contacts/${encodeURIComponent(contact)}/incident`, body, formKey(form)));
      formDone(form);
      if (contact !== this.contactId) return;
      const inc = r?.incident;
      this.resetForm();
      $('incident-raise').open = false;
      if (inc) {
        const e = this.entry(String(inc.incident_id));
        e.detail = inc;
        e.summary ??= inc;
        this.render();
        announce(`Incident ${inc.incident_id} raised. Ask for a recommendation to send a unit.`);
        $(`incident-${inc.incident_id}-h`)?.focus();
      }
    } catch (e) {
      showError('dispatch-error', e);
    }
  }

  async recommend(id, button) {
    showError('dispatch-error');
    button.disabled = true;
    try {
      const rec = await this.api.get(`/v1/incidents/${encodeURIComponent(id)}/recommendation`);
      this.entry(id).rec = rec;
      this.render();
      const n = rec.eligible?.length || 0;
      announce(n ? `${n} unit${n > 1 ? 's' : ''} recommended for incident ${id}, nearest first.`
        : `No unit can be recommended for incident ${id}.`);
    } catch (e) {
      showError('dispatch-error', e);
    } finally {
      button.disabled = false;
    }
  }

  async assign(id, unit, button) {
    showError('dispatch-error');
    button.disabled = true;
    try {
      const r = await this.api.command(`/v1/incidents/${encodeURIComponent(id)}/assign`, { unitId: unit.unit_id });
      const e = this.entry(id);
      if (r?.incident) e.detail = r.incident;
      e.rec = null;
      this.render();
      announce(`${unit.call_sign || unit.unit_id} assigned to incident ${id}.`);
      $(`incident-${id}-h`)?.focus();
    } catch (err) {
      // A refusal (409) says why, e.g. the unit is not signed on or already busy.
      showError('dispatch-error', err);
      button.disabled = false;
    }
  }

  // ---- rendering ----

  render() {
    const ids = [...this.incidents.keys()].sort((a, b) => Number(b) - Number(a));
    replaceChildrenKeepingFocus($('dispatch-incidents'), ids.map((id) => this.renderIncident(id)));
    $('dispatch-none').hidden = ids.length > 0;
    this.announceSteps();
  }

  renderIncident(id) {
    const e = this.incidents.get(id);
    const inc = e.detail || e.summary;
    const state = this.liveState(e);
    const facts = [
      ['Category', inc.category && BANDS[inc.category] ? bandBadge(inc.category) : String(inc.category || '')],
      ['Location', [inc.address, inc.coordinates ? `${inc.coordinates.latitude}, ${inc.coordinates.longitude}` : '']
        .filter(Boolean).join(' · ') || 'not given'],
    ];
    if (inc.required_skills?.length) facts.push(['Skills', inc.required_skills.map(skillName).join(', ')]);
    if (inc.police) {
      const why = inc.police.reason === 'crime' ? 'a crime' : inc.police.reason;
      facts.push(['Police', `requested for ${why}${inc.police.detail ? `: ${inc.police.detail}` : ''}`]);
    }
    if (inc.raised_at) facts.push(['Raised', `${time(inc.raised_at)}${inc.raised_by ? ` by ${inc.raised_by}` : ''}`]);
    const recommend = h('button', { type: 'button', 'data-focus-key': `recommend-${id}` }, `Recommend units for incident ${id}`);
    recommend.addEventListener('click', () => this.recommend(id, recommend));
    return h('article', { class: 'incident', dataset: { incident: id }, 'aria-labelledby': `incident-${id}-h` },
      h('h4', { id: `incident-${id}-h`, tabindex: '-1', 'data-focus-key': `incident-${id}-h` },
        `Incident ${id}: ${INCIDENT_STATES[state] || state}`),
      h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      state === 'ended' ? null : h('div', { class: 'row' }, recommend),
      e.rec ? this.renderRecommendation(id, e.rec) : null,
      this.renderUnits(id, e));
  }

  // The feed's state is newer than a detail read that has not come back yet.
  liveState(e) {
    return e.summary?.state || e.detail?.state || '';
  }

  renderRecommendation(id, rec) {
    const eligible = rec.eligible || [];
    const excluded = rec.excluded || [];
    const unitButton = (u, words, cls) => {
      const b = h('button', { type: 'button', class: cls, 'data-focus-key': `assign-${id}-${u.unit_id}` }, words);
      b.addEventListener('click', () => this.assign(id, u, b));
      return b;
    };
    const name = (u) => u.call_sign || u.unit_id;
    return h('div', { class: 'recommendation' },
      h('p', { class: 'status-line' }, eligible.length
        ? `Recommended units for incident ${id}, nearest first (as of ${time(rec.at)}):`
        : `No unit can be recommended for incident ${id} now.`),
      eligible.length ? h('ol', { class: 'cards' }, eligible.map((u) => h('li', {},
        h('p', {}, h('strong', {}, name(u)),
          u.eta_seconds !== null && u.eta_seconds !== undefined
            ? `: arrives in about ${u.eta || minutes(u.eta_seconds)}` : ': arrival time unknown (no coordinates)',
          u.distance_km !== null && u.distance_km !== undefined ? ` (${Number(u.distance_km).toFixed(1)} km)` : ''),
        (u.reasons || []).length ? h('p', { class: 'hint' }, `Why: ${u.reasons.join('; ')}.`) : null,
        unitButton(u, `Assign ${name(u)}`)))) : null,
      excluded.length ? h('p', {}, 'Not recommended:') : null,
      excluded.length ? h('ul', { class: 'plain' }, excluded.map((u) => h('li', {},
        h('p', {}, h('strong', {}, name(u)), `: ${(u.reasons || []).join('; ') || 'no reason given'}.`),
        unitButton(u, `Assign ${name(u)} anyway`, 'secondary')))) : null);
  }

  // One row per unit sent to the incident: its current step, then the time of
  // each step (or "skipped": a step the crew skipped has no time).
  renderUnits(id, e) {
    const rows = this.unitRows(e);
    if (!rows.length) return h('p', { class: 'empty' }, 'No unit assigned yet.');
    const shown = STEPS.filter((s) => !['transporting', 'at_destination'].includes(s) ||
      rows.some((r) => r.steps.has(s) || r.stage === s));
    return h('div', { class: 'table-scroll' }, h('table', { class: 'steps', id: `incident-${id}-units` },
      h('caption', {}, `Units on incident ${id}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Unit'), h('th', { scope: 'col' }, 'Now'),
        ...shown.map((s) => h('th', { scope: 'col' }, stepName(s))))),
      h('tbody', {}, rows.map((r) => h('tr', { dataset: { unit: r.unit_id } },
        h('th', { scope: 'row' }, r.call_sign),
        h('td', { class: 'stage' }, r.now),
        ...shown.map((s) => {
          const step = r.steps.get(s);
          if (!step) return h('td', { class: 'empty', dataset: { step: s } }, r.stage === s ? 'now' : '–');
          if (step.skipped) return h('td', { class: 'skipped', dataset: { step: s } }, 'skipped');
          return h('td', { dataset: { step: s } }, time(step.at));
        }))))));
  }

  unitRows(e) {
    const live = new Map((e.summary?.units || []).map((u) => [u.unit_id, u]));
    const assignments = e.detail?.assignments || [];
    const rows = assignments.map((a) => {
      const feed = a.live ? live.get(a.unit_id) : undefined;
      live.delete(a.unit_id);
      const stage = feed?.stage || a.stage;
      const eta = feed ? feed.eta_seconds : a.eta_seconds;
      let now = stepName(stage);
      if (!a.live && a.stood_down) now = `Stood down (${String(a.stood_down).replaceAll('_', ' ')})`;
      else if (a.live && eta !== null && eta !== undefined) now += `, arriving in about ${minutes(eta)}`;
      return { unit_id: a.unit_id, call_sign: a.call_sign || a.unit_id, stage, now, live: a.live,
        steps: new Map((a.steps || []).map((s) => [s.state, s])) };
    });
    // A unit the feed reports before the detail read has come back.
    for (const u of live.values()) {
      rows.push({ unit_id: u.unit_id, call_sign: u.call_sign || u.unit_id, stage: u.stage, now: stepName(u.stage),
        live: true, steps: new Map() });
    }
    return rows;
  }

  announceSteps() {
    for (const [id, e] of this.incidents) {
      this.unitRows(e).forEach((r, i) => {
        const key = `${id}/${i}/${r.unit_id}`;
        const before = this.stages.get(key);
        this.stages.set(key, r.stage);
        if (before && before !== r.stage) announce(`Incident ${id}: ${r.call_sign} ${stepName(r.stage).toLowerCase()}.`);
      });
    }
  }
}
