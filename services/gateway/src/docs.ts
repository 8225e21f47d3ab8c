import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';

/** Only this origin: scripts, styles and the document itself come from the gateway (images may be inline data). */
export const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const ASSET_TYPES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

function swaggerUiDirectory(): string {
  return dirname(require.resolve('swagger-ui-dist/package.json'));
}

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Steward API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/docs-initializer.js"></script>
</body>
</html>
`;

/** An external script: the CSP allows no inline one. */
export const DOCS_INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
});
`;

export function sendDocsPage(response: ServerResponse): void {
  response.setHeader('content-security-policy', DOCS_CSP);
  response.setHeader('content-type', 'text/html; charset=utf-8');
  response.setHeader('cache-control', 'no-cache');
  response.end(DOCS_HTML);
}

/** Serves one file of the installed swagger-ui-dist; false when the name is not one of them. */
export function sendDocsAsset(name: string, response: ServerResponse): boolean {
  response.setHeader('content-security-policy', DOCS_CSP);
  if (name === 'docs-initializer.js') {
    response.setHeader('content-type', 'text/javascript; charset=utf-8');
    response.end(DOCS_INITIALIZER);
    return true;
  }
  const type = ASSET_TYPES[name];
  if (!type) return false;
  response.setHeader('content-type', type);
  response.setHeader('cache-control', 'public, max-age=86400');
  const stream = createReadStream(join(swaggerUiDirectory(), name));
  stream.on('error', () => response.destroy());
  stream.pipe(response);
  return true;
}
