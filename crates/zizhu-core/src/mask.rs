//! Masking of sensitive personal data for public notices (公示) and logs.
//!
//! Every function accepts any string, valid or not, never panics, and never
//! reveals the middle of the value: the notice rules of 教财〔2018〕16号
//! forbid showing sensitive personal data, and invalid input is exactly what
//! ends up in error reports.

use crate::bank::{BankCard, Phone};
use crate::id::IdNumber;
use crate::name::{MIDDLE_DOT, normalize_text, split_name};

/// Keeps `head` leading and `tail` trailing characters and stars the rest,
/// preserving the length; if the value is too short for at least one star
/// in the middle, every character is starred.
fn keep_ends(chars: &[char], head: usize, tail: usize) -> String {
    let n = chars.len();
    if n <= head + tail {
        return "*".repeat(n);
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(n - head - tail));
    out.extend(&chars[n - tail..]);
    out
}

/// Characters of `s` without whitespace and dashes.
fn significant_chars(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '—' | '–'))
        .collect()
}

/// `431126********0017`; for invalid input, the first 6 and last 4
/// characters are kept only when at least one character lies between.
pub fn mask_id(s: &str) -> String {
    match IdNumber::parse(s) {
        Ok(id) => id.masked(),
        Err(_) => keep_ends(&significant_chars(s), 6, 4),
    }
}

/// A 全国学籍号 with the ID number it carries masked
/// (`G431126********0017`): a G-number is the letter plus the student's ID
/// number, so showing it whole would reveal the ID.
pub fn mask_student_no(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() => {
            format!("{first}{}", mask_id(chars.as_str()))
        }
        _ => mask_id(s),
    }
}

/// `622848********9012`; invalid input is masked the same way by position.
pub fn mask_bank(s: &str) -> String {
    match BankCard::parse(s) {
        Ok(card) => card.masked(),
        Err(_) => keep_ends(&significant_chars(s), 6, 4),
    }
}

/// `138****5678`; invalid input keeps the first 3 and last 4 characters.
pub fn mask_phone(s: &str) -> String {
    match Phone::parse(s) {
        Ok(p) => p.masked(),
        Err(_) => keep_ends(&significant_chars(s), 3, 4),
    }
}

/// Township-level markers, after which an address becomes personal.
const TOWNSHIP_MARKERS: [&str; 4] = ["街道", "镇", "乡", "苏木"];
/// County-level markers, used to skip place names such as 镇远县 or 乡宁县
/// whose first character looks like a township marker.
const COUNTY_MARKERS: [char; 4] = ['县', '区', '旗', '市'];

/// Keeps the address up to and including the township (乡/镇/街道), then
/// `****`; without a recognisable township, keeps the first 6 characters.
pub fn mask_address(s: &str) -> String {
    let t = normalize_text(s);
    let chars: Vec<char> = t.chars().collect();
    let keep = township_end(&chars).unwrap_or(chars.len().min(6));
    let mut out: String = chars[..keep].iter().collect();
    out.push_str("****");
    out
}

/// The character index just after the township marker, if one is found:
/// first after the first county-level marker, else anywhere after the
/// first character.
fn township_end(chars: &[char]) -> Option<usize> {
    let find_from = |start: usize| -> Option<usize> {
        (start.max(1)..chars.len()).find_map(|i| {
            TOWNSHIP_MARKERS.iter().find_map(|m| {
                let m: Vec<char> = m.chars().collect();
                chars[i..].starts_with(&m).then_some(i + m.len())
            })
        })
    };
    let county_end = chars
        .iter()
        .position(|c| COUNTY_MARKERS.contains(c))
        .map(|i| i + 1);
    county_end.and_then(find_from).or_else(|| find_from(1))
}

/// `张*`, `张**`, `欧阳**`, `阿依·***`: the surname stays, every other
/// character (except middle dots) becomes `*`; a one-character name becomes `*`.
pub fn mask_name(s: &str) -> String {
    let n = normalize_text(s);
    let chars = n.chars().count();
    if chars <= 1 {
        return "*".repeat(chars);
    }
    let (surname, given) = split_name(&n);
    if given.is_empty() {
        // No recognisable surname (e.g. Latin script): keep only the first character.
        let mut out: String = n.chars().take(1).collect();
        out.push_str(&"*".repeat(chars - 1));
        return out;
    }
    let mut out = surname.to_string();
    if n.contains(MIDDLE_DOT) {
        out.push(MIDDLE_DOT);
    }
    out.extend(
        given
            .chars()
            .map(|c| if c == MIDDLE_DOT { MIDDLE_DOT } else { '*' }),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_table() {
        let check = |i: &str, e: &str| assert_eq!(mask_id(i), e, "{i:?}");
        check("431126201209010017", "431126********0017");
        check("431126 2012 0901 0017", "431126********0017");
        check("110105491231002", "110105********002X");
        check("431126201209010018", "431126********0018");
        check("43112620120", "431126*0120");
        check("4311262012", "**********");
        check("", "");
        check("张三", "**");
    }

    #[test]
    fn bank_phone_table() {
        assert_eq!(mask_bank("6228 4812 3456 7890 12"), "622848********9012");
        assert_eq!(mask_bank("621700123456789012"), "621700********9012");
        assert_eq!(mask_bank("123"), "***");
        assert_eq!(mask_bank(""), "");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+86 138 1234 5678"), "138****5678");
        assert_eq!(mask_phone("0746-7221234"), "0746-***1234");
        assert_eq!(mask_phone("1381234"), "*******");
        assert_eq!(mask_phone("12345678901"), "123****8901");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn address_table() {
        let check = |i: &str, e: &str| assert_eq!(mask_address(i), e, "{i:?}");
        check(
            "湖南省永州市宁远县舂陵街道南门村5组",
            "湖南省永州市宁远县舂陵街道****",
        );
        check("宁远县天堂镇大洞村3组", "宁远县天堂镇****");
        check("宁远县五龙山瑶族乡高峰村", "宁远县五龙山瑶族乡****");
        check("贵州省镇远县羊场镇某村", "贵州省镇远县羊场镇****");
        check("天堂镇大洞村3组", "天堂镇****");
        check("寧遠縣天堂鎮大洞村", "宁远县天堂镇****");
        check("大洞村3组12号", "大洞村3组1****");
        check("某地", "某地****");
        check("", "****");
    }

    #[test]
    fn name_table() {
        let check = |i: &str, e: &str| assert_eq!(mask_name(i), e, "{i:?}");
        check("张三", "张*");
        check("张小明", "张**");
        check("欧阳娜娜", "欧阳**");
        check("欧阳明", "欧阳*");
        check("阿依·买买提", "阿依·***");
        check("阿依·买买提·江", "阿依·***·*");
        check("李小龍", "李**");
        check("张", "*");
        check("", "");
        check("JOHN", "J***");
    }
}

#[cfg(test)]
mod student_no_tests {
    use super::mask_student_no;

    #[test]
    fn student_numbers_hide_the_id_they_carry() {
        for (input, expected) in [
            ("G431126201209010017", "G431126********0017"),
            ("L4311262012090100", "L431126******0100"),
            ("431126201209010017", "431126********0017"),
            ("", ""),
            ("G", "G"),
        ] {
            assert_eq!(mask_student_no(input), expected, "{input}");
        }
    }
}
