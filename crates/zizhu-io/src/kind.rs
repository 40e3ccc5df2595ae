//! The kinds of list a county receives, and their names on the command line.

use crate::error::ImportError;
use crate::field::Field;
use std::fmt;

/// One kind of department list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// 学籍: the schools' student roster for a term.
    Roster,
    /// 建档立卡: the poverty office's registered households and members.
    Households,
    /// 残联: the disabled persons federation's list.
    Disabled,
    /// 民政: civil affairs' 低保, 特困 and orphan lists.
    Welfare,
    /// 卫健/公安: children by village from health or household registration.
    Population,
    /// 资助卡/一卡通: the accounts aid is paid into.
    Accounts,
    /// 学校: the school register.
    Schools,
    /// 行政区划: regions down to villages.
    Regions,
}

impl ListKind {
    /// Every kind, in the order imports usually run (codes before people).
    pub const ALL: &'static [ListKind] = &[
        ListKind::Regions,
        ListKind::Schools,
        ListKind::Households,
        ListKind::Roster,
        ListKind::Disabled,
        ListKind::Welfare,
        ListKind::Population,
        ListKind::Accounts,
    ];

    /// The command-line name.
    pub fn code(self) -> &'static str {
        match self {
            ListKind::Roster => "roster",
            ListKind::Households => "households",
            ListKind::Disabled => "disabled",
            ListKind::Welfare => "welfare",
            ListKind::Population => "population",
            ListKind::Accounts => "accounts",
            ListKind::Schools => "schools",
            ListKind::Regions => "regions",
        }
    }

    /// The Chinese name used in messages and stored as the batch's kind.
    pub fn label(self) -> &'static str {
        match self {
            ListKind::Roster => "学籍名单",
            ListKind::Households => "建档立卡户及成员名单",
            ListKind::Disabled => "残疾人名单",
            ListKind::Welfare => "民政救助名单",
            ListKind::Population => "适龄儿童户籍名单",
            ListKind::Accounts => "资助卡账户名单",
            ListKind::Schools => "学校名录",
            ListKind::Regions => "行政区划",
        }
    }

    /// Accepts the English code or a Chinese alias (学籍, 建档立卡, 残联, …).
    pub fn parse(s: &str) -> Result<ListKind, ImportError> {
        let t = s.trim().to_ascii_lowercase();
        let kind = match t.as_str() {
            "roster" | "students" | "学籍" | "学籍名单" | "学生" | "学生名单" | "在校生" => {
                ListKind::Roster
            }
            "households"
            | "household"
            | "poverty"
            | "建档立卡"
            | "建档立卡户"
            | "扶贫"
            | "扶贫办"
            | "贫困户"
            | "建档立卡户及成员名单" => ListKind::Households,
            "disabled" | "disability" | "残联" | "残疾" | "残疾人" | "残疾人名单" => {
                ListKind::Disabled
            }
            "welfare" | "civil" | "民政" | "低保" | "特困" | "孤儿" | "民政救助名单" => {
                ListKind::Welfare
            }
            "population"
            | "children"
            | "卫健"
            | "公安"
            | "户籍"
            | "人口"
            | "适龄儿童"
            | "适龄儿童户籍名单" => ListKind::Population,
            "accounts"
            | "account"
            | "bank"
            | "资助卡"
            | "一卡通"
            | "银行卡"
            | "账户"
            | "资助卡账户名单" => ListKind::Accounts,
            "schools" | "school" | "学校" | "学校名录" => ListKind::Schools,
            "regions" | "region" | "区划" | "行政区划" => ListKind::Regions,
            _ => {
                return Err(ImportError::UnknownKind {
                    text: s.to_string(),
                });
            }
        };
        Ok(kind)
    }

    /// The columns this kind needs: each inner slice is a choice, any one
    /// of which will do (a roster needs a school code or a school name).
    pub fn required(self) -> &'static [&'static [Field]] {
        use Field::*;
        match self {
            ListKind::Roster => &[&[Name], &[IdNumber], &[SchoolCode, SchoolName], &[Grade]],
            ListKind::Households => &[&[HouseholdNo], &[Name, HeadName]],
            ListKind::Disabled => &[&[Name], &[IdNumber], &[DisabilityCategory]],
            ListKind::Welfare => &[&[Name], &[IdNumber], &[WelfareType]],
            ListKind::Population => &[&[Name], &[IdNumber]],
            ListKind::Accounts => &[&[Name], &[IdNumber], &[AccountNo]],
            ListKind::Schools => &[&[SchoolCode], &[SchoolName], &[RegionCode, Township]],
            ListKind::Regions => &[&[RegionCode], &[RegionName]],
        }
    }

    /// Every column this kind can use, required ones included.
    pub fn accepted(self) -> &'static [Field] {
        use Field::*;
        match self {
            ListKind::Roster => &[
                Name,
                IdNumber,
                Sex,
                BirthDate,
                Ethnicity,
                HukouType,
                HukouPlace,
                StudentNo,
                LocalStudentNo,
                SchoolCode,
                SchoolName,
                Stage,
                Grade,
                ClassName,
                Term,
                Boarding,
                EnrollmentStatus,
                OutOfCounty,
                OutOfCountyPlace,
                PovertyType,
                Address,
                Province,
                City,
                County,
                Township,
                Village,
                Group,
                RegionCode,
                GuardianName,
                GuardianRelation,
                GuardianId,
                GuardianPhone,
                AccountNo,
                BankName,
                AccountKind,
                HolderName,
                HolderId,
                HolderRelation,
                PassbookHolder,
                PassbookHolderId,
                PassbookRelation,
                PassbookAccount,
                AidCardName,
                AidCardAccount,
                MentorName,
                MentorUnit,
                MentorPost,
                MentorPhone,
                LeftBehind,
                Orphan,
                MartyrChild,
                DisabilityCategory,
                DisabilityLevel,
                Phone,
            ],
            ListKind::Households => &[
                HouseholdNo,
                HeadName,
                HeadId,
                Relation,
                Name,
                IdNumber,
                Sex,
                BirthDate,
                Ethnicity,
                PovertyStatus,
                LiftedYear,
                Dibao,
                Tekun,
                Cause,
                Income,
                Address,
                Province,
                City,
                County,
                Township,
                Village,
                Group,
                RegionCode,
                Phone,
                HouseholdSize,
                InSchool,
                SchoolName,
                DisabilityCategory,
                DisabilityLevel,
            ],
            ListKind::Disabled => &[
                Name,
                IdNumber,
                Sex,
                BirthDate,
                Ethnicity,
                DisabilityCertNo,
                CertDate,
                DisabilityCategory,
                DisabilityLevel,
                Address,
                Province,
                City,
                County,
                Township,
                Village,
                Group,
                RegionCode,
                GuardianName,
                GuardianPhone,
                Phone,
                HukouType,
                HukouPlace,
            ],
            ListKind::Welfare => &[
                Name,
                IdNumber,
                Sex,
                BirthDate,
                Ethnicity,
                WelfareType,
                WelfareCertNo,
                WelfareStart,
                SupportMode,
                GuardianName,
                GuardianPhone,
                HeadName,
                HeadId,
                Relation,
                HouseholdNo,
                Address,
                Province,
                City,
                County,
                Township,
                Village,
                Group,
                RegionCode,
                Phone,
                HouseholdSize,
                Amount,
            ],
            ListKind::Population => &[
                Name,
                IdNumber,
                Sex,
                BirthDate,
                Ethnicity,
                HukouType,
                HukouPlace,
                Address,
                Province,
                City,
                County,
                Township,
                Village,
                Group,
                RegionCode,
                GuardianName,
                GuardianRelation,
                GuardianId,
                GuardianPhone,
                HeadName,
                Relation,
                LeftBehind,
            ],
            ListKind::Accounts => &[
                Name,
                IdNumber,
                AccountNo,
                AccountKind,
                BankName,
                HolderName,
                HolderId,
                HolderRelation,
                ValidFrom,
                SchoolName,
                SchoolCode,
                Phone,
                Province,
                City,
                County,
                Township,
                Village,
                Group,
            ],
            ListKind::Schools => &[
                SchoolCode,
                SchoolName,
                RegionCode,
                County,
                Township,
                Village,
                SchoolCategory,
                Stage,
                Public,
                Address,
                Phone,
                StudentCount,
                KeySchool,
                Tuition,
            ],
            ListKind::Regions => &[
                RegionCode,
                RegionName,
                ParentCode,
                RegionLevel,
                UrbanRuralCode,
            ],
        }
    }
}

impl fmt::Display for ListKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for ListKind {
    type Err = ImportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ListKind::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        for (text, kind) in [
            ("roster", ListKind::Roster),
            ("学籍", ListKind::Roster),
            ("建档立卡", ListKind::Households),
            ("残联", ListKind::Disabled),
            ("民政", ListKind::Welfare),
            ("卫健", ListKind::Population),
            ("公安", ListKind::Population),
            ("一卡通", ListKind::Accounts),
            ("SCHOOLS", ListKind::Schools),
            ("区划", ListKind::Regions),
        ] {
            assert_eq!(ListKind::parse(text).unwrap(), kind, "{text}");
        }
        for kind in ListKind::ALL {
            assert_eq!(ListKind::parse(kind.code()).unwrap(), *kind);
            assert_eq!(ListKind::parse(kind.label()).unwrap(), *kind);
        }
        let err = ListKind::parse("名单").unwrap_err().to_string();
        assert!(err.contains("roster（学籍名单）"), "{err}");
    }

    #[test]
    fn required_fields_are_accepted() {
        for kind in ListKind::ALL {
            for choice in kind.required() {
                for f in *choice {
                    assert!(kind.accepted().contains(f), "{kind}: {f:?}");
                }
            }
        }
    }
}
