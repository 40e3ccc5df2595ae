//! The pages that read the registry. Each takes the signed-in user and
//! passes their scope to every store read; none filters after the fact.

pub(crate) mod audit;
pub(crate) mod compare;
pub(crate) mod dashboard;
pub(crate) mod households;
pub(crate) mod persons;
pub(crate) mod schools;
pub(crate) mod students;
pub(crate) mod users;

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use zizhu_core::Term;
use zizhu_store::{Scope, Store};

use crate::AppState;
use crate::error::PageError;

/// Answers 200 only when the database answers, so that a monitor or a load
/// balancer sees a server whose database is gone as unhealthy.
pub(crate) async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("数据库不可访问：{e}\n"),
        )
            .into_response(),
    }
}

/// The terms with enrollments (newest first) and the one a page shows: the
/// one asked for, else the latest. An unknown term is a 400, not an empty
/// page that looks like "no students".
pub(crate) async fn pick_term(
    store: &Store,
    asked: Option<&str>,
) -> Result<(Option<Term>, Vec<Term>), PageError> {
    let terms = store.terms().await?;
    let chosen = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => {
            let t =
                Term::parse(text).map_err(|e| PageError::BadRequest(format!("学期无效：{e}")))?;
            Some(t)
        }
        None => terms.first().copied(),
    };
    Ok((chosen, terms))
}

/// School names by code. The school directory is not personal data, so
/// names of schools outside the user's area (a transfer in a student's
/// history) are shown too.
pub(crate) async fn school_names(
    store: &Store,
) -> Result<std::sync::Arc<HashMap<String, String>>, PageError> {
    Ok(store.school_names().await?)
}

/// Township names by 9-digit code for the schools the scope covers, as
/// (code, name) in code order; a township without a name in the region
/// list is shown by its code.
pub(crate) async fn townships(
    store: &Store,
    scope: &Scope,
) -> Result<Vec<(String, String)>, PageError> {
    let directory = store.all_schools().await?;
    let codes: Vec<String> = directory
        .iter()
        .filter(|s| s.in_scope(scope))
        .filter_map(|s| s.township_code.as_deref())
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let names = store.township_names().await?;
    Ok(codes
        .into_iter()
        .map(|c| {
            let name = names.get(&c).cloned().unwrap_or_else(|| c.clone());
            (c, name)
        })
        .collect())
}

/// Parses an optional id path segment; anything but a positive integer is
/// simply not found.
pub(crate) fn parse_id(s: &str) -> Result<i64, PageError> {
    s.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or(PageError::NotFound)
}
