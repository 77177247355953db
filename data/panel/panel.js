// panel.js: the Heartbeat panel. Plain DOM, no framework, no build step.
// Everything that came from the ledger, the model or the user goes in as text (textContent),
// never as HTML. Every HTTP error is shown.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const FEED_MAX = 100;
const CONFIG_FIELDS = ['enabled', 'every', 'target', 'model', 'max_tokens', 'temperature',
  'dry_run', 'active_hours_start', 'active_hours_end', 'timezone'];

let selected = null;   // the thread id shown in the form
let saved = null;      // its config as last loaded

class HttpError extends Error {
  constructor(status, detail) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new HttpError(0, `Cannot reach the daemon: ${e.message}`);
  }
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    if (res.ok)
      throw new HttpError(res.status, 'The daemon answered something that is not JSON');
  }
  if (!res.ok)
    throw new HttpError(res.status, data && data.detail !== undefined ? data.detail
      : `HTTP ${res.status} ${res.statusText}`);
  return data;
}

// ---- errors ----

function showError(context, err) {
  const box = $('#errors');
  const item = document.createElement('div');
  item.className = 'error';
  const text = err instanceof HttpError && err.status
    ? `${context}: HTTP ${err.status}: ${describe(err.detail)}`
    : `${context}: ${err.message || err}`;
  item.textContent = text;
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = '×';
  close.setAttribute('aria-label', 'Dismiss');
  close.addEventListener('click', () => item.remove());
  item.append(close);
  box.append(item);
}

function describe(detail) {
  if (Array.isArray(detail))
    return detail.map((d) => `${d.field}: ${d.message}`).join('; ');
  return String(detail);
}

function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('.field-error'))
    el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]'))
    el.removeAttribute('aria-invalid');
}

// A 422 names its fields: put each message beside its field; anything else is an error.
function showFieldErrors(form, context, err) {
  if (!(err instanceof HttpError) || err.status !== 422 || !Array.isArray(err.detail)) {
    showError(context, err);
    return;
  }
  for (const d of err.detail) {
    const slot = form.querySelector(`.field-error[data-field="${CSS.escape(d.field)}"]`);
    const input = form.querySelector(`[name="${CSS.escape(d.field)}"]`);
    if (input)
      input.setAttribute('aria-invalid', 'true');
    if (slot)
      slot.textContent = d.message;
    else
      showError(context, new HttpError(422, [d]));
  }
}

// ---- formatting ----

function fromSeconds(s) {
  return s ? new Date(s * 1000).toLocaleString() : 'never';
}

function fromMicros(us) {
  return us > 0 ? new Date(us / 1000).toLocaleTimeString() : '';
}

// ---- status ----

function renderStatus(s) {
  const state = $('#status-state');
  state.textContent = s.running ? 'Running' : 'Stopped';
  state.className = s.running ? 'pill on' : 'pill off';
  $('#status-backend').textContent = s.backend_state + (s.breaker_open ? ' (paused: breaker open)' : '');
  $('#status-next').textContent = s.next_wakeup ? fromSeconds(s.next_wakeup) : 'nothing due';
  $('#status-runs').textContent = `${s.active_runs} running, ${s.queued_runs} queued`;
}

async function loadStatus() {
  try {
    renderStatus(await api('GET', '/api/heartbeat/status'));
  } catch (e) {
    showError('Status', e);
  }
}

async function startStop(which) {
  try {
    const r = await api('POST', `/api/heartbeat/${which}`);
    $('#config-note').textContent = r.message;
    await loadStatus();
  } catch (e) {
    showError(which === 'start' ? 'Start' : 'Stop', e);
  }
}

// ---- threads ----

function threadPath(id, what) {
  return `/api/threads/${encodeURIComponent(id)}/heartbeat/${what}`;
}

async function loadThreads() {
  let data;
  try {
    data = await api('GET', '/api/threads');
  } catch (e) {
    showError('Threads', e);
    return;
  }
  const list = $('#threads');
  list.replaceChildren();
  for (const t of data.threads) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = t.thread_id;
    b.dataset.thread = t.thread_id;
    if (t.thread_id === selected)
      b.setAttribute('aria-current', 'true');
    b.addEventListener('click', () => selectThread(t.thread_id));
    const meta = document.createElement('span');
    meta.className = 'muted';
    meta.textContent = ` every ${t.config.every} s${t.config.enabled ? '' : ', off'}`;
    li.append(b, meta);
    list.append(li);
  }
  if (selected === null && data.threads.length > 0)
    selectThread(data.threads[0].thread_id);
}

async function addThread(ev) {
  ev.preventDefault();
  const input = $('#new-thread');
  try {
    const t = await api('POST', '/api/threads', { thread_id: input.value });
    input.value = '';
    selected = t.thread_id;
    await loadThreads();
    await selectThread(t.thread_id);
  } catch (e) {
    showError('Add thread', e);
  }
}

function fillForm(cfg) {
  const form = $('#config');
  for (const name of CONFIG_FIELDS) {
    const el = form.elements[name];
    if (!el)
      continue;
    if (el.type === 'checkbox')
      el.checked = !!cfg[name];
    else
      el.value = cfg[name] === null || cfg[name] === undefined ? '' : String(cfg[name]);
  }
}

function renderThread(data) {
  $('#thread-title').textContent = `Thread ${data.thread_id}`;
  const last = data.last_run
    ? `Last run ${fromSeconds(data.last_run)}: ${data.last_status || ''} ${data.last_summary || ''}`
    : 'Never run yet.';
  $('#thread-last').textContent = data.config_problem ? `${last} (stored config: ${data.config_problem})`
    : last;
}

async function selectThread(id) {
  selected = id;
  for (const b of document.querySelectorAll('#threads button'))
    b.toggleAttribute('aria-current', b.dataset.thread === id);
  clearFieldErrors($('#config'));
  try {
    const data = await api('GET', threadPath(id, 'config'));
    saved = data.config;
    fillForm(data.config);
    renderThread(data);
    $('#config-fields').disabled = false;
  } catch (e) {
    showError(`Thread ${id}`, e);
  }
  await loadHistory();
}

// What the form says, as the partial config the daemon merges: only fields that changed.
function formChanges() {
  const form = $('#config');
  const out = {};
  for (const name of CONFIG_FIELDS) {
    const el = form.elements[name];
    let v;
    if (el.type === 'checkbox')
      v = el.checked;
    else {
      const text = el.value.trim();
      if (name === 'every' || name === 'max_tokens')
        v = /^\d+$/.test(text) ? Number(text) : text;
      else if (name === 'temperature')
        v = text !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
      else if (name === 'active_hours_start' || name === 'active_hours_end')
        v = text === '' ? null : text;
      else
        v = text;
    }
    const before = saved ? saved[name] : undefined;
    if (v !== before && !(v === '' && (before === null || before === undefined)))
      out[name] = v;
  }
  return out;
}

async function saveConfig(ev) {
  ev.preventDefault();
  if (selected === null)
    return;
  const form = $('#config');
  clearFieldErrors(form);
  const note = $('#config-note');
  note.textContent = 'Saving…';
  try {
    const data = await api('POST', threadPath(selected, 'config'), formChanges());
    saved = data.config;
    fillForm(data.config);
    renderThread(data);
    note.textContent = 'Saved.';
  } catch (e) {
    note.textContent = 'Not saved.';
    showFieldErrors(form, 'Save', e);
  }
}

async function runNow() {
  if (selected === null)
    return;
  const id = selected;
  const button = $('#run-now');
  button.disabled = true;
  $('#config-note').textContent = 'Running…';
  try {
    const r = await api('POST', threadPath(id, 'run-now'));
    $('#config-note').textContent = `${r.status}: ${r.decision_summary || r.error || ''}`;
  } catch (e) {
    $('#config-note').textContent = '';
    showError('Run now', e);
  } finally {
    button.disabled = false;
  }
  if (id === selected)
    await loadHistory();
}

async function loadHistory() {
  if (selected === null)
    return;
  const body = $('#history tbody');
  try {
    const data = await api('GET', `${threadPath(selected, 'history')}?limit=20`);
    body.replaceChildren();
    for (const a of data.activities) {
      const tr = document.createElement('tr');
      const action = a.actions && a.actions.length > 0 ? a.actions[0].action : (a.action || '');
      for (const text of [fromSeconds(a.timestamp), a.status + (a.reason ? ` (${a.reason})` : ''),
        action, a.summary || a.error || '']) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      tr.className = a.success ? 'ok' : 'bad';
      body.append(tr);
    }
    $('#history-total').textContent = `${data.total_runs} runs in all.`;
  } catch (e) {
    showError('History', e);
  }
}

// ---- HEARTBEAT.md ----

async function loadInstructions() {
  try {
    const md = await api('GET', '/api/heartbeat/heartbeat.md');
    $('#md-content').value = md.content;
    $('#md-path').textContent = `${md.path}, ${md.last_modified ? `changed ${fromSeconds(md.last_modified)}`
      : 'not written yet'}${md.problem ? ` (${md.problem})` : ''}`;
  } catch (e) {
    showError('HEARTBEAT.md', e);
  }
}

async function saveInstructions(ev) {
  ev.preventDefault();
  const form = $('#md');
  clearFieldErrors(form);
  try {
    await api('POST', '/api/heartbeat/heartbeat.md', { content: $('#md-content').value });
    $('#md-note').textContent = 'Saved.';
    await loadInstructions();
  } catch (e) {
    $('#md-note').textContent = 'Not saved.';
    showFieldErrors(form, 'Save HEARTBEAT.md', e);
  }
}

// ---- the live feed ----

function feedItem(parts, cls) {
  const li = document.createElement('li');
  li.className = cls;
  for (const [name, text] of parts) {
    const span = document.createElement('span');
    span.className = name;
    span.textContent = text;
    li.append(span);
  }
  const feed = $('#feed');
  feed.prepend(li);
  while (feed.children.length > FEED_MAX)
    feed.lastElementChild.remove();
}

function onRunCompleted(r) {
  feedItem([
    ['time', fromMicros(r.finished_at)],
    ['thread', r.thread_id],
    ['run-status', r.status + (r.reason ? ` (${r.reason})` : '')],
    ['action', r.action || '-'],
    ['summary', r.summary || r.error || ''],
  ], `run ${r.status}`);
  if (r.thread_id === selected) {
    refreshThread(r.thread_id);
    loadHistory();
  }
}

// The thread's last run changed: its summary line, not the form being edited.
async function refreshThread(id) {
  try {
    const data = await api('GET', threadPath(id, 'config'));
    if (id === selected)
      renderThread(data);
  } catch (e) {
    showError(`Thread ${id}`, e);
  }
}

function connectEvents() {
  const state = $('#feed-state');
  const es = new EventSource('/api/heartbeat/events');
  es.addEventListener('open', () => {
    state.textContent = 'live';
    state.className = 'pill on';
  });
  es.addEventListener('error', () => {
    // EventSource reconnects by itself; say so rather than go quiet.
    state.textContent = es.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting';
    state.className = 'pill off';
  });
  const on = (name, fn) => es.addEventListener(name, (ev) => {
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch (e) {
      showError('Live feed', new Error(`bad ${name} event`));
      return;
    }
    fn(data);
  });
  on('status', renderStatus);
  on('run-started', (d) => feedItem([['time', new Date().toLocaleTimeString()],
    ['thread', d.thread_id], ['run-status', 'started'], ['action', ''], ['summary', '']], 'run started'));
  on('run-completed', onRunCompleted);
  on('config', (d) => {
    if (d.thread_id === selected && $('#config-note').textContent !== 'Saving…') {
      saved = d.config;
      renderThread(d);
    }
  });
  on('threads', () => loadThreads());
  on('instructions', () => loadInstructions());
}

document.addEventListener('DOMContentLoaded', () => {
  $('#start').addEventListener('click', () => startStop('start'));
  $('#stop').addEventListener('click', () => startStop('stop'));
  $('#add-thread').addEventListener('submit', addThread);
  $('#config').addEventListener('submit', saveConfig);
  $('#run-now').addEventListener('click', runNow);
  $('#md').addEventListener('submit', saveInstructions);
  connectEvents();
  loadStatus();
  loadThreads();
  loadInstructions();
});
