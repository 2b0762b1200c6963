// The portal's shell: configuration and branding, log-in, navigation, the service banner, toasts.
import { api, ApiError, setCsrfToken } from './api.js';
import { el } from './format.js';
import { RecordsView } from './records.js';
import { MatrixView } from './matrix.js';
import { ForecastView } from './forecast.js';
import { TemplatesView } from './templates.js';
import { EmailView } from './email.js';

const $ = (id) => document.getElementById(id);
const ROLE_TITLES = { admin: 'Admin', orgrep: 'Org rep', booker: 'Booker' };
const VIEWS = ['records', 'matrix', 'forecast', 'templates', 'email'];
const ADMIN_VIEWS = ['templates', 'email'];
const BANNER_TEXT = 'The records service is not reachable right now — retrying…';

const app = {
  config: null,
  user: null,
  views: {},
  current: null,
  toast,
  run,
  navigate,
};

// MARK: routing ("#/records?from=…" keeps a view's filters across reloads)

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [name, query = ''] = raw.split('?');
  let view = VIEWS.includes(name) ? name : 'records';
  if (ADMIN_VIEWS.includes(view) && !(app.user && app.user.role === 'admin')) view = 'records';
  return { view, params: new URLSearchParams(query) };
}

/** Replaces the URL's hash without a navigation (a view keeps its own state in it). */
function navigate(view, params, { replace = true } = {}) {
  const q = params && params.toString();
  const hash = `#/${view}${q ? `?${q}` : ''}`;
  if (location.hash === hash) return;
  if (replace) history.replaceState(null, '', hash); else history.pushState(null, '', hash);
  if (view === 'records') document.querySelector('#main-nav a[data-view="records"]').setAttribute('href', hash);
}

function route() {
  if (!app.user) return;
  const { view, params } = parseHash();
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close(); // a popup belongs to the view it was opened on
  for (const name of VIEWS) $(`${name}-view`).hidden = name !== view;
  for (const a of document.querySelectorAll('#main-nav a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const titles = { records: 'Records', matrix: 'Training matrix', forecast: 'Plan ahead', templates: 'Templates', email: 'E-mail' };
  document.title = `${titles[view]} · ${app.config.provider.name}`;
  app.current = app.views[view];
  app.current.show(params);
}

// MARK: loading with recovery

let retryTimer = null;
let retryDelay = 2000;
let bannerShown = false;

/**
 * Runs a view's load. A service that is down shows the banner and retries with back-off until
 * it answers; 401 goes back to the log-in; anything else is shown in the view's error box.
 */
async function run(load, errorBox) {
  try {
    await load();
    if (errorBox) errorBox.hidden = true;
    recovered();
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    if (e instanceof ApiError && e.code === 'unauthenticated') { showLogin(); return; }
    if (e instanceof ApiError && e.unavailable) { unavailable(); return; }
    console.error(e);
    if (errorBox) {
      errorBox.textContent = e instanceof ApiError ? e.message : 'Something went wrong while showing this page. Please reload.';
      errorBox.hidden = false;
    }
  }
}

function unavailable() {
  const banner = $('service-banner');
  banner.replaceChildren(el('span', { class: 'spinner spinner-small', 'aria-hidden': 'true' }), el('span', {}, BANNER_TEXT));
  banner.hidden = false;
  bannerShown = true;
  document.body.classList.add('is-degraded');
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => (app.config ? (app.user ? route() : boot()) : boot()), retryDelay);
  retryDelay = Math.min(Math.round(retryDelay * 1.5), 8000);
}

function recovered() {
  retryDelay = 2000;
  clearTimeout(retryTimer);
  if (!bannerShown) return;
  bannerShown = false;
  $('service-banner').hidden = true;
  document.body.classList.remove('is-degraded');
  toast('Connected again — the page is up to date.');
}

// MARK: toasts

function toast(message, kind = 'success') {
  const node = el('div', { class: `toast toast-${kind}` }, message);
  $('toasts').append(node);
  setTimeout(() => { node.classList.add('toast-leaving'); setTimeout(() => node.remove(), 300); }, 5000);
}

// MARK: branding

function applyBranding(provider) {
  const colour = /^#[0-9a-f]{6}$/i.test(provider.colour || '') ? provider.colour : '#1f6feb';
  const root = document.documentElement.style;
  root.setProperty('--brand', colour);
  root.setProperty('--brand-ink', readableInk(colour));
  root.setProperty('--brand-strong', darken(colour));
  $('brand-name').textContent = provider.name;
  $('footer-text').textContent = `${provider.name} · Certification Portal`;
  $('login-title').textContent = `Log in to ${provider.name}`;
  const logo = $('brand-logo');
  logo.replaceChildren();
  if (provider.logo_url) {
    logo.append(el('img', { src: provider.logo_url, alt: '' }));
  } else {
    const initials = provider.name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
    logo.append(el('span', { class: 'brand-initials' }, initials || 'CP'));
  }
}

function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
/** White or near-black, whichever reads better on the brand colour. */
function readableInk(hex) {
  const l = luminance(hex);
  return (1.05 / (l + 0.05)) >= ((l + 0.05) / 0.05) ? '#ffffff' : '#111827';
}
/** The brand colour darkened until white text on it passes 4.5:1 (for links and buttons). */
function darken(hex) {
  let [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  for (let i = 0; i < 20; i++) {
    const h = '#' + [r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('');
    if (1.05 / (luminance(h) + 0.05) >= 4.6) return h;
    [r, g, b] = [r, g, b].map((c) => Math.round(c * 0.88));
  }
  return '#1f2937';
}

// MARK: session

function showLogin(message) {
  app.user = null;
  setCsrfToken(null);
  $('boot').hidden = true;
  $('main-nav').hidden = true;
  $('user-box').hidden = true;
  for (const name of VIEWS) $(`${name}-view`).hidden = true;
  $('login-view').hidden = false;
  document.body.classList.add('is-login');
  document.title = `Log in · ${app.config ? app.config.provider.name : 'Certification Portal'}`;
  const error = $('login-error');
  if (message) { error.textContent = message; error.hidden = false; }
  $('login-email').focus();
}

function signedIn(session) {
  app.user = session.user;
  setCsrfToken(session.csrf_token);
  $('boot').hidden = true;
  $('login-view').hidden = true;
  document.body.classList.remove('is-login');
  $('main-nav').hidden = false;
  $('user-box').hidden = false;
  $('user-email').textContent = app.user.email;
  $('user-role').textContent = ROLE_TITLES[app.user.role] || app.user.role;
  document.body.dataset.role = app.user.role;
  for (const a of document.querySelectorAll('#main-nav [data-admin-only]')) a.hidden = app.user.role !== 'admin';
  // Views bind their controls once; each reads app.user when it shows, so a new log-in starts afresh.
  if (!app.views.records) {
    app.views = { records: new RecordsView(app), matrix: new MatrixView(app), forecast: new ForecastView(app), templates: new TemplatesView(app),
      email: new EmailView(app) };
  }
  for (const view of Object.values(app.views)) view.reset();
  route();
}

async function logIn(event) {
  event.preventDefault();
  const email = $('login-email');
  const password = $('login-password');
  const error = $('login-error');
  const submit = $('login-submit');
  error.hidden = true;
  for (const input of [email, password]) input.removeAttribute('aria-invalid');
  if (!email.value.trim() || !password.value) {
    const missing = !email.value.trim() ? email : password;
    error.textContent = !email.value.trim() ? 'Enter your e-mail address.' : 'Enter your password.';
    error.hidden = false;
    missing.setAttribute('aria-invalid', 'true');
    missing.focus();
    return;
  }
  submit.disabled = true;
  submit.setAttribute('aria-busy', 'true');
  submit.textContent = 'Logging in…';
  try {
    const session = await api('POST', '/api/session', { body: { email: email.value.trim(), password: password.value } });
    password.value = '';
    signedIn(session);
  } catch (e) {
    let message = e.message;
    if (e instanceof ApiError) {
      if (e.status === 429) {
        message = 'Too many failed attempts: this account is locked for now. Please wait a few minutes and try again.';
        const after = Number(e.retryAfter);
        if (after > 0) message = `Too many failed attempts: this account is locked. Try again in ${Math.ceil(after / 60)} minute${after > 60 ? 's' : ''}.`;
      } else if (e.status === 401) {
        message = e.message || 'The e-mail or password is not right.';
      } else if (e.unavailable) {
        message = 'The portal is not reachable right now. Please try again in a moment.';
      }
      const field = e.field === 'email' ? email : e.field === 'password' ? password : null;
      if (field) field.setAttribute('aria-invalid', 'true');
    }
    error.textContent = message;
    error.hidden = false;
    password.select();
    password.focus();
  } finally {
    submit.disabled = false;
    submit.removeAttribute('aria-busy');
    submit.textContent = 'Log in';
  }
}

async function logOut() {
  try { await api('DELETE', '/api/session'); } catch { /* logged out locally regardless */ }
  location.hash = '';
  showLogin();
}

// MARK: start

async function boot() {
  try {
    app.config = await api('GET', '/api/config');
    applyBranding(app.config.provider);
    recovered();
  } catch (e) {
    if (e instanceof ApiError && e.unavailable) { unavailable(); return; }
    $('boot').textContent = `The portal could not start: ${e.message}`;
    return;
  }
  try {
    signedIn(await api('GET', '/api/session'));
  } catch (e) {
    if (e instanceof ApiError && e.unavailable) { unavailable(); return; }
    showLogin();
  }
}

$('login-form').addEventListener('submit', logIn);
$('logout-button').addEventListener('click', logOut);
window.addEventListener('hashchange', route);
boot();
