/* Enhances rated passages: choosing one opens and focuses its note (on narrow screens the
   notes stay folded until asked for). Without this script every note is simply visible. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js-notes");

  function noteFor(link) {
    var id = link.getAttribute("data-note");
    return id ? document.getElementById(id) : null;
  }

  function clearCurrent() {
    document.querySelectorAll(".is-current").forEach(function (el) {
      el.classList.remove("is-current");
    });
  }

  function openNote(link, focus) {
    var note = noteFor(link);
    if (!note) { return; }
    clearCurrent();
    note.classList.add("is-open", "is-current");
    link.classList.add("is-current");
    link.setAttribute("aria-expanded", "true");
    if (focus) { note.focus({ preventScroll: false }); }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.claim") : null;
    if (link) {
      event.preventDefault();
      var note = noteFor(link);
      var wasOpen = note && note.classList.contains("is-open") && link.classList.contains("is-current");
      if (wasOpen && window.matchMedia("(max-width: 74.99rem)").matches) {
        note.classList.remove("is-open", "is-current");
        link.classList.remove("is-current");
        link.setAttribute("aria-expanded", "false");
        return;
      }
      openNote(link, true);
      if (history.replaceState) { history.replaceState(null, "", "#" + note.id); }
      return;
    }
    var back = event.target.closest ? event.target.closest(".note-back a") : null;
    if (back) {
      var target = document.getElementById(back.getAttribute("href").slice(1));
      if (target) {
        event.preventDefault();
        target.focus();
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var note = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest(".note") : null;
    if (!note) { return; }
    var link = document.getElementById("claim-" + note.id.replace(/^note-/, ""));
    if (window.matchMedia("(max-width: 74.99rem)").matches) { note.classList.remove("is-open"); }
    if (link) { link.focus(); }
  });

  function openFromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (id.indexOf("note-") !== 0) { return; }
    var note = document.getElementById(id);
    var link = document.getElementById("claim-" + id.slice(5));
    if (note && link) { openNote(link, true); }
  }

  document.querySelectorAll("a.claim[data-note]").forEach(function (link) {
    link.setAttribute("aria-expanded", "false");
  });
  openFromHash();
  window.addEventListener("hashchange", openFromHash);
})();
