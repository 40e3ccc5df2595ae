//! zizhu-core: domain types and pure logic for the zizhu student-aid system.
//!
//! This crate does no IO at all (no files, network, environment or clock),
//! so every function here is deterministic and cheap to test.
//!
//! ```
//! use zizhu_core::{Fen, IdNumber, Sex, Term};
//!
//! let id = IdNumber::parse("４３１１２６ 2012 0901 0017").unwrap();
//! assert_eq!(id.as_str(), "431126201209010017");
//! assert_eq!(id.sex(), Sex::Male);
//! assert_eq!(id.masked(), "431126********0017");
//! assert_eq!(
//!     IdNumber::parse("431126201209010018").unwrap_err().to_string(),
//!     "身份证号校验位错误：431126201209010018 的第18位应为 7，实为 8"
//! );
//!
//! let total = Fen::from_yuan(500) * 5_876;
//! assert_eq!(total.fmt_wan(), "293.8");
//! assert_eq!(Term::parse("2018-2019学年第二学期").unwrap().code(), "2019春");
//! ```

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
pub use id::{IdError, IdNumber, Sex, SexError, check_digit, repair_candidates};
pub use money::{Fen, MoneyError};
pub use name::{NameError, PersonName, normalize_text};
pub use region::{RegionCode, RegionError, RegionLevel, TownshipKind};
pub use school::{SchoolCategory, SchoolCode, SchoolError, StudentNo, StudentNoKind};
pub use stage::{Grade, Stage, StageError};
pub use term::{Season, Term, TermError};
