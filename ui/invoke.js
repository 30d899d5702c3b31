// invoke.js -- calls a function from the page and shows the answer:
// status, headers, body (JSON pretty-printed, text, or a download for
// binary) and how long it took. The body sent is the text box's or a file's.
import { callName, url } from './api.js';
import { $, parseLines } from './dom.js';

let target = null;   // { name, ns }
let download = null; // the object URL of the last binary body

function request() {
  const async = document.querySelector('input[name="inv-mode"]:checked').value === 'async';
  const path = $('inv-path').value.trim();
  const query = $('inv-query').value.trim().replace(/^\?/, '');
  const prefix = async ? '/async-function/' : '/function/';
  let u = prefix + encodeURI(callName(target.name, target.ns));
  if (path)
    u += (path.startsWith('/') ? '' : '/') + encodeURI(path);
  if (query)
    u += '?' + query;
  const method = $('inv-method').value;
  const headers = parseLines($('inv-headers').value, ':');
  const callback = $('inv-callback').value.trim();
  if (async && callback)
    headers['X-Callback-Url'] = callback;
  const init = { method, headers };
  if (method !== 'GET' && method !== 'HEAD')
    init.body = body(headers);
  return { u, init };
}

// The chosen file goes as it is (a Blob is never re-encoded, unlike text),
// typed by its own type unless the headers already name one.
function body(headers) {
  const file = $('inv-file').files[0];
  if (!file)
    return $('inv-body').value;
  const typed = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
  if (!typed && file.type)
    headers['Content-Type'] = file.type;
  return file;
}

function fileChosen() {
  const chosen = $('inv-file').files.length > 0;
  $('inv-body').disabled = chosen;
  $('inv-file-clear').hidden = !chosen;
}

function clearFile() {
  $('inv-file').value = '';
  fileChosen();
}

function isText(type) {
  return !type || /^text\/|json|xml|javascript|x-www-form-urlencoded/.test(type);
}

function pretty(text, type) {
  if (!/json/.test(type) && !/^\s*[[{]/.test(text))
    return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

async function showBody(r) {
  const type = r.headers.get('Content-Type') || '';
  const link = $('inv-download');
  if (download)
    URL.revokeObjectURL(download);
  download = null;
  link.hidden = true;
  if (isText(type)) {
    $('inv-resp-body').textContent = pretty(await r.text(), type);
    return;
  }
  const blob = await r.blob();
  download = URL.createObjectURL(blob);
  link.href = download;
  link.hidden = false;
  $('inv-resp-body').textContent = `(${blob.size} bytes of ${type})`;
}

async function send(ev) {
  ev.preventDefault();
  const { u, init } = request();
  const started = performance.now();
  $('inv-send').disabled = true;
  $('inv-result').hidden = false;
  $('inv-status').textContent = '…';
  try {
    const r = await fetch(url(u), init);
    $('inv-status').textContent = `${r.status} ${r.statusText}`;
    $('inv-resp-headers').textContent =
      [...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
    await showBody(r);
  } catch (e) {
    $('inv-status').textContent = `failed: ${e.message}`;
    $('inv-resp-body').textContent = '';
  } finally {
    $('inv-duration').textContent = `${Math.round(performance.now() - started)} ms`;
    $('inv-send').disabled = false;
  }
}

export function showInvoke(name, ns) {
  if (!target || target.name !== name || target.ns !== ns)
    $('invoke-form').reset();   // another function's headers and body do not carry over
  fileChosen();
  target = { name, ns };
  $('inv-result').hidden = true;
}

export function initInvoke() {
  $('invoke-form').addEventListener('submit', send);
  $('inv-file').addEventListener('change', fileChosen);
  $('inv-file-clear').addEventListener('click', clearFile);
}
