// camel-rq dashboard. Every value from Redis is put on the page with textContent or as an attribute
// value, never as HTML: job bodies, headers and errors come from outside. The JSON API is in
// docs/dashboard.md.
'use strict';

const REFRESH_MS = 3000;
const PAGE = 25;
let config = { readOnly: true, csrfHeader: 'X-RQ-CSRF', csrfCookie: 'rq_csrf' };
let timer = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === 'onclick') node.addEventListener('click', value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function time(ms) {
  if (ms === null || ms === undefined || ms === '') return '';
  return new Date(Number(ms)).toLocaleString();
}

function relative(ms) {
  if (!ms) return '';
  const s = Math.round((Number(ms) - Date.now()) / 1000);
  const abs = Math.abs(s);
  const text = abs < 90 ? abs + ' s' : abs < 5400 ? Math.round(abs / 60) + ' min' : Math.round(abs / 3600) + ' h';
  return s >= 0 ? 'in ' + text : text + ' ago';
}

function csrf() {
  const found = document.cookie.split(';').map(c => c.trim()).find(c => c.startsWith(config.csrfCookie + '='));
  return found ? found.substring(config.csrfCookie.length + 1) : '';
}

async function get(path, params) {
  const url = 'api/' + path + (params ? '?' + new URLSearchParams(params) : '');
  const answer = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error || answer.statusText);
  return body;
}

async function act(action, params) {
  const answer = await fetch('api/actions/' + action + '?' + new URLSearchParams(params), {
    method: 'POST', credentials: 'same-origin', headers: { [config.csrfHeader]: csrf(), Accept: 'application/json' }
  });
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.error || answer.statusText);
  return body;
}

function status(text) {
  document.getElementById('status').textContent = text;
}

let lastMessage = { text: '', at: 0 };

// an action's outcome stays on the page for 15 s, through refreshes
function message(text) {
  lastMessage = { text, at: Date.now() };
  const box = document.getElementById('message');
  if (box) box.textContent = text;
}

function actionButton(label, action, params, opts) {
  const o = opts || {};
  return el('button', {
    class: o.danger ? 'danger' : null, 'data-action': action, disabled: config.readOnly,
    title: config.readOnly ? 'read-only dashboard' : null,
    onclick: async () => {
      if (o.confirm && !window.confirm(o.confirm)) return;
      const p = Object.assign({}, params);
      if (o.confirmName) {
        const typed = window.prompt('This deletes every job of queue ' + params.queue + '. Type the queue name to confirm:');
        if (typed === null) return;
        p.confirm = typed;
      }
      try {
        const done = await act(action, p);
        message(label + ': ' + JSON.stringify(done));
        if (o.after) o.after(done); else render(false);
      } catch (e) {
        message(label + ' failed: ' + e.message);
      }
    }
  }, label);
}

// processed and failed per minute, as bars; the last 60 minutes
function chart(histories) {
  const width = 720, height = 130, pad = 22;
  const minutes = histories.length ? histories[0].processed.length : 60;
  const processed = new Array(minutes).fill(0), failed = new Array(minutes).fill(0);
  for (const h of histories) {
    h.processed.forEach((v, i) => { processed[i] += v; });
    h.failed.forEach((v, i) => { failed[i] += v; });
  }
  const max = Math.max(1, ...processed);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  const bw = (width - pad) / minutes;
  const scale = (height - pad) / max;
  for (let i = 0; i < minutes; i++) {
    for (const [cls, value] of [['processed', processed[i]], ['failed', failed[i]]]) {
      if (!value) continue;
      const r = document.createElementNS(ns, 'rect');
      r.setAttribute('class', cls);
      r.setAttribute('x', pad + i * bw + 1);
      r.setAttribute('width', Math.max(1, bw - 2));
      r.setAttribute('y', height - pad - value * scale);
      r.setAttribute('height', value * scale);
      const tip = document.createElementNS(ns, 'title');
      tip.textContent = (minutes - 1 - i) + ' min ago: ' + value + ' ' + cls;
      r.append(tip);
      svg.append(r);
    }
  }
  for (const [y, label] of [[pad - 8, String(max)], [height - pad, '0']]) {
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', 0);
    t.setAttribute('y', y + 4);
    t.textContent = label;
    svg.append(t);
  }
  for (const [x, label] of [[pad, '60 min ago'], [width - 30, 'now']]) {
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', x);
    t.setAttribute('y', height - 6);
    t.textContent = label;
    svg.append(t);
  }
  const total = processed.reduce((a, b) => a + b, 0), errors = failed.reduce((a, b) => a + b, 0);
  return el('div', { id: 'chart' }, svg,
    el('div', { class: 'legend' }, el('span', { class: 'processed' }, 'processed ' + total),
      el('span', { class: 'failed' }, 'failed ' + errors), el('span', null, 'last hour, per minute')));
}

const COUNTS = ['queued', 'scheduled', 'active', 'failed', 'completed'];

function ms(value) {
  if (value % 3600000 === 0) return value / 3600000 + 'h';
  if (value % 60000 === 0) return value / 60000 + 'm';
  if (value % 1000 === 0) return value / 1000 + 's';
  return value + 'ms';
}

// The queue's flow control (docs/flow-control.md), only for the limits it has.
function flowText(q) {
  const parts = [];
  if (q.maxActive !== undefined) parts.push('active ' + q.active + ' of maxActive ' + q.maxActive);
  if (q.rateLimit !== undefined) {
    parts.push('rateLimit ' + q.rateLimit + '/' + ms(q.rateWindowMs) + ': ' + q.rateTokensLeft + ' starts left in this window');
  }
  if (q.retryAfterMs) parts.push('held by a Retry-After for ' + ms(Math.ceil(q.retryAfterMs / 1000) * 1000) + ' more');
  if (q.groupsWaiting) {
    parts.push(q.groupsWaiting + (q.groupsWaiting === 1 ? ' group' : ' groups') + ' waiting'
      + (q.groupsFull ? ', ' + q.groupsFull + ' at groupMaxActive ' + q.groupMaxActive : ''));
  } else if (q.groupMaxActive !== undefined) {
    parts.push('groupMaxActive ' + q.groupMaxActive);
  }
  return parts.join(' · ');
}

async function overview(view) {
  const data = await get('queues');
  const rows = data.queues.map(q => el('tr', { 'data-queue': q.name },
    el('td', null, el('a', { href: '#/queue/' + encodeURIComponent(q.name) + '/failed', class: 'queue-link' }, q.name)),
    ...COUNTS.map(c => el('td', { class: 'num' + (c === 'failed' && q.failed > 0 ? ' failed-count' : ''), 'data-count': c }, q[c])),
    el('td', { class: q.paused || q.retryAfterMs ? 'paused' : null, 'data-count': 'paused' },
      q.paused ? 'paused' : q.retryAfterMs ? 'held (Retry-After)' : 'running'),
    el('td', { class: 'flow', 'data-flow': q.name }, flowText(q)),
    el('td', null, q.paused ? actionButton('Resume', 'resume', { queue: q.name }) : actionButton('Pause', 'pause', { queue: q.name }))));
  view.replaceChildren(
    el('h1', null, 'Queues'),
    el('div', { id: 'message', class: 'message' }),
    chart(data.queues.map(q => q.history)),
    el('h2', null, data.queues.length + (data.queues.length === 1 ? ' queue' : ' queues')),
    el('table', { id: 'queues' },
      el('thead', null, el('tr', null, el('th', null, 'queue'), ...COUNTS.map(c => el('th', { class: 'num' }, c)),
        el('th', null, 'state'), el('th', null, 'flow control'), el('th', null, ''))),
      el('tbody', null, ...rows)));
  if (!data.queues.length) view.append(el('p', null, 'No queue yet: a queue appears here once a producer or consumer of it has used Redis.'));
}

async function queuePage(view, queue, state, offset, order, search) {
  const [q, page] = await Promise.all([get('queue', { queue }),
    get('jobs', { queue, state, offset, limit: PAGE, order, search: search || '' })]);
  const link = (s, o, ord, srch) => '#/queue/' + encodeURIComponent(queue) + '/' + s + '?offset=' + o + '&order=' + ord
    + (srch ? '&search=' + encodeURIComponent(srch) : '');
  const timeName = { failed: 'failed at', scheduled: 'due', active: 'lease deadline' }[state];
  const timeField = { failed: 'failedAt', scheduled: 'dueAt', active: 'leaseDeadline' }[state];
  const searchBox = el('input', { type: 'search', id: 'search', placeholder: 'job id', value: search || '' });
  searchBox.addEventListener('keydown', e => {
    if (e.key === 'Enter') location.hash = link(state, 0, order, searchBox.value.trim());
  });
  const rows = page.jobs.map(j => el('tr', { 'data-job': j.id },
    el('td', null, el('a', { href: '#/job/' + encodeURIComponent(queue) + '/' + encodeURIComponent(j.id), class: 'job-link' }, j.id)),
    el('td', { title: time(j[timeField]) }, relative(j[timeField])),
    el('td', { class: 'num' }, j.attempt || 0),
    el('td', null, j.errorClass || ''),
    el('td', null, j.errorMessage || ''),
    el('td', null, j.failedReason || '')));
  const last = Math.min(page.total, Number(offset) + page.jobs.length);
  view.replaceChildren(
    el('h1', null, 'Queue ', el('span', { id: 'queue-name' }, queue), q.paused ? el('span', { class: 'paused' }, ' (paused)') : null),
    el('div', { id: 'message', class: 'message' }),
    el('table', { id: 'counts' }, el('tr', null, ...COUNTS.map(c => el('th', { class: 'num' }, c))),
      el('tr', null, ...COUNTS.map(c => el('td', { class: 'num', 'data-count': c }, q[c])))),
    ...(flowText(q) ? [el('p', { id: 'flow', class: 'flow' }, flowText(q))] : []),
    chart([q.history]),
    el('div', { class: 'bar' },
      q.paused ? actionButton('Resume', 'resume', { queue }) : actionButton('Pause', 'pause', { queue }),
      actionButton('Requeue all failed', 'requeue-all', { queue }, { confirm: 'Requeue every failed job of ' + queue + '?' }),
      actionButton('Purge', 'purge', { queue }, { danger: true, confirmName: true })),
    el('div', { class: 'bar tabs' }, ...['failed', 'scheduled', 'active'].map(s =>
      el('button', { class: s === state ? 'current' : null, 'data-tab': s, onclick: () => { location.hash = link(s, 0, order); } },
        s + ' (' + q[s] + ')'))),
    el('div', { class: 'bar' }, searchBox,
      el('button', { onclick: () => { location.hash = link(state, 0, order, searchBox.value.trim()); } }, 'Find'),
      el('button', { id: 'order', onclick: () => { location.hash = link(state, 0, order === 'desc' ? 'asc' : 'desc', search); } },
        order === 'desc' ? 'newest first' : 'oldest first'),
      el('span', null, page.total ? (Number(offset) + 1) + '–' + last + ' of ' + page.total : 'none'),
      el('button', { disabled: Number(offset) === 0, onclick: () => { location.hash = link(state, Math.max(0, Number(offset) - PAGE), order, search); } }, '‹ prev'),
      el('button', { disabled: last >= page.total, onclick: () => { location.hash = link(state, Number(offset) + PAGE, order, search); } }, 'next ›')),
    el('table', { id: 'jobs' },
      el('thead', null, el('tr', null, ...['job id', timeName, 'attempt', 'error class', 'error message', 'reason'].map(h => el('th', null, h)))),
      el('tbody', null, ...rows)));
}

async function jobPage(view, queue, id) {
  let job;
  try {
    job = await get('job', { queue, id });
  } catch (e) {
    view.replaceChildren(el('h1', null, 'Job ', id), el('p', null, e.message),
      el('a', { href: '#/queue/' + encodeURIComponent(queue) + '/failed' }, 'back to ' + queue));
    return;
  }
  const back = () => { location.hash = '#/queue/' + encodeURIComponent(queue) + '/failed'; };
  const fields = [['state', job.state], ['priority', job.priority], ['attempts', job.attempt], ['stalls', job.stalls || 0],
    ['enqueued', time(job.enqueuedAt)], ['started', time(job.startedAt)], ['due', time(job.dueAt)],
    ['next retry', time(job.nextRetryAt)], ['lease deadline', time(job.leaseDeadline)], ['errored', time(job.erroredAt)],
    ['failed', time(job.failedAt)], ['finished', time(job.finishedAt)], ['failed reason', job.failedReason],
    ['retry config', job.retry.error ? 'unreadable: ' + job.retry.error : job.retry.description]];
  const dl = el('dl', { id: 'job-fields' });
  for (const [name, value] of fields) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(el('dt', null, name), el('dd', { 'data-field': name }, value));
  }
  const headerRows = Object.entries(job.headers).map(([k, v]) => el('tr', null, el('td', null, k),
    el('td', null, typeof v === 'string' ? v : JSON.stringify(v))));
  const actions = el('div', { class: 'bar' });
  if (job.state === 'failed') actions.append(actionButton('Requeue', 'requeue', { queue, id }, { after: () => render(false) }));
  if (job.state === 'scheduled') actions.append(actionButton('Run now', 'run-now', { queue, id }));
  if (job.state === 'queued' || job.state === 'scheduled') actions.append(actionButton('Cancel', 'cancel', { queue, id }, { after: back }));
  actions.append(actionButton('Delete', 'delete', { queue, id }, { danger: true, confirm: 'Delete job ' + id + '?', after: back }));
  const body = job.body;
  view.replaceChildren(
    el('h1', null, 'Job ', el('span', { id: 'job-id' }, id), ' in ',
      el('a', { href: '#/queue/' + encodeURIComponent(queue) + '/failed' }, queue)),
    el('div', { id: 'message', class: 'message' }),
    actions, dl,
    job.errorClass !== undefined ? el('h2', null, 'Last error') : null,
    job.errorClass !== undefined ? el('p', { id: 'error' }, (job.errorClass || '(no exception)') + ': ' + (job.errorMessage || '')) : null,
    job.errorStack ? el('pre', { id: 'stack' }, job.errorStack) : null,
    el('h2', null, 'Headers'),
    headerRows.length ? el('table', { id: 'headers' }, el('tbody', null, ...headerRows)) : el('p', null, 'none'),
    el('h2', null, 'Body (' + body.encoding + (body.truncated ? ', truncated' : '') + ')'),
    el('pre', { id: 'body' }, body.preview === null ? '(null)' : body.preview));
}

function parseHash() {
  const [path, qs] = (location.hash.replace(/^#/, '') || '/').split('?');
  const parts = path.split('/').filter(p => p).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(qs || '') };
}

// refreshing: the overview and a queue's page re-read every few seconds, in place
async function render(fromTimer) {
  clearTimeout(timer);
  const view = document.getElementById('view');
  const { parts, params } = parseHash();
  // do not redraw under someone typing a job id
  if (fromTimer && document.activeElement && document.activeElement.id === 'search') {
    timer = setTimeout(() => render(true), REFRESH_MS);
    return;
  }
  try {
    if (parts[0] === 'queue' && parts[1]) {
      await queuePage(view, parts[1], parts[2] || 'failed', params.get('offset') || 0, params.get('order') || 'asc',
        params.get('search'));
    } else if (parts[0] === 'job' && parts[1] && parts[2]) {
      if (!fromTimer) await jobPage(view, parts[1], parts[2]);
    } else {
      await overview(view);
    }
    const box = document.getElementById('message');
    if (box && Date.now() - lastMessage.at < 15000) box.textContent = lastMessage.text;
    status('updated ' + new Date().toLocaleTimeString());
  } catch (e) {
    status('cannot read: ' + e.message);
  }
  timer = setTimeout(() => render(true), REFRESH_MS);
}

async function start() {
  try {
    config = await get('config');
  } catch (e) {
    status('cannot read the configuration: ' + e.message);
  }
  document.getElementById('mode').textContent = config.readOnly ? 'read-only' : '';
  window.addEventListener('hashchange', () => render(false));
  render(false);
}

start();
