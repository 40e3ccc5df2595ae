//! Real-data shapes the maker and the county generator may never produce:
//! each case is a pair of raw cells a clerk could type for the same (or a
//! different) person, checked through the public comparison functions.

use zizhu_link::{
    DateLevel, GuardianLevel, IdLevel, NameLevel, Record, compare, parse_date, prepare,
};

fn rec(name: &str, sex: &str, birth: &str, id: &str, guardian: &str, address: &str) -> Record {
    Record {
        record_id: "1".to_string(),
        name: name.to_string(),
        sex: sex.to_string(),
        birth_date: birth.to_string(),
        id_number: id.to_string(),
        guardian_name: guardian.to_string(),
        address: address.to_string(),
    }
}

fn name_level(a: &str, b: &str) -> NameLevel {
    compare(
        &prepare(&rec(a, "", "", "", "", "")),
        &prepare(&rec(b, "", "", "", "", "")),
    )
    .name
}

fn date_level(a: &str, b: &str) -> DateLevel {
    compare(
        &prepare(&rec("", "", a, "", "", "")),
        &prepare(&rec("", "", b, "", "", "")),
    )
    .birth_date
}

fn id_level(a: &str, b: &str) -> IdLevel {
    compare(
        &prepare(&rec("王小明", "", "", a, "", "")),
        &prepare(&rec("王小明", "", "", b, "", "")),
    )
    .id_number
}

fn guardian_level(a: &str, b: &str) -> GuardianLevel {
    compare(
        &prepare(&rec("张小明", "", "", "", a, "")),
        &prepare(&rec("张小明", "", "", "", b, "")),
    )
    .guardian
}

/// A valid 18-digit number (check digit 7) for 2008-03-05.
const ID: &str = "431126200803051239";

#[test]
fn probe() {
    eprintln!("{:?}", zizhu_link::IdFeature::parse(ID, None));
    for d in [
        "2008-03-05",
        "2008.3.5",
        "2008年3月5日",
        "20080305",
        "39512",
        "39512.0",
        "2008/03/05 00:00:00",
        "2008/3/5",
        "2008-03-05T00:00:00",
        "２００８年３月５日",
        "2008 年 3 月 5 日",
        "2008-3-5 0:00",
        "08-03-05",
        "2008。3。5",
        "2008,3,5",
        "二〇〇八年三月五日",
    ] {
        eprintln!("date {d:?} -> {:?}", parse_date(d));
    }
    for (a, b) in [
        ("王小明", "王 小 明"),
        ("王小明", "王　小明"),
        ("ＷＡＮＧ", "wang"),
        ("买买提·艾力", "买买提艾力"),
        ("买买提·艾力", "买买提•艾力"),
        ("买买提·艾力", "买买提.艾力"),
        ("李小龍", "李小龙"),
        ("欧阳娜娜", "欧阳娜"),
        ("欧阳娜娜", "欧娜娜"),
        ("司马光明", "司马光"),
        ("王丽", "王莉"),
        ("张子涵", "张子轩"),
        ("王晓明", "王明"),
        ("王小明", "王明"),
        ("陈国强", "陈囯强"),
        ("黄海峰", "黃海峰"),
        ("单小明", "单晓明"),
        ("刘德华", "劉德華"),
        ("杨洋", "楊洋"),
        ("钟丽", "锺丽"),
        ("王淑芬", "王淑芳"),
        ("张三丰", "张丰三"),
    ] {
        eprintln!("name {a} / {b} -> {:?}", name_level(a, b));
    }
    for (a, b) in [
        (ID, "431126200803051239 "),
        (ID, " 431126200803051239"),
        ("43112620080305101X", "43112620080305101x"),
        (ID, "４３１１２６２００８０３０５１２３９"),
        (ID, "431126080305123"),
        (ID, "431126200803051293"),
        (ID, "431126 2008 0305 1239"),
        (ID, "431126200803051299"),
        (ID, "'431126200803051239"),
        (ID, "4.31126200803051e17"),
        (ID, "4.31126200803051E+17"),
        (ID, "431126200803051000"),
        (ID, "431126200803052239"),
    ] {
        eprintln!("id {a:?} / {b:?} -> {:?}", id_level(a, b));
    }
    for (a, b) in [
        ("张伟", "父：张伟"),
        ("张伟", "父亲张伟"),
        ("张伟", "张伟（父）"),
        ("张伟", "张伟(父亲)"),
        ("张伟", "张伟、李娟"),
        ("张伟", "张伟/李娟"),
        ("张伟", "母：李娟"),
        ("張偉", "张伟"),
    ] {
        eprintln!("guardian {a} / {b} -> {:?}", guardian_level(a, b));
    }
    for (a, b) in [
        ("湖南省永州市宁远县清水桥镇平田村三组", "清水桥镇平田村3组"),
        ("宁远县清水桥镇平田村", "清水桥平田村"),
        ("清水桥镇平田村委会3组", "清水桥镇平田村第三组"),
        ("湖南省宁远县清水桥镇平田村", "湖南宁远清水桥镇平田村"),
        ("永州市宁远县舂陵街道东溪社区", "舂陵街道东溪居委会"),
    ] {
        let c = compare(
            &prepare(&rec("", "", "", "", "", a)),
            &prepare(&rec("", "", "", "", "", b)),
        );
        eprintln!("address {a} / {b} -> {:?}", c.address);
    }
    for (a, b) in [
        ("2008-03-05", "2008-05-03"),
        ("2008-03-05", "2008-03-06"),
        ("2008-03-05", "2008-03-15"),
    ] {
        eprintln!("date {a} / {b} -> {:?}", date_level(a, b));
    }
    for s in [
        "", "男", "女", "1", "2", "M", "F", "男性", "Ｍ", "男 ", "未知", "9",
    ] {
        let p = prepare(&rec("", s, "", ID, "", ""));
        eprintln!("sex {s:?} -> {:?} from_id {}", p.sex, p.sex_from_id);
    }
}
