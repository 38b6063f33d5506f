//! The API explorer: `GET /core/v2/docs` (Swagger UI over `/core/v2/openapi.json`). Its assets
//! are compiled into the binary: Swagger UI's distribution as the `utoipa-swagger-ui-vendored`
//! crate ships it (a zip archive), read once on the first request. It works with no internet
//! access and no set-up step.

use std::sync::OnceLock;

use axum::http::{header, Method};
use axum::response::{Html, IntoResponse, Response};

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::PathParams;
use crate::http::openapi::Reply;
use crate::http::router::Api;

mod archive;

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

/// The assets the page loads (these files only), from the distribution's `dist/` folder.
const ASSETS: &[(&str, &str)] = &[
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"),
    ("favicon-32x32.png", "image/png"),
];

/// The content of each of [`ASSETS`], in order, unpacked once.
fn unpacked() -> &'static Result<Vec<Vec<u8>>, String> {
    static UNPACKED: OnceLock<Result<Vec<Vec<u8>>, String>> = OnceLock::new();
    UNPACKED.get_or_init(|| {
        let zip = utoipa_swagger_ui_vendored::SWAGGER_UI_VENDORED;
        ASSETS
            .iter()
            .map(|(name, _)| {
                // `swagger-ui-<version>/dist/<name>`.
                let wanted =
                    |entry: &str| entry.split_once('/').is_some_and(|(_, rest)| rest == format!("dist/{name}"));
                archive::extract(zip, wanted)?.ok_or_else(|| format!("Swagger UI's archive has no dist/{name}"))
            })
            .collect()
    })
}

/// `GET /core/v2/docs/{file}`.
pub async fn asset(PathParams(file): PathParams<String>) -> ApiResult<Response> {
    let Some(i) = ASSETS.iter().position(|(n, _)| *n == file) else {
        return Err(ApiError::not_found("file"));
    };
    let bytes: &'static [u8] = &unpacked().as_ref().map_err(ApiError::internal)?[i];
    Ok(([(header::CONTENT_TYPE, ASSETS[i].1), (header::CACHE_CONTROL, "public, max-age=3600")], bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_in_the_vendored_archive() {
        let files = unpacked().as_ref().expect("the archive unpacks");
        for ((name, _), bytes) in ASSETS.iter().zip(files) {
            assert!(bytes.len() > 500, "{name}: {} bytes", bytes.len());
        }
        assert!(String::from_utf8_lossy(&files[1]).contains("SwaggerUIBundle"));
        assert_eq!(&files[3][..4], b"\x89PNG");
    }
}
