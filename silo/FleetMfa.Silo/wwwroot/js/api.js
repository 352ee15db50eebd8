// The admin API as the page uses it. The key lives in sessionStorage only (this tab, gone when it
// closes) and travels in the Authorization header only — never in a URL, never in localStorage.

const KEY_ITEM = 'fleetmfa.key';
const ORG_ITEM = 'fleetmfa.org';

export const session = {
  get key() { return sessionStorage.getItem(KEY_ITEM); },
  get orgId() { return sessionStorage.getItem(ORG_ITEM); },
  save(key, orgId) {
    sessionStorage.setItem(KEY_ITEM, key);
    sessionStorage.setItem(ORG_ITEM, orgId);
  },
  clear() {
    sessionStorage.removeItem(KEY_ITEM);
    sessionStorage.removeItem(ORG_ITEM);
  },
  // The org an operator key belongs to: operator keys read fmk_{keyId}_{secret}_{orgId}.
  orgOfKey(key) {
    const m = /^fmk_[0-9a-f]{16}_[0-9a-f]{64}_([a-z0-9][a-z0-9._-]{0,62})$/.exec(key);
    return m ? m[1] : null;
  },
  isAdminKey(key) { return key.startsWith('fma_'); },
};

export class ApiError extends Error {
  constructor(status, code, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
  }
}

const listeners = new Set();
// Called with the ApiError whenever the key is refused (401), so the page can sign out.
export function onUnauthorized(fn) { listeners.add(fn); }

export function orgPath(suffix = '', orgId = session.orgId) {
  return `/api/orgs/${encodeURIComponent(orgId)}${suffix}`;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function api(method, path, body, { key = session.key, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const init = { method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer', signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const error = new ApiError(response.status, json?.code ?? null, json?.title ?? null, json?.detail ?? null);
    // Only the session's own key being refused signs the tab out (not a key being tried at sign-in).
    if (response.status === 401 && session.key && key === session.key) listeners.forEach(fn => fn(error));
    throw error;
  }
  return json;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);
