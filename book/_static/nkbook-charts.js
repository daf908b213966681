// Draws every chart of the page from its escaped JSON spec with the book's own vega-embed bundle
// (vega-bundle.js, loaded before this file). No network is needed.
(function () {
  "use strict";
  // Side-by-side panels do not fit a phone: stack them and give each panel the column's width.
  // A title longer than the column breaks into lines (Vega-Lite does not wrap titles by itself).
  function wrap(text, chars) {
    if (typeof text !== "string" || text.length <= chars) { return text; }
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines;
  }
  function wrapTitles(spec, width) {
    var t = spec.title;
    if (!t) { return; }
    if (typeof t === "string") { spec.title = { text: wrap(t, Math.floor(width / 8.5)) }; return; }
    spec.title = Object.assign({}, t, {
      text: wrap(t.text, Math.floor(width / 8.5)),
      subtitle: wrap(t.subtitle, Math.floor(width / 7))
    });
  }
  function fitToColumn(spec, width) {
    spec = Object.assign({}, spec);
    wrapTitles(spec, width);
    var panels = spec.hconcat || spec.concat;
    if (!panels || width >= 640) { return spec; }
    var out = Object.assign({}, spec);
    delete out.hconcat; delete out.concat; delete out.columns;
    out.vconcat = panels.map(function (panel) {
      var p = Object.assign({}, panel);
      if (typeof p.width === "number" || p.width === undefined) { p.width = Math.max(200, width - 90); }
      return p;
    });
    return out;
  }
  function drawAll() {
    var blocks = document.querySelectorAll("script.nk-spec");
    blocks.forEach(function (block) {
      // the figure that holds this spec (a figure can appear twice in one document, e.g. the front
      // page's copy in a single-page build, so ids are not relied upon)
      var figure = block.closest(".nk-figure");
      var outer = figure ? figure.querySelector(".nk-vega") : document.getElementById(block.getAttribute("data-target"));
      // vega-embed sets its own role on the element it draws in: draw inside, keep role="img" outside
      var target = outer && outer.querySelector(".nk-vega-target");
      if (!target || outer.getAttribute("data-drawn")) { return; }
      var spec;
      try { spec = JSON.parse(block.textContent); } catch (e) { console.error("chart spec unreadable", e); return; }
      spec = fitToColumn(spec, outer.clientWidth || 640);
      if (typeof window.vegaEmbed !== "function") {
        target.textContent = "The chart library did not load; the data are in the table below.";
        return;
      }
      window.vegaEmbed(target, spec, {
        renderer: "svg",
        actions: false  // the data are in the table beside each chart and in the book's downloads
      }).then(function () {
        // the figure speaks through its container (role="img" and the chart's text description);
        // the SVG's own marks are hidden from assistive technology
        target.querySelectorAll("svg").forEach(function (svg) { svg.setAttribute("aria-hidden", "true"); });
        outer.setAttribute("data-drawn", "true");
        if (window.nkFirstChartMs === undefined) { window.nkFirstChartMs = performance.now(); }
      }).catch(function (err) {
        target.textContent = "This chart could not be drawn; the data are in the table below.";
        console.error(err);
      });
    });
  }
  // Some theme controls carry an aria-label that differs from what they show (the search button is
  // labelled "Search" but shows "Search Ctrl+K"; the colour-mode button shows a "Light" icon; code
  // toggles are labelled "Toggle hidden content" but show "Show code cell source"): the accessible
  // name must contain the visible text (WCAG 2.5.3, label in name). Charts keep their labels.
  function visibleText(el) {
    var text = (el.innerText || "").replace(/\s+/g, " ").trim();
    if (text) { return text; }
    var titles = [];
    el.querySelectorAll("svg").forEach(function (svg) {
      var t = svg.querySelector("title");
      if (t && svg.getBoundingClientRect().width > 0) { titles.push(t.textContent.trim()); }
    });
    return titles.join(" ");
  }
  function fixSearchLabel() {
    document.querySelectorAll("summary[aria-label]").forEach(function (el) { el.removeAttribute("aria-label"); });
    document.querySelectorAll("button[aria-label], a[aria-label]").forEach(function (el) {
      if (el.closest(".nk-vega")) { return; }
      var base = el.getAttribute("data-nk-label") || el.getAttribute("aria-label").trim();
      el.setAttribute("data-nk-label", base);
      var shown = visibleText(el);
      var name = (shown && base.toLowerCase().indexOf(shown.toLowerCase()) === -1) ? base + ": " + shown : base;
      el.setAttribute("aria-label", name);
    });
  }
  // Icons inside a labelled control are decorative: the theme's Font Awesome script swaps them in
  // as <svg role="img"><title>Light</title>, which would conflict with the control's label.
  function hideIcons() {
    document.querySelectorAll("button[aria-label] svg, a[aria-label] svg").forEach(function (svg) {
      if (svg.closest(".nk-vega")) { return; }
      svg.setAttribute("aria-hidden", "true");
      svg.removeAttribute("role");
      svg.removeAttribute("aria-labelledby");
    });
  }
  function fixControls() { fixSearchLabel(); hideIcons(); }
  document.addEventListener("click", function () { setTimeout(fixSearchLabel, 0); });
  function ready() {
    drawAll();
    fixControls();
    if (window.MutationObserver) {
      new MutationObserver(fixControls).observe(document.body, { childList: true, subtree: true });
    }
  }
  window.addEventListener("load", fixControls);  // the theme fills some buttons after DOMContentLoaded
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
