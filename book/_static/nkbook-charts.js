// Draws every chart of the page from its escaped JSON spec with the book's own vega-embed bundle
// (vega-bundle.js, loaded before this file). No network is needed.
(function () {
  "use strict";
  function drawAll() {
    var blocks = document.querySelectorAll("script.nk-spec");
    blocks.forEach(function (block) {
      var target = document.getElementById(block.getAttribute("data-target"));
      if (!target || target.getAttribute("data-drawn")) { return; }
      var spec;
      try { spec = JSON.parse(block.textContent); } catch (e) { console.error("chart spec unreadable", e); return; }
      if (typeof window.vegaEmbed !== "function") {
        target.textContent = "The chart library did not load; the data are in the table below.";
        return;
      }
      window.vegaEmbed(target, spec, {
        renderer: "svg",
        actions: { export: true, source: false, compiled: false, editor: false }
      }).then(function () {
        target.setAttribute("data-drawn", "true");
      }).catch(function (err) {
        target.textContent = "This chart could not be drawn; the data are in the table below.";
        console.error(err);
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
