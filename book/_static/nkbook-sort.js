// Makes every <table class="nk-sortable"> sortable by its column headings, with no network and no
// inline script. Each heading holds a <button> (added here if the page has none), so the sort works
// from the keyboard; the sorted heading carries aria-sort="ascending" or "descending".
// A cell's data-sort-value attribute, where present, is the key instead of its text. Numbers sort
// as numbers, before text; equal keys keep their previous order (a stable sort).
(function () {
  "use strict";

  function key(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var v = cell.getAttribute("data-sort-value");
    return (v !== null ? v : cell.textContent).trim();
  }

  function isNumber(text) {
    return text !== "" && isFinite(Number(text));
  }

  function compare(a, b) {
    var an = isNumber(a), bn = isNumber(b);
    if (an && bn) { return Number(a) - Number(b); }
    if (an) { return -1; }
    if (bn) { return 1; }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortBy(table, index, th) {
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var headers = table.tHead.rows[0].cells;
    for (var h = 0; h < headers.length; h++) { headers[h].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, i) {
      return { row: row, key: key(row, index), i: i };
    });
    rows.sort(function (x, y) {
      var c = compare(x.key, y.key);
      if (dir === "descending") { c = -c; }
      return c || x.i - y.i;
    });
    rows.forEach(function (x) { body.appendChild(x.row); });
  }

  function init(table) {
    if (table.getAttribute("data-nk-sortable") === "ready" || !table.tHead || !table.tBodies.length) { return; }
    table.setAttribute("data-nk-sortable", "ready");
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      if (th.hasAttribute("data-nosort")) { return; }
      var button = th.querySelector("button");
      if (!button) {
        button = document.createElement("button");
        button.type = "button";
        while (th.firstChild) { button.appendChild(th.firstChild); }
        th.appendChild(button);
      }
      button.setAttribute("title", "Sort by this column");
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  }

  function initAll() {
    document.querySelectorAll("table.nk-sortable").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
