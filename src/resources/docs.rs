//! The API explorer: `GET /core/v2/docs` (Swagger UI over `/core/v2/openapi.json`), its assets
//! from `CARRIERX_DOCS_DIR` (the npm package swagger-ui-dist, installed by
//! `tools/setup-data.sh`): it works with no internet access.

use axum::extract::State;
use axum::http::{header, Method};
use axum::response::{Html, IntoResponse, Response};

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::PathParams;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use crate::state::AppState;

pub fn routes(api: &mut Api) {
    api.section("docs");
    api.public(Method::GET, "/docs", explorer).returns(Reply::document("text/html"));
    // Swagger UI's scripts, style sheets and images.
    api.public(Method::GET, "/docs/{file}", asset).returns(Reply::document("*/*"));
}

const PAGE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>carrierx-core: API explorer</title>
<link rel="stylesheet" href="/core/v2/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/core/v2/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/core/v2/docs/swagger-ui-bundle.js"></script>
<script src="/core/v2/docs/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/core/v2/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout"
});
</script>
</body>
</html>
"##;

/// `GET /core/v2/docs`.
pub async fn explorer() -> Html<&'static str> {
    Html(PAGE)
}

/// The assets the page loads (these files only).
const ASSETS: &[(&str, &str)] = &[
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"),
    ("favicon-32x32.png", "image/png"),
];

/// `GET /core/v2/docs/{file}`.
pub async fn asset(State(state): State<AppState>, PathParams(file): PathParams<String>) -> ApiResult<Response> {
    let Some((name, kind)) = ASSETS.iter().find(|(n, _)| *n == file) else {
        return Err(ApiError::not_found("file"));
    };
    let bytes = tokio::fs::read(state.config.docs_dir.join(name)).await.map_err(|_| {
        ApiError::NotInstalled(
            "the API explorer's assets are not installed (CARRIERX_DOCS_DIR; tools/setup-data.sh installs them)",
        )
    })?;
    Ok(([(header::CONTENT_TYPE, *kind), (header::CACHE_CONTROL, "public, max-age=3600")], bytes).into_response())
}
