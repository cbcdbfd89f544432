// Small DOM helpers. Text always goes in through textContent, never innerHTML:
// message bodies and notes come from members of the public.

export const $ = (id) => document.getElementById(id);

// h('li', {class: 'x', dataset: {key: '1'}, onclick: fn}, 'text', child, ...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Replaces a container's children without losing keyboard focus: the element
// that had focus is found again by its data-focus-key in the new content.
export function replaceChildrenKeepingFocus(container, children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.focusKey : undefined;
  container.replaceChildren(...children);
  if (key) {
    const again = container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
    else container.closest('section')?.querySelector('h2, h3')?.focus?.();
  }
}

let politeTimer;
let urgentTimer;
// Live-region announcements. The region is emptied first so that the same
// words twice are announced twice.
export function announce(text, { urgent = false } = {}) {
  const region = $(urgent ? 'announce-urgent' : 'announce-polite');
  region.textContent = '';
  const set = () => { region.textContent = text; };
  if (urgent) { clearTimeout(urgentTimer); urgentTimer = setTimeout(set, 50); }
  else { clearTimeout(politeTimer); politeTimer = setTimeout(set, 50); }
}

export function showError(id, err) {
  $(id).textContent = err ? (err.detail || err.message || String(err)) : '';
}

// Disables a form's controls while `work` runs, so a double press cannot send twice.
export async function busy(form, work) {
  const controls = [...form.querySelectorAll('button, input, select, textarea')];
  const was = controls.map((c) => c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  try {
    return await work();
  } finally {
    controls.forEach((c, i) => { c.disabled = was[i]; });
  }
}
