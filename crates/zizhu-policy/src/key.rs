//! Short identifiers stored inline.
//!
//! A province has 12 million students and every entitlement names its
//! person and policy; storing those names as heap strings would cost one
//! allocation per row and make the engine's hot loop allocation-bound. These
//! keys are `Copy` values of at most [`KEY_CAPACITY`] bytes of UTF-8 instead.

use std::fmt;

/// The longest key in bytes: a 19-character 全国学籍号, a 12-digit region
/// code or a 10-digit school code fits, and so do ten Chinese characters.
pub const KEY_CAPACITY: usize = 31;

/// Why a key was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{what}为空")]
    Empty { what: &'static str },
    #[error("{what}过长：“{text}” 为 {len} 字节，最多 {max} 字节")]
    TooLong {
        what: &'static str,
        text: String,
        len: usize,
        max: usize,
    },
}

/// Inline UTF-8 text of at most [`KEY_CAPACITY`] bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct InlineText {
    len: u8,
    bytes: [u8; KEY_CAPACITY],
}

impl InlineText {
    fn new(what: &'static str, s: &str) -> Result<InlineText, KeyError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(KeyError::Empty { what });
        }
        if s.len() > KEY_CAPACITY {
            return Err(KeyError::TooLong {
                what,
                text: s.to_string(),
                len: s.len(),
                max: KEY_CAPACITY,
            });
        }
        let mut bytes = [0u8; KEY_CAPACITY];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(InlineText {
            len: s.len() as u8,
            bytes,
        })
    }

    fn as_str(&self) -> &str {
        // The bytes were copied from a `&str` whole, so they are valid UTF-8;
        // the fallback exists only so that this can never panic.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl PartialOrd for InlineText {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InlineText {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Byte order of UTF-8 is code-point order, so this equals comparing
        // the strings, without re-validating UTF-8 inside sorts.
        self.bytes[..usize::from(self.len)].cmp(&other.bytes[..usize::from(other.len)])
    }
}

macro_rules! inline_key {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(InlineText);

        impl $name {
            /// Makes a key from text, trimmed; empty or over-long text is an error.
            pub fn new(s: &str) -> Result<$name, KeyError> {
                InlineText::new($what, s).map($name)
            }

            /// The key as text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = KeyError;
            fn from_str(s: &str) -> Result<$name, KeyError> {
                $name::new(s)
            }
        }
    };
}

inline_key!(
    /// Identifies a person across terms and results: an ID number, a
    /// 全国学籍号 or the registry's own person key.
    PersonKey,
    "人员编号"
);
inline_key!(
    /// A policy's ASCII code from the policy file, such as `PRESCHOOL`.
    PolicyCode,
    "政策代码"
);
inline_key!(
    /// A school, usually its 10-digit 学校标识码.
    SchoolKey,
    "学校代码"
);
inline_key!(
    /// A township (乡镇/街道), as a code or a short name.
    TownshipKey,
    "乡镇"
);

/// The first run of four or more of `A-Z` and `_` in `text`, the shape of a
/// policy code such as `BOARDING_LIVING`: a sentence shown to a user must
/// have none (the tests of this crate and of the
/// application check every text they render).
pub fn policy_code_in(text: &str) -> Option<&str> {
    let is_code = |c: char| c.is_ascii_uppercase() || c == '_';
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (is_code(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) if i - s >= 4 => return Some(&text[s..i]),
            (false, Some(_)) => start = None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_reject_bad_text() {
        let p = PersonKey::new(" G431126201209010017 ").unwrap();
        assert_eq!(p.as_str(), "G431126201209010017");
        assert_eq!(
            TownshipKey::new("舂陵街道").unwrap().to_string(),
            "舂陵街道"
        );
        assert!(matches!(PolicyCode::new(""), Err(KeyError::Empty { .. })));
        let long = "宁远县第一中学附属实验学校";
        let e = SchoolKey::new(long).unwrap_err();
        assert!(e.to_string().contains("学校代码过长"), "{e}");
        assert!(PersonKey::new("a").unwrap() < PersonKey::new("b").unwrap());
    }
}
