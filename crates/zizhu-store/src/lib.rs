//! zizhu-store: the registry's schema, migrations, queries and audit log, on
//! SQLite (the embedded county default) and PostgreSQL (a province) from one
//! query layer.
//!
//! ```text
//! let store = Store::connect("sqlite://zizhu.db").await?;
//! store.migrate().await?;
//! let mut tx = store
//!     .begin_write(AuditContext { actor: "张老师".into(), reason: "导入 2018秋 学生名单".into(), batch_id: Some(batch) })
//!     .await?;
//! let person = tx.upsert_person(&record, Some(row_no)).await?;
//! tx.commit().await?;
//! ```
//!
//! Invariants, stated as absences:
//!
//! - There is no public way to change registry data except a [`WriteTx`],
//!   and a `WriteTx` cannot be opened without an actor and a reason. Every
//!   changed row gets one `audit_log` entry, with its before and after
//!   values, in the same transaction.
//! - No SQL is written per dialect: every statement is a sea-query builder
//!   rendered for the active backend. The pools, raw SQL and sqlx
//!   transactions are not exposed.
//! - No list or count of students exists without a [`Scope`]; the
//!   jurisdiction filter is a `WHERE` clause, not a page's afterthought.
//! - Money is never a float: fen in BIGINT columns.

mod access;
mod aid;
mod audit;
mod browse;
mod bulk;
mod clock;
mod codec;
mod compare;
mod db;
mod entitlements;
mod error;
mod read;
mod records;
mod schema;
mod stats;
mod store;
#[cfg(feature = "pg-tests")]
pub mod testing;
mod write;

pub use access::{BatchUpload, NewSession, Session, UnmaskEntry, UnmaskRecord, User, UserRecord};
pub use aid::{AidStudent, Provenance, RecordKind, SchoolAidProfile, SchoolOwnership};
pub use browse::HouseholdFilter;
pub use clock::{now_utc, utc_after, utc_before};
pub use compare::{
    CompareRegistry, CompareRun, CompareRunCounts, ExceptionKind, ExceptionRecord, ExceptionStatus,
    LinkFilter, LinkRecord, LinkStatus, NewCompareRun, Placement, StoredException, StoredLink,
};
pub use db::Backend;
pub use entitlements::{
    EntitlementGap, EntitlementGroup, EntitlementRecord, EntitlementRun, EntitlementRunCounts,
    EntitlementSelection, EntitlementStatus, EntitlementTotal, FactSnapshot, NewEntitlementRun,
    StoredEntitlement,
};
pub use error::StoreError;
pub use read::{
    AuditFilter, PovertyFilter, Scope, StudentFilter, StudentGroup, StudentRow, StudentSearch,
};
pub use records::{
    AccountKind, AccountStatus, AuditAction, AuditEntry, BankAccount, BankAccountRecord, Batch,
    BatchCounts, BatchStatus, Enrollment, EnrollmentRecord, EnrollmentStatus, Guardian,
    GuardianRecord, Household, HouseholdRecord, ImportRowRecord, NewBatch, Outcome, Person,
    PersonRecord, PovertyStatus, RegionRecord, RowOutcome, School, SchoolRecord, Upserted,
};
pub use stats::StudentSummary;
pub use store::{DEFAULT_MAX_CONNECTIONS, Store, mask_url};
pub use write::{AuditContext, RollbackSummary, WriteTx};
