// The review step of the submission page: show what will be sent before sending it (files stay in the form).
(function () {
  var form = document.getElementById("submit-form");
  if (!form) return;
  var review = document.getElementById("review");
  var list = document.getElementById("review-list");
  var reviewButton = document.getElementById("review-button");
  var editButton = document.getElementById("edit-button");
  var submitButton = document.getElementById("submit-button");
  function row(label, value) {
    var dt = document.createElement("dt");
    dt.className = "col-5 col-sm-4";
    dt.textContent = label;
    var dd = document.createElement("dd");
    dd.className = "col-7 col-sm-8 text-break";
    dd.textContent = value || "—";
    list.appendChild(dt);
    list.appendChild(dd);
  }
  function labelOf(el) {
    var label = form.querySelector('label[for="' + el.id + '"]');
    return label ? label.textContent.replace(/[*✓]/g, "").trim() : el.name;
  }
  reviewButton.classList.remove("d-none");
  submitButton.classList.add("d-none");
  reviewButton.addEventListener("click", function () {
    list.textContent = "";
    form.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "hidden" || el.type === "checkbox" || !el.id) return;
      if (el.type === "file") {
        var names = Array.prototype.map.call(el.files, function (f) { return f.name; }).join(", ");
        var reuse = form.querySelector("#" + el.id.replace("component_", "reuse_"));
        row(labelOf(el), names || (reuse && reuse.checked ? reuse.nextElementSibling.textContent.trim() : ""));
      } else if (el.tagName === "SELECT") {
        row(labelOf(el), el.value ? el.options[el.selectedIndex].text : "");
      } else {
        row(labelOf(el), el.value);
      }
    });
    review.classList.remove("d-none");
    reviewButton.classList.add("d-none");
    editButton.classList.remove("d-none");
    submitButton.classList.remove("d-none");
    review.scrollIntoView();
  });
  editButton.addEventListener("click", function () {
    review.classList.add("d-none");
    editButton.classList.add("d-none");
    submitButton.classList.add("d-none");
    reviewButton.classList.remove("d-none");
  });
})();
