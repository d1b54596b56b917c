// Keeps what a person typed in a form, in this browser tab only (sessionStorage), so
// that a form sent after the session or its token expired comes back filled in: the
// server sends the person (through the login page if needed) to the form's page with
// ?reprise=1, and this script puts the values back. Passwords and hidden fields (the
// CSRF token) are never kept; whatever was kept is dropped on the next ordinary page.
(function () {
  'use strict';
  var PREFIX = 'passnum.form:';
  var SKIPPED = { password: true, file: true, hidden: true, submit: true, button: true,
                  reset: true, image: true };
  var body = document.body;

  function clearAll() {
    for (var i = sessionStorage.length - 1; i >= 0; i -= 1) {
      var name = sessionStorage.key(i);
      if (name && name.indexOf(PREFIX) === 0) sessionStorage.removeItem(name);
    }
  }

  function keptFields(form) {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || SKIPPED[el.type]) return;
      if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) return;
      fields.push([el.name, el.value]);
    });
    return fields;
  }

  function save(form) {
    var entry = { action: form.getAttribute('action') || '', fields: keptFields(form) };
    try {
      sessionStorage.setItem(PREFIX + location.pathname, JSON.stringify(entry));
    } catch (err) { /* storage full or refused: the form is simply sent */ }
  }

  function fill(form, fields) {
    fields.forEach(function (pair) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== pair[0] || SKIPPED[el.type]) return;
        if (el.type === 'checkbox' || el.type === 'radio') {
          if (el.value === pair[1]) el.checked = true;
        } else {
          el.value = pair[1];
        }
      });
    });
  }

  function restore() {
    var raw = sessionStorage.getItem(PREFIX + location.pathname);
    clearAll();
    if (!raw) return;
    var entry = JSON.parse(raw);
    var forms = document.querySelectorAll('form[method="post"], form[method="POST"]');
    for (var i = 0; i < forms.length; i += 1) {
      if ((forms[i].getAttribute('action') || '') === entry.action) {
        fill(forms[i], entry.fields);
        return;
      }
    }
  }

  if (body.hasAttribute('data-login-page')) {
    // between the expired form and its page again: keep what was saved, save nothing
  } else if (new URLSearchParams(location.search).get('reprise') === '1') {
    restore();
  } else {
    clearAll();
  }
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (body.hasAttribute('data-login-page') || form.method.toLowerCase() !== 'post') return;
    save(form);
  }, true);
}());
