//! What every page shares: the layout (header, menu, user), masking of
//! personal numbers, times in Beijing time, query strings and pagination.

use zizhu_core::Date;

use crate::accounts::Role;

/// One entry of the menu.
#[derive(Clone, Debug)]
pub(crate) struct NavItem {
    pub(crate) href: &'static str,
    pub(crate) label: &'static str,
    pub(crate) active: bool,
}

/// The signed-in user as the header shows them.
#[derive(Clone, Debug)]
pub(crate) struct UserBadge {
    pub(crate) display_name: String,
    pub(crate) role_label: &'static str,
    pub(crate) scope_label: String,
}

/// The frame of every page.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub(crate) county_name: String,
    pub(crate) title: String,
    pub(crate) user: Option<UserBadge>,
    pub(crate) nav: Vec<NavItem>,
    /// The session's form token, for the logout button in the header.
    pub(crate) csrf: String,
}

/// The menu sections, by the path prefix that marks them active.
const SECTIONS: [(&str, &str); 8] = [
    ("/", "首页"),
    ("/schools", "学校"),
    ("/students", "学生"),
    ("/households", "家庭户"),
    ("/imports", "名单导入"),
    ("/compare", "比对"),
    ("/audit", "审计日志"),
    ("/admin/users", "账号管理"),
];

impl Layout {
    /// A page for a signed-out visitor (login, errors before sign-in).
    pub(crate) fn bare(title: &str) -> Layout {
        Layout {
            county_name: crate::WebConfig::default().county_name,
            title: title.to_owned(),
            user: None,
            nav: Vec::new(),
            csrf: String::new(),
        }
    }

    /// A page for a signed-in user: their menu, with `path`'s section active.
    pub(crate) fn for_user(
        county_name: &str,
        title: &str,
        role: Role,
        badge: UserBadge,
        csrf: &str,
        path: &str,
    ) -> Layout {
        let nav = SECTIONS
            .iter()
            .filter(|(href, _)| match *href {
                "/imports" => role.may_view_imports(),
                "/compare" => crate::pages::compare::may_read(role),
                "/audit" | "/admin/users" => role.is_admin(),
                _ => true,
            })
            .map(|(href, label)| NavItem {
                href,
                label,
                active: if *href == "/" {
                    path == "/"
                } else {
                    path == *href || path.starts_with(&format!("{href}/"))
                },
            })
            .collect();
        Layout {
            county_name: county_name.to_owned(),
            title: title.to_owned(),
            user: Some(badge),
            nav,
            csrf: csrf.to_owned(),
        }
    }
}

/// `431126********0017`, or empty for a missing value.
pub(crate) fn mask_id(v: Option<&str>) -> String {
    v.map(zizhu_core::mask::mask_id).unwrap_or_default()
}

/// `622848********9012`.
pub(crate) fn mask_bank(v: &str) -> String {
    zizhu_core::mask::mask_bank(v)
}

/// `138****5678`.
pub(crate) fn mask_phone(v: Option<&str>) -> String {
    v.map(zizhu_core::mask::mask_phone).unwrap_or_default()
}

/// The address up to the township, then `****`.
pub(crate) fn mask_address(v: Option<&str>) -> String {
    v.map(zizhu_core::mask::mask_address).unwrap_or_default()
}

/// `text` with every personal number in it masked: a run of 15 or more
/// digits (an ID number, valid or not, with its `X`; a bank card) as
/// `431126********0023`, an 11-digit mobile number as `138****5678`. The
/// reasons of rejected rows quote the value they reject, and a mistyped ID
/// number is still a child's ID number. Shorter codes (school, region,
/// dates) stay.
pub(crate) fn mask_numbers_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let mut end = tail
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(tail.len());
        if end == 17 && tail[end..].starts_with(['X', 'x']) {
            end += 1;
        }
        let run = &tail[..end];
        if end >= 15 {
            out.push_str(&zizhu_core::mask::mask_id(run));
        } else if end == 11 && run.starts_with('1') {
            out.push_str(&zizhu_core::mask::mask_phone(run));
        } else {
            out.push_str(run);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// An ISO-8601 UTC timestamp as Beijing time, `2018-12-28 16:30`. County
/// staff read times on their own clock; the store keeps UTC so that both
/// backends and any server time zone agree.
pub(crate) fn beijing_time(iso: &str) -> String {
    let parse = || -> Option<String> {
        let date = Date::parse(iso.get(0..10)?).ok()?;
        let hour: i64 = iso.get(11..13)?.parse().ok()?;
        let minute = iso.get(14..16)?;
        let mut h = hour + 8;
        let mut d = date;
        if h >= 24 {
            h -= 24;
            d = d.add_days(1);
        }
        Some(format!("{d} {h:02}:{minute}"))
    };
    parse().unwrap_or_else(|| iso.to_owned())
}

/// Percent-encodes a query-string value (UTF-8 bytes; unreserved ASCII kept).
pub(crate) fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `a=1&b=2` from pairs, skipping empty values so links stay short.
pub(crate) fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A `Content-Disposition` value for a download with a Chinese file name:
/// an ASCII fallback and the UTF-8 name (RFC 6266 / 5987), which every
/// browser in use understands.
pub(crate) fn attachment(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        encode(file_name)
    )
}

/// One link of a pager.
#[derive(Clone, Debug)]
pub(crate) struct PageLink {
    pub(crate) label: String,
    pub(crate) href: String,
    pub(crate) current: bool,
}

/// The pager under a list.
#[derive(Clone, Debug)]
pub(crate) struct Pager {
    pub(crate) total: i64,
    pub(crate) page: u64,
    pub(crate) pages: u64,
    pub(crate) first_row: u64,
    pub(crate) last_row: u64,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
    pub(crate) links: Vec<PageLink>,
}

impl Pager {
    /// A pager for `total` rows, `per_page` a page, on page `page`
    /// (1-based); `href(n)` is the link to page `n`.
    pub(crate) fn new(total: i64, per_page: u64, page: u64, href: impl Fn(u64) -> String) -> Pager {
        let total_u = u64::try_from(total).unwrap_or(0);
        let pages = total_u.div_ceil(per_page).max(1);
        let page = page.clamp(1, pages);
        let first_row = if total_u == 0 {
            0
        } else {
            (page - 1) * per_page + 1
        };
        let last_row = (page * per_page).min(total_u);
        let lo = page.saturating_sub(3).max(1);
        let hi = (page + 3).min(pages);
        let mut links = Vec::new();
        if lo > 1 {
            links.push(PageLink {
                label: "1".into(),
                href: href(1),
                current: false,
            });
        }
        for n in lo..=hi {
            links.push(PageLink {
                label: n.to_string(),
                href: href(n),
                current: n == page,
            });
        }
        if hi < pages {
            links.push(PageLink {
                label: pages.to_string(),
                href: href(pages),
                current: false,
            });
        }
        Pager {
            total,
            page,
            pages,
            first_row,
            last_row,
            prev: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
            links,
        }
    }

    /// The row offset of the current page.
    pub(crate) fn offset(&self, per_page: u64) -> u64 {
        (self.page - 1) * per_page
    }
}

/// `是` / `否`.
pub(crate) fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

/// An integer with thousands separators, as county reports print them.
pub(crate) fn grouped(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_numbers_in_a_sentence_are_masked() {
        for (text, expected) in [
            (
                "身份证号校验位错误：431126201003150023 的第18位应为 2，实为 3",
                "身份证号校验位错误：431126********0023 的第18位应为 2，实为 3",
            ),
            (
                "号码 43112620100315002X 有误",
                "号码 431126********002X 有误",
            ),
            ("卡号 622848123456789012。", "卡号 622848********9012。"),
            ("电话 13812345678 不是", "电话 138****5678 不是"),
            (
                "学校 2143000001，区划 431126001004，出生日期 23121230",
                "学校 2143000001，区划 431126001004，出生日期 23121230",
            ),
            ("", ""),
        ] {
            assert_eq!(mask_numbers_in(text), expected, "{text}");
        }
    }

    #[test]
    fn beijing_time_rolls_over_midnight() {
        assert_eq!(beijing_time("2018-12-28T08:30:00.123Z"), "2018-12-28 16:30");
        assert_eq!(beijing_time("2018-12-31T20:05:00.000Z"), "2019-01-01 04:05");
        assert_eq!(beijing_time("garbage"), "garbage");
    }

    #[test]
    fn query_strings_encode_chinese() {
        assert_eq!(
            query_string(&[("q", "李小龍".into()), ("page", String::new())]),
            "q=%E6%9D%8E%E5%B0%8F%E9%BE%8D"
        );
    }

    #[test]
    fn attachment_names_survive_in_utf8() {
        let v = attachment("退回报告.xlsx");
        assert!(v.starts_with("attachment; filename=\"____.xlsx\"; filename*=UTF-8''%E9%80%80"));
    }

    #[test]
    fn pager_windows() {
        let p = Pager::new(1234, 50, 10, |n| format!("?page={n}"));
        assert_eq!(p.pages, 25);
        assert_eq!((p.first_row, p.last_row), (451, 500));
        let labels: Vec<_> = p.links.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["1", "7", "8", "9", "10", "11", "12", "13", "25"]);
        let empty = Pager::new(0, 50, 3, |n| n.to_string());
        assert_eq!((empty.page, empty.first_row, empty.last_row), (1, 0, 0));
    }

    #[test]
    fn grouping() {
        assert_eq!(grouped(77349), "77,349");
        assert_eq!(grouped(-1000), "-1,000");
        assert_eq!(grouped(12), "12");
    }
}
