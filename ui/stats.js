// stats.js -- the gateway's own /metrics, sampled every 2 s while the page
// is open and kept for 5 minutes, so the list and a function's page show
// error rates, latency and charts over recent minutes with no Prometheus
// and one request per sample, whatever the number of functions.
import { call } from './api.js';
import { parse } from './prom.js';

const SAMPLE_MS = 2000;
const KEEP_MS = 5 * 60 * 1000;
const snaps = [];          // { t, fns: Map(label -> { calls, errors, le, cum }) }
const listeners = new Set();
let running = false;

// Per function ("name.namespace"): calls, failed calls (5xx, or no
// answer), and the latency histogram summed over status codes.
function digest(text) {
  const fns = new Map();
  const get = label => {
    if (!fns.has(label))
      fns.set(label, { calls: 0, errors: 0, buckets: new Map() });
    return fns.get(label);
  };
  for (const s of parse(text)) {
    const label = s.labels.function_name;
    if (!label)
      continue;
    if (s.name === 'gateway_function_invocation_total') {
      const f = get(label);
      f.calls += s.value;
      if (!/^[1-4]\d\d$/.test(s.labels.code || ''))
        f.errors += s.value;
    } else if (s.name === 'gateway_functions_seconds_bucket') {
      const b = get(label).buckets;
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      b.set(le, (b.get(le) || 0) + s.value);
    }
  }
  return fns;
}

const ZERO = { calls: 0, errors: 0, buckets: new Map() };

function minus(a, b = ZERO) {
  const buckets = new Map();
  for (const [le, n] of a.buckets)
    buckets.set(le, n - (b.buckets.get(le) || 0));
  return { calls: a.calls - b.calls, errors: a.errors - b.errors, buckets };
}

// The q-quantile in seconds from cumulative buckets, interpolated within
// its bucket as Prometheus's histogram_quantile does; null without calls.
export function quantile(buckets, q) {
  const les = [...buckets.keys()].sort((x, y) => x - y);
  const total = les.length ? buckets.get(les[les.length - 1]) : 0;
  if (!total)
    return null;
  let prevLe = 0, prevN = 0;
  for (const le of les) {
    const n = buckets.get(le);
    if (n >= q * total) {
      if (le === Infinity)
        return prevLe;
      return prevLe + (le - prevLe) * ((q * total - prevN) / Math.max(n - prevN, 1));
    }
    prevLe = le;
    prevN = n;
  }
  return prevLe;
}

// What happened to `label` in the last `ms`: calls, errors, p50, p99 and
// the time of its last call seen. Before two samples: since the start.
export function recent(label, ms = 60000) {
  if (!snaps.length)
    return null;
  const now = snaps[snaps.length - 1];
  const cur = now.fns.get(label) || ZERO;
  const base = [...snaps].reverse().find(s => s.t <= now.t - ms) || snaps[0];
  const d = base === now ? minus(cur) : minus(cur, base.fns.get(label));
  return { calls: d.calls, errors: d.errors, p50: quantile(d.buckets, 0.5),
           p99: quantile(d.buckets, 0.99), last: lastCall(label) };
}

function lastCall(label) {
  for (let i = snaps.length - 1; i > 0; i--) {
    const a = snaps[i].fns.get(label), b = snaps[i - 1].fns.get(label);
    if (a && a.calls > (b ? b.calls : 0))
      return snaps[i].t;
  }
  return null;
}

// One point per sample interval: calls/s, errors/s, p99 in seconds.
export function series(label) {
  const out = [];
  for (let i = 1; i < snaps.length; i++) {
    const dt = (snaps[i].t - snaps[i - 1].t) / 1000;
    const d = minus(snaps[i].fns.get(label) || ZERO, snaps[i - 1].fns.get(label));
    out.push({ t: snaps[i].t, rate: d.calls / dt, errors: d.errors / dt,
               p99: quantile(d.buckets, 0.99) });
  }
  return out;
}

async function sample() {
  try {
    const fns = digest(await call('GET', '/metrics'));
    const t = Date.now();
    snaps.push({ t, fns });
    while (snaps.length && snaps[0].t < t - KEEP_MS)
      snaps.shift();
    listeners.forEach(fn => fn());
  } catch {
    // The list says when the gateway is unreachable; no sample is kept.
  }
  setTimeout(sample, SAMPLE_MS);
}

export function onSample(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function startStats() {
  if (!running) {
    running = true;
    sample();
  }
}

export function formatSeconds(s) {
  if (s === null || s === undefined)
    return '—';
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}
