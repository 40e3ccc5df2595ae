//! File formats and layouts: old `.xls`, workbooks with several sheets and a
//! note sheet, UTF-16 and tab-separated text.

mod common;

use common::*;
use std::path::PathBuf;
use zizhu_io::ListKind;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

#[tokio::test]
async fn old_xls_with_a_note_sheet_and_a_title() {
    let db = fresh_store().await;
    // Written by xlwt (BIFF8): a 填表说明 sheet, then the list under a
    // merged title row, with real date cells.
    // Imported from a copy, because the rejection report is written beside
    // the input and the source tree must stay as it was checked out.
    let copy = db.dir.path().join("残联-旧版.xls");
    std::fs::copy(fixture("残联-旧版.xls"), &copy).unwrap();
    let s = import(&db.store, ListKind::Disabled, &copy).await;
    assert_eq!((s.read, s.accepted, s.rejected), (3, 2, 1), "{s}");
    assert_eq!(s.sheets.len(), 2, "{s}");
    assert_eq!(
        s.sheets[0].header_row, None,
        "the note sheet is skipped: {s}"
    );
    assert_eq!(s.sheets[1].header_row, Some(2), "{s}");
    assert!(
        s.to_string()
            .contains("工作表「填表说明」：不是残疾人名单，已跳过"),
        "{s}"
    );
    let id = zizhu_core::IdNumber::parse("43112620160202233X").unwrap();
    let p = db
        .store
        .get_person_by_id_number(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.record.disability_category.as_deref(), Some("肢体残疾"));
    assert_eq!(p.record.disability_level.as_deref(), Some("四级"));
    let report = read_xlsx(s.rejection_report.as_ref().unwrap());
    assert_eq!(report[0].0, "残疾儿童");
    assert!(
        report[0].1[1].iter().any(|c| c.contains("校验位错误")),
        "{report:?}"
    );
}

#[tokio::test]
async fn several_sheets_are_read_in_order() {
    let db = fresh_store().await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let note = wb.add_worksheet();
    note.set_name("说明").unwrap();
    note.write_string(0, 0, "各乡镇分表填写").unwrap();
    let mut n = 0u16;
    for town in ["舜陵街道", "湾井镇"] {
        let ws = wb.add_worksheet();
        ws.set_name(town).unwrap();
        ws.write_string(0, 0, format!("{town}适龄儿童名单"))
            .unwrap();
        for (c, h) in ["姓名", "身份证号", "乡镇"].iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        for r in 0..3u32 {
            n += 1;
            ws.write_string(r + 2, 0, "张三").unwrap();
            ws.write_string(r + 2, 1, child_id(n)).unwrap();
            ws.write_string(r + 2, 2, town).unwrap();
        }
    }
    // The same child on both sheets is a duplicate across sheets.
    let last = wb.worksheet_from_index(2).unwrap();
    last.write_string(5, 0, "张三").unwrap();
    last.write_string(5, 1, child_id(1)).unwrap();
    last.write_string(5, 2, "湾井镇").unwrap();
    let p = db.dir.path().join("分乡镇.xlsx");
    wb.save(&p).unwrap();
    let s = import(&db.store, ListKind::Population, &p).await;
    assert_eq!((s.read, s.accepted, s.rejected), (7, 6, 1), "{s}");
    let rows: Vec<u64> = s.sheets.iter().map(|x| x.rows).collect();
    assert_eq!(rows, [0, 3, 4], "{s}");
    let report = read_xlsx(s.rejection_report.as_ref().unwrap());
    assert_eq!(report[0].0, "湾井镇");
    let why = report[0].1[1].last().unwrap();
    assert!(why.contains("工作表「舜陵街道」第 3 行"), "{why}");

    // --sheet reads one sheet only.
    let mut o = opts();
    o.sheet = Some("舜陵街道".into());
    o.force = true;
    let s = zizhu_io::import_file(&db.store, ListKind::Population, &p, &o)
        .await
        .unwrap();
    assert_eq!((s.read, s.unchanged), (3, 3), "{s}");
}

#[tokio::test]
async fn utf16_tab_separated_text() {
    let db = fresh_store().await;
    // Excel's "Unicode 文本" export: UTF-16LE with a byte-order mark, tabs.
    let text = format!(
        "姓名\t身份证号\r\n李四\t{}\r\n王五\t{}\r\n",
        child_id(1),
        child_id(2)
    );
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let p = db.dir.path().join("人口.txt");
    std::fs::write(&p, bytes).unwrap();
    let s = import(&db.store, ListKind::Population, &p).await;
    assert_eq!((s.read, s.accepted), (2, 2), "{s}");
    assert!(s.to_string().contains("UTF-16LE"), "{s}");
}

#[tokio::test]
async fn gbk_csv_with_title_and_footer() {
    let db = fresh_store().await;
    let text = format!(
        "宁远县2018年适龄儿童名单,,\r\n姓名,身份证号,家庭住址\r\n赵六,{},宁远县\r\n,,\r\n填表人：张三,审核人：李四,\r\n",
        child_id(5)
    );
    let p = db.dir.path().join("gbk.csv");
    std::fs::write(&p, encoding_rs::GBK.encode(&text).0).unwrap();
    let s = import(&db.store, ListKind::Population, &p).await;
    assert_eq!((s.read, s.accepted), (1, 1), "{s}");
    assert!(s.to_string().contains("GBK"), "{s}");
    assert!(s.notes.iter().any(|n| n.contains("表尾")), "{s}");
}
