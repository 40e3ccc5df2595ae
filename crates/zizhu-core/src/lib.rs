//! zizhu-core: domain types and pure logic for the zizhu student-aid system.
//!
//! This crate does no IO at all (no files, network, environment or clock),
//! so every function here is deterministic and cheap to test.

pub mod bank;
pub mod date;
pub mod id;
pub mod mask;
pub mod money;
pub mod name;
pub mod region;
pub mod school;
pub mod stage;
pub mod term;
mod text;

pub use bank::{BankCard, BankError, Phone, PhoneError, luhn_valid};
pub use date::{Date, DateError};
pub use id::{IdError, IdNumber, Sex, SexError};
pub use money::{Fen, MoneyError};
pub use name::{NameError, PersonName, normalize_text};
pub use region::{RegionCode, RegionError, RegionLevel, TownshipKind};
pub use school::{SchoolCategory, SchoolCode, SchoolError, StudentNo, StudentNoKind};
pub use stage::{Grade, Stage, StageError};
pub use term::{Season, Term, TermError};
