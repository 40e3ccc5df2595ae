//! Person names and the text normalisation used to compare names,
//! addresses and school names typed in different scripts and widths.

use crate::text;
use std::fmt;

/// Why a name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("姓名为空")]
    Empty,
    #[error("姓名含数字：“{text}”")]
    ContainsDigit { text: String },
    #[error("姓名过长：“{text}” 共 {len} 个字符，最多 {max} 个")]
    TooLong {
        text: String,
        len: usize,
        max: usize,
    },
    #[error("姓名含非法字符：“{text}” 中的“{ch}”，只允许汉字、字母和间隔号·")]
    BadChar { text: String, ch: char },
    #[error("姓名间隔号位置错误：“{text}”，间隔号不能在开头、结尾或连续出现")]
    MisplacedDot { text: String },
}

/// The longest accepted name in characters, after normalisation; long
/// transliterated minority names stay well below this.
pub const MAX_NAME_CHARS: usize = 30;

/// The canonical middle dot used in transliterated minority names.
pub const MIDDLE_DOT: char = '\u{00B7}';

/// Compound surnames, checked before falling back to a one-character surname.
/// 单于 is left out on purpose: 单 + 于… is far more common in real names.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "闻人", "南宫", "西门", "端木", "独孤", "百里", "呼延", "万俟",
    "澹台", "公冶", "太史", "申屠", "赫连", "拓跋", "第五", "东郭", "濮阳", "淳于", "鲜于", "闾丘",
    "亓官", "司空", "司寇", "子车", "颛孙", "壤驷", "公良", "漆雕", "乐正", "宰父", "谷梁", "段干",
    "梁丘", "左丘", "东门", "公西", "公羊", "微生", "羊舌", "巫马", "仲孙",
];

/// Characters people use for the middle dot in names such as 阿依·买买提.
fn is_dot_variant(c: char) -> bool {
    matches!(
        c,
        '\u{00B7}' // MIDDLE DOT
            | '\u{2022}' // BULLET
            | '\u{30FB}' // KATAKANA MIDDLE DOT
            | '\u{2027}' // HYPHENATION POINT
            | '\u{FF65}' // HALFWIDTH KATAKANA MIDDLE DOT
            | '\u{FE52}' // SMALL FULL STOP
            | '\u{2219}' // BULLET OPERATOR
            | '\u{22C5}' // DOT OPERATOR
            | '\u{0387}' // GREEK ANO TELEIA
            | '.'
            | '。'
    )
}

/// Normalises any text for comparison: full-width ASCII to half-width, all
/// whitespace (including U+3000) removed, middle-dot variants unified to
/// U+00B7, and traditional characters converted to simplified.
pub fn normalize_text(s: &str) -> String {
    let folded: String = s
        .chars()
        .map(text::halfwidth)
        .filter(|c| !c.is_whitespace())
        .map(|c| if is_dot_variant(c) { MIDDLE_DOT } else { c })
        .collect();
    // Conversion is skipped for pure ASCII because it cannot change it and
    // the converter is comparatively expensive.
    if folded.is_ascii() {
        return folded;
    }
    zhconv::zhconv(&folded, zhconv::Variant::ZhHans)
        .chars()
        .map(|c| if is_dot_variant(c) { MIDDLE_DOT } else { c })
        .collect()
}

/// Whether `c` is a CJK ideograph (unified, extensions A–H, compatibility,
/// or 〇); the supplementary range also covers the compatibility supplement.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}'
        | '\u{31350}'..='\u{323AF}')
}

/// A person's name as entered plus its normalised form for matching.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonName {
    original: String,
    normalized: String,
}

impl PersonName {
    /// Validates a name, keeping the trimmed original and building the
    /// normalised form (see [`normalize_text`]); validation applies to the
    /// normalised form so that full-width letters or spaces are not errors.
    pub fn parse(s: &str) -> Result<PersonName, NameError> {
        let original = s.trim_matches(|c: char| c.is_whitespace()).to_string();
        let normalized = normalize_text(&original);
        if normalized.is_empty() {
            return Err(NameError::Empty);
        }
        if normalized
            .chars()
            .any(|c| c.is_ascii_digit() || c.is_numeric() && !is_cjk(c))
        {
            return Err(NameError::ContainsDigit { text: original });
        }
        let len = normalized.chars().count();
        if len > MAX_NAME_CHARS {
            return Err(NameError::TooLong {
                text: original,
                len,
                max: MAX_NAME_CHARS,
            });
        }
        if let Some(ch) = normalized
            .chars()
            .find(|&c| !(is_cjk(c) || c.is_alphabetic() || c == MIDDLE_DOT))
        {
            return Err(NameError::BadChar { text: original, ch });
        }
        if normalized.starts_with(MIDDLE_DOT)
            || normalized.ends_with(MIDDLE_DOT)
            || normalized.contains("··")
        {
            return Err(NameError::MisplacedDot { text: original });
        }
        Ok(PersonName {
            original,
            normalized,
        })
    }

    /// The name as entered, trimmed.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The normalised name used for matching.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The surname part of the normalised name (see [`split_name`]).
    pub fn surname(&self) -> &str {
        split_name(&self.normalized).0
    }

    /// The given-name part of the normalised name (see [`split_name`]).
    pub fn given_name(&self) -> &str {
        split_name(&self.normalized).1
    }
}

/// Splits a normalised name into surname and given name.
///
/// Names with a middle dot (transliterated minority names) have no Chinese
/// surname; the part before the first dot is returned as the "surname" and
/// the rest (after the dot) as the given name. Otherwise a known compound
/// surname is used when at least one character remains, else the first
/// character. Names that do not start with a CJK character are returned
/// whole as the surname.
pub fn split_name(n: &str) -> (&str, &str) {
    if let Some((before, after)) = n.split_once(MIDDLE_DOT) {
        return (before, after);
    }
    let Some(first) = n.chars().next() else {
        return ("", "");
    };
    if !is_cjk(first) {
        return (n, "");
    }
    if n.chars().count() >= 3
        && let Some(c) = COMPOUND_SURNAMES.iter().find(|c| n.starts_with(**c))
    {
        return n.split_at(c.len());
    }
    n.split_at(first.len_utf8())
}

impl fmt::Display for PersonName {
    /// Displays the original as entered.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl std::str::FromStr for PersonName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<PersonName, NameError> {
        PersonName::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let check = |input: &str, expected: Result<&str, &str>| {
            let got = PersonName::parse(input);
            match (&got, expected) {
                (Ok(n), Ok(norm)) => assert_eq!(n.normalized(), norm, "input {input:?}"),
                (Err(e), Err(frag)) => assert!(e.to_string().contains(frag), "{input:?}: {e}"),
                _ => panic!("input {input:?}: got {got:?}, expected {expected:?}"),
            }
        };
        check("张三", Ok("张三"));
        check(" 张 三 ", Ok("张三"));
        check("张\u{3000}三", Ok("张三"));
        check("李小龍", Ok("李小龙"));
        check("陳國華", Ok("陈国华"));
        check("阿依·买买提", Ok("阿依·买买提"));
        check("阿依•买买提", Ok("阿依·买买提"));
        check("阿依・买买提", Ok("阿依·买买提"));
        check("阿依‧买买提", Ok("阿依·买买提"));
        check("阿依.买买提", Ok("阿依·买买提"));
        check("阿依。买买提", Ok("阿依·买买提"));
        check("阿依﹒买买提", Ok("阿依·买买提"));
        check("阿依･买买提", Ok("阿依·买买提"));
        check("阿依．买买提", Ok("阿依·买买提"));
        check("ＪＯＨＮ", Ok("JOHN"));
        check("欧阳娜娜", Ok("欧阳娜娜"));
        check("", Err("姓名为空"));
        check("   ", Err("姓名为空"));
        check("张3", Err("姓名含数字：“张3”"));
        check("张３", Err("姓名含数字"));
        check("张-三", Err("中的“-”"));
        check("张三(曾用名)", Err("中的“(”"));
        check("·张三", Err("间隔号"));
        check("张三·", Err("间隔号"));
        check("阿依··买买提", Err("间隔号"));
        check(&"张".repeat(31), Err("共 31 个字符"));
        assert!(PersonName::parse(&"张".repeat(30)).is_ok());
        let n = PersonName::parse(" 李小龍 ").unwrap();
        assert_eq!(n.original(), "李小龍");
        assert_eq!(n.to_string(), "李小龍");
    }

    #[test]
    fn surname_table() {
        let check = |input: &str, surname: &str, given: &str| {
            let n = PersonName::parse(input).unwrap();
            assert_eq!(
                (n.surname(), n.given_name()),
                (surname, given),
                "input {input:?}"
            );
        };
        check("张三", "张", "三");
        check("张小明", "张", "小明");
        check("欧阳娜娜", "欧阳", "娜娜");
        check("欧阳明", "欧阳", "明");
        check("欧阳", "欧", "阳");
        check("司马相如", "司马", "相如");
        check("诸葛亮", "诸葛", "亮");
        check("上官婉儿", "上官", "婉儿");
        check("第五伦", "第五", "伦");
        check("单于飞", "单", "于飞");
        check("阿依·买买提", "阿依", "买买提");
        check("李小龍", "李", "小龙");
        check("JOHN", "JOHN", "");
    }

    #[test]
    fn normalize_text_table() {
        let check =
            |input: &str, expected: &str| assert_eq!(normalize_text(input), expected, "{input:?}");
        check("宁远县 舂陵街道", "宁远县舂陵街道");
        check("寧遠縣第一中學", "宁远县第一中学");
        check("ABC１２３", "ABC123");
        check("", "");
        check("\u{3000}", "");
    }
}
