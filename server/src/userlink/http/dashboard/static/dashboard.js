// Copy buttons for secrets shown once, and typed confirmations. No framework, nothing remote.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    button.textContent = "Copied";
  });
});
document.addEventListener("input", (event) => {
  const input = event.target.closest("[data-confirm-value]");
  if (!input) return;
  const submit = input.form && input.form.querySelector("button[type=submit]");
  if (submit) submit.disabled = input.value !== input.dataset.confirmValue;
});
