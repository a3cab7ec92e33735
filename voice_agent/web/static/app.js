// Light progressive enhancement for the dashboard: live conversation polling and the HCP test button.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// A conversation in progress refreshes its body every 2 s until it ends.
function pollConversation(box) {
  const url = box.dataset.poll;
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.redirected) { window.location.reload(); return; }  // session ended
      if (!response.ok) return;
      box.innerHTML = await response.text();
      if (response.headers.get("X-Conversation-Status") !== "active") return;
    } catch (err) { /* network blip: try again */ }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
}

// The calls list reloads while any call is live.
function refreshList(table) {
  const seconds = Number(table.dataset.refresh) || 10;
  setTimeout(() => window.location.reload(), seconds * 1000);
}

async function testHcp(button) {
  const out = document.getElementById("hcp-test-result");
  out.textContent = "testing…";
  try {
    const response = await fetch(button.dataset.url, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() },
    });
    const body = await response.json();
    out.textContent = body.message || (body.ok ? "connected" : "failed");
    out.className = body.ok ? "ok" : "error";
  } catch (err) {
    out.textContent = "request failed"; out.className = "error";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-poll]");
  if (box) pollConversation(box);
  const table = document.querySelector("table[data-refresh]");
  if (table) refreshList(table);
  const button = document.getElementById("hcp-test");
  if (button) button.addEventListener("click", () => testHcp(button));
});
