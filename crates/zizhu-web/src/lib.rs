//! The zizhu web application: an axum router whose pages are rendered on the
//! server in Simplified Chinese.
//!
//! The router is built by [`router`] so that tests drive it in-process with
//! `tower::ServiceExt::oneshot`, exactly as a browser would reach it, without
//! opening a socket.
//!
//! Invariants, stated as absences:
//!
//! - No page decides what a user may see by hiding links. Every read passes
//!   the signed-in user's [`zizhu_store::Scope`] to the store, which applies
//!   it in SQL; a record outside it is a 404 exactly like a missing one.
//! - No form is accepted without its CSRF token: the check is one middleware
//!   in front of every non-GET route ([`auth::session_layer`]), not a line
//!   each handler must remember.
//! - No personal number is shown in full by default: lists and exports mask
//!   ID, bank, phone and address; only the person page shows them in full,
//!   on request, to roles that need them, and each time is logged.
//! - No stack trace reaches a browser: every failure is a Chinese page with
//!   a way back ([`error::PageError`]).
//! - No file is fetched from outside the binary: CSS and the little
//!   JavaScript are compiled in.

pub mod accounts;
mod assets;
mod auth;
mod charts;
mod error;
mod export;
mod imports;
mod jobs;
mod pages;
mod view;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};
use zizhu_store::{Scope, Store, StoreError};

pub use accounts::{AccountError, DemoAccount, NewAccount, Role};
pub use error::PageError;

/// How the server is deployed. Every field has a default that suits one
/// county office serving its own network over plain HTTP.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The office shown in every page header.
    pub county_name: String,
    /// Mark cookies `Secure`. Turn on whenever the site is reached over
    /// https (directly or behind a reverse proxy), so the session cookie
    /// is never sent in clear text.
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a
    /// trusted reverse proxy; otherwise anyone can claim any address and
    /// dodge the login rate limit).
    pub trust_forwarded_for: bool,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends after this long whatever happens (one working day).
    pub session_absolute: Duration,
    /// Failed logins for one user name within [`WebConfig::login_window`]
    /// before further attempts are refused.
    pub max_failed_logins_per_user: i64,
    /// Failed logins from one address within the window before further
    /// attempts from it are refused.
    pub max_failed_logins_per_ip: i64,
    /// The window the login limits count over.
    pub login_window: Duration,
    /// Where uploaded files and rejection reports are kept.
    pub data_dir: PathBuf,
    /// The largest file an upload may carry.
    pub max_upload_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            county_name: "宁远县教育局".to_owned(),
            secure_cookies: false,
            trust_forwarded_for: false,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            max_failed_logins_per_user: 5,
            max_failed_logins_per_ip: 30,
            login_window: Duration::from_secs(15 * 60),
            data_dir: PathBuf::from("zizhu-data"),
            max_upload_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Everything a request handler may read. Cloned per request, so it holds
/// only cheap handles.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    jobs: jobs::Jobs,
    /// Names of user scopes (a school's or township's name), shown in every
    /// page header. Names change about never, so they are looked up once
    /// per process rather than on every request.
    scope_labels: Arc<std::sync::Mutex<HashMap<Scope, String>>>,
}

impl AppState {
    /// The state with the default configuration.
    pub fn new(store: Store) -> Self {
        Self::with_config(store, WebConfig::default())
    }

    /// The state with an explicit configuration.
    pub fn with_config(store: Store, config: WebConfig) -> Self {
        Self {
            store,
            config: Arc::new(config),
            jobs: jobs::Jobs::default(),
            scope_labels: Arc::default(),
        }
    }

    /// The name of a scope, from the cache or the registry.
    pub(crate) async fn scope_label(&self, scope: &Scope) -> Result<String, StoreError> {
        let cached = self
            .scope_labels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(scope)
            .cloned();
        if let Some(label) = cached {
            return Ok(label);
        }
        let label = accounts::scope_label(&self.store, scope).await?;
        self.scope_labels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(scope.clone(), label.clone());
        Ok(label)
    }
}

/// Builds the whole application's router.
///
/// Comparison exceptions (疑似失学辍学, 应享未享, …) and the review queue are
/// not routes yet: their records do not exist until the comparison engine
/// and the policy engine write them. Each will be a module under `pages`
/// with a store read taking the user's scope, like `pages::students`.
pub fn router(state: AppState) -> Router {
    let upload_limit = state.config.max_upload_bytes;
    Router::new()
        .route("/", get(pages::dashboard::show))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/password",
            get(auth::password_form).post(auth::change_password),
        )
        .route("/schools", get(pages::schools::list))
        .route("/schools/{code}", get(pages::schools::show))
        .route("/students", get(pages::students::list))
        .route("/students/print", get(pages::students::print))
        .route("/students/export.xlsx", get(pages::students::export))
        .route("/students/ledger.xlsx", get(pages::students::ledger))
        .route("/persons/{id}", get(pages::persons::show))
        .route("/persons/{id}/unmask", post(pages::persons::unmask))
        .route("/households", get(pages::households::list))
        .route("/households/{id}", get(pages::households::show))
        .route("/imports", get(imports::list).post(imports::upload))
        .route("/imports/new", get(imports::upload_form))
        .route("/imports/jobs/{job}", get(imports::job_page))
        .route("/imports/jobs/{job}/status", get(imports::job_status))
        .route("/imports/{id}", get(imports::batch_page))
        .route("/imports/{id}/report.xlsx", get(imports::report))
        .route("/compare", get(pages::compare::exceptions))
        .route("/compare/review", get(pages::compare::review_queue))
        .route("/compare/links/{id}", post(pages::compare::decide))
        .route("/audit", get(pages::audit::log))
        .route("/audit/unmask", get(pages::audit::unmask_log))
        .route(
            "/admin/users",
            get(pages::users::list).post(pages::users::create),
        )
        .route("/admin/users/{id}/reset", post(pages::users::reset))
        .route("/admin/users/{id}/disable", post(pages::users::disable))
        .route("/admin/users/{id}/enable", post(pages::users::enable))
        .route("/healthz", get(pages::healthz))
        .route("/assets/site.css", get(assets::stylesheet))
        .route("/assets/app.js", get(assets::script))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(DefaultBodyLimit::max(upload_limit))
        .with_state(state)
}

/// Serves the router on `addr` until the process is interrupted (Ctrl-C).
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(state, listener).await
}

/// Serves the router on an already bound listener until Ctrl-C. The
/// browser tests bind port 0 and read the port back before serving.
pub async fn serve_on(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    // Expired sessions are removed hourly so the table does not grow with
    // every login; a failure is only logged, since serving matters more.
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = store.purge_expired_sessions().await {
                tracing::warn!(error = %e, "清理过期会话失败");
            }
        }
    });
    // The registry's sums are rebuilt in the background when it changed
    // (an import, perhaps by the CLI in another process), so a visitor
    // rarely waits for them; between changes this is one tiny query.
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        loop {
            tick.tick().await;
            if let Err(e) = store.warm_figures().await {
                tracing::warn!(error = %e, "预先汇总统计数据失败");
            }
        }
    });
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        // A failure to install the signal handler only means the server
        // cannot be stopped gracefully; it must not stop it from serving.
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
