// Runs axe-core (loaded just before this, from tests/vendor/axe-core/axe.min.js) on every page the browser
// tests open, once the page has loaded, and reports the violations to the test through window.__axeReport
// (a Playwright binding). window.__axeCheck() runs it again on demand (a screen the page's script drew).
// Runs are chained: axe refuses to start while another run is under way.
(() => {
  if (window.top !== window || typeof axe === "undefined") return;
  const OPTIONS = {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    resultTypes: ["violations"],
  };
  let chain = Promise.resolve();
  function summary(results) {
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
    }));
  }
  window.__axeCheck = function () {
    const run = chain.then(() => axe.run(document, OPTIONS)).then((r) => ({ url: location.href, violations: summary(r) }));
    chain = run.catch(() => undefined);
    return run;
  };
  window.addEventListener("load", () => {
    window.__axeCheck().then(
      (r) => window.__axeReport && window.__axeReport(r),
      (err) => window.__axeReport && window.__axeReport({ url: location.href, error: String(err) }),
    );
  });
})();
