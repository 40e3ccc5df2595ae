//! Bad input: every broken, hostile or odd file gets a clear Chinese error
//! naming the file, row, column and value (or imports correctly), and a
//! failed file leaves the database exactly as it was.

mod common;

use common::*;
use zizhu_io::{ImportError, ListKind, Mapping, import_file};

const HEADER: [&str; 5] = ["姓名", "身份证号", "性别", "出生日期", "家庭现地址"];

fn person_row(name: &str, n: u16) -> Vec<String> {
    let id = child_id(n);
    let d = zizhu_core::IdNumber::parse(&id).expect("valid");
    vec![
        name.to_string(),
        id.clone(),
        d.sex().label().to_string(),
        d.birth_date().to_string(),
        "湖南省宁远县舜陵街道".to_string(),
    ]
}

fn refs(rows: &[Vec<String>]) -> Vec<Vec<&str>> {
    rows.iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect()
}

/// Imports a file that must fail, checks the database did not change, and
/// returns the error message.
async fn must_fail(db: &TestDb, kind: ListKind, path: &std::path::Path) -> String {
    let before = counts(&db.store).await;
    let err = import_file(&db.store, kind, path, &opts())
        .await
        .expect_err("the import should fail");
    let after = counts(&db.store).await;
    assert_eq!(before, after, "a failed import changed the database: {err}");
    let msg = err.to_string();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(msg.contains(&name), "the message names the file: {msg}");
    msg
}

#[tokio::test]
async fn empty_file() {
    let db = fresh_store().await;
    let p = db.dir.path().join("空名单.csv");
    std::fs::write(&p, b"").unwrap();
    let msg = must_fail(&db, ListKind::Population, &p).await;
    assert!(msg.contains("空文件"), "{msg}");
}

#[tokio::test]
async fn header_only_file() {
    let db = fresh_store().await;
    let p = write_csv(db.dir.path(), "只有表头.csv", &[HEADER.to_vec()]);
    let msg = must_fail(&db, ListKind::Population, &p).await;
    assert!(msg.contains("只有表头，没有数据行"), "{msg}");
    let p = write_xlsx(
        db.dir.path(),
        "只有表头.xlsx",
        "名单",
        &[vec!["某县人口名单"], HEADER.to_vec()],
    );
    let msg = must_fail(&db, ListKind::Population, &p).await;
    assert!(msg.contains("工作表「名单」"), "{msg}");
}

#[tokio::test]
async fn truncated_xlsx() {
    let db = fresh_store().await;
    let rows: Vec<Vec<String>> = (1..200).map(|n| person_row("张三", n)).collect();
    let mut all = vec![HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    all.extend(rows);
    let p = write_xlsx(db.dir.path(), "完整.xlsx", "名单", &refs(&all));
    let bytes = std::fs::read(&p).unwrap();
    let cut = db.dir.path().join("下载中断.xlsx");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let msg = must_fail(&db, ListKind::Population, &cut).await;
    assert!(msg.contains("已损坏或不完整"), "{msg}");
}

/// CRC-32 (IEEE), for building a zip by hand.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid zip holding one stored (uncompressed) file.
fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32(data);
    let mut z = Vec::new();
    let n = name.as_bytes();
    z.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    z.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&(data.len() as u32).to_le_bytes());
    z.extend_from_slice(&(data.len() as u32).to_le_bytes());
    z.extend_from_slice(&(n.len() as u16).to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z.extend_from_slice(n);
    z.extend_from_slice(data);
    let cd = z.len();
    z.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    z.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&(data.len() as u32).to_le_bytes());
    z.extend_from_slice(&(data.len() as u32).to_le_bytes());
    z.extend_from_slice(&(n.len() as u16).to_le_bytes());
    z.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(n);
    let cd_len = z.len() - cd;
    z.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    z.extend_from_slice(&(cd_len as u32).to_le_bytes());
    z.extend_from_slice(&(cd as u32).to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z
}

#[tokio::test]
async fn zip_that_is_not_a_workbook() {
    let db = fresh_store().await;
    let p = db.dir.path().join("照片.xlsx");
    std::fs::write(&p, stored_zip("readme.txt", "这不是工作簿".as_bytes())).unwrap();
    let msg = must_fail(&db, ListKind::Population, &p).await;
    assert!(msg.contains("不是有效的 Excel 工作簿"), "{msg}");
    assert!(msg.contains("zip"), "{msg}");
}

#[tokio::test]
async fn binary_garbage() {
    let db = fresh_store().await;
    let p = db.dir.path().join("乱码.csv");
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&p, bytes).unwrap();
    let msg = must_fail(&db, ListKind::Population, &p).await;
    assert!(msg.contains("二进制"), "{msg}");
}

#[tokio::test]
async fn gbk_csv_with_utf8_lines_pasted_in() {
    let db = fresh_store().await;
    // The bulk of the file is GBK as Excel saves it; two lines were pasted
    // in from a UTF-8 file without a byte-order mark.
    let mut bytes = Vec::new();
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    bytes.extend(gbk("宁远县2018年适龄儿童名单\r\n"));
    bytes.extend(gbk(&format!("{}\r\n", HEADER.join(","))));
    for n in 1..=20 {
        bytes.extend(gbk(&format!("{}\r\n", person_row("欧阳娜娜", n).join(","))));
    }
    bytes.extend(format!("{}\r\n", person_row("司马相如", 21).join(",")).as_bytes());
    bytes.extend(format!("{}\r\n", person_row("诸葛亮亮", 22).join(",")).as_bytes());
    let p = db.dir.path().join("混合编码.csv");
    std::fs::write(&p, bytes).unwrap();
    let s = import(&db.store, ListKind::Population, &p).await;
    assert_eq!((s.read, s.accepted, s.rejected), (22, 22, 0), "{s}");
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("GBK") && n.contains("UTF-8") && n.contains("第 23 行")),
        "{s}"
    );
    let id = zizhu_core::IdNumber::parse(&child_id(21)).unwrap();
    let p = db
        .store
        .get_person_by_id_number(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.record.name.original(), "司马相如");
    let id = zizhu_core::IdNumber::parse(&child_id(3)).unwrap();
    let p = db
        .store
        .get_person_by_id_number(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.record.name.original(), "欧阳娜娜");
}

#[tokio::test]
async fn undecodable_bytes_are_a_rejected_row() {
    let db = fresh_store().await;
    let mut bytes = format!("{}\r\n", HEADER.join(",")).into_bytes();
    bytes.extend(format!("{}\r\n", person_row("张三", 1).join(",")).as_bytes());
    let mut bad = person_row("X", 2);
    bad[0] = String::new();
    let line = bad.join(",");
    bytes.extend([0xFF, 0xFE, 0xFF]);
    bytes.extend(format!("{line}\r\n").as_bytes());
    let p = db.dir.path().join("坏字节.csv");
    std::fs::write(&p, bytes).unwrap();
    let s = import(&db.store, ListKind::Population, &p).await;
    assert_eq!((s.read, s.accepted, s.rejected), (2, 1, 1), "{s}");
    let report = read_xlsx(s.rejection_report.as_ref().unwrap());
    let row = &report[0].1[1];
    assert_eq!(row[5], "3", "行号");
    assert!(row[6].starts_with("A（姓名）"), "{row:?}");
    assert!(row[8].contains("文字编码无法识别"), "{row:?}");
}

/// A rejection report that cannot be written rolls the whole file back:
/// otherwise the accepted rows would be in while nobody could see the
/// rejected ones. A report folder that does not exist yet is created.
#[tokio::test]
async fn unwritable_rejection_report_rolls_the_file_back() {
    let db = fresh_store().await;
    let mut bad = person_row("李四", 2);
    // The same number with another check digit.
    let last = if bad[1].ends_with('0') { "1" } else { "0" };
    bad[1] = format!("{}{last}", &bad[1][..17]);
    let rows = vec![
        HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        person_row("张三", 1),
        bad,
    ];
    let p = write_csv(db.dir.path(), "有错行.csv", &refs(&rows));
    // The report folder's path is taken by a plain file.
    let blocked = db.dir.path().join("退回报告目录");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let mut o = opts();
    o.report_dir = Some(blocked.join("子目录"));
    let before = counts(&db.store).await;
    let err = import_file(&db.store, ListKind::Population, &p, &o)
        .await
        .expect_err("the report cannot be written");
    // No registry row was written; the batch is kept, marked failed.
    let after = counts(&db.store).await;
    assert_eq!(before.persons, after.persons, "rolled back: {err}");
    assert_eq!(after.batches, before.batches + 1);
    let batches = db.store.list_batches(10).await.unwrap();
    assert_eq!(batches[0].status, zizhu_store::BatchStatus::Failed);
    assert_eq!(batches[0].counts.rows_accepted, 0);
    let msg = err.to_string();
    assert!(msg.contains("无法写出退回报告"), "{msg}");
    assert!(msg.contains("有错行.退回报告.xlsx"), "{msg}");

    // A folder that does not exist yet is made, and the file imports.
    let mut o = opts();
    let fresh = db.dir.path().join("新建").join("退回报告");
    o.report_dir = Some(fresh.clone());
    let s = import_file(&db.store, ListKind::Population, &p, &o)
        .await
        .expect("imports");
    assert_eq!((s.read, s.accepted, s.rejected), (2, 1, 1), "{s}");
    let report = s.rejection_report.expect("a report");
    assert!(report.starts_with(&fresh), "{}", report.display());
    assert!(report.exists());
}

#[tokio::test]
async fn a_row_of_65536_columns() {
    let db = fresh_store().await;
    let mut text = format!("{}\r\n", HEADER.join(","));
    text.push_str(&format!("{}\r\n", person_row("张三", 1).join(",")));
    let mut wide = person_row("李四", 2);
    wide.resize(65_536, String::new());
    wide[20_000] = "多出来的值".to_string();
    text.push_str(&format!("{}\r\n", wide.join(",")));
    let p = db.dir.path().join("超宽.csv");
    std::fs::write(&p, text).unwrap();
    let msg = must_fail(&db, ListKind::Population, &p).await;
    assert!(msg.contains("第 3 行"), "{msg}");
    assert!(msg.contains("65536 列"), "{msg}");
    assert!(msg.contains("16384"), "{msg}");
}

#[tokio::test]
async fn formula_cells() {
    let db = fresh_store().await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // A formula with its result saved, as Excel saves it: the result is
    // what the officer saw, and it is what gets imported.
    let r1 = person_row("张三", 1);
    ws.write_formula(
        1,
        0,
        rust_xlsxwriter::Formula::new("=\"张\"&\"三\"").set_result("张三"),
    )
    .unwrap();
    for (c, v) in r1.iter().enumerate().skip(1) {
        ws.write_string(1, c as u16, v).unwrap();
    }
    // A formula whose result is a number, in the ID column.
    let r2 = person_row("李四", 2);
    ws.write_string(2, 0, &r2[0]).unwrap();
    ws.write_formula(2, 1, rust_xlsxwriter::Formula::new("=1+1").set_result("2"))
        .unwrap();
    for (c, v) in r2.iter().enumerate().skip(2) {
        ws.write_string(2, c as u16, v).unwrap();
    }
    let p = db.dir.path().join("公式.xlsx");
    wb.save(&p).unwrap();
    let s = import(&db.store, ListKind::Population, &p).await;
    assert_eq!((s.read, s.accepted, s.rejected), (2, 1, 1), "{s}");
    let id = zizhu_core::IdNumber::parse(&child_id(1)).unwrap();
    let person = db
        .store
        .get_person_by_id_number(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(person.record.name.original(), "张三");
    let report = read_xlsx(s.rejection_report.as_ref().unwrap());
    let row = &report[0].1[1];
    assert_eq!(row[5], "3");
    assert!(row[6].starts_with("B（身份证号）"), "{row:?}");
    assert!(row[8].contains("身份证号"), "{row:?}");
}

#[tokio::test]
async fn injection_strings_stay_text() {
    let db = fresh_store().await;
    let payloads = [
        "=cmd|' /C calc'!A0",
        "<script>alert(1)</script>",
        "+SUM(1,2)",
        "@HYPERLINK(\"x\")",
    ];
    let mut rows = vec![HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for (i, p) in payloads.iter().enumerate() {
        let mut r = person_row(p, i as u16 + 1);
        // The same text in the free-text address column is kept as it is.
        r[4] = p.to_string();
        rows.push(r);
    }
    let mut ok = person_row("王五", 9);
    ok[4] = "=cmd|' /C calc'!A0".to_string();
    rows.push(ok);
    let p = write_csv(db.dir.path(), "注入.csv", &refs(&rows));
    let s = import(&db.store, ListKind::Population, &p).await;
    assert_eq!((s.read, s.accepted, s.rejected), (5, 1, 4), "{s}");
    let report_path = s.rejection_report.clone().unwrap();
    let report = read_xlsx(&report_path);
    for (i, p) in payloads.iter().enumerate() {
        let row = &report[0].1[i + 1];
        assert_eq!(row[0], *p, "the value is written back as it was read");
        assert!(row[6].starts_with("A（姓名）"), "{row:?}");
        assert!(row[8].starts_with("姓名含"), "{row:?}");
    }
    assert!(
        formulas(&report_path).is_empty(),
        "the report holds no formula"
    );
    // The accepted person keeps the text verbatim.
    let id = zizhu_core::IdNumber::parse(&child_id(9)).unwrap();
    let person = db
        .store
        .get_person_by_id_number(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(person.record.address.as_deref(), Some("=cmd|' /C calc'!A0"));
}

#[tokio::test]
async fn unknown_column_names_what_was_found_and_expected() {
    let db = fresh_store().await;
    let p = write_csv(
        db.dir.path(),
        "多了一列.csv",
        &[
            vec!["姓名", "身份证号", "爱好"],
            vec!["张三", &child_id(1), "篮球"],
        ],
    );
    let msg = must_fail(&db, ListKind::Population, &p).await;
    assert!(msg.contains("C（爱好）"), "{msg}");
    assert!(msg.contains("第 1 行"), "{msg}");
    assert!(msg.contains("可识别的列：姓名、身份证号"), "{msg}");
    assert!(msg.contains("--mapping"), "{msg}");

    // The same file with a mapping that ignores the column imports.
    let mapping = Mapping::parse("ignore = [\"爱好\"]\n", "映射.toml").unwrap();
    let mut o = opts();
    o.mapping = Some(mapping);
    let s = import_file(&db.store, ListKind::Population, &p, &o)
        .await
        .unwrap();
    assert_eq!(s.accepted, 1, "{s}");
}

#[tokio::test]
async fn missing_required_column() {
    let db = fresh_store().await;
    let p = write_csv(
        db.dir.path(),
        "缺列.csv",
        &[
            vec!["县教育局残疾儿童名单"],
            vec!["姓名", "性别", "残疾类别"],
            vec!["张三", "男", "肢体"],
        ],
    );
    let msg = must_fail(&db, ListKind::Disabled, &p).await;
    assert!(msg.contains("缺少必需的列：身份证号"), "{msg}");
    assert!(msg.contains("第 2 行"), "{msg}");
    assert!(msg.contains("A（姓名）"), "{msg}");
}

#[tokio::test]
async fn no_header_at_all() {
    let db = fresh_store().await;
    let p = write_csv(
        db.dir.path(),
        "无表头.csv",
        &[vec!["1", "2", "3"], vec!["4", "5", "6"]],
    );
    let msg = must_fail(&db, ListKind::Population, &p).await;
    assert!(msg.contains("找不到适龄儿童户籍名单的表头"), "{msg}");
    assert!(msg.contains("应有的列：姓名、身份证号"), "{msg}");
}

#[tokio::test]
async fn mapping_file_for_a_countys_own_names() {
    let db = fresh_store().await;
    let p = write_csv(
        db.dir.path(),
        "自定义列名.csv",
        &[vec!["学生", "证件"], vec!["张三", &child_id(1)]],
    );
    let msg = must_fail(&db, ListKind::Population, &p).await;
    assert!(msg.contains("找不到"), "{msg}");
    let map_path = db.dir.path().join("映射.toml");
    std::fs::write(
        &map_path,
        "[columns]\n\"学生\" = \"姓名\"\n\"证件\" = \"身份证号\"\n",
    )
    .unwrap();
    let mut o = opts();
    o.mapping = Some(Mapping::load(&map_path).unwrap());
    let s = import_file(&db.store, ListKind::Population, &p, &o)
        .await
        .unwrap();
    assert_eq!((s.read, s.accepted), (1, 1), "{s}");
}

#[tokio::test]
async fn numbers_that_lost_digits_and_excel_dates() {
    let db = fresh_store().await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    // Row 2: the ID typed into a number cell (Excel keeps 15 digits).
    let r = person_row("张三", 1);
    ws.write_string(1, 0, &r[0]).unwrap();
    ws.write_number(1, 1, r[1].parse::<f64>().unwrap()).unwrap();
    // Row 3: the birth date as a real date cell (an Excel serial).
    let r3 = person_row("李四", 2);
    let id = zizhu_core::IdNumber::parse(&r3[1]).unwrap();
    ws.write_string(2, 0, &r3[0]).unwrap();
    ws.write_string(2, 1, &r3[1]).unwrap();
    ws.write_string(2, 2, &r3[2]).unwrap();
    ws.write_number_with_format(2, 3, id.birth_date().to_excel_serial() as f64, &date_fmt)
        .unwrap();
    // Row 4: the birth date as a bare serial number without a date format.
    let r4 = person_row("王五", 3);
    let id4 = zizhu_core::IdNumber::parse(&r4[1]).unwrap();
    ws.write_string(3, 0, &r4[0]).unwrap();
    ws.write_string(3, 1, &r4[1]).unwrap();
    ws.write_number(3, 3, id4.birth_date().to_excel_serial() as f64)
        .unwrap();
    let p = db.dir.path().join("数字与日期.xlsx");
    wb.save(&p).unwrap();
    let s = import(&db.store, ListKind::Population, &p).await;
    assert_eq!((s.read, s.accepted, s.rejected), (3, 2, 1), "{s}");
    let report = read_xlsx(s.rejection_report.as_ref().unwrap());
    let row = &report[0].1[1];
    assert!(row[8].contains("被存成了数字"), "{row:?}");
    assert!(row[8].contains("15 位有效数字"), "{row:?}");
    let p = db
        .store
        .get_person_by_id_number(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.record.birth_date, Some(id.birth_date()));
}

#[tokio::test]
async fn wrong_sheet_name() {
    let db = fresh_store().await;
    let p = write_xlsx(db.dir.path(), "名单.xlsx", "人口", &[HEADER.to_vec()]);
    let mut o = opts();
    o.sheet = Some("学生".to_string());
    let before = counts(&db.store).await;
    let msg = import_file(&db.store, ListKind::Population, &p, &o)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(before, counts(&db.store).await);
    assert!(
        msg.contains("没有名为「学生」的工作表；现有的工作表：人口"),
        "{msg}"
    );
}

#[tokio::test]
async fn kind_names() {
    assert_eq!(ListKind::parse("学籍").unwrap(), ListKind::Roster);
    let e = ListKind::parse("家长").unwrap_err();
    assert!(matches!(e, ImportError::UnknownKind { .. }));
    assert!(e.to_string().contains("households（建档立卡户及成员名单）"));
}
