//! Sign-in, sessions and CSRF protection.
//!
//! - The browser holds a random 256-bit token in the `zizhu_session` cookie
//!   (HttpOnly, SameSite=Lax, Secure when configured); the database holds
//!   only its SHA-256, so a copy of the database signs nobody in.
//! - A session ends after [`crate::WebConfig::session_idle`] without a
//!   request and after [`crate::WebConfig::session_absolute`] in any case.
//!   Signing in always opens a new session (no fixation); changing a
//!   password ends every session of the user and opens a fresh one.
//! - Every session has its own CSRF token. [`session_layer`] refuses any
//!   request other than GET/HEAD whose `csrf` form field (or, for file
//!   uploads, `csrf` query parameter) does not match it; the login form,
//!   which has no session yet, is matched against a cookie set with the form.
//! - Failed logins are counted per user name and per address over a window;
//!   past the limit further attempts are refused before the password is
//!   even checked.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    Form,
    body::Body,
    extract::{
        ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts, Query, Request, State,
    },
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zizhu_store::{NewSession, Scope, Session, User, utc_after};

use crate::AppState;
use crate::accounts::{self, Role};
use crate::error::{ErrorInfo, PageError, render_error_in};
use crate::view::{Layout, UserBadge};

/// The session cookie.
const SESSION_COOKIE: &str = "zizhu_session";
/// The login form's CSRF cookie.
const LOGIN_CSRF_COOKIE: &str = "zizhu_login_csrf";
/// The largest urlencoded form the CSRF check reads into memory.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The signed-in user of a request, put into the request's extensions by
/// [`session_layer`] and taken out by handlers as an extractor.
#[derive(Clone, Debug)]
pub(crate) struct CurrentUser {
    pub(crate) user: User,
    pub(crate) role: Role,
    pub(crate) session: Session,
    pub(crate) ip: String,
    pub(crate) scope_label: String,
}

impl CurrentUser {
    /// The scope every read of this user goes through.
    pub(crate) fn scope(&self) -> &Scope {
        &self.user.record.scope
    }

    /// The login name, as the audit log records it.
    pub(crate) fn actor(&self) -> String {
        format!(
            "{}（{}）",
            self.user.record.username, self.user.record.display_name
        )
    }

    /// The layout of a page for this user.
    pub(crate) fn layout(&self, state: &AppState, title: &str, path: &str) -> Layout {
        Layout::for_user(
            &state.config.county_name,
            title,
            self.role,
            UserBadge {
                display_name: self.user.record.display_name.clone(),
                role_label: self.role.label(),
                scope_label: self.scope_label.clone(),
            },
            &self.session.csrf_token,
            path,
        )
    }

    /// Refuses the request unless the role has a capability.
    pub(crate) fn require(&self, allowed: bool) -> Result<(), PageError> {
        if allowed {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        let path = parts.uri.path();
        match parts.extensions.get::<CurrentUser>() {
            Some(user) => {
                // Until the initial password is replaced, the only pages
                // are the password form and the way out.
                if user.user.must_change_password && path != "/password" && path != "/logout" {
                    return Err(Redirect::to("/password").into_response());
                }
                Ok(user.clone())
            }
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = if parts.method == Method::GET && next != "/" {
                    format!("/login?next={}", crate::view::encode(next))
                } else {
                    "/login".to_owned()
                };
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentUser>().cloned())
    }
}

/// A random token as 64 hex digits.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the database keeps of a session token.
fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two tokens in time independent of where they differ.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of a cookie.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value with the site's attributes.
fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The address a request came from.
fn client_ip(req: &Request, state: &AppState) -> String {
    if state.config.trust_forwarded_for
        && let Some(first) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return first.trim().to_owned();
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Looks up the session a cookie names and its user; `None` when the
/// session is missing or expired or the account is disabled.
async fn load_session(
    state: &AppState,
    token: &str,
    ip: &str,
) -> Result<Option<CurrentUser>, zizhu_store::StoreError> {
    let store = &state.store;
    let Some((session, user)) = store.session_with_user(&token_hash(token)).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let Ok(role) = Role::parse(&user.record.role) else {
        tracing::warn!(user = %user.record.username, role = %user.record.role, "账号的角色无法识别");
        return Ok(None);
    };
    // The expiry is pushed forward at most about once a minute, not on
    // every request, so browsing does not turn into a stream of writes.
    let idle = state.config.session_idle;
    let slack = (idle / 2).min(std::time::Duration::from_secs(60));
    if session.expires_at < utc_after(idle.saturating_sub(slack))
        && session.expires_at < session.absolute_expires_at
    {
        store.touch_session(&session, idle).await?;
    }
    let scope_label = state.scope_label(&user.record.scope).await?;
    Ok(Some(CurrentUser {
        user,
        role,
        session,
        ip: ip.to_owned(),
        scope_label,
    }))
}

/// The CSRF token a request carries: the `csrf` query parameter, else the
/// `csrf` field of an urlencoded body (which is read and put back).
async fn submitted_token(req: Request) -> Result<(Request, Option<String>), PageError> {
    let from_query = req.uri().query().and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v)
    });
    if from_query.is_some() {
        return Ok((req, from_query));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| PageError::BadRequest("表单内容过大".to_owned()))?;
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

/// Resolves the session of every request and checks the CSRF token of
/// every form submission, before any handler runs.
pub(crate) async fn session_layer(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&req, &state);
    let session_token = cookie(req.headers(), SESSION_COOKIE);
    let login_token = cookie(req.headers(), LOGIN_CSRF_COOKIE);
    let current = match session_token {
        Some(t) => match load_session(&state, &t, &ip).await {
            Ok(c) => c,
            Err(e) => {
                let mut resp = PageError::Store(e).into_response();
                protect(resp.headers_mut());
                return resp;
            }
        },
        None => None,
    };
    let mut req = req;
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let path = req.uri().path().to_owned();
        let expected = if path == "/login" {
            login_token
        } else {
            current.as_ref().map(|c| c.session.csrf_token.clone())
        };
        let (r, submitted) = match submitted_token(req).await {
            Ok(x) => x,
            Err(e) => return e.into_response(),
        };
        req = r;
        // A form posted without a session (it expired, or the user signed
        // out in another tab) goes to the login page rather than an error:
        // there is no identity here for a forged request to borrow.
        if current.is_none() && path != "/login" {
            return Redirect::to("/login").into_response();
        }
        let ok = matches!((&expected, &submitted), (Some(e), Some(s)) if same_token(e, s));
        if !ok {
            tracing::warn!(path = %path, ip = %ip, "CSRF 校验失败");
            return with_layout(
                &state,
                current.as_ref(),
                PageError::Csrf.into_response(),
                &path,
            );
        }
    }
    let path = req.uri().path().to_owned();
    if let Some(c) = &current {
        req.extensions_mut().insert(c.clone());
    }
    let resp = next.run(req).await;
    let mut resp = with_layout(&state, current.as_ref(), resp, &path);
    protect(resp.headers_mut());
    resp
}

/// Headers every response carries. Pages are never framed by another site
/// (a framed unmask button could be clicked blind), content types are not
/// guessed, links do not leak query strings (which may hold a searched
/// name) to other sites, and pages are not kept in the cache of a shared
/// office PC unless a handler said otherwise (the stylesheet does).
fn protect(headers: &mut HeaderMap) {
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Renders an error page again inside the signed-in user's layout, so a 404
/// or 403 looks like the rest of the site.
fn with_layout(
    state: &AppState,
    user: Option<&CurrentUser>,
    resp: Response,
    path: &str,
) -> Response {
    let (Some(user), Some(info)) = (user, resp.extensions().get::<ErrorInfo>().cloned()) else {
        return resp;
    };
    let layout = user.layout(state, &info.heading, path);
    render_error_in(layout, resp.status(), &info.heading, &info.message)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
    msg: Option<String>,
}

/// A `next` target is followed only when it is a path on this site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    next: &str,
    username: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let csrf = random_token();
    let page = LoginPage {
        layout: Layout {
            county_name: state.config.county_name.clone(),
            ..Layout::bare("登录")
        },
        csrf: csrf.clone(),
        next: next.to_owned(),
        username: username.to_owned(),
        error,
        notice,
    };
    let mut resp = (status, Html(page.render()?)).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, "/login", Some(3600)),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// GET /login.
pub(crate) async fn login_form(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    if user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let notice = match q.msg.as_deref() {
        Some("expired") => Some("登录已过期，请重新登录。".to_owned()),
        Some("bye") => Some("您已安全退出。".to_owned()),
        Some("changed") => Some("密码已修改，请用新密码登录。".to_owned()),
        _ => None,
    };
    login_page(
        &state,
        StatusCode::OK,
        &safe_next(q.next.as_deref()),
        "",
        None,
        notice,
    )
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// Opens a session for a user and answers with its cookie and a redirect.
async fn open_session(
    state: &AppState,
    user: &User,
    ip: &str,
    to: &str,
) -> Result<Response, PageError> {
    let token = random_token();
    state
        .store
        .create_session(&NewSession {
            token_hash: token_hash(&token),
            user_id: user.id,
            csrf_token: random_token(),
            idle: state.config.session_idle,
            absolute: state.config.session_absolute,
            ip: Some(ip.to_owned()),
        })
        .await?;
    let mut resp = Redirect::to(to).into_response();
    let headers = resp.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(state, SESSION_COOKIE, &token, "/", None),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_CSRF_COOKIE, "", "/login", Some(0)),
    );
    Ok(resp)
}

/// POST /login.
pub(crate) async fn login(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, PageError> {
    let ip = client_ip(&req, &state);
    let Form(form) = Form::<LoginForm>::from_request(req, &state)
        .await
        .map_err(|_| PageError::BadRequest("登录表单不完整".to_owned()))?;
    let username = form.username.trim().to_owned();
    let next = safe_next(form.next.as_deref());
    let store = &state.store;
    let config = &state.config;
    let (by_user, by_ip) = store
        .failed_logins(&username, &ip, config.login_window)
        .await?;
    if by_user >= config.max_failed_logins_per_user || by_ip >= config.max_failed_logins_per_ip {
        tracing::warn!(user = %username, ip = %ip, "登录被限流");
        let minutes = config.login_window.as_secs().div_ceil(60);
        return login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &username,
            Some(format!(
                "登录失败次数过多，请 {minutes} 分钟后再试。如忘记密码，请联系系统管理员重置。"
            )),
            None,
        );
    }
    let user = store.get_user_by_username(&username).await?;
    let hash = match &user {
        Some(u) => store.user_password_hash(u.id).await?,
        None => None,
    };
    // An unknown user name costs the same hashing time as a wrong
    // password, so the response time does not reveal which names exist.
    let verified = match &hash {
        Some(h) => accounts::verify_password(&form.password, h).await,
        None => {
            accounts::verify_password(&form.password, dummy_hash().await).await;
            false
        }
    };
    let user = match user {
        Some(u) if verified && !u.disabled => u,
        Some(u) if verified => {
            store.record_login_attempt(&username, &ip, false).await?;
            let _ = u;
            return login_page(
                &state,
                StatusCode::FORBIDDEN,
                &next,
                &username,
                Some("该账号已停用，请联系系统管理员。".to_owned()),
                None,
            );
        }
        _ => {
            store.record_login_attempt(&username, &ip, false).await?;
            return login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                &next,
                &username,
                Some("用户名或密码错误。".to_owned()),
                None,
            );
        }
    };
    store.record_login_attempt(&username, &ip, true).await?;
    let to = if user.must_change_password {
        "/password"
    } else {
        next.as_str()
    };
    open_session(&state, &user, &ip, to).await
}

/// An Argon2id hash of a random string, made once, verified against when
/// the user name is unknown so that both paths cost the same.
async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            accounts::hash_password(&random_token())
                .await
                .unwrap_or_default()
        })
        .await
}

/// POST /logout.
pub(crate) async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    state.store.delete_session(&user.session.token_hash).await?;
    let mut resp = Redirect::to("/login?msg=bye").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", "/", Some(0)),
    );
    Ok(resp)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    forced: bool,
    error: Option<String>,
}

fn password_page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let page = PasswordPage {
        layout: user.layout(state, "修改密码", "/password"),
        forced: user.user.must_change_password,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// GET /password.
pub(crate) async fn password_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    password_page(&state, &user, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// POST /password.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let store = &state.store;
    let fail =
        |msg: String| password_page(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, Some(msg));
    let hash = store
        .user_password_hash(user.user.id)
        .await?
        .unwrap_or_default();
    if !accounts::verify_password(&form.current, &hash).await {
        return fail("当前密码不正确。".to_owned());
    }
    if form.new != form.confirm {
        return fail("两次输入的新密码不一致。".to_owned());
    }
    if form.new == form.current {
        return fail("新密码不能与当前密码相同。".to_owned());
    }
    if let Err(e) = accounts::check_password(&user.user.record.username, &form.new) {
        return fail(e.to_string());
    }
    let new_hash = accounts::hash_password(&form.new)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let mut tx = store
        .begin_write(zizhu_store::AuditContext {
            actor: user.actor(),
            reason: "本人修改密码".to_owned(),
            batch_id: None,
        })
        .await?;
    tx.set_user_password(user.user.id, &new_hash, false).await?;
    tx.commit().await?;
    // Every session of the user ended with the change (a stolen session
    // dies with the old password); this browser gets a fresh one.
    let mut fresh = user.user.clone();
    fresh.must_change_password = false;
    open_session(&state, &fresh, &user.ip, "/").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_eq!(token_hash("abc").len(), 64);
    }

    #[test]
    fn token_comparison() {
        assert!(same_token("abcd", "abcd"));
        assert!(!same_token("abcd", "abce"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", ""));
    }

    #[test]
    fn next_targets_stay_on_site() {
        assert_eq!(safe_next(Some("/students?q=1")), "/students?q=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
