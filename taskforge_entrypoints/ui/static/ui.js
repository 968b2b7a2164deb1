// The dashboard's only script: it refreshes the live parts and asks before an action.
"use strict";

function refreshLive(box) {
  const seconds = Number(box.dataset.refreshSeconds) || 5;
  const refresh = async () => {
    if (document.visibilityState === "visible") {
      try {
        const answer = await fetch(box.dataset.refreshUrl, { credentials: "same-origin" });
        if (answer.ok && answer.url.endsWith(box.dataset.refreshUrl)) {
          box.innerHTML = await answer.text();
        }
      } catch (_) {
        // The next tick tries again: a restart of the API must not stop the page.
      }
    }
    setTimeout(refresh, seconds * 1000);
  };
  setTimeout(refresh, seconds * 1000);
}

function reloadWhileRunning(hint) {
  const seconds = Number(hint.dataset.reloadSeconds) || 2;
  setTimeout(() => window.location.reload(), seconds * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh-url]").forEach(refreshLive);
  document.querySelectorAll("[data-reload-seconds]").forEach(reloadWhileRunning);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
});
