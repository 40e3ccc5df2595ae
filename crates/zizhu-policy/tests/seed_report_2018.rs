//! The seed's year-end table (宁远县 2018, MISSION.md §6) reproduced from a
//! population, for every item whose standard is uniform.
//!
//! How the seed counts 人次: one 人次 is one payment to one student for one
//! term, so a student paid in both the spring and the autumn term of 2018 is
//! two 人次; the yearly figures are the sum of the two terms. Checked against
//! the standards: 5,876 × 500 元 = 293.8 万元 only works per term (500 元 is
//! a term's amount), and likewise 2,357 × 1,500 = 353.55 万元.
//!
//! The population below is built per term so that the two terms' 人次 add up
//! to the seed's: e.g. 高中国家助学金 1,179 in 2018春 + 1,178 in 2018秋 =
//! 2,357. The seed's items are all 建档立卡 students, so every eligible
//! student here is 建档立卡; ineligible students are added too, to show they
//! change nothing (and to give the quotas a realistic base).

mod common;

use common::*;
use zizhu_core::{Fen, Stage, Term};
use zizhu_policy::*;

/// Students of one term: (stage, grade, count, out of county).
struct Cohort {
    stage: Stage,
    grade: u8,
    poor: usize,
    not_poor: usize,
    out_of_county: bool,
    special_school: bool,
}

fn cohort(stage: Stage, grade: u8, poor: usize) -> Cohort {
    Cohort {
        stage,
        grade,
        poor,
        not_poor: 0,
        out_of_county: false,
        special_school: false,
    }
}

fn population(t: Term, cohorts: &[Cohort]) -> Vec<StudentFacts> {
    let mut out = Vec::new();
    for (ci, c) in cohorts.iter().enumerate() {
        for i in 0..c.poor + c.not_poor {
            let mut s = student(
                &format!("{}-{ci}-{i}", t.season().label()),
                t,
                c.stage,
                c.grade,
            );
            // Spread students over schools and townships as a county would.
            s.school = SchoolKey::new(&format!("36430000{:02}", i % 40)).unwrap();
            s.township = TownshipKey::new(&format!("4311261{:02}", i % 20)).unwrap();
            s.out_of_county = c.out_of_county;
            s.special_school = c.special_school;
            if i < c.poor {
                s.poverty = PovertyStatus::NotLifted;
                s.rural_hukou = true;
            }
            out.push(s);
        }
    }
    out
}

#[test]
fn seed_report_2018() {
    let set = hunan();
    let spring = term("2018春");
    let autumn = term("2018秋");
    // 中职: grades 1–2 get the grant, grades 1–3 the fee waiver.
    // 雨露计划 adds 高职 students, who study outside the county.
    let term_cohorts = |preschool, high, g1, g2, g3, college| {
        vec![
            Cohort {
                not_poor: 500,
                ..cohort(Stage::Preschool, 2, preschool)
            },
            Cohort {
                not_poor: 300,
                ..cohort(Stage::SeniorHigh, 1, high)
            },
            cohort(Stage::Vocational, 1, g1),
            cohort(Stage::Vocational, 2, g2),
            cohort(Stage::Vocational, 3, g3),
            Cohort {
                out_of_county: true,
                ..cohort(Stage::Higher, 2, college)
            },
            // The county special-education school: 275 students at 500 元 a term.
            Cohort {
                not_poor: 275,
                special_school: true,
                ..cohort(Stage::Primary, 3, 0)
            },
        ]
    };
    let pop_spring = population(spring, &term_cohorts(2938, 1179, 357, 356, 242, 1361));
    let pop_autumn = population(autumn, &term_cohorts(2938, 1178, 357, 356, 241, 1361));
    let r_spring = entitle(&set, spring, &pop_spring);
    let r_autumn = entitle(&set, autumn, &pop_autumn);
    let year = summarize(&[&r_spring, &r_autumn], Dimension::Policy);

    let check = |code: &str, person_times: u64, wan: &str, yuan: i64| {
        let row = year
            .row(code)
            .unwrap_or_else(|| panic!("no row {code}:\n{}", year.render()));
        assert_eq!(row.person_times, person_times, "{code} 人次");
        assert_eq!(row.amount, Fen::from_yuan(yuan), "{code} 金额");
        assert_eq!(row.wan(), wan, "{code} 万元");
    };
    // 项目                    人次     万元      元
    check("PRESCHOOL", 5_876, "293.8", 2_938_000);
    check("HIGH_SCHOOL_GRANT", 2_357, "353.55", 3_535_500);
    check("VOC_GRANT", 1_426, "142.6", 1_426_000);
    check("VOC_TUITION_WAIVER", 1_909, "229.08", 2_290_800);
    check("YULU", 4_631, "694.65", 6_946_500);
    check("SPECIAL_EDU_LIVING", 550, "27.5", 275_000);

    // The total row is the sum of the rows, so this report adds up — unlike
    // the seed's, whose items sum to 4,202.27 万元 against a stated 3,492.13989.
    let rows_sum: i64 = year.rows.iter().map(|r| r.amount.0).sum();
    assert_eq!(year.total.amount.0, rows_sum);
    assert_eq!(
        year.total.person_times,
        year.rows.iter().map(|r| r.person_times).sum::<u64>()
    );

    // Every eligible student is reached (应享尽享) and nothing was skipped.
    assert!(
        r_spring.coverage().is_empty(),
        "{}",
        r_spring.coverage().render()
    );
    assert!(r_autumn.coverage().is_empty());
    // Preschool guaranteed children exceed the 15% quota, which the
    // engine pays anyway and flags for review, naming the policy as a
    // reader of Chinese knows it.
    assert!(
        r_spring
            .warnings
            .iter()
            .any(|w| w.starts_with("「学前教育家庭经济困难幼儿入园补助」：")),
        "{:?}",
        r_spring.warnings
    );

    // Per term, per category and per township summaries agree with the total.
    for by in [
        Dimension::Term,
        Dimension::Category,
        Dimension::Township,
        Dimension::School,
    ] {
        let s = summarize(&[&r_spring, &r_autumn], by);
        assert_eq!(s.total, year.total.clone(), "{by:?}");
    }
    let by_term = summarize(&[&r_spring, &r_autumn], Dimension::Term);
    assert_eq!(
        by_term
            .rows
            .iter()
            .map(|r| r.key.as_str())
            .collect::<Vec<_>>(),
        ["2018春", "2018秋"]
    );
}
