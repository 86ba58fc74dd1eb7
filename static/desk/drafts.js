// Drafts of a ticket's reply or note, kept in this browser while typing (localStorage, one per person and
// ticket), so that a reload, a closed tab or a failed post loses nothing. The server marks the composer:
// data-draft-sent once the last one went out (the draft goes), data-draft-kept when it shows the text itself
// (a refusal, or a post that met an expired session). The page works the same without this script.
(function () {
  "use strict";
  if (window.deskDrafts) { window.deskDrafts.init(); return; }  // htmx runs the script again on each swap

  var PREFIX = "desk-draft:";
  var MAX_AGE_MS = 30 * 24 * 3600 * 1000;

  function storage() {
    try { return window.localStorage; } catch (error) { return null; }  // disabled, or a private window
  }
  function composerOf(element) {
    return element && element.closest ? element.closest("form[data-draft-key]") : null;
  }
  function bodyOf(form) { return form.querySelector("textarea[name=body]"); }

  function read(store, key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (error) { return null; }
  }
  function save(form) {
    var store = storage();
    var body = bodyOf(form);
    if (!store || !body) { return; }
    if (!body.value.trim()) { store.removeItem(form.dataset.draftKey); return; }
    var kind = form.querySelector("input[name=kind]:checked");
    var draft = {body: body.value, kind: kind ? kind.value : "reply", savedAt: Date.now()};
    try { store.setItem(form.dataset.draftKey, JSON.stringify(draft)); } catch (error) { /* storage full */ }
  }
  function say(form, text, offerDiscard) {
    var note = form.querySelector(".draft-notice");
    if (!note) {
      note = document.createElement("p");
      note.className = "draft-notice banner";
      note.setAttribute("role", "status");
      form.insertBefore(note, form.querySelector(".buttons"));
    }
    note.textContent = text + " ";
    if (offerDiscard) {
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "linklike";
      discard.textContent = "Discard draft";
      discard.addEventListener("click", function () {
        bodyOf(form).value = "";
        save(form);
        note.remove();
      });
      note.appendChild(discard);
    }
  }
  function forgetOld(store) {
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      var draft = key && key.indexOf(PREFIX) === 0 ? read(store, key) : null;
      if (key && key.indexOf(PREFIX) === 0 && (!draft || Date.now() - (draft.savedAt || 0) > MAX_AGE_MS)) {
        store.removeItem(key);
      }
    }
  }
  function restore(form, draft) {
    bodyOf(form).value = draft.body;
    var kind = form.querySelector("input[name=kind][value=" + (draft.kind === "note" ? "note" : "reply") + "]");
    if (kind) { kind.checked = true; }
    say(form, "Your draft from this browser is back in the box below; nothing was sent yet.", true);
  }

  function init() {
    var store = storage();
    var form = document.querySelector("form[data-draft-key]");
    if (!store || !form || form.dataset.draftReady) { return; }
    form.dataset.draftReady = "yes";
    forgetOld(store);
    if (form.hasAttribute("data-draft-sent")) { store.removeItem(form.dataset.draftKey); }
    var body = bodyOf(form);
    if (!body) { return; }
    if (form.hasAttribute("data-draft-kept")) { save(form); return; }  // the server's copy is the newest
    var draft = read(store, form.dataset.draftKey);
    if (draft && draft.body && !body.value.trim()) { restore(form, draft); }
  }

  function onEdit(event) {
    var form = composerOf(event.target);
    if (form) { save(form); }
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  // A server error is not swapped over the composer: the text stays where it was typed, with a word why.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = composerOf(event.detail.requestConfig && event.detail.requestConfig.elt);
    if (form && event.detail.xhr.status >= 500) {
      event.detail.shouldSwap = false;
      save(form);
      say(form, "The server failed, so this was not sent. Your text is kept here: press Send again in a moment.");
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    var form = composerOf(event.detail.requestConfig && event.detail.requestConfig.elt);
    if (form) {
      save(form);
      say(form, "The server could not be reached, so this was not sent. Your text is kept here.");
    }
  });
  document.addEventListener("htmx:afterSettle", init);
  window.deskDrafts = {init: init};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
