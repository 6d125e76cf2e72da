/* The claim registry in the annotator: for the open annotation, its registered claim, or
   the claims already rated elsewhere that say the same thing, with a Link button.

   annotator.js tells this script which annotation is open ("annotator:open" on #annotator).
   Everything goes through the editorial API with the session, so the server applies every
   rule (who may link, who may confirm); this script applies none. No inline script or style
   (the CSP forbids them); text is always set with textContent. */
(function () {
  "use strict";

  var root = document.getElementById("annotator");
  var panel = document.getElementById("claim-panel");
  if (!root || !panel) {
    return;
  }
  var body = document.getElementById("claim-panel-body");
  var status = document.getElementById("claim-panel-status");
  var claimsUrl = panel.getAttribute("data-claims-url");
  var annotationBase = panel.getAttribute("data-annotation-url").replace(/0\/$/, "");
  var canConfirm = panel.getAttribute("data-can-confirm") === "true";
  var current = null;  // the open annotation {id, exact, ...}
  var generation = 0;  // answers for an annotation no longer open are dropped

  var VERDICTS = {
    supported: "Supported", mixed: "Mixed", unsupported: "Unsupported",
    misleading: "Misleading", contradicted: "Contradicted"
  };
  var CERTAINTIES = { high: "high", moderate: "moderate", low: "low", very_low: "very low" };

  /* Call the API; resolve to {ok, status, body} (status 0 when the network failed). */
  function api(method, url, payload) {
    return window.ketasiteApi.call(method, url, payload).then(function (result) {
      var response = result.response;
      return {
        ok: Boolean(response && response.ok),
        status: response ? response.status : 0,
        body: result.body
      };
    });
  }

  function say(message) {
    status.textContent = message || "";
  }

  function refusal(result, what) {
    if (result.status === 0) {
      return what + ": the server could not be reached.";
    }
    var detail = result.body && result.body.detail ? result.body.detail : "refused";
    var errors = result.body && result.body.errors;
    if (errors) {
      detail += " " + Object.keys(errors).map(function (key) {
        return [].concat(errors[key]).join(" ");
      }).join(" ");
    }
    return what + " (" + result.status + "): " + detail;
  }

  function rating(claim) {
    var verdict = VERDICTS[claim.verdict] || "Not rated";
    var certainty = claim.certainty ? CERTAINTIES[claim.certainty] + " certainty" : "certainty not rated";
    return verdict + ", " + certainty;
  }

  function ratedBy(claim) {
    if (!claim.rated_by) {
      return "";
    }
    var date = claim.rated_at ? claim.rated_at.slice(0, 10) : "";
    return ", by " + claim.rated_by + (date ? " on " + date : "");
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function button(label, onClick) {
    var node = element("button", "button", label);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  function annotationClaimUrl(id) {
    return annotationBase + id + "/claim/";
  }

  function showLinked(link) {
    body.textContent = "";
    var claim = link.claim_detail;
    var line = element("p", "claim-linked");
    line.appendChild(element("strong", "", "Linked to: "));
    line.appendChild(document.createTextNode(claim.statement + " — " + rating(claim) + ratedBy(claim)));
    body.appendChild(line);
    body.appendChild(element("p", "help", link.confirmed
      ? "A reviewer confirmed the rating for this passage."
      : "Waiting for a reviewer to confirm the claim's rating for this passage; the article cannot be approved until then."));
    var actions = element("div", "claim-actions");
    if (canConfirm && !link.confirmed && claim.verdict && claim.certainty) {
      actions.appendChild(button("Accept the claim's rating", function () {
        confirmLink(link.annotation);
      }));
    }
    actions.appendChild(button("Unlink", function () {
      unlink(link.annotation);
    }));
    body.appendChild(actions);
  }

  function showMatches(annotation, results) {
    body.textContent = "";
    var suggested = results.filter(function (item) { return item.suggested; });
    if (!suggested.length) {
      body.appendChild(element("p", "help", "No registered claim says the same thing."));
    }
    var list = element("ul", "claim-matches");
    suggested.slice(0, 5).forEach(function (claim) {
      var item = element("li", "claim-match");
      var text = claim.verdict
        ? "Already rated: " + claim.statement + " — " + rating(claim) + ratedBy(claim)
        : "Registered, not rated yet: " + claim.statement;
      item.appendChild(element("p", "claim-match-text", text));
      if (claim.reasons && claim.reasons.length) {
        item.appendChild(element("p", "help", "Why: " + claim.reasons.join("; ") +
          " (similarity " + Math.round(claim.similarity * 100) + "%)"));
      }
      item.appendChild(button("Link", function () {
        link(annotation.id, claim.id);
      }));
      list.appendChild(item);
    });
    body.appendChild(list);
    body.appendChild(button("Register this passage as a new claim", function () {
      register(annotation);
    }));
  }

  function load(annotation) {
    var mine = ++generation;
    current = annotation;
    say("");
    body.textContent = "";
    if (!annotation) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    say("Looking for registered claims…");
    api("GET", annotationClaimUrl(annotation.id)).then(function (result) {
      if (mine !== generation) {
        return null;
      }
      if (result.ok && result.body && result.body.claim) {
        say("");
        showLinked(result.body);
        return null;
      }
      var url = claimsUrl + "?similar_to=" + encodeURIComponent(annotation.exact.slice(0, 1000));
      return api("GET", url).then(function (found) {
        if (mine !== generation) {
          return;
        }
        if (!found.ok) {
          say(refusal(found, "Could not look for matching claims"));
          return;
        }
        say("");
        showMatches(annotation, found.body.results || []);
      });
    });
  }

  function link(annotationId, claimId) {
    say("Linking…");
    api("PUT", annotationClaimUrl(annotationId), { claim: claimId }).then(function (result) {
      if (!result.ok) {
        say(refusal(result, "Not linked"));
        return;
      }
      say("Linked. A reviewer must now confirm the claim's rating for this passage.");
      showLinked(result.body);
    });
  }

  function unlink(annotationId) {
    say("Unlinking…");
    api("DELETE", annotationClaimUrl(annotationId)).then(function (result) {
      if (!result.ok) {
        say(refusal(result, "Not unlinked"));
        return;
      }
      load(current);
      say("Unlinked.");
    });
  }

  function confirmLink(annotationId) {
    say("Confirming…");
    api("POST", annotationClaimUrl(annotationId) + "confirm/", { accept: true }).then(function (result) {
      if (!result.ok) {
        say(refusal(result, "Not confirmed"));
        return;
      }
      // The annotation's rating changed: load the page again so the form shows it.
      window.location.reload();
    });
  }

  function register(annotation) {
    say("Registering…");
    api("POST", claimsUrl, { statement: annotation.exact, annotation: annotation.id }).then(function (result) {
      if (!result.ok) {
        say(refusal(result, "Not registered"));
        return;
      }
      load(current);
    });
  }

  root.addEventListener("annotator:open", function (event) {
    load(event.detail && event.detail.annotation);
  });
})();
