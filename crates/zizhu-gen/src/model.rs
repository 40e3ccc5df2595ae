//! The clean registry as public structs: what [`crate::registry()`] yields,
//! school by school, for loading the synthetic county into a database.
//!
//! These are the true facts; the lists on disk are these facts as the
//! departments wrote them down, with the errors in `truth/errors.csv`.

use crate::household::{DibaoKind, Disability, Poverty, StudyMode};
use crate::policy::Entitlement;
use crate::schools::School;
use zizhu_core::{Date, Grade, IdNumber, SchoolCode, Sex, Stage, Term};

/// One school and every student it has this term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolBatch {
    pub school: School,
    /// The students, ordered by grade, class and household.
    pub students: Vec<Student>,
}

/// A student with everything the county knows (or should know) about them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Student {
    pub person: Person,
    pub household: HouseholdFacts,
    pub guardian: Guardian,
    pub enrollment: Enrollment,
    /// The account the county pays aid into, when one is on the bank list.
    pub bank_account: Option<BankAccount>,
    /// What the student is entitled to this term, by the 2018 Hunan rules.
    pub entitlements: Vec<Entitlement>,
    pub truth: StudentTruth,
}

/// A person's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Stable key of the synthetic person, e.g. `P000012345-02`; the same
    /// key is used in every truth file.
    pub key: String,
    /// Full name (simplified characters).
    pub name: String,
    /// The surname, which may have two characters (欧阳).
    pub surname: String,
    pub sex: Sex,
    pub birth_date: Date,
    /// The 18-digit ID, or None for a child without a usable one.
    pub id_number: Option<IdNumber>,
    /// 全国学籍号: G + ID, or a J/L number for children without an ID.
    pub student_no: String,
    /// 民族, e.g. 汉族 or 瑶族.
    pub ethnicity: &'static str,
    /// 户口所在地 down to the 组.
    pub hukou_address: String,
    /// 家庭现地址 (the destination city for migrant families).
    pub current_address: String,
    pub township_code: String,
    pub township: String,
    pub village_code: String,
    pub village: String,
    /// 村民小组 number.
    pub group: u8,
    pub disability: Option<Disability>,
}

/// Facts about the student's household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdFacts {
    /// Stable household key, e.g. `H000012345`.
    pub key: String,
    /// The 扶贫 户编号 when the household is registered poor.
    pub poverty_no: Option<String>,
    /// 建档立卡 status and cause.
    pub poverty: Option<Poverty>,
    pub dibao: Option<DibaoKind>,
    pub head_name: String,
    pub head_id: Option<IdNumber>,
    /// Members, as the 扶贫 list's 人口数 counts them.
    pub size: u8,
    /// The city a migrant family works in.
    pub migrant_city: Option<String>,
    /// 留守: both parents work away and grandparents look after the child.
    pub left_behind: bool,
}

/// The student's guardian (监护人).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guardian {
    pub name: String,
    pub id_number: Option<IdNumber>,
    /// Relation to the student: 父亲, 母亲, 祖父, 祖母, 叔叔 …
    pub relation: &'static str,
    /// Mobile number, possibly empty.
    pub phone: String,
}

/// The enrolment this term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    pub term: Term,
    pub school_code: SchoolCode,
    pub school_name: String,
    pub stage: Stage,
    pub grade: Grade,
    pub class_name: String,
    pub boarding: bool,
    pub mode: StudyMode,
    /// Where the school is (for 县外就读 the city).
    pub place: String,
}

/// What kind of account aid is paid into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// 资助卡 in the student's name.
    AidCard,
    /// 一卡通 (惠民惠农财政补贴资金一卡通) in the household head's name.
    HouseholdCard,
    /// 明白折 passbook in the household head's name.
    Passbook,
}

impl AccountKind {
    pub fn label(&self) -> &'static str {
        match self {
            AccountKind::AidCard => "资助卡",
            AccountKind::HouseholdCard => "一卡通",
            AccountKind::Passbook => "明白折",
        }
    }
}

/// A bank account (the live one; the bank list may show a closed one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankAccount {
    /// 开户行.
    pub bank: String,
    /// 19-digit number passing Luhn.
    pub number: String,
    pub kind: AccountKind,
    pub holder_name: String,
    pub holder_id: Option<IdNumber>,
    /// The holder's relation to the student: 本人, 父亲, 祖父 …
    pub relation: &'static str,
    pub opened: Date,
}

/// Ground-truth flags a linker has to discover from the lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StudentTruth {
    pub orphan: bool,
    /// 特困供养.
    pub tekun: bool,
    /// Holds a 残疾证.
    pub disabled: bool,
    /// The person key of the twin, if the student is a twin.
    pub twin_of: Option<String>,
}
