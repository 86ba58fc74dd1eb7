// Forms that work on a phone and with a screen reader (loaded by the portal's and the desk's base pages).
// - The error summary (templates/includes/error_summary.html) takes focus when a page or an htmx swap shows it,
//   so the first screen says what to fix; following one of its links focuses that field, opening a closed
//   <details> around it and scrolling its label or legend into view.
// - A table wider than its .table-wrap scrolls inside it: the wrapper becomes a named, focusable region so a
//   keyboard can scroll it (templates that name the region themselves are left alone).
(function () {
  "use strict";

  function focusSummary(root) {
    var summary = root && root.querySelector ? root.querySelector("[data-error-summary]") : null;
    if (summary) {
      summary.focus();
    }
  }

  function labelFor(field) {
    var fieldset = field.closest("fieldset");
    if ((field.type === "radio" || field.type === "checkbox") && fieldset) {
      return fieldset.querySelector("legend") || field;
    }
    return (field.id && document.querySelector('label[for="' + CSS.escape(field.id) + '"]')) || field;
  }

  function openDetailsAround(element) {
    for (var open = element.closest("details:not([open])"); open; open = open.closest("details:not([open])")) {
      open.open = true;
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-error-summary] a[href^='#']") : null;
    var field = link ? document.getElementById(decodeURIComponent(link.hash.slice(1))) : null;
    if (!field) {
      return;
    }
    event.preventDefault();
    openDetailsAround(field);
    labelFor(field).scrollIntoView({block: "start"});
    field.focus({preventScroll: true});
  });

  function regionName(wrap) {
    var caption = wrap.querySelector("caption");
    var heading = wrap.closest("section, article, details, .card");
    heading = caption || (heading && heading.querySelector("h1, h2, h3, summary"));
    return heading ? heading.textContent.trim() : "Table";
  }

  function markIfScrollable(wrap) {
    if (wrap.hasAttribute("tabindex") && !wrap.hasAttribute("data-scroll-region")) {
      return;  // the template made it a region already
    }
    if (wrap.scrollWidth > wrap.clientWidth) {
      if (!wrap.hasAttribute("data-scroll-region")) {
        wrap.setAttribute("data-scroll-region", "");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", regionName(wrap) + " (scrolls sideways)");
      }
    } else if (wrap.hasAttribute("data-scroll-region")) {
      ["data-scroll-region", "tabindex", "role", "aria-label"].forEach(function (name) {
        wrap.removeAttribute(name);
      });
    }
  }

  // Checked again whenever a wrapper changes size (a phone turned, a window narrowed), before it is painted.
  var resized = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { markIfScrollable(entry.target); });
  }) : null;

  function watchTables(root) {
    var wraps = root.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      markIfScrollable(wraps[i]);
      if (resized) {
        resized.observe(wraps[i]);
      }
    }
  }

  document.addEventListener("htmx:load", function (event) {
    watchTables(event.target.parentNode || document);
    focusSummary(event.target);
  });
  watchTables(document);
  focusSummary(document);
})();
