/*
 * The annotator (templates/admin/evidence/annotator.html, evidence/annotator.py).
 *
 * Turns a text selection inside one block of the draft into the block's id and character
 * offsets, and saves annotations through the editorial API with the session and CSRF token.
 * Every rule is the server's: this script only shows the server's answer in plain language.
 *
 * Offsets count characters (code points, not the UTF-16 units the DOM counts: an emoji is
 * one character) of the block's plain text (articles/blocks.py `block_text`): list
 * items are joined by one "\n", an FAQ item is question + "\n" + answer. They are computed by
 * walking the block's text nodes in document order, skipping text that is not part of the
 * block (the visually hidden rating labels), and checked against the block text the server
 * sent: a block whose text cannot be read back exactly is not annotated from here.
 *
 * Each annotation's review thread (internal comments, never public) is listed under it; the
 * comment, reply, resolve and reopen buttons call the editorial API too, and the count of
 * open threads is shown on the highlight without touching the text the offsets count.
 *
 * No inline script: the data comes from the json_script block #annotator-data.
 */
(function () {
  "use strict";

  var SKIPPED = ".visually-hidden, [aria-hidden='true'], script, style, template";
  var FIELDS = ["certainty", "verdict", "note", "sources"];

  var root = document.getElementById("annotator");
  if (!root) {
    return;
  }

  var state = {
    data: null,
    blocks: {},          // block id -> {el, text, segments, readable}
    selection: null,     // {block, start, end, exact} of the current text selection
    mode: null,          // "new", "edit" or "attach"
    annotation: null,    // the annotation being edited or attached
    chosenSources: [],   // [{id, title, pmid, doi, ...}]
    opener: null,        // element to return focus to when the form closes
    busy: false
  };

  var el = {
    text: document.getElementById("annotator-text"),
    lists: document.getElementById("annotation-lists"),
    status: document.getElementById("annotator-status"),
    form: document.getElementById("annotation-form"),
    title: document.getElementById("annotation-form-title"),
    quote: document.getElementById("annotation-form-quote"),
    help: document.getElementById("annotation-form-help"),
    certainty: document.getElementById("annotation-certainty"),
    verdict: document.getElementById("annotation-verdict"),
    note: document.getElementById("annotation-note"),
    chosen: document.getElementById("annotation-chosen-sources"),
    search: document.getElementById("annotation-source-search"),
    searchStatus: document.getElementById("annotation-source-results-status"),
    results: document.getElementById("annotation-source-results"),
    newSource: document.getElementById("annotation-new-source"),
    newSourceAdd: document.getElementById("new-source-add"),
    save: document.getElementById("annotation-save"),
    resolve: document.getElementById("annotation-resolve"),
    reopen: document.getElementById("annotation-reopen"),
    remove: document.getElementById("annotation-delete"),
    cancel: document.getElementById("annotation-cancel"),
    adminLink: document.getElementById("annotation-admin-link"),
    threadLink: document.getElementById("annotation-thread-link")
  };

  // ---------------------------------------------------------------------------------------
  // Data and block text

  function readData(doc) {
    var node = doc.getElementById("annotator-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function isSkipped(node) {
    return node.nodeType === Node.ELEMENT_NODE && node.matches(SKIPPED);
  }

  /* Return {text, segments}: the block's plain text as the DOM shows it, and for each text
     node the offset at which it starts. */
  function readBlock(blockEl) {
    var segments = [];
    var text = "";
    var lineStarted = false;

    function visit(node) {
      if (node.nodeType === Node.TEXT_NODE) {
        segments.push({ node: node, start: text.length });
        text += node.data;
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE || isSkipped(node)) {
        return;
      }
      var tag = node.tagName;
      if (tag === "LI" || tag === "DT" || tag === "DD") {
        // Each list item, and the answer after an FAQ question, starts a new line.
        if (lineStarted) {
          text += "\n";
        }
        lineStarted = true;
      }
      for (var child = node.firstChild; child; child = child.nextSibling) {
        visit(child);
      }
    }

    visit(blockEl);
    return { text: text, segments: segments };
  }

  function indexBlocks() {
    state.blocks = {};
    (state.data.blocks || []).forEach(function (block) {
      var blockEl = document.getElementById("b-" + block.id);
      if (!blockEl || !el.text.contains(blockEl)) {
        return;
      }
      var read = readBlock(blockEl);
      blockEl.setAttribute("data-block-id", block.id);
      state.blocks[block.id] = {
        id: block.id,
        el: blockEl,
        text: read.text,
        segments: read.segments,
        readable: read.text === block.text
      };
    });
    // Highlights are links to their notes; here they open the annotation instead, and must
    // not be dragged as links when a passage inside them is selected with the mouse.
    el.text.querySelectorAll("a.claim").forEach(function (link) {
      link.setAttribute("draggable", "false");
    });
    markOpenComments();
  }

  function openCommentsText(count) {
    return count + " open review comment" + (count === 1 ? "" : "s");
  }

  /* Show on each highlight how many of its review threads are open: a number drawn by the
     stylesheet (data-open-comments) and words for screen readers. Both are left out when
     offsets are counted (SKIPPED), so the block's text still reads back exactly. */
  function markOpenComments() {
    (state.data.annotations || []).forEach(function (annotation) {
      var link = document.getElementById("claim-" + annotation.id);
      if (!link || !el.text.contains(link) || !annotation.openComments) {
        return;
      }
      link.setAttribute("data-open-comments", String(annotation.openComments));
      var label = document.createElement("span");
      label.className = "visually-hidden claim-comment-label";
      label.textContent = " (" + openCommentsText(annotation.openComments) + ")";
      link.appendChild(label);
    });
  }

  function blockOf(node) {
    var current = node.nodeType === Node.ELEMENT_NODE ? node : node.parentNode;
    while (current && current !== el.text) {
      var id = current.getAttribute && current.getAttribute("data-block-id");
      if (id !== null && id !== undefined && state.blocks[id]) {
        return state.blocks[id];
      }
      current = current.parentNode;
    }
    return null;
  }

  /* Return the offset in the block's text of a DOM boundary point (container, offset). */
  function pointOffset(block, container, offset) {
    var i;
    for (i = 0; i < block.segments.length; i++) {
      if (block.segments[i].node === container) {
        return block.segments[i].start + Math.min(offset, container.length);
      }
    }
    var point = document.createRange();
    point.setStart(container, offset);
    for (i = 0; i < block.segments.length; i++) {
      // The first text node that starts at or after the point holds the next character.
      if (point.comparePoint(block.segments[i].node, 0) >= 0) {
        return block.segments[i].start;
      }
    }
    return block.text.length;
  }

  /* Return {block, start, end, exact} for the current selection, {error} when it cannot be
     annotated, or null when there is no selection inside the text. */
  function currentSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return null;
    }
    var range = selection.getRangeAt(0);
    if (!el.text.contains(range.commonAncestorContainer)) {
      return null;
    }
    var startBlock = blockOf(range.startContainer);
    var endBlock = blockOf(range.endContainer);
    if (!startBlock || !endBlock) {
      return { error: "Select a passage inside the article's text." };
    }
    if (startBlock !== endBlock) {
      return {
        error: "A passage must lie within one paragraph, heading, list or question. " +
          "Select a shorter passage."
      };
    }
    if (!startBlock.readable) {
      return {
        error: "This block's text could not be read back exactly, so it cannot be " +
          "annotated here. Use the Annotation admin instead."
      };
    }
    var start = pointOffset(startBlock, range.startContainer, range.startOffset);
    var end = pointOffset(startBlock, range.endContainer, range.endOffset);
    var text = startBlock.text;
    // Spaces and line breaks at the edges of a mouse selection are not part of the claim.
    while (start < end && /\s/.test(text.charAt(start))) {
      start++;
    }
    while (end > start && /\s/.test(text.charAt(end - 1))) {
      end--;
    }
    if (end <= start) {
      return null;
    }
    // A boundary is never left between the two halves of an emoji (a surrogate pair).
    if (isLowSurrogate(text, start)) {
      start--;
    }
    if (isLowSurrogate(text, end)) {
      end++;
    }
    return {
      block: startBlock.id,
      start: codePoints(text, start),
      end: codePoints(text, end),
      exact: text.slice(start, end)
    };
  }

  function isLowSurrogate(text, index) {
    var unit = text.charCodeAt(index);
    var previous = index > 0 ? text.charCodeAt(index - 1) : 0;
    return unit >= 0xDC00 && unit <= 0xDFFF && previous >= 0xD800 && previous <= 0xDBFF;
  }

  /* The offset in code points of `offset`, counted in UTF-16 units as the DOM counts. The
     server, and the W3C TextPositionSelector, count code points: an emoji outside the Basic
     Multilingual Plane is one character there but two units here. */
  function codePoints(text, offset) {
    return Array.from(text.slice(0, offset)).length;
  }

  // ---------------------------------------------------------------------------------------
  // Messages

  function announce(message, kind) {
    el.status.textContent = message;
    el.status.className = "annotator-status" + (kind ? " is-" + kind : "");
  }

  function clearFieldErrors() {
    FIELDS.forEach(function (name) {
      var node = document.getElementById("annotation-" + name + "-error");
      if (node) {
        node.textContent = "";
        node.hidden = true;
      }
      var input = el[name];
      if (input && input.removeAttribute) {
        input.removeAttribute("aria-invalid");
      }
    });
  }

  function showFieldError(name, message) {
    var node = document.getElementById("annotation-" + name + "-error");
    if (!node) {
      return false;
    }
    node.textContent = message;
    node.hidden = false;
    if (el[name] && el[name].setAttribute) {
      el[name].setAttribute("aria-invalid", "true");
    }
    return true;
  }

  var FIELD_NAMES = {
    certainty: "Certainty",
    verdict: "Verdict",
    note: "Note",
    sources: "Sources",
    block: "Passage",
    start: "Passage",
    end: "Passage",
    exact: "Passage",
    version: "Version",
    status: "Status"
  };

  function flatten(messages) {
    if (Array.isArray(messages)) {
      return messages.map(flatten).join(" ");
    }
    if (messages && typeof messages === "object") {
      return Object.keys(messages).map(function (key) {
        return flatten(messages[key]);
      }).join(" ");
    }
    return String(messages);
  }

  /* Say in plain language why the server refused a request. */
  function explainError(response, body, what) {
    var detail = body && body.detail ? String(body.detail) : "";
    var status = response ? response.status : 0;
    if (status === 400) {
      var errors = (body && body.errors) || {};
      var parts = [];
      Object.keys(errors).forEach(function (field) {
        var message = flatten(errors[field]);
        if (!showFieldError(field, message)) {
          parts.push((FIELD_NAMES[field] || field) + ": " + message);
        }
      });
      var summary = what + " was not saved: please correct the marked fields.";
      if (parts.length) {
        summary = what + " was not saved. " + parts.join(" ");
      } else if (!Object.keys(errors).length && detail) {
        summary = what + " was not saved. " + detail;
      }
      return summary;
    }
    if (status === 401) {
      return "Your session has ended. Sign in again (in another tab), then save again.";
    }
    if (status === 403) {
      return "Not allowed: " + (detail || "you may not do this.");
    }
    if (status === 404) {
      return "This annotation or article no longer exists; the page has been refreshed.";
    }
    if (status === 409 || status === 412) {
      return "Someone else changed this annotation since you opened it, so nothing was " +
        "saved. The latest version is shown now: check it, re-apply your change and save " +
        "again." + (detail && status === 409 ? " (" + detail + ")" : "");
    }
    if (status === 428) {
      return "The version you edited was not sent, so nothing was saved. Open the " +
        "annotation again and retry.";
    }
    if (status === 413) {
      return "That is too long to save. Shorten the note and try again.";
    }
    if (status === 429) {
      return "Too many requests in a short time. Wait a moment and try again.";
    }
    if (status === 0) {
      return "The server could not be reached; nothing was saved. Check the connection " +
        "and try again.";
    }
    return "The server could not save this (" + status + "); nothing was changed. " +
      "Try again, or use the Annotation admin.";
  }

  // ---------------------------------------------------------------------------------------
  // The API

  /* Call the API; resolve to {response, body} (response null when the network failed). */
  var api = window.ketasiteApi.call;

  function annotationUrl(id) {
    return state.data.urls.annotation + id + "/";
  }

  /* The ETag of the annotation as it was read, so a change made meanwhile is not overwritten
     (the server answers 412 then). The version also goes in the body. */
  function ifMatch() {
    return state.annotation && state.annotation.etag ? { "If-Match": state.annotation.etag } : {};
  }

  function ok(result) {
    return result.response && result.response.ok;
  }

  /* Fetch this page again and put its text, lists and data in place of the current ones. */
  function refresh() {
    return fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var text = doc.getElementById("annotator-text");
      var lists = doc.getElementById("annotation-lists");
      var data = readData(doc);
      if (!text || !lists || !data) {
        throw new Error("unexpected page");
      }
      el.text.innerHTML = text.innerHTML;
      el.lists.innerHTML = lists.innerHTML;
      state.data = data;
      lastSelectionKey = "";
      indexBlocks();
    });
  }

  function findAnnotation(id) {
    var wanted = Number(id);
    return (state.data.annotations || []).filter(function (a) {
      return a.id === wanted;
    })[0] || null;
  }

  // ---------------------------------------------------------------------------------------
  // The form

  function quoteText(text) {
    var short = text.length > 300 ? text.slice(0, 300) + "…" : text;
    return "“" + short + "”";
  }

  function renderChosen() {
    el.chosen.textContent = "";
    state.chosenSources.forEach(function (source) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = sourceLabel(source);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button annotator-small";
      button.textContent = "Remove";
      button.setAttribute("aria-label", "Remove source: " + sourceLabel(source));
      button.addEventListener("click", function () {
        state.chosenSources = state.chosenSources.filter(function (s) {
          return s.id !== source.id;
        });
        renderChosen();
        el.search.focus();
      });
      item.appendChild(label);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(button);
      el.chosen.appendChild(item);
    });
    if (!state.chosenSources.length) {
      var none = document.createElement("li");
      none.className = "help";
      none.textContent = "No source chosen.";
      el.chosen.appendChild(none);
    }
  }

  function sourceLabel(source) {
    var ids = [];
    if (source.pmid) {
      ids.push("PMID " + source.pmid);
    }
    if (source.doi) {
      ids.push("DOI " + source.doi);
    }
    var name = source.title || source.url || ids.join(", ") || "Source " + source.id;
    if (source.year) {
      name += " (" + source.year + ")";
    }
    return ids.length && source.title ? name + " — " + ids.join(", ") : name;
  }

  function fillForm(values) {
    el.certainty.value = values.certainty || "";
    el.verdict.value = values.verdict || "";
    el.note.value = values.note || "";
    state.chosenSources = (values.sources || []).slice();
    renderChosen();
    el.results.textContent = "";
    el.search.value = "";
    el.searchStatus.textContent = "";
    clearFieldErrors();
  }

  function showForm() {
    el.form.hidden = false;
    root.classList.add("is-editing");
  }

  function openNew(selection) {
    state.mode = "new";
    state.annotation = null;
    state.selection = selection;
    el.title.textContent = "New annotation";
    el.quote.textContent = quoteText(selection.exact);
    el.help.textContent = "Rate the selected passage and save. Select other text to change " +
      "the passage.";
    el.save.textContent = "Save annotation";
    el.resolve.hidden = true;
    el.reopen.hidden = true;
    el.remove.hidden = true;
    el.adminLink.hidden = true;
    el.threadLink.hidden = true;
    fillForm({});
    showForm();
    root.dispatchEvent(new CustomEvent("annotator:open", { detail: { annotation: null } }));
  }

  function openEdit(annotation, opener) {
    state.mode = "edit";
    state.annotation = annotation;
    state.opener = opener || state.opener;
    el.title.textContent = "Annotation " + annotation.id +
      (annotation.status === "resolved" ? " (resolved)" : "");
    el.quote.textContent = quoteText(annotation.exact);
    el.help.textContent = "";
    el.save.textContent = "Save changes";
    el.resolve.hidden = annotation.status !== "open";
    el.reopen.hidden = annotation.status !== "resolved";
    el.remove.hidden = false;
    var link = el.adminLink.querySelector("a");
    var item = document.getElementById("annotation-" + annotation.id);
    var adminHref = item && item.querySelector("a[href]");
    if (link && adminHref) {
      link.href = adminHref.getAttribute("href");
      el.adminLink.hidden = false;
    } else {
      el.adminLink.hidden = true;
    }
    updateThreadLink(annotation);
    fillForm(annotation);
    showForm();
    el.title.focus();
    // Other scripts (annotator-claims.js) follow which annotation is open.
    root.dispatchEvent(new CustomEvent("annotator:open", { detail: { annotation: annotation } }));
  }

  function openAttach(annotation, opener) {
    state.mode = "attach";
    state.annotation = annotation;
    state.selection = null;
    state.opener = opener || state.opener;
    el.title.textContent = "Attach orphaned annotation " + annotation.id;
    el.quote.textContent = quoteText(annotation.exact);
    el.help.textContent = "It was attached to the passage quoted above. Select the passage " +
      "it belongs to now in the text, then press Attach.";
    el.save.textContent = "Attach to the selection";
    el.resolve.hidden = true;
    el.reopen.hidden = true;
    el.remove.hidden = false;
    el.adminLink.hidden = true;
    el.threadLink.hidden = true;
    fillForm(annotation);
    showForm();
    el.title.focus();
  }

  function closeForm() {
    root.dispatchEvent(new CustomEvent("annotator:open", { detail: { annotation: null } }));
    el.form.hidden = true;
    root.classList.remove("is-editing");
    state.mode = null;
    state.annotation = null;
    lastSelectionKey = "";
    clearFieldErrors();
    var opener = state.opener;
    state.opener = null;
    if (opener && document.body.contains(opener)) {
      opener.focus();
    }
  }

  function formPayload() {
    var payload = {
      note: el.note.value,
      sources: state.chosenSources.map(function (source) {
        return source.id;
      })
    };
    if (state.data.canRate) {
      payload.certainty = el.certainty.value;
      payload.verdict = el.verdict.value;
    }
    return payload;
  }

  function setBusy(busy) {
    state.busy = busy;
    el.save.disabled = busy;
    el.form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  /* After a refresh, show the saved annotation in the form again (or close the form). */
  function reopenAfterSave(id, message) {
    var fresh = findAnnotation(id);
    if (fresh && fresh.status !== "orphaned") {
      openEdit(fresh);
    } else if (fresh) {
      openAttach(fresh);
    } else {
      closeForm();
    }
    announce(message, "success");
  }

  function afterFailure(result, what) {
    var message = explainError(result.response, result.body, what);
    var status = result.response ? result.response.status : 0;
    if (status === 404 || status === 409 || status === 412) {
      var id = state.annotation && state.annotation.id;
      return refresh().then(function () {
        var fresh = id ? findAnnotation(id) : null;
        if (fresh && state.mode === "edit") {
          openEdit(fresh);
        } else if (fresh && state.mode === "attach") {
          openAttach(fresh);
        } else if (id) {
          closeForm();
        }
        announce(message, "error");
      }, function () {
        announce(message, "error");
      });
    }
    announce(message, "error");
    return Promise.resolve();
  }

  // The form's fields plus the passage selected in the text.
  function selectionPayload() {
    var payload = formPayload();
    payload.block = state.selection.block;
    payload.start = state.selection.start;
    payload.end = state.selection.end;
    payload.exact = state.selection.exact;
    return payload;
  }

  function submit(event) {
    event.preventDefault();
    if (state.busy) {
      return;
    }
    clearFieldErrors();
    var request;
    var what = "The annotation";
    if (state.mode === "new") {
      if (!state.selection) {
        announce("Select a passage in the text first.", "error");
        return;
      }
      request = api("POST", state.data.urls.annotations, selectionPayload());
    } else if (state.mode === "edit") {
      var changes = formPayload();
      changes.version = state.annotation.version;
      request = api("PATCH", annotationUrl(state.annotation.id), changes, ifMatch());
    } else if (state.mode === "attach") {
      if (!state.selection) {
        announce("Select the passage this annotation belongs to, then press Attach.", "error");
        return;
      }
      var attach = selectionPayload();
      attach.version = state.annotation.version;
      request = api("PATCH", annotationUrl(state.annotation.id), attach, ifMatch());
    } else {
      return;
    }
    setBusy(true);
    announce("Saving…");
    request.then(function (result) {
      if (!ok(result)) {
        return afterFailure(result, what);
      }
      var id = (result.body && result.body.id) || (state.annotation && state.annotation.id);
      var wasNew = state.mode === "new";
      state.selection = null;
      return refresh().then(function () {
        reopenAfterSave(id, wasNew ? "Annotation saved; the passage is highlighted." :
          "Changes saved.");
      }, function () {
        announce("Saved, but the page could not be refreshed: reload it to see the change.",
          "error");
      });
    }).then(function () {
      setBusy(false);
    });
  }

  function changeStatus(newStatus) {
    if (state.busy || !state.annotation) {
      return;
    }
    setBusy(true);
    var id = state.annotation.id;
    api("PATCH", annotationUrl(id), { status: newStatus, version: state.annotation.version },
      ifMatch())
      .then(function (result) {
        if (!ok(result)) {
          return afterFailure(result, "The change of status");
        }
        return refresh().then(function () {
          reopenAfterSave(id, newStatus === "resolved" ? "Annotation marked resolved." :
            "Annotation reopened.");
        });
      }).then(function () {
        setBusy(false);
      });
  }

  function deleteAnnotation() {
    if (state.busy || !state.annotation) {
      return;
    }
    if (!window.confirm("Delete this annotation? This cannot be undone.")) {
      return;
    }
    setBusy(true);
    var id = state.annotation.id;
    api("DELETE", annotationUrl(id), undefined, ifMatch())
      .then(function (result) {
        if (!ok(result)) {
          return afterFailure(result, "The deletion");
        }
        return refresh().then(function () {
          state.opener = null;
          closeForm();
          el.title.blur();
          announce("Annotation " + id + " deleted.", "success");
        });
      }).then(function () {
        setBusy(false);
      });
  }

  // ---------------------------------------------------------------------------------------
  // Sources

  var searchTimer = null;
  var searchSerial = 0;

  function addSource(source) {
    var known = state.chosenSources.some(function (s) {
      return s.id === source.id;
    });
    if (!known) {
      state.chosenSources.push(source);
    }
    renderChosen();
    announce(known ? "That source is already chosen." : "Source added: " + sourceLabel(source) +
      ". Save to keep it.");
  }

  function showResults(sources) {
    el.results.textContent = "";
    sources.forEach(function (source) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button annotator-small";
      button.textContent = "Add";
      button.setAttribute("aria-label", "Add source: " + sourceLabel(source));
      button.addEventListener("click", function () {
        addSource(source);
      });
      var label = document.createElement("span");
      label.textContent = " " + sourceLabel(source);
      item.appendChild(button);
      item.appendChild(label);
      el.results.appendChild(item);
    });
    el.searchStatus.textContent = sources.length ?
      sources.length + (sources.length === 1 ? " source matches." : " sources match.") :
      "No source matches. Add it below if it is not listed.";
  }

  function searchSources() {
    var query = el.search.value.trim();
    var serial = ++searchSerial;
    if (query.length < 2) {
      el.results.textContent = "";
      el.searchStatus.textContent = query ? "Type at least two characters." : "";
      return;
    }
    el.searchStatus.textContent = "Searching…";
    var url = state.data.urls.sources + "?q=" + encodeURIComponent(query);
    api("GET", url).then(function (result) {
      if (serial !== searchSerial) {
        return;  // a newer search is under way
      }
      if (!ok(result)) {
        el.searchStatus.textContent = "The search failed: " +
          explainError(result.response, result.body, "The search");
        return;
      }
      var body = result.body || {};
      showResults(Array.isArray(body) ? body : (body.results || []));
    });
  }

  function createSource() {
    var fields = {
      title: document.getElementById("new-source-title").value.trim(),
      pmid: document.getElementById("new-source-pmid").value.trim(),
      doi: document.getElementById("new-source-doi").value.trim(),
      url: document.getElementById("new-source-url").value.trim()
    };
    if (!fields.pmid && !fields.doi && !fields.url) {
      announce("Give a PMID, a DOI or a URL for the new source.", "error");
      return;
    }
    api("POST", state.data.urls.sources, fields).then(function (result) {
      if (!ok(result)) {
        var body = result.body || {};
        var message = body.errors ? flatten(body.errors) : (body.detail || "");
        announce("The source was not added. " +
          (message || explainError(result.response, result.body, "The source")), "error");
        return;
      }
      ["title", "pmid", "doi", "url"].forEach(function (name) {
        document.getElementById("new-source-" + name).value = "";
      });
      addSource(result.body);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Review threads

  /* The form of an open annotation links to its thread in the list, with the open count. */
  function updateThreadLink(annotation) {
    var link = el.threadLink.querySelector("a");
    if (!document.getElementById("thread-" + annotation.id)) {
      el.threadLink.hidden = true;
      return;
    }
    link.href = "#thread-" + annotation.id;
    link.textContent = "Review comments" + (annotation.openComments ?
      " (" + openCommentsText(annotation.openComments) + ")" : "");
    el.threadLink.hidden = false;
  }

  function showThread(annotationId) {
    var details = document.getElementById("thread-" + annotationId);
    if (!details) {
      return;
    }
    details.open = true;
    var summary = details.querySelector("summary");
    summary.scrollIntoView({ block: "nearest" });
    summary.focus();
  }

  function openThreadIds() {
    return Array.prototype.map.call(
      el.lists.querySelectorAll("details.annotation-thread[open]"),
      function (details) {
        return details.id;
      }
    );
  }

  /* Say in plain language why the server refused a comment, a reply, a resolve or a reopen. */
  function explainThreadError(result, what) {
    var body = result.body || {};
    var detail = body.detail ? String(body.detail) : "";
    var status = result.response ? result.response.status : 0;
    if (status === 400) {
      var errors = body.errors || {};
      return what + " was not saved. " + (Object.keys(errors).length ? flatten(errors) : detail);
    }
    if (status === 403) {
      return "Not allowed: " + (detail || "you may not do this.");
    }
    if (status === 404) {
      return "This comment or annotation no longer exists; the list has been refreshed.";
    }
    if (status === 409) {
      return what + " was not saved: " + detail + " The list has been refreshed.";
    }
    return explainError(result.response, result.body, what);
  }

  /* Fetch the page again, open the threads that were open, put back text being written
     (`keep`: {ids, text}: into the first of those text areas still there), focus `focusId`
     and say `message`. */
  function refreshThreads(openIds, focusId, message, kind, keep) {
    return refresh().then(function () {
      openIds.forEach(function (id) {
        var details = document.getElementById(id);
        if (details) {
          details.open = true;
        }
      });
      if (keep) {
        var textarea = keep.ids.map(function (id) {
          return document.getElementById(id);
        }).filter(Boolean)[0];
        if (textarea) {
          textarea.value = keep.text;
        }
      }
      var fresh = state.annotation && findAnnotation(state.annotation.id);
      if (fresh && state.mode === "edit") {
        updateThreadLink(fresh);
      }
      var target = focusId && document.getElementById(focusId);
      if (target) {
        target.focus();
      }
      announce(message, kind || "success");
    }, function () {
      announce("The page could not be refreshed: reload it to see the latest comments.",
        "error");
    });
  }

  function setFieldError(textarea, message) {
    var node = document.getElementById(textarea.id + "-error");
    if (node) {
      node.textContent = message;
      node.hidden = !message;
    }
    if (message) {
      textarea.setAttribute("aria-invalid", "true");
    } else {
      textarea.removeAttribute("aria-invalid");
    }
  }

  function onThreadSubmit(event) {
    var form = event.target.closest("form.review-comment-form");
    if (!form || !el.lists.contains(form)) {
      return;
    }
    event.preventDefault();
    if (state.busy) {
      return;
    }
    var textarea = form.querySelector("textarea");
    var annotationId = form.getAttribute("data-annotation");
    var replyTo = form.getAttribute("data-reply-to");
    var what = replyTo ? "The reply" : "The comment";
    setFieldError(textarea, "");
    if (!textarea.value.trim()) {
      setFieldError(textarea, "Write a comment first.");
      textarea.focus();
      return;
    }
    var payload = { body: textarea.value };
    if (replyTo) {
      payload.reply_to = Number(replyTo);
    }
    var openIds = openThreadIds();
    setBusy(true);
    announce("Saving…");
    api("POST", annotationUrl(annotationId) + "comments/", payload).then(function (result) {
      if (!ok(result)) {
        var message = explainThreadError(result, what);
        var status = result.response ? result.response.status : 0;
        if (status === 404 || status === 409) {
          // The thread changed meanwhile: show it as it is, keeping the words written. A
          // resolved thread has no reply form, so they go to the new-comment form.
          var keep = { ids: [textarea.id, "new-comment-" + annotationId], text: textarea.value };
          return refreshThreads(openIds, "", message, "error", keep);
        }
        setFieldError(textarea, message);
        announce(message, "error");
        textarea.focus();
        return;
      }
      var thread = "comment-" + (result.body.reply_to || result.body.id);
      return refreshThreads(openIds, thread, replyTo ? "Reply added." : "Comment added.");
    }).then(function () {
      setBusy(false);
    });
  }

  /* Resolve or reopen a thread; return true when the click was on such a button. */
  function onThreadAction(event) {
    var button = event.target.closest("button[data-thread-action]");
    if (!button || !el.lists.contains(button)) {
      return false;
    }
    if (state.busy) {
      return true;
    }
    var action = button.getAttribute("data-thread-action");
    var commentId = button.getAttribute("data-comment");
    var openIds = openThreadIds();
    setBusy(true);
    announce("Saving…");
    api("POST", state.data.urls.comment + commentId + "/" + action + "/").then(function (result) {
      var focusId = "comment-" + commentId;
      if (!ok(result)) {
        var message = explainThreadError(
          result, action === "resolve" ? "Resolving the thread" : "Reopening the thread"
        );
        var status = result.response ? result.response.status : 0;
        if (status === 404 || status === 409) {
          return refreshThreads(openIds, focusId, message, "error");
        }
        announce(message, "error");
        return;
      }
      return refreshThreads(openIds, focusId, action === "resolve" ?
        "Thread resolved; it stays in the list, marked resolved." : "Thread reopened.");
    }).then(function () {
      setBusy(false);
    });
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Events

  var lastSelectionKey = "";

  function onSelection() {
    var selection = currentSelection();
    if (!selection) {
      return;
    }
    if (selection.error) {
      if (lastSelectionKey !== selection.error) {
        lastSelectionKey = selection.error;
        announce(selection.error, "error");
      }
      return;
    }
    var key = selection.block + ":" + selection.start + ":" + selection.end;
    if (key === lastSelectionKey) {
      return;
    }
    lastSelectionKey = key;
    if (state.mode === "attach") {
      state.selection = selection;
      el.help.textContent = "New passage: " + quoteText(selection.exact) + ". Press Attach " +
        "to move the annotation there.";
      announce("Selected " + quoteText(selection.exact) + ". Press “Attach to the selection”.");
      return;
    }
    if (state.mode === "edit") {
      // An open annotation stays open; the selection starts a new one only on request.
      state.selection = selection;
    }
    openNew(selection);
    announce("Selected " + quoteText(selection.exact) + ". Rate it in the form beside the " +
      "text, then save.");
  }

  var selectionTimer = null;

  function onSelectionSoon() {
    window.clearTimeout(selectionTimer);
    selectionTimer = window.setTimeout(onSelection, 150);
  }

  function claimId(link) {
    var note = link.getAttribute("data-note") || link.getAttribute("href") || "";
    var match = note.match(/note-(\d+)$/);
    return match ? match[1] : null;
  }

  function onTextClick(event) {
    var link = event.target.closest("a.claim");
    if (!link || !el.text.contains(link)) {
      return;
    }
    event.preventDefault();
    var selection = window.getSelection();
    if (selection && !selection.isCollapsed) {
      return;  // the user is selecting text inside a highlight, not opening it
    }
    var annotation = findAnnotation(claimId(link));
    if (annotation) {
      openEdit(annotation, link);
    }
  }

  function onListClick(event) {
    if (onThreadAction(event)) {
      return;
    }
    var button = event.target.closest("button[data-action]");
    if (!button) {
      return;
    }
    var annotation = findAnnotation(button.getAttribute("data-annotation"));
    if (!annotation) {
      return;
    }
    if (button.getAttribute("data-action") === "attach") {
      openAttach(annotation, button);
      announce("Select in the text the passage this annotation belongs to now.");
    } else {
      openEdit(annotation, button);
    }
  }

  function init() {
    state.data = readData(document);
    if (!state.data) {
      return;
    }
    indexBlocks();
    root.classList.add("annotator-ready");
    renderChosen();

    el.text.addEventListener("mouseup", onSelectionSoon);
    el.text.addEventListener("keyup", onSelectionSoon);
    document.addEventListener("selectionchange", onSelectionSoon);
    el.text.addEventListener("click", onTextClick);
    el.lists.addEventListener("click", onListClick);
    el.lists.addEventListener("submit", onThreadSubmit);
    el.threadLink.addEventListener("click", function (event) {
      event.preventDefault();
      if (state.annotation) {
        showThread(state.annotation.id);
      }
    });
    el.form.addEventListener("submit", submit);
    el.form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        closeForm();
      }
    });
    el.cancel.addEventListener("click", closeForm);
    el.resolve.addEventListener("click", function () {
      changeStatus("resolved");
    });
    el.reopen.addEventListener("click", function () {
      changeStatus("open");
    });
    el.remove.addEventListener("click", deleteAnnotation);
    el.search.addEventListener("input", function () {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(searchSources, 250);
    });
    el.search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();  // Enter searches; it does not save the annotation
        window.clearTimeout(searchTimer);
        searchSources();
      }
    });
    el.newSourceAdd.addEventListener("click", createSource);
    el.newSource.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.tagName === "INPUT") {
        event.preventDefault();  // Enter adds the source; it does not save the annotation
        createSource();
      }
    });
  }

  init();
}());
