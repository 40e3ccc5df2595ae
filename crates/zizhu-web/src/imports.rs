//! 名单导入: the batches of the user's area, uploading a list, following the
//! import, its summary, and the rejection report (退回报告) to download.
//!
//! The upload is saved under the data directory and imported by zizhu-io in
//! a background task; the browser is sent to a progress page that reloads
//! itself (a `<meta refresh>` without JavaScript, a small status request
//! with it) until the import has finished.
//!
//! Only county roles upload: zizhu-io does not yet confine a file to the
//! uploader's school, and an import may touch any school's records. Batches
//! record their owner's scope (`batch_uploads`), so when school officers
//! upload their own rosters the same pages show each school its batches.
//!
//! The importer reports no progress while it runs, so the page shows the
//! phase and the time elapsed; a row counter belongs in
//! `zizhu_io::ImportOptions` (a progress callback) and would feed
//! [`JobState::Running`] here.

use std::path::{Path as FsPath, PathBuf};

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use zizhu_core::Term;
use zizhu_io::{ImportOptions, ListKind};
use zizhu_store::{AuditContext, BatchStatus, BatchUpload, RowOutcome};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::jobs::{Job, JobResult, JobState};
use crate::pages::parse_id;
use crate::pages::students::xlsx_response;
use crate::view::{Layout, Pager, beijing_time, grouped, mask_numbers_in};

const PER_PAGE: u64 = 30;
/// Rejected rows listed on a batch page; the report has them all.
const REJECTED_SHOWN: usize = 200;

pub(crate) struct BatchLine {
    id: i64,
    kind: String,
    file_name: String,
    actor: String,
    started_at: String,
    status: &'static str,
    read: String,
    accepted: String,
    rejected: String,
    unchanged: String,
}

fn batch_line(b: &zizhu_store::Batch) -> BatchLine {
    BatchLine {
        id: b.id,
        kind: b.file.kind.clone(),
        file_name: b.file.file_name.clone(),
        actor: b.actor.clone(),
        started_at: beijing_time(&b.started_at),
        status: b.status.label(),
        read: grouped(b.counts.rows_read),
        accepted: grouped(b.counts.rows_accepted),
        rejected: grouped(b.counts.rows_rejected),
        unchanged: grouped(b.counts.rows_unchanged),
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    layout: Layout,
    may_import: bool,
    rows: Vec<BatchLine>,
    pager: Pager,
}

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    page: Option<String>,
}

/// GET /imports.
pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, PageError> {
    user.require(user.role.may_view_imports())?;
    let store = &state.store;
    let total = store.count_batches_in_scope(user.scope()).await?;
    let page: u64 = q.page.and_then(|p| p.parse().ok()).unwrap_or(1);
    let pager = Pager::new(total, PER_PAGE, page, |n| format!("/imports?page={n}"));
    let rows = store
        .list_batches_in_scope(user.scope(), PER_PAGE, pager.offset(PER_PAGE))
        .await?
        .iter()
        .map(batch_line)
        .collect();
    let page = ImportsPage {
        layout: user.layout(&state, "名单导入", "/imports"),
        may_import: user.role.may_import(),
        rows,
        pager,
    };
    Ok(Html(page.render()?))
}

pub(crate) struct KindOpt {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "import_new.html")]
struct UploadPage {
    layout: Layout,
    csrf: String,
    kinds: Vec<KindOpt>,
    term: String,
    error: Option<String>,
    max_mb: usize,
}

fn upload_page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    kind: Option<ListKind>,
    term: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let selected = kind.unwrap_or(ListKind::Roster);
    let page = UploadPage {
        layout: user.layout(state, "上传名单", "/imports"),
        csrf: user.session.csrf_token.clone(),
        kinds: ListKind::ALL
            .iter()
            .map(|k| KindOpt {
                code: k.code(),
                label: k.label(),
                selected: *k == selected,
            })
            .collect(),
        term: term.to_owned(),
        error,
        max_mb: state.config.max_upload_bytes / (1024 * 1024),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// GET /imports/new.
pub(crate) async fn upload_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    user.require(user.role.may_import())?;
    upload_page(&state, &user, StatusCode::OK, None, "", None)
}

/// The last component of an uploaded file's name, without anything that
/// could reach outside its directory (old browsers send the full Windows
/// path) or confuse a terminal.
fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "upload".to_owned()
    } else {
        cleaned
    }
}

fn random_id() -> String {
    use rand::Rng;
    format!("{:032x}", rand::rng().random::<u128>())
}

/// POST /imports (multipart; the CSRF token travels in the query string,
/// where the middleware can check it without reading the file).
pub(crate) async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    user.require(user.role.may_import())?;
    let job_id = random_id();
    let dir = state.config.data_dir.join("imports").join(&job_id);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| PageError::Internal(format!("无法创建上传目录 {}：{e}", dir.display())))?;
    let mut kind_text = String::new();
    let mut term_text = String::new();
    let mut force = false;
    let mut file: Option<(PathBuf, String, u64)> = None;
    let bad_upload = |e: axum::extract::multipart::MultipartError| {
        PageError::BadRequest(format!("上传中断或文件过大：{e}"))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad_upload)? {
        match field.name().unwrap_or_default() {
            "kind" => kind_text = field.text().await.map_err(bad_upload)?,
            "term" => term_text = field.text().await.map_err(bad_upload)?,
            "force" => force = !field.text().await.map_err(bad_upload)?.is_empty(),
            "file" => {
                let name = safe_file_name(field.file_name().unwrap_or_default());
                let path = dir.join(&name);
                let mut out = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| PageError::Internal(format!("无法保存上传文件：{e}")))?;
                let mut size = 0_u64;
                while let Some(chunk) = field.chunk().await.map_err(bad_upload)? {
                    size += chunk.len() as u64;
                    out.write_all(&chunk)
                        .await
                        .map_err(|e| PageError::Internal(format!("无法保存上传文件：{e}")))?;
                }
                out.flush()
                    .await
                    .map_err(|e| PageError::Internal(format!("无法保存上传文件：{e}")))?;
                file = Some((path, name, size));
            }
            _ => {}
        }
    }
    let kind = ListKind::parse(&kind_text).ok();
    let fail = |msg: &str| {
        upload_page(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            kind,
            &term_text,
            Some(msg.to_owned()),
        )
    };
    let Some(kind) = kind else {
        return fail("请选择名单类型。");
    };
    let term = match term_text.trim() {
        "" => None,
        t => match Term::parse(t) {
            Ok(t) => Some(t),
            Err(e) => return fail(&format!("学期无效：{e}")),
        },
    };
    let Some((path, name, size)) = file.filter(|(_, _, size)| *size > 0) else {
        let _ = tokio::fs::remove_dir_all(&dir).await;
        return fail("请选择要上传的文件（文件不能为空）。");
    };
    tracing::info!(user = %user.user.record.username, file = %name, size, kind = kind.code(), "开始导入上传的名单");
    state.jobs.start(Job {
        id: job_id.clone(),
        owner: user.user.id,
        file_name: name,
        kind_label: kind.label(),
        started: std::time::Instant::now(),
        finished: None,
        state: JobState::Running {
            phase: "排队等待导入",
        },
    });
    let opts = ImportOptions {
        term,
        force,
        report_dir: Some(dir.clone()),
        ..ImportOptions::new(user.actor())
    };
    tokio::spawn(run_import(
        state.clone(),
        user,
        job_id.clone(),
        kind,
        path,
        opts,
    ));
    Ok(Redirect::to(&format!("/imports/jobs/{job_id}")).into_response())
}

/// Runs one import and records its outcome on the job and the batch.
async fn run_import(
    state: AppState,
    user: CurrentUser,
    job_id: String,
    kind: ListKind,
    path: PathBuf,
    opts: ImportOptions,
) {
    state.jobs.set(
        &job_id,
        JobState::Running {
            phase: "正在读取、校验并写入登记信息库",
        },
    );
    let outcome = zizhu_io::import_file(&state.store, kind, &path, &opts).await;
    let state_next = match outcome {
        Ok(summary) => {
            let report = summary
                .rejection_report
                .as_ref()
                .filter(|p| p.exists())
                .map(|p| p.display().to_string());
            if let Some(batch_id) = summary.batch_id
                && let Err(e) = record_upload(&state, &user, batch_id, &path, report.clone()).await
            {
                tracing::error!(error = %e, batch_id, "记录导入来源失败");
            }
            JobState::Done(JobResult {
                batch_id: summary.batch_id,
                same_as_batch: summary.same_as_batch,
                read: summary.read,
                accepted: summary.accepted,
                rejected: summary.rejected,
                unresolved: summary.unresolved,
                unchanged: summary.unchanged,
                inserted: summary.inserted,
                updated: summary.updated,
                has_report: report.is_some(),
                notes: summary.notes.clone(),
                seconds: summary.elapsed.as_secs(),
            })
        }
        Err(e) => {
            tracing::warn!(error = %e, "导入失败");
            JobState::Failed(e.to_string())
        }
    };
    state.jobs.set(&job_id, state_next);
}

async fn record_upload(
    state: &AppState,
    user: &CurrentUser,
    batch_id: i64,
    path: &FsPath,
    report: Option<String>,
) -> Result<(), zizhu_store::StoreError> {
    let mut tx = state
        .store
        .begin_write(AuditContext {
            actor: user.actor(),
            reason: "网页上传名单".to_owned(),
            batch_id: Some(batch_id),
        })
        .await?;
    tx.record_batch_upload(&BatchUpload {
        batch_id,
        owner: user.scope().clone(),
        uploaded_by: user.user.record.username.clone(),
        stored_file: path.display().to_string(),
        report_file: report,
    })
    .await?;
    tx.commit().await
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    layout: Layout,
    job_id: String,
    file_name: String,
    kind: &'static str,
    elapsed: u64,
    running: bool,
    phase: &'static str,
    failed: Option<String>,
    result: Option<JobResult>,
}

/// GET /imports/jobs/{job}.
pub(crate) async fn job_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(job_id): Path<String>,
) -> Result<Html<String>, PageError> {
    let job = state
        .jobs
        .get(&job_id, user.user.id)
        .ok_or(PageError::NotFound)?;
    let (running, phase, failed, result) = match &job.state {
        JobState::Running { phase } => (true, *phase, None, None),
        JobState::Failed(m) => (false, "", Some(m.clone()), None),
        JobState::Done(r) => (false, "", None, Some(r.clone())),
    };
    let page = JobPage {
        layout: user.layout(&state, "导入进度", "/imports"),
        elapsed: job.elapsed_secs(),
        job_id: job.id,
        file_name: job.file_name,
        kind: job.kind_label,
        running,
        phase,
        failed,
        result,
    };
    Ok(Html(page.render()?))
}

/// GET /imports/jobs/{job}/status: the job as a small JSON object, for the
/// progress page's script.
pub(crate) async fn job_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(job_id): Path<String>,
) -> Result<Response, PageError> {
    let job = state
        .jobs
        .get(&job_id, user.user.id)
        .ok_or(PageError::NotFound)?;
    let body = match &job.state {
        JobState::Running { phase } => serde_json::json!({
            "state": "running",
            "phase": phase,
            "elapsed": job.elapsed_secs(),
        }),
        JobState::Failed(m) => serde_json::json!({"state": "failed", "message": m}),
        JobState::Done(r) => serde_json::json!({
            "state": "done",
            "batch": r.batch_id,
            "read": r.read,
            "accepted": r.accepted,
            "rejected": r.rejected,
            "unresolved": r.unresolved,
            "unchanged": r.unchanged,
        }),
    };
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response())
}

pub(crate) struct RejectedLine {
    row_no: i64,
    sheet: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "batch.html")]
struct BatchPage {
    layout: Layout,
    batch: BatchLine,
    sheet: String,
    finished_at: String,
    sha256: String,
    uploaded_by: String,
    has_report: bool,
    running: bool,
    rejected: Vec<RejectedLine>,
    rejected_total: usize,
}

/// GET /imports/{id}.
pub(crate) async fn batch_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    user.require(user.role.may_view_imports())?;
    let id = parse_id(&id)?;
    let store = &state.store;
    let batch = store
        .batch_in_scope(id, user.scope())
        .await?
        .ok_or(PageError::NotFound)?;
    let upload = store.batch_upload(id).await?;
    let rows = store.batch_rows(id).await?;
    let rejected: Vec<RejectedLine> = rows
        .iter()
        .filter(|r| r.outcome == RowOutcome::Rejected)
        .map(|r| RejectedLine {
            row_no: r.row_no,
            sheet: r.sheet.clone().unwrap_or_default(),
            reason: mask_numbers_in(r.reason.as_deref().unwrap_or_default()),
        })
        .collect();
    let rejected_total = rejected.len();
    let page = BatchPage {
        layout: user.layout(&state, &format!("导入批次 {id}"), "/imports"),
        batch: batch_line(&batch),
        sheet: batch.file.sheet.clone().unwrap_or_default(),
        finished_at: batch
            .finished_at
            .as_deref()
            .map(beijing_time)
            .unwrap_or_default(),
        sha256: batch.file.sha256.clone(),
        uploaded_by: upload
            .as_ref()
            .map(|u| u.uploaded_by.clone())
            .unwrap_or_else(|| "命令行导入".to_owned()),
        has_report: upload.as_ref().is_some_and(|u| u.report_file.is_some()),
        running: batch.status == BatchStatus::Running,
        rejected: rejected.into_iter().take(REJECTED_SHOWN).collect(),
        rejected_total,
    };
    Ok(Html(page.render()?))
}

/// GET /imports/{id}/report.xlsx: the rejection report as zizhu-io wrote it.
pub(crate) async fn report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(user.role.may_view_imports())?;
    let id = parse_id(&id)?;
    let store = &state.store;
    let batch = store
        .batch_in_scope(id, user.scope())
        .await?
        .ok_or(PageError::NotFound)?;
    let path = store
        .batch_upload(id)
        .await?
        .and_then(|u| u.report_file)
        .ok_or(PageError::NotFound)?;
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        tracing::error!(error = %e, path = %path, "退回报告文件无法读取");
        PageError::Internal(
            "退回报告文件已不在服务器上，请重新导入该文件以生成新的报告。".to_owned(),
        )
    })?;
    let stem = FsPath::new(&batch.file.file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("批次{id}"));
    Ok(xlsx_response(bytes, &format!("退回报告_{stem}.xlsx")))
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn uploaded_names_stay_in_their_directory() {
        assert_eq!(safe_file_name("C:\\Users\\张\\学籍.xlsx"), "学籍.xlsx");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name(".."), "upload");
        assert_eq!(safe_file_name("a\u{0}b.csv"), "ab.csv");
        assert_eq!(safe_file_name(""), "upload");
    }
}
