// functions.js -- the live list of functions, every namespace, refreshed
// every 2 s with one request per namespace (never one per function).
import { call, nsQuery } from './api.js';
import { $, el, setStatus } from './dom.js';
import { formatSeconds, onSample, recent } from './stats.js';

const REFRESH_MS = 2000;
let timer = null;
let rows = [];

async function fetchAll() {
  const namespaces = await call('GET', '/system/namespaces');
  const lists = await Promise.all(namespaces.map(ns =>
    call('GET', `/system/functions?${nsQuery(ns)}`)));
  return { namespaces, functions: lists.flat() };
}

function fillNamespaces(namespaces) {
  const select = $('filter-ns');
  const have = new Set([...select.options].map(o => o.value));
  for (const ns of namespaces)
    if (!have.has(ns))
      select.append(el('option', { value: ns }, ns));
}

// Error rate and latency of the last minute, from the gateway's metrics.
function health(fn) {
  const r = recent(`${fn.name}.${fn.namespace}`);
  if (!r || !r.calls)
    return ['—', '—', r && r.last ? new Date(r.last).toLocaleTimeString() : '—'];
  const rate = `${Math.round((100 * r.errors) / r.calls)}%`;
  const last = r.last ? new Date(r.last).toLocaleTimeString() : '—';
  return [rate, `${formatSeconds(r.p50)} / ${formatSeconds(r.p99)}`, last];
}

function row(fn) {
  const [errors, latency, last] = health(fn);
  const href = `#function/${encodeURIComponent(fn.namespace)}/${encodeURIComponent(fn.name)}`;
  return el('tr', { 'data-name': fn.name },
    el('td', {}, el('a', { href }, fn.name)),
    el('td', {}, fn.namespace || ''),
    el('td', { class: 'hide-narrow' }, fn.image || ''),
    el('td', { class: 'num' }, `${fn.replicas ?? 0} / ${fn.availableReplicas ?? 0}`),
    el('td', { class: 'num' }, fn.invocationCount ?? 0),
    el('td', { class: 'num' }, errors),
    el('td', { class: 'num hide-narrow' }, latency),
    el('td', { class: 'hide-narrow' }, last));
}

function render() {
  const name = $('filter-name').value.trim().toLowerCase();
  const ns = $('filter-ns').value;
  const shown = rows.filter(fn =>
    (!name || fn.name.toLowerCase().includes(name)) && (!ns || fn.namespace === ns));
  $('fn-table').tBodies[0].replaceChildren(...shown.map(row));
  $('fn-empty').hidden = shown.length > 0;
}

async function refresh() {
  try {
    const { namespaces, functions } = await fetchAll();
    fillNamespaces(namespaces);
    rows = functions.sort((a, b) =>
      a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    render();
    setStatus(`${rows.length} function(s), updated ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    setStatus(`cannot list functions: ${e.message}`);
  }
}

async function tick() {
  await refresh();
  if (timer !== null)
    timer = setTimeout(tick, REFRESH_MS);
}

export function showList() {
  if (timer === null) {
    timer = 0;
    tick();
  }
}

export function hideList() {
  clearTimeout(timer);
  timer = null;
}

export function initList() {
  $('filter-name').addEventListener('input', render);
  $('filter-ns').addEventListener('change', render);
  onSample(() => timer !== null && render());
}
