//! Money as integer fen (1 元 = 100 分), parsed and formatted exactly with
//! integer arithmetic only; floats never touch an amount.

use crate::text;
use std::fmt;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};

/// An amount in fen. Negative amounts are allowed (refunds, corrections).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

/// Why a money text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额为空")]
    Empty,
    #[error("无法识别的金额：“{text}”，应为数字，如 1500、1,500.00、¥1500、1500元")]
    Invalid { text: String },
    #[error("金额千位分隔符位置错误：“{text}”")]
    BadGrouping { text: String },
    #[error("金额小数位过多：“{text}” 最多允许 {max} 位小数")]
    TooManyDecimals { text: String, max: u32 },
    #[error("金额超出范围：“{text}”")]
    Overflow { text: String },
}

/// Fen per 元.
const FEN_PER_YUAN: i64 = 100;
/// Fen per 万元.
const FEN_PER_WAN: i64 = 1_000_000;

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// Whole yuan to fen.
    ///
    /// # Panics
    /// Panics with a clear message if the result exceeds ±9.2×10^16 元,
    /// which no real amount approaches; use [`Fen::checked_from_yuan`] for untrusted input.
    pub fn from_yuan(yuan: i64) -> Fen {
        Fen::checked_from_yuan(yuan).unwrap_or_else(|| panic!("金额溢出：{yuan} 元超出可表示范围"))
    }

    /// Whole yuan to fen, or None on overflow.
    pub const fn checked_from_yuan(yuan: i64) -> Option<Fen> {
        match yuan.checked_mul(FEN_PER_YUAN) {
            Some(f) => Some(Fen(f)),
            None => None,
        }
    }

    /// The raw number of fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Whether the amount is negative.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, o: Fen) -> Option<Fen> {
        self.0.checked_add(o.0).map(Fen)
    }

    pub fn checked_sub(self, o: Fen) -> Option<Fen> {
        self.0.checked_sub(o.0).map(Fen)
    }

    pub fn checked_mul(self, n: i64) -> Option<Fen> {
        self.0.checked_mul(n).map(Fen)
    }

    pub fn checked_neg(self) -> Option<Fen> {
        self.0.checked_neg().map(Fen)
    }

    pub fn saturating_add(self, o: Fen) -> Fen {
        Fen(self.0.saturating_add(o.0))
    }

    pub fn saturating_sub(self, o: Fen) -> Fen {
        Fen(self.0.saturating_sub(o.0))
    }

    pub fn saturating_mul(self, n: i64) -> Fen {
        Fen(self.0.saturating_mul(n))
    }

    /// Sums amounts, returning None instead of overflowing.
    pub fn checked_sum<I: IntoIterator<Item = Fen>>(iter: I) -> Option<Fen> {
        iter.into_iter()
            .try_fold(Fen::ZERO, |acc, x| acc.checked_add(x))
    }

    /// Parses an amount in 元 with at most 2 decimals.
    ///
    /// Accepts `1500`, `1,500.00`, `1500.5`, `１５００`, `¥1500`, `￥1500`,
    /// `1500元`, `-3.01`, `+3`, and surrounding or inner spaces. Grouping
    /// commas must sit every three digits so that a typo like `15,00` is not
    /// silently read as 1500.
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        parse_scaled(s, 2, &["元", "圆"]).map(Fen)
    }

    /// Parses an amount in 万元 with at most 6 decimals (6 decimals of 万元
    /// are exactly one fen), e.g. `3492.13989`, `293.8万`, `1,886.013万元`.
    pub fn parse_wan_yuan(s: &str) -> Result<Fen, MoneyError> {
        parse_scaled(s, 6, &["万元", "万"]).map(Fen)
    }

    /// `18860130.00`: 元 with exactly two decimals, no grouping.
    pub fn fmt_yuan(&self) -> String {
        let (sign, int, frac) = split(self.0, FEN_PER_YUAN);
        format!("{sign}{int}.{frac:02}")
    }

    /// `18,860,130.00`: like [`Fen::fmt_yuan`] with thousands separators.
    pub fn fmt_yuan_grouped(&self) -> String {
        let (sign, int, frac) = split(self.0, FEN_PER_YUAN);
        format!("{sign}{}.{frac:02}", group(int))
    }

    /// 万元 with trailing zeros trimmed: `3492.13989`, `293.8`, `0`.
    pub fn fmt_wan(&self) -> String {
        let (sign, int, frac) = split(self.0, FEN_PER_WAN);
        format!("{sign}{int}{}", wan_fraction(frac))
    }

    /// `1,886.013`: like [`Fen::fmt_wan`] with thousands separators.
    pub fn fmt_wan_grouped(&self) -> String {
        let (sign, int, frac) = split(self.0, FEN_PER_WAN);
        format!("{sign}{}{}", group(int), wan_fraction(frac))
    }
}

/// Splits into sign, integer units and remainder without overflowing on `i64::MIN`.
fn split(fen: i64, unit: i64) -> (&'static str, u64, u64) {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let unit = unit.unsigned_abs();
    (sign, abs / unit, abs % unit)
}

/// Formats the 6-digit fen remainder of a 万元 amount as `.xxxxxx` minus
/// trailing zeros, or nothing when it is zero.
fn wan_fraction(frac: u64) -> String {
    if frac == 0 {
        return String::new();
    }
    let digits = format!("{frac:06}");
    format!(".{}", digits.trim_end_matches('0'))
}

/// Inserts a comma every three digits from the right.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Parses a decimal number into an integer scaled by 10^`scale`, using only
/// integer arithmetic, after removing currency signs and the given unit suffixes.
fn parse_scaled(s: &str, scale: u32, suffixes: &[&str]) -> Result<i64, MoneyError> {
    let invalid = || MoneyError::Invalid {
        text: s.to_string(),
    };
    let overflow = || MoneyError::Overflow {
        text: s.to_string(),
    };
    let t = text::compact(s);
    if t.is_empty() {
        return Err(MoneyError::Empty);
    }
    let mut t = t.as_str();
    for suffix in suffixes {
        if let Some(rest) = t.strip_suffix(suffix) {
            t = rest;
            break;
        }
    }
    // The currency sign may come before or after the minus sign (`-¥3`, `¥-3`).
    let strip_currency = |x: &'_ str| -> String {
        x.strip_prefix(['¥', '￥'])
            .or_else(|| x.strip_prefix("RMB"))
            .unwrap_or(x)
            .to_string()
    };
    let t = strip_currency(t);
    let (negative, rest) = if let Some(r) = t.strip_prefix(['-', '−']) {
        (true, strip_currency(r))
    } else if let Some(r) = t.strip_prefix('+') {
        (false, strip_currency(r))
    } else {
        (false, t)
    };
    let rest = rest.as_str();
    let (int_part, frac_part) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    if int_part.is_empty() {
        return Err(invalid());
    }
    if int_part.contains(',') {
        let groups: Vec<&str> = int_part.split(',').collect();
        let ok = (1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3);
        if !ok {
            return Err(MoneyError::BadGrouping {
                text: s.to_string(),
            });
        }
    }
    let int_digits: String = int_part.chars().filter(|&c| c != ',').collect();
    if int_digits.is_empty() || !int_digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let frac_digits = frac_part.unwrap_or("");
    if frac_part.is_some() && frac_digits.is_empty() {
        return Err(invalid());
    }
    if !frac_digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    if frac_digits.len() > scale as usize {
        return Err(MoneyError::TooManyDecimals {
            text: s.to_string(),
            max: scale,
        });
    }
    // The magnitude is accumulated unsigned so that `i64::MIN` fen, whose
    // magnitude exceeds `i64::MAX`, still parses.
    let mut magnitude: u64 = 0;
    for b in int_digits.bytes().chain(frac_digits.bytes()) {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(overflow)?;
    }
    for _ in frac_digits.len()..scale as usize {
        magnitude = magnitude.checked_mul(10).ok_or_else(overflow)?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude).ok_or_else(overflow)
    } else {
        i64::try_from(magnitude).map_err(|_| overflow())
    }
}

impl fmt::Display for Fen {
    /// Displays like [`Fen::fmt_yuan`], without a unit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fmt_yuan())
    }
}

impl std::str::FromStr for Fen {
    type Err = MoneyError;
    /// Parses 元 like [`Fen::parse_yuan`].
    fn from_str(s: &str) -> Result<Fen, MoneyError> {
        Fen::parse_yuan(s)
    }
}

impl Add for Fen {
    type Output = Fen;
    /// # Panics
    /// Panics with a clear message on overflow; use `checked_add` for untrusted sums.
    fn add(self, o: Fen) -> Fen {
        self.checked_add(o)
            .unwrap_or_else(|| panic!("金额相加溢出：{} 分 + {} 分", self.0, o.0))
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        *self = *self + o;
    }
}

impl Sub for Fen {
    type Output = Fen;
    /// # Panics
    /// Panics with a clear message on overflow; use `checked_sub` for untrusted input.
    fn sub(self, o: Fen) -> Fen {
        self.checked_sub(o)
            .unwrap_or_else(|| panic!("金额相减溢出：{} 分 - {} 分", self.0, o.0))
    }
}

impl SubAssign for Fen {
    fn sub_assign(&mut self, o: Fen) {
        *self = *self - o;
    }
}

impl Mul<i64> for Fen {
    type Output = Fen;
    /// Multiplies by a head count.
    ///
    /// # Panics
    /// Panics with a clear message on overflow; use `checked_mul` for untrusted input.
    fn mul(self, n: i64) -> Fen {
        self.checked_mul(n)
            .unwrap_or_else(|| panic!("金额相乘溢出：{} 分 × {n}", self.0))
    }
}

impl Neg for Fen {
    type Output = Fen;
    /// # Panics
    /// Panics only for `i64::MIN` fen, which has no positive counterpart.
    fn neg(self) -> Fen {
        self.checked_neg()
            .unwrap_or_else(|| panic!("金额取负溢出：{} 分", self.0))
    }
}

impl std::iter::Sum for Fen {
    /// # Panics
    /// Panics with a clear message on overflow; use [`Fen::checked_sum`] otherwise.
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, |a, b| a + b)
    }
}

impl<'a> std::iter::Sum<&'a Fen> for Fen {
    fn sum<I: Iterator<Item = &'a Fen>>(iter: I) -> Fen {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_yuan_table() {
        let check = |input: &str, expected: Result<i64, MoneyError>| {
            assert_eq!(
                Fen::parse_yuan(input).map(|f| f.0),
                expected,
                "input {input:?}"
            );
        };
        let inv = |s: &str| {
            Err(MoneyError::Invalid {
                text: s.to_string(),
            })
        };
        check("1500", Ok(150_000));
        check("1,500.00", Ok(150_000));
        check("1500.5", Ok(150_050));
        check("1500.05", Ok(150_005));
        check("１５００", Ok(150_000));
        check("１，５００．００", Ok(150_000));
        check("¥1500", Ok(150_000));
        check("￥1,500", Ok(150_000));
        check("1500元", Ok(150_000));
        check(" 1500 元 ", Ok(150_000));
        check("-3.01", Ok(-301));
        check("-¥3.01", Ok(-301));
        check("¥-3.01", Ok(-301));
        check("RMB 1500", Ok(150_000));
        check("¥¥3", inv("¥¥3"));
        check("+3", Ok(300));
        check("0", Ok(0));
        check("0.01", Ok(1));
        check("-0", Ok(0));
        check("18,860,130.00", Ok(1_886_013_000));
        check("92233720368547758.07", Ok(i64::MAX));
        check("-92233720368547758.07", Ok(-i64::MAX));
        check("-92233720368547758.08", Ok(i64::MIN));
        check(
            "-92233720368547758.09",
            Err(MoneyError::Overflow {
                text: "-92233720368547758.09".into(),
            }),
        );
        check(
            "92233720368547758.08",
            Err(MoneyError::Overflow {
                text: "92233720368547758.08".into(),
            }),
        );
        check(
            "1.005",
            Err(MoneyError::TooManyDecimals {
                text: "1.005".into(),
                max: 2,
            }),
        );
        check(
            "15,00",
            Err(MoneyError::BadGrouping {
                text: "15,00".into(),
            }),
        );
        check(
            "1,5000",
            Err(MoneyError::BadGrouping {
                text: "1,5000".into(),
            }),
        );
        check(
            ",500",
            Err(MoneyError::BadGrouping {
                text: ",500".into(),
            }),
        );
        check("", Err(MoneyError::Empty));
        check("  ", Err(MoneyError::Empty));
        check("abc", inv("abc"));
        check("1500.", inv("1500."));
        check(".5", inv(".5"));
        check("1.2.3", inv("1.2.3"));
        check("1e3", inv("1e3"));
        check("--3", inv("--3"));
        check("元", inv("元"));
        check("¥", inv("¥"));
        check("1500万", inv("1500万"));
        let msg = Fen::parse_yuan("1.005").unwrap_err().to_string();
        assert!(msg.contains("1.005") && msg.contains("2 位小数"), "{msg}");
    }

    #[test]
    fn parse_wan_table() {
        let check = |input: &str, expected: Result<i64, MoneyError>| {
            assert_eq!(
                Fen::parse_wan_yuan(input).map(|f| f.0),
                expected,
                "input {input:?}"
            );
        };
        check("3492.13989", Ok(3_492_139_890));
        check("293.8", Ok(293_800_000));
        check("293.8万", Ok(293_800_000));
        check("293.8万元", Ok(293_800_000));
        check("1,886.013", Ok(1_886_013_000));
        check("361.211483", Ok(361_211_483));
        check("0.000001", Ok(1));
        check("-0.5", Ok(-500_000));
        check(
            "1.0000001",
            Err(MoneyError::TooManyDecimals {
                text: "1.0000001".into(),
                max: 6,
            }),
        );
    }

    /// Every 万元 figure of the seed table (MISSION.md §6) parses to the
    /// exact fen amount and formats back to the seed's own text.
    #[test]
    fn seed_table_figures() {
        let rows: [(&str, i64, &str); 15] = [
            ("293.8", 293_800_000, "293.8"),
            ("1,886.013", 1_886_013_000, "1,886.013"),
            ("353.55", 353_550_000, "353.55"),
            ("224.88", 224_880_000, "224.88"),
            ("142.6", 142_600_000, "142.6"),
            ("229.08", 229_080_000, "229.08"),
            ("16.487", 16_487_000, "16.487"),
            ("361.211483", 361_211_483, "361.211483"),
            ("694.65", 694_650_000, "694.65"),
            ("3,492.13989", 3_492_139_890, "3,492.13989"),
            ("1000", 1_000_000_000, "1,000"),
            ("331", 331_000_000, "331"),
            ("64.5", 64_500_000, "64.5"),
            ("190.846", 190_846_000, "190.846"),
            ("152.5", 152_500_000, "152.5"),
        ];
        for (text, fen, grouped) in rows {
            let f = Fen::parse_wan_yuan(text).unwrap();
            assert_eq!(f, Fen(fen), "{text}");
            assert_eq!(f.fmt_wan_grouped(), grouped);
            assert_eq!(Fen::parse_wan_yuan(&f.fmt_wan()).unwrap(), f);
        }
        // Per-head standards times head counts reproduce the seed's totals.
        assert_eq!(
            Fen::from_yuan(500) * 5_876,
            Fen::parse_wan_yuan("293.8").unwrap()
        );
        assert_eq!(
            Fen::from_yuan(1_500) * 2_357,
            Fen::parse_wan_yuan("353.55").unwrap()
        );
        assert_eq!(
            Fen::from_yuan(1_000) * 1_426,
            Fen::parse_wan_yuan("142.6").unwrap()
        );
        assert_eq!(
            Fen::from_yuan(1_200) * 1_909,
            Fen::parse_wan_yuan("229.08").unwrap()
        );
        assert_eq!(
            Fen::from_yuan(1_500) * 4_631,
            Fen::parse_wan_yuan("694.65").unwrap()
        );
        assert_eq!(
            Fen::from_yuan(500) * 1_290,
            Fen::parse_wan_yuan("64.5").unwrap()
        );
        // The listed items sum to 4,202.27 万元, not the stated 3,492.13989.
        let items = [
            "293.8",
            "1886.013",
            "353.55",
            "224.88",
            "142.6",
            "229.08",
            "16.487",
            "361.211483",
            "694.65",
        ];
        let total: Fen = items.iter().map(|s| Fen::parse_wan_yuan(s).unwrap()).sum();
        assert_eq!(total.fmt_wan_grouped(), "4,202.271483");
        assert_ne!(total, Fen::parse_wan_yuan("3492.13989").unwrap());
    }

    #[test]
    fn formatting_table() {
        let check = |fen: i64, yuan: &str, yuan_g: &str, wan: &str, wan_g: &str| {
            let f = Fen(fen);
            assert_eq!(f.fmt_yuan(), yuan, "{fen}");
            assert_eq!(f.fmt_yuan_grouped(), yuan_g, "{fen}");
            assert_eq!(f.fmt_wan(), wan, "{fen}");
            assert_eq!(f.fmt_wan_grouped(), wan_g, "{fen}");
        };
        check(0, "0.00", "0.00", "0", "0");
        check(1, "0.01", "0.01", "0.000001", "0.000001");
        check(-1, "-0.01", "-0.01", "-0.000001", "-0.000001");
        check(150_000, "1500.00", "1,500.00", "0.15", "0.15");
        check(
            1_886_013_000,
            "18860130.00",
            "18,860,130.00",
            "1886.013",
            "1,886.013",
        );
        check(
            3_492_139_890,
            "34921398.90",
            "34,921,398.90",
            "3492.13989",
            "3,492.13989",
        );
        check(293_800_000, "2938000.00", "2,938,000.00", "293.8", "293.8");
        check(
            361_211_483,
            "3612114.83",
            "3,612,114.83",
            "361.211483",
            "361.211483",
        );
        check(16_487_000, "164870.00", "164,870.00", "16.487", "16.487");
        check(-301, "-3.01", "-3.01", "-0.000301", "-0.000301");
        check(100_000_000, "1000000.00", "1,000,000.00", "100", "100");
        check(
            i64::MIN,
            "-92233720368547758.08",
            "-92,233,720,368,547,758.08",
            "-9223372036854.775808",
            "-9,223,372,036,854.775808",
        );
        assert_eq!(Fen(150_000).to_string(), "1500.00");
    }

    #[test]
    fn arithmetic() {
        assert_eq!(Fen::from_yuan(15), Fen(1500));
        assert_eq!(Fen(1) + Fen(2), Fen(3));
        assert_eq!(Fen(1) - Fen(2), Fen(-1));
        assert_eq!(-Fen(5), Fen(-5));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
        assert_eq!(Fen(i64::MAX).checked_mul(2), None);
        assert_eq!(Fen(i64::MAX).saturating_add(Fen(1)), Fen(i64::MAX));
        assert_eq!(Fen(i64::MIN).saturating_sub(Fen(1)), Fen(i64::MIN));
        assert_eq!(Fen(i64::MAX).saturating_mul(-2), Fen(i64::MIN));
        assert_eq!(Fen::checked_from_yuan(i64::MAX), None);
        assert_eq!(Fen::checked_sum([Fen(i64::MAX), Fen(1)]), None);
        assert_eq!(Fen::checked_sum([Fen(1), Fen(2)]), Some(Fen(3)));
        let mut x = Fen::ZERO;
        x += Fen(7);
        x -= Fen(2);
        assert_eq!(x, Fen(5));
        assert_eq!([Fen(1), Fen(2)].iter().sum::<Fen>(), Fen(3));
        assert_eq!(Fen::default(), Fen::ZERO);
    }

    #[test]
    #[should_panic(expected = "金额相加溢出")]
    fn add_overflow_panics_with_clear_message() {
        let _ = Fen(i64::MAX) + Fen(1);
    }
}
