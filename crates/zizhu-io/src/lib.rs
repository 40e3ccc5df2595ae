//! zizhu-io: the departments' lists in, the registry's ledgers out.
//!
//! Import reads `.xlsx`, old `.xls` and CSV (UTF-8 with or without BOM,
//! GBK/GB18030, UTF-16), finds the header under any title rows, recognises
//! the Chinese column names and their variants, validates every row with the
//! core's rules, writes the accepted rows in one audited transaction per file
//! and the rejected ones to a rejection report the school can fix and send
//! back. Export writes the registry and the three-level 台账 as xlsx with
//! personal data masked unless the caller may see it.
//!
//! Invariants, stated as absences:
//!
//! - No row is dropped without a trace: every data row is accepted, rejected
//!   (with a reason in the report) or counted unchanged, and
//!   `read = accepted + rejected + unchanged`.
//! - No partial file: a file that fails part-way leaves the registry as it
//!   was, because all of its writes are in one transaction.
//! - No formula is ever written: every exported or reported value is a text,
//!   number or date cell, so `=cmd|…` in a name stays text.
//! - No workbook is loaded whole: rows stream from the reader to the store.

pub mod error;
pub mod export;
pub mod field;
pub mod header;
mod import;
pub mod kind;
pub mod mapping;
pub mod read;
pub mod registry;
mod report;
mod text;
pub mod validate;
mod xlsx;

pub use error::{ExportError, ImportError};
pub use export::{
    ExportOptions, ExportSummary, LedgerLevel, Privacy, TableSheet, export_ledger, export_regions,
    export_schools, export_students, export_tables,
};
pub use field::Field;
pub use import::{
    ImportOptions, ImportSummary, PRECHECK_ROWS, SheetSummary, import_file, validate_file,
};
pub use kind::ListKind;
pub use mapping::Mapping;
pub use read::{Cell, FileFormat, RawRow, TextEncoding};
pub use report::REPORT_COLUMNS;
pub use text::column_letter;
