// Org settings: the org-level TOTP switch, the TOTP parameters, the enrollment period, and keys
// (agent connect keys; operator keys with the admin key), each shown once.
import { h, clear, fill, time } from '../dom.js';
import { get, put, patch, post, orgPath, session } from '../api.js';
import * as live from '../events.js';
import { describeError, toast } from '../ui.js';

export function settingsView() {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const node = h('section', { id: 'settings-view' }, body);
  let org = null;

  function render() {
    const error = h('p', { class: 'error', role: 'alert', id: 'settings-view-error' });
    const act = fn => async () => { error.textContent = ''; try { await fn(); } catch (e) { error.textContent = describeError(e); } };

    const totp = h('input', { type: 'checkbox', id: 'totp-switch', class: 'switch', checked: org.totp.enabled });
    totp.addEventListener('change', act(async () => {
      const enabled = totp.checked;
      if (!confirm(enabled
        ? 'Switch TOTP on for the org? Every device with MFA on starts prompting enrolled users.'
        : 'Switch TOTP off for the org? No device prompts for a code until it is on again.')) { totp.checked = !enabled; return; }
      org = { ...org, ...(await put(orgPath('/mfa/totp'), { enabled })) };
      toast(`TOTP ${enabled ? 'on' : 'off'} for the org.`);
      render();
    }));

    const name = h('input', { id: 'org-name', value: org.name, autocomplete: 'off' });
    const period = h('input', { id: 'enrollment-period', type: 'number', min: 1, max: 2160, value: org.enrollmentPeriodHours });
    const save = h('button', { class: 'primary', id: 'org-save' }, 'Save');
    save.addEventListener('click', act(async () => {
      org = { ...org, ...(await patch(orgPath(), { name: name.value.trim(), enrollmentPeriodHours: Number(period.value) })) };
      toast('Org settings saved.');
      render();
    }));

    const keyOut = h('div', { id: 'new-key' });
    const showKey = (what, created) => fill(keyOut, h('div', { class: 'card shown-once' },
      h('p', { class: 'warning' }, `New ${what} “${created.name}” — shown once, copy it now:`),
      h('code', { class: 'uri', id: 'new-key-value' }, created.key),
      h('button', { class: 'link', onclick: () => clear(keyOut) }, 'hide')));
    const connect = h('button', { class: 'secondary', id: 'new-connect-key' }, 'New agent connect key');
    connect.addEventListener('click', act(async () => showKey('connect key', await post(orgPath('/connect-keys'), { name: 'dashboard' }))));
    const operator = session.isAdminKey(session.key)
      ? h('button', { class: 'secondary', id: 'new-operator-key' }, 'New operator key') : null;
    operator?.addEventListener('click', act(async () => {
      const keyName = prompt('A name for the operator key (who or what uses it):', 'helpdesk');
      if (keyName) showKey('operator key', await post(orgPath('/api-keys'), { name: keyName }));
    }));

    const t = org.totp;
    fill(body,
      h('h1', {}, org.name, ' ', h('span', { class: 'muted' }, `(${org.orgId})`)),
      h('div', { class: 'cards' },
        h('div', { class: 'card', id: 'totp-card' },
          h('h2', {}, 'TOTP for the org'),
          h('label', { class: 'inline', for: 'totp-switch' }, totp, ' ', h('strong', { id: 'totp-state' }, t.enabled ? 'On' : 'Off')),
          h('p', { class: 'muted small' }, 'A device requires a code only when TOTP is on here and MFA is on for the device; only users who completed setup are prompted.'),
          h('h3', {}, 'Parameters'),
          h('dl', { id: 'totp-params' },
            h('dt', {}, 'Digits'), h('dd', {}, t.digits),
            h('dt', {}, 'Period'), h('dd', {}, `${t.periodSeconds} s`),
            h('dt', {}, 'Algorithm'), h('dd', {}, t.algorithm),
            h('dt', {}, 'Clock drift allowed'), h('dd', {}, `±${t.driftSteps} step${t.driftSteps === 1 ? '' : 's'}`)),
          h('p', { class: 'muted small' }, 'These are what every authenticator app understands; the API does not change them.')),
        h('div', { class: 'card' },
          h('h2', {}, 'Org'),
          h('label', { for: 'org-name' }, 'Name'), name,
          h('label', { for: 'enrollment-period' }, 'Enrollment period (hours a started setup stays open)'), period,
          h('p', { class: 'muted small' }, `Created ${time(org.createdAt)}.`),
          h('div', { class: 'actions' }, save)),
        h('div', { class: 'card' },
          h('h2', {}, 'Keys'),
          h('p', { class: 'muted small' }, 'Agents enroll with a connect key: fleetmfa-agent enroll --server URL --connect-key KEY.'),
          h('div', { class: 'actions' }, connect, operator),
          keyOut)),
      error);
  }

  async function load() {
    try {
      org = await get(orgPath());
      render();
    } catch (e) {
      fill(body, h('p', { class: 'error' }, describeError(e)));
    }
  }

  const off = live.on('org', o => {
    if (!org || org.totp.enabled !== o.totp.enabled) {
      org = o;
      if (!node.contains(document.activeElement)) render();
    }
  });
  load();
  return { node, dispose() { off(); } };
}
