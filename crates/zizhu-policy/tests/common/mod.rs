//! Helpers shared by the integration tests: a student builder with sensible
//! defaults (enrolled, valid bank account, day student, public school) so
//! that each test states only the facts it is about.

// Each test binary uses a different subset of these helpers, so an
// `#[expect(dead_code)]` would be unfulfilled in some of them.
#![allow(dead_code)]

use zizhu_core::{Fen, Grade, Stage, Term};
use zizhu_policy::*;

pub fn term(s: &str) -> Term {
    Term::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

pub fn hunan() -> PolicySet {
    PolicySet::load(HUNAN_2018_TOML, "hunan-2018.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Loads the Hunan file after replacing `from` with `to` (which must occur).
pub fn hunan_with(from: &str, to: &str) -> PolicySet {
    assert!(HUNAN_2018_TOML.contains(from), "not in the file: {from}");
    let text = HUNAN_2018_TOML.replacen(from, to, 1);
    PolicySet::load(&text, "hunan-2018.toml").unwrap_or_else(|e| panic!("{e}"))
}

pub fn student(person: &str, t: Term, stage: Stage, grade: u8) -> StudentFacts {
    let mut s = StudentFacts::new(
        PersonKey::new(person).unwrap(),
        t,
        SchoolKey::new("3643000001").unwrap(),
        TownshipKey::new("舂陵街道").unwrap(),
        Grade::new(stage, grade).unwrap(),
    );
    s.boarding = Some(false);
    s.enrollment_confirmed = Some(true);
    s.bank_account = Some(BankAccount::Valid);
    if stage == Stage::SeniorHigh {
        s.school_fee_per_term = Some(Fen::from_yuan(800));
    }
    s.sources = Sources::record(&format!("roster.xlsx!学籍!{person}"));
    s
}

/// `CODE 625.00 可发放` for each entitlement, in result order.
pub fn lines(r: &TermResult) -> Vec<String> {
    r.entitlements
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e.policy_code,
                e.amount.fmt_yuan(),
                e.status.label_in(&r.policies)
            )
        })
        .collect()
}

/// The entitlements of one student, as lines.
pub fn lines_of(r: &TermResult, person: &str) -> Vec<String> {
    let i = r.find_student(person).expect("student in result");
    r.entitlements_of(i)
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e.policy_code,
                e.amount.fmt_yuan(),
                e.status.label_in(&r.policies)
            )
        })
        .collect()
}
