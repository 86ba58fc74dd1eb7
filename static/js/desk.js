// Keyboard shortcuts on the desk: "r" to reply, "n" for the next ticket. Ignored while typing.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    if (event.key === "r") {
      var body = document.querySelector("#composer textarea");
      if (body) { event.preventDefault(); body.focus(); body.scrollIntoView({block: "center"}); }
    } else if (event.key === "n") {
      var next = document.getElementById("next-ticket");
      if (next) { event.preventDefault(); next.click(); }
    }
  });
})();
