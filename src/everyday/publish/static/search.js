/* Offline search: loads the prebuilt index (one file per month) once and filters it in the browser.
   Results are built with textContent only, so nothing from the index becomes markup. */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) { return; }
  var input = form.querySelector("input[name=q]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var LIMIT = 50;
  var loading = null;
  var timer = 0;

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function getJSON(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  function load() {
    if (!loading) {
      var index = new URL(form.getAttribute("data-index"), document.baseURI);
      loading = getJSON(index.href)
        .then(function (found) {
          if (Array.isArray(found)) { return found; }  /* one file, as older builds made */
          /* One file per month, newest first: fetched together, kept in that order. */
          return Promise.all(found.parts.map(function (name) {
            return getJSON(new URL(name, index).href);
          })).then(function (parts) { return [].concat.apply([], parts); });
        })
        .then(function (rows) {
          return rows.map(function (row) {
            var rest = [row.excerpt, row.provider].concat(row.topics || []).join(" ");
            return { row: row, title: fold(row.title), rest: fold(rest) };
          });
        });
    }
    return loading;
  }

  function score(item, words) {
    var total = 0;
    for (var i = 0; i < words.length; i++) {
      var word = words[i];
      if (item.title.indexOf(word) >= 0) {
        total += (" " + item.title).indexOf(" " + word) >= 0 ? 4 : 3;
      } else if (item.rest.indexOf(word) >= 0) {
        total += 1;
      } else {
        return 0;
      }
    }
    return total;
  }

  function day(iso) {
    var parts = String(iso).split("-");
    if (parts.length !== 3) { return String(iso); }
    return Number(parts[2]) + " " + MONTHS[Number(parts[1]) - 1] + " " + parts[0];
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function result(row) {
    var item = element("li");
    var link = element("a", "", row.title);
    link.href = row.url;
    item.appendChild(link);
    var meta = [row.provider, day(row.date)].concat(row.topics || []).filter(Boolean);
    item.appendChild(element("p", "meta", meta.join(" · ")));
    if (row.excerpt) { item.appendChild(element("p", "", row.excerpt)); }
    return item;
  }

  function show(query, items) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!words.length) { status.textContent = ""; return; }
    var hits = [];
    for (var i = 0; i < items.length; i++) {
      var points = score(items[i], words);
      if (points) { hits.push({ points: points, order: i, row: items[i].row }); }
    }
    hits.sort(function (a, b) { return b.points - a.points || a.order - b.order; });
    var shown = hits.slice(0, LIMIT);
    shown.forEach(function (hit) { list.appendChild(result(hit.row)); });
    if (!hits.length) {
      status.textContent = "No stories match \u201c" + query + "\u201d.";
    } else {
      status.textContent = hits.length + (hits.length === 1 ? " story" : " stories") +
        " match \u201c" + query + "\u201d" + (hits.length > LIMIT ? " (first " + LIMIT + " shown)." : ".");
    }
  }

  function run() {
    var query = input.value.trim();
    var url = query ? "?q=" + encodeURIComponent(query) : location.pathname;
    history.replaceState(null, "", url);
    load().then(function (items) { show(query, items); }, function () {
      status.textContent = "The search index could not be loaded. Please try again later.";
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) {
    input.value = initial;
    run();
  }
})();
