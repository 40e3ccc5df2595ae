//! The router driven in-process, as a browser would reach it.

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt;
use tower::ServiceExt;
use zizhu_store::Store;
use zizhu_web::{AppState, router};

async fn app() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/web.sqlite", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (router(AppState::new(store)), dir)
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, String, String) {
    let resp = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn landing_page_is_chinese_html() {
    let (app, _dir) = app().await;
    let (status, ctype, body) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(body.contains("lang=\"zh-CN\""));
    assert!(body.contains("教育精准扶贫信息系统"));
    assert!(body.contains("SQLite"));
}

#[tokio::test]
async fn healthz_is_200_while_the_database_answers_and_503_after() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/h.sqlite", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let app = router(AppState::new(store.clone()));
    let (status, _, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    store.close().await;
    let (status, _, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("数据库不可访问"), "{body}");
}

#[tokio::test]
async fn unknown_page_is_a_chinese_404_with_a_way_back() {
    let (app, _dir) = app().await;
    let (status, ctype, body) = get(&app, "/students/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(ctype.starts_with("text/html"));
    assert!(body.contains("页面不存在"));
    assert!(body.contains("href=\"/\""));
}

#[tokio::test]
async fn stylesheet_ships_inside_the_binary() {
    let (app, _dir) = app().await;
    let (status, ctype, body) = get(&app, "/assets/site.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/css"));
    assert!(body.contains("font-family"));
}
