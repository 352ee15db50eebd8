// Devices: counts, filters, cursor paging, multi-select and bulk Enable/Disable MFA as a rollout
// whose progress follows the event stream to the end.
import { h, clear, fill, ago, mfaBadge } from '../dom.js';
import { get, orgPath, query } from '../api.js';
import * as live from '../events.js';
import { describeError } from '../ui.js';
import { rolloutPanel } from './rollout.js';

export const PAGE_SIZE = 50;

// For the load benchmark: when the last pages of rows were on screen, and which. A few, not a list that grows for as
// long as the tab is open (a live fleet re-renders the page every few seconds).
const RENDERS_KEPT = 20;
const renders = (globalThis.fleetmfaRowsRendered = []);

// Kept across visits to the tab (device detail and back), for this tab only.
const state = {
  filters: { os: '', mfa: '', online: '', decommissioned: '' },
  cursors: [null],
  selected: new Set(),
  rolloutId: null,
};

export function devicesView() {
  const unsubscribe = [];
  const counts = h('div', { id: 'counts', class: 'counts' });
  const tbody = h('tbody', { id: 'device-rows' });
  const pageInfo = h('span', { id: 'page-info', class: 'muted' });
  const prev = h('button', { id: 'prev-page', class: 'secondary', disabled: true }, '← Previous');
  const next = h('button', { id: 'next-page', class: 'secondary', disabled: true }, 'Next →');
  const selectionInfo = h('span', { id: 'selection-info' });
  const enable = h('button', { id: 'bulk-enable', class: 'primary', disabled: true }, 'Enable MFA');
  const disable = h('button', { id: 'bulk-disable', class: 'secondary', disabled: true }, 'Disable MFA');
  const clearSel = h('button', { id: 'clear-selection', class: 'link', hidden: true }, 'clear');
  const selectAll = h('input', { type: 'checkbox', id: 'select-page', title: 'Select this page' });
  const error = h('p', { class: 'error', role: 'alert' });
  const rollout = rolloutPanel({ onFinished: () => refresh() });
  let page = { items: [], nextCursor: null };
  let loadedOnce = false;

  const select = (name, label, options) => {
    const el = h('select', { id: `filter-${name}`, 'aria-label': label },
      options.map(([value, text]) => h('option', { value, selected: state.filters[name] === value }, text)));
    el.addEventListener('change', () => {
      state.filters[name] = el.value;
      state.cursors = [null];
      refresh();
    });
    return h('label', { class: 'filter' }, label, ' ', el);
  };

  const currentQuery = () => ({
    os: state.filters.os || null,
    mfa: state.filters.mfa || null,
    online: state.filters.online || null,
    decommissioned: state.filters.decommissioned || null,
    cursor: state.cursors[state.cursors.length - 1],
    limit: PAGE_SIZE,
  });

  function renderCounts(org) {
    const d = org.devices ?? { total: 0, enabled: 0, pending: 0, failed: 0, disabled: 0 };
    const chip = (status, n, label) => h('button', {
      class: `count count-${status}${state.filters.mfa === status ? ' active' : ''}`, dataset: { status },
      onclick: () => { state.filters.mfa = state.filters.mfa === status ? '' : status; state.cursors = [null]; rerenderFilters(); refresh(); },
    }, h('span', { class: 'count-n', dataset: { count: status } }, n.toLocaleString()), ' ', label);
    fill(counts,
      h('span', { class: 'count count-total' }, h('span', { class: 'count-n', dataset: { count: 'total' } }, d.total.toLocaleString()), ' devices'),
      chip('enabled', d.enabled, 'enabled'), chip('pending', d.pending, 'pending'),
      chip('failed', d.failed, 'failed'), chip('disabled', d.disabled, 'disabled'),
      org.totp?.enabled ? null : h('span', { class: 'warning', id: 'totp-off-warning' }, 'TOTP is off for this org: devices with MFA on do not prompt until it is switched on in Org settings.'));
  }

  function row(d) {
    // A decommissioned device takes no rollout: it cannot be selected.
    const box = h('input', { type: 'checkbox', class: 'row-select', checked: state.selected.has(d.deviceId), disabled: d.decommissioned, 'aria-label': `Select ${d.hostname}` });
    box.addEventListener('change', () => {
      if (box.checked) state.selected.add(d.deviceId); else state.selected.delete(d.deviceId);
      updateSelection();
    });
    return h('tr', { dataset: { deviceId: d.deviceId, status: d.mfaStatus } },
      h('td', {}, box),
      h('td', { class: 'hostname' }, h('a', { href: `#device/${encodeURIComponent(d.deviceId)}` }, d.hostname),
        d.hostname !== d.deviceId ? h('div', { class: 'muted small' }, d.deviceId) : null),
      h('td', {}, osLabel(d.os)),
      h('td', { class: 'status-cell' }, d.decommissioned ? h('span', { class: 'pill pill-decommissioned' }, 'decommissioned') : mfaBadge(d.mfaStatus, d.mfaReason)),
      h('td', {}, h('span', { class: d.online ? 'dot online' : 'dot offline' }), d.online ? 'online' : 'offline'),
      h('td', { title: d.lastSeen ?? '' }, ago(d.lastSeen)));
  }

  function renderRows(result) {
    page = result;
    if (!result.items.length) {
      fill(tbody, h('tr', { class: 'empty' }, h('td', { colspan: 6 }, 'No devices match.')));
    } else {
      fill(tbody, result.items.map(row));
    }
    const n = state.cursors.length;
    const from = (n - 1) * PAGE_SIZE + (result.items.length ? 1 : 0);
    pageInfo.textContent = `${from.toLocaleString()}–${((n - 1) * PAGE_SIZE + result.items.length).toLocaleString()}`;
    prev.disabled = n <= 1;
    next.disabled = !result.nextCursor;
    updateSelection();
    renders.push({ at: performance.now(), first: result.items[0]?.deviceId ?? null, mfa: state.filters.mfa });
    if (renders.length > RENDERS_KEPT) renders.shift();
    if (!loadedOnce) {
      loadedOnce = true;
      performance.mark('fleetmfa-devices-rendered');
      document.body.dataset.devicesLoaded = 'true';
    }
  }

  function updateSelection() {
    const n = state.selected.size;
    selectionInfo.textContent = n ? `${n.toLocaleString()} selected` : 'Select devices to enable or disable MFA in bulk.';
    enable.disabled = disable.disabled = n === 0 || rollout.running;
    clearSel.hidden = n === 0;
    const ids = page.items.map(d => d.deviceId);
    selectAll.checked = ids.length > 0 && ids.every(id => state.selected.has(id));
    selectAll.indeterminate = !selectAll.checked && ids.some(id => state.selected.has(id));
  }

  async function refresh() {
    const q = currentQuery();
    live.watch({ devices: q });
    try {
      error.textContent = '';
      const [result, org] = await Promise.all([get(orgPath('/devices') + query(q)), get(orgPath())]);
      renderRows(result);
      renderCounts(org);
    } catch (e) {
      error.textContent = describeError(e);
    }
  }

  selectAll.addEventListener('change', () => {
    for (const d of page.items) {
      if (selectAll.checked) state.selected.add(d.deviceId); else state.selected.delete(d.deviceId);
    }
    for (const box of tbody.querySelectorAll('.row-select')) box.checked = selectAll.checked;
    updateSelection();
  });
  clearSel.addEventListener('click', () => {
    state.selected.clear();
    for (const box of tbody.querySelectorAll('.row-select')) box.checked = false;
    updateSelection();
  });
  prev.addEventListener('click', () => { if (state.cursors.length > 1) { state.cursors.pop(); refresh(); } });
  next.addEventListener('click', () => { if (page.nextCursor) { state.cursors.push(page.nextCursor); refresh(); } });

  const bulk = action => async () => {
    const ids = [...state.selected];
    const verb = action === 'enable-mfa' ? 'Enable' : 'Disable';
    if (!confirm(`${verb} MFA on ${ids.length} device${ids.length === 1 ? '' : 's'}?`)) return;
    const started = await rollout.start(action, ids);
    if (started) {
      state.rolloutId = started.rolloutId;
      state.selected.clear();
      for (const box of tbody.querySelectorAll('.row-select')) box.checked = false;
    }
    updateSelection();
  };
  enable.addEventListener('click', bulk('enable-mfa'));
  disable.addEventListener('click', bulk('disable-mfa'));
  rollout.onChange = updateSelection;

  const filterBar = h('div', { class: 'filters' });
  function rerenderFilters() {
    fill(filterBar,
      select('os', 'OS', [['', 'any'], ['linux', 'Linux'], ['macos', 'macOS'], ['windows', 'Windows']]),
      select('mfa', 'MFA', [['', 'any'], ['enabled', 'enabled'], ['pending', 'pending'], ['failed', 'failed'], ['disabled', 'disabled']]),
      select('online', 'Online', [['', 'any'], ['true', 'online'], ['false', 'offline']]),
      select('decommissioned', 'Show', [['', 'in service'], ['true', 'decommissioned']]));
  }
  rerenderFilters();

  unsubscribe.push(live.on('org', renderCounts));
  unsubscribe.push(live.on('devices', result => {
    // The stream follows the page we asked for; an event for an older view is ignored by the watch swap.
    renderRows(result);
  }));
  if (state.rolloutId) rollout.follow(state.rolloutId);
  refresh();

  const node = h('section', { id: 'devices-view' },
    counts,
    filterBar,
    h('div', { class: 'bulkbar' }, selectionInfo, ' ', clearSel, h('span', { class: 'spacer' }), enable, disable),
    rollout.node,
    error,
    h('table', { class: 'grid', id: 'devices-table' },
      h('thead', {}, h('tr', {},
        h('th', {}, selectAll), h('th', {}, 'Hostname'), h('th', {}, 'OS'), h('th', {}, 'MFA'), h('th', {}, 'Online'), h('th', {}, 'Last seen'))),
      tbody),
    h('div', { class: 'pager' }, prev, pageInfo, next));

  return {
    node,
    dispose() {
      unsubscribe.forEach(u => u());
      rollout.dispose();
      live.watch({ devices: null, rollout: null });
    },
  };
}

export function osLabel(os) {
  return { linux: 'Linux', macos: 'macOS', windows: 'Windows' }[os] ?? os;
}
