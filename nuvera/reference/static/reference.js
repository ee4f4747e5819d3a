// Renders the OpenAPI document with the ReDoc bundle served by this application (no CDN).
(function () {
  "use strict";
  var element = document.getElementById("redoc");
  var options = {
    // x-permission is not listed: each operation's description already ends with "Required permission: …"
    // (nuvera/openapi.py writes both from the route), and ReDoc would show it a second time.
    showExtensions: ["x-error-codes"],
    requiredPropsFirst: true,
    sortPropsAlphabetically: false,
    expandResponses: "200,201",
    jsonSampleExpandLevel: 3,
    hideDownloadButton: false,
    theme: { colors: { primary: { main: "#1f4fd6" } }, typography: { fontFamily: "system-ui, sans-serif",
      headings: { fontFamily: "system-ui, sans-serif" }, code: { fontFamily: "ui-monospace, monospace" } } }
  };
  window.Redoc.init(element.getAttribute("data-spec-url"), options, element, function (error) {
    document.body.setAttribute("data-rendered", error ? "error" : "ok");
  });
})();
