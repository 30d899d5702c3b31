// charts.js -- a function's calls/s, errors/s and p99 over the last
// minutes (stats.js keeps the samples), as small SVG line charts that
// redraw with each sample.
import { $, svg } from './dom.js';
import { onSample, series } from './stats.js';

const W = 280, H = 70, TOP = 14;
let label = null;
let stop = null;

function line(id, points, caption) {
  const root = $(id);
  root.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const max = Math.max(0, ...points.filter(v => v !== null));
  const step = points.length > 1 ? W / (points.length - 1) : W;
  const xy = points.map((v, i) =>
    `${(i * step).toFixed(1)},${(H - 2 - ((v || 0) / (max || 1)) * (H - TOP - 4)).toFixed(1)}`);
  root.replaceChildren(svg('polyline', { points: xy.join(' ') }),
    svg('text', { x: 4, y: 11, 'data-max': max }, `max ${caption(max)}`));
  root.setAttribute('aria-label', `${id.replace('chart-', '')}: max ${caption(max)}`);
}

function draw() {
  if (!label)
    return;
  const s = series(label);
  line('chart-rate', s.map(p => p.rate), v => v.toFixed(1));
  line('chart-errors', s.map(p => p.errors), v => v.toFixed(1));
  line('chart-p99', s.map(p => (p.p99 === null ? null : p.p99 * 1000)), v => v.toFixed(0));
}

export function showCharts(name, ns) {
  hideCharts();
  label = `${name}.${ns}`;
  stop = onSample(draw);
  draw();
}

export function hideCharts() {
  if (stop)
    stop();
  stop = null;
  label = null;
}
