// The browser test line: start a test-mode conversation, send caller turns, stream the agent's events.
"use strict";

const state = { id: null, busy: false, recognition: null };
const $ = (id) => document.getElementById(id);

function csrf() { return document.querySelector('meta[name="csrf-token"]').content; }

function addLine(role, text) {
  const li = document.createElement("li");
  li.className = "turn " + role;
  const who = document.createElement("span"); who.className = "who"; who.textContent = role;
  const body = document.createElement("span"); body.className = "text"; body.textContent = text;
  li.append(who, body);
  $("chat").append(li);
  li.scrollIntoView({ block: "nearest" });
  return body;
}

function logTool(event) {
  const log = $("tool-log");
  if (event.type === "tool_started") {
    const li = document.createElement("li");
    li.className = "running"; li.dataset.tool = event.name;
    li.textContent = "▶ " + event.name + " " + JSON.stringify(event.arguments);
    log.append(li);
    return;
  }
  const running = [...log.querySelectorAll("li.running")].find((li) => li.dataset.tool === event.name);
  const li = running || document.createElement("li");
  li.className = event.error ? "failed" : "done";
  li.textContent = (event.error ? "✗ " : "✓ ") + event.name + " (" + Math.round(event.duration_ms) + " ms) "
    + (event.error || JSON.stringify(event.result) || "");
  if (!running) log.append(li);
}

function speak(text) {
  if ($("speak-replies").checked && "speechSynthesis" in window && text) {
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }
}

function setBusy(busy) {
  state.busy = busy;
  $("send").disabled = busy || !state.id;
  $("utterance").disabled = busy || !state.id;
  $("mic").disabled = busy || !state.id;
}

async function post(url, body) {
  return fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: JSON.stringify(body),
  });
}

async function start(event) {
  event.preventDefault();
  $("chat").innerHTML = ""; $("tool-log").innerHTML = "";
  $("status").textContent = "Calling…";
  const response = await post("/api/test-line/start", { caller: $("caller").value, mode: $("mode").value });
  const body = await response.json();
  if (!response.ok) { $("status").textContent = body.detail || "Could not start."; return; }
  state.id = body.conversation_id;
  $("status").textContent = "Connected (" + body.mode + "). Conversation " + state.id;
  $("status").dataset.conversation = state.id;
  const link = $("open-conversation");
  link.href = "/calls/" + state.id; link.hidden = false;
  addLine("agent", body.greeting); speak(body.greeting);
  setBusy(false);
  $("utterance").focus();
}

async function say(text) {
  if (!state.id || state.busy || !text.trim()) return;
  setBusy(true);
  addLine("caller", text);
  let reply = null, spoken = "";
  try {
    const response = await post("/api/test-line/" + state.id + "/say", { text });
    if (!response.ok) { addLine("system", "Error " + response.status); return; }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline); buffer = buffer.slice(newline + 1);
        if (!line.trim()) continue;
        const ev = JSON.parse(line);
        if (ev.type === "text") {
          if (!reply) reply = addLine("agent", "");
          reply.textContent = (reply.textContent + " " + ev.text).trim(); spoken += " " + ev.text;
        } else if (ev.type === "tool_started" || ev.type === "tool_finished") {
          logTool(ev);
        } else if (ev.type === "transfer") {
          addLine("system", "Transfer to " + ev.number + " (" + ev.reason + ")");
        } else if (ev.type === "end") {
          addLine("system", "Call ended (" + ev.reason + ")");
          state.id = null;
        } else if (ev.type === "fallback") {
          addLine("system", "Fallback: " + ev.reason);
        } else if (ev.type === "error") {
          addLine("system", ev.text);
        } else if (ev.type === "done") {
          $("status").dataset.turns = String(Number($("status").dataset.turns || 0) + 1);
        }
      }
    }
  } finally {
    speak(spoken.trim());
    setBusy(false);
    if (state.id) $("utterance").focus();
  }
}

function setUpSpeech() {
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!Recognition) return;
  const mic = $("mic");
  mic.hidden = false;
  mic.addEventListener("click", () => {
    const recognition = new Recognition();
    recognition.lang = document.documentElement.lang || "en-US";
    recognition.interimResults = false;
    recognition.onresult = (e) => say(e.results[0][0].transcript);
    const label = mic.querySelector(".label");
    recognition.onerror = () => { label.textContent = "Speak"; mic.classList.remove("listening"); };
    recognition.onend = () => { label.textContent = "Speak"; mic.classList.remove("listening"); };
    label.textContent = "Listening…"; mic.classList.add("listening");
    recognition.start();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("start-form").addEventListener("submit", start);
  $("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("utterance").value; $("utterance").value = "";
    say(text);
  });
  setUpSpeech();
});
