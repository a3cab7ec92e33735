// Scenario run page: poll the run's progress and fill in the results as they arrive.
(function () {
  "use strict";
  var status = document.getElementById("run-status");
  if (!status) return;
  var url = status.getAttribute("data-run-poll");
  var runId = url.split("/").pop();

  function cell(row, cls, text, href) {
    var td = row.querySelector("td." + cls);
    td.textContent = "";
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else if (cls === "verdict") {
      var span = document.createElement("span");
      span.className = "verdict v-" + text;
      span.textContent = text;
      td.appendChild(span);
    } else {
      td.textContent = text;
    }
  }

  function render(run) {
    document.getElementById("run-state").textContent = run.status;
    document.getElementById("run-count").textContent = run.results.length;
    status.setAttribute("data-status", run.status);
    run.results.forEach(function (r, i) {
      var row = document.querySelector('#run-results tr[data-index="' + i + '"]');
      if (!row || !row.classList.contains("pending")) return;
      row.classList.remove("pending");
      cell(row, "verdict", r.status);
      cell(row, "name", r.name, "/scenarios/runs/" + runId + "/" + i);
      cell(row, "why", r.reasons.join("; ") || r.outcome || "");
      cell(row, "turns", String(r.turns));
      cell(row, "time", r.seconds.toFixed(1) + " s");
    });
  }

  function poll() {
    var state = status.getAttribute("data-status");
    if (state === "finished" || state === "failed") return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (run) {
        if (run) render(run);
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
