//! What to generate: the county, its size, the seed, the output formats and
//! how dirty the departments' lists should be.

use crate::error::GenError;
use zizhu_core::{Season, Term};

/// The 6-digit code of 宁远县, the county the synthetic data imitates.
pub const DEFAULT_COUNTY: &str = "431126";

/// Data rows per xlsx sheet before a list continues on the next sheet.
///
/// Excel holds at most 1,048,576 rows per sheet including the title and
/// header rows; a round million keeps the arithmetic obvious to a reader.
pub const DEFAULT_SHEET_ROWS: u32 = 1_000_000;

/// The largest number of data rows that fits on one sheet next to a title
/// row and a header row.
pub const MAX_SHEET_ROWS: u32 = 1_048_576 - 2;

/// Which file formats the department lists are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Only `.xlsx` workbooks.
    Xlsx,
    /// Only `.csv` files.
    Csv,
    /// Every list as both `.xlsx` and `.csv`.
    Both,
}

impl Format {
    /// Whether `.xlsx` files are written.
    pub fn xlsx(&self) -> bool {
        matches!(self, Format::Xlsx | Format::Both)
    }

    /// Whether `.csv` files are written.
    pub fn csv(&self) -> bool {
        matches!(self, Format::Csv | Format::Both)
    }

    /// Parses `xlsx`, `csv` or `both` (also 两者/全部), for the CLI.
    pub fn parse(s: &str) -> Result<Format, GenError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xlsx" | "excel" => Ok(Format::Xlsx),
            "csv" => Ok(Format::Csv),
            "both" | "all" | "两者" | "全部" => Ok(Format::Both),
            other => Err(GenError::InvalidConfig {
                field: "format",
                message: format!("无法识别的格式“{other}”，应为 xlsx、csv 或 both"),
            }),
        }
    }
}

/// The kinds of errors that real department lists contain and the generator
/// injects, each recorded in `truth/errors.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// The ID number cell is empty although the person has an ID.
    IdMissing,
    /// One of the first 17 digits of the ID number is replaced by another.
    IdDigitWrong,
    /// Two adjacent, different digits of the ID number are swapped.
    IdTransposed,
    /// The 18-digit ID is written in its legacy 15-digit form (only possible
    /// for people born 1900–1999).
    IdLegacy15,
    /// The check character `X` is written as lower-case `x`.
    IdLowercaseX,
    /// The name is written in traditional characters (zhconv zh-Hant).
    NameTraditional,
    /// One character of the given name is replaced by a homophone.
    NameHomophone,
    /// A date cell of an xlsx file holds an Excel serial number (a real
    /// date cell) instead of the file's text format.
    ExcelSerialDate,
    /// The bank account listed was closed; the number still passes Luhn.
    BankAccountClosed,
    /// One digit of the card number was mistyped; it fails Luhn.
    BankCardMistyped,
    /// The whole row appears twice in the list.
    DuplicateRow,
    /// A name or ID cell carries a trailing half- or full-width space.
    TrailingSpace,
    /// The digits of an ID, phone or card cell are full-width (０-９).
    FullwidthDigits,
    /// The 扶贫 list's 在校生状况 is last year's status.
    StaleSchoolStatus,
}

impl ErrorKind {
    /// Every kind, in the order of the [`ErrorRates`] fields.
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::IdMissing,
        ErrorKind::IdDigitWrong,
        ErrorKind::IdTransposed,
        ErrorKind::IdLegacy15,
        ErrorKind::IdLowercaseX,
        ErrorKind::NameTraditional,
        ErrorKind::NameHomophone,
        ErrorKind::ExcelSerialDate,
        ErrorKind::BankAccountClosed,
        ErrorKind::BankCardMistyped,
        ErrorKind::DuplicateRow,
        ErrorKind::TrailingSpace,
        ErrorKind::FullwidthDigits,
        ErrorKind::StaleSchoolStatus,
    ];

    /// The machine code written to `truth/errors.csv`.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::IdMissing => "id_missing",
            ErrorKind::IdDigitWrong => "id_digit_wrong",
            ErrorKind::IdTransposed => "id_transposed",
            ErrorKind::IdLegacy15 => "id_legacy15",
            ErrorKind::IdLowercaseX => "id_lowercase_x",
            ErrorKind::NameTraditional => "name_traditional",
            ErrorKind::NameHomophone => "name_homophone",
            ErrorKind::ExcelSerialDate => "excel_serial_date",
            ErrorKind::BankAccountClosed => "bank_account_closed",
            ErrorKind::BankCardMistyped => "bank_card_mistyped",
            ErrorKind::DuplicateRow => "duplicate_row",
            ErrorKind::TrailingSpace => "trailing_space",
            ErrorKind::FullwidthDigits => "fullwidth_digits",
            ErrorKind::StaleSchoolStatus => "stale_school_status",
        }
    }

    /// The Chinese label, for people reading the truth files.
    pub fn label(&self) -> &'static str {
        match self {
            ErrorKind::IdMissing => "身份证号缺失",
            ErrorKind::IdDigitWrong => "身份证号错一位",
            ErrorKind::IdTransposed => "身份证号相邻位颠倒",
            ErrorKind::IdLegacy15 => "15位旧身份证号",
            ErrorKind::IdLowercaseX => "校验位小写x",
            ErrorKind::NameTraditional => "姓名为繁体字",
            ErrorKind::NameHomophone => "姓名同音字",
            ErrorKind::ExcelSerialDate => "Excel日期序号",
            ErrorKind::BankAccountClosed => "账户已销户",
            ErrorKind::BankCardMistyped => "卡号录错",
            ErrorKind::DuplicateRow => "重复行",
            ErrorKind::TrailingSpace => "多余空格",
            ErrorKind::FullwidthDigits => "全角数字",
            ErrorKind::StaleSchoolStatus => "在校生状况未更新",
        }
    }

    /// The kind with this machine code.
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// How often each kind of error is injected, in per-mille (‰) of the cells
/// or rows where that kind can occur (see the README for what counts as an
/// opportunity for each kind).
///
/// Integers rather than floats keep the configuration exact and the
/// generator free of floating point, like the rest of zizhu.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorRates {
    pub id_missing: u16,
    pub id_digit_wrong: u16,
    pub id_transposed: u16,
    pub id_legacy15: u16,
    pub id_lowercase_x: u16,
    pub name_traditional: u16,
    pub name_homophone: u16,
    pub excel_serial_date: u16,
    pub bank_account_closed: u16,
    pub bank_card_mistyped: u16,
    pub duplicate_row: u16,
    pub trailing_space: u16,
    pub fullwidth_digits: u16,
    pub stale_school_status: u16,
}

impl Default for ErrorRates {
    /// Rates of the order seen in real county lists: a few per cent for
    /// most kinds, more for habits such as a lower-case `x`.
    fn default() -> Self {
        ErrorRates {
            id_missing: 10,
            id_digit_wrong: 8,
            id_transposed: 5,
            id_legacy15: 40,
            id_lowercase_x: 200,
            name_traditional: 15,
            name_homophone: 10,
            excel_serial_date: 100,
            bank_account_closed: 30,
            bank_card_mistyped: 10,
            duplicate_row: 5,
            trailing_space: 20,
            fullwidth_digits: 5,
            stale_school_status: 50,
        }
    }
}

impl ErrorRates {
    /// Clean lists: no injected errors at all.
    pub fn none() -> ErrorRates {
        ErrorRates::uniform(0)
    }

    /// The same rate for every kind.
    pub fn uniform(per_mille: u16) -> ErrorRates {
        let mut r = ErrorRates::none_inner();
        for k in ErrorKind::ALL {
            r.set(k, per_mille);
        }
        r
    }

    fn none_inner() -> ErrorRates {
        ErrorRates {
            id_missing: 0,
            id_digit_wrong: 0,
            id_transposed: 0,
            id_legacy15: 0,
            id_lowercase_x: 0,
            name_traditional: 0,
            name_homophone: 0,
            excel_serial_date: 0,
            bank_account_closed: 0,
            bank_card_mistyped: 0,
            duplicate_row: 0,
            trailing_space: 0,
            fullwidth_digits: 0,
            stale_school_status: 0,
        }
    }

    /// The rate of one kind, in per-mille.
    pub fn get(&self, kind: ErrorKind) -> u16 {
        match kind {
            ErrorKind::IdMissing => self.id_missing,
            ErrorKind::IdDigitWrong => self.id_digit_wrong,
            ErrorKind::IdTransposed => self.id_transposed,
            ErrorKind::IdLegacy15 => self.id_legacy15,
            ErrorKind::IdLowercaseX => self.id_lowercase_x,
            ErrorKind::NameTraditional => self.name_traditional,
            ErrorKind::NameHomophone => self.name_homophone,
            ErrorKind::ExcelSerialDate => self.excel_serial_date,
            ErrorKind::BankAccountClosed => self.bank_account_closed,
            ErrorKind::BankCardMistyped => self.bank_card_mistyped,
            ErrorKind::DuplicateRow => self.duplicate_row,
            ErrorKind::TrailingSpace => self.trailing_space,
            ErrorKind::FullwidthDigits => self.fullwidth_digits,
            ErrorKind::StaleSchoolStatus => self.stale_school_status,
        }
    }

    /// Sets the rate of one kind, in per-mille.
    pub fn set(&mut self, kind: ErrorKind, per_mille: u16) {
        let slot = match kind {
            ErrorKind::IdMissing => &mut self.id_missing,
            ErrorKind::IdDigitWrong => &mut self.id_digit_wrong,
            ErrorKind::IdTransposed => &mut self.id_transposed,
            ErrorKind::IdLegacy15 => &mut self.id_legacy15,
            ErrorKind::IdLowercaseX => &mut self.id_lowercase_x,
            ErrorKind::NameTraditional => &mut self.name_traditional,
            ErrorKind::NameHomophone => &mut self.name_homophone,
            ErrorKind::ExcelSerialDate => &mut self.excel_serial_date,
            ErrorKind::BankAccountClosed => &mut self.bank_account_closed,
            ErrorKind::BankCardMistyped => &mut self.bank_card_mistyped,
            ErrorKind::DuplicateRow => &mut self.duplicate_row,
            ErrorKind::TrailingSpace => &mut self.trailing_space,
            ErrorKind::FullwidthDigits => &mut self.fullwidth_digits,
            ErrorKind::StaleSchoolStatus => &mut self.stale_school_status,
        };
        *slot = per_mille;
    }
}

/// Everything [`crate::generate()`] and [`crate::registry()`] need to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// The county's 6-digit administrative code; default `431126` (宁远县).
    pub county: String,
    /// The target number of students enrolled in the county's own schools
    /// (学前 to 高中/中职); the result lands within a few per cent of it.
    pub students: u64,
    /// The seed; the same seed and configuration give byte-identical files.
    pub seed: u64,
    /// Which formats the department lists are written in.
    pub format: Format,
    /// The term the roster and the entitlements describe; default 2018秋.
    pub term: Term,
    /// How often each kind of error is injected into the lists.
    pub errors: ErrorRates,
    /// Data rows per xlsx sheet before a list continues on the next sheet;
    /// at most [`MAX_SHEET_ROWS`]. Lower it to see or test the splitting.
    pub xlsx_sheet_rows: u32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            county: DEFAULT_COUNTY.to_string(),
            students: 150_000,
            seed: 1,
            format: Format::Both,
            term: Term::new(2018, Season::Autumn),
            errors: ErrorRates::default(),
            xlsx_sheet_rows: DEFAULT_SHEET_ROWS,
        }
    }
}

/// The smallest county the generator builds; below this most schools would
/// be empty and the statistics meaningless.
pub const MIN_STUDENTS: u64 = 100;

/// The largest run accepted: four provinces' worth, far beyond any test.
pub const MAX_STUDENTS: u64 = 50_000_000;

impl GenConfig {
    /// Checks the configuration, naming the offending field in Chinese.
    pub fn validate(&self) -> Result<(), GenError> {
        let c = self.county.as_str();
        let digits = c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit());
        if !digits || !zizhu_core::region::is_province_prefix(&c[..2.min(c.len())]) {
            return Err(GenError::InvalidConfig {
                field: "county",
                message: format!("县级行政区划代码应为6位数字（如 431126），实为“{c}”"),
            });
        }
        if &c[4..] == "00" {
            return Err(GenError::InvalidConfig {
                field: "county",
                message: format!("“{c}”是省级或地级代码，应为县级代码（末两位不为00）"),
            });
        }
        if !(MIN_STUDENTS..=MAX_STUDENTS).contains(&self.students) {
            return Err(GenError::InvalidConfig {
                field: "students",
                message: format!(
                    "学生数应在 {MIN_STUDENTS} 至 {MAX_STUDENTS} 之间，实为 {}",
                    self.students
                ),
            });
        }
        for k in ErrorKind::ALL {
            let r = self.errors.get(k);
            if r > 1000 {
                return Err(GenError::InvalidConfig {
                    field: "errors",
                    message: format!("错误率“{}”为 {r}‰，不能超过 1000‰", k.label()),
                });
            }
        }
        if !(1..=MAX_SHEET_ROWS).contains(&self.xlsx_sheet_rows) {
            return Err(GenError::InvalidConfig {
                field: "xlsx_sheet_rows",
                message: format!(
                    "每个工作表的数据行数应在 1 至 {MAX_SHEET_ROWS} 之间，实为 {}",
                    self.xlsx_sheet_rows
                ),
            });
        }
        let y = self.term.year();
        if !(2000..=2090).contains(&y) {
            return Err(GenError::InvalidConfig {
                field: "term",
                message: format!("学期年份应在 2000 至 2090 之间，实为 {y}"),
            });
        }
        Ok(())
    }

    /// The county's name: 宁远县 for its own code, otherwise a neutral
    /// stand-in, because the townships and villages are always 宁远's.
    pub fn county_name(&self) -> &'static str {
        if self.county == DEFAULT_COUNTY {
            "宁远县"
        } else {
            "模拟县"
        }
    }
}
