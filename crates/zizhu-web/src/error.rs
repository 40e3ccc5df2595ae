//! Failures as pages: every error a handler returns becomes a Chinese page in
//! the site's own layout, with a way back, and never a stack trace.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::view::Layout;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    heading: &'a str,
    message: &'a str,
}

/// A page-level error.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The record does not exist or lies outside the user's area; the two
    /// are deliberately indistinguishable.
    #[error("页面不存在")]
    NotFound,
    /// The user's role does not have this page or action.
    #[error("您的角色没有此项权限")]
    Forbidden,
    /// A form arrived without its CSRF token, or with a stale one.
    #[error("表单已过期或来源无法确认")]
    Csrf,
    /// The request itself is wrong (a bad parameter), said in Chinese.
    #[error("{0}")]
    BadRequest(String),
    /// The database failed.
    #[error("数据库暂时无法访问：{0}")]
    Store(#[from] zizhu_store::StoreError),
    /// A template failed to render (a bug).
    #[error("页面生成失败：{0}")]
    Render(#[from] askama::Error),
    /// Anything else that is the server's fault, said in Chinese.
    #[error("{0}")]
    Internal(String),
}

impl PageError {
    fn status_and_heading(&self) -> (StatusCode, &'static str) {
        match self {
            PageError::NotFound => (StatusCode::NOT_FOUND, "404 · 页面不存在"),
            PageError::Forbidden => (StatusCode::FORBIDDEN, "403 · 没有权限"),
            PageError::Csrf => (StatusCode::FORBIDDEN, "403 · 表单已失效"),
            PageError::BadRequest(_) => (StatusCode::BAD_REQUEST, "400 · 请求有误"),
            PageError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "503 · 服务暂不可用"),
            PageError::Render(_) | PageError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "500 · 内部错误")
            }
        }
    }

    fn message(&self) -> String {
        match self {
            PageError::NotFound => "您要找的页面不存在，或不在您的管辖范围内。".to_owned(),
            PageError::Forbidden => {
                "您的角色没有此项权限。如确需办理，请联系县资助中心或系统管理员。".to_owned()
            }
            PageError::Csrf => {
                "为防止他人冒用您的身份提交表单，本次提交未被接受。请返回上一页，刷新后重新提交。"
                    .to_owned()
            }
            // Database and internal errors are logged in full; the page says
            // what happened in Chinese, without driver details that mean
            // nothing to a school officer.
            PageError::Store(_) => {
                "数据库暂时无法访问，请稍后再试。如持续出现，请联系系统管理员。".to_owned()
            }
            PageError::Render(_) => "页面生成失败，请联系系统管理员。".to_owned(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading) = self.status_and_heading();
        if matches!(
            self,
            PageError::Store(_) | PageError::Render(_) | PageError::Internal(_)
        ) {
            tracing::error!(error = %self, "page failed");
        }
        let message = self.message();
        render_error(status, heading, &message)
    }
}

/// What an error page said, attached to its response so that the session
/// middleware, which knows who is signed in, can render it again inside the
/// full layout (with the user's menu), as every other page is.
#[derive(Clone, Debug)]
pub(crate) struct ErrorInfo {
    pub(crate) heading: String,
    pub(crate) message: String,
}

/// Renders an error page with a status, in the layout of a signed-out page.
pub(crate) fn render_error(status: StatusCode, heading: &str, message: &str) -> Response {
    render_error_in(Layout::bare(heading), status, heading, message)
}

/// Renders an error page with a status inside `layout`.
pub(crate) fn render_error_in(
    layout: Layout,
    status: StatusCode,
    heading: &str,
    message: &str,
) -> Response {
    let page = ErrorPage {
        layout,
        heading,
        message,
    };
    let mut resp = match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(_) => (status, format!("{heading}\n{message}")).into_response(),
    };
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    resp.extensions_mut().insert(ErrorInfo {
        heading: heading.to_owned(),
        message: message.to_owned(),
    });
    resp
}

/// The fallback for every unknown path.
pub(crate) async fn not_found() -> PageError {
    PageError::NotFound
}
