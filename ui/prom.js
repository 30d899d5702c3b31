// prom.js -- Prometheus text (/metrics of the gateway and the connectors)
// read into samples, and the connector counters the topology needs. Only
// plain `name{labels} value` lines; comments and anything else are skipped.

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export function parse(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trim());
    if (!m)
      continue;
    const labels = {};
    for (const [, k, v] of (m[2] || '').matchAll(LABEL))
      labels[k] = v.replace(/\\(.)/g, '$1');
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    out.push({ name: m[1], labels, value: Number.isNaN(value) ? 0 : value });
  }
  return out;
}

// Sums of the connector's counters by function (bare, or name.namespace)
// and by topic; a Kafka topic's lag by partition.
export function counters(text) {
  const samples = parse(text);
  const sum = (name, key, ...values) => samples
    .filter(s => s.name === name && values.includes(s.labels[key]))
    .reduce((a, s) => a + s.value, 0);
  const byFn = name => (fn, full) => sum(name, 'function', ...new Set([fn, full]));
  return {
    messages: topic => sum('connector_messages_total', 'topic', topic),
    calls: byFn('connector_invocations_total'),
    replies: byFn('connector_replies_total'),
    deadLetters: byFn('connector_dead_letters_total'),
    lag: topic => samples
      .filter(s => s.name === 'connector_consumer_lag' && s.labels.topic === topic)
      .map(s => ({ partition: Number(s.labels.partition), lag: s.value })),
  };
}
