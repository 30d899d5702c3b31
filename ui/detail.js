// detail.js -- one function's page: its deployment, its replicas and their
// restarts, scale, edit, delete.
// The invoke panel and the log tail (invoke.js, logs.js) sit below it.
import { call, nsQuery } from './api.js';
import { hideCharts, showCharts } from './charts.js';
import { $, el, formatLines } from './dom.js';
import { editInForm } from './deploy.js';
import { showInvoke } from './invoke.js';
import { startLogs, stopLogs } from './logs.js';

const REFRESH_MS = 2000;
let current = null;   // { name, ns, status }
let timer = null;

function field(list, label, value) {
  if (value === undefined || value === null || value === '')
    return;
  const text = typeof value === 'object' ? formatLines(value) || '(none)' : String(value);
  list.append(el('dt', {}, label), el('dd', {}, text));
}

function render(st) {
  $('fn-title').textContent = `${st.name} (${st.namespace})`;
  const dl = $('fn-fields');
  dl.replaceChildren();
  field(dl, 'Image', st.image);
  field(dl, 'envProcess', st.envProcess);
  field(dl, 'Replicas / available', `${st.replicas ?? 0} / ${st.availableReplicas ?? 0}`);
  field(dl, 'Invocations', st.invocationCount ?? 0);
  field(dl, 'Created', st.createdAt);
  field(dl, 'envVars', st.envVars);
  field(dl, 'Labels', st.labels);
  field(dl, 'Annotations', st.annotations);
  field(dl, 'Secrets', (st.secrets || []).join(', '));
  field(dl, 'Limits', st.limits);
  field(dl, 'Requests', st.requests);
  renderReplicas(st.replicaStatus);
  if (document.activeElement !== $('scale-replicas'))
    $('scale-replicas').value = st.replicas ?? 0;
}

// The driver's replicaStatus; a driver that does not know hides the table.
function renderReplicas(list) {
  $('replicas').hidden = !Array.isArray(list);
  if (!Array.isArray(list))
    return;
  const rows = [...list].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))
    .map(r => el('tr', { 'data-replica': r.name }, el('td', {}, r.name),
      el('td', {}, r.ready ? 'yes' : 'no'), el('td', {}, r.restarts ?? 0),
      el('td', {}, r.started || '(not running)')));
  $('replica-table').tBodies[0].replaceChildren(...rows);
}

function message(text, bad) {
  const m = $('fn-message');
  m.textContent = text;
  m.className = bad ? 'error' : '';
}

async function load() {
  if (!current)
    return;
  const { name, ns } = current;
  try {
    const st = await call('GET', `/system/function/${encodeURIComponent(name)}?${nsQuery(ns)}`);
    if (current && current.name === name) {
      current.status = st;
      render(st);
    }
  } catch (e) {
    message(e.message, true);
  }
}

async function tick() {
  await load();
  if (timer !== null)
    timer = setTimeout(tick, REFRESH_MS);
}

export function showDetail(ns, name) {
  hideDetail();
  current = { name, ns, status: null };
  message('', false);
  $('fn-title').textContent = name;
  $('fn-fields').replaceChildren();
  renderReplicas(undefined);
  timer = 0;
  tick();
  showInvoke(name, ns);
  startLogs(name, ns);
  showCharts(name, ns);
}

export function hideDetail() {
  clearTimeout(timer);
  timer = null;
  current = null;
  stopLogs();
  hideCharts();
}

async function scale(ev) {
  ev.preventDefault();
  const replicas = Number($('scale-replicas').value);
  const { name, ns } = current;
  try {
    await call('POST', `/system/scale-function/${encodeURIComponent(name)}?${nsQuery(ns)}`,
      { serviceName: name, namespace: ns, replicas });
    message(`Scaling ${name} to ${replicas}.`, false);
    $('scale-replicas').blur();
    load();
  } catch (e) {
    message(e.message, true);
  }
}

async function remove() {
  const { name, ns } = current;
  if (!confirm(`Delete the function ${name} (${ns})? Its replicas stop.`))
    return;
  try {
    await call('DELETE', '/system/functions', { functionName: name, namespace: ns });
    location.hash = '#functions';
  } catch (e) {
    message(e.message, true);
  }
}

export function initDetail() {
  $('scale-form').addEventListener('submit', scale);
  $('fn-delete').addEventListener('click', remove);
  $('fn-edit').addEventListener('click', () => {
    if (current && current.status)
      editInForm(current.status);
  });
}
