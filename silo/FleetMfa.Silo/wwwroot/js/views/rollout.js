// A bulk change (POST /api/orgs/{org}/rollouts) and its progress bar, fed by `rollout` events
// until the rollout is completed or aborted; then the devices that did not succeed, with why.
import { h, clear, fill } from '../dom.js';
import { get, post, orgPath, query } from '../api.js';
import * as live from '../events.js';
import { describeError, toast } from '../ui.js';

export function rolloutPanel({ onFinished }) {
  const bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, id: 'rollout-bar' });
  const label = h('div', { class: 'rollout-label', id: 'rollout-label' });
  const problems = h('ul', { class: 'rollout-problems', id: 'rollout-problems' });
  const close = h('button', { class: 'link', id: 'rollout-close', hidden: true }, 'dismiss');
  const node = h('div', { class: 'card rollout', id: 'rollout', hidden: true }, label, bar, problems, close);
  let followed = null;
  let finishedFor = null;
  let unsubscribe = () => {};
  let lastEventAt = 0;
  let fallback = null;
  const panel = {
    node,
    running: false,
    onChange: () => {},
    async start(action, deviceIds) {
      try {
        const created = await post(orgPath('/rollouts'), { action, deviceIds });
        panel.follow(created.rolloutId, created);
        return created;
      } catch (e) {
        toast(`The rollout was not started: ${describeError(e)}`, 'error');
        return null;
      }
    },
    follow(rolloutId, initial) {
      followed = rolloutId;
      finishedFor = null;
      node.hidden = false;
      clear(problems);
      close.hidden = true;
      unsubscribe();
      unsubscribe = live.on('rollout', r => {
        if (r && r.rolloutId === followed) {
          lastEventAt = Date.now();
          render(r);
        }
      });
      live.watch({ rollout: rolloutId });
      // The event stream drives the bar; should it fall silent (reconnecting), a read every few seconds keeps it moving.
      clearInterval(fallback);
      lastEventAt = Date.now();
      fallback = setInterval(() => {
        if (!panel.running || Date.now() - lastEventAt < 4000) return;
        get(orgPath(`/rollouts/${encodeURIComponent(rolloutId)}`) + query({ limit: 1 }))
          .then(r => { if (followed === rolloutId) render(r); }, () => {});
      }, 2000);
      if (initial) render(initial);
      else get(orgPath(`/rollouts/${encodeURIComponent(rolloutId)}`) + query({ limit: 1 })).then(render, () => { node.hidden = true; });
    },
    dispose() { unsubscribe(); clearInterval(fallback); },
  };

  close.addEventListener('click', () => {
    node.hidden = true;
    followed = null;
    live.watch({ rollout: null });
  });

  function render(r) {
    const total = Math.max(r.total, 1);
    const done = r.succeeded + r.rejected + r.failed;
    const pct = n => `${(100 * n / total).toFixed(2)}%`;
    // Widths through the CSSOM: the page's Content-Security-Policy refuses inline style attributes.
    const seg = (kind, n) => {
      const el = h('span', { class: `seg seg-${kind}`, dataset: { n } });
      el.style.width = pct(n);
      return el;
    };
    fill(bar, seg('succeeded', r.succeeded), seg('rejected', r.rejected), seg('failed', r.failed));
    bar.setAttribute('aria-valuenow', Math.round(100 * done / total));
    bar.dataset.state = r.state;
    const verb = r.action === 'enable-mfa' ? 'Enabling MFA' : 'Disabling MFA';
    const finished = r.state !== 'running';
    fill(label,
      h('strong', {}, finished ? `${verb}: ${r.state}` : `${verb}…`), ' ',
      h('span', { id: 'rollout-counts' }, `${done.toLocaleString()} of ${r.total.toLocaleString()} done — `,
        `${r.succeeded.toLocaleString()} succeeded, ${r.rejected.toLocaleString()} rejected, `,
        `${r.failed.toLocaleString()} failed, ${r.pending.toLocaleString()} pending`));
    node.dataset.state = r.state;
    panel.running = !finished;
    panel.onChange();
    if (finished && finishedFor !== r.rolloutId) {
      finishedFor = r.rolloutId;
      clearInterval(fallback);
      close.hidden = false;
      showProblems(r);
      onFinished?.(r);
    }
  }

  async function showProblems(r) {
    clear(problems);
    for (const outcome of ['rejected', 'failed']) {
      if (!r[outcome]) continue;
      try {
        const page = await get(orgPath(`/rollouts/${encodeURIComponent(r.rolloutId)}`) + query({ outcome, limit: 100 }));
        for (const o of page.outcomes) {
          problems.append(h('li', { class: `outcome-${o.outcome}` },
            h('a', { href: `#device/${encodeURIComponent(o.deviceId)}` }, o.deviceId), ` ${o.outcome}`,
            o.code ? ` (${o.code})` : '', o.reason ? `: ${o.reason}` : ''));
        }
        if (page.nextCursor) problems.append(h('li', { class: 'muted' }, `and more ${outcome}…`));
      } catch (e) {
        problems.append(h('li', { class: 'error' }, describeError(e)));
      }
    }
  }

  return panel;
}
