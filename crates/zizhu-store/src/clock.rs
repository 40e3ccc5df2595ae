//! Wall-clock timestamps for the audit log and import batches.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zizhu_core::Date;

/// The current time as ISO-8601 UTC with milliseconds, e.g.
/// `2018-12-28T08:30:00.123Z`.
///
/// The timestamp is made here rather than by the database so that both
/// backends store the same text in the same format, and it is stored as
/// text because SQLite has no timestamp type. Lexical order is time order.
pub fn now_utc() -> String {
    utc_after(Duration::ZERO)
}

/// The time `after` from now, in the format of [`now_utc`]. Session expiry
/// is stored this way so that "has it expired" is a text comparison that
/// both backends evaluate identically.
pub fn utc_after(after: Duration) -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(after);
    format_utc(since.as_millis())
}

/// The time `before` ago, in the format of [`now_utc`].
pub fn utc_before(before: Duration) -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_sub(before);
    format_utc(since.as_millis())
}

fn format_utc(millis: u128) -> String {
    let secs = i64::try_from(millis / 1000).unwrap_or(i64::MAX);
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let date = Date::from_days_since_epoch(days);
    format!(
        "{date}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        millis % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::format_utc;

    #[test]
    fn formats_iso_utc() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00.000Z");
        // 2018-12-28 08:30:00.123 UTC.
        assert_eq!(format_utc(1_545_985_800_123), "2018-12-28T08:30:00.123Z");
    }
}
