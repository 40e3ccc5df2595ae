//! The comparison ledger (大数据比对): each run of the registry against the
//! imported department lists, the links the linker proposed between a
//! registry person and a list row, and the exception lists derived from
//! them (疑似失学辍学, 应享未享, 不应享而享, 重复享受, 县外就读信息缺失).
//!
//! The linker proposes; it never changes registry data. Nothing here
//! writes to `persons`, `enrollments` or any other registry table: a link
//! is a row of its own, and a reviewer's decision (accept or reject) is an
//! audited update of that row with the reviewer and the reason.
//!
//! Links are keyed by (term, batch, row, registry person) and exceptions by
//! (term, kind, key), so a re-run that finds the same links and exceptions
//! writes nothing but its run row. A link a later run no longer proposes is
//! kept as 已失效 and an exception no longer found as 已消除, never deleted,
//! so that a reviewer's decision and the history stay readable. A reviewed
//! link keeps its decision across re-runs.
//!
//! Reads for users take a [`Scope`] applied in SQL to the school, township
//! and class recorded on each row at the run (the registry person's
//! enrollment in the term, else the township they live in).

use crate::clock::now_utc;
use crate::codec::{self, Snapshot};
use crate::db::{Cell, Kind};
use crate::error::StoreError;
use crate::read::Scope;
use crate::records::{Enrollment, Household, Person, School, Upserted, vocabulary};
use crate::schema::{self, Col, Ddl, TableDef};
use crate::store::Store;
use crate::write::{WriteTx, select_all};
use sea_query::{ColumnDef, Expr, ExprTrait, ForeignKey, Func, Index, Order, Query, Table};
use zizhu_core::Term;

const fn col(name: &'static str, kind: Kind) -> Col {
    Col { name, kind }
}

use Kind::{Int, Text};

/// 比对记录: one stored comparison of a term.
pub(crate) const COMPARE_RUNS: TableDef = TableDef {
    name: "compare_runs",
    pk: "id",
    person_col: None,
    cols: &[
        col("id", Int),
        col("term", Text),
        col("actor", Text),
        col("started_at", Text),
        col("finished_at", Text),
        col("auto_threshold_ppm", Int),
        col("review_threshold_ppm", Int),
        col("lists", Int),
        col("rows_compared", Int),
        col("exact", Int),
        col("links_auto", Int),
        col("links_review", Int),
        col("links_rejected", Int),
        col("exceptions", Int),
        col("summary", Text),
    ],
};

/// 比对链接: a proposed "same person" between a registry person and a row
/// of an imported list.
pub(crate) const COMPARE_LINKS: TableDef = TableDef {
    name: "compare_links",
    pk: "id",
    person_col: Some("person_id"),
    cols: &[
        col("id", Int),
        col("run_id", Int),
        col("term", Text),
        col("batch_id", Int),
        col("list_kind", Text),
        col("file_name", Text),
        col("row_no", Int),
        col("row_person_id", Int),
        col("person_id", Int),
        col("probability_ppm", Int),
        col("status", Text),
        col("explanation", Text),
        col("school_code", Text),
        col("township_code", Text),
        col("class_name", Text),
        col("reviewed_by", Text),
        col("reviewed_at", Text),
        col("review_reason", Text),
    ],
};

/// 比对异常名单: one row per exception, with its evidence as JSON text.
pub(crate) const COMPARE_EXCEPTIONS: TableDef = TableDef {
    name: "compare_exceptions",
    pk: "id",
    person_col: Some("person_id"),
    cols: &[
        col("id", Int),
        col("run_id", Int),
        col("term", Text),
        col("kind", Text),
        col("key", Text),
        col("person_id", Int),
        col("status", Text),
        col("summary", Text),
        col("evidence", Text),
        col("school_code", Text),
        col("township_code", Text),
        col("class_name", Text),
    ],
};

/// Migration 6: the comparison ledger.
pub(crate) fn m0006_compare() -> Vec<Ddl> {
    let id = || {
        ColumnDef::new("id")
            .big_integer()
            .not_null()
            .auto_increment()
            .primary_key()
            .to_owned()
    };
    let text = |n: &'static str| ColumnDef::new(n).text().not_null().to_owned();
    let text_null = |n: &'static str| ColumnDef::new(n).text().null().to_owned();
    let int = |n: &'static str| ColumnDef::new(n).big_integer().not_null().to_owned();
    let int_null = |n: &'static str| ColumnDef::new(n).big_integer().null().to_owned();
    let index = |name: &'static str, table: &'static str, cols: &[&'static str], unique: bool| {
        let mut i = Index::create();
        i.name(name).table(table);
        if unique {
            i.unique();
        }
        for c in cols {
            i.col(*c);
        }
        Ddl::Index(i.to_owned())
    };
    vec![
        Ddl::Table(
            Table::create()
                .table(COMPARE_RUNS.name)
                .col(id())
                .col(text("term"))
                .col(text("actor"))
                .col(text("started_at"))
                .col(text("finished_at"))
                .col(int("auto_threshold_ppm"))
                .col(int("review_threshold_ppm"))
                .col(int("lists"))
                .col(int("rows_compared"))
                .col(int("exact"))
                .col(int("links_auto"))
                .col(int("links_review"))
                .col(int("links_rejected"))
                .col(int("exceptions"))
                .col(text("summary"))
                .to_owned(),
        ),
        index(
            "idx_compare_runs_term",
            "compare_runs",
            &["term", "id"],
            false,
        ),
        Ddl::Table(
            Table::create()
                .table(COMPARE_LINKS.name)
                .col(id())
                .col(int("run_id"))
                .col(text("term"))
                .col(int("batch_id"))
                .col(text("list_kind"))
                .col(text("file_name"))
                .col(int("row_no"))
                .col(int("row_person_id"))
                .col(int("person_id"))
                .col(int("probability_ppm"))
                .col(text("status"))
                .col(text("explanation"))
                .col(text_null("school_code"))
                .col(text_null("township_code"))
                .col(text_null("class_name"))
                .col(text_null("reviewed_by"))
                .col(text_null("reviewed_at"))
                .col(text_null("review_reason"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_compare_links_run")
                        .from("compare_links", "run_id")
                        .to("compare_runs", "id"),
                )
                .to_owned(),
        ),
        index(
            "ux_compare_links_key",
            "compare_links",
            &["term", "batch_id", "row_no", "person_id"],
            true,
        ),
        index(
            "idx_compare_links_status",
            "compare_links",
            &["term", "status", "id"],
            false,
        ),
        Ddl::Table(
            Table::create()
                .table(COMPARE_EXCEPTIONS.name)
                .col(id())
                .col(int("run_id"))
                .col(text("term"))
                .col(text("kind"))
                .col(text("key"))
                .col(int_null("person_id"))
                .col(text("status"))
                .col(text("summary"))
                .col(text("evidence"))
                .col(text_null("school_code"))
                .col(text_null("township_code"))
                .col(text_null("class_name"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_compare_exceptions_run")
                        .from("compare_exceptions", "run_id")
                        .to("compare_runs", "id"),
                )
                .to_owned(),
        ),
        index(
            "ux_compare_exceptions_key",
            "compare_exceptions",
            &["term", "kind", "key"],
            true,
        ),
        index(
            "idx_compare_exceptions_kind",
            "compare_exceptions",
            &["term", "kind", "id"],
            false,
        ),
    ]
}

vocabulary! {
    /// Where a proposed link stands.
    LinkStatus {
        /// 自动确认: probability at or above the automatic threshold.
        AutoAccepted => "自动确认",
        /// 待复核: in the middle band; a person decides.
        NeedsReview => "待复核",
        /// 人工确认: a reviewer accepted it.
        Accepted => "人工确认",
        /// 已否决: a reviewer rejected it.
        Rejected => "已否决",
        /// 已失效: a later run no longer proposes it (kept for the record).
        Withdrawn => "已失效",
    }
}

impl LinkStatus {
    /// Whether the link counts as "the same person" for the exception
    /// lists.
    pub fn confirmed(self) -> bool {
        matches!(self, LinkStatus::AutoAccepted | LinkStatus::Accepted)
    }

    /// Whether a person decided it (the decision survives re-runs).
    pub fn reviewed(self) -> bool {
        matches!(self, LinkStatus::Accepted | LinkStatus::Rejected)
    }
}

vocabulary! {
    /// The exception lists of a comparison.
    ExceptionKind {
        /// 疑似失学辍学: a child of compulsory age on the population or
        /// poverty list with no current enrollment.
        SuspectedDropout => "疑似失学辍学",
        /// 应享未享: should receive aid and does not.
        EntitledNotPaid => "应享未享",
        /// 不应享而享: on the aid list without an entitlement.
        PaidNotEntitled => "不应享而享",
        /// 重复享受: the same person enrolled or aided twice.
        Duplicate => "重复享受",
        /// 县外就读信息缺失: studying outside the county without the
        /// receiving school's information.
        OutOfCountyMissing => "县外就读信息缺失",
    }
}

vocabulary! {
    /// Whether an exception is current.
    ExceptionStatus {
        /// 有效: found by the latest run.
        Open => "有效",
        /// 已消除: no longer found by the latest run.
        Cleared => "已消除",
    }
}

/// Counts of one run, stored with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompareRunCounts {
    /// Department lists (import batches) compared.
    pub lists: i64,
    /// List rows compared.
    pub rows_compared: i64,
    /// Rows that are the registry person itself (matched by a valid ID
    /// number at import); not stored as links.
    pub exact: i64,
    /// Links 自动确认 (or 人工确认).
    pub links_auto: i64,
    /// Links 待复核.
    pub links_review: i64,
    /// Links 已否决.
    pub links_rejected: i64,
    /// Open exceptions.
    pub exceptions: i64,
}

/// A run to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCompareRun {
    /// The term compared.
    pub term: Term,
    /// When the run began (ISO-8601 UTC).
    pub started_at: String,
    /// The automatic-confirmation threshold, in parts per million.
    pub auto_threshold_ppm: i64,
    /// The review threshold, in parts per million.
    pub review_threshold_ppm: i64,
    /// Counts.
    pub counts: CompareRunCounts,
    /// The Chinese summary printed for the run.
    pub summary: String,
}

/// A stored run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareRun {
    /// Primary key.
    pub id: i64,
    /// Who ran it.
    pub actor: String,
    /// When it finished.
    pub finished_at: String,
    /// What was recorded.
    pub run: NewCompareRun,
}

/// Where a link or exception shows up for scoped readers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// The school of the person's enrollment in the term.
    pub school_code: Option<String>,
    /// The township of that school, else the one the person lives in.
    pub township_code: Option<String>,
    /// The class of that enrollment.
    pub class_name: Option<String>,
}

/// A link as the comparison proposes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRecord {
    /// The term.
    pub term: Term,
    /// The import batch the list row came from.
    pub batch_id: i64,
    /// The batch's kind (学籍名单, 适龄儿童户籍名单, …).
    pub list_kind: String,
    /// The file the row came from.
    pub file_name: String,
    /// The row (序号 as the spreadsheet shows it).
    pub row_no: i64,
    /// The person the import wrote for the row (an unresolved person when
    /// the row had no usable ID number).
    pub row_person_id: i64,
    /// The registry person the row is proposed to be.
    pub person_id: i64,
    /// The linker's match probability, in parts per million (0–1,000,000).
    pub probability_ppm: i64,
    /// The band the probability falls in (自动确认 or 待复核).
    pub status: LinkStatus,
    /// The linker's explanation as JSON text.
    pub explanation: String,
    /// Where the link shows up.
    pub placement: Placement,
}

/// A stored link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLink {
    /// Primary key.
    pub id: i64,
    /// The run that last changed it.
    pub run_id: i64,
    /// The link; `status` is the current one (a reviewer's decision wins).
    pub record: LinkRecord,
    /// Who reviewed it.
    pub reviewed_by: Option<String>,
    /// When.
    pub reviewed_at: Option<String>,
    /// Why.
    pub review_reason: Option<String>,
}

/// An exception as the comparison derives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExceptionRecord {
    /// The term.
    pub term: Term,
    /// Which list.
    pub kind: ExceptionKind,
    /// Identifies the exception within its kind and term across runs
    /// (e.g. `人员:123`, `人员:123:政策:yulu`).
    pub key: String,
    /// The registry person it is about, when there is one.
    pub person_id: Option<i64>,
    /// One Chinese sentence.
    pub summary: String,
    /// The evidence as JSON text.
    pub evidence: String,
    /// Where it shows up.
    pub placement: Placement,
}

/// A stored exception.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredException {
    /// Primary key.
    pub id: i64,
    /// The run that last changed it.
    pub run_id: i64,
    /// 有效 or 已消除.
    pub status: ExceptionStatus,
    /// The exception.
    pub record: ExceptionRecord,
}

/// What the comparison reads from the registry for a term: everything it
/// links and derives exceptions from. Read whole, once per run, like the
/// entitlement computation; never shown to a user as it is.
#[derive(Clone, Debug, Default)]
pub struct CompareRegistry {
    /// Every person.
    pub persons: Vec<Person>,
    /// (person id, guardian name), in guardian id order.
    pub guardians: Vec<(i64, String)>,
    /// Every household.
    pub households: Vec<Household>,
    /// The term's enrollments.
    pub enrollments: Vec<Enrollment>,
    /// Every school.
    pub schools: Vec<School>,
    /// Persons with an active (有效) bank account.
    pub with_account: Vec<i64>,
    /// Townships: (9-digit code, name), from the regions register.
    pub townships: Vec<(String, String)>,
}

fn placement_cells(p: &Placement) -> [(&'static str, Cell); 3] {
    [
        ("school_code", Cell::opt_text(p.school_code.clone())),
        ("township_code", Cell::opt_text(p.township_code.clone())),
        ("class_name", Cell::opt_text(p.class_name.clone())),
    ]
}

fn placement_from(s: &Snapshot) -> Result<Placement, StoreError> {
    Ok(Placement {
        school_code: s.opt_text("school_code")?,
        township_code: s.opt_text("township_code")?,
        class_name: s.opt_text("class_name")?,
    })
}

fn term_from(s: &Snapshot) -> Result<Term, StoreError> {
    s.parse("term", |t: &str| Term::parse(t))
}

fn link_cells(l: &LinkRecord) -> Vec<(&'static str, Cell)> {
    let mut cells = vec![
        ("term", Cell::text(l.term.code())),
        ("batch_id", Cell::Int(l.batch_id)),
        ("list_kind", Cell::text(&l.list_kind)),
        ("file_name", Cell::text(&l.file_name)),
        ("row_no", Cell::Int(l.row_no)),
        ("row_person_id", Cell::Int(l.row_person_id)),
        ("person_id", Cell::Int(l.person_id)),
        ("probability_ppm", Cell::Int(l.probability_ppm)),
        ("status", Cell::text(l.status.label())),
        ("explanation", Cell::text(&l.explanation)),
    ];
    cells.extend(placement_cells(&l.placement));
    cells
}

fn link_from(s: &Snapshot) -> Result<StoredLink, StoreError> {
    Ok(StoredLink {
        id: s.int("id")?,
        run_id: s.int("run_id")?,
        record: LinkRecord {
            term: term_from(s)?,
            batch_id: s.int("batch_id")?,
            list_kind: s.text("list_kind")?,
            file_name: s.text("file_name")?,
            row_no: s.int("row_no")?,
            row_person_id: s.int("row_person_id")?,
            person_id: s.int("person_id")?,
            probability_ppm: s.int("probability_ppm")?,
            status: s.label("status", LinkStatus::from_label)?,
            explanation: s.text("explanation")?,
            placement: placement_from(s)?,
        },
        reviewed_by: s.opt_text("reviewed_by")?,
        reviewed_at: s.opt_text("reviewed_at")?,
        review_reason: s.opt_text("review_reason")?,
    })
}

fn exception_cells(e: &ExceptionRecord) -> Vec<(&'static str, Cell)> {
    let mut cells = vec![
        ("term", Cell::text(e.term.code())),
        ("kind", Cell::text(e.kind.label())),
        ("key", Cell::text(&e.key)),
        ("person_id", Cell::opt_int(e.person_id)),
        ("status", Cell::text(ExceptionStatus::Open.label())),
        ("summary", Cell::text(&e.summary)),
        ("evidence", Cell::text(&e.evidence)),
    ];
    cells.extend(placement_cells(&e.placement));
    cells
}

fn exception_from(s: &Snapshot) -> Result<StoredException, StoreError> {
    Ok(StoredException {
        id: s.int("id")?,
        run_id: s.int("run_id")?,
        status: s.label("status", ExceptionStatus::from_label)?,
        record: ExceptionRecord {
            term: term_from(s)?,
            kind: s.label("kind", ExceptionKind::from_label)?,
            key: s.text("key")?,
            person_id: s.opt_int("person_id")?,
            summary: s.text("summary")?,
            evidence: s.text("evidence")?,
            placement: placement_from(s)?,
        },
    })
}

fn run_from(s: &Snapshot) -> Result<CompareRun, StoreError> {
    Ok(CompareRun {
        id: s.int("id")?,
        actor: s.text("actor")?,
        finished_at: s.text("finished_at")?,
        run: NewCompareRun {
            term: term_from(s)?,
            started_at: s.text("started_at")?,
            auto_threshold_ppm: s.int("auto_threshold_ppm")?,
            review_threshold_ppm: s.int("review_threshold_ppm")?,
            counts: CompareRunCounts {
                lists: s.int("lists")?,
                rows_compared: s.int("rows_compared")?,
                exact: s.int("exact")?,
                links_auto: s.int("links_auto")?,
                links_review: s.int("links_review")?,
                links_rejected: s.int("links_rejected")?,
                exceptions: s.int("exceptions")?,
            },
            summary: s.text("summary")?,
        },
    })
}

/// The scope's condition on a table carrying placement columns.
fn scope_condition(scope: &Scope) -> Option<Expr> {
    match scope {
        Scope::All => None,
        Scope::Township(t) => Some(Expr::col("township_code").eq(t.as_str())),
        Scope::School(c) => Some(Expr::col("school_code").eq(c.as_str())),
        Scope::Classes { school, classes } => Some(
            Expr::col("school_code")
                .eq(school.as_str())
                .and(Expr::col("class_name").is_in(classes.iter().map(String::as_str))),
        ),
    }
}

/// Which links a reader wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkFilter {
    /// Only links in this status.
    pub status: Option<LinkStatus>,
    /// Only links of this batch.
    pub batch_id: Option<i64>,
}

impl WriteTx {
    /// Records a comparison run, audited, with the transaction's actor;
    /// returns its id.
    pub async fn record_compare_run(&mut self, run: &NewCompareRun) -> Result<i64, StoreError> {
        let c = &run.counts;
        let actor = self.context().actor.clone();
        let cells = [
            ("term", Cell::text(run.term.code())),
            ("actor", Cell::Text(actor)),
            ("started_at", Cell::text(&run.started_at)),
            ("finished_at", Cell::text(now_utc())),
            ("auto_threshold_ppm", Cell::Int(run.auto_threshold_ppm)),
            ("review_threshold_ppm", Cell::Int(run.review_threshold_ppm)),
            ("lists", Cell::Int(c.lists)),
            ("rows_compared", Cell::Int(c.rows_compared)),
            ("exact", Cell::Int(c.exact)),
            ("links_auto", Cell::Int(c.links_auto)),
            ("links_review", Cell::Int(c.links_review)),
            ("links_rejected", Cell::Int(c.links_rejected)),
            ("exceptions", Cell::Int(c.exceptions)),
            ("summary", Cell::text(&run.summary)),
        ];
        let row = self.insert_row(&COMPARE_RUNS, &cells, None, None).await?;
        row.int("id")
    }

    /// Writes a proposed link, keyed by (term, batch, row, registry
    /// person), audited. An unchanged link is left alone (its run stays the
    /// run that last changed it). A link a reviewer decided keeps the
    /// decision: only its probability, explanation and placement follow
    /// the new run.
    pub async fn put_compare_link(
        &mut self,
        run_id: i64,
        link: &LinkRecord,
    ) -> Result<Upserted, StoreError> {
        let key = [
            ("term", Cell::text(link.term.code())),
            ("batch_id", Cell::Int(link.batch_id)),
            ("row_no", Cell::Int(link.row_no)),
            ("person_id", Cell::Int(link.person_id)),
        ];
        let mut cells = link_cells(link);
        let existing = self.find_one(&COMPARE_LINKS, &key).await?;
        if let Some(before) = &existing
            && LinkStatus::from_label(&before.text("status")?).is_some_and(|s| s.reviewed())
        {
            // A reviewer's decision stands.
            cells.retain(|(c, _)| *c != "status");
        }
        self.put_tracked(
            &COMPARE_LINKS,
            existing,
            cells,
            &[("run_id", Cell::Int(run_id))],
        )
        .await
    }

    /// Marks a link the latest run no longer proposes 已失效, audited. A
    /// reviewed link keeps its decision and is left alone; returns whether
    /// anything changed.
    pub async fn withdraw_compare_link(
        &mut self,
        run_id: i64,
        link_id: i64,
    ) -> Result<bool, StoreError> {
        let before = self.require(&COMPARE_LINKS, "比对链接", link_id).await?;
        let status = before.label("status", LinkStatus::from_label)?;
        if status.reviewed() || status == LinkStatus::Withdrawn {
            return Ok(false);
        }
        let changes = [
            ("status", Cell::text(LinkStatus::Withdrawn.label())),
            ("run_id", Cell::Int(run_id)),
        ];
        Ok(self
            .update_row(&before, &changes, None, None)
            .await?
            .is_some())
    }

    /// A reviewer's decision on a link: `accept` makes it 人工确认, else
    /// 已否决; the transaction's actor is recorded as the reviewer, with the
    /// reason, audited. A withdrawn link cannot be decided.
    pub async fn review_compare_link(
        &mut self,
        link_id: i64,
        accept: bool,
        reason: &str,
    ) -> Result<StoredLink, StoreError> {
        let before = self.require(&COMPARE_LINKS, "比对链接", link_id).await?;
        let status = before.label("status", LinkStatus::from_label)?;
        if status == LinkStatus::Withdrawn {
            return Err(StoreError::Invalid {
                detail: format!("比对链接 {link_id} 已失效（最近一次比对不再提出），不能复核"),
            });
        }
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid {
                detail: "复核必须填写理由".into(),
            });
        }
        let new = if accept {
            LinkStatus::Accepted
        } else {
            LinkStatus::Rejected
        };
        let actor = self.context().actor.clone();
        let changes = [
            ("status", Cell::text(new.label())),
            ("reviewed_by", Cell::Text(actor)),
            ("reviewed_at", Cell::text(now_utc())),
            ("review_reason", Cell::text(reason.trim())),
        ];
        let after = self
            .update_row(&before, &changes, None, None)
            .await?
            .unwrap_or(before);
        link_from(&after)
    }

    /// Writes an exception, keyed by (term, kind, key), as 有效, audited;
    /// an unchanged one is left alone.
    pub async fn put_compare_exception(
        &mut self,
        run_id: i64,
        exception: &ExceptionRecord,
    ) -> Result<Upserted, StoreError> {
        let key = [
            ("term", Cell::text(exception.term.code())),
            ("kind", Cell::text(exception.kind.label())),
            ("key", Cell::text(&exception.key)),
        ];
        let existing = self.find_one(&COMPARE_EXCEPTIONS, &key).await?;
        self.put_tracked(
            &COMPARE_EXCEPTIONS,
            existing,
            exception_cells(exception),
            &[("run_id", Cell::Int(run_id))],
        )
        .await
    }

    /// Marks an exception the latest run no longer finds 已消除, audited;
    /// returns whether it changed.
    pub async fn clear_compare_exception(
        &mut self,
        run_id: i64,
        exception_id: i64,
    ) -> Result<bool, StoreError> {
        let before = self
            .require(&COMPARE_EXCEPTIONS, "比对异常", exception_id)
            .await?;
        let changes = [
            ("status", Cell::text(ExceptionStatus::Cleared.label())),
            ("run_id", Cell::Int(run_id)),
        ];
        Ok(self
            .update_row(&before, &changes, None, None)
            .await?
            .is_some())
    }
}

impl Store {
    /// Everything the comparison of a term reads from the registry.
    pub async fn compare_registry(&self, term: &Term) -> Result<CompareRegistry, StoreError> {
        let mut q = select_all(&schema::PERSONS);
        q.order_by("id", Order::Asc);
        let persons = self
            .read_snapshots(&schema::PERSONS, &q, "比对：读取人员")
            .await?
            .iter()
            .map(codec::person_from)
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = Query::select();
        q.columns(["person_id", "name"])
            .from("guardians")
            .order_by("id", Order::Asc);
        let guardians = self
            .read_all(&q, "比对：读取监护人")
            .await?
            .iter()
            .map(|r| {
                let id = r.int("person_id")?;
                let name = match r.cell("name", Kind::Text)? {
                    Cell::Text(s) => s,
                    _ => String::new(),
                };
                Ok((id, name))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut q = select_all(&schema::HOUSEHOLDS);
        q.order_by("id", Order::Asc);
        let households = self
            .read_snapshots(&schema::HOUSEHOLDS, &q, "比对：读取家庭户")
            .await?
            .iter()
            .map(codec::household_from)
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = select_all(&schema::ENROLLMENTS);
        q.and_where(Expr::col("term").eq(term.code()))
            .order_by("id", Order::Asc);
        let enrollments = self
            .read_snapshots(&schema::ENROLLMENTS, &q, "比对：读取学籍")
            .await?
            .iter()
            .map(codec::enrollment_from)
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = select_all(&schema::SCHOOLS);
        q.order_by("code", Order::Asc);
        let schools = self
            .read_snapshots(&schema::SCHOOLS, &q, "比对：读取学校")
            .await?
            .iter()
            .map(codec::school_from)
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = Query::select();
        q.column("person_id")
            .distinct()
            .from("bank_accounts")
            .and_where(Expr::col("status").eq(crate::records::AccountStatus::Active.label()))
            .order_by("person_id", Order::Asc);
        let with_account = self
            .read_all(&q, "比对：读取银行账户")
            .await?
            .iter()
            .map(|r| r.int("person_id"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = Query::select();
        q.columns(["code", "name"])
            .from("regions")
            .order_by("code", Order::Asc);
        let mut townships = Vec::new();
        for r in self.read_all(&q, "比对：读取行政区划").await? {
            let text = |c: &str| -> Result<String, StoreError> {
                Ok(match r.cell(c, Kind::Text)? {
                    Cell::Text(s) => s,
                    _ => String::new(),
                })
            };
            let code = text("code")?;
            // A township is a 9-digit code, or a 12-digit one whose village
            // part is 000 under a township part that is not.
            let township = match code.len() {
                9 => Some(code.clone()),
                12 if code.ends_with("000") && &code[6..9] != "000" => Some(code[..9].to_string()),
                _ => None,
            };
            if let Some(t) = township {
                townships.push((t, text("name")?));
            }
        }
        Ok(CompareRegistry {
            townships,
            persons,
            guardians,
            households,
            enrollments,
            schools,
            with_account,
        })
    }

    /// Stored comparison runs of a term, newest first, at most `limit`.
    pub async fn compare_runs(
        &self,
        term: &Term,
        limit: u64,
    ) -> Result<Vec<CompareRun>, StoreError> {
        let mut q = select_all(&COMPARE_RUNS);
        q.and_where(Expr::col("term").eq(term.code()))
            .order_by("id", Order::Desc)
            .limit(limit);
        self.read_snapshots(&COMPARE_RUNS, &q, "查询比对记录")
            .await?
            .iter()
            .map(run_from)
            .collect()
    }

    /// A term's links within the scope, in id order: at most `limit` with
    /// an id above `after`.
    pub async fn compare_links(
        &self,
        term: &Term,
        scope: &Scope,
        filter: &LinkFilter,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredLink>, StoreError> {
        scope.check()?;
        let mut q = select_all(&COMPARE_LINKS);
        q.and_where(Expr::col("term").eq(term.code()))
            .and_where_option(scope_condition(scope))
            .and_where_option(filter.status.map(|s| Expr::col("status").eq(s.label())))
            .and_where_option(filter.batch_id.map(|b| Expr::col("batch_id").eq(b)))
            .and_where(Expr::col("id").gt(after))
            .order_by("id", Order::Asc)
            .limit(limit);
        self.read_snapshots(&COMPARE_LINKS, &q, "查询比对链接")
            .await?
            .iter()
            .map(link_from)
            .collect()
    }

    /// One link, if the scope may see it.
    pub async fn compare_link(
        &self,
        id: i64,
        scope: &Scope,
    ) -> Result<Option<StoredLink>, StoreError> {
        scope.check()?;
        let mut q = select_all(&COMPARE_LINKS);
        q.and_where(Expr::col("id").eq(id))
            .and_where_option(scope_condition(scope));
        let rows = self
            .read_snapshots(&COMPARE_LINKS, &q, "查询比对链接")
            .await?;
        rows.first().map(link_from).transpose()
    }

    /// How many open exceptions of one kind a term has within the scope:
    /// the count `compare_exceptions` would list, for the dashboard. The
    /// read is a range of the `(term, kind, id)` index, so it costs the
    /// exceptions of that kind, never the registry.
    pub async fn count_compare_exceptions(
        &self,
        term: &Term,
        scope: &Scope,
        kind: ExceptionKind,
    ) -> Result<i64, StoreError> {
        scope.check()?;
        let mut q = Query::select();
        q.expr_as(Func::count(Expr::col("id")), "n")
            .from(COMPARE_EXCEPTIONS.name)
            .and_where(Expr::col("term").eq(term.code()))
            .and_where(Expr::col("kind").eq(kind.label()))
            .and_where(Expr::col("status").eq(ExceptionStatus::Open.label()))
            .and_where_option(scope_condition(scope));
        self.count(&q, "统计比对异常").await
    }

    /// A term's exceptions within the scope, in id order: at most `limit`
    /// with an id above `after`; only open ones unless `include_cleared`.
    pub async fn compare_exceptions(
        &self,
        term: &Term,
        scope: &Scope,
        kind: Option<ExceptionKind>,
        include_cleared: bool,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredException>, StoreError> {
        scope.check()?;
        let mut q = select_all(&COMPARE_EXCEPTIONS);
        q.and_where(Expr::col("term").eq(term.code()))
            .and_where_option(scope_condition(scope))
            .and_where_option(kind.map(|k| Expr::col("kind").eq(k.label())))
            .and_where_option(
                (!include_cleared).then(|| Expr::col("status").eq(ExceptionStatus::Open.label())),
            )
            .and_where(Expr::col("id").gt(after))
            .order_by("id", Order::Asc)
            .limit(limit);
        self.read_snapshots(&COMPARE_EXCEPTIONS, &q, "查询比对异常")
            .await?
            .iter()
            .map(exception_from)
            .collect()
    }
}
