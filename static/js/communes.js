// Offers the communes of a typed postal code in a form's commune <select>.
//
// Markup (any form; the page works without this script, the server then offers the
// choice from the postal code it received):
//   <input id="postal_code" name="postal_code" inputmode="numeric">
//   <select name="commune_insee" data-commune-for="postal_code"
//           data-commune-url="/communes" data-commune-status="commune-status">
//     <option value="">Choisissez la commune</option>
//   </select>
//   <p id="commune-status" aria-live="polite"></p>   (optional)
// When the postal code reaches five digits, the select is filled from
// GET /communes?code_postal=…; a single commune is preselected, a commune already chosen
// stays chosen if the new code serves it too.
(function () {
  'use strict';
  var DIGITS = /^\d{5}$/;

  function setStatus(select, text) {
    var id = select.getAttribute('data-commune-status');
    var status = id && document.getElementById(id);
    if (status) status.textContent = text;
  }

  function placeholderOf(select) {
    var first = select.options[0];
    if (first && first.value === '') return first;
    var option = document.createElement('option');
    option.value = '';
    option.textContent = select.getAttribute('data-commune-placeholder') ||
      'Choisissez la commune';
    return option;
  }

  function fill(select, communes) {
    var kept = select.value;
    var placeholder = placeholderOf(select);
    while (select.options.length) select.remove(0);
    select.appendChild(placeholder);
    communes.forEach(function (commune) {
      var option = document.createElement('option');
      option.value = commune.insee;
      option.textContent = commune.name;
      select.appendChild(option);
    });
    var values = communes.map(function (c) { return c.insee; });
    if (values.indexOf(kept) >= 0) select.value = kept;
    else if (communes.length === 1) select.value = communes[0].insee;
    else select.value = '';
    select.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function describe(count) {
    if (count === 0) return 'Aucune commune connue pour ce code postal.';
    if (count === 1) return 'Une commune pour ce code postal.';
    return count + ' communes pour ce code postal : choisissez la vôtre.';
  }

  function attach(select) {
    var input = document.getElementById(select.getAttribute('data-commune-for'));
    if (!input) return;
    var url = select.getAttribute('data-commune-url') || '/communes';
    var asked = '';
    var sequence = 0;
    // options the server already offered for the code in the field are kept as they are
    if (select.options.length > 1) asked = input.value.replace(/\s+/g, '');

    function update() {
      var code = input.value.replace(/\s+/g, '');
      if (code === asked) return;
      asked = code;
      var mine = ++sequence;
      if (!DIGITS.test(code)) {
        if (select.options.length > 1) fill(select, []);
        setStatus(select, '');
        return;
      }
      select.setAttribute('aria-busy', 'true');
      fetch(url + '?code_postal=' + encodeURIComponent(code), {
        credentials: 'same-origin', headers: { Accept: 'application/json' }
      }).then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      }).then(function (communes) {
        if (mine !== sequence) return;  // a later code was typed meanwhile
        fill(select, communes);
        setStatus(select, describe(communes.length));
      }).catch(function () {
        if (mine !== sequence) return;
        asked = '';  // try again on the next change
        setStatus(select, 'La liste des communes n\u2019a pas pu être chargée : ' +
          'choisissez-la après avoir envoyé le formulaire.');
      }).then(function () {
        if (mine === sequence) select.removeAttribute('aria-busy');
      });
    }

    input.addEventListener('input', update);
    input.addEventListener('change', update);
    update();
  }

  Array.prototype.forEach.call(document.querySelectorAll('select[data-commune-for]'), attach);
}());
