// The agenda builder: drag a TOP onto another of the same part to move it there. It presses the TOP's own
// "Nach oben/unten" button with the new position ("TOP:position"), so the server decides and numbers as for
// the buttons.
(function () {
  var dragged = null;
  function row(event) { return event.target.closest && event.target.closest(".agenda-builder__item"); }
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
    var button = dragged && dragged.querySelector("button[name=verschieben]");
    if (!over || !button || over === dragged || over.parentNode !== dragged.parentNode) { return; }
    event.preventDefault();
    button.value = button.value.split(":")[0] + ":" + Array.prototype.indexOf.call(over.parentNode.children, over);
    dragged = null;
    button.click();
  });
  document.addEventListener("dragend", function () { dragged = null; });
  // After a move the focus stays with the moved TOP, so the keyboard can move it on.
  document.addEventListener("htmx:afterSwap", function () {
    var button = document.querySelector("[data-moved] .agenda-move button");
    if (button) { button.focus(); }
  });
})();
