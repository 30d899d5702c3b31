// deploy.js -- the deploy (and edit) form. It checks what it can before
// sending; the gateway has the last word, and its message is shown as is.
import { call, DEFAULT_NS } from './api.js';
import { $, formatLines, parseLines } from './dom.js';

const BUS = { topic: 'dep-topic', 'reply-topic': 'dep-reply', 'error-topic': 'dep-error' };
const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
let method = 'POST';   // PUT while editing a deployed function

function annotations() {
  const out = parseLines($('dep-annotations').value);
  for (const [key, id] of Object.entries(BUS)) {
    const v = $(id).value.trim();
    if (v)
      out[key] = v;
  }
  return out;
}

function body() {
  const secrets = $('dep-secrets').value.split(',').map(s => s.trim()).filter(Boolean);
  const b = {
    service: $('dep-name').value.trim(),
    image: $('dep-image').value.trim(),
    envVars: parseLines($('dep-env').value),
    labels: parseLines($('dep-labels').value),
    annotations: annotations(),
  };
  const ns = $('dep-namespace').value.trim();
  const process = $('dep-process').value.trim();
  if (ns)
    b.namespace = ns;
  if (process)
    b.envProcess = process;
  if (secrets.length)
    b.secrets = secrets;
  return b;
}

// What the page can tell before asking the gateway; '' when nothing.
function check(b) {
  if (!NAME.test(b.service))
    return 'Name: lower case letters, digits and \'-\', starting and ending with a letter or digit.';
  if (!b.image)
    return 'Image: required.';
  for (const key of ['reply-topic', 'error-topic'])
    if ((b.annotations[key] || '').includes(','))
      return `${key}: one topic only.`;
  return '';
}

function showError(text) {
  $('deploy-error').textContent = text;
}

async function submit(ev) {
  ev.preventDefault();
  const b = body();
  const problem = check(b);
  showError(problem);
  if (problem)
    return;
  $('dep-submit').disabled = true;
  try {
    await call(method, '/system/functions', b);
    const ns = b.namespace || DEFAULT_NS;
    resetForm();
    location.hash = `#function/${encodeURIComponent(ns)}/${encodeURIComponent(b.service)}`;
  } catch (e) {
    showError(e.message);
  } finally {
    $('dep-submit').disabled = false;
  }
}

function resetForm() {
  $('deploy-form').reset();
  method = 'POST';
  $('dep-name').readOnly = false;
  $('h-deploy').textContent = 'Deploy a function';
  $('dep-submit').textContent = 'Deploy';
}

// Fills the form from a FunctionStatus and sends it as an update.
export function editInForm(st) {
  resetForm();
  method = 'PUT';
  const ann = { ...(st.annotations || {}) };
  for (const [key, id] of Object.entries(BUS)) {
    $(id).value = ann[key] || '';
    delete ann[key];
  }
  $('dep-name').value = st.name;
  $('dep-name').readOnly = true;
  $('dep-namespace').value = st.namespace || '';
  $('dep-image').value = st.image || '';
  $('dep-process').value = st.envProcess || '';
  $('dep-env').value = formatLines(st.envVars);
  $('dep-labels').value = formatLines(st.labels);
  $('dep-annotations').value = formatLines(ann);
  $('dep-secrets').value = (st.secrets || []).join(', ');
  $('h-deploy').textContent = `Edit ${st.name}`;
  $('dep-submit').textContent = 'Update';
  location.hash = '#deploy';
}

export function initDeploy() {
  $('deploy-form').addEventListener('submit', submit);
  // The nav link starts a new deployment; Edit (above) keeps its fields.
  $('nav-deploy').addEventListener('click', resetForm);
}

export function showDeploy() {
  showError('');
}
