// Users: create, start TOTP setup (the QR code and otpauth URI, shown once), confirm, reset, and
// bind to devices. There is no user listing in the API, so the tab opens a user by id and keeps
// the ones opened in this tab at hand.
import { h, clear, fill, time } from '../dom.js';
import { get, put, post, orgPath } from '../api.js';
import { describeError, toast } from '../ui.js';

const recent = [];

export function usersView(openId) {
  const panel = h('div', { id: 'user-panel' });
  const recentList = h('ul', { class: 'recent', id: 'recent-users' });
  const idInput = h('input', { id: 'user-id', placeholder: 'alice', autocomplete: 'off', required: true, pattern: '[a-z0-9][a-z0-9._\\-]{0,62}' });
  const nameInput = h('input', { id: 'user-name', placeholder: 'Alice Example', autocomplete: 'off' });
  const emailInput = h('input', { id: 'user-email', type: 'email', placeholder: 'alice@example.com', autocomplete: 'off' });
  const error = h('p', { class: 'error', role: 'alert', id: 'user-error' });
  const form = h('form', { class: 'card', id: 'user-form' },
    h('h2', {}, 'Create or open a user'),
    h('div', { class: 'row' },
      h('label', {}, 'User id', idInput), h('label', {}, 'Name', nameInput), h('label', {}, 'Email', emailInput)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'user-save' }, 'Create / update'),
      h('button', { type: 'button', class: 'secondary', id: 'user-open', onclick: () => open(idInput.value.trim()) }, 'Open')),
    error);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    error.textContent = '';
    const id = idInput.value.trim();
    try {
      const user = await put(userPath(id), { username: nameInput.value.trim() || id, email: emailInput.value.trim() || null });
      toast(`User ${user.userId} saved.`);
      show(user);
    } catch (err) { error.textContent = describeError(err); }
  });

  function remember(id) {
    const i = recent.indexOf(id);
    if (i >= 0) recent.splice(i, 1);
    recent.unshift(id);
    recent.length = Math.min(recent.length, 20);
    fill(recentList, recent.map(r => h('li', {}, h('a', { href: `#users/${encodeURIComponent(r)}` }, r))));
  }

  async function open(id) {
    error.textContent = '';
    if (!id) return;
    try { show(await get(userPath(id))); } catch (e) { error.textContent = describeError(e); clear(panel); }
  }

  function show(user) {
    remember(user.userId);
    if (location.hash !== `#users/${encodeURIComponent(user.userId)}`) history.replaceState(null, '', `#users/${encodeURIComponent(user.userId)}`);
    const actionError = h('p', { class: 'error', role: 'alert', id: 'user-action-error' });
    const act = fn => async () => {
      actionError.textContent = '';
      try { await fn(); } catch (e) { actionError.textContent = describeError(e); }
    };
    const startSetup = h('button', { class: 'primary', id: 'start-setup' }, user.totpStatus === 'not-enrolled' ? 'Start setup' : 'Restart setup');
    startSetup.addEventListener('click', act(async () => {
      if (user.totpStatus === 'enrolled' && !confirm('This replaces the user\'s current secret on every device. Continue?')) return;
      const enrollment = await post(`${userPath(user.userId)}/totp/enroll`);
      showEnrollment(user, enrollment);
    }));
    const reset = h('button', { class: 'secondary', id: 'reset-totp', disabled: user.totpStatus === 'not-enrolled' }, 'Reset (lost phone)');
    reset.addEventListener('click', act(async () => {
      if (!confirm(`Drop ${user.userId}'s secret? It is revoked on every device.`)) return;
      show(await post(`${userPath(user.userId)}/totp/reset`));
      toast('TOTP reset.');
    }));
    const deviceInput = h('input', { id: 'bind-device', placeholder: 'device id', autocomplete: 'off' });
    const localInput = h('input', { id: 'bind-local-user', placeholder: user.userId, autocomplete: 'off' });
    const bind = h('form', { class: 'inline-form', id: 'user-bind-form' }, 'Bind to device ', deviceInput, ' as local account ', localInput, ' ',
      h('button', { type: 'submit', class: 'secondary' }, 'Bind'));
    bind.addEventListener('submit', e => {
      e.preventDefault();
      act(async () => {
        const deviceId = deviceInput.value.trim();
        await put(orgPath(`/devices/${encodeURIComponent(deviceId)}/users/${encodeURIComponent(user.userId)}`), { localUsername: localInput.value.trim() || user.userId });
        toast(`${user.userId} bound to ${deviceId}.`);
        show(await get(userPath(user.userId)));
      })();
    });
    fill(panel, h('div', { class: 'card', id: 'user-card', dataset: { userId: user.userId } },
      h('h2', {}, user.username, ' ', h('span', { class: 'muted' }, `(${user.userId})`)),
      h('dl', {},
        h('dt', {}, 'Email'), h('dd', {}, user.email ?? '—'),
        h('dt', {}, 'TOTP status'), h('dd', {}, h('span', { class: `pill pill-${user.totpStatus}`, id: 'user-totp-status' }, user.totpStatus)),
        user.enrolledAt ? [h('dt', {}, 'Enrolled'), h('dd', {}, time(user.enrolledAt))] : null,
        user.enrollmentExpiresAt && user.totpStatus === 'pending-setup' ? [h('dt', {}, 'Setup expires'), h('dd', {}, time(user.enrollmentExpiresAt))] : null,
        h('dt', {}, 'Devices'), h('dd', { id: 'user-devices' }, user.devices.length
          ? user.devices.map((d, i) => [i ? ', ' : '', h('a', { href: `#device/${encodeURIComponent(d)}` }, d)]) : 'none')),
      h('div', { class: 'actions' }, startSetup, reset),
      user.totpStatus === 'pending-setup' ? confirmForm(user) : null,
      bind, actionError));
  }

  function confirmForm(user) {
    const code = h('input', { id: 'confirm-code', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: '123456', maxlength: 8 });
    const err = h('p', { class: 'error', role: 'alert', id: 'confirm-error' });
    const form = h('form', { class: 'inline-form', id: 'confirm-form' }, 'Code from the authenticator app ', code, ' ',
      h('button', { type: 'submit', class: 'primary' }, 'Complete setup'), err);
    form.addEventListener('submit', async e => {
      e.preventDefault();
      err.textContent = '';
      try {
        show(await post(`${userPath(user.userId)}/totp/confirm`, { code: code.value.trim() }));
        toast('Setup complete: the user is enrolled.');
      } catch (x) { err.textContent = describeError(x); }
    });
    return form;
  }

  // The secret is shown once: it lives in this dialog only and is dropped when it closes.
  function showEnrollment(user, enrollment) {
    const qr = h('img', { id: 'qr-code', alt: `QR code for ${user.userId}`, width: 220, height: 220 });
    qr.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(enrollment.qrSvg)))}`;
    const dialog = h('dialog', { id: 'enrollment-dialog', class: 'dialog' },
      h('h2', {}, `Set up ${user.username}'s authenticator`),
      h('p', { class: 'warning' }, 'Shown once: scan it now. The secret cannot be displayed again; start setup again if it is lost.'),
      qr,
      h('p', { class: 'small' }, 'otpauth URI'),
      h('code', { id: 'otpauth-uri', class: 'uri' }, enrollment.otpauthUri),
      h('p', { class: 'small' }, 'Secret (for manual entry)'),
      h('code', { id: 'otp-secret', class: 'uri' }, enrollment.secret),
      h('p', { class: 'muted small' }, `Complete setup with a code from the app before ${time(enrollment.expiresAt)}.`),
      h('div', { class: 'actions' }, h('button', { class: 'primary', id: 'enrollment-done', onclick: () => dialog.close() }, 'Done')));
    dialog.addEventListener('close', async () => {
      dialog.remove();
      try { show(await get(userPath(user.userId))); } catch { /* shown on the next open */ }
    });
    document.body.append(dialog);
    dialog.showModal();
  }

  if (openId) open(openId);
  const node = h('section', { id: 'users-view', class: 'split' },
    h('div', {}, form, panel),
    h('aside', { class: 'card' }, h('h2', {}, 'Opened in this tab'), recentList,
      h('p', { class: 'muted small' }, 'Open a user by id, or create one. Bound users are also listed on each device.')));
  fill(recentList, recent.map(r => h('li', {}, h('a', { href: `#users/${encodeURIComponent(r)}` }, r))));
  return { node, dispose() {} };
}

function userPath(id) {
  return orgPath(`/users/${encodeURIComponent(id)}`);
}
