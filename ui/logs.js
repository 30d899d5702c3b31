// logs.js -- a live tail of a function's log: /system/logs?follow=true
// read as a stream (NDJSON, one line a record), so new lines show as the
// replicas write them. The gateway ends a follow after log_follow_max:
// the tail then follows again.
import { nsQuery, url } from './api.js';
import { $ } from './dom.js';

const KEEP = 500;        // lines shown; older ones scroll away
let abort = null;

function append(text) {
  const pre = $('log-lines');
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.append(text + '\n');
  while (pre.childNodes.length > KEEP)
    pre.firstChild.remove();
  if (atEnd)
    pre.scrollTop = pre.scrollHeight;
}

function show(line) {
  if (!line.trim())
    return;
  try {
    const r = JSON.parse(line);
    append(`${r.timestamp} ${r.instance} ${r.text}`);
  } catch {
    append(line);
  }
}

async function follow(name, ns, signal) {
  const q = `name=${encodeURIComponent(name)}&${nsQuery(ns)}&follow=true&tail=100`;
  const r = await fetch(url(`/system/logs?${q}`), { signal });
  if (!r.ok)
    throw new Error(`${r.status} ${(await r.text()).trim()}`);
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done)
      return;
    rest += decoder.decode(value, { stream: true });
    const lines = rest.split('\n');
    rest = lines.pop();
    lines.forEach(show);
  }
}

async function run(name, ns, ctl) {
  while (!ctl.signal.aborted) {
    try {
      $('log-lines').replaceChildren();
      await follow(name, ns, ctl.signal);
    } catch (e) {
      if (ctl.signal.aborted)
        return;
      append(`(log tail: ${e.message}; trying again)`);
    }
    await new Promise(done => setTimeout(done, 1000));
  }
}

export function startLogs(name, ns) {
  stopLogs();
  abort = new AbortController();
  $('logs-toggle').setAttribute('aria-pressed', 'true');
  $('logs-toggle').textContent = 'Stop following';
  $('logs-toggle').onclick = () => (abort ? stopLogs() : startLogs(name, ns));
  run(name, ns, abort);
}

export function stopLogs() {
  if (abort)
    abort.abort();
  abort = null;
  $('logs-toggle').setAttribute('aria-pressed', 'false');
  $('logs-toggle').textContent = 'Follow logs';
}
