//! The 2018 Hunan aid standards the ground truth applies (MISSION.md §4 and
//! reference/policy-facts-2018.json), per term, in integer money.
//!
//! Scope follows the seed's own report: the items a county's poverty-relief
//! office pays or waives for the special groups (建档立卡 and the other
//! 困难 categories), not the universal waivers every student gets.

use crate::household::{DibaoKind, PovertyStatus};
use zizhu_core::{Fen, Stage};

/// An aid item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Policy {
    /// 学前教育幼儿资助 (建档立卡等幼儿入园补助): 500 元/学期.
    PreschoolAid,
    /// 义务教育家庭经济困难寄宿生生活补助（小学）: 500 元/学期.
    BoardingPrimary,
    /// 义务教育家庭经济困难寄宿生生活补助（初中）: 625 元/学期.
    BoardingJunior,
    /// 特殊教育学校学生生活补助: 500 元/学期 for every special-school student.
    SpecialSchool,
    /// 普通高中国家助学金 (建档立卡): 1500 元/学期.
    SeniorHighGrant,
    /// 普通高中免学杂费: the school's tuition, 800 or 1000 元/学期.
    SeniorHighFeeWaiver,
    /// 中职免学费: 1200 元/学期.
    VocationalFeeWaiver,
    /// 中职国家助学金 (建档立卡, 一、二年级): 1000 元/学期.
    VocationalGrant,
    /// 雨露计划职业教育补助 (建档立卡, 中职 and 高职): 1500 元/学期.
    Yulu,
}

impl Policy {
    pub const ALL: [Policy; 9] = [
        Policy::PreschoolAid,
        Policy::BoardingPrimary,
        Policy::BoardingJunior,
        Policy::SpecialSchool,
        Policy::SeniorHighGrant,
        Policy::SeniorHighFeeWaiver,
        Policy::VocationalFeeWaiver,
        Policy::VocationalGrant,
        Policy::Yulu,
    ];

    /// Machine code used in `truth/entitlements.csv`.
    pub fn code(&self) -> &'static str {
        match self {
            Policy::PreschoolAid => "preschool_aid",
            Policy::BoardingPrimary => "boarding_primary",
            Policy::BoardingJunior => "boarding_junior",
            Policy::SpecialSchool => "special_school",
            Policy::SeniorHighGrant => "senior_high_grant",
            Policy::SeniorHighFeeWaiver => "senior_high_fee_waiver",
            Policy::VocationalFeeWaiver => "vocational_fee_waiver",
            Policy::VocationalGrant => "vocational_grant",
            Policy::Yulu => "yulu",
        }
    }

    /// The Chinese name.
    pub fn label(&self) -> &'static str {
        match self {
            Policy::PreschoolAid => "学前教育幼儿资助",
            Policy::BoardingPrimary => "义务教育寄宿生生活补助（小学）",
            Policy::BoardingJunior => "义务教育寄宿生生活补助（初中）",
            Policy::SpecialSchool => "特殊教育学校学生生活补助",
            Policy::SeniorHighGrant => "普通高中国家助学金",
            Policy::SeniorHighFeeWaiver => "普通高中免学杂费",
            Policy::VocationalFeeWaiver => "中职免学费",
            Policy::VocationalGrant => "中职国家助学金",
            Policy::Yulu => "雨露计划职业教育补助",
        }
    }
}

/// One entitlement of one student for the term.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entitlement {
    pub policy: Policy,
    /// Amount for the term.
    pub amount: Fen,
    /// Why: the categories and facts the rule used, in Chinese.
    pub basis: String,
}

/// The facts the rules read.
pub(crate) struct Facts {
    pub poverty: Option<PovertyStatus>,
    pub dibao: Option<DibaoKind>,
    pub tekun: bool,
    pub orphan: bool,
    /// Holds a 残疾证.
    pub disabled: bool,
    pub stage: Stage,
    pub year: u8,
    pub boarding: bool,
    /// Enrolled in one of the county's own schools.
    pub in_county: bool,
    pub special_school: bool,
    /// The senior high school's tuition per term.
    pub fee: Option<Fen>,
    /// A 高职 (rather than 本科) student.
    pub higher_vocational: bool,
}

impl Facts {
    /// 建档立卡, 低保, 特困 or 孤残: the groups every 2018 rule names.
    fn special_group(&self) -> bool {
        self.poverty.is_some() || self.dibao.is_some() || self.tekun || self.orphan || self.disabled
    }

    fn categories(&self) -> String {
        let mut c: Vec<String> = Vec::new();
        match self.poverty {
            Some(PovertyStatus::NotExited) => c.push("建档立卡（未脱贫）".to_string()),
            Some(PovertyStatus::Exited(y)) => c.push(format!("建档立卡（{y}年脱贫）")),
            None => {}
        }
        if let Some(d) = self.dibao {
            c.push(d.label().to_string());
        }
        if self.tekun {
            c.push("特困供养".to_string());
        }
        if self.orphan {
            c.push("孤儿".to_string());
        }
        if self.disabled {
            c.push("残疾".to_string());
        }
        c.join("、")
    }
}

/// The student's entitlements for the term.
pub(crate) fn entitlements(f: &Facts) -> Vec<Entitlement> {
    let mut out = Vec::new();
    let mut add = |policy: Policy, yuan: i64, why: String| {
        out.push(Entitlement {
            policy,
            amount: Fen::from_yuan(yuan),
            basis: why,
        });
    };
    let cats = f.categories();
    let poor = f.poverty.is_some();
    // 雨露计划 is paid by the county of residence wherever the student is.
    let yulu =
        poor && (f.stage == Stage::Vocational || (f.stage == Stage::Higher && f.higher_vocational));
    if yulu {
        add(Policy::Yulu, 1500, format!("{cats}；{}在读", stage_word(f)));
    }
    // Everything else is paid by the school's county: only in-county
    // students are the county's to pay.
    if !f.in_county {
        return out;
    }
    match f.stage {
        Stage::Preschool if f.special_group() => {
            add(Policy::PreschoolAid, 500, format!("{cats}；在园幼儿"));
        }
        Stage::Primary | Stage::Junior if f.special_school => {
            add(Policy::SpecialSchool, 500, "特殊教育学校在校生".to_string());
        }
        Stage::Primary if f.boarding && f.special_group() => {
            add(Policy::BoardingPrimary, 500, format!("{cats}；小学寄宿生"));
        }
        Stage::Junior if f.boarding && f.special_group() => {
            add(Policy::BoardingJunior, 625, format!("{cats}；初中寄宿生"));
        }
        Stage::SeniorHigh => {
            if poor {
                add(Policy::SeniorHighGrant, 1500, format!("{cats}；普通高中"));
            }
            let rural_dibao = f.dibao == Some(DibaoKind::Rural);
            let rural_tekun = f.tekun && f.dibao != Some(DibaoKind::Urban);
            if poor || f.disabled || rural_dibao || rural_tekun {
                let fee = f.fee.unwrap_or(Fen::from_yuan(800));
                out.push(Entitlement {
                    policy: Policy::SeniorHighFeeWaiver,
                    amount: fee,
                    basis: format!("{cats}；学费标准{}元/学期", fee.0 / 100),
                });
            }
        }
        Stage::Vocational => {
            if f.special_group() {
                add(
                    Policy::VocationalFeeWaiver,
                    1200,
                    format!("{cats}；中职{}年级", f.year),
                );
            }
            if poor && f.year <= 2 {
                add(
                    Policy::VocationalGrant,
                    1000,
                    format!("{cats}；中职{}年级", f.year),
                );
            }
        }
        _ => {}
    }
    out
}

fn stage_word(f: &Facts) -> &'static str {
    match f.stage {
        Stage::Vocational => "中职",
        _ => "高职",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(stage: Stage) -> Facts {
        Facts {
            poverty: Some(PovertyStatus::Exited(2016)),
            dibao: None,
            tekun: false,
            orphan: false,
            disabled: false,
            stage,
            year: 1,
            boarding: true,
            in_county: true,
            special_school: false,
            fee: Some(Fen::from_yuan(1000)),
            higher_vocational: false,
        }
    }

    fn check(f: Facts, expected: &[(Policy, i64)]) {
        let got: Vec<(Policy, i64)> = entitlements(&f)
            .into_iter()
            .map(|e| (e.policy, e.amount.0 / 100))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn hunan_2018_standards() {
        check(facts(Stage::Preschool), &[(Policy::PreschoolAid, 500)]);
        check(facts(Stage::Primary), &[(Policy::BoardingPrimary, 500)]);
        check(facts(Stage::Junior), &[(Policy::BoardingJunior, 625)]);
        check(
            facts(Stage::SeniorHigh),
            &[
                (Policy::SeniorHighGrant, 1500),
                (Policy::SeniorHighFeeWaiver, 1000),
            ],
        );
        check(
            facts(Stage::Vocational),
            &[
                (Policy::Yulu, 1500),
                (Policy::VocationalFeeWaiver, 1200),
                (Policy::VocationalGrant, 1000),
            ],
        );
        let mut f = facts(Stage::Vocational);
        f.year = 3;
        check(
            f,
            &[(Policy::Yulu, 1500), (Policy::VocationalFeeWaiver, 1200)],
        );
        let mut f = facts(Stage::Higher);
        f.in_county = false;
        f.higher_vocational = true;
        check(f, &[(Policy::Yulu, 1500)]);
        let mut f = facts(Stage::Junior);
        f.boarding = false;
        check(f, &[]);
        let mut f = facts(Stage::Primary);
        f.poverty = None;
        check(f, &[]);
    }
}
