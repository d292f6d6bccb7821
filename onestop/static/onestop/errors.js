// A page answered with form errors moves to the first error summary and focuses it, so that the eye and the
// screen reader start with what must be fixed (the summary is a role="alert" region linking to each field).
(function () {
  function show(summary) {
    if (!summary) return;
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }
  document.addEventListener("DOMContentLoaded", function () {
    show(document.querySelector("[data-error-summary]"));
  });
  document.addEventListener("click", function (event) {
    // A link of the summary puts the cursor in its field, not only the view on it.
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.scrollIntoView({ block: "center" });
      field.focus();
    }
  });
})();
