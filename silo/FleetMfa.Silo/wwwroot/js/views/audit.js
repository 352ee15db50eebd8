// Audit: operator actions and device events (logins accepted/denied, lockouts), newest first,
// from GET /api/orgs/{org}/audit with cursor paging.
import { h, clear, time } from '../dom.js';
import { get, orgPath, query } from '../api.js';
import { describeError } from '../ui.js';

export function auditView() {
  const tbody = h('tbody', { id: 'audit-rows' });
  const more = h('button', { class: 'secondary', id: 'audit-more', hidden: true }, 'Older entries');
  const status = h('p', { class: 'muted', id: 'audit-status' }, 'Loading…');
  let cursor = null;

  async function load() {
    try {
      const page = await get(orgPath('/audit') + query({ cursor, limit: 100 }));
      status.textContent = page.items.length || cursor ? '' : 'Nothing recorded yet.';
      for (const e of page.items) {
        tbody.append(h('tr', { dataset: { kind: e.kind } },
          h('td', { title: e.time }, time(e.time)),
          h('td', {}, h('span', { class: `pill pill-${e.kind}` }, e.kind)),
          h('td', {}, e.actor ?? ''),
          h('td', {}, e.action ?? ''),
          h('td', {}, e.deviceId ? h('a', { href: `#device/${encodeURIComponent(e.deviceId)}` }, e.target ?? e.deviceId) : (e.target ?? '')),
          h('td', {}, e.localUsername ?? ''),
          h('td', {}, e.outcome ? h('span', { class: `pill pill-${e.outcome}` }, e.outcome) : '', e.late ? h('span', { class: 'muted small', title: 'Recorded on the device while offline and uploaded later' }, ' (late)') : null)));
      }
      cursor = page.nextCursor ?? null;
      more.hidden = !cursor;
    } catch (e) {
      more.hidden = true;
      status.textContent = e.status === 404
        ? 'The audit log is not available on this silo yet.'
        : describeError(e);
    }
  }

  more.addEventListener('click', load);
  load();
  return {
    node: h('section', { id: 'audit-view' },
      h('h1', {}, 'Audit'),
      status,
      h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Kind'), h('th', {}, 'Actor'), h('th', {}, 'Action'), h('th', {}, 'Target'), h('th', {}, 'Local user'), h('th', {}, 'Outcome'))),
        tbody),
      more),
    dispose() { clear(tbody); },
  };
}
