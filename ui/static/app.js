// SPDX-License-Identifier: Apache-2.0
// Hearth: UI behaviour only (keys, focus, scrolling). Every state change is an htmx request
// answered by the server with HTML; nothing here decides what the page shows.
// Runs under CSP script-src 'self': no eval, no inline handlers, no element.style.
(function () {
  'use strict';

  function messagesList() {
    return document.getElementById('messages');
  }

  // Shows the newest message: scrolls the list when it is its own scroll box (wide windows),
  // and brings the composer into view when the whole page scrolls (narrow windows).
  function scrollToNewest() {
    var list = messagesList();
    if (!list) return;
    list.scrollTop = list.scrollHeight;
    var composer = document.getElementById('composer');
    if (composer && typeof composer.scrollIntoView === 'function') {
      composer.scrollIntoView({ block: 'nearest' });
    }
  }

  function isFocusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !document.contains(active);
  }

  // Enter sends, Shift+Enter adds a line; never interrupt an input method's composition.
  document.addEventListener('keydown', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;

    if (event.key === 'Enter' && target.id === 'composer-input') {
      if (event.shiftKey || event.altKey || event.isComposing || event.keyCode === 229) return;
      var form = target.form;
      if (!form) return;
      event.preventDefault();
      if (typeof form.requestSubmit === 'function') {
        form.requestSubmit();
      } else {
        form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
      }
      return;
    }

    if (event.key === 'Escape' && !event.isComposing) {
      var scope = target.closest('.rename, .confirming, .editing');
      if (!scope) return;
      var cancel = scope.querySelector('[data-cancel]');
      if (cancel) {
        event.preventDefault();
        cancel.click();
      }
    }
  });

  // Copy buttons: data-copy holds the text to copy (a message's Markdown); an empty one copies
  // the code block that follows the button. The result is said in the live region.
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var button = target.closest('[data-copy]');
    if (!button) return;
    var text = button.getAttribute('data-copy');
    if (text === '') {
      var block = button.nextElementSibling;
      text = block ? block.textContent : '';
    }
    var status = document.getElementById('copy-status');
    function say(words) {
      if (!status) return;
      status.textContent = '';
      // A change of text is what screen readers announce: set it anew each time.
      window.setTimeout(function () { status.textContent = words; }, 0);
    }
    if (!navigator.clipboard || typeof navigator.clipboard.writeText !== 'function') {
      say('Copying is not available here: select the text and copy it with Ctrl+C');
      return;
    }
    navigator.clipboard.writeText(text).then(function () {
      say('Copied');
    }, function () {
      say('Could not copy (the browser refused): select the text and copy it with Ctrl+C');
    });
  });

  // Dismissing an error removes its box, and keeps keyboard focus somewhere sensible.
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var dismiss = target.closest('[data-dismiss]');
    if (!dismiss) return;
    var box = dismiss.closest('.error-box');
    if (!box) return;
    box.remove();
    if (isFocusLost()) {
      var input = document.getElementById('composer-input');
      var main = document.getElementById('main');
      if (input) input.focus();
      else if (main) main.focus({ preventScroll: true });
    }
  });

  // Keyboard users who open Rename or Delete on an item come back to the same button when the
  // plain item returns (Cancel, Escape, Save).
  var returnFocus = null;

  // Stepping between versions redraws the conversation: the focus stays on the version buttons
  // of the message now shown, so that the keyboard can step on.
  var versionFocus = null;

  // Called on each afterSwap of #main (htmx reports the swap more than once); the request's
  // afterSettle forgets it.
  function restoreVersionFocus() {
    var wanted = versionFocus;
    var message = document.getElementById('msg-' + wanted.id);
    if (!message) return false;
    var steps = message.querySelectorAll('.version-step');
    var chosen = null;
    for (var i = 0; i < steps.length; i++) {
      if (steps[i].disabled) continue;
      if (!chosen || steps[i].getAttribute('aria-label') === wanted.label) chosen = steps[i];
    }
    if (!chosen) return false;
    chosen.focus({ preventScroll: true });
    chosen.scrollIntoView({ block: 'nearest' });
    return true;
  }

  document.addEventListener('htmx:beforeRequest', function (event) {
    var elt = event.detail && event.detail.elt;
    if (!(elt instanceof Element)) return;
    var shown = /\/messages\/(\d+)\/show$/.exec(elt.getAttribute('hx-post') || '');
    if (shown && elt.matches('.version-step')) {
      versionFocus = { id: shown[1], label: elt.getAttribute('aria-label') };
    }
    var item = elt.closest('.conversation-item');
    var path = elt.getAttribute('hx-get');
    if (item && item.id && path && /\/(rename|delete)$/.test(path)) {
      returnFocus = { id: item.id, path: path };
    }
  });

  document.addEventListener('htmx:afterRequest', function (event) {
    var detail = event.detail || {};
    var elt = detail.elt;
    if (!detail.successful || !(elt instanceof Element)) return;
    var composer = elt.closest('#composer');
    if (composer) {
      composer.reset();
      scrollToNewest();
    }
  });

  document.addEventListener('htmx:afterSettle', function (event) {
    var target = event.detail && event.detail.target;
    if (target instanceof Element && target.id === 'main') versionFocus = null;
  });

  document.addEventListener('htmx:afterSwap', function (event) {
    var target = event.detail && event.detail.target;
    if (!(target instanceof Element)) return;

    if (target.id === 'main') {
      if (versionFocus && restoreVersionFocus()) return;
      var input = document.getElementById('composer-input');
      if (input) {
        input.focus({ preventScroll: true });
      } else if (isFocusLost()) {
        target.focus({ preventScroll: true });
      }
      scrollToNewest();
      return;
    }

    if (target.id === 'messages') {
      scrollToNewest();
    }
  });

  document.addEventListener('htmx:afterSettle', function () {
    if (!returnFocus) return;
    var item = document.getElementById(returnFocus.id);
    if (item && item.matches('.editing, .confirming')) return;  // still open: wait for it
    var wanted = returnFocus.path;
    returnFocus = null;
    if (!isFocusLost()) return;
    if (item) {
      var buttons = item.querySelectorAll('button[hx-get]');
      for (var i = 0; i < buttons.length; i++) {
        if (buttons[i].getAttribute('hx-get') === wanted) {
          // Rename and Delete live in the row's menu, closed again: back to its button.
          var menu = buttons[i].closest('details');
          var summary = menu && menu.querySelector('summary');
          (summary || buttons[i]).focus();
          return;
        }
      }
      var link = item.querySelector('a');
      if (link) link.focus();
      return;
    }
    // The item was deleted: continue at the list, or at "New conversation".
    var next = document.querySelector('#conversation-list .conversation-item > a') ||
               document.querySelector('.new-conversation');
    if (next) next.focus();
  });

  // A live refresh of the conversation list (another tab, a run, a message) would throw away a
  // rename or a delete confirmation the user has open: the new list waits until they finish.
  var listRefreshHeld = false;
  function editingInList() {
    return document.querySelector('#conversation-list .editing, #conversation-list .confirming');
  }
  // A refresh that does happen keeps the keyboard focus on the same row's same control.
  var listFocus = null;
  function holdListSwap(event) {
    var target = event.detail && event.detail.target;
    if (!(target instanceof Element) || target.id !== 'conversation-list') return;
    if (editingInList()) {
      event.detail.shouldSwap = false;
      listRefreshHeld = true;
      return;
    }
    var active = document.activeElement;
    var item = active && active.closest ? active.closest('#conversation-list .conversation-item') : null;
    listFocus = item ? { id: item.id, summary: active.matches('summary') } : null;
  }
  function restoreListFocus(event) {
    var target = event.detail && event.detail.target;
    if (!listFocus || !(target instanceof Element) || target.id !== 'conversation-list') return;
    var item = document.getElementById(listFocus.id);
    var control = item && item.querySelector(listFocus.summary ? 'summary' : 'a');
    listFocus = null;
    if (control && isFocusLost()) control.focus({ preventScroll: true });
  }
  document.addEventListener('htmx:beforeSwap', holdListSwap);
  document.addEventListener('htmx:oobBeforeSwap', holdListSwap);
  document.addEventListener('htmx:afterSwap', restoreListFocus);
  document.addEventListener('htmx:oobAfterSwap', restoreListFocus);
  document.addEventListener('htmx:afterSettle', function () {
    if (!listRefreshHeld || editingInList()) return;
    listRefreshHeld = false;
    var list = document.getElementById('conversation-list');
    if (list && window.htmx) window.htmx.trigger(list, 'sse:conversations');
  });

  // A full page load of a conversation opens at its newest message.
  function onLoad() {
    var list = messagesList();
    if (list) list.scrollTop = list.scrollHeight;
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', onLoad);
  } else {
    onLoad();
  }
})();
