//! The zizhu web application: an axum router whose pages are rendered on the
//! server in Simplified Chinese.
//!
//! The router is built by [`router`] so that tests drive it in-process with
//! `tower::ServiceExt::oneshot`, exactly as a browser would reach it, without
//! opening a socket.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use zizhu_store::{Scope, Store};

/// Everything a request handler may read. Cloned per request, so it holds
/// only cheap handles.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The county the deployment serves, shown in every page header.
    pub county_name: String,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            county_name: "宁远县教育局".to_owned(),
        }
    }
}

/// Builds the whole application's router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/assets/site.css", get(stylesheet))
        .fallback(not_found)
        .with_state(state)
}

/// Serves the router on `addr` until the process is interrupted (Ctrl-C).
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            // A failure to install the signal handler only means the server
            // cannot be stopped gracefully; it must not stop it from serving.
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    county_name: String,
    persons: i64,
    schools: i64,
    households: i64,
    batches: i64,
    backend: &'static str,
    schema_version: i64,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    county_name: String,
    heading: &'a str,
    message: &'a str,
}

/// A page-level error, always shown to the user as a Chinese page with a way
/// back, never as a stack trace.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("页面不存在")]
    NotFound,
    #[error("数据库暂时无法访问：{0}")]
    Store(#[from] zizhu_store::StoreError),
    #[error("页面生成失败：{0}")]
    Render(#[from] askama::Error),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading) = match &self {
            PageError::NotFound => (StatusCode::NOT_FOUND, "404 · 页面不存在"),
            PageError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "503 · 服务暂不可用"),
            PageError::Render(_) => (StatusCode::INTERNAL_SERVER_ERROR, "500 · 内部错误"),
        };
        if !matches!(self, PageError::NotFound) {
            tracing::error!(error = %self, "page failed");
        }
        let message = match &self {
            PageError::NotFound => "您要找的页面不存在，或您无权查看。".to_owned(),
            other => other.to_string(),
        };
        let page = ErrorPage {
            county_name: "宁远县教育局".to_owned(),
            heading,
            message: &message,
        };
        match page.render() {
            Ok(body) => (status, Html(body)).into_response(),
            Err(_) => (status, heading.to_owned()).into_response(),
        }
    }
}

async fn index(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let store = &state.store;
    let page = IndexPage {
        county_name: state.county_name.clone(),
        persons: store.count_persons(&Scope::All).await?,
        schools: store.count_schools(&Scope::All).await?,
        households: store.count_households(&Scope::All).await?,
        batches: store.count_batches().await?,
        backend: match store.backend() {
            zizhu_store::Backend::Sqlite => "SQLite（单机内置）",
            zizhu_store::Backend::Postgres => "PostgreSQL",
        },
        schema_version: store.schema_version().await?,
    };
    Ok(Html(page.render()?))
}

/// Answers 200 only when the database answers, so that a monitor or a load
/// balancer sees a server whose database is gone as unhealthy.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("数据库不可访问：{e}\n"),
        )
            .into_response(),
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/site.css"),
    )
}

async fn not_found() -> PageError {
    PageError::NotFound
}
