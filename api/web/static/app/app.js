// After htmx replaced a part of the page: move the focus to its heading (or the error summary) and
// announce it, so a screen reader user learns what changed. htmx does not do this by itself.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail.target && document.getElementById(event.detail.target.id);
  var region = target || event.detail.elt;
  if (!region || !region.querySelector) { return; }
  var focus = region.querySelector(".error-summary, [tabindex='-1']");
  var live = document.getElementById("ansage");
  if (focus) {
    focus.focus();
    if (live) { live.textContent = focus.textContent.trim().replace(/\s+/g, " "); }
  }
});

// A form sent back with errors: put the focus on the error summary, whose links lead to the fields.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
});

// The live page of a meeting: each change arrives as a server-sent event with the whole list, which
// replaces the one shown; the newest result is announced. Without JavaScript the page reloads instead.
document.addEventListener("DOMContentLoaded", function () {
  var list = document.querySelector("[data-live-source]");
  if (!list || !window.EventSource) { return; }
  var state = document.getElementById("live-verbindung");
  var source = new EventSource(list.getAttribute("data-live-source"));
  source.addEventListener("open", function () { state.textContent = "Neue Ergebnisse erscheinen automatisch."; });
  source.addEventListener("error", function () { state.textContent = "Verbindung unterbrochen, sie wird neu aufgebaut."; });
  source.addEventListener("ergebnisse", function (event) {
    list.innerHTML = event.data;
    var latest = list.querySelector("[data-ansage]");
    var live = document.getElementById("ansage");
    if (latest && live) { live.textContent = latest.getAttribute("data-ansage"); }
  });
});
