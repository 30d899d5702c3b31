// app.js -- the portal's views, picked by the URL's #fragment so the back
// button and bookmarks work:
//   #functions                 the live list
//   #function/<ns>/<name>      one function: deployment, invoke, logs
//   #deploy                    the deploy form
//   #topology                  the connectors' routes
//   #queue                     the async queue and its dead letters
// Only the view on screen polls the gateway.
import { $ } from './dom.js';
import { hideDetail, initDetail, showDetail } from './detail.js';
import { initDeploy, showDeploy } from './deploy.js';
import { hideList, initList, showList } from './functions.js';
import { initInvoke } from './invoke.js';
import { hideQueue, initQueue, showQueue } from './queue.js';
import { startStats } from './stats.js';
import { hideTopology, showTopology } from './topology.js';

const VIEWS = ['functions', 'function', 'deploy', 'topology', 'queue'];

function route() {
  const [view, ...rest] = location.hash.replace(/^#/, '').split('/');
  const name = VIEWS.includes(view) && (view !== 'function' || rest.length === 2)
    ? view : 'functions';
  for (const v of VIEWS)
    $(`view-${v}`).hidden = v !== name;
  for (const a of document.querySelectorAll('nav a')) {
    const here = a.id === `nav-${name}` || (name === 'function' && a.id === 'nav-functions');
    if (here)
      a.setAttribute('aria-current', 'page');
    else
      a.removeAttribute('aria-current');
  }
  hideList();
  hideDetail();
  hideTopology();
  hideQueue();
  if (name === 'functions')
    showList();
  else if (name === 'function')
    showDetail(decodeURIComponent(rest[0]), decodeURIComponent(rest[1]));
  else if (name === 'deploy')
    showDeploy();
  else if (name === 'topology')
    showTopology();
  else
    showQueue();
}

function init() {
  initList();
  initDetail();
  initDeploy();
  initInvoke();
  initQueue();
  startStats();
  window.addEventListener('hashchange', () => {
    route();
    $('main').focus();   // keyboard and screen-reader users land on the new view
  });
  route();
}

init();
