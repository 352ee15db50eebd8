// Page-wide feedback: the toast line and readable API errors.
import { ApiError } from './api.js';

export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.className = `toast toast-${kind}`;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 8000 : 4000);
}

export function describeError(e) {
  if (e instanceof ApiError) {
    const code = e.code ? ` (${e.code})` : '';
    return `${e.detail || e.title || `HTTP ${e.status}`}${code}`;
  }
  return e?.message ?? String(e);
}
