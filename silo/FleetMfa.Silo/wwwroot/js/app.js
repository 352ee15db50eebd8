// FleetMfa dashboard: sign-in, tabs, live status. Plain ES modules, no framework, no build step.
import { h, clear, fill } from './dom.js';
import { session, get, put, orgPath, onUnauthorized, ApiError } from './api.js';
import { toast, describeError } from './ui.js';
import * as live from './events.js';
import { devicesView } from './views/devices.js';
import { deviceView } from './views/device.js';
import { usersView } from './views/users.js';
import { settingsView } from './views/settings.js';
import { auditView } from './views/audit.js';

const main = document.getElementById('main');
let disposeView = () => {};

onUnauthorized(() => signOut('Your key was refused; sign in again.'));

live.onState(state => {
  const el = document.getElementById('live');
  el.hidden = state === 'off';
  el.className = `live live-${state}`;
  el.textContent = state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'reconnecting…';
});

function signOut(message) {
  session.clear();
  live.stop();
  location.hash = '';
  render(message);
}

document.getElementById('signout').addEventListener('click', () => signOut('Signed out.'));

function signInView(message) {
  const keyInput = h('input', { id: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'fma_… or fmk_…' });
  const orgInput = h('input', { id: 'org', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'demo', pattern: '[a-z0-9][a-z0-9._\\-]{0,62}' });
  const error = h('p', { id: 'signin-error', class: 'error', role: 'alert' }, message && !message.startsWith('Signed') ? message : '');
  const extra = h('div', { class: 'signin-extra' });
  keyInput.addEventListener('input', () => {
    const org = session.orgOfKey(keyInput.value.trim());
    if (org) orgInput.value = org;
  });
  const form = h('form', { id: 'signin', class: 'card signin', autocomplete: 'off' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Use the admin key or an operator key of your org. It is kept for this tab only.'),
    h('label', { for: 'key' }, 'API key'), keyInput,
    h('label', { for: 'org' }, 'Org'), orgInput,
    h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, 'Sign in'),
    error, extra);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clear(extra);
    error.textContent = '';
    const key = keyInput.value.trim();
    const orgId = orgInput.value.trim() || session.orgOfKey(key) || 'demo';
    try {
      await get(orgPath('', orgId), { key });
      session.save(key, orgId);
      location.hash = '#devices';
      render();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) error.textContent = 'That key was refused.';
      else if (e instanceof ApiError && e.status === 403) error.textContent = `That key does not open org “${orgId}”.`;
      else if (e instanceof ApiError && e.status === 404 && session.isAdminKey(key)) {
        error.textContent = `Org “${orgId}” does not exist.`;
        extra.append(h('button', {
          type: 'button', class: 'secondary', onclick: async () => {
            try {
              await put(orgPath('', orgId), { name: orgId }, { key });
              form.requestSubmit();
            } catch (err) { error.textContent = describeError(err); }
          },
        }, `Create org “${orgId}”`));
      } else error.textContent = describeError(e);
    }
  });
  if (message?.startsWith('Signed')) toast(message);
  setTimeout(() => keyInput.focus(), 0);
  return { node: form, dispose() {} };
}

const routes = {
  devices: () => devicesView(),
  device: id => deviceView(id),
  users: id => usersView(id),
  settings: () => settingsView(),
  audit: () => auditView(),
};

function render(message) {
  disposeView();
  disposeView = () => {};
  const signedIn = Boolean(session.key && session.orgId);
  document.getElementById('tabs').hidden = !signedIn;
  document.getElementById('signout').hidden = !signedIn;
  document.getElementById('whoami').textContent = signedIn
    ? `${session.isAdminKey(session.key) ? 'admin' : 'operator'} · org ${session.orgId}` : '';
  let view;
  if (!signedIn) {
    view = signInView(message);
  } else {
    const [name, ...rest] = location.hash.replace(/^#/, '').split('/');
    const route = routes[name] ? name : 'devices';
    const arg = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
    for (const a of document.querySelectorAll('#tabs a')) {
      a.classList.toggle('active', a.dataset.tab === (route === 'device' ? 'devices' : route));
    }
    view = routes[route](arg);
  }
  fill(main, view.node);
  disposeView = view.dispose;
}

window.addEventListener('hashchange', () => render());
render();
