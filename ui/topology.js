// topology.js -- the connectors' routes as a graph: topics -> functions ->
// reply and error topics, laid out in columns by how far down a chain each
// node sits, with the connectors' counts on the edges, the calls in flight
// on each route and the consumer lag of each Kafka partition. Refreshed
// every 2 s from GET /system/connectors (one request; the gateway asks
// each one).
import { call } from './api.js';
import { $, el, svg } from './dom.js';
import { counters } from './prom.js';

const REFRESH_MS = 2000;
const W = 160, H = 40, COL = 270, ROW = 60, PAD = 10;
let timer = null;

function fnLabel(r) {
  return r.namespace && r.namespace !== 'openfaas-fn' ? `${r.function}.${r.namespace}` : r.function;
}

// Nodes and edges of every connector's routes, counts summed over them.
function build(connectors) {
  const nodes = new Map(), edges = new Map();
  const node = (id, kind, label) => {
    if (!nodes.has(id))
      nodes.set(id, { id, kind, label, count: 0, layer: 0, lag: new Map() });
    return nodes.get(id);
  };
  const edge = (from, to, kind) => {
    const id = `${from}>${to}>${kind}`;
    if (!edges.has(id))
      edges.set(id, { from, to, kind, count: 0, inflight: 0 });
    return edges.get(id);
  };
  for (const c of connectors.filter(c => c.up)) {
    const m = counters(c.metrics || '');
    for (const r of c.routes || []) {
      const name = fnLabel(r);
      const f = node(`f:${name}`, 'function', name);
      const t = node(`t:${r.topic}`, 'topic', r.topic);
      t.input = true;
      t.count = Math.max(t.count, m.messages(r.topic.replace(/^nats:/, '')));
      for (const { partition, lag } of m.lag(r.topic))
        t.lag.set(partition, lag);   // the connector's, whichever route reads it
      const calls = edge(t.id, f.id, 'in');
      calls.count += m.calls(r.function, name);
      calls.inflight += r.inflight || 0;
      if (r.reply_topic)
        edge(f.id, node(`t:${r.reply_topic}`, 'topic', r.reply_topic).id, 'reply').count +=
          m.replies(r.function, name);
      if (r.error_topic)
        edge(f.id, node(`t:${r.error_topic}`, 'topic', r.error_topic).id, 'error').count +=
          m.deadLetters(r.function, name);
    }
  }
  return { nodes, edges: [...edges.values()] };
}

// Longest path from a source, bounded so a loop of topics cannot spin.
function layers(nodes, edges) {
  for (let pass = 0; pass < nodes.size; pass++) {
    let moved = false;
    for (const e of edges) {
      const a = nodes.get(e.from), b = nodes.get(e.to);
      if (b.layer < a.layer + 1 && a.layer + 1 < 2 * nodes.size) {
        b.layer = a.layer + 1;
        moved = true;
      }
    }
    if (!moved)
      break;
  }
  const cols = [];
  for (const n of nodes.values())
    (cols[n.layer] ||= []).push(n);
  cols.forEach((col, x) => col.forEach((n, y) => Object.assign(n, { x, y })));
  return cols.filter(Boolean);
}

function short(text) {
  return text.length > 24 ? text.slice(0, 23) + '…' : text;
}

// "lag 5: p0 3, p1 2", partitions in order.
function lagText(lag) {
  const parts = [...lag].sort((a, b) => a[0] - b[0]);
  const total = parts.reduce((a, [, v]) => a + v, 0);
  return `lag ${total}: ` + parts.map(([p, v]) => `p${p} ${v}`).join(', ');
}

function drawNode(g, n) {
  const x = PAD + n.x * COL, y = PAD + n.y * ROW;
  const group = svg('g', { class: n.kind, 'data-id': n.id });
  group.append(svg('title', {}, `${n.kind} ${n.label}`),
    svg('rect', { x, y, width: W, height: H, rx: n.kind === 'topic' ? 18 : 4 }),
    svg('text', { x: x + 10, y: y + 17 }, short(n.label)),
    svg('text', { x: x + 10, y: y + 33, class: 'count' },
      n.kind === 'function' ? 'function' : n.input ? `${n.count} received` : 'topic'));
  if (n.lag.size)
    group.append(svg('text', { x: x + 10, y: y + H + 12, class: 'lag', 'data-lag': n.id },
      lagText(n.lag)));
  g.append(group);
}

function drawEdge(g, nodes, e) {
  const a = nodes.get(e.from), b = nodes.get(e.to);
  const x1 = PAD + a.x * COL + W, y1 = PAD + a.y * ROW + H / 2;
  const x2 = PAD + b.x * COL, y2 = PAD + b.y * ROW + H / 2;
  const mx = (x1 + x2) / 2;
  const d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
  const what = { in: 'calls', reply: 'replies', error: 'dead letters' }[e.kind];
  g.append(svg('path', { d, class: `edge ${e.kind}`, 'marker-end': 'url(#arrow)' }),
    svg('text', { x: mx, y: (y1 + y2) / 2 - 5, 'text-anchor': 'middle', class: 'count',
      'data-edge': `${e.from}>${e.to}` },
      `${e.count} ${what}`));
  if (e.kind === 'in')
    g.append(svg('text', { x: mx, y: (y1 + y2) / 2 + 12, 'text-anchor': 'middle',
      class: e.inflight ? 'inflight busy' : 'inflight', 'data-inflight': `${e.from}>${e.to}` },
      `${e.inflight} in flight`));
}

function draw({ nodes, edges }) {
  const root = $('topo-svg');
  const cols = layers(nodes, edges);
  const rows = Math.max(1, ...cols.map(c => c.length));
  root.setAttribute('width', PAD * 2 + Math.max(0, cols.length - 1) * COL + W);
  root.setAttribute('height', PAD * 2 + (rows - 1) * ROW + H + 14);   // room for a lag line
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#4a5360' }));
  defs.append(marker);
  const desc = svg('desc', { id: 'topo-desc' },
    edges.map(e => `${nodes.get(e.from).label} to ${nodes.get(e.to).label}: ${e.count}`).join('; '));
  root.replaceChildren(desc, defs);
  edges.forEach(e => drawEdge(root, nodes, e));
  nodes.forEach(n => drawNode(root, n));
  $('topo-empty').hidden = nodes.size > 0;
}

function listConnectors(connectors) {
  $('connector-list').replaceChildren(...connectors.map(c => el('li', { 'data-url': c.url },
    el('span', { class: c.up ? 'up' : 'down' }, c.up ? 'up' : 'down'), ` ${c.url}`,
    c.up ? ` — ${(c.routes || []).length} route(s)` : ` — ${c.error || 'unreachable'}`)));
}

async function refresh() {
  try {
    const connectors = await call('GET', '/system/connectors');
    listConnectors(connectors);
    draw(build(connectors));
  } catch (e) {
    $('connector-list').replaceChildren(el('li', { class: 'down' }, e.message));
  }
}

async function tick() {
  await refresh();
  if (timer !== null)
    timer = setTimeout(tick, REFRESH_MS);
}

export function showTopology() {
  if (timer === null) {
    timer = 0;
    tick();
  }
}

export function hideTopology() {
  clearTimeout(timer);
  timer = null;
}
