// Keeps the Jobs pages current without a reload: every two seconds, while a job shown on the
// page is unfinished, asks the progress endpoint and updates its state, progress, message
// and list of failures. Text only (textContent), never HTML.
(function () {
  "use strict";
  var INTERVAL_MS = 2000;

  function liveNodes() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-job-id]"));
  }

  function unfinishedIds() {
    var ids = [];
    liveNodes().forEach(function (node) {
      var id = node.getAttribute("data-job-id");
      if (node.getAttribute("data-job-finished") !== "true" && ids.indexOf(id) === -1) {
        ids.push(id);
      }
    });
    return ids;
  }

  function showFailures(job) {
    var list = document.querySelector('[data-job-failures="' + job.id + '"]');
    if (!list || !job.failures) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!job.failures.length) {
      var none = document.createElement("li");
      none.textContent = "None.";
      list.appendChild(none);
    }
    job.failures.forEach(function (unit) {
      var item = document.createElement("li");
      var name = document.createElement("strong");
      name.textContent = unit.name;
      item.appendChild(name);
      item.appendChild(document.createTextNode(" (" + unit.state + "): " + unit.reason));
      list.appendChild(item);
    });
  }

  function update(job) {
    document.querySelectorAll('[data-job-id="' + job.id + '"]').forEach(function (node) {
      var field = node.getAttribute("data-job-field");
      node.textContent = field === "state" ? job.state_label : job.progress;
      node.setAttribute("data-job-finished", job.finished ? "true" : "false");
    });
    var message = document.querySelector('[data-job-message="' + job.id + '"]');
    if (message) { message.textContent = job.message; }
    showFailures(job);
  }

  function poll() {
    var ids = unfinishedIds();
    if (!ids.length) { return; }
    var url = liveNodes()[0].getAttribute("data-job-progress-url") +
      "?ids=" + encodeURIComponent(ids.join(","));
    if (ids.length === 1 && document.querySelector("[data-job-failures]")) {
      url += "&failures=1";  // the job's own page also lists its failures
    }
    fetch(url, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : { jobs: [] }; })
      .then(function (body) { body.jobs.forEach(update); })
      .catch(function () { /* a missed poll is retried at the next tick */ })
      .then(function () { window.setTimeout(poll, INTERVAL_MS); });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();
