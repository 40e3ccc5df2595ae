//! Administrative division codes (行政区划代码 and 12-digit 统计用区划代码).

use crate::text;
use std::fmt;

/// 湖南省.
pub const HUNAN: &str = "430000";
/// 永州市.
pub const YONGZHOU: &str = "431100";
/// 宁远县.
pub const NINGYUAN: &str = "431126";

/// The administrative level a code denotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionLevel {
    Province,
    City,
    County,
    Township,
    Village,
}

/// The kind of township, from the 3-digit township segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TownshipKind {
    /// 001–099 街道.
    Subdistrict,
    /// 100–199 镇.
    Town,
    /// 200–399 乡 (including 民族乡 and 苏木).
    Township,
    /// 400–599 政企合一单位 (farms, forestry and similar).
    Other,
}

impl TownshipKind {
    /// 街道/镇/乡/其他.
    pub fn label(&self) -> &'static str {
        match self {
            TownshipKind::Subdistrict => "街道",
            TownshipKind::Town => "镇",
            TownshipKind::Township => "乡",
            TownshipKind::Other => "其他",
        }
    }
}

/// Why a region code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    #[error("区划代码为空")]
    Empty,
    #[error("区划代码长度错误：“{text}” 为 {len} 位，应为 6、9 或 12 位")]
    WrongLength { text: String, len: usize },
    #[error("区划代码含非数字字符：“{text}” 中的“{ch}”")]
    NonDigit { text: String, ch: char },
    #[error("区划代码省级代码无效：“{text}” 的前2位 {province} 不是有效的省级代码")]
    BadProvince { text: String, province: String },
    #[error(
        "区划代码乡级代码无效：“{text}” 的第7–9位 {segment} 不在 001–599 之间（001–099 街道，100–199 镇，200–399 乡，400–599 其他）"
    )]
    BadTownship { text: String, segment: String },
}

/// Whether two digits are a real province-level code (11–15, 21–23, 31–37,
/// 41–46, 50–54, 61–65, 71 台湾, 81 香港, 82 澳门, 83 for 港澳台居民居住证).
pub fn is_province_prefix(code2: &str) -> bool {
    matches!(
        code2,
        "11" | "12"
            | "13"
            | "14"
            | "15"
            | "21"
            | "22"
            | "23"
            | "31"
            | "32"
            | "33"
            | "34"
            | "35"
            | "36"
            | "37"
            | "41"
            | "42"
            | "43"
            | "44"
            | "45"
            | "46"
            | "50"
            | "51"
            | "52"
            | "53"
            | "54"
            | "61"
            | "62"
            | "63"
            | "64"
            | "65"
            | "71"
            | "81"
            | "82"
            | "83"
    )
}

/// A validated 6-, 9- or 12-digit region code, stored as entered (no
/// padding or trimming), so `431126` and `431126000000` are different values;
/// compare [`RegionCode::to_12`] to treat them as one place.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(String);

impl RegionCode {
    /// Validates digits, length, the province prefix and, for 9/12 digits,
    /// the township segment. A 12-digit code ending in `000000` (such as
    /// `431126000000`) is accepted as the county itself.
    pub fn parse(s: &str) -> Result<RegionCode, RegionError> {
        let t = text::compact(s);
        if t.is_empty() {
            return Err(RegionError::Empty);
        }
        if let Some(ch) = t.chars().find(|c| !c.is_ascii_digit()) {
            return Err(RegionError::NonDigit { text: t, ch });
        }
        let len = t.len();
        if !matches!(len, 6 | 9 | 12) {
            return Err(RegionError::WrongLength { text: t, len });
        }
        if !is_province_prefix(&t[..2]) {
            return Err(RegionError::BadProvince {
                province: t[..2].to_string(),
                text: t,
            });
        }
        if len > 6 {
            let segment = &t[6..9];
            let village_zero = len == 9 || &t[9..12] == "000";
            let ok = match segment.parse::<u32>() {
                Ok(0) => village_zero,
                Ok(n) => n <= 599,
                Err(_) => false,
            };
            if !ok {
                return Err(RegionError::BadTownship {
                    segment: segment.to_string(),
                    text: t,
                });
            }
        }
        Ok(RegionCode(t))
    }

    /// 湖南省 430000.
    pub fn hunan() -> RegionCode {
        RegionCode(HUNAN.to_string())
    }

    /// 永州市 431100.
    pub fn yongzhou() -> RegionCode {
        RegionCode(YONGZHOU.to_string())
    }

    /// 宁远县 431126.
    pub fn ningyuan() -> RegionCode {
        RegionCode(NINGYUAN.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 3-digit township segment if it is not `000`.
    fn township_segment(&self) -> Option<&str> {
        self.0.get(6..9).filter(|s| *s != "000")
    }

    /// Province for `xx0000`, city for `xxxx00`, county otherwise; for 9 or
    /// 12 digits township unless the village segment is non-zero. A code
    /// whose township segment is `000` has the level of its first 6 digits.
    pub fn level(&self) -> RegionLevel {
        if self.township_segment().is_some() {
            return match self.0.get(9..12) {
                Some(v) if v != "000" => RegionLevel::Village,
                _ => RegionLevel::Township,
            };
        }
        let county = self.county_code();
        if county.ends_with("0000") {
            RegionLevel::Province
        } else if county.ends_with("00") {
            RegionLevel::City
        } else {
            RegionLevel::County
        }
    }

    /// The first 6 digits.
    pub fn county_code(&self) -> &str {
        &self.0[..6]
    }

    /// The first 9 digits, for township and village codes.
    pub fn township_code(&self) -> Option<&str> {
        self.township_segment().map(|_| &self.0[..9])
    }

    /// Subdistrict, town, township or other, from the township segment.
    pub fn township_kind(&self) -> Option<TownshipKind> {
        let n: u32 = self.township_segment()?.parse().ok()?;
        Some(match n {
            1..=99 => TownshipKind::Subdistrict,
            100..=199 => TownshipKind::Town,
            200..=399 => TownshipKind::Township,
            _ => TownshipKind::Other,
        })
    }

    /// The enclosing region in its shortest form: village → 9-digit township,
    /// township → 6-digit county, county → `xxxx00` city, city → `xx0000`
    /// province, province → None.
    pub fn parent(&self) -> Option<RegionCode> {
        let county = self.county_code();
        let code = match self.level() {
            RegionLevel::Village => self.0[..9].to_string(),
            RegionLevel::Township => county.to_string(),
            RegionLevel::County => format!("{}00", &county[..4]),
            RegionLevel::City => format!("{}0000", &county[..2]),
            RegionLevel::Province => return None,
        };
        Some(RegionCode(code))
    }

    /// The 12-digit statistical form, padded with zeros.
    pub fn to_12(&self) -> String {
        format!("{:0<12}", self.0)
    }

    /// Whether `other` lies within (or is) this region.
    pub fn contains(&self, other: &RegionCode) -> bool {
        let mine = self.to_12();
        let significant = match self.level() {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Township => 9,
            RegionLevel::Village => 12,
        };
        other.to_12().starts_with(&mine[..significant])
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for RegionCode {
    type Err = RegionError;
    fn from_str(s: &str) -> Result<RegionCode, RegionError> {
        RegionCode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RegionLevel::*;

    #[test]
    fn parse_table() {
        let check = |input: &str, expected: Option<(RegionLevel, Option<TownshipKind>)>| {
            let got = RegionCode::parse(input)
                .ok()
                .map(|c| (c.level(), c.township_kind()));
            assert_eq!(got, expected, "input {input:?}");
        };
        check("430000", Some((Province, None)));
        check("431100", Some((City, None)));
        check("431126", Some((County, None)));
        check("４３１１２６", Some((County, None)));
        check(" 431126 ", Some((County, None)));
        check("431126000000", Some((County, None)));
        check("431126000", Some((County, None)));
        check(
            "431126001",
            Some((Township, Some(TownshipKind::Subdistrict))),
        );
        check("431126100000", Some((Township, Some(TownshipKind::Town))));
        check("431126199000", Some((Township, Some(TownshipKind::Town))));
        check(
            "431126200000",
            Some((Township, Some(TownshipKind::Township))),
        );
        check(
            "431126399201",
            Some((Village, Some(TownshipKind::Township))),
        );
        check("431126400000", Some((Township, Some(TownshipKind::Other))));
        check("431126599000", Some((Township, Some(TownshipKind::Other))));
        check("431126101201", Some((Village, Some(TownshipKind::Town))));
        check("431126600000", None);
        check("431126999000", None);
        check("431126000201", None);
        check("43112", None);
        check("4311261", None);
        check("43112A", None);
        check("", None);
        check("991126", None);
        check("001126", None);
        let msg = RegionCode::parse("431126600000").unwrap_err().to_string();
        assert!(msg.contains("600") && msg.contains("431126600000"), "{msg}");
    }

    #[test]
    fn structure() {
        let v = RegionCode::parse("431126101201").unwrap();
        assert_eq!(v.county_code(), "431126");
        assert_eq!(v.township_code(), Some("431126101"));
        let chain: Vec<String> = std::iter::successors(Some(v.clone()), RegionCode::parent)
            .map(|c| c.as_str().to_string())
            .collect();
        assert_eq!(
            chain,
            ["431126101201", "431126101", "431126", "431100", "430000"]
        );
        assert_eq!(
            RegionCode::parse("431126000000").unwrap().township_code(),
            None
        );
        assert_eq!(RegionCode::parse("431126").unwrap().to_12(), "431126000000");
        assert!(RegionCode::ningyuan().contains(&v));
        assert!(RegionCode::hunan().contains(&RegionCode::ningyuan()));
        assert!(RegionCode::yongzhou().contains(&RegionCode::ningyuan()));
        assert!(!RegionCode::ningyuan().contains(&RegionCode::parse("431127").unwrap()));
        assert_eq!(RegionCode::hunan().as_str(), HUNAN);
        assert_eq!(RegionCode::yongzhou().level(), City);
        assert_eq!(
            RegionCode::ningyuan().parent(),
            Some(RegionCode::yongzhou())
        );
        assert_eq!(RegionCode::yongzhou().parent(), Some(RegionCode::hunan()));
        assert_eq!(RegionCode::hunan().parent(), None);
    }
}
