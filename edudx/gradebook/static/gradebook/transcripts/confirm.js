// Asks for confirmation before a form marked data-confirm is sent (signing, generating, correcting).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm") || (event.submitter && event.submitter.getAttribute("data-confirm"));
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
