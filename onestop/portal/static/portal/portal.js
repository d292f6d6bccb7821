/* The portal's only script, and optional: pages work without it.
   - A file over the size limit is flagged next to its input as soon as it is chosen, so nobody uploads
     50 MB over a phone connection to be told so afterwards (the server checks again anyway).
   - A form marked data-submit-once disables its buttons once sent (no second dossier by a double click). */
(function () {
  "use strict";

  function megabytes(size) {
    return (size / 1048576).toFixed(1).replace(/\.0$/, "");
  }

  function showError(input, message) {
    var id = input.id + "_client_error";
    var note = document.getElementById(id);
    if (!message) {
      if (note) note.remove();
      input.removeAttribute("aria-invalid");
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "error";
      note.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", note);
    }
    note.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
  }

  function checkSize(input) {
    var limit = Number(input.dataset.maxBytes);
    var template = input.dataset.tooBig || "";
    var message = "";
    Array.prototype.some.call(input.files || [], function (file) {
      if (file.size > limit) {
        message = template.replace("{name}", file.name).replace("{size}", megabytes(file.size))
          .replace("{limit}", megabytes(limit));
        return true;
      }
      return false;
    });
    input.setCustomValidity(message);
    showError(input, message);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("input[type=file][data-max-bytes]")) checkSize(event.target);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var tooBig = form.querySelector("input[type=file][data-max-bytes]:invalid");
    if (tooBig) {
      event.preventDefault();
      tooBig.focus();
      return;
    }
    if (form.hasAttribute("data-submit-once")) {
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
      }, 0);
    }
  });
})();
