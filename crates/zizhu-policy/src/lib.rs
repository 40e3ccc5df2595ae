//! zizhu-policy: the aid policy engine, with 补、助、免、奖、贷 as data.
//!
//! Policies live in one TOML file per province and year (see the README for
//! the format); [`PolicySet::load`] validates a file completely or returns
//! every mistake with its line and field, in Chinese. [`entitle`] computes a
//! term's entitlements for a whole population, each with a [`Trace`] of the
//! rule and facts behind it; [`TermResult::explain`] renders one student's
//! situation, [`TermResult::coverage`] lists 应享未享 cases, [`summarize`]
//! totals 人次 and 金额, and [`diff()`] says what a registry change changed.
//!
//! This crate does no IO: the shipped policy file is embedded with
//! `include_str!`, and loaders take the text and a file name for messages.

pub mod coverage;
pub mod diff;
pub mod engine;
mod explain;
pub mod facts;
pub mod key;
mod load;
pub mod policy;
pub mod rule;
pub mod summary;

pub use coverage::{Coverage, Gap, GapKind};
pub use diff::{Change, ChangeKind, Reason, diff};
pub use engine::{Basis, Cause, Entitlement, Status, TermResult, Trace, entitle, entitle_owned};
pub use explain::PlaceNames;
pub use facts::{
    BankAccount, Codes, Difficulty, Disability, Fact, FactSet, PovertyStatus, Recognition,
    SchoolType, Sources, StudentFacts,
};
pub use key::{KeyError, PersonKey, PolicyCode, SchoolKey, TownshipKey};
pub use load::{HUNAN_2018_TOML, PolicyError, PolicyLoadError};
pub use policy::{
    Amount, Category, Funding, FundingLevel, FundingSplit, Level, PaymentMode, Policy, PolicySet,
    PovertyRule,
};
pub use rule::{Rule, RuleError, Tri};
pub use summary::{Dimension, Summary, SummaryRow, summarize};
