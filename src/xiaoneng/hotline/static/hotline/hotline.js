/* Hotline pages: knowledge-base answers as the citizen types, and the operators' KB search.
 * Vanilla JS, no external code. Text from the server is put in with textContent only. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 300;

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  // Fetch articles; the newest request wins, so a slow answer to an old text never shows.
  function searcher(url) {
    var seq = 0;
    return function (q, category, done, failed) {
      var mine = ++seq;
      var params = new URLSearchParams({ q: q });
      if (category) { params.set("category", category); }
      fetch(url + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (data) { if (mine === seq) { done(Array.isArray(data) ? data : (data.results || [])); } })
        .catch(function () { if (mine === seq && failed) { failed(); } });
    };
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function article(item, buttonLabel, onUse) {
    var li = el("li", "kb-item");
    li.dataset.articleId = item.id;
    var details = el("details");
    var summary = el("summary");
    summary.appendChild(el("span", "kb-title", item.title));
    // The snippet while closed; opened, the whole answer replaces it.
    if (item.snippet) { summary.appendChild(el("span", "kb-snippet muted", item.snippet)); }
    details.appendChild(summary);
    var body = el("div", "kb-body", item.body);
    details.appendChild(body);
    var button = el("button", "kb-use", buttonLabel);
    button.type = "button";
    button.addEventListener("click", function () { onUse(item, li); });
    details.appendChild(button);
    li.appendChild(details);
    return li;
  }

  // The citizen's form: up to five answers under the description, as they type.
  function citizenForm(box) {
    var form = box.closest("form");
    var description = form.querySelector("[name=description]");
    var category = form.querySelector("[name=category]");
    var list = box.querySelector(".kb-list");
    var thanks = box.querySelector(".kb-thanks");
    var max = parseInt(box.dataset.max || "5", 10);
    var search = searcher(box.dataset.kbUrl);
    var run = debounce(function () {
      var q = description.value.trim();
      if (q.length < 2) { box.hidden = true; return; }
      search(q.slice(0, 200), category ? category.value : "", function (items) {
        list.textContent = "";
        items.slice(0, max).forEach(function (item) {
          list.appendChild(article(item, box.dataset.answersLabel, function (_item, li) {
            // It answers the question: say so, and leave sending to the citizen.
            thanks.textContent = box.dataset.thanks;
            thanks.hidden = false;
            li.classList.add("kb-chosen");
          }));
        });
        box.hidden = items.length === 0;
      });
    }, DEBOUNCE_MS);
    description.addEventListener("input", run);
    if (category) { category.addEventListener("change", run); }
    if (description.value.trim()) { run(); }
  }

  // The operators' search box; "use this answer" fills the answer field when there is one.
  function operatorSearch(box) {
    var input = box.querySelector(".kb-q");
    var list = box.querySelector(".kb-results");
    var fill = box.dataset.fill ? document.querySelector(box.dataset.fill) : null;
    var search = searcher(box.dataset.kbUrl);
    var run = debounce(function () {
      var q = input.value.trim();
      if (!q) { list.textContent = ""; return; }
      search(q.slice(0, 200), "", function (items) {
        list.textContent = "";
        if (!items.length) { list.appendChild(el("li", "muted", box.dataset.noneLabel)); }
        items.forEach(function (item) {
          list.appendChild(article(item, box.dataset.useLabel, function (chosen) {
            if (fill) { fill.value = chosen.body; fill.focus(); }
          }));
        });
      }, function () {
        list.textContent = "";
        list.appendChild(el("li", "muted", box.dataset.errorLabel));
      });
    }, DEBOUNCE_MS);
    input.addEventListener("input", run);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".kb-answers").forEach(citizenForm);
    document.querySelectorAll(".kb-search").forEach(operatorSearch);
  });
})();
