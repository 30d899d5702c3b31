// api.js -- the gateway's REST API, called from the page's own origin.
//
// Paths are joined to location.origin, never resolved against the page's
// URL: that URL may carry user:password@, and fetch refuses such URLs.
// The browser adds the basic-auth credentials it used for the page.

export const DEFAULT_NS = 'openfaas-fn';
const base = location.origin;

export class ApiError extends Error {
  constructor(status, text) {
    super(text);
    this.status = status;
  }
}

export function url(path) {
  return base + path;
}

// Sends a JSON body (when given) and returns the parsed JSON answer, or its
// text; a refusal throws ApiError carrying the gateway's own message.
export async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(url(path), init);
  const text = await r.text();
  if (!r.ok)
    throw new ApiError(r.status, `${r.status} ${text.trim() || r.statusText}`);
  const json = (r.headers.get('Content-Type') || '').includes('json');
  return json && text ? JSON.parse(text) : text;
}

// The name /function/ and /async-function/ take: name.namespace outside
// the default namespace, as OpenFaaS spells it.
export function callName(name, ns) {
  return ns && ns !== DEFAULT_NS ? `${name}.${ns}` : name;
}

export function nsQuery(ns) {
  return ns ? `namespace=${encodeURIComponent(ns)}` : '';
}
