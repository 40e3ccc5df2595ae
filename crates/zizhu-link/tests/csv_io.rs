//! Reading department lists and writing links as CSV.

use std::io::Write;
use zizhu_link::{LinkConfig, LinkError, Record, link, read_csv, write_links_csv};

const HEADER: &str = "record_id,name,sex,birth_date,id_number,guardian_name,address\n";

fn read(text: &str) -> Result<Vec<Record>, LinkError> {
    read_csv(text.as_bytes())
}

#[test]
fn reads_rows_in_any_column_order_with_a_bom() {
    let text = "\u{feff}address,name,record_id,sex,birth_date,guardian_name,id_number\n\
                清水桥镇平田村3组,李小龍,L1,男,2012/9/1,李建国,431126201209010017\n\
                ,王芳,L2,,,,\n";
    let rows = read(text).expect("valid CSV");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].record_id, "L1");
    assert_eq!(rows[0].name, "李小龍");
    assert_eq!(rows[0].address, "清水桥镇平田村3组");
    assert_eq!(rows[0].id_number, "431126201209010017");
    assert_eq!(rows[1].record_id, "L2");
    assert_eq!(rows[1].sex, "");
}

#[test]
fn chinese_headers_are_accepted() {
    let text = "编号,姓名,性别,出生日期,身份证号,监护人姓名,家庭住址\nA,王芳,女,2010-01-01,,,\n";
    let rows = read(text).expect("valid CSV");
    assert_eq!(rows[0].name, "王芳");
}

#[test]
fn a_missing_column_is_named() {
    let err = read("record_id,name,sex,birth_date,guardian_name,address\nL1,王芳,女,,,\n")
        .expect_err("id_number is missing");
    assert!(matches!(
        err,
        LinkError::MissingColumn {
            column: "id_number",
            ..
        }
    ));
    let msg = err.to_string();
    assert!(msg.contains("缺少") && msg.contains("id_number"), "{msg}");
}

#[test]
fn a_short_row_names_its_row() {
    let text = format!("{HEADER}L1,王芳,女,,,,\nL2,李娜,女\n");
    let err = read(&text).expect_err("row 3 is short");
    assert!(
        matches!(
            err,
            LinkError::FieldCount {
                row: 3,
                found: 3,
                expected: 7
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("第3行"), "{err}");
}

#[test]
fn an_empty_record_id_names_row_and_column() {
    let text = format!("{HEADER}L1,王芳,女,,,,\n,李娜,女,,,,\n");
    let err = read(&text).expect_err("row 3 has no id");
    let msg = err.to_string();
    assert!(msg.contains("第3行") && msg.contains("record_id"), "{msg}");
}

#[test]
fn invalid_utf8_names_row_and_column() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"L1,\xcd\xf5\xb7\xbc,F,,,,\n"); // 王芳 in GBK
    let err = read_csv(bytes.as_slice()).expect_err("GBK is not UTF-8");
    let msg = err.to_string();
    assert!(
        msg.contains("第2行") && msg.contains("name") && msg.contains("UTF-8"),
        "{msg}"
    );
}

#[test]
fn an_empty_file_is_an_error() {
    assert!(matches!(read(""), Err(LinkError::Empty)));
}

#[test]
fn files_round_trip_and_links_are_written_with_six_decimals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let left_path = dir.path().join("left.csv");
    let right_path = dir.path().join("right.csv");
    let mut left = std::fs::File::create(&left_path).expect("create");
    write!(
        left,
        "{HEADER}L1,李小龍,男,2012/9/1,431126201209010018,李建国,湖南省永州市宁远县清水桥镇平田村三组\n\
         L2,王芳,女,2010-03-15,,张伟,天堂镇大洞村1组\n"
    )
    .expect("write");
    let mut right = std::fs::File::create(&right_path).expect("create");
    write!(
        right,
        "{HEADER}R1,李小龙,1,2012年9月1日,431126201209010017,李建國,清水桥镇平田村3组\n\
         R2,赵敏,2,2011-01-01,,,\n"
    )
    .expect("write");
    let l = read_csv(std::fs::File::open(&left_path).expect("open")).expect("left");
    let r = read_csv(std::fs::File::open(&right_path).expect("open")).expect("right");
    let result = link(&l, &r, &LinkConfig::default());
    let mut out = Vec::new();
    write_links_csv(&mut out, &l, &r, &result).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("left_id,right_id,match_probability"));
    let first = lines.next().expect("one link");
    assert!(first.starts_with("L1,R1,"), "{text}");
    let p = first.rsplit(',').next().expect("probability");
    assert_eq!(p.len(), "0.999999".len(), "{first}");
    assert_eq!(lines.next(), None, "{text}");
}
