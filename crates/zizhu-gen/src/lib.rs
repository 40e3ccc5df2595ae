//! zizhu-gen: a realistic synthetic county for zizhu's demo, tests and
//! benchmarks, because real registries are personal data of minors and
//! never leave a county office.
//!
//! [`generate()`] writes the lists the departments of a county like 宁远县
//! send each other (学籍, 建档立卡, 残联, 民政, 公安/卫健, bank accounts,
//! schools and regions), each laid out as that department lays it out and
//! carrying the errors real lists carry, plus the ground truth in `truth/`.
//! [`registry()`] yields the same county's clean facts school by school, for
//! loading into a database without reading the files back.
//!
//! Both are deterministic for a seed and stream: households are generated
//! one at a time from their own random streams, so a province-sized run
//! keeps only a few bytes per student in memory. See the README for every
//! file, its columns and the error model.

mod config;
mod error;
mod generate;
mod geo;
mod household;
mod inject;
mod lists;
mod model;
mod names;
mod plan;
mod policy;
mod registry;
mod rng;
mod schools;
mod sink;
mod summary;

pub use config::{
    DEFAULT_COUNTY, DEFAULT_SHEET_ROWS, ErrorKind, ErrorRates, Format, GenConfig, MAX_SHEET_ROWS,
    MAX_STUDENTS, MIN_STUDENTS,
};
pub use error::GenError;
pub use generate::{MANIFEST, TRUTH_DIR, generate};
pub use geo::{Geo, Township, Village};
pub use household::{DibaoKind, Disability, Poverty, PovertyStatus, StudyMode};
pub use inject::ErrorCount;
pub use lists::{FileSummary, ListFile};
pub use model::{
    AccountKind, BankAccount, Enrollment, Guardian, HouseholdFacts, Person, SchoolBatch, Student,
    StudentTruth,
};
pub use policy::{Entitlement, Policy};
pub use schools::{School, SchoolKind};
pub use sink::CsvEncoding;
pub use summary::{Indicators, PolicyTotal, Summary, TownshipSummary};

use plan::Plan;

/// The clean registry of a synthetic county, school by school.
///
/// Building it runs the plan (geography, schools and one pass over all
/// households, keeping ~8 bytes per student); each batch is then generated
/// when the iterator reaches it. Batches come in school order: the county's
/// schools, then the out-of-county schools of its 县外就读 students, then
/// the colleges of its 雨露计划 students ([`School::in_roster`] is false
/// for those). Empty schools yield empty batches.
pub struct Registry {
    plan: Plan,
    next: usize,
}

impl Registry {
    /// Every school, in batch order.
    pub fn schools(&self) -> &[School] {
        &self.plan.schools.schools
    }

    /// Townships and villages with their 12-digit codes.
    pub fn geo(&self) -> &Geo {
        &self.plan.geo
    }

    /// The term the registry describes.
    pub fn term(&self) -> zizhu_core::Term {
        self.plan.term
    }

    /// Number of enrolled students (all schools, in or out of the county).
    pub fn enrolled(&self) -> usize {
        self.plan.enrolled_household.len()
    }
}

impl Iterator for Registry {
    type Item = Result<SchoolBatch, GenError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.plan.schools.schools.len() {
            return None;
        }
        let school = self.next;
        self.next += 1;
        Some(registry::build_batch(&self.plan, school).map(|(batch, _)| batch))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.plan.schools.schools.len() - self.next;
        (left, Some(left))
    }
}

/// The clean registry for `config`, as an iterator of school batches that
/// match what [`generate()`] writes for the same configuration.
pub fn registry(config: &GenConfig) -> Result<Registry, GenError> {
    Ok(Registry {
        plan: Plan::build(config)?,
        next: 0,
    })
}
