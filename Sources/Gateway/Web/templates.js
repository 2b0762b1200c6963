// Certificate templates (admin): the list, an editor for one, placeholders as chips, a PDF preview.
import { api, ApiError, fetchBlob, fieldMessage, showTemplateSaveError } from './api.js';
import { el, instantEl } from './format.js';

const $ = (id) => document.getElementById(id);
const FIELDS = { name: 't-name', title: 't-title', body: 't-body', footer: 't-footer', signatory: 't-signatory',
  orientation: 't-orientation', primary_colour: 't-primary', accent_colour: 't-accent', logo_png_base64: 't-logo' };
const MAX_LOGO_BYTES = 2 * 1024 * 1024;

export class TemplatesView {
  constructor(app) {
    this.app = app;
    this.controller = null;
    this.lastText = $('t-body');
    this.previewUrl = null;
    const form = $('template-form');
    form.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    form.addEventListener('input', (e) => this.edited(e.target));
    form.addEventListener('change', (e) => this.edited(e.target));
    for (const input of form.querySelectorAll('[data-placeholders]')) input.addEventListener('focus', () => { this.lastText = input; });
    $('placeholder-chips').addEventListener('click', (e) => {
      const chip = e.target.closest('button[data-placeholder]');
      if (chip) this.insert(chip.dataset.placeholder);
    });
    $('t-logo').addEventListener('change', () => this.readLogo());
    $('t-logo-remove').addEventListener('click', () => { this.logo = null; this.renderLogo(); this.edited($('t-logo')); });
    $('t-preview').addEventListener('click', () => this.preview());
    // A page policy without frame-src blob: refuses to frame the PDF: say so and offer the link.
    document.addEventListener('securitypolicyviolation', (e) => {
      if (!String(e.blockedURI).startsWith('blob') || $('t-preview-box').hidden) return;
      $('t-preview-frame').hidden = true;
      $('t-preview-blocked').hidden = false;
    });
    $('t-revert').addEventListener('click', () => { if (this.current) this.fill(this.current); });
    $('template-list').addEventListener('click', (e) => {
      const link = e.target.closest('a[data-template]');
      if (!link) return;
      e.preventDefault();
      this.app.navigate('templates', new URLSearchParams({ id: link.dataset.template }));
      this.select(link.dataset.template);
    });
    this.reset();
  }

  reset() {
    this.templates = null;
    this.placeholders = [];
    this.current = null;
    this.logo = null;
    this.dirty = false;
  }

  show(params) {
    this.wanted = params.get('id') || '';
    this.app.run(() => this.load(), $('templates-error'));
  }

  async load() {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const list = $('template-list');
    list.parentElement.setAttribute('aria-busy', 'true');
    if (!this.templates) {
      list.replaceChildren(el('li', { class: 'loading-line' }, el('span', { class: 'spinner spinner-small', 'aria-hidden': 'true' }), ' Loading templates…'));
    }
    const answer = await api('GET', '/api/templates', { signal: controller.signal });
    if (controller !== this.controller) return;
    this.templates = answer.templates || [];
    this.placeholders = answer.placeholders || [];
    this.renderList();
    this.renderChips();
    list.parentElement.setAttribute('aria-busy', 'false');
    const id = this.templates.some((t) => t.template_id === this.wanted) ? this.wanted : this.templates[0] && this.templates[0].template_id;
    if (id && (!this.current || this.current.template_id !== id || !this.dirty)) this.select(id);
    if (!id) $('template-form').hidden = true;
  }

  renderList() {
    const list = $('template-list');
    if (!this.templates.length) {
      list.replaceChildren(el('li', { class: 'muted pad' }, 'No templates yet.'));
      return;
    }
    list.replaceChildren(...this.templates.map((t) => el('li', {},
      el('a', { href: `#/templates?id=${encodeURIComponent(t.template_id)}`, dataset: { template: t.template_id },
        'aria-current': this.current && this.current.template_id === t.template_id ? 'true' : null },
      el('span', { class: 'swatch', style: null, dataset: { colour: t.primary_colour } }),
      el('span', { class: 'template-name' }, t.name || t.template_id),
      el('span', { class: 'template-meta muted' }, `${t.orientation === 'portrait' ? 'Portrait' : 'Landscape'} · revision ${t.revision}`)))));
    // Colours through the CSSOM (the page's policy allows no inline style attributes).
    for (const swatch of list.querySelectorAll('.swatch[data-colour]')) swatch.style.background = swatch.dataset.colour;
  }

  renderChips() {
    $('placeholder-chips').replaceChildren(...this.placeholders.map((p) =>
      el('button', { type: 'button', class: 'chip', dataset: { placeholder: p }, 'aria-label': `Insert ${p}` }, p)));
  }

  select(id) {
    const t = this.templates.find((x) => x.template_id === id);
    if (!t) return;
    if (this.dirty && this.current && this.current.template_id !== id &&
        !window.confirm(`Discard the unsaved changes to ${this.current.name}?`)) return;
    this.fill(t);
    this.renderList();
  }

  fill(t) {
    this.current = t;
    this.logo = t.logo_png_base64 || null;
    $('template-form').hidden = false;
    $('template-heading').textContent = t.name || t.template_id;
    $('template-revision').replaceChildren(`Revision ${t.revision}`, ...(t.updated_at ? [' · saved ', instantEl(t.updated_at)] : []),
      t.updated_by ? ` by ${t.updated_by}` : '');
    for (const [key, id] of Object.entries(FIELDS)) {
      if (key === 'logo_png_base64') continue;
      const input = $(id);
      input.value = t[key] ?? (input.type === 'color' ? '#000000' : '');
    }
    $('t-logo').value = '';
    this.renderLogo();
    this.renderColours();
    $('t-preview-card').hidden = false;
    this.clearErrors();
    this.dirty = false;
    $('t-save').disabled = true;
    $('t-revert').disabled = true;
    this.hidePreview();
  }

  edited(target) {
    if (!target || !target.closest('#template-form') || !this.current) return;
    if (target.name === 'logo_png_base64' && target.type === 'file') return; // readLogo() marks it
    this.dirty = true;
    $('t-save').disabled = false;
    $('t-revert').disabled = false;
    this.clearError(target.name);
    if (target.type === 'color') this.renderColours();
  }

  /** The template as the form shows it. */
  value() {
    const t = { ...this.current };
    for (const [key, id] of Object.entries(FIELDS)) {
      if (key === 'logo_png_base64') continue;
      t[key] = $(id).value;
    }
    t.logo_png_base64 = this.logo;
    return t;
  }

  insert(placeholder) {
    const input = this.lastText || $('t-body');
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.setRangeText(placeholder, start, end, 'end');
    input.focus();
    this.edited(input);
  }

  // MARK: logo → base64 PNG

  async readLogo() {
    const input = $('t-logo');
    const file = input.files[0];
    this.clearError('logo_png_base64');
    if (!file) return;
    if (!/^image\/(png|jpeg|svg\+xml)$/.test(file.type)) { this.fieldError('logo_png_base64', `${file.name} is not a PNG, JPEG or SVG image.`); return; }
    if (file.size > MAX_LOGO_BYTES) { this.fieldError('logo_png_base64', `${file.name} is over 2 MB: use a smaller logo.`); return; }
    try {
      this.logo = file.type === 'image/png' ? await this.base64(file) : await this.toPng(file);
    } catch {
      this.fieldError('logo_png_base64', `${file.name} could not be read as an image.`);
      return;
    }
    this.renderLogo();
    this.dirty = true;
    $('t-save').disabled = false;
    $('t-revert').disabled = false;
  }

  base64(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  /** Draws a JPEG or SVG onto a canvas (at most 1200 px wide) and answers it as base64 PNG. */
  async toPng(file) {
    const bitmapUrl = URL.createObjectURL(file);
    try {
      const img = new Image();
      await new Promise((resolve, reject) => { img.onload = resolve; img.onerror = reject; img.src = bitmapUrl; });
      const scale = Math.min(1, 1200 / (img.naturalWidth || 1200));
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round((img.naturalWidth || 300) * scale));
      canvas.height = Math.max(1, Math.round((img.naturalHeight || 150) * scale));
      canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
      return canvas.toDataURL('image/png').replace(/^data:[^,]*,/, '');
    } finally {
      URL.revokeObjectURL(bitmapUrl);
    }
  }

  renderColours() {
    $('t-primary-value').textContent = $('t-primary').value;
    $('t-accent-value').textContent = $('t-accent').value;
  }

  renderLogo() {
    const box = $('t-logo-preview');
    box.replaceChildren(this.logo
      ? el('img', { src: `data:image/png;base64,${this.logo}`, alt: 'The current logo' })
      : el('span', { class: 'muted' }, 'No logo'));
    $('t-logo-remove').disabled = !this.logo;
  }

  // MARK: errors next to the fields

  fieldError(field, message) {
    const id = FIELDS[field];
    if (!id) {
      const box = $('template-form-error');
      box.textContent = message;
      box.hidden = false;
      return;
    }
    const input = $(id);
    const errorId = `${id}-error`;
    let box = $(errorId);
    if (!box) {
      box = el('div', { id: errorId, class: 'field-error', role: 'alert' });
      input.closest('.field').append(box);
    }
    box.textContent = message;
    box.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', errorId);
  }

  clearError(field) {
    const id = FIELDS[field];
    if (!id) return;
    const box = $(`${id}-error`);
    if (box) box.hidden = true;
    $(id).removeAttribute('aria-invalid');
  }

  clearErrors() {
    for (const field of Object.keys(FIELDS)) this.clearError(field);
    $('template-form-error').hidden = true;
  }

  // MARK: save and preview

  async save() {
    if (!this.current) return;
    this.clearErrors();
    const t = this.value();
    if (!t.title.trim()) { this.fieldError('title', 'Give the certificate a title.'); $('t-title').focus(); return; }
    const button = $('t-save');
    button.disabled = true;
    button.textContent = 'Saving…';
    try {
      const saved = await api('PUT', `/api/templates/${encodeURIComponent(t.template_id)}`, { body: t });
      const i = this.templates.findIndex((x) => x.template_id === saved.template_id);
      if (i >= 0) this.templates[i] = saved;
      this.fill(saved);
      this.renderList();
      this.app.toast(`${saved.name || 'The template'} is saved (revision ${saved.revision}).`);
    } catch (e) {
      showTemplateSaveError(e, { app: this.app, button, fields: FIELDS, fieldError: (field, message) => this.fieldError(field, message) });
    } finally {
      button.textContent = 'Save';
    }
  }

  async preview() {
    if (!this.current) return;
    const button = $('t-preview');
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Rendering…';
    this.clearErrors();
    try {
      const blob = await fetchBlob('/api/templates/preview', this.value());
      this.hidePreview();
      this.previewUrl = URL.createObjectURL(blob.type === 'application/pdf' ? blob : new Blob([blob], { type: 'application/pdf' }));
      const box = $('t-preview-box');
      const frame = $('t-preview-frame');
      frame.hidden = false;
      $('t-preview-blocked').hidden = true;
      frame.src = this.previewUrl;
      const link = $('t-preview-link');
      link.href = this.previewUrl;
      link.download = `${(this.current.name || 'template').replace(/[^\w.-]+/g, '-')}-preview.pdf`;
      box.dataset.bytes = String(blob.size);
      box.hidden = false;
      $('t-preview-empty').hidden = true;
      $('t-preview-title').textContent = `Preview (${this.value().orientation === 'portrait' ? 'portrait' : 'landscape'}, unsaved changes included)`;
      box.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'unauthenticated') { this.app.run(() => Promise.reject(e)); return; }
      if (e instanceof ApiError && e.field && FIELDS[e.field]) this.fieldError(e.field, fieldMessage(e));
      else this.fieldError(null, e instanceof ApiError && e.unavailable ? 'The preview could not be made: the service is not reachable right now.' : `The preview could not be made: ${e.message}`);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = 'Preview';
    }
  }

  hidePreview() {
    $('t-preview-box').hidden = true;
    $('t-preview-empty').hidden = false;
    $('t-preview-frame').removeAttribute('src');
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = null;
  }
}
