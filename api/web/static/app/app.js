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
