// liuhen web pages: a small progressive enhancement, no framework. Every page
// works without it; with it, a form's submit button is disabled while sending
// (no accidental double submit) and typed review text is kept in this browser
// until it is sent (a closed tab or a crash does not lose it).
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // Keep textareas marked data-keep="KEY" in localStorage until their form is sent.
  document.querySelectorAll("textarea[data-keep]").forEach(function (ta) {
    var key = "liuhen-keep:" + ta.getAttribute("data-keep");
    try {
      if (!ta.value && window.localStorage.getItem(key)) {
        ta.value = window.localStorage.getItem(key);
      }
      ta.addEventListener("input", function () {
        window.localStorage.setItem(key, ta.value);
      });
      if (ta.form) {
        ta.form.addEventListener("submit", function () {
          window.sessionStorage.setItem("liuhen-sent:" + key, "1");
        });
      }
    } catch (e) { /* storage disabled: the server-side draft still keeps it */ }
  });
  // On a phone the queue's filter box starts folded unless a filter is set, so the
  // list itself is on the first screen (without script it stays open).
  var box = document.getElementById("filter-box");
  if (box && !box.hasAttribute("data-filtered") &&
      window.matchMedia && window.matchMedia("(max-width: 800px)").matches) {
    box.removeAttribute("open");
  }
  // A page that confirms a sent form clears what was kept for it.
  document.querySelectorAll("[data-clear-kept]").forEach(function (el) {
    try {
      el.getAttribute("data-clear-kept").split(" ").forEach(function (k) {
        if (k) window.localStorage.removeItem("liuhen-keep:" + k);
      });
    } catch (e) { /* ignore */ }
  });
})();
