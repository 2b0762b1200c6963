// Display helpers: dates, numbers, and a tiny element builder.

const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const monthFmt = new Intl.DateTimeFormat('en-GB', { month: 'short', year: '2-digit' });
const monthLongFmt = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric' });
const numberFmt = new Intl.NumberFormat('en-GB');

/** Parses "2026-03-02" or "2026-03-02T09:00" as a local calendar date/time (no time-zone shift). */
export function parseLocal(iso) {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ](\d{2}):(\d{2}))?/.exec(iso || '');
  if (!m) return null;
  return { date: new Date(+m[1], +m[2] - 1, m[3] ? +m[3] : 1, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0), hasTime: !!m[4] };
}

export function formatDate(iso) {
  const p = parseLocal(iso);
  if (!p) return iso || '';
  return (p.hasTime ? dateTimeFmt : dateFmt).format(p.date);
}
export function formatMonth(yyyymm, long = false) {
  const p = parseLocal(yyyymm);
  return p ? (long ? monthLongFmt : monthFmt).format(p.date) : yyyymm;
}
export const formatNumber = (n) => numberFmt.format(n ?? 0);

/** el('div', {class: 'x', onclick: fn}, child, 'text', …) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'text') node.textContent = v;
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** A <time> element showing a readable date, keeping the ISO value machine-readable. */
export function timeEl(iso) {
  return el('time', { datetime: iso }, formatDate(iso));
}

export const EN_DASH = '\u2013';

/** The statuses from /api/config in the order people read them (the stats bar's), unknown ones last. */
const READING_ORDER = ['certified', 'expiring', 'expired', 'pending', 'failed', 'booked', 'rebooked'];
export function inReadingOrder(statuses) {
  const rank = (s) => { const i = READING_ORDER.indexOf(s.key); return i < 0 ? READING_ORDER.length : i; };
  return [...statuses].sort((a, b) => rank(a) - rank(b));
}

/** A <time> element for an instant ("2026-06-15T10:22:01Z"), shown in the viewer's local time. */
export function instantEl(iso) {
  const d = new Date(iso || '');
  return el('time', { datetime: iso }, Number.isNaN(d.getTime()) ? (iso || '') : dateTimeFmt.format(d));
}
