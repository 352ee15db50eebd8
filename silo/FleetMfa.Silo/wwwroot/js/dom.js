// Builds DOM nodes. Text always goes in as text nodes (never innerHTML), so a hostname like
// `<img src=x onerror=alert(1)>` is shown as those characters and never becomes markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name in el && typeof value !== 'string') {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// Replaces the children of `el` (arrays flattened, null/false skipped, strings as text).
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export function time(value) {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString();
}

export function ago(value) {
  if (!value) return 'never';
  const seconds = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 90) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

const LOCK_PATHS = {
  closed: 'M6 10V7a6 6 0 0 1 12 0v3',
  open: 'M6 10V7a6 6 0 0 1 11.6-2.1',
};

// The lock icon of an MFA status: closed for enabled, open for disabled, closed and amber for
// pending, closed and red for failed. Built as SVG nodes (no markup strings).
export function lockIcon(status) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `lock lock-${status}`);
  svg.setAttribute('aria-hidden', 'true');
  const shackle = document.createElementNS(ns, 'path');
  shackle.setAttribute('d', status === 'disabled' ? LOCK_PATHS.open : LOCK_PATHS.closed);
  shackle.setAttribute('fill', 'none');
  shackle.setAttribute('stroke', 'currentColor');
  shackle.setAttribute('stroke-width', '2.2');
  const body = document.createElementNS(ns, 'rect');
  for (const [k, v] of Object.entries({ x: 4, y: 10, width: 16, height: 12, rx: 2, fill: 'currentColor' })) body.setAttribute(k, v);
  svg.append(shackle, body);
  return svg;
}

export function mfaBadge(status, reason) {
  const labels = { enabled: 'Enabled', pending: 'Pending', failed: 'Failed', disabled: 'Disabled' };
  return h('span', { class: `mfa mfa-${status}`, title: reason ?? '', dataset: { status } },
    lockIcon(status), h('span', { class: 'mfa-label' }, labels[status] ?? status),
    status === 'failed' && reason ? h('span', { class: 'mfa-reason' }, reason) : null);
}
