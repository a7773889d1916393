/* The plan page's tooth chart: clicking (or pressing Enter on) a tooth puts it in the
   add-procedure form's tooth field instead of reloading the page. Without this file the teeth
   are ordinary links that reload the page with the tooth filled in. */
(function () {
  "use strict";

  function toothField() {
    var form = document.getElementById("add-procedure");
    return form ? form.elements.namedItem("tooth") : null;
  }

  function markPicked(label) {
    document.querySelectorAll(".tooth[data-tooth]").forEach(function (tooth) {
      var picked = tooth.getAttribute("data-tooth") === label;
      tooth.classList.toggle("picked", picked);
      if (picked) {
        tooth.setAttribute("aria-current", "true");
      } else {
        tooth.removeAttribute("aria-current");
      }
    });
  }

  document.addEventListener("click", function (event) {
    var tooth = event.target.closest ? event.target.closest("[data-tooth]") : null;
    var field = toothField();
    if (!tooth || !field) {
      return;
    }
    event.preventDefault();
    var label = tooth.getAttribute("data-tooth");
    field.value = label;
    markPicked(label);
    field.dispatchEvent(new Event("change", { bubbles: true }));
    var status = document.getElementById("tooth-picked");
    if (status) {
      status.textContent = "Tooth " + label + " picked.";
    }
  });

  // A tooth typed by hand shows on the chart too.
  document.addEventListener("input", function (event) {
    if (event.target === toothField()) {
      markPicked(event.target.value.trim().toUpperCase());
    }
  });
})();
