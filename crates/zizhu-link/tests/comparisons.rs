//! `check(a, b, expected_level)` tables for every comparison function.

use zizhu_link::{
    AddressFeature, AddressLevel, DateLevel, GuardianLevel, IdFeature, IdLevel, NameFeature,
    NameLevel, Record, SexLevel, compare, compare_addresses, compare_dates, compare_guardians,
    compare_ids, compare_names, compare_sex, parse_date, parse_sex, prepare,
};

fn check_name(a: &str, b: &str, expected: NameLevel) {
    let got = compare_names(&NameFeature::parse(a), &NameFeature::parse(b));
    assert_eq!(got, expected, "{a} vs {b}");
    let back = compare_names(&NameFeature::parse(b), &NameFeature::parse(a));
    assert_eq!(back, expected, "{b} vs {a} (symmetry)");
}

#[test]
fn names() {
    use NameLevel::*;
    // Traditional and simplified forms are the same name.
    check_name("李小龍", "李小龙", Exact);
    check_name("歐陽娜娜", "欧阳娜娜", Exact);
    // Spaces, full width and middle-dot variants are formatting.
    check_name("王 丽", "王丽", Exact);
    check_name("阿依古丽·买买提", "阿依古丽•买买提", Exact);
    // Homophones typed by pinyin.
    check_name("王丽", "王莉", Homophone);
    check_name("张静怡", "张婧怡", Homophone);
    check_name("wang li", "王丽", Homophone);
    // Compound surname with a dropped character in the given name.
    check_name("欧阳娜娜", "欧阳娜", Typo);
    check_name("张子涵", "张涵", Typo);
    // Swapped characters.
    check_name("李明华", "李华明", Typo);
    // Near sounds (n/l, zh/z, -ng/-n) and look-alike characters.
    check_name("刘娜", "刘拉", Typo);
    check_name("王己", "王已", Typo);
    check_name("陈明", "陈民", Typo);
    // Twins and siblings: same surname, a different given name.
    check_name("张子涵", "张子轩", SurnameOnly);
    check_name("欧阳娜", "欧阳丽", SurnameOnly);
    check_name("王芳", "王伟", SurnameOnly);
    // Different people.
    check_name("王芳", "李娜", Disagree);
    check_name("欧阳娜娜", "欧娜娜", Typo);
    // Missing.
    check_name("", "王芳", Missing);
    check_name("  ", "", Missing);
}

fn id(s: &str) -> IdFeature {
    IdFeature::parse(s, None)
}

fn check_id(a: &str, b: &str, corroborated: bool, expected: IdLevel) {
    assert_eq!(
        compare_ids(&id(a), &id(b), corroborated),
        expected,
        "{a} vs {b} (corroborated: {corroborated})"
    );
    assert_eq!(
        compare_ids(&id(b), &id(a), corroborated),
        expected,
        "{b} vs {a} (symmetry)"
    );
}

#[test]
fn id_numbers() {
    use IdLevel::*;
    let good = "431126201209010017";
    check_id(good, good, false, Exact);
    // Formatting: spaces, full width digits, lower-case x.
    check_id("431126 2012 0901 0017", good, false, Exact);
    check_id("４３１１２６２０１２０９０１００１７", good, false, Exact);
    check_id("11010519491231002x", "11010519491231002X", false, Exact);
    // A 15-digit legacy number equals its 18-digit form.
    check_id("110105491231002", "11010519491231002X", false, Exact);
    // One wrong digit: repaired only when name and birth date agree.
    check_id("431126201209010018", good, true, Repaired);
    check_id("431126201209010018", good, false, Missing);
    check_id("431126201209810017", good, true, Repaired);
    // An adjacent swap.
    check_id("431126201209100017", good, true, Repaired);
    // A digit dropped or doubled.
    check_id("43112620120901017", good, true, Repaired);
    check_id("4311262012090100017", good, true, Repaired);
    // The same wrong number copied into both lists still agrees.
    check_id("431126201209010018", "431126201209010018", false, Exact);
    // Twins: same area and birth date, different sequence.
    check_id("431126201209010033", good, true, SameAreaBirth);
    // Two valid numbers of different areas are different people.
    check_id("431121201209010015", good, true, Disagree);
    // A damaged number (two slips) whose birth digits survive.
    check_id("431121201209010019", good, true, BirthPart);
    check_id("431126201003150022", good, true, Disagree);
    check_id("", good, true, Missing);
    check_id("不详", good, true, Disagree);
}

#[test]
fn id_repair_needs_agreeing_name_and_birth_date() {
    let right = Record {
        record_id: "r".into(),
        name: "李小龙".into(),
        birth_date: "2012-09-01".into(),
        id_number: "431126201209010017".into(),
        ..Record::default()
    };
    let typo = Record {
        record_id: "l".into(),
        name: "李小龍".into(),
        birth_date: "2012年9月1日".into(),
        id_number: "431126201209010018".into(),
        ..Record::default()
    };
    let c = compare(&prepare(&typo), &prepare(&right));
    assert_eq!(c.id_number, IdLevel::Repaired);

    let other_name = Record {
        name: "王芳".into(),
        ..typo.clone()
    };
    assert_eq!(
        compare(&prepare(&other_name), &prepare(&right)).id_number,
        IdLevel::Missing
    );
    let other_date = Record {
        birth_date: "2010-03-15".into(),
        ..typo.clone()
    };
    assert_eq!(
        compare(&prepare(&other_date), &prepare(&right)).id_number,
        IdLevel::Missing
    );
    // A list without birth dates whose slip hit the date digits
    // (2012 → 2512): the name alone vouches for the repair.
    let no_date = Record {
        birth_date: String::new(),
        id_number: "431126251209010017".into(),
        ..typo.clone()
    };
    assert_eq!(
        compare(&prepare(&no_date), &prepare(&right)).id_number,
        IdLevel::Repaired
    );
}

fn check_date(a: &str, b: &str, expected: DateLevel) {
    assert_eq!(
        compare_dates(parse_date(a), parse_date(b)),
        expected,
        "{a} vs {b}"
    );
}

#[test]
fn birth_dates() {
    use DateLevel::*;
    // Five formats of the same day, plus an Excel serial.
    for s in [
        "2008-03-05",
        "20080305",
        "2008/3/5",
        "2008年3月5日",
        "2008.03.05",
        "39512",
        "2008-03-05 00:00:00",
        "２００８年３月５日",
    ] {
        check_date(s, "2008-03-05", Exact);
    }
    check_date("2008-05-03", "2008-03-05", OneOff); // day/month swapped
    check_date("2008-03-06", "2008-03-05", OneOff); // one day off
    check_date("2007-03-05", "2008-03-05", OneOff); // one digit of the year
    check_date("2008-03-27", "2008-03-05", Disagree); // another day of the same month
    check_date("2008-03-05", "2008-03-50", Missing); // not a date at all
    check_date("2008-03-15", "2008-03-05", OneOff); // one digit
    check_date("2008年3月", "2008-03-05", OneOff); // year and month only
    check_date("2009-11-20", "2008-03-05", Disagree);
    check_date("", "2008-03-05", Missing);
    check_date("不详", "2008-03-05", Missing);
}

#[test]
fn birth_date_from_the_id_when_the_column_is_empty() {
    let a = prepare(&Record {
        record_id: "a".into(),
        id_number: "431126201209010017".into(),
        ..Record::default()
    });
    let b = prepare(&Record {
        record_id: "b".into(),
        birth_date: "2012/9/1".into(),
        sex: "男".into(),
        ..Record::default()
    });
    let c = compare(&a, &b);
    assert_eq!(c.birth_date, DateLevel::Exact);
    assert_eq!(c.sex, SexLevel::Agree);
    // When both dates come from the ID numbers, the ID level already counts them.
    let c2 = compare(&a, &a);
    assert_eq!(c2.birth_date, DateLevel::Missing);
    assert_eq!(c2.id_number, IdLevel::Exact);
}

#[test]
fn sexes() {
    use SexLevel::*;
    let s = |x: &str| parse_sex(x);
    assert_eq!(compare_sex(s("男"), s("M")), Agree);
    assert_eq!(compare_sex(s("女"), s("2")), Agree);
    assert_eq!(compare_sex(s("女"), s("男")), Disagree);
    assert_eq!(compare_sex(s(""), s("男")), Missing);
}

fn check_guardian(child: &str, a: &str, b: &str, expected: GuardianLevel) {
    let c = NameFeature::parse(child);
    assert_eq!(
        compare_guardians(&NameFeature::parse(a), &NameFeature::parse(b), &c, &c),
        expected,
        "{a} vs {b}"
    );
}

#[test]
fn guardians() {
    use GuardianLevel::*;
    check_guardian("李小龙", "李建國", "李建国", Exact);
    check_guardian("李小龙", "李建国", "李健国", Similar);
    // Two different fathers: both carry the child's surname.
    check_guardian("李小龙", "李建国", "李卫东", Disagree);
    // Father in one list, mother in the other.
    check_guardian("李小龙", "李建国", "张秀英", OtherParent);
    check_guardian("李小龙", "", "张秀英", Missing);
}

fn check_address(a: &str, b: &str, expected: AddressLevel) {
    assert_eq!(
        compare_addresses(&AddressFeature::parse(a), &AddressFeature::parse(b)),
        expected,
        "{a} vs {b}"
    );
}

#[test]
fn addresses() {
    use AddressLevel::*;
    check_address(
        "湖南省永州市宁远县清水桥镇平田村三组",
        "清水桥镇平田村3组",
        Exact,
    );
    check_address("宁远縣清水橋鎮平田村3組", "清水桥镇平田村第三组", Exact);
    check_address("清水桥镇平田村3组", "清水桥镇平田村5组", OtherGroup);
    check_address("清水桥镇平田村3组15号", "清水桥镇平田村", Village);
    check_address("清水桥镇平田村3组15号", "平田村三组", Exact);
    check_address("清水桥镇平田村3组15号", "平田村三组16号", Village);
    check_address("平田村3组", "清水桥镇平田村3组", Exact);
    check_address("清水桥镇平田村3组", "清水桥镇大洞村3组", Township);
    check_address("清水桥镇平田村3组", "天堂镇平田村3组", Disagree);
    check_address("", "天堂镇平田村3组", Missing);
    check_address(
        "宁远县舜陵街道九嶷路12号",
        "宁远县舜陵街道九嶷路12号",
        Exact,
    );
}
