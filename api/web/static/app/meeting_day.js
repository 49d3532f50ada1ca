// The meeting day: the sums of a vote checked against those entitled to vote as they are typed, the
// "einstimmig" shortcut, and what a lost connection means. A hint only: the server checks every rule again.
(function () {
  var NAMES = ["ja", "nein", "enthaltung"];

  function count(input) {
    var value = input ? input.value.trim() : "";
    return /^\d+$/.test(value) ? parseInt(value, 10) : 0;
  }

  function voters(form) {
    var out = form.querySelector("[data-voters]");
    var n = out ? parseInt(out.getAttribute("data-voters"), 10) : 0;
    form.querySelectorAll("input[name=befangen][data-voter]:checked").forEach(function () { n -= 1; });
    return n;
  }

  function check(form) {
    var out = form.querySelector("[data-voters]");
    var live = form.querySelector("#stimmen-live");
    if (!out || !live) { return; }
    var n = voters(form);
    var sums = NAMES.map(function (name) { return count(form.elements[name]); });
    var total = sums[0] + sums[1] + sums[2];
    var problem = "";
    out.textContent = total + " von " + n + " Stimmberechtigten erfasst.";
    if (total > n) {
      problem = "Mehr Stimmen (" + total + ") als anwesende Stimmberechtigte (" + n + ").";
    }
    var factionSum = form.querySelector(".factions__sum");
    var inputs = form.querySelectorAll(".factions__input");
    var given = Array.prototype.some.call(inputs, function (i) { return i.value.trim() !== ""; });
    if (factionSum) {
      var columns = NAMES.map(function (name) {
        var sum = 0;
        form.querySelectorAll(".factions__input[data-column=" + name + "]").forEach(function (i) { sum += count(i); });
        return sum;
      });
      factionSum.textContent = given ? "Fraktionen zusammen: Ja " + columns[0] + ", Nein " + columns[1] +
        ", Enthaltung " + columns[2] + "." : "";
      if (given && !problem && columns.some(function (sum, i) { return sum > sums[i]; })) {
        problem = "Die Fraktionen haben zusammen mehr Stimmen (" + columns.join(" : ") + ") als gezählt (" +
          sums.join(" : ") + ").";
      }
    }
    live.querySelector(".stimmen-live__text").textContent = problem;
    live.hidden = !problem;
    NAMES.forEach(function (name) {
      var field = form.elements[name];
      if (field && !field.hasAttribute("data-server-error")) {
        if (problem) { field.setAttribute("aria-invalid", "true"); } else { field.removeAttribute("aria-invalid"); }
      }
    });
  }

  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.classList.contains("top-form")) { check(form); }
  });

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || !form.classList.contains("top-form")) { return; }
    if (event.target.name === "einstimmig" && event.target.checked) {
      form.elements.ja.value = String(voters(form));
      form.elements.nein.value = "0";
      form.elements.enthaltung.value = "0";
    }
    check(form);
  });

  // The request never reached the server, or it answered with an error: nothing typed is lost, and the
  // form carries its key, so sending it again records it once.
  function tell(text) {
    var box = document.querySelector("#sitzungstag .connection");
    if (!box) { return; }
    box.querySelector(".connection__text").textContent = text;
    box.hidden = false;
  }
  document.addEventListener("htmx:sendError", function () {
    tell("Keine Verbindung zum Server: Nichts wurde gespeichert, Ihre Eingaben sind noch da. Senden Sie das " +
      "Formular erneut, sobald die Verbindung steht; es wird nur einmal gespeichert.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    tell("Der Server hat die Eingaben nicht angenommen (Fehler " + status + "). Ihre Eingaben sind noch da; " +
      "bitte laden Sie die Seite neu oder senden Sie das Formular erneut.");
  });
})();
