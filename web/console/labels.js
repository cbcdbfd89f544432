// Words for codes: bands are always shown with their meaning, never by colour alone.
import { h } from './dom.js';

export const BANDS = {
  A: 'Emergency: current danger',
  B: 'Very high risk',
  C: 'High risk or distress',
  D: 'Moderate risk',
  E: 'Low risk',
  F: 'Referral, no face-to-face',
  G: 'Advice or information',
};

// NHS Data Dictionary, mental health contact outcome.
export const OUTCOMES = {
  '01': 'Caller disconnected',
  '02': 'Advice on call only',
  '03': 'Signposted to non-NHS services',
  '04': 'Non-urgent referral to another NHS service',
  '05': 'Urgent referral for face-to-face assessment',
  '06': 'Emergency service(s) notified',
  '98': 'Other',
};

export function bandBadge(code) {
  const words = BANDS[code] || 'Unknown band';
  return h('span', { class: `band band-${code}` }, `Band ${code}: ${words}`);
}

export function duration(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(Number(seconds))) return 'unknown';
  let s = Math.max(0, Math.round(Number(seconds)));
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  if (hours) return `${hours} h ${minutes} min`;
  if (minutes) return `${minutes} min ${s} s`;
  return `${s} s`;
}

export function clock(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

export const CHANNELS = { text: 'Text', call: 'Call', callback: 'Callback' };
export const channelName = (c) => CHANNELS[c] || String(c || 'unknown');

export function fillSelect(select, entries, placeholder) {
  select.replaceChildren(
    h('option', { value: '' }, placeholder),
    ...Object.entries(entries).map(([code, words]) => h('option', { value: code }, `${code}: ${words}`)));
}
