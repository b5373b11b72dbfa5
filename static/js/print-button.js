// Progressive enhancement for the printable appointment sheet: where scripts run, the
// hint "use your browser's Print command" becomes a Print button. Without it the hint
// stays, and the sheet prints the same.
document.addEventListener("DOMContentLoaded", function () {
  var hint = document.querySelector("[data-print-button]");
  if (!hint || typeof window.print !== "function") {
    return;
  }
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = hint.getAttribute("data-label");
  button.addEventListener("click", function () {
    window.print();
  });
  hint.replaceChildren(button);
});
