/* Starts Swagger UI on /api/v1/docs. The settings are read from the page's
   <script type="application/json" id="swagger-settings"> element, which the browser never
   executes: the page has no inline script and runs under a CSP without 'unsafe-inline'. */
"use strict";

(function () {
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  window.qyzmetApiDocs = SwaggerUIBundle(settings);
})();
