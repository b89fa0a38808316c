// Resolution Center, in the browser. Loaded from this origin (the CSP allows no inline script).
(function () {
  'use strict';

  // The navbar's menu button at phone width (components/shell.py): open and close the links.
  document.addEventListener('click', function (e) {
    var toggler = e.target.closest && e.target.closest('#nav-toggler');
    if (!toggler) { return; }
    var menu = document.getElementById(toggler.getAttribute('aria-controls'));
    if (!menu) { return; }
    var open = menu.classList.toggle('show');
    toggler.setAttribute('aria-expanded', open ? 'true' : 'false');
  });

  // Markup the component libraries get wrong, mended as it appears (each a screen-reader or
  // keyboard fault axe-core reports as serious or critical):
  //  - dbc.Tabs points each tab's aria-controls at a pane id it never renders;
  //  - dcc.Dropdown leaves its hidden focus-catcher input in the tab order;
  //  - dcc.DatePickerRange puts aria-expanded on a plain wrapper div;
  function mend(root) {
    root.querySelectorAll('[role="tab"][aria-controls]').forEach(function (tab) {
      if (!document.getElementById(tab.getAttribute('aria-controls'))) { tab.removeAttribute('aria-controls'); }
    });
    root.querySelectorAll('input.dash-dropdown-focus-target[aria-hidden="true"]').forEach(function (input) {
      if (input.getAttribute('tabindex') !== '-1') { input.setAttribute('tabindex', '-1'); }
    });
    root.querySelectorAll('div[aria-expanded]:not([role])').forEach(function (div) {
      div.removeAttribute('aria-expanded');
    });
    // dbc.Toast's icon is an unnamed svg role="img" beside the header's words: decorative.
    root.querySelectorAll('svg[role="img"]:not([aria-label]):not([aria-labelledby]):not([aria-hidden])').forEach(
      function (svg) { if (!svg.querySelector('title')) { svg.setAttribute('aria-hidden', 'true'); } });
    // dcc.Upload's file input has no label of its own (its drop zone's words are not one).
    root.querySelectorAll('input[type="file"]:not([aria-label])').forEach(function (input) {
      if (!input.labels || input.labels.length === 0) { input.setAttribute('aria-label', 'Choose files to attach'); }
    });
    // dcc.DatePickerRange's clear button is a link without a role that carries an aria-label.
    root.querySelectorAll('a.dash-datepicker-clear:not([role])').forEach(function (a) {
      a.setAttribute('role', 'button');
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; mend(document); });
  }).observe(document.documentElement, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['aria-controls', 'aria-hidden', 'aria-expanded', 'tabindex', 'aria-label']});
})();
