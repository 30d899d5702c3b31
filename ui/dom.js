// dom.js -- small helpers to build elements; text always goes in as text,
// never as HTML, so a function's name or a log line cannot inject markup.

export function $(id) {
  return document.getElementById(id);
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs))
    e.setAttribute(k, v);
  for (const c of children)
    e.append(c instanceof Node ? c : String(c));
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs))
    e.setAttribute(k, v);
  if (text !== undefined)
    e.textContent = String(text);
  return e;
}

// "k=v" (or "Name: value" with sep ':') lines to an object; blank lines
// and lines without the separator are skipped, so a stray line does no harm.
export function parseLines(text, sep = '=') {
  const out = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(sep);
    if (i > 0)
      out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

export function formatLines(obj, sep = '=') {
  return Object.entries(obj || {}).map(([k, v]) => `${k}${sep}${v}`).join('\n');
}

export function setStatus(text) {
  $('status').textContent = text;
}
