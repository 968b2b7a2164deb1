// A file of its own, not an inline script, so the page's Content-Security-Policy
// can refuse every inline script.
"use strict";

const root = document.getElementById("swagger-ui");

window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  deepLinking: true,
  // The default validator badge is an image from the public validator's origin.
  validatorUrl: null,
});
