//! Reads, and the jurisdiction scope every list and count applies in SQL.
//!
//! A school officer may see only their school's students and a township
//! office only its township's. That rule lives here, as a `WHERE` clause,
//! so that no page can forget it: every list or count of students takes a
//! [`Scope`] and there is no unscoped variant.

use crate::codec::{self, Snapshot};
use crate::db::{Cell, DbRow, Kind};
use crate::error::StoreError;
use crate::records::*;
use crate::schema::{self, TableDef};
use crate::store::Store;
use crate::write::select_all;
use sea_query::{
    Alias, Cond, Expr, ExprTrait, Func, JoinType, LikeExpr, Order, Query, SelectStatement,
};
use zizhu_core::{IdNumber, SchoolCode, Stage, StudentNo, Term, normalize_text};

/// The part of the county a reader may see.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole county (县资助中心, 局领导).
    All,
    /// One township, by its 9-digit code (乡镇教育办, 中心校).
    Township(String),
    /// One school, by its 10-digit 学校标识码 (学校资助专干).
    School(String),
    /// Some classes of one school (班主任): the school's 学校标识码 and the
    /// class names as the roster spells them (`3（1）班`). An empty list
    /// sees nothing rather than the whole school.
    Classes {
        /// The school's 10-digit 学校标识码.
        school: String,
        /// The classes' names.
        classes: Vec<String>,
    },
}

fn all_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

impl Scope {
    /// Rejects malformed codes: a typo must not silently widen or empty a
    /// scope, and the value must never reach SQL other than as a parameter.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        match self {
            Scope::All => Ok(()),
            Scope::Township(t) if all_digits(t, 9) => Ok(()),
            Scope::Township(t) => Err(StoreError::BadScope {
                detail: format!("乡镇代码应为 9 位数字，实为“{t}”"),
            }),
            Scope::School(s) | Scope::Classes { school: s, .. } if all_digits(s, 10) => Ok(()),
            Scope::School(s) | Scope::Classes { school: s, .. } => Err(StoreError::BadScope {
                detail: format!("学校标识码应为 10 位数字，实为“{s}”"),
            }),
        }
    }

    /// The school a school- or class-level scope is confined to.
    pub fn school(&self) -> Option<&str> {
        match self {
            Scope::School(s) | Scope::Classes { school: s, .. } => Some(s),
            Scope::All | Scope::Township(_) => None,
        }
    }

    /// The condition on `enrollments AS e` (which may be joined with
    /// `schools AS s`).
    pub(crate) fn condition(&self) -> Option<Expr> {
        match self {
            Scope::All => None,
            // A sub-select rather than the joined school's column, so the
            // database can narrow enrollments by their school code.
            Scope::Township(t) => Some(
                Expr::col(("e", "school_code")).in_subquery(
                    Query::select()
                        .column("code")
                        .from("schools")
                        .and_where(Expr::col("township_code").eq(t.as_str()))
                        .to_owned(),
                ),
            ),
            Scope::School(c) => Some(Expr::col(("e", "school_code")).eq(c.as_str())),
            Scope::Classes { school, classes } => Some(
                Expr::col(("e", "school_code"))
                    .eq(school.as_str())
                    .and(Expr::col(("e", "class_name")).is_in(classes.iter().map(String::as_str))),
            ),
        }
    }
}

/// Optional narrowing of a student list, applied on top of the scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StudentFilter {
    /// Only this school.
    pub school_code: Option<SchoolCode>,
    /// Only this township (9-digit code).
    pub township_code: Option<String>,
    /// Only this stage.
    pub stage: Option<Stage>,
    /// Only this enrollment status.
    pub status: Option<EnrollmentStatus>,
    /// Only this year of the stage (with or without `stage`).
    pub grade: Option<u8>,
    /// Only students whose household has this poverty status.
    pub poverty: Option<PovertyFilter>,
    /// Only boarders (`Some(true)`) or day students (`Some(false)`).
    pub boarding: Option<bool>,
    /// Only 县外就读 students (`Some(true)`) or those in the county.
    pub out_of_county: Option<bool>,
    /// Only students matching a search box entry.
    pub search: Option<StudentSearch>,
}

/// The hardship a student list can be narrowed to, read from the student's
/// household.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PovertyFilter {
    /// 建档立卡: a registered household, lifted out of poverty or not.
    Registered,
    /// 未脱贫.
    NotLifted,
    /// 已脱贫.
    Lifted,
    /// 边缘户.
    Marginal,
    /// 低保户.
    Dibao,
    /// 特困供养户.
    Tekun,
}

impl PovertyFilter {
    /// Every value, in the order a filter menu lists them.
    pub const ALL: &'static [PovertyFilter] = &[
        PovertyFilter::Registered,
        PovertyFilter::NotLifted,
        PovertyFilter::Lifted,
        PovertyFilter::Marginal,
        PovertyFilter::Dibao,
        PovertyFilter::Tekun,
    ];

    /// The label shown in a filter menu.
    pub fn label(self) -> &'static str {
        match self {
            PovertyFilter::Registered => "建档立卡（含已脱贫）",
            PovertyFilter::NotLifted => "建档立卡·未脱贫",
            PovertyFilter::Lifted => "建档立卡·已脱贫",
            PovertyFilter::Marginal => "边缘户",
            PovertyFilter::Dibao => "低保户",
            PovertyFilter::Tekun => "特困供养户",
        }
    }

    /// A short stable code for URLs.
    pub fn code(self) -> &'static str {
        match self {
            PovertyFilter::Registered => "registered",
            PovertyFilter::NotLifted => "not_lifted",
            PovertyFilter::Lifted => "lifted",
            PovertyFilter::Marginal => "marginal",
            PovertyFilter::Dibao => "dibao",
            PovertyFilter::Tekun => "tekun",
        }
    }

    /// The value with this code.
    pub fn from_code(code: &str) -> Option<PovertyFilter> {
        Self::ALL.iter().copied().find(|p| p.code() == code)
    }

    /// The condition on `households AS h`.
    pub(crate) fn condition(self) -> Expr {
        let status = |s: PovertyStatus| Expr::col(("h", "poverty_status")).eq(s.label());
        match self {
            PovertyFilter::Registered => Expr::col(("h", "poverty_status")).is_in([
                PovertyStatus::NotLifted.label(),
                PovertyStatus::Lifted.label(),
            ]),
            PovertyFilter::NotLifted => status(PovertyStatus::NotLifted),
            PovertyFilter::Lifted => status(PovertyStatus::Lifted),
            PovertyFilter::Marginal => status(PovertyStatus::Marginal),
            PovertyFilter::Dibao => Expr::col(("h", "dibao")).eq(true),
            PovertyFilter::Tekun => Expr::col(("h", "tekun")).eq(true),
        }
    }
}

/// What a search box entry is taken to mean. Parsed once, here, so every
/// caller matches names the way the registry stores them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StudentSearch {
    /// A name or the start of one, normalised like `persons.name_normalized`
    /// (traditional characters to simplified, full-width to half-width,
    /// spaces removed), so `李小龍` finds `李小龙`.
    Name(String),
    /// A valid ID number (a 15-digit one is upgraded to 18).
    IdNumber(IdNumber),
    /// A 全国学籍号.
    StudentNo(String),
}

impl StudentSearch {
    /// Reads a search box entry; `None` when it is blank.
    pub fn parse(text: &str) -> Option<StudentSearch> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Ok(id) = IdNumber::parse(t) {
            return Some(StudentSearch::IdNumber(id));
        }
        if let Ok(no) = StudentNo::parse(t) {
            return Some(StudentSearch::StudentNo(no.as_str().to_string()));
        }
        let normalized = normalize_text(t);
        (!normalized.is_empty()).then_some(StudentSearch::Name(normalized))
    }

    /// The condition on `persons AS p JOIN enrollments AS e`.
    fn condition(&self) -> Expr {
        match self {
            StudentSearch::Name(n) => {
                let escaped: String = n
                    .chars()
                    .flat_map(|c| match c {
                        '%' | '_' | '\\' => vec!['\\', c],
                        c => vec![c],
                    })
                    .collect();
                Expr::col(("p", "name_normalized"))
                    .like(LikeExpr::new(format!("{escaped}%")).escape('\\'))
            }
            StudentSearch::IdNumber(id) => Expr::col(("p", "id_number")).eq(id.as_str()),
            StudentSearch::StudentNo(no) => Expr::col(("e", "student_no")).eq(no.as_str()),
        }
    }
}

/// How [`Store::student_counts`] groups a term's students.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StudentGroup {
    /// By 学段 label.
    Stage,
    /// By 9-digit township code (empty for students without a known school).
    Township,
    /// By 学校标识码 (empty for students without a known school).
    School,
    /// By 学籍状态 label.
    Status,
}

/// One line of a student list: the person and their enrollment in the term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StudentRow {
    /// The student.
    pub person: Person,
    /// The enrollment in the listed term.
    pub enrollment: Enrollment,
    /// 学校名称, when the school is in the registry.
    pub school_name: Option<String>,
    /// The school's 9-digit township code, when known.
    pub township_code: Option<String>,
    /// The student's household, when the person belongs to one.
    pub household: Option<Household>,
}

/// Narrows [`Store::audit_log`]. Unset fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this table.
    pub entity: Option<String>,
    /// Only this row (with `entity`).
    pub entity_key: Option<String>,
    /// Only changes concerning this person.
    pub person_id: Option<i64>,
    /// Only changes of this import batch.
    pub batch_id: Option<i64>,
    /// Only changes by this actor.
    pub actor: Option<String>,
    /// Only this kind of change.
    pub action: Option<AuditAction>,
    /// Only entries older than this one (for paging back through the log).
    pub before_id: Option<i64>,
}

/// Selects every column of `table` under `alias`, renamed `{prefix}{column}`
/// so that two tables can be read from one joined row.
pub(crate) fn select_prefixed(
    q: &mut SelectStatement,
    table: &TableDef,
    alias: &'static str,
    prefix: &str,
) {
    for c in table.cols {
        q.expr_as(
            Expr::col((alias, c.name)),
            Alias::new(format!("{prefix}{}", c.name)),
        );
    }
}

/// `enrollments AS e LEFT JOIN schools AS s`, the base of every scoped read.
pub(crate) fn enrollments_in_scope(
    term: &Term,
    scope: &Scope,
) -> Result<SelectStatement, StoreError> {
    scope.check()?;
    let mut q = Query::select();
    q.from_as("enrollments", "e")
        .join_as(
            JoinType::LeftJoin,
            "schools",
            "s",
            Expr::col(("s", "code")).equals(("e", "school_code")),
        )
        .and_where(Expr::col(("e", "term")).eq(term.code()))
        .and_where_option(scope.condition());
    Ok(q)
}

/// Narrows `enrollments AS e LEFT JOIN schools AS s JOIN persons AS p` by a
/// filter, joining `households AS h` when the filter needs it.
pub(crate) fn apply_student_filter(
    q: &mut SelectStatement,
    filter: &StudentFilter,
) -> Result<(), StoreError> {
    apply_filter(q, filter, false)
}

/// [`apply_student_filter`] for a statement that has already joined
/// `households AS h` (when `households_joined`).
fn apply_filter(
    q: &mut SelectStatement,
    filter: &StudentFilter,
    households_joined: bool,
) -> Result<(), StoreError> {
    if let Some(code) = &filter.school_code {
        q.and_where(Expr::col(("e", "school_code")).eq(code.as_str()));
    }
    if let Some(t) = &filter.township_code {
        let township = Scope::Township(t.clone());
        township.check()?;
        q.and_where_option(township.condition());
    }
    if let Some(stage) = filter.stage {
        q.and_where(Expr::col(("e", "stage")).eq(stage.label()));
    }
    if let Some(status) = filter.status {
        q.and_where(Expr::col(("e", "status")).eq(status.label()));
    }
    if let Some(grade) = filter.grade {
        q.and_where(Expr::col(("e", "grade")).eq(i64::from(grade)));
    }
    if let Some(boarding) = filter.boarding {
        q.and_where(Expr::col(("e", "boarding")).eq(boarding));
    }
    if let Some(out) = filter.out_of_county {
        q.and_where(Expr::col(("e", "out_of_county")).eq(out));
    }
    if let Some(search) = &filter.search {
        q.and_where(search.condition());
    }
    if let Some(poverty) = filter.poverty {
        if !households_joined {
            q.join_as(
                JoinType::InnerJoin,
                "households",
                "h",
                Expr::col(("h", "id")).equals(("p", "household_id")),
            );
        }
        q.and_where(poverty.condition());
    }
    Ok(())
}

impl Store {
    pub(crate) async fn read_all(
        &self,
        q: &SelectStatement,
        context: &'static str,
    ) -> Result<Vec<DbRow>, StoreError> {
        let mut c = self.pool().acquire().await?;
        c.conn().fetch_all(q, context).await
    }

    pub(crate) async fn read_snapshots(
        &self,
        table: &'static TableDef,
        q: &SelectStatement,
        context: &'static str,
    ) -> Result<Vec<Snapshot>, StoreError> {
        self.read_all(q, context)
            .await?
            .iter()
            .map(|r| Snapshot::from_row(table, r, ""))
            .collect()
    }

    pub(crate) async fn count(
        &self,
        q: &SelectStatement,
        context: &'static str,
    ) -> Result<i64, StoreError> {
        match self.read_all(q, context).await?.first() {
            Some(r) => r.int("n"),
            None => Ok(0),
        }
    }

    /// Rows of `table` where `column = value`, in primary-key order.
    async fn rows_where(
        &self,
        table: &'static TableDef,
        column: &'static str,
        value: Cell,
        kind: Kind,
        context: &'static str,
    ) -> Result<Vec<Snapshot>, StoreError> {
        let mut q = select_all(table);
        q.and_where(Expr::col(column).eq(value.to_value(kind)))
            .order_by(table.pk, Order::Asc);
        self.read_snapshots(table, &q, context).await
    }

    /// The person with this ID number.
    pub async fn get_person_by_id_number(
        &self,
        id_number: &IdNumber,
    ) -> Result<Option<Person>, StoreError> {
        let rows = self
            .rows_where(
                &schema::PERSONS,
                "id_number",
                Cell::text(id_number.as_str()),
                Kind::Text,
                "按身份证号查询人员",
            )
            .await?;
        rows.first().map(codec::person_from).transpose()
    }

    /// The person with this id.
    pub async fn get_person(&self, id: i64) -> Result<Option<Person>, StoreError> {
        let rows = self
            .rows_where(&schema::PERSONS, "id", Cell::Int(id), Kind::Int, "查询人员")
            .await?;
        rows.first().map(codec::person_from).transpose()
    }

    /// The school with this code.
    pub async fn get_school(&self, code: &SchoolCode) -> Result<Option<School>, StoreError> {
        let rows = self
            .rows_where(
                &schema::SCHOOLS,
                "code",
                Cell::text(code.as_str()),
                Kind::Text,
                "查询学校",
            )
            .await?;
        rows.first().map(codec::school_from).transpose()
    }

    /// The household with this 户编号.
    pub async fn get_household_by_no(
        &self,
        household_no: &str,
    ) -> Result<Option<Household>, StoreError> {
        let rows = self
            .rows_where(
                &schema::HOUSEHOLDS,
                "household_no",
                Cell::text(household_no),
                Kind::Text,
                "按户编号查询家庭户",
            )
            .await?;
        rows.first().map(codec::household_from).transpose()
    }

    /// The household with this id.
    pub async fn get_household(&self, id: i64) -> Result<Option<Household>, StoreError> {
        let rows = self
            .rows_where(
                &schema::HOUSEHOLDS,
                "id",
                Cell::Int(id),
                Kind::Int,
                "查询家庭户",
            )
            .await?;
        rows.first().map(codec::household_from).transpose()
    }

    /// Every enrollment of a person, oldest first.
    pub async fn person_enrollments(&self, person_id: i64) -> Result<Vec<Enrollment>, StoreError> {
        self.rows_where(
            &schema::ENROLLMENTS,
            "person_id",
            Cell::Int(person_id),
            Kind::Int,
            "查询学籍",
        )
        .await?
        .iter()
        .map(codec::enrollment_from)
        .collect()
    }

    /// Every bank account of a person, current and closed, oldest first.
    pub async fn person_bank_accounts(
        &self,
        person_id: i64,
    ) -> Result<Vec<BankAccount>, StoreError> {
        self.rows_where(
            &schema::BANK_ACCOUNTS,
            "person_id",
            Cell::Int(person_id),
            Kind::Int,
            "查询银行账户",
        )
        .await?
        .iter()
        .map(codec::bank_account_from)
        .collect()
    }

    /// Every guardian of a person.
    pub async fn person_guardians(&self, person_id: i64) -> Result<Vec<Guardian>, StoreError> {
        self.rows_where(
            &schema::GUARDIANS,
            "person_id",
            Cell::Int(person_id),
            Kind::Int,
            "查询监护人",
        )
        .await?
        .iter()
        .map(codec::guardian_from)
        .collect()
    }

    /// Every change concerning a person, oldest first: the person row and
    /// their enrollments, accounts and guardians, each with its batch and
    /// source row.
    pub async fn person_history(&self, person_id: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let mut q = select_all(&schema::AUDIT_LOG);
        q.and_where(Expr::col("person_id").eq(person_id))
            .order_by("id", Order::Asc);
        self.audit_entries(&q, "查询人员变更记录").await
    }

    /// The audit entries `q` selects (every column of `audit_log`), with
    /// the after-state of compact insert entries filled in from the same
    /// snapshot (`src/audit.rs`).
    async fn audit_entries(
        &self,
        q: &SelectStatement,
        context: &'static str,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut tx = self.pool().begin_read().await?;
        let mut entries = tx
            .conn()
            .fetch_all(q, context)
            .await?
            .iter()
            .map(|r| codec::audit_entry_from(&Snapshot::from_row(&schema::AUDIT_LOG, r, "")?))
            .collect::<Result<Vec<_>, StoreError>>()?;
        crate::audit::complete_inserts(&mut tx.conn(), &mut entries).await?;
        tx.rollback().await?;
        Ok(entries)
    }

    /// Audit entries matching `filter`, newest first, at most `limit`.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut q = select_all(&schema::AUDIT_LOG);
        let mut cond = Cond::all();
        if let Some(e) = &filter.entity {
            cond = cond.add(Expr::col("entity").eq(e.as_str()));
        }
        if let Some(k) = &filter.entity_key {
            cond = cond.add(Expr::col("entity_key").eq(k.as_str()));
        }
        if let Some(p) = filter.person_id {
            cond = cond.add(Expr::col("person_id").eq(p));
        }
        if let Some(b) = filter.batch_id {
            cond = cond.add(Expr::col("batch_id").eq(b));
        }
        if let Some(a) = &filter.actor {
            cond = cond.add(Expr::col("actor").eq(a.as_str()));
        }
        if let Some(a) = filter.action {
            cond = cond.add(Expr::col("action").eq(a.label()));
        }
        if let Some(b) = filter.before_id {
            cond = cond.add(Expr::col("id").lt(b));
        }
        q.cond_where(cond).order_by("id", Order::Desc).limit(limit);
        self.audit_entries(&q, "查询审计日志").await
    }

    /// The import batch with this id.
    pub async fn get_batch(&self, id: i64) -> Result<Option<Batch>, StoreError> {
        let rows = self
            .rows_where(
                &schema::IMPORT_BATCHES,
                "id",
                Cell::Int(id),
                Kind::Int,
                "查询导入批次",
            )
            .await?;
        rows.first().map(codec::batch_from).transpose()
    }

    /// Import batches, newest first, at most `limit`.
    pub async fn list_batches(&self, limit: u64) -> Result<Vec<Batch>, StoreError> {
        let mut q = select_all(&schema::IMPORT_BATCHES);
        q.order_by("id", Order::Desc).limit(limit);
        self.read_snapshots(&schema::IMPORT_BATCHES, &q, "查询导入批次")
            .await?
            .iter()
            .map(codec::batch_from)
            .collect()
    }

    /// Where every source row of a batch went, in row order: the data for
    /// the downloadable rejection report.
    pub async fn batch_rows(&self, batch_id: i64) -> Result<Vec<ImportRowRecord>, StoreError> {
        let mut q = select_all(&schema::IMPORT_ROWS);
        q.and_where(Expr::col("batch_id").eq(batch_id))
            .order_by("row_no", Order::Asc)
            .order_by("id", Order::Asc);
        self.read_snapshots(&schema::IMPORT_ROWS, &q, "查询导入行")
            .await?
            .iter()
            .map(codec::import_row_from)
            .collect()
    }

    /// How many persons the scope covers. The whole county counts every
    /// person in the registry; a township or school counts the distinct
    /// persons with an enrollment there in any term.
    pub async fn count_persons(&self, scope: &Scope) -> Result<i64, StoreError> {
        scope.check()?;
        let q = match scope {
            Scope::All => Query::select()
                .expr_as(Func::count(Expr::col("id")), "n")
                .from("persons")
                .to_owned(),
            _ => Query::select()
                .expr_as(Func::count_distinct(Expr::col(("e", "person_id"))), "n")
                .from_as("enrollments", "e")
                .join_as(
                    JoinType::LeftJoin,
                    "schools",
                    "s",
                    Expr::col(("s", "code")).equals(("e", "school_code")),
                )
                .and_where_option(scope.condition())
                .to_owned(),
        };
        self.count(&q, "统计人数").await
    }

    /// How many schools the scope covers.
    pub async fn count_schools(&self, scope: &Scope) -> Result<i64, StoreError> {
        scope.check()?;
        let mut q = Query::select();
        q.expr_as(Func::count(Expr::col("code")), "n")
            .from("schools");
        match scope {
            Scope::All => {}
            Scope::Township(t) => {
                q.and_where(Expr::col("township_code").eq(t.as_str()));
            }
            Scope::School(c) | Scope::Classes { school: c, .. } => {
                q.and_where(Expr::col("code").eq(c.as_str()));
            }
        }
        self.count(&q, "统计学校数").await
    }

    /// How many households the scope covers. A township counts the
    /// households living in it (by the village code, since 校长包村 work is
    /// organised by residence); a school counts the households of the
    /// persons enrolled there in any term.
    pub async fn count_households(&self, scope: &Scope) -> Result<i64, StoreError> {
        scope.check()?;
        let q = match scope {
            Scope::All => Query::select()
                .expr_as(Func::count(Expr::col("id")), "n")
                .from("households")
                .to_owned(),
            // The code was checked to be 9 digits, so it holds no LIKE
            // wildcards; it is still bound as a parameter.
            Scope::Township(t) => Query::select()
                .expr_as(Func::count(Expr::col("id")), "n")
                .from("households")
                .and_where(Expr::col("region_code").like(format!("{t}%")))
                .to_owned(),
            Scope::School(_) | Scope::Classes { .. } => Query::select()
                .expr_as(Func::count_distinct(Expr::col(("p", "household_id"))), "n")
                .from_as("persons", "p")
                .join_as(
                    JoinType::InnerJoin,
                    "enrollments",
                    "e",
                    Expr::col(("e", "person_id")).equals(("p", "id")),
                )
                .and_where_option(scope.condition())
                .to_owned(),
        };
        self.count(&q, "统计家庭户数").await
    }

    /// How many import batches there are (county bookkeeping, unscoped).
    pub async fn count_batches(&self) -> Result<i64, StoreError> {
        let q = Query::select()
            .expr_as(Func::count(Expr::col("id")), "n")
            .from("import_batches")
            .to_owned();
        self.count(&q, "统计导入批次").await
    }

    /// How many enrollments the scope has in a term.
    pub async fn count_enrollments(&self, term: &Term, scope: &Scope) -> Result<i64, StoreError> {
        let mut q = enrollments_in_scope(term, scope)?;
        q.expr_as(Func::count(Expr::col(("e", "id"))), "n");
        self.count(&q, "统计学籍数").await
    }

    /// Students enrolled in a term within the scope, narrowed by `filter`,
    /// ordered by school, grade and enrollment, one page at a time, each
    /// with their school's name and their household: one statement.
    pub async fn list_students(
        &self,
        term: &Term,
        scope: &Scope,
        filter: &StudentFilter,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<StudentRow>, StoreError> {
        let mut q = enrollments_in_scope(term, scope)?;
        // The tally tells which schools the page's rows are in; the scope
        // and the filter still apply in full below.
        let mut offset = offset;
        if let Some((schools, skip)) = self
            .page_schools(term, scope, filter, limit, offset)
            .await?
        {
            if schools.is_empty() {
                return Ok(Vec::new());
            }
            q.and_where(Expr::col(("e", "school_code")).is_in(schools));
            offset = skip;
        }
        q.join_as(
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
        );
        apply_filter(&mut q, filter, true)?;
        // Read back by position: persons, enrollments, households, then
        // the school's name and township.
        select_prefixed(&mut q, &schema::PERSONS, "p", "p_");
        select_prefixed(&mut q, &schema::ENROLLMENTS, "e", "e_");
        select_prefixed(&mut q, &schema::HOUSEHOLDS, "h", "h_");
        let at_enrollment = schema::PERSONS.cols.len();
        let at_household = at_enrollment + schema::ENROLLMENTS.cols.len();
        let at_school = at_household + schema::HOUSEHOLDS.cols.len();
        q.expr_as(Expr::col(("s", "name")), "s_name")
            .expr_as(Expr::col(("s", "township_code")), "s_township_code")
            .order_by(("e", "school_code"), Order::Asc)
            .order_by(("e", "grade"), Order::Asc)
            .order_by(("e", "id"), Order::Asc)
            .limit(limit)
            .offset(offset);
        self.read_all(&q, "查询学生名单")
            .await?
            .iter()
            .map(|r| {
                let person = Snapshot::from_row_at(&schema::PERSONS, r, 0)?;
                let enrollment = Snapshot::from_row_at(&schema::ENROLLMENTS, r, at_enrollment)?;
                let household = match r.cell_at(at_household, Kind::Int)? {
                    Cell::Null => None,
                    _ => Some(codec::household_from(&Snapshot::from_row_at(
                        &schema::HOUSEHOLDS,
                        r,
                        at_household,
                    )?)?),
                };
                let text = |i| match r.cell_at(i, Kind::Text)? {
                    Cell::Text(s) => Ok(Some(s)),
                    _ => Ok::<_, StoreError>(None),
                };
                Ok(StudentRow {
                    person: codec::person_from(&person)?,
                    enrollment: codec::enrollment_from(&enrollment)?,
                    school_name: text(at_school)?,
                    township_code: text(at_school + 1)?,
                    household,
                })
            })
            .collect()
    }

    /// Enrollments in a term within the scope, per stage, in stage order.
    pub async fn counts_by_stage(
        &self,
        term: &Term,
        scope: &Scope,
    ) -> Result<Vec<(Stage, i64)>, StoreError> {
        let mut q = enrollments_in_scope(term, scope)?;
        q.expr_as(Expr::col(("e", "stage")), "stage")
            .expr_as(Func::count(Expr::col(("e", "id"))), "n")
            .group_by_col(("e", "stage"));
        let mut counts = self
            .read_all(&q, "按学段统计学籍数")
            .await?
            .iter()
            .map(|r| {
                let label = match r.cell("stage", Kind::Text)? {
                    Cell::Text(s) => s,
                    _ => String::new(),
                };
                let stage = Stage::parse(&label).map_err(|e| StoreError::Corrupt {
                    table: "enrollments",
                    column: "stage".into(),
                    value: label.clone(),
                    reason: e.to_string(),
                })?;
                Ok((stage, r.int("n")?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        counts.sort_by_key(|(stage, _)| *stage);
        Ok(counts)
    }
}
