// «Печать» buttons (data-print): inline handlers are not allowed by our CSP.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
