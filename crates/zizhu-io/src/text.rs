//! Small text helpers for headers and cell values.
//!
//! Header cells in county spreadsheets are typed by hand with a Chinese input
//! method, so the same column arrives with full-width letters, stray spaces,
//! line breaks inside the cell, a required-field star or a note in brackets.
//! These helpers fold all of that away before a header is compared with the
//! known names.

/// Folds a full-width ASCII variant or the ideographic space to half width.
pub(crate) fn halfwidth(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Normalises a header cell: half width, no whitespace, no required-field
/// stars, no bracketed notes such as `（必填）` or `(元)`, lower-case ASCII,
/// and the traditional forms that appear in headers folded to simplified.
pub(crate) fn normalize_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars().map(halfwidth) {
        match c {
            '(' | '[' | '【' | '〔' | '<' | '《' => depth += 1,
            ')' | ']' | '】' | '〕' | '>' | '》' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            '*' | '※' | '★' | ':' | '：' | '_' | '-' | '/' | '、' | '.' => {}
            c if c.is_whitespace() => {}
            c => out.push(fold_traditional(c.to_ascii_lowercase())),
        }
    }
    // A header that was nothing but a bracketed note (rare, but seen as
    // `(元)` alone under a merged money column) keeps its inner text rather
    // than becoming empty.
    if out.is_empty() {
        return s
            .chars()
            .map(halfwidth)
            .filter(|c| !c.is_whitespace() && !"()[]【】*".contains(*c))
            .collect();
    }
    out
}

/// The few traditional characters that occur in the header names this crate
/// knows; the full conversion of names and addresses is the core's job.
fn fold_traditional(c: char) -> char {
    match c {
        '號' => '号',
        '碼' => '码',
        '證' => '证',
        '學' => '学',
        '級' => '级',
        '紀' => '纪',
        '稱' => '称',
        '戶' => '户',
        '別' => '别',
        '貧' => '贫',
        '資' => '资',
        '類' => '类',
        '銀' => '银',
        '電' => '电',
        '話' => '话',
        '聯' => '联',
        '繫' | '係' => '系',
        '監' => '监',
        '護' => '护',
        '區' => '区',
        '劃' => '划',
        '鄉' => '乡',
        '鎮' => '镇',
        '縣' => '县',
        '賬' | '帳' => '账',
        '殘' => '残',
        c => c,
    }
}

/// Returns the spreadsheet column letters for a zero-based column index
/// (0 → `A`, 26 → `AA`), because officers find a cell by its letter.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Shortens a value for an error message so that a 1 MB cell does not make a
/// 1 MB message; the cut is made on a character boundary.
pub(crate) fn preview(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…（共 {} 个字符）", s.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_fold_to_one_form() {
        for (input, expected) in [
            ("身份证号", "身份证号"),
            (" 身份证号码\n(必填) ", "身份证号码"),
            ("*姓　名", "姓名"),
            ("公民身份號碼", "公民身份号码"),
            ("银行卡号（18位）", "银行卡号"),
            ("ＩＤ", "id"),
        ] {
            assert_eq!(normalize_header(input), expected, "{input}");
        }
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_letter(16383), "XFD");
    }
}
