// Renders every Vega-Lite specification the server put in the page, under the site's
// Content-Security-Policy: the expression interpreter replaces Vega's code generation
// (no eval), and vega-embed adds no inline style and no action menu (the page has its
// own data table and download link beside each chart).
import embed from "vega-embed";
import { expressionInterpreter } from "vega-interpreter";

function renderCharts(root) {
  for (const figure of root.querySelectorAll("[data-vega-spec]")) {
    const source = document.getElementById(figure.dataset.vegaSpec);
    const target = figure.querySelector(".chart-canvas");
    if (!source || !target || target.dataset.rendered) continue;
    target.dataset.rendered = "true";
    embed(target, JSON.parse(source.textContent), {
      ast: true,
      expr: expressionInterpreter,
      actions: false,
      defaultStyle: false,
      renderer: "svg",
      // vega-tooltip would add a <style> element; pilotage.css styles the tooltip.
      tooltip: { disableDefaultStyle: true },
    }).then(() => figure.classList.add("chart-rendered"));
  }
}

document.addEventListener("DOMContentLoaded", () => renderCharts(document));
// htmx swaps in new fragments (filters): render the charts they carry.
document.addEventListener("htmx:afterSettle", (event) => renderCharts(event.target));
