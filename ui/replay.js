// replay.js -- sends a dead letter to its function again, through the same
// API a caller uses (/function/<name> to wait for the answer, or
// /async-function/<name> to queue it again) with the original method,
// path, query, headers and body, and removes the letter once the gateway
// took it: a 2xx answer, or 202 for a call stored anew.
import { call, url } from './api.js';

const PREVIEW = 300;

export function decodeBody(b64) {
  const bin = atob(b64 || '');
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++)
    bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// The request a letter stands for. The path and query are as the caller
// sent them (still escaped), so they go back unchanged.
export function requestOf(letter, via) {
  const prefix = via === 'async' ? '/async-function/' : '/function/';
  let u = prefix + letter.function;
  if (letter.path)
    u += letter.path.startsWith('/') ? letter.path : `/${letter.path}`;
  if (letter.query)
    u += `?${letter.query}`;
  const method = letter.method || 'POST';
  const headers = new Headers();
  const skipped = [];
  for (const [k, v] of Object.entries(letter.headers || {})) {
    try {
      headers.append(k, v);   // the browser itself leaves out what it must set
    } catch {
      skipped.push(k);
    }
  }
  const init = { method, headers };
  const body = decodeBody(letter.body);
  if (method !== 'GET' && method !== 'HEAD')
    init.body = body;
  else if (body.length)
    skipped.push(`the body (${body.length} bytes: a ${method} carries none from a browser)`);
  return { u, init, skipped };
}

function accepted(r, via) {
  if (via === 'async')
    return r.status === 202 && r.headers.get('X-Duplicate') !== 'true';
  return r.ok;
}

function why(r, via) {
  if (via === 'async' && r.headers.get('X-Duplicate') === 'true')
    return 'not queued: the queue already holds a call with this X-Call-Id ' +
      '(within queue_dedup_window); replay through /function/ or later';
  return '';
}

// Replays letter `seq`. Resolves to what happened, for the page to show:
// { seq, fn, ok, status, answer, ms, removed, note }.
export async function replay(seq, via) {
  const out = { seq, fn: '', ok: false, status: '', answer: '', ms: 0, removed: false, note: '' };
  let letter;
  try {
    letter = await call('GET', `/system/dead-letter/${seq}`);
  } catch (e) {
    out.status = `cannot read the letter: ${e.message}`;
    return out;
  }
  out.fn = letter.function || '';
  if (!letter.function) {
    out.status = 'the letter names no function';
    return out;
  }
  const { u, init, skipped } = requestOf(letter, via);
  const started = performance.now();
  try {
    const r = await fetch(url(u), init);
    out.ms = Math.round(performance.now() - started);
    out.status = `${r.status} ${r.statusText}`.trim();
    const text = await r.text();
    out.answer = text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
    out.ok = accepted(r, via);
    out.note = why(r, via);
    if (via === 'async' && out.ok)
      out.note = `queued again as ${r.headers.get('X-Call-Id')}`;
  } catch (e) {
    out.ms = Math.round(performance.now() - started);
    out.status = `failed: ${e.message}`;
  }
  if (skipped.length)
    out.note = [out.note, `not sent: ${skipped.join(', ')}`].filter(Boolean).join('; ');
  if (out.ok) {
    try {
      await call('DELETE', `/system/dead-letter/${seq}`);
      out.removed = true;
    } catch (e) {
      out.note = [out.note, `not removed: ${e.message}`].filter(Boolean).join('; ');
    }
  }
  return out;
}
