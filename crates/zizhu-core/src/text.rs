//! Small character helpers shared by the parsers.

/// Maps a full-width ASCII variant (U+FF01..U+FF5E) or the ideographic space
/// to its half-width form, because spreadsheets typed with a Chinese IME mix
/// both widths freely.
pub(crate) fn halfwidth(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Returns the string with every full-width ASCII character folded to half width.
pub(crate) fn to_halfwidth(s: &str) -> String {
    s.chars().map(halfwidth).collect()
}

/// Returns the string with full-width folded and all whitespace removed.
pub(crate) fn compact(s: &str) -> String {
    s.chars()
        .map(halfwidth)
        .filter(|c| !c.is_whitespace())
        .collect()
}
