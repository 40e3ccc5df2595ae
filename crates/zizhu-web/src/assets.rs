//! The stylesheet and the little JavaScript, compiled into the binary so
//! that the server needs no files beside it and no build step outside cargo.

use axum::http::header;
use axum::response::IntoResponse;

/// An hour is short enough that a new release's CSS shows up the same day,
/// and long enough that a slow township link does not fetch it per page.
const CACHE: &str = "public, max-age=3600";

pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        include_str!("../assets/site.css"),
    )
}

pub(crate) async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        include_str!("../assets/app.js"),
    )
}
