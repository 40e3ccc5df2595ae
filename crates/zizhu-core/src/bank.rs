//! Bank card numbers and phone numbers.

use crate::text;
use std::fmt;

/// Luhn (mod 10) check over ASCII digits; false for empty or non-digit input.
pub fn luhn_valid(digits: &str) -> bool {
    let b = digits.as_bytes();
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Why a bank card number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("银行卡号为空")]
    Empty,
    #[error("银行卡号长度错误：“{text}” 为 {len} 位，应为 16–19 位")]
    WrongLength { text: String, len: usize },
    #[error("银行卡号含非法字符：“{text}” 的第{pos}位为“{ch}”")]
    NonDigit { text: String, pos: usize, ch: char },
    #[error("银行卡号校验失败（Luhn 校验）：“{text}”，可能有数字录错")]
    BadLuhn { text: String },
}

/// Removes the separators people put in card and phone numbers (spaces of
/// any width, dashes of several kinds) and a leading Excel text apostrophe.
fn strip_separators(s: &str) -> String {
    let t: String = s
        .chars()
        .map(text::halfwidth)
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '—' | '–' | '‐'))
        .collect();
    t.trim_start_matches(['\'', '‘', '’', '`']).to_string()
}

/// A 16–19 digit bank card number that passes the Luhn check.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BankCard(String);

impl BankCard {
    /// Validates after removing spaces and dashes and folding full width.
    /// Characters are checked before length so that a letter typed for a
    /// digit is reported as such.
    pub fn parse(s: &str) -> Result<BankCard, BankError> {
        let t = strip_separators(s);
        if t.is_empty() {
            return Err(BankError::Empty);
        }
        if let Some((i, ch)) = t.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(BankError::NonDigit {
                text: t,
                pos: i + 1,
                ch,
            });
        }
        let len = t.len();
        if !(16..=19).contains(&len) {
            return Err(BankError::WrongLength { text: t, len });
        }
        if !luhn_valid(&t) {
            return Err(BankError::BadLuhn { text: t });
        }
        Ok(BankCard(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 6 digits (the issuer identification number).
    pub fn bin(&self) -> &str {
        &self.0[..6]
    }

    /// `622848********9012`: first 6 and last 4 digits kept, the rest starred.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}{}{}", &self.0[..6], "*".repeat(n - 10), &self.0[n - 4..])
    }
}

impl fmt::Display for BankCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for BankCard {
    type Err = BankError;
    fn from_str(s: &str) -> Result<BankCard, BankError> {
        BankCard::parse(s)
    }
}

/// Why a phone number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("电话号码为空")]
    Empty,
    #[error("电话号码含非法字符：“{text}” 中的“{ch}”")]
    NonDigit { text: String, ch: char },
    #[error("手机号码无效：“{text}”，应为 1[3-9] 开头的 11 位数字")]
    BadMobile { text: String },
    #[error("固定电话无效：“{text}”，应为 区号-号码，如 0746-7221234")]
    BadLandline { text: String },
    #[error("电话号码缺少区号：“{text}”，固定电话请写成 0746-7221234")]
    MissingAreaCode { text: String },
}

/// A mobile number (11 digits) or a landline `区号-号码`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses a mobile number (dropping `+86`, `0086`, `86`, spaces and
    /// dashes) or a landline with area code, normalised to `0746-7221234`.
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        let t = text::to_halfwidth(s);
        let t = t.trim();
        if t.is_empty() {
            return Err(PhoneError::Empty);
        }
        // An explicit separator after the area code tells us where it ends.
        let area_hint = t
            .strip_prefix('(')
            .and_then(|x| x.find(')'))
            .or_else(|| t.find(['-', ' ', '—']));
        let digits: String = t
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '—' | '(' | ')' | '+'))
            .collect();
        if let Some(ch) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(PhoneError::NonDigit {
                text: s.to_string(),
                ch,
            });
        }
        let mobile = digits
            .strip_prefix("0086")
            .or_else(|| digits.strip_prefix("86").filter(|d| d.len() == 11))
            .unwrap_or(&digits);
        if mobile.starts_with('1') {
            let ok = mobile.len() == 11 && matches!(mobile.as_bytes()[1], b'3'..=b'9');
            if !ok {
                return Err(PhoneError::BadMobile {
                    text: s.to_string(),
                });
            }
            return Ok(Phone(mobile.to_string()));
        }
        if !digits.starts_with('0') {
            return Err(PhoneError::MissingAreaCode {
                text: s.to_string(),
            });
        }
        // Three-digit area codes are 010 and 02x; all others have four digits.
        let area_len = match area_hint {
            Some(3) if digits.starts_with("010") || digits.starts_with("02") => 3,
            Some(4) => 4,
            Some(_) => 0,
            None if digits.starts_with("010") || digits.starts_with("02") => 3,
            None => 4,
        };
        let local_len = digits.len().saturating_sub(area_len);
        if area_len == 0
            || !(7..=8).contains(&local_len)
            || digits.as_bytes().get(area_len) == Some(&b'0')
        {
            return Err(PhoneError::BadLandline {
                text: s.to_string(),
            });
        }
        Ok(Phone(format!(
            "{}-{}",
            &digits[..area_len],
            &digits[area_len..]
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a mobile number.
    pub fn is_mobile(&self) -> bool {
        self.0.starts_with('1')
    }

    /// `138****5678` for mobiles, `0746-***1234` for landlines.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        if self.is_mobile() {
            format!("{}****{}", &self.0[..3], &self.0[n - 4..])
        } else {
            let dash = self.0.find('-').unwrap_or(0);
            format!(
                "{}{}{}",
                &self.0[..=dash],
                "*".repeat(n - dash - 5),
                &self.0[n - 4..]
            )
        }
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Phone, PhoneError> {
        Phone::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_table() {
        let check = |s: &str, ok: bool| assert_eq!(luhn_valid(s), ok, "{s}");
        check("622848123456789012", true);
        check("621700123456789011", true);
        check("621700123456789012", false);
        check("79927398713", true);
        check("79927398710", false);
        check("0", true);
        check("", false);
        check("6228 4812", false);
        check("１２", false);
    }

    #[test]
    fn card_table() {
        let check = |input: &str, expected: Result<&str, BankError>| {
            assert_eq!(
                BankCard::parse(input).as_ref().map(BankCard::as_str),
                expected.as_ref().map(|s| *s),
                "{input:?}"
            );
        };
        let s = |x: &str| x.to_string();
        check("622848123456789012", Ok("622848123456789012"));
        check("6228 4812 3456 7890 12", Ok("622848123456789012"));
        check("6228-4812-3456-7890-12", Ok("622848123456789012"));
        check(
            "６２２８４８１２３４５６７８９０１２",
            Ok("622848123456789012"),
        );
        check("'621700123456789011", Ok("621700123456789011"));
        check(
            "621700123456789012",
            Err(BankError::BadLuhn {
                text: s("621700123456789012"),
            }),
        );
        check(
            "6228481234567",
            Err(BankError::WrongLength {
                text: s("6228481234567"),
                len: 13,
            }),
        );
        check(
            "62284812345678901234",
            Err(BankError::WrongLength {
                text: s("62284812345678901234"),
                len: 20,
            }),
        );
        check(
            "62284812345678901O",
            Err(BankError::NonDigit {
                text: s("62284812345678901O"),
                pos: 18,
                ch: 'O',
            }),
        );
        check("", Err(BankError::Empty));
        check(" - ", Err(BankError::Empty));
        let c = BankCard::parse("622848123456789012").unwrap();
        assert_eq!(c.masked(), "622848********9012");
        assert_eq!(c.bin(), "622848");
        assert_eq!(
            BankCard::parse("621700123456789012")
                .unwrap_err()
                .to_string(),
            "银行卡号校验失败（Luhn 校验）：“621700123456789012”，可能有数字录错"
        );
    }

    #[test]
    fn phone_table() {
        let check = |input: &str, expected: Option<&str>| {
            assert_eq!(
                Phone::parse(input).ok().as_ref().map(Phone::as_str),
                expected,
                "{input:?}"
            );
        };
        check("13812345678", Some("13812345678"));
        check("138 1234 5678", Some("13812345678"));
        check("138-1234-5678", Some("13812345678"));
        check("+86 138 1234 5678", Some("13812345678"));
        check("+8613812345678", Some("13812345678"));
        check("008613812345678", Some("13812345678"));
        check("8613812345678", Some("13812345678"));
        check("１３８１２３４５６７８", Some("13812345678"));
        check("19912345678", Some("19912345678"));
        check("12812345678", None);
        check("1381234567", None);
        check("138123456789", None);
        check("0746-7221234", Some("0746-7221234"));
        check("07467221234", Some("0746-7221234"));
        check("0746 7221234", Some("0746-7221234"));
        check("(0746)7221234", Some("0746-7221234"));
        check("010-12345678", Some("010-12345678"));
        check("01012345678", Some("010-12345678"));
        check("020-87654321", Some("020-87654321"));
        check("0746-72212345", Some("0746-72212345"));
        check("0746-722123", None);
        check("0746-0221234", None);
        check("07-46722123", None);
        check("7221234", None);
        check("", None);
        check("138abc45678", None);
        assert!(matches!(
            Phone::parse("7221234"),
            Err(PhoneError::MissingAreaCode { .. })
        ));
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
        assert_eq!(
            Phone::parse("0746-7221234").unwrap().masked(),
            "0746-***1234"
        );
        assert_eq!(
            Phone::parse("010-12345678").unwrap().masked(),
            "010-****5678"
        );
        assert!(Phone::parse("13812345678").unwrap().is_mobile());
        assert!(!Phone::parse("0746-7221234").unwrap().is_mobile());
    }
}
