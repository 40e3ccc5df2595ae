//! zizhu-app: the use cases shared by the CLI and the web application,
//! each a step of the pipeline that joins the registry with the policy
//! engine.
//!
//! - [`entitle_term`] reads a term's students from the registry (paged,
//!   with the source of every fact), runs the policy engine, stores the
//!   result as an audited run and reports totals, gaps and what changed
//!   since the last run and why.
//! - [`explain_student`] explains one student end to end.
//! - [`coverage`] and [`summary`] read the stored ledger within a reader's
//!   scope for the dashboard.
//!
//! Invariants, stated as absences: this crate writes nothing except
//! through the store's audited [`zizhu_store::WriteTx`]; it never reads a
//! student list without a scope except the county's own computation input;
//! money never leaves integer fen; and a fact the registry does not hold is
//! never passed to the engine as 否 when the engine can take 未知.

mod compare;
mod dashboard;
mod entitle;
mod error;
mod explain;
mod facts;
mod snapshot;

pub use compare::{
    CompareOptions, CompareReport, CompareWrites, ExceptionLine, ListSummary, POPULATION_LIST,
    POVERTY_LIST, Thresholds, compare_term, exception_lines, reference_date, render_evidence,
    review_link, review_queue,
};
pub use dashboard::{CoverageGap, CoverageGroup, CoverageReport, coverage, summary};
pub use entitle::{
    ChangeKind, ChangeReason, EntitleOptions, EntitleReport, EntitlementChange, GapTotal, Timings,
    entitle_term, policy_fingerprint,
};
pub use error::AppError;
pub use explain::{explain_student, explain_student_in};
