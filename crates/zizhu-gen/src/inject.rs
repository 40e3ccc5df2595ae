//! Error injection: turns a clean row into the row a real department would
//! send, and records every change so tests and the importer can check
//! themselves against it.
//!
//! Each cell gets at most one error, tried in a fixed order; a kind's
//! "opportunities" are the cells (or rows) where it could still be applied
//! when its turn came, so injected/opportunities converges on the rate.

use crate::config::{ErrorKind, ErrorRates};
use crate::names;
use crate::rng::{GenRng, chance};
use rand::Rng;
use std::collections::BTreeMap;
use zizhu_core::{Date, IdNumber};

/// A clean cell, typed so the injector knows which errors fit it.
#[derive(Clone, Debug)]
pub(crate) enum Cell {
    /// Text that is never corrupted (codes, labels, addresses).
    Text(String),
    /// A number, written as a number in xlsx (序号, 人口数).
    Num(i64),
    /// A person's name: the full name and the byte length of its surname,
    /// so that homophones only touch the given name.
    Name(String, usize),
    /// An ID number (empty when the person has none).
    Id(Option<IdNumber>),
    /// A phone number (possibly empty).
    Phone(String),
    /// A date, with its text in the file's own format.
    Date(Date, String),
    /// A bank card number, and the closed account that may replace it.
    Card { number: String, stale: String },
    /// The 扶贫 list's 在校生状况, and last year's value if it differs.
    Status {
        value: String,
        stale: Option<String>,
    },
}

impl Cell {
    /// A name cell from the full name and its surname.
    pub(crate) fn name(full: String, surname: &str) -> Cell {
        let split = if full.starts_with(surname) {
            surname.len()
        } else {
            0
        };
        Cell::Name(full, split)
    }

    /// A text cell.
    pub(crate) fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
}

/// How a finished cell goes into an xlsx sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XlsxValue {
    /// As the text.
    Text,
    /// As a number.
    Num(i64),
    /// As a real date cell: an Excel serial number with a date format.
    Serial(i64),
}

/// A finished cell.
#[derive(Clone, Debug)]
pub(crate) struct OutCell {
    pub text: String,
    pub xlsx: XlsxValue,
}

impl OutCell {
    fn text(text: String) -> OutCell {
        OutCell {
            text,
            xlsx: XlsxValue::Text,
        }
    }
}

/// One injected change to one cell.
#[derive(Clone, Debug)]
pub(crate) struct CellError {
    pub column: usize,
    pub kind: ErrorKind,
    pub original: String,
    pub corrupted: String,
    /// Whether the change only exists in the xlsx file.
    pub xlsx_only: bool,
}

/// Injected and possible counts per kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorCount {
    /// How many errors of this kind were injected (copies in duplicate rows
    /// not counted).
    pub injected: u64,
    /// How many cells or rows could have received this kind.
    pub opportunities: u64,
}

/// Counts for every kind.
pub(crate) type ErrorCounts = BTreeMap<ErrorKind, ErrorCount>;

/// Applies the configured rates to rows.
pub(crate) struct Injector<'a> {
    pub rates: &'a ErrorRates,
    /// Whether an xlsx file is written (Excel serial dates only exist there).
    pub xlsx: bool,
    pub counts: ErrorCounts,
}

impl<'a> Injector<'a> {
    pub(crate) fn new(rates: &'a ErrorRates, xlsx: bool) -> Injector<'a> {
        let counts = ErrorKind::ALL
            .into_iter()
            .map(|k| (k, ErrorCount::default()))
            .collect();
        Injector {
            rates,
            xlsx,
            counts,
        }
    }

    /// Counts an opportunity for `kind` and rolls for it.
    fn roll(&mut self, rng: &mut GenRng, kind: ErrorKind) -> bool {
        let hit = chance(rng, u32::from(self.rates.get(kind)));
        let c = self.counts.entry(kind).or_default();
        c.opportunities += 1;
        if hit {
            c.injected += 1;
        }
        hit
    }

    /// Rolls for a whole-row duplicate.
    pub(crate) fn duplicate(&mut self, rng: &mut GenRng) -> bool {
        self.roll(rng, ErrorKind::DuplicateRow)
    }

    /// Injects errors into one row.
    pub(crate) fn row(
        &mut self,
        rng: &mut GenRng,
        cells: Vec<Cell>,
    ) -> (Vec<OutCell>, Vec<CellError>) {
        let mut out = Vec::with_capacity(cells.len());
        let mut errors = Vec::new();
        for (column, cell) in cells.into_iter().enumerate() {
            let (c, e) = self.cell(rng, column, cell);
            out.push(c);
            if let Some(e) = e {
                errors.push(e);
            }
        }
        (out, errors)
    }

    fn cell(
        &mut self,
        rng: &mut GenRng,
        column: usize,
        cell: Cell,
    ) -> (OutCell, Option<CellError>) {
        let err = |kind, original: &str, corrupted: &str| CellError {
            column,
            kind,
            original: original.to_string(),
            corrupted: corrupted.to_string(),
            xlsx_only: false,
        };
        match cell {
            Cell::Text(t) => (OutCell::text(t), None),
            Cell::Num(n) => (
                OutCell {
                    text: n.to_string(),
                    xlsx: XlsxValue::Num(n),
                },
                None,
            ),
            Cell::Name(clean, split) => {
                let (surname, given) = clean.split_at(split.min(clean.len()));
                let mut changed = None;
                let trad = names::traditional(surname, given);
                if trad != clean && self.roll(rng, ErrorKind::NameTraditional) {
                    changed = Some((ErrorKind::NameTraditional, trad));
                }
                if changed.is_none()
                    && names::has_homophone(given)
                    && self.roll(rng, ErrorKind::NameHomophone)
                    && let Some(h) = names::homophone(rng, surname, given)
                {
                    changed = Some((ErrorKind::NameHomophone, h));
                }
                if changed.is_none() && self.roll(rng, ErrorKind::TrailingSpace) {
                    changed = Some((ErrorKind::TrailingSpace, with_space(rng, &clean)));
                }
                match changed {
                    Some((kind, value)) => {
                        let e = err(kind, &clean, &value);
                        (OutCell::text(value), Some(e))
                    }
                    None => (OutCell::text(clean), None),
                }
            }
            Cell::Id(None) => (OutCell::text(String::new()), None),
            Cell::Id(Some(id)) => {
                let clean = id.as_str().to_string();
                let value = self.corrupt_id(rng, &id);
                match value {
                    Some((kind, v)) => {
                        let e = err(kind, &clean, &v);
                        (OutCell::text(v), Some(e))
                    }
                    None => (OutCell::text(clean), None),
                }
            }
            Cell::Phone(p) => {
                if !p.is_empty() && self.roll(rng, ErrorKind::FullwidthDigits) {
                    let v = fullwidth(&p);
                    let e = err(ErrorKind::FullwidthDigits, &p, &v);
                    (OutCell::text(v), Some(e))
                } else {
                    (OutCell::text(p), None)
                }
            }
            Cell::Date(d, text) => {
                // Rolled even when no xlsx is written, so that the CSV files
                // are identical whichever formats were asked for.
                let rate = u32::from(self.rates.get(ErrorKind::ExcelSerialDate));
                let hit = chance(rng, rate);
                if self.xlsx {
                    let c = self.counts.entry(ErrorKind::ExcelSerialDate).or_default();
                    c.opportunities += 1;
                    if hit {
                        c.injected += 1;
                        let serial = d.to_excel_serial();
                        let mut e = err(ErrorKind::ExcelSerialDate, &text, &serial.to_string());
                        e.xlsx_only = true;
                        return (
                            OutCell {
                                text,
                                xlsx: XlsxValue::Serial(serial),
                            },
                            Some(e),
                        );
                    }
                }
                (OutCell::text(text), None)
            }
            Cell::Card { number, stale } => {
                if self.roll(rng, ErrorKind::BankAccountClosed) {
                    let e = err(ErrorKind::BankAccountClosed, &number, &stale);
                    return (OutCell::text(stale), Some(e));
                }
                if self.roll(rng, ErrorKind::BankCardMistyped) {
                    let v = one_digit_wrong(rng, &number, number.len());
                    let e = err(ErrorKind::BankCardMistyped, &number, &v);
                    return (OutCell::text(v), Some(e));
                }
                if self.roll(rng, ErrorKind::FullwidthDigits) {
                    let v = fullwidth(&number);
                    let e = err(ErrorKind::FullwidthDigits, &number, &v);
                    return (OutCell::text(v), Some(e));
                }
                (OutCell::text(number), None)
            }
            Cell::Status { value, stale } => {
                if let Some(s) = stale
                    && self.roll(rng, ErrorKind::StaleSchoolStatus)
                {
                    let e = err(ErrorKind::StaleSchoolStatus, &value, &s);
                    return (OutCell::text(s), Some(e));
                }
                (OutCell::text(value), None)
            }
        }
    }

    /// The ID chain: missing, one digit, swap, 15-digit, lower-case x,
    /// full-width, trailing space — at most one of them.
    fn corrupt_id(&mut self, rng: &mut GenRng, id: &IdNumber) -> Option<(ErrorKind, String)> {
        let s = id.as_str();
        if self.roll(rng, ErrorKind::IdMissing) {
            return Some((ErrorKind::IdMissing, String::new()));
        }
        if self.roll(rng, ErrorKind::IdDigitWrong) {
            return Some((ErrorKind::IdDigitWrong, one_digit_wrong(rng, s, 17)));
        }
        if self.roll(rng, ErrorKind::IdTransposed)
            && let Some(v) = transposed(rng, s)
        {
            return Some((ErrorKind::IdTransposed, v));
        }
        if let Some(legacy) = id.to_legacy15()
            && self.roll(rng, ErrorKind::IdLegacy15)
        {
            return Some((ErrorKind::IdLegacy15, legacy));
        }
        if s.ends_with('X') && self.roll(rng, ErrorKind::IdLowercaseX) {
            return Some((ErrorKind::IdLowercaseX, s.replace('X', "x")));
        }
        if self.roll(rng, ErrorKind::FullwidthDigits) {
            return Some((ErrorKind::FullwidthDigits, fullwidth(s)));
        }
        if self.roll(rng, ErrorKind::TrailingSpace) {
            return Some((ErrorKind::TrailingSpace, with_space(rng, s)));
        }
        None
    }
}

/// Replaces one of the first `within` digits with a different digit.
fn one_digit_wrong(rng: &mut GenRng, s: &str, within: usize) -> String {
    let mut bytes: Vec<u8> = s.bytes().collect();
    let n = within.min(bytes.len());
    if n == 0 {
        return s.to_string();
    }
    let pos = rng.random_range(0..n);
    let old = bytes[pos];
    let mut new = b'0' + rng.random_range(0..10u8);
    while new == old {
        new = b'0' + rng.random_range(0..10u8);
    }
    bytes[pos] = new;
    String::from_utf8(bytes).unwrap_or_else(|_| s.to_string())
}

/// Swaps two adjacent, different digits among the first 17.
fn transposed(rng: &mut GenRng, s: &str) -> Option<String> {
    let bytes: Vec<u8> = s.bytes().collect();
    let candidates: Vec<usize> = (0..16.min(bytes.len().saturating_sub(1)))
        .filter(|i| bytes[*i] != bytes[*i + 1])
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let i = candidates[rng.random_range(0..candidates.len())];
    let mut b = bytes;
    b.swap(i, i + 1);
    String::from_utf8(b).ok()
}

/// Full-width digits and X, as text pasted from a word processor has.
pub(crate) fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' | 'X' | 'x' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A trailing half-width or full-width (ideographic) space.
fn with_space(rng: &mut GenRng, s: &str) -> String {
    if rng.random_range(0..10u8) < 7 {
        format!("{s} ")
    } else {
        format!("{s}\u{3000}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    #[test]
    fn digit_changes_and_swaps_break_the_check_digit() {
        let id = "431126201209010017";
        let mut rng = stream(3, 1, 1);
        for _ in 0..200 {
            let wrong = one_digit_wrong(&mut rng, id, 17);
            assert_ne!(wrong, id);
            assert!(IdNumber::parse(&wrong).is_err(), "{wrong} still parses");
            if let Some(t) = transposed(&mut rng, id) {
                assert!(IdNumber::parse(&t).is_err(), "{t} still parses");
            }
        }
    }

    #[test]
    fn fullwidth_maps_digits_and_x() {
        assert_eq!(fullwidth("12X"), "１２Ｘ");
    }
}
