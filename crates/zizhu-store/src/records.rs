//! The typed records that go into and come out of the store.
//!
//! These are plain structs without serde derives: the database layout is an
//! implementation detail of this crate and must not leak into file formats
//! or HTTP payloads by accident. Fields use the `zizhu-core` newtypes, so a
//! record that exists holds only valid ID numbers, codes, dates and terms.

use zizhu_core::{
    BankCard, Date, Fen, Grade, IdNumber, PersonName, Phone, RegionCode, SchoolCode, Sex, Stage,
    StudentNo, Term,
};

/// Declares a closed vocabulary stored as its Chinese (or fixed) label.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $label:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The label stored in the database and shown to users.
            pub fn label(self) -> &'static str {
                match self {
                    $( $name::$variant => $label ),+
                }
            }

            /// The value whose label is `s`.
            pub fn from_label(s: &str) -> Option<$name> {
                match s {
                    $( $label => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

pub(crate) use vocabulary;

vocabulary! {
    /// 建档立卡 status of a household.
    PovertyStatus {
        /// 未脱贫: registered and not yet lifted out of poverty.
        NotLifted => "未脱贫",
        /// 已脱贫: lifted, with the year in `lifted_year` when known.
        Lifted => "已脱贫",
        /// 边缘户: marginal household, monitored but not registered.
        Marginal => "边缘户",
        /// 无: not a registered household (a 低保 or 特困 household only).
        NotRegistered => "无",
    }
}

vocabulary! {
    /// 学籍状态 of an enrollment in a term.
    EnrollmentStatus {
        /// 在读.
        Studying => "在读",
        /// 休学.
        Suspended => "休学",
        /// 辍学.
        DroppedOut => "辍学",
        /// 转出.
        TransferredOut => "转出",
        /// 毕业.
        Graduated => "毕业",
        /// 送教上门: a severely disabled child taught at home.
        HomeTaught => "送教上门",
    }
}

vocabulary! {
    /// The kind of account aid is paid into.
    AccountKind {
        /// 资助卡: the student aid card.
        AidCard => "资助卡",
        /// 一卡通: the social-security "one card" for benefits.
        OneCard => "一卡通",
        /// 明白折: the benefits passbook.
        Passbook => "明白折",
    }
}

vocabulary! {
    /// Whether an account is the current one.
    AccountStatus {
        /// 有效: the current account for its person and kind.
        Active => "有效",
        /// 失效: replaced by a newer account (or closed).
        Closed => "失效",
    }
}

vocabulary! {
    /// Lifecycle of an import batch.
    BatchStatus {
        /// 进行中.
        Running => "进行中",
        /// 完成.
        Done => "完成",
        /// 失败.
        Failed => "失败",
        /// 已回滚: every change the batch made has been reverted.
        RolledBack => "已回滚",
    }
}

vocabulary! {
    /// What happened to one source row of an import.
    RowOutcome {
        /// The row was written.
        Accepted => "accepted",
        /// The row was refused; `reason` says why.
        Rejected => "rejected",
        /// The row matched what the registry already held.
        Unchanged => "unchanged",
    }
}

vocabulary! {
    /// The kind of change an audit entry records.
    AuditAction {
        /// A row was created.
        Insert => "insert",
        /// A row was changed.
        Update => "update",
        /// A row was removed.
        Delete => "delete",
        /// A row was restored by rolling back an import batch.
        Rollback => "rollback",
    }
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A new row was created.
    Inserted,
    /// An existing row was changed.
    Updated,
    /// The row already held exactly these values; nothing was written and
    /// nothing was audited.
    Unchanged,
}

/// The row an upsert landed on and what it did to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Upserted {
    /// The row's primary key.
    pub id: i64,
    /// Whether it was inserted, updated or left alone.
    pub outcome: Outcome,
}

/// 行政区划. The level is derived from the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionRecord {
    /// 6-, 9- or 12-digit code.
    pub code: RegionCode,
    /// 名称.
    pub name: String,
    /// 上级区划.
    pub parent_code: Option<RegionCode>,
}

/// 学校. The category comes from the code and the township from the region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolRecord {
    /// 10-digit 学校标识码.
    pub code: SchoolCode,
    /// 学校名称.
    pub name: String,
    /// Where the school is: ideally the 12-digit village or community code,
    /// from which the 9-digit township code used for scoping is derived.
    pub region_code: RegionCode,
    /// 公办 (true) or 民办 (false).
    pub is_public: bool,
    /// The stages the school teaches (a 九年一贯制 school has two).
    pub stages: Vec<Stage>,
}

/// A school as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct School {
    /// What was written.
    pub record: SchoolRecord,
    /// 学校类别, derived from the code.
    pub category: String,
    /// 9-digit township code, derived from the region code when it has one.
    pub township_code: Option<String>,
}

/// 户: a household on the poverty office's or civil affairs' list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdRecord {
    /// 户编号, the poverty office's household number; the upsert key.
    pub household_no: String,
    /// The village (12-digit statistical code).
    pub region_code: RegionCode,
    /// 户主身份证号.
    pub head_id_number: Option<IdNumber>,
    /// 建档立卡 status.
    pub poverty_status: PovertyStatus,
    /// 脱贫年度, when the household is 已脱贫 and the year is known.
    pub lifted_year: Option<i32>,
    /// 低保户.
    pub dibao: bool,
    /// 特困供养户.
    pub tekun: bool,
    /// 致贫原因.
    pub cause: Option<String>,
    /// 家庭人均纯收入 per year, in fen.
    pub income_per_capita: Option<Fen>,
}

/// A household as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Household {
    /// Primary key.
    pub id: i64,
    /// What was written.
    pub record: HouseholdRecord,
}

/// 人员: the facts the registry keeps about one person.
///
/// An upsert replaces all of these fields: the record is the person's full
/// state as the caller knows it. A caller merging a partial list (one that
/// lacks, say, the ethnicity column) reads the person first and fills in
/// what it does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRecord {
    /// 身份证号; `None` keeps the person unresolved.
    pub id_number: Option<IdNumber>,
    /// 姓名, as entered and normalised.
    pub name: PersonName,
    /// 性别.
    pub sex: Option<Sex>,
    /// 出生日期.
    pub birth_date: Option<Date>,
    /// 民族.
    pub ethnicity: Option<String>,
    /// 残疾类别.
    pub disability_category: Option<String>,
    /// 残疾等级.
    pub disability_level: Option<String>,
    /// 孤儿.
    pub orphan: bool,
    /// 留守儿童.
    pub left_behind: bool,
    /// 烈士子女.
    pub martyr_child: bool,
    /// 家庭现地址.
    pub address: Option<String>,
}

/// A person as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Primary key.
    pub id: i64,
    /// The household, set with `set_person_household`.
    pub household_id: Option<i64>,
    /// The import batch that created the person, if any.
    pub created_batch: Option<i64>,
    /// What was written.
    pub record: PersonRecord,
}

/// 监护人 of a person. A person has at most one guardian of a given name:
/// adding the same guardian again updates that row instead of duplicating
/// it, so re-importing a list is harmless.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardianRecord {
    /// The child.
    pub person_id: i64,
    /// 监护人姓名.
    pub name: PersonName,
    /// 与学生关系 (父亲, 母亲, 祖父, …).
    pub relation: String,
    /// 监护人身份证号.
    pub id_number: Option<IdNumber>,
    /// 监护人联系电话.
    pub phone: Option<Phone>,
}

/// A guardian as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guardian {
    /// Primary key.
    pub id: i64,
    /// What was written.
    pub record: GuardianRecord,
}

/// 学籍: where a person studies in a term. Unique per person and term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentRecord {
    /// The student.
    pub person_id: i64,
    /// 学期, e.g. 2018秋.
    pub term: Term,
    /// The school; `None` for a 县外就读 student whose school is not known.
    pub school_code: Option<SchoolCode>,
    /// 学段 and 年级.
    pub grade: Grade,
    /// 班级名称.
    pub class_name: Option<String>,
    /// 寄宿生.
    pub boarding: bool,
    /// 学籍状态.
    pub status: EnrollmentStatus,
    /// 县外就读.
    pub out_of_county: bool,
    /// 就读地 for an out-of-county student.
    pub out_of_county_place: Option<String>,
    /// 全国学籍号.
    pub student_no: Option<StudentNo>,
}

/// An enrollment as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    /// Primary key.
    pub id: i64,
    /// What was written.
    pub record: EnrollmentRecord,
}

/// A bank account to pay a person's aid into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankAccountRecord {
    /// The student the account is for.
    pub person_id: i64,
    /// 资助卡, 一卡通 or 明白折.
    pub kind: AccountKind,
    /// 开户行.
    pub bank_name: String,
    /// 账号.
    pub account_no: BankCard,
    /// 户名 (often a guardian).
    pub holder_name: String,
    /// 户名与学生关系.
    pub holder_relation: Option<String>,
    /// The day the account takes effect; also the day the previous one ends.
    pub valid_from: Date,
}

/// An account as stored, current or historical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankAccount {
    /// Primary key.
    pub id: i64,
    /// 有效 or 失效.
    pub status: AccountStatus,
    /// The day a newer account replaced this one.
    pub valid_to: Option<Date>,
    /// What was written.
    pub record: BankAccountRecord,
}

/// A new import batch: one file (or one sheet of a workbook).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBatch {
    /// What the file is (学生名单, 建档立卡名单, 残疾人名单, …).
    pub kind: String,
    /// The file's name as uploaded.
    pub file_name: String,
    /// The sheet, for a workbook.
    pub sheet: Option<String>,
    /// SHA-256 of the file, hex, so a re-upload of the same file is spotted.
    pub sha256: String,
}

/// Row counts of a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Data rows read from the file.
    pub rows_read: i64,
    /// Rows written.
    pub rows_accepted: i64,
    /// Rows refused.
    pub rows_rejected: i64,
    /// Rows that matched the registry already.
    pub rows_unchanged: i64,
}

/// An import batch as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Primary key.
    pub id: i64,
    /// What was imported.
    pub file: NewBatch,
    /// Who ran the import.
    pub actor: String,
    /// ISO-8601 UTC.
    pub started_at: String,
    /// ISO-8601 UTC, once finished.
    pub finished_at: Option<String>,
    /// Where the batch is in its lifecycle.
    pub status: BatchStatus,
    /// Row counts.
    pub counts: BatchCounts,
}

/// The provenance of one source row of an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRowRecord {
    /// 1-based row number in the sheet, as a spreadsheet shows it.
    pub row_no: i64,
    /// The sheet, for a workbook.
    pub sheet: Option<String>,
    /// The table the row went to (persons, enrollments, …).
    pub entity: String,
    /// The row it landed on, when accepted or unchanged.
    pub entity_id: Option<i64>,
    /// What happened.
    pub outcome: RowOutcome,
    /// Why it was rejected (Chinese), or a note.
    pub reason: Option<String>,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    /// Primary key; also the order changes happened in.
    pub id: i64,
    /// When, ISO-8601 UTC.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What kind of change.
    pub action: AuditAction,
    /// The table.
    pub entity: String,
    /// The row's primary key, as text.
    pub entity_key: String,
    /// The person the change concerns, when there is one.
    pub person_id: Option<i64>,
    /// The row before the change (a JSON object of its columns), `None` for an insert.
    pub before: Option<serde_json::Value>,
    /// The row after the change, `None` for a delete.
    pub after: Option<serde_json::Value>,
    /// Why.
    pub reason: String,
    /// The import batch that made the change.
    pub batch_id: Option<i64>,
    /// The source row of that batch.
    pub source_row: Option<i64>,
}
