// Quarry admin: progressive enhancement for pages that work without it.
//
// Loaded with defer from /static/js/admin.js; the Content-Security-Policy
// allows no inline script, so everything is wired here by event delegation
// on the document, which also covers content htmx swaps in later.
//
//  - change lists: the "select all" box, shift-click ranges, the
//    "N of M selected" counter, "Select all N objects" (select_across),
//    and a warning before an action would drop unsaved editable fields;
//  - change forms: prepopulated fields (a slug filled from the title as the
//    user types), from the form's data-prepopulated JSON;
//  - autocomplete widgets: the key input becomes hidden, the search box
//    appears, and a clicked result fills the key;
//  - inlines: "Add another" sends the form count and counts the new form in;
//  - many-to-many fields of FilterHorizontal and FilterVertical: the two
//    lists, available and chosen, with a filter and buttons to move entries.
'use strict';

(() => {
  document.documentElement.classList.add('js');

  // ---- Change list actions -------------------------------------------------

  const actionBoxes = () => Array.from(document.querySelectorAll('input.action-select'));
  let lastChecked = null;

  function updateCounter() {
    const boxes = actionBoxes();
    const n = boxes.filter((b) => b.checked).length;
    const all = boxes.length > 0 && n === boxes.length;
    // select_across: every page's objects, offered once the page is ticked.
    const across = document.querySelector('input.select-across');
    if (across && !all) across.value = '0';
    const acrossOn = across?.value === '1';
    for (const q of document.querySelectorAll('.action-question')) q.hidden = !all || acrossOn;
    for (const a of document.querySelectorAll('.action-all')) a.hidden = !acrossOn;
    for (const c of document.querySelectorAll('.action-counter')) {
      c.textContent = `${n} of ${boxes.length} selected`;
      c.hidden = boxes.length === 0 || acrossOn;
    }
    const toggle = document.getElementById('action-toggle');
    if (toggle) {
      toggle.checked = boxes.length > 0 && n === boxes.length;
      toggle.indeterminate = n > 0 && n < boxes.length;
    }
    for (const b of boxes) b.closest('tr')?.classList.toggle('selected', b.checked);
  }

  document.addEventListener('click', (e) => {
    const acrossButton = e.target.closest?.('.select-across-button, .clear-selection-button');
    if (acrossButton) {
      const on = acrossButton.matches('.select-across-button');
      for (const i of document.querySelectorAll('input.select-across')) i.value = on ? '1' : '0';
      if (!on) for (const b of actionBoxes()) b.checked = false;
      updateCounter();
      return;
    }
    const box = e.target.closest?.('input.action-select');
    if (!box) return;
    if (e.shiftKey && lastChecked && lastChecked !== box) {
      const boxes = actionBoxes();
      const [a, b] = [boxes.indexOf(lastChecked), boxes.indexOf(box)].sort((x, y) => x - y);
      if (a >= 0) for (const other of boxes.slice(a, b + 1)) other.checked = box.checked;
    }
    lastChecked = box;
    updateCounter();
  });

  document.addEventListener('change', (e) => {
    if (e.target.id === 'action-toggle') {
      for (const b of actionBoxes()) b.checked = e.target.checked;
      updateCounter();
    } else if (e.target.matches('input.action-select')) {
      updateCounter();
    }
  });

  // ---- Unsaved list edits ------------------------------------------------------

  // Running an action reloads the list: edits typed in its editable
  // columns (inputs named form-<i>-<field>) and not saved would be lost
  // without a word. As Django's actions.js, ask first.
  const unsavedEdits =
    'You have unsaved changes on individual editable fields. If you run an action, your unsaved changes will be lost.';

  function edited(input) {
    if (input.type === 'hidden' || input.disabled) return false;
    if (input.type === 'checkbox' || input.type === 'radio') return input.checked !== input.defaultChecked;
    if (input.tagName === 'SELECT') return Array.from(input.options).some((o) => o.selected !== o.defaultSelected);
    return input.value !== input.defaultValue;
  }

  function listEdited(form) {
    return Array.from(form.querySelectorAll('#result_list input, #result_list select, #result_list textarea')).some(
      (el) => /^form-\d+-/.test(el.name) && edited(el),
    );
  }

  document.addEventListener('submit', (e) => {
    const form = e.target;
    if (form.id !== 'changelist-form' || e.submitter?.name !== 'index') return;
    if (listEdited(form) && !window.confirm(unsavedEdits)) e.preventDefault();
  });

  // ---- Prepopulated fields ----------------------------------------------------

  // urlify is Django's URLify: accents dropped, lowercase, other characters
  // than letters, digits, underscores, hyphens and spaces removed, spaces and
  // hyphens collapsed to one hyphen, cut to max characters.
  function urlify(s, max) {
    s = s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    s = s.replace(/[^-\w\s]/g, '').trim().replace(/[-\s]+/g, '-');
    return s.slice(0, max).replace(/-+$/, '');
  }

  function prepopulate(form) {
    let entries;
    try {
      entries = JSON.parse(form.dataset.prepopulated || '[]');
    } catch {
      return;
    }
    for (const { Target, Source } of entries) {
      const target = document.getElementById(Target);
      const sources = (Source || []).map((id) => document.getElementById(id)).filter(Boolean);
      if (!target || sources.length === 0) continue;
      const max = target.maxLength > 0 ? target.maxLength : 50;
      const value = () => urlify(sources.map((s) => s.value).join(' '), max);
      // A slug that is already there and not what the sources give was
      // chosen by someone: leave it alone.
      let edited = target.value !== '' && target.value !== value();
      target.addEventListener('input', () => {
        edited = target.value !== '';
      });
      for (const s of sources) {
        s.addEventListener('input', () => {
          if (!edited) target.value = value();
        });
      }
    }
  }

  // ---- Autocomplete ---------------------------------------------------------

  function enhanceAutocomplete(widget) {
    const key = widget.querySelector('.autocomplete-key');
    const search = widget.querySelector('.autocomplete-search');
    if (!key || !search) return;
    // The label names the search box from now on; a hidden input has none.
    for (const label of Array.from(key.labels ?? [])) label.htmlFor = search.id;
    key.type = 'hidden';
  }

  function choose(widget, value, text) {
    const key = widget.querySelector('.autocomplete-key');
    const display = widget.querySelector('.autocomplete-display');
    const search = widget.querySelector('.autocomplete-search');
    const results = widget.querySelector('.autocomplete-results');
    if (key) {
      key.value = value;
      key.dispatchEvent(new Event('change', { bubbles: true }));
    }
    if (display) display.textContent = text;
    if (results) results.replaceChildren();
    if (search) {
      search.value = '';
      search.focus();
    }
  }

  // widgetFor finds the widget a result belongs to: the one it sits in, or
  // the one whose key input Options.Field names by id or name.
  function widgetFor(el) {
    const inside = el.closest('[data-autocomplete]');
    if (inside) return inside;
    const field = el.dataset.field;
    if (!field) return null;
    const key = document.getElementById(field) || document.getElementsByName(field)[0];
    return key?.closest('[data-autocomplete]') ?? null;
  }

  document.addEventListener('click', (e) => {
    const option = e.target.closest?.('.autocomplete-option');
    if (option) {
      const widget = widgetFor(option);
      if (widget) choose(widget, option.dataset.value ?? '', option.dataset.label ?? option.textContent);
      return;
    }
    const clear = e.target.closest?.('.autocomplete-clear');
    if (clear) {
      const widget = clear.closest('[data-autocomplete]');
      if (widget) choose(widget, '', '');
    }
  });

  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !e.target.matches?.('.autocomplete-search')) return;
    e.target.closest('[data-autocomplete]')?.querySelector('.autocomplete-results')?.replaceChildren();
  });

  // ---- Inline "Add another" --------------------------------------------------

  // The request carries the current TOTAL_FORMS as total too: the new form
  // is numbered from it.
  document.addEventListener('htmx:configRequest', (e) => {
    const button = e.detail.elt;
    if (!button?.matches?.('.add-inline')) return;
    const total = document.getElementById(button.dataset.totalForms);
    if (total) e.detail.parameters.total = total.value;
  });

  // Once the form is in, TOTAL_FORMS counts it, and at MAX_NUM_FORMS the
  // button goes.
  document.addEventListener('htmx:afterSwap', (e) => {
    const forms = e.target;
    if (!forms?.matches?.('[data-inline-forms]')) return;
    const group = forms.closest('.inline-group');
    const total = group?.querySelector('input.total-forms');
    if (!total) return;
    const n = forms.querySelectorAll(':scope > tr.form-row, :scope > .inline-related').length;
    total.value = String(n);
    const max = Number(group.querySelector('input.max-forms')?.value);
    if (max > 0 && n >= max) group.querySelector('.add-row')?.setAttribute('hidden', '');
  });

  // ---- Two-list selector (filter_horizontal, filter_vertical) --------------
  // The multiple select stays the form's input, hidden: the two lists and
  // their buttons only change which of its options are selected.

  function enhanceFilter(select) {
    const name = select.dataset.filterName || '';
    const make = (tag, cls, text) => {
      const el = document.createElement(tag);
      el.className = cls;
      if (text) el.textContent = text;
      return el;
    };
    const list = (label) => {
      const l = make('select', 'selector-list');
      l.multiple = true;
      l.size = Math.max(select.size || 0, 10);
      l.setAttribute('aria-label', label);
      return l;
    };
    const button = (text, cls) => {
      const b = make('button', `button ${cls}`, text);
      b.type = 'button';
      return b;
    };
    const filter = make('input', 'selector-filter');
    filter.type = 'search';
    filter.placeholder = 'Filter';
    filter.setAttribute('aria-label', `Filter the available ${name}`);
    const from = list(`Available ${name}`);
    const to = list(`Chosen ${name}`);
    const add = button('Choose →', 'selector-add');
    const remove = button('← Remove', 'selector-remove');
    const chooseAll = button('Choose all', 'selector-chooseall');
    const removeAll = button('Remove all', 'selector-removeall');
    const available = make('div', 'selector-available');
    available.append(make('p', 'selector-title', `Available ${name}`), filter, from, chooseAll);
    const chosen = make('div', 'selector-chosen');
    chosen.append(make('p', 'selector-title', `Chosen ${name}`), to, removeAll);
    const chooser = make('div', 'selector-chooser');
    chooser.append(add, remove);
    const box = make('div', `selector selector-${select.dataset.filter}`);
    box.append(available, chooser, chosen);
    select.hidden = true;
    select.after(box);

    const render = () => {
      const q = filter.value.trim().toLowerCase();
      from.replaceChildren();
      to.replaceChildren();
      for (const o of select.options) {
        if (o.selected) to.append(new Option(o.text, o.value));
        else if (!q || o.text.toLowerCase().includes(q)) from.append(new Option(o.text, o.value));
      }
    };
    const move = (options, on) => {
      const values = new Set([...options].map((o) => o.value));
      for (const o of select.options) if (values.has(o.value)) o.selected = on;
      render();
      select.dispatchEvent(new Event('change', { bubbles: true }));
    };
    add.addEventListener('click', () => move(from.selectedOptions, true));
    remove.addEventListener('click', () => move(to.selectedOptions, false));
    chooseAll.addEventListener('click', () => move(from.options, true));
    removeAll.addEventListener('click', () => move(to.options, false));
    from.addEventListener('dblclick', () => move(from.selectedOptions, true));
    to.addEventListener('dblclick', () => move(to.selectedOptions, false));
    filter.addEventListener('input', render);
    filter.addEventListener('keydown', (e) => {
      // Enter chooses what the filter left, instead of submitting the form.
      if (e.key !== 'Enter') return;
      e.preventDefault();
      move(from.options, true);
    });
    render();
  }

  // ---- Start, and again on what htmx adds -----------------------------------

  function enhance(root) {
    const within = (sel) => [...(root.matches?.(sel) ? [root] : []), ...root.querySelectorAll(sel)];
    for (const w of within('[data-autocomplete]:not([data-enhanced])')) {
      w.dataset.enhanced = '';
      enhanceAutocomplete(w);
    }
    for (const f of within('form[data-prepopulated]:not([data-enhanced])')) {
      f.dataset.enhanced = '';
      prepopulate(f);
    }
    for (const s of within('select[data-filter]:not([data-enhanced])')) {
      s.dataset.enhanced = '';
      enhanceFilter(s);
    }
  }

  enhance(document);
  updateCounter();
  document.addEventListener('htmx:load', (e) => enhance(e.target));
  document.addEventListener('htmx:afterSettle', updateCounter);
})();
