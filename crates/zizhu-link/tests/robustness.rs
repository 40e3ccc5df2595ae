//! Shapes of real county lists that neither test generator needs to
//! produce: each case is a pair of raw cells a clerk could type for the
//! same (or a different) person, checked through `prepare` + `compare`,
//! plus properties over generated dates, IDs and guardian labels.

use proptest::prelude::*;
use zizhu_core::date::Date;
use zizhu_link::{
    AddressLevel, DateLevel, DateParts, GuardianLevel, IdLevel, NameLevel, Record, compare,
    parse_date, prepare,
};

fn rec(name: &str, birth: &str, id: &str, guardian: &str, address: &str) -> Record {
    Record {
        record_id: "1".to_string(),
        name: name.to_string(),
        sex: String::new(),
        birth_date: birth.to_string(),
        id_number: id.to_string(),
        guardian_name: guardian.to_string(),
        address: address.to_string(),
    }
}

fn both(a: &Record, b: &Record) -> zizhu_link::Comparison {
    compare(&prepare(a), &prepare(b))
}

/// A valid number for a girl born 2008-03-05 (check digit 9).
const ID: &str = "431126200803051239";
/// A valid number ending in X.
const ID_X: &str = "43112620080305101X";

fn ymd(year: u16, month: u8, day: u8) -> Option<DateParts> {
    Some(DateParts { year, month, day })
}

#[test]
fn dates_in_every_shape_a_county_list_uses() {
    for cell in [
        "2008-03-05",
        "2008.3.5",
        "2008.03.05",
        "2008年3月5日",
        "2008 年 3 月 5 日",
        "２００８年３月５日",
        "２００８－０３－０５",
        "20080305",
        "39512",
        "39512.0",
        "2008/03/05 00:00:00",
        "2008/3/5 0:00",
        "2008-03-05T00:00:00",
        "2008/3/5",
        "2008。3。5",
        "二〇〇八年三月五日",
        "二零零八年三月五日",
        " 2008-03-05 ",
    ] {
        assert_eq!(parse_date(cell), ymd(2008, 3, 5), "{cell:?}");
    }
    assert_eq!(parse_date("二〇〇八年十二月二十五日"), ymd(2008, 12, 25));
    assert_eq!(parse_date("二〇〇八年十月三十一日"), ymd(2008, 10, 31));
    assert_eq!(parse_date("二〇〇八年三月"), ymd(2008, 3, 0));
    assert_eq!(parse_date("二〇〇八年二月三十日"), None, "no such day");
    assert_eq!(parse_date("不详"), None);
    assert_eq!(parse_date("三月五日"), None, "no year");
}

#[test]
fn swapped_day_and_month_and_other_slips_are_weaker_than_exact() {
    let level =
        |a: &str, b: &str| both(&rec("", a, "", "", ""), &rec("", b, "", "", "")).birth_date;
    assert_eq!(level("2008-03-05", "2008-05-03"), DateLevel::OneOff);
    assert_eq!(
        level("2008-03-25", "25/3/2008"),
        DateLevel::Exact,
        "D/M/YYYY read as such"
    );
    // 5/3/2008 is ambiguous; read as M/D/YYYY it is still a day/month swap.
    assert_eq!(level("2008-03-05", "5/3/2008"), DateLevel::OneOff);
    assert_eq!(level("2008-03-05", "2008-03-06"), DateLevel::OneOff);
    assert_eq!(level("2008-03-05", "2008-03-27"), DateLevel::Disagree);
    assert_eq!(level("2008-03-05", ""), DateLevel::Missing);
}

#[test]
fn id_cells_as_clerks_and_spreadsheets_write_them() {
    let level = |a: &str, b: &str| {
        both(
            &rec("王小明", "2008-03-05", a, "", ""),
            &rec("王小明", "2008-03-05", b, "", ""),
        )
        .id_number
    };
    for same in [
        "431126200803051239 ",
        " 431126200803051239",
        "431126 2008 0305 1239",
        "431126-20080305-1239",
        "'431126200803051239",
        "４３１１２６２００８０３０５１２３９",
        "431126080305123",
    ] {
        assert_eq!(level(ID, same), IdLevel::Exact, "{same:?}");
    }
    assert_eq!(level(ID_X, "43112620080305101x"), IdLevel::Exact);
    assert_eq!(level(ID_X, "43112620080305101ｘ"), IdLevel::Exact);
    // One wrong digit, an adjacent swap: repaired, name and date agreeing.
    assert_eq!(level(ID, "431126200803051299"), IdLevel::Repaired);
    assert_eq!(level(ID, "431126200803051293"), IdLevel::Repaired);
    // Through a spreadsheet as a number: the last digits are lost, area and
    // birth date survive (weak evidence, never a disagreement).
    for mangled in [
        "4.31126200803051E+17",
        "4.31126200803051e17",
        "431126200803051000",
    ] {
        assert_eq!(level(ID, mangled), IdLevel::BirthPart, "{mangled:?}");
    }
    assert_eq!(
        level(ID, "4.31126E+17"),
        IdLevel::Disagree,
        "birth digits lost"
    );
}

#[test]
fn sex_and_birth_date_come_from_the_id_when_the_cells_are_empty() {
    let p = prepare(&rec("王小明", "", ID, "", ""));
    assert_eq!(p.birth_date, ymd(2008, 3, 5));
    assert!(p.birth_date_from_id && p.sex_from_id);
    assert_eq!(p.sex, Some(zizhu_core::id::Sex::Male));
    let q = prepare(&rec("王小明", "", "431126080305123", "", ""));
    assert_eq!(
        q.birth_date,
        ymd(1908, 3, 5),
        "a bare 15-digit number reads as 19xx"
    );
    let r = prepare(&rec("王小明", "2008-03-05", "431126080305123", "", ""));
    assert_eq!(
        r.id.primary().map(|d| d[6..10].to_vec()),
        Some(b"2008".to_vec())
    );
}

#[test]
fn names_with_spaces_dots_full_width_and_traditional_characters() {
    let level = |a: &str, b: &str| both(&rec(a, "", "", "", ""), &rec(b, "", "", "", "")).name;
    for (a, b) in [
        ("王小明", "王 小 明"),
        ("王小明", "王\u{3000}小明"),
        ("ＷＡＮＧ ＬＩ", "wang li"),
        ("买买提·艾力", "买买提艾力"),
        ("买买提·艾力", "买买提•艾力"),
        ("买买提·艾力", "买买提.艾力"),
        ("买买提·艾力", "买买提・艾力"),
        ("李小龍", "李小龙"),
        ("劉德華", "刘德华"),
        ("歐陽娜娜", "欧阳娜娜"),
    ] {
        assert_eq!(level(a, b), NameLevel::Exact, "{a} / {b}");
    }
    for (a, b) in [
        ("王丽", "王莉"),
        ("陈国强", "陈囯强"),
        ("钟丽", "锺丽"),
        ("单小明", "单晓明"),
    ] {
        assert_eq!(level(a, b), NameLevel::Homophone, "{a} / {b}");
    }
    for (a, b) in [
        ("欧阳娜娜", "欧阳娜"),
        ("司马光明", "司马光"),
        ("王晓明", "王明"),
        ("张三丰", "张丰三"),
        ("王淑芬", "王淑芳"),
    ] {
        assert_eq!(level(a, b), NameLevel::Typo, "{a} / {b}");
    }
    // Twins: a different given name is never a typo.
    assert_eq!(level("张子涵", "张子轩"), NameLevel::SurnameOnly);
    assert_eq!(level("欧阳子涵", "欧阳子轩"), NameLevel::SurnameOnly);
}

#[test]
fn guardians_with_role_labels_and_two_names() {
    let level = |a: &str, b: &str| {
        both(&rec("张小明", "", "", a, ""), &rec("张小明", "", "", b, "")).guardian
    };
    for labelled in [
        "父：张伟",
        "父:张伟",
        "父亲张伟",
        "父亲 张伟",
        "监护人：张伟",
        "张伟（父）",
        "张伟(父亲)",
        "张伟【父亲】",
        "张伟、李娟",
        "张伟/李娟",
        "张伟，李娟",
        "張偉",
    ] {
        assert_eq!(level("张伟", labelled), GuardianLevel::Exact, "{labelled}");
    }
    assert_eq!(level("张伟", "母：李娟"), GuardianLevel::OtherParent);
    assert_eq!(
        level("张伟", "父亲"),
        GuardianLevel::Missing,
        "a role and no name"
    );
    // The rare surname 母 is not a label when only one character would remain.
    assert_eq!(level("母丽", "母丽"), GuardianLevel::Exact);
    assert_eq!(level("母丽", "丽"), GuardianLevel::OtherParent);
}

#[test]
fn addresses_with_and_without_the_administrative_prefix() {
    let level = |a: &str, b: &str| both(&rec("", "", "", "", a), &rec("", "", "", "", b)).address;
    for (a, b) in [
        ("湖南省永州市宁远县清水桥镇平田村三组", "清水桥镇平田村3组"),
        (
            "湖南省永州市宁远县清水桥镇平田村三组",
            "宁远县清水桥镇平田村第3组",
        ),
        ("清水桥镇平田村委会3组", "清水桥镇平田村第三组"),
        ("永州市宁远县舂陵街道东溪社区", "舂陵街道东溪居委会"),
        ("宁远县水市镇东村十二组", "水市镇东村12组"),
    ] {
        assert_eq!(level(a, b), AddressLevel::Exact, "{a} / {b}");
    }
    assert_eq!(
        level("宁远县清水桥镇平田村", "清水桥平田村"),
        AddressLevel::Exact,
        "the township marker omitted"
    );
    assert_eq!(
        level("清水桥镇平田村三组", "清水桥镇平田村五组"),
        AddressLevel::OtherGroup
    );
}

/// Days since 1899-12-30 (Excel's 1900 date system after February 1900).
fn excel_serial(y: i32, m: u32, d: u32) -> i64 {
    // Days from the civil calendar (H. Hinnant's algorithm).
    let days = |y: i32, m: u32, d: u32| -> i64 {
        let y = i64::from(if m <= 2 { y - 1 } else { y });
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = i64::from((m + 9) % 12);
        let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe
    };
    days(y, m, d) - days(1899, 12, 30)
}

fn day_in(year: i32) -> impl Strategy<Value = Date> {
    (1u32..=12, 1u32..=28).prop_map(move |(m, d)| Date::new(year, m, d).expect("valid day"))
}

fn chinese_year(year: i32) -> String {
    year.to_string()
        .chars()
        .map(|c| {
            "〇一二三四五六七八九"
                .chars()
                .nth(c as usize - '0' as usize)
                .unwrap_or(c)
        })
        .collect()
}

fn chinese_number(n: u32) -> String {
    let d = |n: u32| {
        "〇一二三四五六七八九"
            .chars()
            .nth(n as usize)
            .unwrap_or('?')
    };
    match n {
        1..=9 => d(n).to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", d(n - 10)),
        _ if n.is_multiple_of(10) => format!("{}十", d(n / 10)),
        _ => format!("{}十{}", d(n / 10), d(n % 10)),
    }
}

proptest! {
    /// Every way of writing one birth date parses to that date.
    #[test]
    fn every_date_shape_parses_to_the_same_day(year in 1995i32..2020, date in day_in(2000)) {
        let date = Date::new(year, date.month(), date.day()).expect("valid");
        let (y, m, d) = (date.year(), date.month(), date.day());
        let expected = ymd(u16::try_from(y).expect("year"), u8::try_from(m).expect("m"), u8::try_from(d).expect("d"));
        let serial = excel_serial(y, m, d);
        for cell in [
            format!("{y}-{m:02}-{d:02}"),
            format!("{y}.{m}.{d}"),
            format!("{y}年{m}月{d}日"),
            format!("{y}{m:02}{d:02}"),
            format!("{y}/{m:02}/{d:02} 00:00:00"),
            format!("{y}/{m}/{d}"),
            format!("{serial}"),
            format!("{}年{}月{}日", chinese_year(y), chinese_number(m), chinese_number(d)),
        ] {
            prop_assert_eq!(parse_date(&cell), expected, "{}", cell);
        }
    }

    /// A guardian's name with any role label, before or after, or followed
    /// by a second guardian, is the same guardian.
    #[test]
    fn role_labels_never_change_the_guardian(
        role in prop::sample::select(vec!["父", "母", "父亲", "母亲", "爷爷", "奶奶", "监护人"]),
        sep in prop::sample::select(vec!["：", ":", " ", ""]),
        name in prop::sample::select(vec!["张伟", "李娟", "欧阳建国", "王芳"]),
        other in prop::sample::select(vec!["", "、李四", "/赵敏", "，刘洋"]),
    ) {
        let plain = prepare(&rec("张小明", "", "", name, ""));
        for cell in [format!("{role}{sep}{name}{other}"), format!("{name}（{role}）{other}")] {
            let labelled = prepare(&rec("张小明", "", "", &cell, ""));
            prop_assert_eq!(
                compare(&plain, &labelled).guardian,
                GuardianLevel::Exact,
                "{}",
                cell
            );
        }
    }
}
