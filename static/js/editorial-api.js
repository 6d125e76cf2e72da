/*
 * The editorial API as the annotator's scripts call it (annotator.js, annotator-claims.js,
 * annotator-suggestions.js; loaded before them by templates/admin/evidence/annotator.html):
 * JSON with the session cookie, and the CSRF token on every write.
 *
 * window.ketasiteApi.call(method, url, payload, headers) resolves to {response, body}:
 * `response` is null when the network failed, `body` null when the answer is not JSON.
 */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function call(method, url, payload, headers) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    };
    Object.keys(headers || {}).forEach(function (name) {
      options.headers[name] = headers[name];
    });
    if (method !== "GET") {
      options.headers["X-CSRFToken"] = csrfToken();
    }
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch (error) {
          body = null;
        }
        return { response: response, body: body };
      });
    }, function () {
      return { response: null, body: null };
    });
  }

  window.ketasiteApi = { call: call, csrfToken: csrfToken };
})();
