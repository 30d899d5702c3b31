// queue.js -- the async queue and its dead letters: the depth of the
// queue, the connectors' error topics, the last dead letters with their
// reason, status and attempts; one letter's detail; replay one or all,
// delete with a confirmation. Refreshed every 2 s with three requests
// (/system/queue, /system/dead-letters, /system/connectors), never one per
// letter.
import { call } from './api.js';
import { $, el, setStatus } from './dom.js';
import { counters } from './prom.js';
import { decodeBody, replay } from './replay.js';

const REFRESH_MS = 2000;
const LISTED = 50;
let timer = null;
let shownKey = '';     // the letters on screen, so an unchanged list is left alone
let busy = false;      // a replay or delete is running

function depth(q) {
  const s = q.stream, c = q.consumer, d = q.dead_letters;
  const n = (o, k) => (o.exists ? o[k] : 0);
  const items = [
    ['Calls stored, not finished', n(s, 'messages'), 'q-stored'],
    ['Waiting for a worker', c.exists ? c.pending : `${n(s, 'messages')} (no worker yet)`, 'q-pending'],
    ['Running or waiting for a retry', n(c, 'ack_pending'), 'q-running'],
    ['Redelivered', n(c, 'redelivered'), 'q-redelivered'],
    ['Oldest stored call', s.oldest ? new Date(s.oldest).toLocaleString() : '—', 'q-oldest'],
    ['Dead letters', n(d, 'messages'), 'q-dead'],
  ];
  $('queue-depth').replaceChildren(...items.flatMap(([k, v, id]) =>
    [el('dt', {}, k), el('dd', { id }, v)]));
  $('queue-names').textContent =
    `stream ${s.name}, consumer ${c.name}, dead letters in ${d.name}`;
}

// The error topics of every connector's routes, with the dead letters
// each connector counted for the route's function.
function errorTopics(connectors) {
  const rows = [];
  for (const c of connectors) {
    const m = c.up ? counters(c.metrics || '') : null;
    for (const r of c.routes || []) {
      if (!r.error_topic)
        continue;
      const full = `${r.function}.${r.namespace || 'openfaas-fn'}`;
      rows.push(el('tr', {},
        el('td', {}, c.url), el('td', {}, r.error_topic), el('td', {}, r.function),
        el('td', { class: 'num' }, m ? m.deadLetters(r.function, full) : '—')));
    }
    if (!c.up)
      rows.push(el('tr', {}, el('td', {}, c.url),
        el('td', { colspan: 3, class: 'down' }, `down: ${c.error || 'unreachable'}`)));
  }
  $('error-topics').tBodies[0].replaceChildren(...rows);
  $('error-topics-empty').hidden = rows.length > 0;
}

function when(t) {
  return t ? new Date(t).toLocaleString() : '—';
}

function actionButton(label, seq, what, cls = '') {
  return el('button', { type: 'button', class: cls, 'data-action': what, 'data-seq': seq,
    'aria-label': `${label} dead letter ${seq}` }, label);
}

function letterRow(l) {
  // data-label names each cell where a phone shows a row as a card.
  return el('tr', { 'data-seq': l.seq },
    el('td', { class: 'num', 'data-label': 'Seq' }, l.seq),
    el('td', { 'data-label': 'Time' }, when(l.time)),
    el('td', { 'data-label': 'Function' }, l.function || '—'),
    el('td', { class: 'reason', 'data-label': 'Reason' }, l.reason || '—'),
    el('td', { class: 'num', 'data-label': 'Status' }, l.status ?? '—'),
    el('td', { class: 'num', 'data-label': 'Attempts' }, l.attempts ?? '—'),
    el('td', { class: 'row-actions' },
      actionButton('Details', l.seq, 'detail'),
      actionButton('Replay', l.seq, 'replay'),
      actionButton('Delete', l.seq, 'delete', 'danger')));
}

// Redraws the list only when it changed, and gives the focus back to the
// button that had it, so a keyboard user is not thrown out every 2 s.
function letters(list) {
  const key = list.letters.map(l => l.seq).join(',');
  $('dl-total').textContent = list.exists
    ? `${list.total} dead letter(s)${list.total > list.letters.length ? `, the last ${list.letters.length} shown` : ''}`
    : `no dead-letter stream yet (${list.stream}: no worker has run)`;
  $('replay-all').disabled = busy || list.total === 0;
  if (key === shownKey)
    return;
  const focused = document.activeElement;
  const again = $('dl-table').contains(focused) && focused.dataset.action
    ? `[data-seq="${focused.dataset.seq}"][data-action="${focused.dataset.action}"]` : null;
  shownKey = key;
  $('dl-table').tBodies[0].replaceChildren(...list.letters.map(letterRow));
  $('dl-empty').hidden = list.letters.length > 0;
  const back = again && $('dl-table').querySelector(again);
  if (back)
    back.focus();
  else if (again)
    $('h-letters').focus();   // its letter is gone: stay in the list's place
}

async function refresh() {
  const [q, list, connectors] = await Promise.allSettled([
    call('GET', '/system/queue'),
    call('GET', `/system/dead-letters?limit=${LISTED}`),
    call('GET', '/system/connectors'),
  ]);
  const failed = [q, list].find(r => r.status === 'rejected');
  $('queue-error').textContent = failed ? failed.reason.message : '';
  if (q.status === 'fulfilled') {
    depth(q.value);
    setStatus(`queue updated ${new Date().toLocaleTimeString()}`);
  }
  if (list.status === 'fulfilled')
    letters(list.value);
  if (connectors.status === 'fulfilled')
    errorTopics(connectors.value);
}

// --- one letter, replay, delete ------------------------------------------------

function text(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

async function detail(seq) {
  const box = $('dl-detail');
  try {
    const l = await call('GET', `/system/dead-letter/${seq}`);
    $('dl-title').textContent = `Dead letter ${l.seq}: ${l.function}`;
    const fields = [['Reason', l.reason], ['X-Function-Status', l.status],
      ['X-Attempts', l.attempts], ['Call id', l.call_id],
      ['Request', `${l.method} ${l.path || '/'}${l.query ? `?${l.query}` : ''}`],
      ['Queued', when(l.queued_at)], ['Dead-lettered', when(l.time)],
      ['Callback', l.callback_url || '—'], ['Body size', `${l.size} bytes`]];
    $('dl-fields').replaceChildren(...fields.flatMap(([k, v]) =>
      [el('dt', {}, k), el('dd', {}, v ?? '—')]));
    $('dl-headers').textContent =
      Object.entries(l.headers || {}).map(([k, v]) => `${k}: ${v}`).join('\n');
    const bytes = decodeBody(l.body);
    const asText = text(bytes);
    $('dl-body').textContent = asText !== null ? asText
      : `(${bytes.length} bytes, not text; base64)\n${l.body}`;
  } catch (e) {
    $('dl-title').textContent = `Dead letter ${seq}`;
    $('dl-fields').replaceChildren();
    $('dl-headers').textContent = '';
    $('dl-body').textContent = e.message;
  }
  box.hidden = false;
  box.focus();
}

function showResults(results, title) {
  $('replay-title').textContent = title;
  $('replay-list').replaceChildren(...results.map(r => el('li', {
    'data-seq': r.seq, class: r.ok ? 'good' : 'error' },
    `Letter ${r.seq}${r.fn ? ` to ${r.fn}` : ''}: ${r.status}${r.ms ? ` in ${r.ms} ms` : ''}` +
    `${r.removed ? ' — replayed, removed' : r.ok ? '' : ' — kept'}` +
    `${r.note ? ` (${r.note})` : ''}`,
    r.answer ? el('pre', {}, r.answer) : '')));
  $('replay-result').hidden = false;
}

async function withBusy(fn) {
  busy = true;
  $('replay-all').disabled = true;
  try {
    await fn();
  } catch (e) {
    showResults([{ seq: '', status: e.message }], 'Failed');
  } finally {
    busy = false;
    await refresh();
  }
}

function replayOne(seq) {
  return withBusy(async () => {
    showResults([{ seq, status: 'replaying…' }], 'Replay');
    showResults([await replay(seq, $('replay-via').value)], 'Replay');
  });
}

// Every letter, oldest first (the order they failed in), one at a time.
function replayAll() {
  return withBusy(async () => {
    const list = await call('GET', '/system/dead-letters?limit=1000');
    const seqs = list.letters.map(l => l.seq).reverse();
    const via = $('replay-via').value;
    const results = [];
    for (const seq of seqs) {
      results.push(await replay(seq, via));
      showResults(results, `Replay all: ${results.length} of ${seqs.length}`);
    }
    const ok = results.filter(r => r.removed).length;
    const more = list.total > seqs.length ? ` (the newest ${seqs.length} of ${list.total})` : '';
    showResults(results, `Replay all: ${ok} of ${seqs.length} replayed and removed${more}`);
  });
}

function remove(seq) {
  const row = $('dl-table').querySelector(`tr[data-seq="${seq}"]`);
  const fn = row ? row.children[2].textContent : '';
  if (!confirm(`Delete dead letter ${seq}${fn ? ` (${fn})` : ''}? It cannot be replayed afterwards.`))
    return Promise.resolve();
  return withBusy(async () => {
    try {
      await call('DELETE', `/system/dead-letter/${seq}`);
      showResults([{ seq, fn, ok: true, status: 'deleted' }], 'Delete');
    } catch (e) {
      showResults([{ seq, fn, status: e.message }], 'Delete');
    }
    if (!$('dl-detail').hidden && $('dl-title').textContent.startsWith(`Dead letter ${seq}:`))
      $('dl-detail').hidden = true;
  });
}

function onAction(ev) {
  const b = ev.target.closest('button[data-action]');
  if (!b || busy)
    return;
  const seq = Number(b.dataset.seq);
  if (b.dataset.action === 'detail')
    detail(seq);
  else if (b.dataset.action === 'replay')
    replayOne(seq);
  else
    remove(seq);
}

async function tick() {
  await refresh();
  if (timer !== null)
    timer = setTimeout(tick, REFRESH_MS);
}

export function showQueue() {
  if (timer === null) {
    timer = 0;
    tick();
  }
}

export function hideQueue() {
  clearTimeout(timer);
  timer = null;
}

export function initQueue() {
  $('dl-table').addEventListener('click', onAction);
  $('replay-all').addEventListener('click', () => !busy && replayAll());
  $('dl-close').addEventListener('click', () => {
    $('dl-detail').hidden = true;
    $('h-letters').focus();
  });
}
