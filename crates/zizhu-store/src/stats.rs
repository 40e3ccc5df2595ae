//! Figures kept in memory between registry changes: the terms, the school
//! directory, and per term a tally of the students and of the entitlement
//! ledger from which any list count, dashboard figure or chart of a scope
//! is summed.
//!
//! Counting a county's million enrollments for every page view takes
//! seconds; the tallies hold a few thousand groups (school, stage, grade,
//! status, flags and household hardship; school, policy, status and cause
//! for the ledger), so a count of any filter the list offers except the
//! search box is a sum over them.
//!
//! **When they are rebuilt.** `registry_version` holds a counter that
//! [`crate::WriteTx::commit`] raises in the same transaction as every
//! change, whoever writes: the web application, a CLI import in another
//! process, a rollback or an entitlement run. Each cached read first reads
//! the counter (one indexed row), or takes the value a [`Store::pinned`]
//! handle read once for a whole page; when it moved, everything cached is
//! dropped and rebuilt on first use. A tally is built after the counter was
//! read, so it is never older than the counter it is filed under. Builds of
//! one key run once however many requests wait for them.
//!
//! **Scopes.** The county tally carries the school and township of every
//! group, so the county, a township and a school sum their part of it (the
//! same rule as [`Scope`]'s SQL condition: a township's students are those
//! of its schools; the ledger's rows carry the school and township they
//! were computed with). A class teacher's classes are tallied with the
//! scope's own SQL condition, since classes are not in the county tally.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use sea_query::{Expr, ExprTrait, Func, JoinType, Query};
use tokio::sync::OnceCell;
use zizhu_core::{Fen, Term};

use crate::db::{Cell, Conn, DbRow, Kind};
use crate::entitlements::{
    EntitlementGroup, EntitlementSelection, EntitlementStatus, EntitlementTotal,
};
use crate::error::StoreError;
use crate::read::{PovertyFilter, Scope, StudentFilter, StudentGroup};
use crate::records::{EnrollmentStatus, PovertyStatus, School};
use crate::store::Store;

/// Raises the registry change counter; called by every write transaction
/// just before it commits.
pub(crate) async fn bump_version(conn: &mut Conn<'_>) -> Result<(), StoreError> {
    let q = Query::update()
        .table("registry_version")
        .value("version", Expr::col("version").add(1_i64))
        .and_where(Expr::col("id").eq(1_i64))
        .to_owned();
    conn.execute(&q, "更新登记信息变更计数").await?;
    Ok(())
}

/// One group of a term's enrollments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StudentTally {
    school_code: Option<String>,
    township_code: Option<String>,
    stage: String,
    grade: i64,
    status: String,
    boarding: bool,
    out_of_county: bool,
    /// The household's 贫困状态 label; `None` without a household.
    poverty: Option<String>,
    dibao: bool,
    tekun: bool,
    n: i64,
}

impl StudentTally {
    fn in_scope(&self, scope: &Scope) -> bool {
        match scope {
            Scope::All | Scope::Classes { .. } => true,
            Scope::Township(t) => self.township_code.as_deref() == Some(t.as_str()),
            Scope::School(c) => self.school_code.as_deref() == Some(c.as_str()),
        }
    }

    /// Whether the group passes `filter`, which has no search.
    fn matches(&self, f: &StudentFilter) -> bool {
        let poverty_ok = |p: PovertyFilter| {
            let Some(status) = self.poverty.as_deref() else {
                return false;
            };
            match p {
                PovertyFilter::Registered => {
                    status == PovertyStatus::NotLifted.label()
                        || status == PovertyStatus::Lifted.label()
                }
                PovertyFilter::NotLifted => status == PovertyStatus::NotLifted.label(),
                PovertyFilter::Lifted => status == PovertyStatus::Lifted.label(),
                PovertyFilter::Marginal => status == PovertyStatus::Marginal.label(),
                PovertyFilter::Dibao => self.dibao,
                PovertyFilter::Tekun => self.tekun,
            }
        };
        f.school_code
            .as_ref()
            .is_none_or(|c| self.school_code.as_deref() == Some(c.as_str()))
            && f.township_code
                .as_ref()
                .is_none_or(|t| self.township_code.as_deref() == Some(t.as_str()))
            && f.stage.is_none_or(|s| self.stage == s.label())
            && f.status.is_none_or(|s| self.status == s.label())
            && f.grade.is_none_or(|g| self.grade == i64::from(g))
            && f.boarding.is_none_or(|b| self.boarding == b)
            && f.out_of_county.is_none_or(|o| self.out_of_county == o)
            && f.poverty.is_none_or(poverty_ok)
    }
}

/// A term's student tally, its groups ordered by township and school,
/// with where each township's and each school's groups lie, so that a sum
/// over a township or a school looks at its own groups only (a county has
/// some twenty thousand).
pub(crate) struct StudentTallies {
    groups: Vec<StudentTally>,
    townships: HashMap<String, std::ops::Range<usize>>,
    schools: HashMap<String, std::ops::Range<usize>>,
}

impl StudentTallies {
    fn new(mut groups: Vec<StudentTally>) -> StudentTallies {
        groups.sort_by(|a, b| {
            (&a.township_code, &a.school_code).cmp(&(&b.township_code, &b.school_code))
        });
        let mut townships: HashMap<String, std::ops::Range<usize>> = HashMap::new();
        let mut schools: HashMap<String, std::ops::Range<usize>> = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            if let Some(t) = &g.township_code {
                townships.entry(t.clone()).or_insert(i..i).end = i + 1;
            }
            if let Some(c) = &g.school_code {
                schools.entry(c.clone()).or_insert(i..i).end = i + 1;
            }
        }
        StudentTallies {
            groups,
            townships,
            schools,
        }
    }

    /// The groups that can be in `scope` and pass `filter`: a school's or
    /// a township's own when either narrows, else all. Callers still test
    /// every group with [`StudentTally::in_scope`] and
    /// [`StudentTally::matches`].
    fn candidates(&self, scope: &Scope, filter: &StudentFilter) -> &[StudentTally] {
        let school = match scope {
            Scope::School(c) => Some(c.as_str()),
            _ => filter.school_code.as_ref().map(|c| c.as_str()),
        };
        let township = match scope {
            Scope::Township(t) => Some(t.as_str()),
            _ => filter.township_code.as_deref(),
        };
        let range = match (school, township) {
            (Some(c), _) => self.schools.get(c),
            (None, Some(t)) => self.townships.get(t),
            (None, None) => return &self.groups,
        };
        match range {
            Some(r) => &self.groups[r.clone()],
            None => &[],
        }
    }

    /// The groups in `scope` that pass `filter`.
    fn matching<'a>(
        &'a self,
        scope: &'a Scope,
        filter: &'a StudentFilter,
    ) -> impl Iterator<Item = &'a StudentTally> + 'a {
        self.candidates(scope, filter)
            .iter()
            .filter(move |t| t.in_scope(scope) && t.matches(filter))
    }
}

/// A term's student figures for one scope, summed in one pass over the
/// tally and kept between registry changes: what a dashboard shows. Each
/// figure equals [`Store::count_students`] (or [`Store::student_counts`])
/// of the same scope with the filter named on it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StudentSummary {
    /// Every enrollment (the default filter).
    pub total: i64,
    /// 建档立卡 students ([`PovertyFilter::Registered`]).
    pub registered: i64,
    /// 学籍状态 辍学.
    pub dropped_out: i64,
    /// 学籍状态 休学.
    pub suspended: i64,
    /// Boarders.
    pub boarding: i64,
    /// Studying outside the county.
    pub out_of_county: i64,
    /// Per stage label, in key order.
    pub by_stage: Vec<(String, i64)>,
    /// 建档立卡 students per stage label, in key order.
    pub registered_by_stage: Vec<(String, i64)>,
    /// Per township code, in key order (no township is the empty key).
    pub by_township: Vec<(String, i64)>,
    /// Per school code, in key order (no school is the empty key).
    pub by_school: Vec<(String, i64)>,
    /// Per 学籍状态 label, in key order.
    pub by_status: Vec<(String, i64)>,
}

impl StudentSummary {
    fn of(tally: &StudentTallies, scope: &Scope) -> StudentSummary {
        let everyone = StudentFilter::default();
        let registered_filter = StudentFilter {
            poverty: Some(PovertyFilter::Registered),
            ..Default::default()
        };
        let dropped = EnrollmentStatus::DroppedOut.label();
        let suspended = EnrollmentStatus::Suspended.label();
        let mut sum = StudentSummary::default();
        let mut by_stage: HashMap<&str, i64> = HashMap::new();
        let mut registered_by_stage: HashMap<&str, i64> = HashMap::new();
        let mut by_township: HashMap<&str, i64> = HashMap::new();
        let mut by_school: HashMap<&str, i64> = HashMap::new();
        let mut by_status: HashMap<&str, i64> = HashMap::new();
        for t in tally.matching(scope, &everyone) {
            sum.total += t.n;
            if t.matches(&registered_filter) {
                sum.registered += t.n;
                *registered_by_stage.entry(&t.stage).or_default() += t.n;
            }
            if t.status == dropped {
                sum.dropped_out += t.n;
            }
            if t.status == suspended {
                sum.suspended += t.n;
            }
            if t.boarding {
                sum.boarding += t.n;
            }
            if t.out_of_county {
                sum.out_of_county += t.n;
            }
            *by_stage.entry(&t.stage).or_default() += t.n;
            *by_township
                .entry(t.township_code.as_deref().unwrap_or(""))
                .or_default() += t.n;
            *by_school
                .entry(t.school_code.as_deref().unwrap_or(""))
                .or_default() += t.n;
            *by_status.entry(&t.status).or_default() += t.n;
        }
        sum.by_stage = sorted(by_stage);
        sum.registered_by_stage = sorted(registered_by_stage);
        sum.by_township = sorted(by_township);
        sum.by_school = sorted(by_school);
        sum.by_status = sorted(by_status);
        sum
    }
}

/// Grouped counts in key order, owning their keys.
fn sorted(groups: HashMap<&str, i64>) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = groups.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One group of a term's entitlement ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EntitlementTally {
    school_code: String,
    township_code: String,
    policy_code: String,
    policy_name: String,
    policy_order: i64,
    category: String,
    status: String,
    gap: bool,
    cause_kind: String,
    n: i64,
    amount: i64,
}

impl EntitlementTally {
    fn in_scope(&self, scope: &Scope) -> bool {
        match scope {
            Scope::All | Scope::Classes { .. } => true,
            Scope::Township(t) => &self.township_code == t,
            Scope::School(c) => &self.school_code == c,
        }
    }

    fn selected(&self, which: EntitlementSelection) -> bool {
        match which {
            EntitlementSelection::Payable => self.status == EntitlementStatus::Payable.label(),
            EntitlementSelection::Gaps => {
                self.status == EntitlementStatus::Blocked.label() && self.gap
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Terms,
    Schools,
    SchoolNames,
    TownshipNames,
    /// A term's student tally: the county's (`Scope::All`) or a class
    /// teacher's.
    Students(String, Scope),
    Entitlements(String, Scope),
    Households(Scope),
    /// A term's [`StudentSummary`] of one scope.
    Summary(String, Scope),
    /// How many open exceptions of a kind a term has in a scope.
    Exceptions(String, Scope, &'static str),
    /// A term's students of a scope passing a filter (without a search,
    /// written out with `Debug`), per school.
    SchoolCounts(String, Scope, String),
    /// A term's [`Store::entitlement_totals`] of a scope.
    EntitlementTotals(String, Scope, EntitlementSelection, EntitlementGroup),
    /// A term's latest entitlement run.
    LatestRun(String),
}

/// Entries beyond which the per-filter counts are dropped (they are rebuilt
/// on demand): every distinct list filter adds one between registry
/// changes.
const MAX_ENTRIES: usize = 4096;

#[derive(Clone)]
enum Value {
    Terms(Arc<Vec<Term>>),
    Schools(Arc<Vec<School>>),
    SchoolNames(Arc<HashMap<String, String>>),
    Students(Arc<StudentTallies>),
    Entitlements(Arc<Vec<EntitlementTally>>),
    Summary(Arc<StudentSummary>),
    SchoolCounts(Arc<SchoolCounts>),
    Totals(Arc<Vec<EntitlementTotal>>),
    Run(Option<Arc<crate::EntitlementRun>>),
    Count(i64),
}

/// A term's students of a scope passing a filter, per school in code order.
#[derive(Debug, Default)]
pub(crate) struct SchoolCounts {
    total: i64,
    schools: Vec<(String, u64)>,
    /// Whether some of them have no school.
    without_school: bool,
}

#[derive(Default)]
struct State {
    version: i64,
    entries: HashMap<Key, Arc<OnceCell<Value>>>,
}

/// The cache a [`Store`] and its clones share.
#[derive(Default)]
pub(crate) struct Figures {
    state: Mutex<State>,
}

impl fmt::Debug for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Figures")
            .field("version", &state.version)
            .field("entries", &state.entries.len())
            .finish()
    }
}

impl Figures {
    /// The cell for `key` at `version`, dropping everything older.
    fn cell(&self, version: i64, key: Key) -> Arc<OnceCell<Value>> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if version > state.version {
            state.entries.clear();
            state.version = version;
        }
        if state.entries.len() >= MAX_ENTRIES {
            state
                .entries
                .retain(|k, _| !matches!(k, Key::SchoolCounts(..)));
        }
        state.entries.entry(key).or_default().clone()
    }
}

fn opt_text(row: &DbRow, column: &str) -> Result<Option<String>, StoreError> {
    Ok(match row.cell(column, Kind::Text)? {
        Cell::Text(s) => Some(s),
        _ => None,
    })
}

fn flag(row: &DbRow, column: &str) -> Result<bool, StoreError> {
    Ok(match row.cell(column, Kind::Bool)? {
        Cell::Bool(b) => b,
        Cell::Int(i) => i != 0,
        _ => false,
    })
}

/// The tally's key for the [`StudentGroup`], empty when unknown.
fn student_key(t: &StudentTally, by: StudentGroup) -> &str {
    match by {
        StudentGroup::Stage => &t.stage,
        StudentGroup::Township => t.township_code.as_deref().unwrap_or(""),
        StudentGroup::School => t.school_code.as_deref().unwrap_or(""),
        StudentGroup::Status => &t.status,
    }
}

/// The tally key of a scope: class teachers have their own tally, everyone
/// else sums the county's.
fn tally_scope(scope: &Scope) -> Scope {
    match scope {
        Scope::Classes { .. } => scope.clone(),
        _ => Scope::All,
    }
}

impl Store {
    /// The registry change counter: it moves whenever a write transaction
    /// commits, so equal values mean an unchanged registry.
    pub async fn registry_version(&self) -> Result<i64, StoreError> {
        let q = Query::select()
            .column("version")
            .from("registry_version")
            .and_where(Expr::col("id").eq(1_i64))
            .to_owned();
        match self.read_all(&q, "读取登记信息变更计数").await?.first() {
            Some(r) => r.int("version"),
            None => Ok(0),
        }
    }

    /// The cached value of `key`, built by `build` when the registry has
    /// changed since it was last built.
    async fn cached<F, Fut>(&self, key: Key, build: F) -> Result<Value, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Value, StoreError>>,
    {
        let version = match self.pinned_version() {
            Some(v) => v,
            None => self.registry_version().await?,
        };
        let cell = self.figures().cell(version, key);
        cell.get_or_try_init(build).await.cloned()
    }

    /// Every term that has enrollments, newest first. Term codes (`2018秋`,
    /// `2019春`) sort in time order as text, so the database can order them.
    /// Kept between registry changes: every page lists them.
    pub async fn terms(&self) -> Result<Vec<Term>, StoreError> {
        match self
            .cached(Key::Terms, || async {
                Ok(Value::Terms(Arc::new(self.terms_uncached().await?)))
            })
            .await?
        {
            Value::Terms(t) => Ok(t.as_ref().clone()),
            _ => Err(wrong_entry()),
        }
    }

    /// School names by code for every school, kept between registry
    /// changes and shared, not copied: pages name the schools of the rows
    /// they show. The directory is not personal data, so a name outside the
    /// caller's area (a transfer in a student's history) is given too.
    pub async fn school_names(&self) -> Result<Arc<HashMap<String, String>>, StoreError> {
        match self
            .cached(Key::SchoolNames, || async {
                let names = self
                    .all_schools()
                    .await?
                    .iter()
                    .map(|s| (s.record.code.as_str().to_owned(), s.record.name.clone()))
                    .collect();
                Ok(Value::SchoolNames(Arc::new(names)))
            })
            .await?
        {
            Value::SchoolNames(n) => Ok(n),
            _ => Err(wrong_entry()),
        }
    }

    /// Names of the townships of the school directory by 9-digit code, as
    /// [`Store::region_names`] gives them (a township without a row in the
    /// region list is left out), kept between registry changes and shared:
    /// every list page offers them as a filter menu.
    pub async fn township_names(&self) -> Result<Arc<HashMap<String, String>>, StoreError> {
        match self
            .cached(Key::TownshipNames, || async {
                let directory = self.all_schools().await?;
                let codes: std::collections::BTreeSet<&str> = directory
                    .iter()
                    .filter_map(|s| s.township_code.as_deref())
                    .collect();
                let codes: Vec<&str> = codes.into_iter().collect();
                Ok(Value::SchoolNames(Arc::new(
                    self.region_names(&codes).await?,
                )))
            })
            .await?
        {
            Value::SchoolNames(n) => Ok(n),
            _ => Err(wrong_entry()),
        }
    }

    /// Every school, by township and code, kept between registry changes
    /// and shared, not copied; [`School::in_scope`] picks a scope's.
    pub async fn all_schools(&self) -> Result<Arc<Vec<School>>, StoreError> {
        match self
            .cached(Key::Schools, || async {
                Ok(Value::Schools(Arc::new(
                    self.list_schools_uncached(&Scope::All).await?,
                )))
            })
            .await?
        {
            Value::Schools(s) => Ok(s),
            _ => Err(wrong_entry()),
        }
    }

    async fn student_tally(
        &self,
        term: &Term,
        scope: &Scope,
    ) -> Result<Arc<StudentTallies>, StoreError> {
        scope.check()?;
        let key_scope = tally_scope(scope);
        let key = Key::Students(term.code(), key_scope.clone());
        match self
            .cached(key, || async {
                Ok(Value::Students(Arc::new(StudentTallies::new(
                    self.build_student_tally(term, &key_scope).await?,
                ))))
            })
            .await?
        {
            Value::Students(t) => Ok(t),
            _ => Err(wrong_entry()),
        }
    }

    async fn entitlement_tally(
        &self,
        term: &Term,
        scope: &Scope,
    ) -> Result<Arc<Vec<EntitlementTally>>, StoreError> {
        scope.check()?;
        let key_scope = tally_scope(scope);
        let key = Key::Entitlements(term.code(), key_scope.clone());
        match self
            .cached(key, || async {
                Ok(Value::Entitlements(Arc::new(
                    self.build_entitlement_tally(term, &key_scope).await?,
                )))
            })
            .await?
        {
            Value::Entitlements(t) => Ok(t),
            _ => Err(wrong_entry()),
        }
    }

    /// How many households the scope covers (as
    /// [`Store::count_households_in`] without a filter), kept between
    /// registry changes.
    pub async fn count_households_cached(&self, scope: &Scope) -> Result<i64, StoreError> {
        scope.check()?;
        let key = Key::Households(scope.clone());
        match self
            .cached(key, || async {
                Ok(Value::Count(
                    self.count_households_in(scope, &crate::HouseholdFilter::default())
                        .await?,
                ))
            })
            .await?
        {
            Value::Count(n) => Ok(n),
            _ => Err(wrong_entry()),
        }
    }

    /// Builds what the dashboard of the latest term needs for every scope
    /// but a class teacher's, unless it is already built for the current
    /// registry: a server calls this at start and then now and again, so
    /// that after an import the first visitor does not wait for the sums.
    pub async fn warm_figures(&self) -> Result<(), StoreError> {
        self.all_schools().await?;
        if let Some(term) = self.terms().await?.first() {
            self.student_summary(term, &Scope::All).await?;
            self.entitlement_tally(term, &Scope::All).await?;
            self.latest_entitlement_run_cached(term).await?;
            self.count_households_cached(&Scope::All).await?;
        }
        Ok(())
    }

    /// Groups of a term's enrollments: county-wide for `Scope::All`, or
    /// within a class teacher's classes.
    async fn build_student_tally(
        &self,
        term: &Term,
        scope: &Scope,
    ) -> Result<Vec<StudentTally>, StoreError> {
        let started = std::time::Instant::now();
        let mut q = Query::select();
        q.from_as("enrollments", "e")
            .join_as(
                JoinType::LeftJoin,
                "schools",
                "s",
                Expr::col(("s", "code")).equals(("e", "school_code")),
            )
            .join_as(
                JoinType::InnerJoin,
                "persons",
                "p",
                Expr::col(("p", "id")).equals(("e", "person_id")),
            )
            .join_as(
                JoinType::LeftJoin,
                "households",
                "h",
                Expr::col(("h", "id")).equals(("p", "household_id")),
            )
            .and_where(Expr::col(("e", "term")).eq(term.code()))
            .and_where_option(scope.condition());
        let cols: [(&str, &str, &str); 10] = [
            ("e", "school_code", "school_code"),
            ("s", "township_code", "township_code"),
            ("e", "stage", "stage"),
            ("e", "grade", "grade"),
            ("e", "status", "status"),
            ("e", "boarding", "boarding"),
            ("e", "out_of_county", "out_of_county"),
            ("h", "poverty_status", "poverty"),
            ("h", "dibao", "dibao"),
            ("h", "tekun", "tekun"),
        ];
        for (table, column, alias) in cols {
            q.expr_as(Expr::col((table, column)), alias)
                .group_by_col((table, column));
        }
        q.expr_as(Func::count(Expr::col(("e", "id"))), "n");
        let rows = self.read_all(&q, "汇总本学期学生").await?;
        let tally = rows
            .iter()
            .map(|r| {
                Ok(StudentTally {
                    school_code: opt_text(r, "school_code")?,
                    township_code: opt_text(r, "township_code")?,
                    stage: opt_text(r, "stage")?.unwrap_or_default(),
                    grade: match r.cell("grade", Kind::Int)? {
                        Cell::Int(g) => g,
                        _ => 0,
                    },
                    status: opt_text(r, "status")?.unwrap_or_default(),
                    boarding: flag(r, "boarding")?,
                    out_of_county: flag(r, "out_of_county")?,
                    poverty: opt_text(r, "poverty")?,
                    dibao: flag(r, "dibao")?,
                    tekun: flag(r, "tekun")?,
                    n: r.int("n")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        tracing::debug!(
            term = %term.code(),
            groups = tally.len(),
            ms = started.elapsed().as_millis(),
            "已汇总本学期学生"
        );
        Ok(tally)
    }

    async fn build_entitlement_tally(
        &self,
        term: &Term,
        scope: &Scope,
    ) -> Result<Vec<EntitlementTally>, StoreError> {
        let mut q = crate::entitlements::entitlements_in_scope(term, scope)?;
        for column in [
            "school_code",
            "township_code",
            "policy_code",
            "category",
            "status",
            "gap",
            "cause_kind",
        ] {
            q.expr_as(Expr::col(("en", column)), column)
                .group_by_col(("en", column));
        }
        // PostgreSQL sums a BIGINT column into NUMERIC; the cast keeps the
        // result an integer that both backends decode as i64.
        q.expr_as(Func::count(Expr::col(("en", "id"))), "n")
            .expr_as(
                Func::cast_as(Func::sum(Expr::col(("en", "amount_fen"))), "BIGINT"),
                "amount",
            )
            .expr_as(Func::max(Expr::col(("en", "policy_name"))), "policy_name")
            .expr_as(Func::min(Expr::col(("en", "policy_order"))), "ord");
        let rows = self.read_all(&q, "汇总本学期资助名单").await?;
        rows.iter()
            .map(|r| {
                let text = |c: &str| opt_text(r, c).map(Option::unwrap_or_default);
                Ok(EntitlementTally {
                    school_code: text("school_code")?,
                    township_code: text("township_code")?,
                    policy_code: text("policy_code")?,
                    policy_name: text("policy_name")?,
                    policy_order: match r.cell("ord", Kind::Int)? {
                        Cell::Int(i) => i,
                        _ => 0,
                    },
                    category: text("category")?,
                    status: text("status")?,
                    gap: flag(r, "gap")?,
                    cause_kind: text("cause_kind")?,
                    n: r.int("n")?,
                    amount: match r.cell("amount", Kind::Int)? {
                        Cell::Int(i) => i,
                        _ => 0,
                    },
                })
            })
            .collect()
    }

    /// How many students of a term the scope holds, narrowed by `filter`.
    /// Summed from the term's tally, except for a search, which asks the
    /// database.
    pub async fn count_students(
        &self,
        term: &Term,
        scope: &Scope,
        filter: &StudentFilter,
    ) -> Result<i64, StoreError> {
        if filter.search.is_some() {
            return self.count_students_uncached(term, scope, filter).await;
        }
        Ok(self.school_counts(term, scope, filter).await?.total)
    }

    /// The students of a term in the scope passing `filter` (which has no
    /// search) per school, summed from the tally once per registry change
    /// and filter: a list page counts its rows and finds where its page
    /// lies from them, and users page through the same filter.
    async fn school_counts(
        &self,
        term: &Term,
        scope: &Scope,
        filter: &StudentFilter,
    ) -> Result<Arc<SchoolCounts>, StoreError> {
        scope.check()?;
        let key = Key::SchoolCounts(term.code(), scope.clone(), format!("{filter:?}"));
        match self
            .cached(key, || async {
                let tally = self.student_tally(term, scope).await?;
                let mut counts = SchoolCounts::default();
                let mut per_school: HashMap<&str, u64> = HashMap::new();
                for t in tally.matching(scope, filter) {
                    counts.total += t.n;
                    match t.school_code.as_deref() {
                        Some(c) => {
                            *per_school.entry(c).or_default() += u64::try_from(t.n).unwrap_or(0)
                        }
                        None => counts.without_school = true,
                    }
                }
                counts.schools = per_school
                    .into_iter()
                    .map(|(c, n)| (c.to_owned(), n))
                    .collect();
                counts.schools.sort_unstable();
                Ok(Value::SchoolCounts(Arc::new(counts)))
            })
            .await?
        {
            Value::SchoolCounts(c) => Ok(c),
            _ => Err(wrong_entry()),
        }
    }

    /// Where a page of [`Store::list_students`] lies, from the term's
    /// tally: the schools its rows come from, in code order (the list's
    /// order), and how many matching rows of the first of them precede the
    /// page. `None` when the tally cannot tell (a search, a class
    /// teacher's classes, or matching students without a school, whose
    /// place in the order differs between the backends).
    ///
    /// The list's statement then reads just those schools: without it, a
    /// filtered page walks every enrollment of the schools before the
    /// first match (a township's kindergartens, for a list of 小学) and
    /// every row before its offset.
    pub(crate) async fn page_schools(
        &self,
        term: &Term,
        scope: &Scope,
        filter: &StudentFilter,
        limit: u64,
        offset: u64,
    ) -> Result<Option<(Vec<String>, u64)>, StoreError> {
        if filter.search.is_some() || matches!(scope, Scope::Classes { .. }) {
            return Ok(None);
        }
        let counts = self.school_counts(term, scope, filter).await?;
        if counts.without_school {
            return Ok(None);
        }
        let mut before = 0u64;
        let mut schools = Vec::new();
        let mut covered = 0u64;
        for (code, n) in counts.schools.iter() {
            let (code, n) = (code.as_str(), *n);
            if schools.is_empty() && before + n <= offset {
                before += n;
                continue;
            }
            schools.push(code.to_owned());
            covered += n;
            if before + covered >= offset.saturating_add(limit) {
                break;
            }
        }
        Ok(Some((schools, offset - before)))
    }

    /// A term's students in the scope, narrowed by `filter`, counted per
    /// group, in key order (an unknown township or school is the empty key).
    pub async fn student_counts(
        &self,
        term: &Term,
        scope: &Scope,
        filter: &StudentFilter,
        by: StudentGroup,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        if filter.search.is_some() {
            return self.student_counts_uncached(term, scope, filter, by).await;
        }
        let tally = self.student_tally(term, scope).await?;
        // Keyed by the tally's own strings: a county's tally has tens of
        // thousands of groups and a few dozen keys, so neither a key per
        // group nor an ordered map on the way (sorted once at the end).
        let mut groups: HashMap<&str, i64> = HashMap::new();
        for t in tally.matching(scope, filter) {
            *groups.entry(student_key(t, by)).or_default() += t.n;
        }
        Ok(sorted(groups))
    }

    /// A term's [`StudentSummary`] of the scope, summed once per registry
    /// change and scope and then shared: a dashboard view costs a lookup,
    /// however many groups the tally has (a county with 建档立卡 households
    /// has tens of thousands).
    pub async fn student_summary(
        &self,
        term: &Term,
        scope: &Scope,
    ) -> Result<Arc<StudentSummary>, StoreError> {
        scope.check()?;
        let key = Key::Summary(term.code(), scope.clone());
        match self
            .cached(key, || async {
                let tally = self.student_tally(term, scope).await?;
                Ok(Value::Summary(Arc::new(StudentSummary::of(&tally, scope))))
            })
            .await?
        {
            Value::Summary(s) => Ok(s),
            _ => Err(wrong_entry()),
        }
    }

    /// [`Store::count_compare_exceptions`], kept between registry changes
    /// (a comparison run is a registry change).
    pub async fn count_compare_exceptions_cached(
        &self,
        term: &Term,
        scope: &Scope,
        kind: crate::ExceptionKind,
    ) -> Result<i64, StoreError> {
        scope.check()?;
        let key = Key::Exceptions(term.code(), scope.clone(), kind.label());
        match self
            .cached(key, || async {
                Ok(Value::Count(
                    self.count_compare_exceptions(term, scope, kind).await?,
                ))
            })
            .await?
        {
            Value::Count(n) => Ok(n),
            _ => Err(wrong_entry()),
        }
    }

    /// How many schools of the directory the scope holds (as
    /// [`Store::count_schools`]), from the cached directory.
    pub async fn count_schools_cached(&self, scope: &Scope) -> Result<i64, StoreError> {
        scope.check()?;
        let n = self
            .all_schools()
            .await?
            .iter()
            .filter(|s| s.in_scope(scope))
            .count();
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// 人次 and amount of a term's payable entitlements or coverage gaps
    /// within the scope, per group, in key order (policies in file order,
    /// an unknown key empty). Summed from the term's ledger tally.
    pub async fn entitlement_totals(
        &self,
        term: &Term,
        scope: &Scope,
        which: EntitlementSelection,
        by: EntitlementGroup,
    ) -> Result<Vec<EntitlementTotal>, StoreError> {
        scope.check()?;
        let key = Key::EntitlementTotals(term.code(), scope.clone(), which, by);
        match self
            .cached(key, || async {
                Ok(Value::Totals(Arc::new(
                    self.entitlement_totals_uncached(term, scope, which, by)
                        .await?,
                )))
            })
            .await?
        {
            Value::Totals(t) => Ok(t.as_ref().clone()),
            _ => Err(wrong_entry()),
        }
    }

    /// The newest stored entitlement run of a term (as
    /// [`Store::latest_entitlement_run`]), kept between registry changes: a
    /// run is stored in a write transaction.
    pub async fn latest_entitlement_run_cached(
        &self,
        term: &Term,
    ) -> Result<Option<Arc<crate::EntitlementRun>>, StoreError> {
        match self
            .cached(Key::LatestRun(term.code()), || async {
                Ok(Value::Run(
                    self.latest_entitlement_run(term).await?.map(Arc::new),
                ))
            })
            .await?
        {
            Value::Run(r) => Ok(r),
            _ => Err(wrong_entry()),
        }
    }

    async fn entitlement_totals_uncached(
        &self,
        term: &Term,
        scope: &Scope,
        which: EntitlementSelection,
        by: EntitlementGroup,
    ) -> Result<Vec<EntitlementTotal>, StoreError> {
        let tally = self.entitlement_tally(term, scope).await?;
        let school_names: HashMap<String, String> = if by == EntitlementGroup::School {
            self.all_schools()
                .await?
                .iter()
                .map(|s| (s.record.code.as_str().to_owned(), s.record.name.clone()))
                .collect()
        } else {
            HashMap::new()
        };
        let mut groups: BTreeMap<String, EntitlementTotal> = BTreeMap::new();
        for t in tally
            .iter()
            .filter(|t| t.in_scope(scope) && t.selected(which))
        {
            let key = match by {
                EntitlementGroup::Policy => &t.policy_code,
                EntitlementGroup::Category => &t.category,
                EntitlementGroup::Township => &t.township_code,
                EntitlementGroup::School => &t.school_code,
                EntitlementGroup::Cause => &t.cause_kind,
            };
            let label = match by {
                EntitlementGroup::Policy => Some(t.policy_name.clone()),
                EntitlementGroup::School => school_names.get(key).cloned(),
                _ => None,
            };
            let g = groups
                .entry(key.clone())
                .or_insert_with(|| EntitlementTotal {
                    key: key.clone(),
                    label: None,
                    count: 0,
                    amount: Fen(0),
                    order: t.policy_order,
                });
            g.count += t.n;
            g.amount = Fen(g.amount.0 + t.amount);
            g.order = Ord::min(g.order, t.policy_order);
            if label > g.label {
                g.label = label;
            }
        }
        let mut totals: Vec<EntitlementTotal> = groups.into_values().collect();
        if by == EntitlementGroup::Policy {
            totals.sort_by(|a, b| a.order.cmp(&b.order).then(a.key.cmp(&b.key)));
        }
        Ok(totals)
    }
}

fn wrong_entry() -> StoreError {
    StoreError::Invalid {
        detail: "缓存的统计数据类型不符（程序错误）".into(),
    }
}
