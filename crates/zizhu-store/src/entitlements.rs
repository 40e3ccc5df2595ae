//! The entitlement ledger: each computation of a term (an entitlement run),
//! the current entitlement of every student to every policy, and the facts
//! the last stored run was computed from.
//!
//! `entitlements` holds one row per term, person and policy: the latest
//! stored computation's answer. A recomputation changes only the rows whose
//! answer changed, each through the audited write path with the reason in
//! the row's `change_reason`; a row that is no longer owed is kept with
//! status 已取消 rather than deleted, so later steps (公示, payment) that
//! refer to it never dangle. An unchanged recomputation therefore writes
//! the run and nothing else.
//!
//! `entitlement_facts` keeps, per term and person, the facts (as an opaque
//! text the application encodes) that the last stored run used, so that the
//! next run can say which fact changed. It is a derived copy of audited
//! registry data written in the same transaction as the entitlements it
//! explains, so it is not audited itself; auditing it would double the
//! audit log of every first run without recording anything new.
//!
//! Reads for users take a [`Scope`] applied in SQL to the school, township
//! and class recorded on each entitlement row when it was computed.

use crate::clock::now_utc;
use crate::codec::Snapshot;
use crate::db::{Cell, DbRow, Kind};
use crate::error::StoreError;
use crate::read::Scope;
use crate::records::Upserted;
use crate::schema::{Col, Ddl, TableDef};
use crate::store::Store;
use crate::write::{WriteTx, select_all};
use sea_query::{
    Alias, ColumnDef, Expr, ExprTrait, ForeignKey, Func, Index, JoinType, OnConflict, Order, Query,
    SelectStatement, Table,
};
use zizhu_core::{Fen, Term};

const fn col(name: &'static str, kind: Kind) -> Col {
    Col { name, kind }
}

use Kind::{Bool, Int, Text};

/// 资助计算记录: one stored computation of a term.
pub(crate) const ENTITLEMENT_RUNS: TableDef = TableDef {
    name: "entitlement_runs",
    pk: "id",
    person_col: None,
    cols: &[
        col("id", Int),
        col("term", Text),
        col("policy_file", Text),
        col("policy_title", Text),
        col("policy_fingerprint", Text),
        col("actor", Text),
        col("started_at", Text),
        col("finished_at", Text),
        col("students", Int),
        col("entitlements", Int),
        col("payable", Int),
        col("payable_fen", Int),
        col("gaps", Int),
        col("gap_fen", Int),
        col("added", Int),
        col("changed", Int),
        col("removed", Int),
    ],
};

/// 资助名单: the current entitlement of a person to a policy in a term.
pub(crate) const ENTITLEMENTS: TableDef = TableDef {
    name: "entitlements",
    pk: "id",
    person_col: Some("person_id"),
    cols: &[
        col("id", Int),
        col("run_id", Int),
        col("person_id", Int),
        col("term", Text),
        col("policy_code", Text),
        col("policy_name", Text),
        col("policy_order", Int),
        col("category", Text),
        col("amount_fen", Int),
        col("payment_mode", Text),
        col("status", Text),
        col("cause", Text),
        col("cause_kind", Text),
        col("gap", Bool),
        col("funding_central_fen", Int),
        col("funding_province_fen", Int),
        col("funding_city_fen", Int),
        col("funding_county_fen", Int),
        col("funding_other_fen", Int),
        col("school_code", Text),
        col("township_code", Text),
        col("class_name", Text),
        col("out_of_county", Bool),
        col("trace", Text),
        col("change_reason", Text),
    ],
};

/// 计算所用事实: not audited (see the module comment).
pub(crate) const ENTITLEMENT_FACTS: TableDef = TableDef {
    name: "entitlement_facts",
    pk: "id",
    person_col: Some("person_id"),
    cols: &[
        col("id", Int),
        col("term", Text),
        col("person_id", Int),
        col("run_id", Int),
        col("facts", Text),
    ],
};

/// The state of an entitlement row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntitlementStatus {
    /// 可发放: owed and payable now.
    Payable,
    /// 受阻: owed but not payable now; `cause` says why.
    Blocked,
    /// 已取消: owed by an earlier run, no longer owed by the latest one.
    Revoked,
}

impl EntitlementStatus {
    /// Every value.
    pub const ALL: &'static [EntitlementStatus] = &[
        EntitlementStatus::Payable,
        EntitlementStatus::Blocked,
        EntitlementStatus::Revoked,
    ];

    /// The label stored in the database and shown to users.
    pub fn label(self) -> &'static str {
        match self {
            EntitlementStatus::Payable => "可发放",
            EntitlementStatus::Blocked => "受阻",
            EntitlementStatus::Revoked => "已取消",
        }
    }

    /// The value whose label is `s`.
    pub fn from_label(s: &str) -> Option<EntitlementStatus> {
        Self::ALL.iter().copied().find(|v| v.label() == s)
    }
}

impl std::fmt::Display for EntitlementStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The counts a run records about itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntitlementRunCounts {
    /// Students in the computed population.
    pub students: i64,
    /// Entitlements computed (payable or blocked).
    pub entitlements: i64,
    /// Payable entitlements (人次).
    pub payable: i64,
    /// Their total amount.
    pub payable_amount: Fen,
    /// Coverage gaps (应享未享 人次).
    pub gaps: i64,
    /// Their total amount.
    pub gap_amount: Fen,
    /// Rows added relative to the ledger before the run.
    pub added: i64,
    /// Rows changed.
    pub changed: i64,
    /// Rows revoked (已取消).
    pub removed: i64,
}

/// A run to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntitlementRun {
    /// The term computed.
    pub term: Term,
    /// The policy file's name.
    pub policy_file: String,
    /// The policy file's title.
    pub policy_title: String,
    /// A SHA-256 (hex) identifying the policy set's content.
    pub policy_fingerprint: String,
    /// When the computation started, ISO-8601 UTC.
    pub started_at: String,
    /// What it found.
    pub counts: EntitlementRunCounts,
}

/// A recorded run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitlementRun {
    /// Primary key; also the order of runs.
    pub id: i64,
    /// Who ran it.
    pub actor: String,
    /// When it was stored, ISO-8601 UTC.
    pub finished_at: String,
    /// What was recorded.
    pub record: NewEntitlementRun,
}

/// One entitlement row as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitlementRecord {
    /// The student.
    pub person_id: i64,
    /// The term.
    pub term: Term,
    /// The policy's code in the policy file.
    pub policy_code: String,
    /// The policy's name.
    pub policy_name: String,
    /// The policy's position in the policy file, for listing in file order.
    pub policy_order: i64,
    /// 补/助/免/奖/贷.
    pub category: String,
    /// The amount for the term.
    pub amount: Fen,
    /// 打卡/免除/贷款.
    pub payment_mode: String,
    /// The state.
    pub status: EntitlementStatus,
    /// Why a blocked entitlement is blocked (every cause, in Chinese).
    pub cause: Option<String>,
    /// The kind of the first cause (无银行账户, 信息缺失, …) for grouping.
    pub cause_kind: Option<String>,
    /// Whether the student goes without the aid (应享未享); an entitlement
    /// excluded in favour of another policy is blocked but not a gap.
    pub gap: bool,
    /// The amount by funding level: 中央、省、市、县、社会; sums to `amount`.
    pub funding: [Fen; 5],
    /// The school attended when computed (学校标识码; for 县外就读 maybe none).
    pub school_code: Option<String>,
    /// The 9-digit township the entitlement is counted under.
    pub township_code: Option<String>,
    /// The class, for a class teacher's scope.
    pub class_name: Option<String>,
    /// 县外就读.
    pub out_of_county: bool,
    /// The computation's explanation in Chinese: rule, facts, sources, amount.
    pub trace: String,
    /// Why the row last changed, in Chinese.
    pub change_reason: Option<String>,
}

/// An entitlement row as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntitlement {
    /// Primary key.
    pub id: i64,
    /// The run that last changed the row.
    pub run_id: i64,
    /// What was written.
    pub record: EntitlementRecord,
}

/// One row of the facts snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactSnapshot {
    /// Primary key, for paging.
    pub id: i64,
    /// The student.
    pub person_id: i64,
    /// The run that wrote it.
    pub run_id: i64,
    /// The facts, encoded by the application.
    pub facts: String,
}

/// A coverage gap with the names a list shows. Names and ID numbers are
/// returned unmasked; the caller masks them for display, and the web
/// application logs any unmasking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitlementGap {
    /// The entitlement.
    pub entitlement: StoredEntitlement,
    /// 姓名.
    pub name: String,
    /// 身份证号.
    pub id_number: Option<String>,
    /// 学校名称, when the school is in the registry.
    pub school_name: Option<String>,
}

/// What [`Store::entitlement_totals`] groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntitlementGroup {
    /// By policy code (labelled with the policy name), in file order.
    Policy,
    /// By 补/助/免/奖/贷.
    Category,
    /// By 9-digit township code (empty when unknown).
    Township,
    /// By 学校标识码 (empty when unknown), labelled with the school's name.
    School,
    /// By the kind of the first cause (meaningful for gaps).
    Cause,
}

/// Which rows [`Store::entitlement_totals`] adds up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntitlementSelection {
    /// 可发放 rows: what the county pays.
    Payable,
    /// Coverage gaps: owed but not reaching the student.
    Gaps,
}

/// One group's 人次 and amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitlementTotal {
    /// The group's key (code, label or empty when unknown).
    pub key: String,
    /// The policy's or school's name where there is one.
    pub label: Option<String>,
    /// 人次.
    pub count: i64,
    /// 金额.
    pub amount: Fen,
    /// The policy's order in the file (only for [`EntitlementGroup::Policy`]).
    pub order: i64,
}

fn status_cell(s: EntitlementStatus) -> Cell {
    Cell::text(s.label())
}

/// The row's columns other than its key and run.
fn entitlement_cells(e: &EntitlementRecord) -> Vec<(&'static str, Cell)> {
    vec![
        ("person_id", Cell::Int(e.person_id)),
        ("term", Cell::text(e.term.code())),
        ("policy_code", Cell::text(&e.policy_code)),
        ("policy_name", Cell::text(&e.policy_name)),
        ("policy_order", Cell::Int(e.policy_order)),
        ("category", Cell::text(&e.category)),
        ("amount_fen", Cell::Int(e.amount.0)),
        ("payment_mode", Cell::text(&e.payment_mode)),
        ("status", status_cell(e.status)),
        ("cause", Cell::opt_text(e.cause.as_deref())),
        ("cause_kind", Cell::opt_text(e.cause_kind.as_deref())),
        ("gap", Cell::Bool(e.gap)),
        ("funding_central_fen", Cell::Int(e.funding[0].0)),
        ("funding_province_fen", Cell::Int(e.funding[1].0)),
        ("funding_city_fen", Cell::Int(e.funding[2].0)),
        ("funding_county_fen", Cell::Int(e.funding[3].0)),
        ("funding_other_fen", Cell::Int(e.funding[4].0)),
        ("school_code", Cell::opt_text(e.school_code.as_deref())),
        ("township_code", Cell::opt_text(e.township_code.as_deref())),
        ("class_name", Cell::opt_text(e.class_name.as_deref())),
        ("out_of_county", Cell::Bool(e.out_of_county)),
        ("trace", Cell::text(&e.trace)),
        ("change_reason", Cell::opt_text(e.change_reason.as_deref())),
    ]
}

fn entitlement_from(s: &Snapshot) -> Result<StoredEntitlement, StoreError> {
    Ok(StoredEntitlement {
        id: s.int("id")?,
        run_id: s.int("run_id")?,
        record: EntitlementRecord {
            person_id: s.int("person_id")?,
            term: s.parse("term", Term::parse)?,
            policy_code: s.text("policy_code")?,
            policy_name: s.text("policy_name")?,
            policy_order: s.int("policy_order")?,
            category: s.text("category")?,
            amount: Fen(s.int("amount_fen")?),
            payment_mode: s.text("payment_mode")?,
            status: s.label("status", EntitlementStatus::from_label)?,
            cause: s.opt_text("cause")?,
            cause_kind: s.opt_text("cause_kind")?,
            gap: s.bool("gap")?,
            funding: [
                Fen(s.int("funding_central_fen")?),
                Fen(s.int("funding_province_fen")?),
                Fen(s.int("funding_city_fen")?),
                Fen(s.int("funding_county_fen")?),
                Fen(s.int("funding_other_fen")?),
            ],
            school_code: s.opt_text("school_code")?,
            township_code: s.opt_text("township_code")?,
            class_name: s.opt_text("class_name")?,
            out_of_county: s.bool("out_of_county")?,
            trace: s.text("trace")?,
            change_reason: s.opt_text("change_reason")?,
        },
    })
}

fn run_from(s: &Snapshot) -> Result<EntitlementRun, StoreError> {
    Ok(EntitlementRun {
        id: s.int("id")?,
        actor: s.text("actor")?,
        finished_at: s.text("finished_at")?,
        record: NewEntitlementRun {
            term: s.parse("term", Term::parse)?,
            policy_file: s.text("policy_file")?,
            policy_title: s.text("policy_title")?,
            policy_fingerprint: s.text("policy_fingerprint")?,
            started_at: s.text("started_at")?,
            counts: EntitlementRunCounts {
                students: s.int("students")?,
                entitlements: s.int("entitlements")?,
                payable: s.int("payable")?,
                payable_amount: Fen(s.int("payable_fen")?),
                gaps: s.int("gaps")?,
                gap_amount: Fen(s.int("gap_fen")?),
                added: s.int("added")?,
                changed: s.int("changed")?,
                removed: s.int("removed")?,
            },
        },
    })
}

/// The scope as a condition on `entitlements AS en`.
fn scope_condition(scope: &Scope) -> Option<Expr> {
    match scope {
        Scope::All => None,
        Scope::Township(t) => Some(Expr::col(("en", "township_code")).eq(t.as_str())),
        Scope::School(c) => Some(Expr::col(("en", "school_code")).eq(c.as_str())),
        Scope::Classes { school, classes } => Some(
            Expr::col(("en", "school_code"))
                .eq(school.as_str())
                .and(Expr::col(("en", "class_name")).is_in(classes.iter().map(String::as_str))),
        ),
    }
}

fn selection_condition(which: EntitlementSelection) -> Expr {
    match which {
        EntitlementSelection::Payable => {
            Expr::col(("en", "status")).eq(EntitlementStatus::Payable.label())
        }
        EntitlementSelection::Gaps => Expr::col(("en", "status"))
            .eq(EntitlementStatus::Blocked.label())
            .and(Expr::col(("en", "gap")).eq(true)),
    }
}

/// `entitlements AS en` of a term within a scope.
pub(crate) fn entitlements_in_scope(
    term: &Term,
    scope: &Scope,
) -> Result<SelectStatement, StoreError> {
    scope.check()?;
    let mut q = Query::select();
    q.from_as("entitlements", "en")
        .and_where(Expr::col(("en", "term")).eq(term.code()))
        .and_where_option(scope_condition(scope));
    Ok(q)
}

fn select_entitlement_cols(q: &mut SelectStatement) {
    for c in ENTITLEMENTS.cols {
        q.expr_as(Expr::col(("en", c.name)), Alias::new(c.name));
    }
}

fn text_or_empty(row: &DbRow, column: &str) -> Result<String, StoreError> {
    Ok(match row.cell(column, Kind::Text)? {
        Cell::Text(s) => s,
        _ => String::new(),
    })
}

/// The base of the PostgreSQL advisory lock keys that serialise stored
/// runs of one term (the term is added to it).
const RUN_LOCK_BASE: i64 = 0x7a69_7a68_7500_1000;

impl WriteTx {
    /// Locks the term's ledger for the rest of this transaction and returns
    /// the id of its latest stored run. A run computed against an older
    /// run must not be stored over a newer one; the caller compares.
    ///
    /// SQLite write transactions already hold the database's write lock
    /// (`BEGIN IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory
    /// lock for the term.
    pub async fn lock_entitlement_term(&mut self, term: &Term) -> Result<Option<i64>, StoreError> {
        if matches!(self.conn(), crate::db::Conn::Postgres(_)) {
            let season = i64::from(term.season() == zizhu_core::Season::Autumn);
            let key = RUN_LOCK_BASE + i64::from(term.year()) * 2 + season;
            let lock = Query::select()
                .expr(sea_query::PgFunc::advisory_xact_lock(Expr::val(key)))
                .to_owned();
            self.conn().fetch_all(&lock, "锁定本学期资助名单").await?;
        }
        let q = Query::select()
            .expr_as(Func::max(Expr::col("id")), "id")
            .from(ENTITLEMENT_RUNS.name)
            .and_where(Expr::col("term").eq(term.code()))
            .to_owned();
        let row = self
            .conn()
            .fetch_optional(&q, "读取最近一次资助计算")
            .await?;
        Ok(match row {
            Some(r) => match r.cell("id", Kind::Int)? {
                Cell::Int(i) => Some(i),
                _ => None,
            },
            None => None,
        })
    }

    /// Records a run, audited, with the transaction's actor; returns its id.
    pub async fn record_entitlement_run(
        &mut self,
        run: &NewEntitlementRun,
    ) -> Result<i64, StoreError> {
        let c = &run.counts;
        let actor = self.context().actor.clone();
        let cells = [
            ("term", Cell::text(run.term.code())),
            ("policy_file", Cell::text(&run.policy_file)),
            ("policy_title", Cell::text(&run.policy_title)),
            ("policy_fingerprint", Cell::text(&run.policy_fingerprint)),
            ("actor", Cell::Text(actor)),
            ("started_at", Cell::text(&run.started_at)),
            ("finished_at", Cell::text(now_utc())),
            ("students", Cell::Int(c.students)),
            ("entitlements", Cell::Int(c.entitlements)),
            ("payable", Cell::Int(c.payable)),
            ("payable_fen", Cell::Int(c.payable_amount.0)),
            ("gaps", Cell::Int(c.gaps)),
            ("gap_fen", Cell::Int(c.gap_amount.0)),
            ("added", Cell::Int(c.added)),
            ("changed", Cell::Int(c.changed)),
            ("removed", Cell::Int(c.removed)),
        ];
        let row = self
            .insert_row(&ENTITLEMENT_RUNS, &cells, None, None)
            .await?;
        row.int("id")
    }

    /// Writes a person's entitlement to a policy in a term, keyed by the
    /// three, audited. A row that already holds these values is left alone
    /// (its run stays the run that last changed it) and nothing is audited.
    pub async fn put_entitlement(
        &mut self,
        run_id: i64,
        entitlement: &EntitlementRecord,
    ) -> Result<Upserted, StoreError> {
        let key = [
            ("term", Cell::text(entitlement.term.code())),
            ("person_id", Cell::Int(entitlement.person_id)),
            ("policy_code", Cell::text(&entitlement.policy_code)),
        ];
        let mut cells = entitlement_cells(entitlement);
        // The reason a row last changed is not itself a change: comparing
        // with it would turn an unchanged row into an audited update.
        let mut bookkeeping: Vec<_> = cells
            .iter()
            .filter(|(c, _)| *c == "change_reason")
            .cloned()
            .collect();
        cells.retain(|(c, _)| *c != "change_reason");
        bookkeeping.push(("run_id", Cell::Int(run_id)));
        let existing = self.find_one(&ENTITLEMENTS, &key).await?;
        self.put_tracked(&ENTITLEMENTS, existing, cells, &bookkeeping)
            .await
    }

    /// Marks an entitlement 已取消 with the reason, audited; returns
    /// whether it changed (a row already revoked is left alone).
    pub async fn revoke_entitlement(
        &mut self,
        run_id: i64,
        entitlement_id: i64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let before = self
            .require(&ENTITLEMENTS, "资助记录", entitlement_id)
            .await?;
        if before.text("status")? == EntitlementStatus::Revoked.label() {
            return Ok(false);
        }
        let changes = [
            ("status", status_cell(EntitlementStatus::Revoked)),
            ("gap", Cell::Bool(false)),
            ("cause", Cell::Null),
            ("cause_kind", Cell::Null),
            ("change_reason", Cell::text(reason)),
            ("run_id", Cell::Int(run_id)),
        ];
        Ok(self
            .update_row(&before, &changes, None, None)
            .await?
            .is_some())
    }

    /// Stores the facts of students for a term as used by `run_id`,
    /// replacing earlier snapshots of the same students. Not audited (see
    /// the module comment).
    pub async fn put_entitlement_facts(
        &mut self,
        term: &Term,
        run_id: i64,
        facts: &[(i64, String)],
    ) -> Result<(), StoreError> {
        // Four parameters per row; 200 rows stay far below both backends'
        // limits on bound parameters.
        for chunk in facts.chunks(200) {
            let mut q = Query::insert();
            q.into_table(ENTITLEMENT_FACTS.name)
                .columns(["term", "person_id", "run_id", "facts"]);
            for (person_id, text) in chunk {
                q.values([
                    Expr::val(term.code()),
                    Expr::val(*person_id),
                    Expr::val(run_id),
                    Expr::val(text.as_str()),
                ])
                .map_err(|e| StoreError::Invalid {
                    detail: e.to_string(),
                })?;
            }
            q.on_conflict(
                OnConflict::columns(["term", "person_id"])
                    .update_columns(["run_id", "facts"])
                    .to_owned(),
            );
            self.conn().execute(&q, "保存计算所用事实").await?;
        }
        Ok(())
    }

    /// Removes the facts snapshots of students no longer in a term's
    /// computation.
    pub async fn delete_entitlement_facts(
        &mut self,
        term: &Term,
        person_ids: &[i64],
    ) -> Result<(), StoreError> {
        for chunk in person_ids.chunks(500) {
            let mut q = Query::delete();
            q.from_table(ENTITLEMENT_FACTS.name)
                .and_where(Expr::col("term").eq(term.code()))
                .and_where(Expr::col("person_id").is_in(chunk.iter().copied()));
            self.conn().execute(&q, "删除计算所用事实").await?;
        }
        Ok(())
    }
}

impl Store {
    /// The latest stored run of a term.
    pub async fn latest_entitlement_run(
        &self,
        term: &Term,
    ) -> Result<Option<EntitlementRun>, StoreError> {
        Ok(self.entitlement_runs(term, 1).await?.into_iter().next())
    }

    /// Stored runs of a term, newest first, at most `limit`.
    pub async fn entitlement_runs(
        &self,
        term: &Term,
        limit: u64,
    ) -> Result<Vec<EntitlementRun>, StoreError> {
        let mut q = select_all(&ENTITLEMENT_RUNS);
        q.and_where(Expr::col("term").eq(term.code()))
            .order_by("id", Order::Desc)
            .limit(limit);
        self.read_snapshots(&ENTITLEMENT_RUNS, &q, "查询资助计算记录")
            .await?
            .iter()
            .map(run_from)
            .collect()
    }

    /// A term's entitlement rows within the scope (revoked ones included),
    /// in id order: at most `limit` with an id above `after`.
    pub async fn entitlements(
        &self,
        term: &Term,
        scope: &Scope,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredEntitlement>, StoreError> {
        let mut q = entitlements_in_scope(term, scope)?;
        select_entitlement_cols(&mut q);
        q.and_where(Expr::col(("en", "id")).gt(after))
            .order_by(("en", "id"), Order::Asc)
            .limit(limit);
        self.read_snapshots(&ENTITLEMENTS, &q, "查询资助名单")
            .await?
            .iter()
            .map(entitlement_from)
            .collect()
    }

    /// How many entitlement rows of a term the scope holds (revoked included).
    pub async fn count_entitlements(&self, term: &Term, scope: &Scope) -> Result<i64, StoreError> {
        let mut q = entitlements_in_scope(term, scope)?;
        q.expr_as(Func::count(Expr::col(("en", "id"))), "n");
        self.count(&q, "统计资助记录数").await
    }

    /// One person's entitlement rows in a term, in policy file order. The
    /// caller has found the person within its scope.
    pub async fn person_entitlements(
        &self,
        person_id: i64,
        term: &Term,
    ) -> Result<Vec<StoredEntitlement>, StoreError> {
        let mut q = select_all(&ENTITLEMENTS);
        q.and_where(Expr::col("person_id").eq(person_id))
            .and_where(Expr::col("term").eq(term.code()))
            .order_by("policy_order", Order::Asc)
            .order_by("id", Order::Asc);
        self.read_snapshots(&ENTITLEMENTS, &q, "查询个人资助记录")
            .await?
            .iter()
            .map(entitlement_from)
            .collect()
    }

    /// The facts snapshots of a term, in id order, one page at a time: the
    /// county computation's own input, so not narrowed by a scope.
    pub async fn entitlement_facts(
        &self,
        term: &Term,
        after: i64,
        limit: u64,
    ) -> Result<Vec<FactSnapshot>, StoreError> {
        let mut q = select_all(&ENTITLEMENT_FACTS);
        q.and_where(Expr::col("term").eq(term.code()))
            .and_where(Expr::col("id").gt(after))
            .order_by("id", Order::Asc)
            .limit(limit);
        self.read_snapshots(&ENTITLEMENT_FACTS, &q, "读取计算所用事实")
            .await?
            .iter()
            .map(|s| {
                Ok(FactSnapshot {
                    id: s.int("id")?,
                    person_id: s.int("person_id")?,
                    run_id: s.int("run_id")?,
                    facts: s.text("facts")?,
                })
            })
            .collect()
    }

    /// The coverage gaps of a term within the scope, by township, school
    /// and person, with the student's name and ID number and the school's
    /// name.
    pub async fn entitlement_gaps(
        &self,
        term: &Term,
        scope: &Scope,
    ) -> Result<Vec<EntitlementGap>, StoreError> {
        let mut q = entitlements_in_scope(term, scope)?;
        q.and_where(selection_condition(EntitlementSelection::Gaps))
            .join_as(
                JoinType::InnerJoin,
                "persons",
                "p",
                Expr::col(("p", "id")).equals(("en", "person_id")),
            )
            .join_as(
                JoinType::LeftJoin,
                "schools",
                "s",
                Expr::col(("s", "code")).equals(("en", "school_code")),
            );
        select_entitlement_cols(&mut q);
        q.expr_as(Expr::col(("p", "name")), "p_name")
            .expr_as(Expr::col(("p", "id_number")), "p_id_number")
            .expr_as(Expr::col(("s", "name")), "s_name")
            .order_by(("en", "township_code"), Order::Asc)
            .order_by(("en", "school_code"), Order::Asc)
            .order_by(("en", "person_id"), Order::Asc)
            .order_by(("en", "policy_order"), Order::Asc);
        let rows = self.read_all(&q, "查询应享未享名单").await?;
        rows.iter()
            .map(|r| {
                let s = Snapshot::from_row(&ENTITLEMENTS, r, "")?;
                let opt = |c: &str| -> Result<Option<String>, StoreError> {
                    Ok(match r.cell(c, Kind::Text)? {
                        Cell::Text(t) => Some(t),
                        _ => None,
                    })
                };
                Ok(EntitlementGap {
                    entitlement: entitlement_from(&s)?,
                    name: text_or_empty(r, "p_name")?,
                    id_number: opt("p_id_number")?,
                    school_name: opt("s_name")?,
                })
            })
            .collect()
    }
}

/// Migration 3: the entitlement ledger and the schools' aid profiles.
pub(crate) fn m0003_entitlements() -> Vec<Ddl> {
    let mut out = vec![
        Ddl::Table(
            Table::create()
                .table("entitlement_runs")
                .col(id())
                .col(text("term"))
                .col(text("policy_file"))
                .col(text("policy_title"))
                .col(text("policy_fingerprint"))
                .col(text("actor"))
                .col(text("started_at"))
                .col(text("finished_at"))
                .col(int("students"))
                .col(int("entitlements"))
                .col(int("payable"))
                .col(int("payable_fen"))
                .col(int("gaps"))
                .col(int("gap_fen"))
                .col(int("added"))
                .col(int("changed"))
                .col(int("removed"))
                .to_owned(),
        ),
        index(
            "idx_entitlement_runs_term",
            "entitlement_runs",
            &["term", "id"],
        ),
        // No foreign key to persons: rolling back the import that created a
        // person must not be blocked by the ledger, which keeps what was
        // computed (the audit log keeps who the person was).
        Ddl::Table(
            Table::create()
                .table("entitlements")
                .col(id())
                .col(int("run_id"))
                .col(int("person_id"))
                .col(text("term"))
                .col(text("policy_code"))
                .col(text("policy_name"))
                .col(int("policy_order"))
                .col(text("category"))
                .col(int("amount_fen"))
                .col(text("payment_mode"))
                .col(text("status"))
                .col(text_null("cause"))
                .col(text_null("cause_kind"))
                .col(
                    ColumnDef::new("gap")
                        .boolean()
                        .not_null()
                        .default(false)
                        .to_owned(),
                )
                .col(int("funding_central_fen"))
                .col(int("funding_province_fen"))
                .col(int("funding_city_fen"))
                .col(int("funding_county_fen"))
                .col(int("funding_other_fen"))
                .col(text_null("school_code"))
                .col(text_null("township_code"))
                .col(text_null("class_name"))
                .col(
                    ColumnDef::new("out_of_county")
                        .boolean()
                        .not_null()
                        .default(false)
                        .to_owned(),
                )
                .col(text("trace"))
                .col(text_null("change_reason"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_entitlements_run")
                        .from("entitlements", "run_id")
                        .to("entitlement_runs", "id"),
                )
                .to_owned(),
        ),
        unique_index(
            "ux_entitlements_term_person_policy",
            "entitlements",
            &["term", "person_id", "policy_code"],
        ),
        index(
            "idx_entitlements_term_school",
            "entitlements",
            &["term", "school_code", "status"],
        ),
        index(
            "idx_entitlements_term_township",
            "entitlements",
            &["term", "township_code", "status"],
        ),
        index("idx_entitlements_person", "entitlements", &["person_id"]),
        Ddl::Table(
            Table::create()
                .table("entitlement_facts")
                .col(id())
                .col(text("term"))
                .col(int("person_id"))
                .col(int("run_id"))
                .col(text("facts"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_entitlement_facts_run")
                        .from("entitlement_facts", "run_id")
                        .to("entitlement_runs", "id"),
                )
                .to_owned(),
        ),
        unique_index(
            "ux_entitlement_facts_term_person",
            "entitlement_facts",
            &["term", "person_id"],
        ),
    ];
    out.extend(crate::aid::profile_ddl());
    out
}

/// Migration 4: indexes for keyset paging by id within a term. The
/// computation reads the term's enrollments, the ledger and the facts
/// snapshot page by page; without these SQLite answers each page by
/// sorting the whole term, which makes a county's read quadratic.
pub(crate) fn m0004_entitlement_paging() -> Vec<Ddl> {
    vec![
        index("idx_enrollments_term_id", "enrollments", &["term", "id"]),
        index("idx_entitlements_term_id", "entitlements", &["term", "id"]),
        index(
            "idx_entitlement_facts_term_id",
            "entitlement_facts",
            &["term", "id"],
        ),
    ]
}

fn id() -> ColumnDef {
    ColumnDef::new("id")
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}

fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
}

fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str]) -> Ddl {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    Ddl::Index(i.to_owned())
}

fn unique_index(name: &'static str, table: &'static str, cols: &[&'static str]) -> Ddl {
    let mut i = Index::create();
    i.name(name).table(table).unique();
    for c in cols {
        i.col(*c);
    }
    Ddl::Index(i.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Pool;
    use sqlx::{Column, Executor, SqlSafeStr, Statement, TypeInfo};

    /// The audited write path snapshots rows by `TableDef`, so the
    /// definitions here must list exactly the columns the migration creates.
    #[tokio::test]
    async fn table_defs_match_the_migrated_tables() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        let Pool::Sqlite(pool) = store.pool() else {
            unreachable!("in-memory store is SQLite")
        };
        for table in [
            &ENTITLEMENT_RUNS,
            &ENTITLEMENTS,
            &ENTITLEMENT_FACTS,
            &crate::aid::SCHOOL_AID_PROFILES,
        ] {
            let sql = format!("SELECT * FROM {}", table.name);
            let described = pool
                .prepare(sqlx::AssertSqlSafe(sql).into_sql_str())
                .await
                .expect("prepare");
            let actual: Vec<(String, String)> = described
                .columns()
                .iter()
                .map(|c| (c.name().to_string(), c.type_info().name().to_string()))
                .collect();
            let expected: Vec<(String, String)> = table
                .cols
                .iter()
                .map(|c| {
                    let ty = match c.kind {
                        Kind::Int => "INTEGER",
                        Kind::Text => "TEXT",
                        Kind::Bool => "BOOLEAN",
                    };
                    (c.name.to_string(), ty.to_string())
                })
                .collect();
            assert_eq!(actual, expected, "table {}", table.name);
        }
    }
}
