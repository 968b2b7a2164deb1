"""/docs: Swagger UI served by Taskforge itself, from the pinned build `make install` fetches."""

import json
import logging
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.types import Guard

from taskforge_domain.access import Scope
from taskforge_entrypoints.rest.access import needs

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("api_docs_assets")
PAGE_ASSETS = ASSETS / "page"
PAGE_ASSETS_PATH = "/assets/page"
# Copied from package-lock.json's swagger-ui-dist by `make install`; not in git.
SWAGGER_UI = ASSETS / "swagger-ui"

# Nothing the page needs comes from another origin and nothing inline runs: the page
# loads its start script as a file. data: is for the icons swagger-ui.css embeds
# (a scheme, not an origin).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The version is in the path of Swagger UI's files, so a new build is a new URL.
FOR_A_YEAR = CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True)
# The start script changes with Taskforge, whose version rarely does.
REVALIDATE = CacheControlHeader(no_cache=True)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{swagger_ui}/favicon-32x32.png">
<link rel="stylesheet" href="{swagger_ui}/index.css">
<link rel="stylesheet" href="{swagger_ui}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{schema}"></div>
<script src="{swagger_ui}/swagger-ui-bundle.js"></script>
<script src="{page}/start-swagger-ui.js"></script>
</body>
</html>
"""

NOT_INSTALLED_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
<p>Swagger UI is not installed beside Taskforge ({where} is missing): <code>make install</code>
fetches the pinned build with npm. The schema is at <a href="{schema}">{schema}</a>.</p>
</body>
</html>
"""


def api_docs_router(path: str, guards: Sequence[Guard] = ()) -> Router:
    """The router of the OpenAPI schema and its page, with the page's security headers."""
    headers = [
        ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY),
        ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ]
    return Router(
        path,
        route_handlers=[],
        response_headers=headers,
        include_in_schema=False,
        guards=list(guards),
        opt=needs(Scope.READ),
    )


def installed_swagger_ui_version(swagger_ui: Path) -> str | None:
    try:
        manifest = json.loads((swagger_ui / "package.json").read_text())
    except FileNotFoundError:
        return None
    return str(manifest["version"])


class SwaggerUiPage(OpenAPIRenderPlugin):
    """The page at the docs root: markup only, every script and style is a file it links."""

    def __init__(self, swagger_ui: Path = SWAGGER_UI) -> None:
        super().__init__(path="/")
        self._swagger_ui = swagger_ui
        self._version = installed_swagger_ui_version(swagger_ui)
        self._docs_path = ""

    @property
    def _swagger_ui_path(self) -> str:
        return f"/assets/swagger-ui-{self._version}"

    def receive_router(self, router: Router) -> None:
        self._docs_path = router.path
        router.register(
            create_static_files_router(
                PAGE_ASSETS_PATH, [PAGE_ASSETS], name="api-docs-page", cache_control=REVALIDATE
            )
        )
        if self._version is None:
            log.warning("Swagger UI is not in %s: /docs says how to install it", self._swagger_ui)
            return
        router.register(
            create_static_files_router(
                self._swagger_ui_path,
                [self._swagger_ui],
                name="api-docs-swagger-ui",
                cache_control=FOR_A_YEAR,
            )
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(openapi_schema["info"]["title"])
        schema = escape(self.get_openapi_json_route(request))
        if self._version is None:
            where = escape(str(self._swagger_ui))
            return NOT_INSTALLED_PAGE.format(title=title, where=where, schema=schema).encode()
        return PAGE.format(
            title=title,
            swagger_ui=self._docs_path + self._swagger_ui_path,
            page=self._docs_path + PAGE_ASSETS_PATH,
            schema=schema,
        ).encode()
