// The agenda builder. "Ändern" shows a TOP's buttons without reloading the page; after a move the focus
// stays on the button pressed, so the keyboard can move the TOP on. Dragging a TOP onto another of the same
// part fills the list's hidden button with "TOP:position" and presses it, so the server decides and numbers
// as for the buttons.
(function () {
  var dragged = null;
  var pressed = null;
  var refocus = false;
  function row(event) { return event.target.closest && event.target.closest(".agenda-builder__item"); }
  document.addEventListener("click", function (event) {
    var select = event.target.closest && event.target.closest("a.agenda-select");
    if (select && window.htmx) {
      event.preventDefault();
      pressed = null;
      refocus = true;
      htmx.ajax("GET", select.getAttribute("href").split("#")[0], { target: "#tagesordnung", swap: "outerHTML" });
      return;
    }
    var button = event.target.closest && event.target.closest(".agenda-move button");
    if (button) { pressed = button.getAttribute("aria-label").split(":")[0]; refocus = true; }
  });
  document.addEventListener("dragstart", function (event) {
    dragged = row(event);
    if (dragged) { event.dataTransfer.effectAllowed = "move"; event.dataTransfer.setData("text/plain", ""); }
  });
  document.addEventListener("dragover", function (event) {
    var over = row(event);
    if (dragged && over && over.parentNode === dragged.parentNode) {
      event.preventDefault();
      over.classList.add("agenda-builder__item--target");
    }
  });
  document.addEventListener("dragleave", function (event) {
    var over = row(event);
    if (over) { over.classList.remove("agenda-builder__item--target"); }
  });
  document.addEventListener("drop", function (event) {
    var over = row(event);
    var form = dragged && dragged.closest("form");
    var button = form && form.querySelector("button.agenda-drop");
    if (!over || !button || over === dragged || over.parentNode !== dragged.parentNode) { return; }
    event.preventDefault();
    button.value = dragged.getAttribute("data-top") + ":" + Array.prototype.indexOf.call(over.parentNode.children, over);
    dragged = null;
    pressed = null;
    button.click();
  });
  document.addEventListener("dragend", function () { dragged = null; });
  document.addEventListener("htmx:afterSwap", function () {
    var buttons = document.querySelectorAll("[data-selected] .agenda-move button");
    var wanted = refocus;
    refocus = false;
    if (!wanted || !buttons.length || document.querySelector(".error-summary")) { return; }
    var again = Array.prototype.filter.call(buttons, function (b) {
      return pressed && b.getAttribute("aria-label").split(":")[0] === pressed;
    });
    (again[0] || buttons[0]).focus();
  });
})();
