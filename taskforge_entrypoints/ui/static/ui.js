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

// The server holds each request until the job changes or a while passes: the page reloads
// only for a change, and costs the database one read per wait, not a page per tick.
function followJob(hint) {
  const url = hint.dataset.changesUrl;
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // A hidden tab asks nothing: each wait costs a read, and nobody looks.
  const shown = () =>
    new Promise((resolve) => {
      if (document.visibilityState === "visible") {
        resolve();
        return;
      }
      const onChange = () => {
        if (document.visibilityState === "visible") {
          document.removeEventListener("visibilitychange", onChange);
          resolve();
        }
      };
      document.addEventListener("visibilitychange", onChange);
    });
  const follow = async () => {
    for (;;) {
      await shown();
      try {
        const answer = await fetch(url, { credentials: "same-origin" });
        if (answer.ok && answer.url.endsWith(url)) {
          if ((await answer.text()) === "changed") {
            window.location.reload();
            return;
          }
          continue;
        }
      } catch (_) {
        // A restart of the API must not stop the page: it asks again shortly.
      }
      await pause(5000);
    }
  };
  follow();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh-url]").forEach(refreshLive);
  document.querySelectorAll("[data-changes-url]").forEach(followJob);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
});
