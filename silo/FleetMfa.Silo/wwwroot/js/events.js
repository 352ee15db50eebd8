// Live updates: GET /api/orgs/{org}/events as server-sent events. EventSource cannot send an
// Authorization header, so the stream is read with fetch and parsed here; the key never goes
// into the URL. One stream per tab: `watch()` replaces it when the view changes.
import { session, orgPath, query } from './api.js';

const handlers = new Map();
let current = null;
let watching = {};
let retryMs = 1000;
let reopenTimer = null;
let stateListener = () => {};

export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type).add(fn);
  return () => handlers.get(type).delete(fn);
}

export function onState(fn) { stateListener = fn; }

// What to follow besides the org: { devices: {os, mfa, online, cursor, limit} | null, device, rollout }.
export function watch(next) {
  const merged = { ...watching, ...next };
  if (JSON.stringify(merged) === JSON.stringify(watching) && current) return;
  watching = merged;
  clearTimeout(reopenTimer);
  // Nothing more from the old view: its stream stops now, the new one opens after a short pause.
  if (current) current.abort();
  current = null;
  // Coalesce bursts of view changes (typing in a filter) into one reconnect.
  reopenTimer = setTimeout(open, 50);
}

export function stop() {
  clearTimeout(reopenTimer);
  watching = {};
  if (current) current.abort();
  current = null;
  stateListener('off');
}

function open() {
  if (current) current.abort();
  current = null;
  if (!session.key) return;
  const controller = new AbortController();
  current = controller;
  const params = { device: watching.device, rollout: watching.rollout };
  if (watching.devices) Object.assign(params, watching.devices);
  run(controller, orgPath('/events') + query(params)).catch(() => {});
}

async function run(controller, url) {
  stateListener('connecting');
  try {
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${session.key}`, Accept: 'text/event-stream' },
      cache: 'no-store', credentials: 'omit', signal: controller.signal,
    });
    if (!response.ok || !response.body) {
      stateListener(response.status === 401 ? 'refused' : 'error');
      if (response.status === 401 || response.status === 403) return;
      throw new Error(`HTTP ${response.status}`);
    }
    stateListener('live');
    retryMs = 1000;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        if (current !== controller) return;
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
    throw new Error('stream ended');
  } catch (e) {
    if (controller.signal.aborted || current !== controller) return;
    stateListener('error');
    setTimeout(() => { if (current === controller) open(); }, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  }
}

function dispatch(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return;
  let payload;
  try { payload = JSON.parse(data.join('\n')); } catch { return; }
  for (const fn of handlers.get(type) ?? []) fn(payload);
}
