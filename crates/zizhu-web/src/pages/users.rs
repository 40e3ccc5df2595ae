//! 账号管理 for the administrator: the same operations as `zizhu user
//! add|passwd|disable`, through the same library functions. A generated
//! password is shown once, on the page that answers the form, and never
//! stored in clear.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::parse_id;
use crate::AppState;
use crate::accounts::{self, AccountError, NewAccount, Role};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::view::{Layout, beijing_time};

pub(crate) struct UserLine {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    scope: String,
    state: &'static str,
    disabled: bool,
    created_at: String,
}

pub(crate) struct RoleOpt {
    code: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    csrf: String,
    rows: Vec<UserLine>,
    roles: Vec<RoleOpt>,
    notice: Option<String>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let mut rows = Vec::new();
    for u in state.store.list_users().await? {
        rows.push(UserLine {
            id: u.id,
            username: u.record.username.clone(),
            display_name: u.record.display_name.clone(),
            role: u.record.role.clone(),
            scope: accounts::scope_label(&state.store, &u.record.scope).await?,
            state: if u.disabled {
                "已停用"
            } else if u.must_change_password {
                "待修改初始密码"
            } else {
                "正常"
            },
            disabled: u.disabled,
            created_at: beijing_time(&u.created_at),
        });
    }
    let page = UsersPage {
        layout: user.layout(state, "账号管理", "/admin/users"),
        csrf: user.session.csrf_token.clone(),
        rows,
        roles: Role::ALL
            .iter()
            .map(|r| RoleOpt {
                code: r.code(),
                label: r.label(),
            })
            .collect(),
        notice,
        error,
    };
    let mut resp = (status, Html(page.render()?)).into_response();
    // The page may carry a new password; it must not stay in a cache.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// GET /admin/users.
pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    user.require(user.role.is_admin())?;
    render(&state, &user, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub(crate) struct CreateForm {
    username: String,
    display_name: String,
    role: String,
    #[serde(default)]
    township: String,
    #[serde(default)]
    school: String,
    #[serde(default)]
    classes: String,
}

fn account_error(e: AccountError) -> Result<String, PageError> {
    match e {
        AccountError::Store(s) => Err(PageError::Store(s)),
        AccountError::Hash(h) => Err(PageError::Internal(h)),
        other => Ok(other.to_string()),
    }
}

/// POST /admin/users.
pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<CreateForm>,
) -> Result<Response, PageError> {
    user.require(user.role.is_admin())?;
    let role = match Role::parse(&form.role) {
        Ok(r) => r,
        Err(e) => {
            let msg = account_error(e)?;
            return render(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(msg),
            )
            .await;
        }
    };
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let account = NewAccount {
        username: form.username.trim().to_owned(),
        display_name: form.display_name.trim().to_owned(),
        role,
        township: some(&form.township),
        school: some(&form.school),
        classes: form
            .classes
            .split(['、', ',', '，', '\n'])
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect(),
    };
    match accounts::add_user(&state.store, &account, None, &user.actor()).await {
        Ok(password) => {
            let msg = format!(
                "已新建账号 {}，初始密码：{password}（只显示这一次；首次登录须修改）",
                account.username
            );
            render(&state, &user, StatusCode::OK, Some(msg), None).await
        }
        Err(e) => {
            let msg = account_error(e)?;
            render(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(msg),
            )
            .await
        }
    }
}

async fn target(state: &AppState, id: &str) -> Result<String, PageError> {
    let id = parse_id(id)?;
    Ok(state
        .store
        .get_user(id)
        .await?
        .ok_or(PageError::NotFound)?
        .record
        .username)
}

/// POST /admin/users/{id}/reset.
pub(crate) async fn reset(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(user.role.is_admin())?;
    let name = target(&state, &id).await?;
    match accounts::set_password(&state.store, &name, None, &user.actor()).await {
        Ok(p) => {
            let msg = format!("已重置 {name} 的密码：{p}（只显示这一次；下次登录须修改）");
            render(&state, &user, StatusCode::OK, Some(msg), None).await
        }
        Err(e) => {
            let msg = account_error(e)?;
            render(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(msg),
            )
            .await
        }
    }
}

/// POST /admin/users/{id}/disable.
pub(crate) async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(user.role.is_admin())?;
    let name = target(&state, &id).await?;
    if name == user.user.record.username {
        return render(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("不能停用自己正在使用的账号。".to_owned()),
        )
        .await;
    }
    if let Err(e) = accounts::disable_user(&state.store, &name, &user.actor()).await {
        let msg = account_error(e)?;
        return render(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(msg),
        )
        .await;
    }
    render(
        &state,
        &user,
        StatusCode::OK,
        Some(format!("已停用账号 {name}")),
        None,
    )
    .await
}

/// POST /admin/users/{id}/enable.
pub(crate) async fn enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(user.role.is_admin())?;
    let name = target(&state, &id).await?;
    if let Err(e) = accounts::enable_user(&state.store, &name, &user.actor()).await {
        let msg = account_error(e)?;
        return render(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(msg),
        )
        .await;
    }
    render(
        &state,
        &user,
        StatusCode::OK,
        Some(format!("已启用账号 {name}")),
        None,
    )
    .await
}
