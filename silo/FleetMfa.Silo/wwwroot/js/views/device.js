// One device: what its agent reported, its settings (the Linux SSH conflict explained before the
// operator runs into it), the MFA switch, and the TOTP status of each bound user — all live.
import { h, clear, fill, time, ago, mfaBadge } from '../dom.js';
import { get, put, post, patch, del, orgPath } from '../api.js';
import * as live from '../events.js';
import { describeError, toast } from '../ui.js';
import { osLabel } from './devices.js';

const CONFLICT_TEXT = 'With both SSH password login and public-key authentication allowed, MFA cannot be enabled on ' +
  'this device (linux-ssh-conflict): a public key would let users in without the verification code. Turn one of them off first.';

export function deviceView(deviceId) {
  const path = orgPath(`/devices/${encodeURIComponent(deviceId)}`);
  const body = h('div', { class: 'device-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const node = h('section', { id: 'device-view', dataset: { deviceId } },
    h('a', { href: '#devices', class: 'back' }, '← Devices'), body);
  let detail = null;
  let users = [];
  let editing = false; // do not overwrite a settings form the operator is changing

  function render() {
    if (!detail) {
      fill(body, h('p', { class: 'error' }, `Device “${deviceId}” does not exist.`));
      return;
    }
    const d = detail;
    const heading = [
      h('h1', { id: 'device-hostname' }, d.hostname),
      // A decommissioned device's presence says nothing any more (its session is ended, its last will may never come).
      h('p', { class: 'muted' }, `${d.deviceId} · ${osLabel(d.os)} ${d.osVersion} · `,
        d.decommissioned ? null : [h('span', { class: d.online ? 'dot online' : 'dot offline' }), d.online ? 'online · ' : 'offline · '],
        `last seen ${ago(d.lastSeen)} · registered ${time(d.createdAt)}`)];
    if (d.decommissioned) {
      // Nothing can be changed on a decommissioned device: what is left is the record, until its retention ends.
      fill(body, heading, h('div', { class: 'cards' }, decommissionedCard(d.decommissioned), factsCard(d)));
      return;
    }
    fill(body, heading, h('div', { class: 'cards' }, mfaCard(d), factsCard(d), settingsCard(d)), usersCard(), decommissionCard(d));
  }

  function decommissionedCard(info) {
    return h('div', { class: 'card', id: 'device-decommissioned' },
      h('h2', {}, 'Decommissioned'),
      h('p', { class: 'big' }, h('span', { class: 'pill pill-decommissioned' }, 'decommissioned'), ` ${time(info.at)}`),
      h('dl', {},
        h('dt', {}, 'Wipe'), h('dd', { id: 'device-wipe' }, info.wipeAcknowledged
          ? 'acknowledged: the agent deleted its secrets and restored the OS login configuration'
          : 'not acknowledged: the agent was not reachable; its MQTT access is revoked once the grace period ends')),
      h('p', { class: 'muted small' }, 'The device can no longer connect nor receive a secret. Its record is kept for 30 days, then it is gone.'));
  }

  function decommissionCard(d) {
    const error = h('p', { class: 'error', role: 'alert', id: 'decommission-error' });
    const button = h('button', { class: 'danger', id: 'device-decommission' }, 'Decommission device');
    button.addEventListener('click', async () => {
      if (!confirm(`Decommission ${d.hostname}? Its agent wipes its secrets and restores the OS login configuration, ` +
        'and its MQTT access is revoked for good. This cannot be undone.')) return;
      error.textContent = '';
      try {
        await del(path);
        toast(`${d.hostname} is decommissioned.`);
        await load();
      } catch (e) {
        error.textContent = describeError(e);
      }
    });
    return h('div', { class: 'card', id: 'device-decommission-card' },
      h('h2', {}, 'Decommission'),
      h('p', { class: 'muted small' }, 'For a lost, stolen or retired device: it is cut off from the control plane, and a reachable agent wipes itself.'),
      h('div', { class: 'actions' }, button), error);
  }

  function mfaCard(d) {
    const m = d.mfa;
    const conflict = d.os === 'linux' && d.settings.linux.sshPasswordLogin && d.settings.linux.sshPublicKeyAuth;
    const enable = h('button', { class: 'primary', id: 'device-enable', disabled: conflict, title: conflict ? CONFLICT_TEXT : '' }, 'Enable MFA');
    const disable = h('button', { class: 'secondary', id: 'device-disable' }, 'Disable MFA');
    const error = h('p', { class: 'error', id: 'device-mfa-error', role: 'alert' });
    const run = async (action, force) => {
      error.textContent = '';
      try {
        detail = await post(`${path}/mfa/${action}`, action === 'enable' && force ? { force: true } : undefined);
        render();
      } catch (e) {
        error.textContent = describeError(e);
        if (e.code === 'mac-auth-plugin-conflict') {
          error.append(' ', h('button', { class: 'secondary', onclick: () => run('enable', true) }, 'Enable anyway (force)'));
        }
      }
    };
    enable.addEventListener('click', () => run('enable'));
    disable.addEventListener('click', () => run('disable'));
    return h('div', { class: 'card', id: 'device-mfa' },
      h('h2', {}, 'MFA'),
      h('p', { class: 'big' }, mfaBadge(m.status, m.reason)),
      h('dl', {},
        h('dt', {}, 'Device switch'), h('dd', {}, m.desired ? 'on' : 'off'),
        h('dt', {}, 'TOTP required'), h('dd', {}, m.required ? 'yes' : m.desired ? 'no — TOTP is off for the org' : 'no'),
        h('dt', {}, 'Desired / applied version'), h('dd', { id: 'device-versions' }, `${m.desiredVersion} / ${m.appliedVersion}`),
        m.reason ? [h('dt', {}, 'Reason'), h('dd', { class: 'error' }, m.reason)] : null),
      m.warnings?.length ? h('ul', { class: 'warnings' }, m.warnings.map(w => h('li', {}, w))) : null,
      conflict ? h('p', { class: 'warning', id: 'ssh-conflict-note' }, CONFLICT_TEXT) : null,
      h('div', { class: 'actions' }, m.desired ? disable : enable),
      error);
  }

  function factsCard(d) {
    const f = d.facts;
    const yesNo = v => v === true ? 'yes' : v === false ? 'no' : 'unknown';
    return h('div', { class: 'card', id: 'device-facts' },
      h('h2', {}, 'Reported by the agent'),
      h('dl', {},
        h('dt', {}, 'OS'), h('dd', {}, `${osLabel(d.os)} ${d.osVersion}`),
        h('dt', {}, 'Agent version'), h('dd', {}, f.agentVersion ?? 'no agent has reported'),
        h('dt', {}, 'OpenSSH server'), h('dd', {}, yesNo(f.sshServerInstalled)),
        h('dt', {}, 'Authorization plug-ins'), h('dd', {}, f.authPlugins?.length ? f.authPlugins.join(', ') : 'none'),
        h('dt', {}, 'Display height'), h('dd', {}, f.displayHeightPixels ? `${f.displayHeightPixels} px` : 'unknown')));
  }

  function settingsCard(d) {
    const error = h('p', { class: 'error', role: 'alert', id: 'settings-error' });
    const card = h('div', { class: 'card', id: 'device-settings' }, h('h2', {}, 'Settings'));
    const check = (id, label, checked) => {
      const box = h('input', { type: 'checkbox', id, checked });
      box.addEventListener('change', () => { editing = true; explain(); });
      return [box, h('label', { for: id, class: 'inline' }, box, ' ', label)];
    };
    const save = h('button', { class: 'secondary', id: 'settings-save' }, 'Save settings');
    const note = h('p', { class: 'warning', id: 'ssh-conflict-preview', hidden: true });
    let explain = () => {};
    if (d.os === 'linux') {
      const [pw, pwLabel] = check('ssh-password', 'Allow SSH password login', d.settings.linux.sshPasswordLogin);
      const [pk, pkLabel] = check('ssh-publickey', 'Allow SSH public-key authentication', d.settings.linux.sshPublicKeyAuth);
      explain = () => {
        const both = pw.checked && pk.checked;
        note.hidden = !both;
        note.textContent = both
          ? (d.mfa.desired ? `MFA is on for this device, so this combination will be refused. ${CONFLICT_TEXT}` : CONFLICT_TEXT)
          : '';
      };
      save.addEventListener('click', () => submit({ linux: { sshPasswordLogin: pw.checked, sshPublicKeyAuth: pk.checked } }));
      card.append(h('h3', {}, 'Linux (SSH)'), pwLabel, pkLabel, note);
      if (d.facts.sshServerInstalled === false) card.append(h('p', { class: 'warning' }, 'The agent reports no OpenSSH server: MFA has nothing to protect on this device.'));
    } else if (d.os === 'windows') {
      const [arso, arsoLabel] = check('win-arso', 'DisableAutomaticRestartSignOn (no sign-in skipped after a reboot)', d.settings.windows.disableAutomaticRestartSignOn);
      const [safe, safeLabel] = check('win-safemode', 'SafeModeBlockNonAdmins (Safe Mode cannot bypass the prompt)', d.settings.windows.safeModeBlockNonAdmins);
      save.addEventListener('click', () => submit({ windows: { disableAutomaticRestartSignOn: arso.checked, safeModeBlockNonAdmins: safe.checked } }));
      card.append(h('h3', {}, 'Windows policies'), arsoLabel, safeLabel);
    } else {
      card.append(h('p', { class: 'muted' }, 'macOS: only the login window prompts (not FileVault, the screen saver or the lock screen).'));
      return card;
    }
    explain();
    card.append(h('div', { class: 'actions' }, save), error);
    async function submit(body) {
      error.textContent = '';
      try {
        detail = await patch(path, body);
        editing = false;
        toast('Settings saved.');
        render();
      } catch (e) {
        error.textContent = describeError(e);
      }
    }
    return card;
  }

  function usersCard() {
    const tbody = h('tbody', { id: 'device-users' });
    if (!users.length) tbody.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No users are bound to this device.')));
    for (const u of users) {
      tbody.append(h('tr', { dataset: { userId: u.userId } },
        h('td', {}, h('a', { href: `#users/${encodeURIComponent(u.userId)}` }, u.userId)),
        h('td', {}, u.username),
        h('td', {}, u.localUsername),
        h('td', { class: 'totp-status' }, h('span', { class: `pill pill-${u.totpStatus}` }, u.totpStatus)),
        h('td', { class: 'on-device' }, h('span', { class: `pill pill-${u.onDevice}` }, u.onDevice)),
        h('td', {}, h('button', {
          class: 'link', onclick: async () => {
            if (!confirm(`Unbind ${u.userId}? Their secret is revoked on this device.`)) return;
            try { await del(`${path}/users/${encodeURIComponent(u.userId)}`); await load(); } catch (e) { toast(describeError(e), 'error'); }
          },
        }, 'unbind'))));
    }
    const userInput = h('input', { id: 'bind-user', placeholder: 'user id', autocomplete: 'off' });
    const localInput = h('input', { id: 'bind-local', placeholder: 'local username', autocomplete: 'off' });
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h('form', { class: 'inline-form', id: 'bind-form' }, 'Bind user ', userInput, ' as ', localInput, ' ',
      h('button', { type: 'submit', class: 'secondary' }, 'Bind'), error);
    form.addEventListener('submit', async e => {
      e.preventDefault();
      error.textContent = '';
      try {
        await put(`${path}/users/${encodeURIComponent(userInput.value.trim())}`, { localUsername: localInput.value.trim() || userInput.value.trim() });
        await load();
      } catch (err) { error.textContent = describeError(err); }
    });
    return h('div', { class: 'card' },
      h('h2', {}, 'Users on this device'),
      h('p', { class: 'muted small' }, 'TOTP status: whether the user completed setup. On device: active once the agent holds the user\'s current secret; pending until then; not-required when MFA is off here or the user is not enrolled.'),
      h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, 'User'), h('th', {}, 'Name'), h('th', {}, 'Local account'), h('th', {}, 'TOTP status'), h('th', {}, 'On device'), h('th', {}))),
        tbody),
      form);
  }

  async function load() {
    try {
      detail = await get(path);
      users = await get(`${path}/users`);
    } catch (e) {
      if (e.status === 404) detail = null;
      else { fill(body, h('p', { class: 'error' }, describeError(e))); return; }
    }
    render();
  }

  // A live update never throws away what the operator is typing: it waits until focus leaves the field.
  let deferred = false;
  const typing = () => document.activeElement?.matches?.('input[type=text], input:not([type])') && node.contains(document.activeElement);
  node.addEventListener('focusout', () => setTimeout(() => { if (deferred && !typing() && !editing) { deferred = false; render(); } }, 0));
  const off = live.on('device', event => {
    if (event.deviceId !== deviceId) return;
    detail = event.detail;
    users = event.users;
    if (editing || typing()) deferred = true;
    else render();
  });
  live.watch({ device: deviceId });
  load();
  return { node, dispose() { off(); live.watch({ device: null }); } };
}
