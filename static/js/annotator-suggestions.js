/*
 * Suggested claims in the annotator (spotting/: the claim spotter; evidence/annotator.py).
 *
 * Reads the draft's suggestions from the editorial API
 * (GET /api/v1/editorial/articles/<id>/suggestions/), shows each as a dashed, unrated
 * highlight on the text (the CSS Custom Highlight API: no element is added to the text, so
 * annotator.js's offsets and selections are untouched) and lists it beside the text with its
 * kind, score and reasons, and Accept and Dismiss buttons. Accept makes an annotation through
 * the API (then the page reloads to show it like any other); Dismiss records that the
 * sentence is not a claim for this article. The server applies every rule; this script only
 * shows its answer.
 *
 * Offsets are code points of the block's plain text, counted the way annotator.js counts
 * them: text nodes in document order, skipping visually hidden text, and one "\n" before each
 * list item or FAQ answer after the first line.
 *
 * No inline script: the URL comes from the data-url attribute of #suggestions.
 */
(function () {
  "use strict";

  var SKIPPED = ".visually-hidden, [aria-hidden='true'], script, style, template";
  var HIGHLIGHT = "ks-suggestion";

  var section = document.getElementById("suggestions");
  var text = document.getElementById("annotator-text");
  if (!section || !text) {
    return;
  }
  var list = document.getElementById("suggestion-list");
  var status = document.getElementById("suggestion-status");
  var heading = document.getElementById("suggestions-heading");
  var url = section.getAttribute("data-url");
  var suggestions = [];

  function announce(message) {
    status.textContent = message;
  }

  function isSkipped(node) {
    return node.nodeType === Node.ELEMENT_NODE && node.matches(SKIPPED);
  }

  /* UTF-16 index in `data` of the code point offset `points`. */
  function unitIndex(data, points) {
    var index = 0;
    for (var seen = 0; seen < points && index < data.length; seen++) {
      var code = data.charCodeAt(index);
      index += (code >= 0xd800 && code <= 0xdbff && index + 1 < data.length) ? 2 : 1;
    }
    return index;
  }

  function codePointLength(data) {
    return Array.from(data).length;
  }

  /* A DOM Range over [start, end) code points of the block's text, or null. */
  function rangeFor(blockEl, start, end) {
    var offset = 0;
    var lineStarted = false;
    var range = document.createRange();
    var started = false;
    var done = false;

    function visit(node) {
      if (done) {
        return;
      }
      if (node.nodeType === Node.TEXT_NODE) {
        var length = codePointLength(node.data);
        if (!started && start < offset + length) {
          range.setStart(node, unitIndex(node.data, start - offset));
          started = true;
        }
        if (started && end <= offset + length) {
          range.setEnd(node, unitIndex(node.data, end - offset));
          done = true;
        }
        offset += length;
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE || isSkipped(node)) {
        return;
      }
      var tag = node.tagName;
      if (tag === "LI" || tag === "DT" || tag === "DD") {
        if (lineStarted) {
          offset += 1;
        }
        lineStarted = true;
      }
      for (var child = node.firstChild; child; child = child.nextSibling) {
        visit(child);
      }
    }

    visit(blockEl);
    return done ? range : null;
  }

  function paint() {
    if (!window.CSS || !CSS.highlights || typeof Highlight !== "function") {
      return;  // older browsers: the list beside the text still shows every suggestion
    }
    var highlight = new Highlight();
    suggestions.forEach(function (suggestion) {
      var blockEl = document.getElementById("b-" + suggestion.block);
      var range = blockEl && text.contains(blockEl) &&
        rangeFor(blockEl, suggestion.start, suggestion.end);
      if (range) {
        highlight.add(range);
      }
    });
    CSS.highlights.set(HIGHLIGHT, highlight);
  }

  function shortQuote(quote) {
    return quote.length > 80 ? quote.slice(0, 77) + "…" : quote;
  }

  function item(suggestion) {
    var li = document.createElement("li");
    li.className = "suggestion";
    li.setAttribute("data-suggestion", String(suggestion.id));

    var quote = document.createElement("blockquote");
    quote.className = "suggestion-quote";
    quote.textContent = suggestion.quote;
    li.appendChild(quote);

    var meta = document.createElement("p");
    meta.className = "suggestion-meta";
    meta.textContent = "Suggested claim, not rated · " + suggestion.kind_label +
      " · score " + suggestion.score.toFixed(2);
    li.appendChild(meta);

    var reasons = document.createElement("ul");
    reasons.className = "suggestion-reasons";
    reasons.setAttribute("aria-label", "Why it was suggested");
    suggestion.reasons.forEach(function (reason) {
      var entry = document.createElement("li");
      entry.textContent = reason;
      reasons.appendChild(entry);
    });
    li.appendChild(reasons);

    var actions = document.createElement("div");
    actions.className = "suggestion-actions";
    [["accept", "Accept", "Accept as an annotation: "],
     ["dismiss", "Dismiss", "Dismiss, not a claim: "]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button suggestion-" + spec[0];
      button.textContent = spec[1];
      button.setAttribute("aria-label", spec[2] + shortQuote(suggestion.quote));
      button.addEventListener("click", function () {
        decide(suggestion, spec[0], li);
      });
      actions.appendChild(button);
    });
    li.appendChild(actions);
    return li;
  }

  function render() {
    list.textContent = "";
    heading.textContent = "Suggested claims (" + suggestions.length + ")";
    suggestions.forEach(function (suggestion) {
      list.appendChild(item(suggestion));
    });
    section.querySelector(".suggestion-empty").hidden = suggestions.length > 0;
    paint();
  }

  function explain(response, body, what) {
    var detail = body && body.detail ? body.detail : "the server answered " + response.status;
    announce("Could not " + what + ": " + detail);
  }

  function setBusy(li, busy) {
    li.querySelectorAll("button").forEach(function (button) {
      button.disabled = busy;
    });
  }

  function decide(suggestion, action, li) {
    setBusy(li, true);
    announce(action === "accept" ? "Accepting…" : "Dismissing…");
    window.ketasiteApi.call("POST", url + suggestion.id + "/" + action + "/").then(function (result) {
      var response = result.response;
      if (response === null) {
        setBusy(li, false);
        announce("Could not " + action + ": the server could not be reached.");
        return;
      }
      if (!response.ok) {
        setBusy(li, false);
        explain(response, result.body, action);
        if (response.status === 409) {
          load();
        }
        return;
      }
      if (action === "accept") {
        announce("Accepted: the passage is now an annotation, not rated yet. Reloading…");
        window.location.reload();
        return;
      }
      suggestions = suggestions.filter(function (s) { return s.id !== suggestion.id; });
      render();
      announce("Dismissed: this sentence will not be suggested again for this article.");
      heading.focus();
    });
  }

  function load() {
    return fetch(url + "?page_size=100", {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          explain(response, body, "load the suggested claims");
          return;
        }
        suggestions = body.results || [];
        render();
      });
    }, function () {
      announce("Could not load the suggested claims: the server could not be reached.");
    });
  }

  // annotator.js replaces the text after each save; paint the suggestions on the new text.
  new MutationObserver(paint).observe(text, { childList: true });
  section.hidden = false;
  load();
})();
