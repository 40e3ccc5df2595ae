//! What the aid policy engine reads from the registry: every student of a
//! term with their person, household, school and account, and where each of
//! those records came from.
//!
//! The registry lacks two facts about schools that aid policies depend on:
//! whether a private school is 普惠性 (inclusive, fee-regulated) and the
//! school's 学杂费 standard per term. They live in `school_aid_profiles`,
//! one audited row per school, which may also describe a school in another
//! county when that county reports it for a 县外就读 student.
//!
//! The student read is paged by enrollment id (keyset paging), so a
//! province-sized term is read in bounded slices rather than as one result
//! set that the driver would buffer whole.

use crate::codec::{self, Snapshot};
use crate::db::{Cell, DbRow, Kind};
use crate::error::StoreError;
use crate::read::select_prefixed;
use crate::records::*;
use crate::schema::{self, Col, TableDef};
use crate::store::Store;
use crate::write::{WriteTx, select_all};
use sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement};
use std::collections::HashMap;
use zizhu_core::{Fen, SchoolCode, Term};

const fn col(name: &'static str, kind: Kind) -> Col {
    Col { name, kind }
}

/// 学校资助信息: what aid policies need to know about a school beyond the
/// registry's school record. Audited like registry data, because a wrong
/// fee standard changes every fee waiver of the school.
pub(crate) const SCHOOL_AID_PROFILES: TableDef = TableDef {
    name: "school_aid_profiles",
    pk: "school_code",
    person_col: None,
    cols: &[
        col("school_code", Kind::Text),
        col("ownership", Kind::Text),
        col("fee_per_term_fen", Kind::Int),
        col("note", Kind::Text),
    ],
};

/// 办学性质, as aid policies distinguish it (学前资助 covers 公办 and
/// 普惠性民办 kindergartens, not other private ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SchoolOwnership {
    /// 公办.
    Public,
    /// 普惠性民办.
    InclusivePrivate,
    /// 民办 (not 普惠).
    Private,
}

impl SchoolOwnership {
    /// Every value, in the order a menu lists them.
    pub const ALL: &'static [SchoolOwnership] = &[
        SchoolOwnership::Public,
        SchoolOwnership::InclusivePrivate,
        SchoolOwnership::Private,
    ];

    /// The label stored in the database and shown to users.
    pub fn label(self) -> &'static str {
        match self {
            SchoolOwnership::Public => "公办",
            SchoolOwnership::InclusivePrivate => "普惠性民办",
            SchoolOwnership::Private => "民办",
        }
    }

    /// The value whose label is `s`.
    pub fn from_label(s: &str) -> Option<SchoolOwnership> {
        Self::ALL.iter().copied().find(|o| o.label() == s)
    }
}

impl std::fmt::Display for SchoolOwnership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A school's aid profile. The school need not be in the registry: a
/// 县外就读 student's school is described here when the other county
/// reports its fee standard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolAidProfile {
    /// 学校标识码.
    pub school_code: SchoolCode,
    /// 办学性质.
    pub ownership: SchoolOwnership,
    /// 学杂费标准 per term, in fen; `None` when not known.
    pub fee_per_term: Option<Fen>,
    /// 说明 (the fee document, who reported it).
    pub note: Option<String>,
}

fn profile_cells(p: &SchoolAidProfile) -> Vec<(&'static str, Cell)> {
    vec![
        ("school_code", Cell::text(p.school_code.as_str())),
        ("ownership", Cell::text(p.ownership.label())),
        (
            "fee_per_term_fen",
            Cell::opt_int(p.fee_per_term.map(|f| f.0)),
        ),
        ("note", Cell::opt_text(p.note.as_deref())),
    ]
}

fn profile_from(s: &Snapshot) -> Result<SchoolAidProfile, StoreError> {
    Ok(SchoolAidProfile {
        school_code: s.parse("school_code", SchoolCode::parse)?,
        ownership: s.label("ownership", SchoolOwnership::from_label)?,
        fee_per_term: s.opt_int("fee_per_term_fen")?.map(Fen),
        note: s.opt_text("note")?,
    })
}

/// One student of a term as the policy engine needs them: the enrollment
/// and the records it leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AidStudent {
    /// The enrollment in the term.
    pub enrollment: Enrollment,
    /// The student.
    pub person: Person,
    /// The student's household, when linked.
    pub household: Option<Household>,
    /// The school, when it is in the registry (a 县外就读 student's school
    /// usually is not).
    pub school: Option<School>,
    /// The school's aid profile, when recorded.
    pub profile: Option<SchoolAidProfile>,
    /// The id of the student's lowest-numbered active (有效) bank account of
    /// any kind, or `None` when the student has no active account.
    pub active_account: Option<i64>,
    /// The person id of a parent (a guardian recorded as 父亲/母亲 whose ID
    /// number belongs to a person with a disability category), which makes
    /// the student a 残疾人子女.
    pub disabled_parent: Option<i64>,
}

/// The guardian relations that make a guardian a parent.
const PARENT_RELATIONS: [&str; 4] = ["父亲", "母亲", "父", "母"];

/// The enrollment statuses that take part in an entitlement computation.
/// 转出 and 毕业 students belong to another school or no school in the
/// term; 休学 and 辍学 students stay in, blocked as 学籍未确认, because a
/// poor student who dropped out is exactly the gap the county must close.
const AID_STATUSES: [EnrollmentStatus; 4] = [
    EnrollmentStatus::Studying,
    EnrollmentStatus::HomeTaught,
    EnrollmentStatus::Suspended,
    EnrollmentStatus::DroppedOut,
];

/// A kind of registry record whose provenance a fact can cite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A person row.
    Person,
    /// A household row.
    Household,
    /// An enrollment row.
    Enrollment,
    /// A bank account row.
    BankAccount,
    /// A school row.
    School,
    /// A school aid profile row.
    SchoolAidProfile,
}

impl RecordKind {
    fn table(self) -> &'static TableDef {
        match self {
            RecordKind::Person => &schema::PERSONS,
            RecordKind::Household => &schema::HOUSEHOLDS,
            RecordKind::Enrollment => &schema::ENROLLMENTS,
            RecordKind::BankAccount => &schema::BANK_ACCOUNTS,
            RecordKind::School => &schema::SCHOOLS,
            RecordKind::SchoolAidProfile => &SCHOOL_AID_PROFILES,
        }
    }

    /// The table's name in Chinese, for a source that has no import file.
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Person => "人员表",
            RecordKind::Household => "家庭户表",
            RecordKind::Enrollment => "学籍表",
            RecordKind::BankAccount => "银行账户表",
            RecordKind::School => "学校表",
            RecordKind::SchoolAidProfile => "学校资助信息表",
        }
    }
}

/// Where the current value of a record came from: the latest audit entry
/// that wrote it, with the import file when it was imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// The audit entry.
    pub audit_id: i64,
    /// insert, update or rollback.
    pub action: AuditAction,
    /// Who wrote it.
    pub actor: String,
    /// When, ISO-8601 UTC.
    pub at: String,
    /// The import batch, if the value was imported.
    pub batch_id: Option<i64>,
    /// The row of the batch's file.
    pub source_row: Option<i64>,
    /// The batch's file name.
    pub file_name: Option<String>,
    /// The batch's sheet.
    pub sheet: Option<String>,
}

/// How many keys go into one `IN (…)` list: far below the bound-parameter
/// limits of both backends.
const IN_CHUNK: usize = 500;

fn opt_text(row: &DbRow, column: &str) -> Result<Option<String>, StoreError> {
    Ok(match row.cell(column, Kind::Text)? {
        Cell::Text(s) => Some(s),
        _ => None,
    })
}

fn opt_int(row: &DbRow, column: &str) -> Result<Option<i64>, StoreError> {
    Ok(match row.cell(column, Kind::Int)? {
        Cell::Int(i) => Some(i),
        _ => None,
    })
}

/// `enrollments AS e` of a term joined with everything a student's facts
/// come from, with every column selected under a table prefix.
fn aid_query(term: &Term) -> SelectStatement {
    let mut q = Query::select();
    q.from_as("enrollments", "e")
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
        .join_as(
            JoinType::LeftJoin,
            "schools",
            "s",
            Expr::col(("s", "code")).equals(("e", "school_code")),
        )
        .join_as(
            JoinType::LeftJoin,
            "school_aid_profiles",
            "sp",
            Expr::col(("sp", "school_code")).equals(("e", "school_code")),
        )
        .and_where(Expr::col(("e", "term")).eq(term.code()))
        .and_where(Expr::col(("e", "status")).is_in(AID_STATUSES.iter().map(|s| s.label())));
    select_prefixed(&mut q, &schema::ENROLLMENTS, "e", "e_");
    select_prefixed(&mut q, &schema::PERSONS, "p", "p_");
    select_prefixed(&mut q, &schema::HOUSEHOLDS, "h", "h_");
    select_prefixed(&mut q, &schema::SCHOOLS, "s", "s_");
    select_prefixed(&mut q, &SCHOOL_AID_PROFILES, "sp", "sp_");

    let mut account = Query::select();
    account
        .expr(Func::min(Expr::col(("b", "id"))))
        .from_as("bank_accounts", "b")
        .and_where(Expr::col(("b", "person_id")).equals(("p", "id")))
        .and_where(Expr::col(("b", "status")).eq(AccountStatus::Active.label()));
    q.expr_as(
        Expr::SubQuery(None, Box::new(account.into())),
        "active_account",
    );

    let mut parent = Query::select();
    parent
        .expr(Func::min(Expr::col(("gp", "id"))))
        .from_as("guardians", "g")
        .join_as(
            JoinType::InnerJoin,
            "persons",
            "gp",
            Expr::col(("gp", "id_number")).equals(("g", "id_number")),
        )
        .and_where(Expr::col(("g", "person_id")).equals(("p", "id")))
        .and_where(Expr::col(("g", "relation")).is_in(PARENT_RELATIONS))
        .and_where(Expr::col(("gp", "disability_category")).is_not_null());
    q.expr_as(
        Expr::SubQuery(None, Box::new(parent.into())),
        "disabled_parent",
    );
    q
}

fn aid_student_from(r: &DbRow) -> Result<AidStudent, StoreError> {
    let present =
        |c: &str| -> Result<bool, StoreError> { Ok(!matches!(r.cell(c, Kind::Text)?, Cell::Null)) };
    let household = if opt_int(r, "h_id")?.is_some() {
        Some(codec::household_from(&Snapshot::from_row(
            &schema::HOUSEHOLDS,
            r,
            "h_",
        )?)?)
    } else {
        None
    };
    let school = if present("s_code")? {
        Some(codec::school_from(&Snapshot::from_row(
            &schema::SCHOOLS,
            r,
            "s_",
        )?)?)
    } else {
        None
    };
    let profile = if present("sp_school_code")? {
        Some(profile_from(&Snapshot::from_row(
            &SCHOOL_AID_PROFILES,
            r,
            "sp_",
        )?)?)
    } else {
        None
    };
    Ok(AidStudent {
        enrollment: codec::enrollment_from(&Snapshot::from_row(&schema::ENROLLMENTS, r, "e_")?)?,
        person: codec::person_from(&Snapshot::from_row(&schema::PERSONS, r, "p_")?)?,
        household,
        school,
        profile,
        active_account: opt_int(r, "active_account")?,
        disabled_parent: opt_int(r, "disabled_parent")?,
    })
}

impl WriteTx {
    /// Records or replaces a school's aid profile, audited.
    pub async fn set_school_aid_profile(
        &mut self,
        profile: &SchoolAidProfile,
        source_row: Option<i64>,
    ) -> Result<Outcome, StoreError> {
        let cells = profile_cells(profile);
        let batch = self.context().batch_id;
        let key = [("school_code", Cell::text(profile.school_code.as_str()))];
        match self.find_one(&SCHOOL_AID_PROFILES, &key).await? {
            None => {
                self.insert_row(&SCHOOL_AID_PROFILES, &cells, batch, source_row)
                    .await?;
                Ok(Outcome::Inserted)
            }
            Some(before) => Ok(
                match self.update_row(&before, &cells, batch, source_row).await? {
                    Some(_) => Outcome::Updated,
                    None => Outcome::Unchanged,
                },
            ),
        }
    }
}

impl Store {
    /// The aid profile of a school, if recorded.
    pub async fn school_aid_profile(
        &self,
        code: &SchoolCode,
    ) -> Result<Option<SchoolAidProfile>, StoreError> {
        let mut q = select_all(&SCHOOL_AID_PROFILES);
        q.and_where(Expr::col("school_code").eq(code.as_str()));
        let rows = self
            .read_snapshots(&SCHOOL_AID_PROFILES, &q, "查询学校资助信息")
            .await?;
        rows.first().map(profile_from).transpose()
    }

    /// The students of a term for an entitlement computation, county-wide,
    /// in enrollment id order: at most `limit` with an enrollment id above
    /// `after`. Pass the last id of a page to get the next one.
    ///
    /// This is the county's own computation input, so it is not narrowed by
    /// a reader's scope; pages shown to a user go through the scoped reads.
    pub async fn aid_students(
        &self,
        term: &Term,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AidStudent>, StoreError> {
        let mut q = aid_query(term);
        q.and_where(Expr::col(("e", "id")).gt(after))
            .order_by(("e", "id"), Order::Asc)
            .limit(limit);
        self.read_aid_students(&q).await
    }

    /// One person's entry of [`Store::aid_students`], if they take part in
    /// the term's computation. The caller has found the person within its
    /// scope.
    pub async fn aid_student(
        &self,
        term: &Term,
        person_id: i64,
    ) -> Result<Option<AidStudent>, StoreError> {
        let mut q = aid_query(term);
        q.and_where(Expr::col(("e", "person_id")).eq(person_id));
        Ok(self.read_aid_students(&q).await?.into_iter().next())
    }

    async fn read_aid_students(&self, q: &SelectStatement) -> Result<Vec<AidStudent>, StoreError> {
        let rows = self.read_all(q, "读取学生资助信息").await?;
        rows.iter().map(aid_student_from).collect()
    }

    /// Where the current values of some records came from: for each key
    /// (a primary key as text) that has an audit entry, the latest insert,
    /// update or rollback that wrote it, with its import file.
    pub async fn provenance(
        &self,
        kind: RecordKind,
        keys: &[String],
    ) -> Result<HashMap<String, Provenance>, StoreError> {
        let mut out: HashMap<String, Provenance> = HashMap::with_capacity(keys.len());
        let mut sorted: Vec<&str> = keys.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        for chunk in sorted.chunks(IN_CHUNK) {
            let mut q = Query::select();
            q.from_as("audit_log", "a")
                .join_as(
                    JoinType::LeftJoin,
                    "import_batches",
                    "ib",
                    Expr::col(("ib", "id")).equals(("a", "batch_id")),
                )
                .and_where(Expr::col(("a", "entity")).eq(kind.table().name))
                .and_where(Expr::col(("a", "entity_key")).is_in(chunk.iter().copied()))
                .and_where(Expr::col(("a", "action")).is_in([
                    AuditAction::Insert.label(),
                    AuditAction::Update.label(),
                    AuditAction::Rollback.label(),
                ]));
            for c in [
                "id",
                "entity_key",
                "action",
                "actor",
                "at",
                "batch_id",
                "source_row",
            ] {
                q.expr_as(Expr::col(("a", c)), Alias::new(c));
            }
            q.expr_as(Expr::col(("ib", "file_name")), "file_name")
                .expr_as(Expr::col(("ib", "sheet")), "sheet");
            for r in self.read_all(&q, "查询记录来源").await? {
                let key = opt_text(&r, "entity_key")?.unwrap_or_default();
                let audit_id = r.int("id")?;
                if out.get(&key).is_some_and(|p| p.audit_id > audit_id) {
                    continue;
                }
                let action_label = opt_text(&r, "action")?.unwrap_or_default();
                let action =
                    AuditAction::from_label(&action_label).ok_or_else(|| StoreError::Corrupt {
                        table: "audit_log",
                        column: "action".into(),
                        value: action_label.clone(),
                        reason: "不是可识别的取值".into(),
                    })?;
                out.insert(
                    key,
                    Provenance {
                        audit_id,
                        action,
                        actor: opt_text(&r, "actor")?.unwrap_or_default(),
                        at: opt_text(&r, "at")?.unwrap_or_default(),
                        batch_id: opt_int(&r, "batch_id")?,
                        source_row: opt_int(&r, "source_row")?,
                        file_name: opt_text(&r, "file_name")?,
                        sheet: opt_text(&r, "sheet")?,
                    },
                );
            }
        }
        Ok(out)
    }
}

/// Migration statements of the aid tables, appended to the entitlement
/// migration in [`crate::entitlements`].
pub(crate) fn profile_ddl() -> Vec<schema::Ddl> {
    use sea_query::{ColumnDef, Table};
    vec![schema::Ddl::Table(
        Table::create()
            .table("school_aid_profiles")
            .col(
                ColumnDef::new("school_code")
                    .text()
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new("ownership").text().not_null())
            .col(ColumnDef::new("fee_per_term_fen").big_integer().null())
            .col(ColumnDef::new("note").text().null())
            .to_owned(),
    )]
}
