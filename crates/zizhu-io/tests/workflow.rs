//! A county office's year in small: regions, schools, a roster with a title
//! line and a two-row header, re-import, an updated list with its exact
//! audit entries, a person's history with sources, rollback of a batch, and
//! the 台账 exports with masking and text-typed ID numbers.

mod common;

use common::*;
use zizhu_core::{IdNumber, Season, Term};
use zizhu_io::{
    ExportError, ExportOptions, LedgerLevel, ListKind, Privacy, export_ledger, export_regions,
    export_schools, import_file,
};
use zizhu_store::{AuditAction, AuditContext, AuditFilter, Scope, Store};

fn regions_rows() -> Vec<Vec<&'static str>> {
    vec![
        vec!["统计用区划代码", "名称", "级别", "上级代码"],
        vec!["431126000000", "宁远县", "县", "431100000000"],
        vec!["431126100000", "舜陵街道", "乡镇", "431126000000"],
        vec!["431126101000", "湾井镇", "乡镇", "431126000000"],
        vec!["431126100001", "东门社区", "村", "431126100000"],
        vec!["431126101201", "下灌村", "村", "431126101000"],
    ]
}

fn schools_rows() -> Vec<Vec<&'static str>> {
    vec![
        vec![
            "序号",
            "学校标识码",
            "学校名称",
            "办学类型",
            "乡镇",
            "所在村（社区）",
            "举办者",
        ],
        vec![
            "1",
            "2143000001",
            "宁远县舜陵街道第一小学",
            "小学",
            "舜陵街道",
            "东门社区",
            "教育部门",
        ],
        vec![
            "2",
            "3143000002",
            "宁远县湾井镇中学",
            "初级中学",
            "湾井镇",
            "下灌村",
            "教育部门",
        ],
    ]
}

struct Kid {
    name: &'static str,
    id: String,
    school: &'static str,
    grade: &'static str,
    class: &'static str,
    guardian: &'static str,
    phone: &'static str,
}

fn kids() -> Vec<Kid> {
    vec![
        Kid {
            name: "欧阳明",
            id: child_id(11),
            school: "2143000001",
            grade: "三年级",
            class: "1班",
            guardian: "欧阳华",
            phone: "13800000001",
        },
        Kid {
            name: "李小红",
            id: child_id(12),
            school: "2143000001",
            grade: "二年级",
            class: "2班",
            guardian: "李建国",
            phone: "13800000002",
        },
        Kid {
            name: "王强",
            id: child_id(13),
            school: "3143000002",
            grade: "七年级",
            class: "3班",
            guardian: "王大山",
            phone: "13800000003",
        },
        Kid {
            name: "张丽",
            id: child_id(14),
            school: "3143000002",
            grade: "八年级",
            class: "1班",
            guardian: "张伟",
            phone: "13800000004",
        },
    ]
}

/// A roster as a school sends it: a title line naming the term, then a
/// two-row header whose upper cells are merged over their groups.
fn write_roster(dir: &std::path::Path, name: &str, kids: &[Kid]) -> std::path::PathBuf {
    write_roster_as(dir, name, kids, false)
}

/// The same roster; `resaved` changes a column width only, as saving the
/// file again in Excel would, so the bytes differ but not the data.
fn write_roster_as(
    dir: &std::path::Path,
    name: &str,
    kids: &[Kid],
    resaved: bool,
) -> std::path::PathBuf {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    if resaved {
        ws.set_column_width(0, 20).unwrap();
    }
    ws.set_name("学生名单").unwrap();
    let merged = rust_xlsxwriter::Format::new().set_bold();
    ws.merge_range(0, 0, 0, 8, "宁远县2018年秋季学生资助名单", &merged)
        .unwrap();
    ws.merge_range(1, 0, 1, 2, "学生信息", &merged).unwrap();
    ws.merge_range(1, 3, 1, 5, "就读信息", &merged).unwrap();
    ws.merge_range(1, 6, 1, 7, "监护人", &merged).unwrap();
    ws.merge_range(1, 8, 2, 8, "是否寄宿", &merged).unwrap();
    for (c, h) in [
        "姓名",
        "身份证件号",
        "性别",
        "学校标识码",
        "年级",
        "班级名称",
        "姓名",
        "联系电话",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    for (r, k) in kids.iter().enumerate() {
        let r = r as u32 + 3;
        let sex = IdNumber::parse(&k.id).map_or("男", |id| id.sex().label());
        for (c, v) in [
            k.name, &k.id, sex, k.school, k.grade, k.class, k.guardian, k.phone, "否",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(r, c as u16, *v).unwrap();
        }
    }
    let p = dir.join(name);
    wb.save(&p).unwrap();
    p
}

async fn setup(db: &TestDb) {
    let p = write_csv(db.dir.path(), "行政区划.csv", &regions_rows());
    let s = import(&db.store, ListKind::Regions, &p).await;
    assert_eq!((s.read, s.accepted), (5, 5), "{s}");
    let p = write_csv(db.dir.path(), "学校名册.csv", &schools_rows());
    let s = import(&db.store, ListKind::Schools, &p).await;
    assert_eq!((s.read, s.accepted), (2, 2), "{s}");
}

async fn audit_count(store: &Store) -> usize {
    store
        .audit_log(&AuditFilter::default(), 1_000_000)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn roster_update_history_rollback() {
    let db = fresh_store().await;
    setup(&db).await;

    // First import: everything new.
    let roster = write_roster(db.dir.path(), "学籍.xlsx", &kids());
    let s = import(&db.store, ListKind::Roster, &roster).await;
    assert_eq!(
        (s.read, s.accepted, s.rejected, s.unchanged),
        (4, 4, 0, 0),
        "{s}"
    );
    assert_eq!(s.sheets[0].header_row, Some(2), "{s}");
    let first_batch = s.batch_id.unwrap();
    let text = s.to_string();
    assert!(
        text.contains("读取 4 行 = 接受 4 行 + 退回 0 行 + 未变 0 行"),
        "{text}"
    );
    let term = Term::new(2018, Season::Autumn);
    assert_eq!(
        db.store
            .count_enrollments(&term, &Scope::All)
            .await
            .unwrap(),
        4
    );

    // Re-importing the same file changes nothing and writes no audit entry.
    let audit_before = audit_count(&db.store).await;
    let again = import(&db.store, ListKind::Roster, &roster).await;
    assert_eq!(again.same_as_batch, Some(first_batch), "{again}");
    assert_eq!((again.read, again.unchanged, again.accepted), (4, 4, 0));
    assert_eq!(audit_count(&db.store).await, audit_before);

    // The same content in a new file (re-saved) is also all unchanged, row
    // by row: only the batch's own bookkeeping is audited.
    let resaved = write_roster_as(db.dir.path(), "学籍-另存.xlsx", &kids(), true);
    let s = import(&db.store, ListKind::Roster, &resaved).await;
    assert_eq!((s.read, s.unchanged, s.accepted), (4, 4, 0), "{s}");
    assert!(s.batch_id.is_some(), "{s}");
    let batch_entries = db
        .store
        .audit_log(
            &AuditFilter {
                batch_id: s.batch_id,
                ..AuditFilter::default()
            },
            1000,
        )
        .await
        .unwrap();
    assert!(
        batch_entries.iter().all(|e| e.entity == "import_batches"),
        "{batch_entries:?}"
    );

    // An updated list: one class changed, one guardian phone changed.
    let mut updated = kids();
    updated[0].class = "2班";
    updated[2].phone = "13900000003";
    let path = write_roster(db.dir.path(), "学籍-更新.xlsx", &updated);
    let s = import(&db.store, ListKind::Roster, &path).await;
    assert_eq!(
        (s.read, s.accepted, s.unchanged, s.rejected),
        (4, 2, 2, 0),
        "{s}"
    );
    let batch = s.batch_id.unwrap();
    let mut changes: Vec<(String, String, Option<i64>)> = db
        .store
        .audit_log(
            &AuditFilter {
                batch_id: Some(batch),
                ..AuditFilter::default()
            },
            1000,
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity != "import_batches")
        .map(|e| {
            assert_eq!(e.action, AuditAction::Update);
            assert_eq!(e.actor, "测试导入员");
            (e.entity, diff(&e.before, &e.after), e.source_row)
        })
        .collect();
    changes.sort();
    assert_eq!(
        changes,
        vec![
            (
                "enrollments".to_string(),
                "class_name: 1班 → 2班".to_string(),
                Some(4)
            ),
            (
                "guardians".to_string(),
                "phone: 13800000003 → 13900000003".to_string(),
                Some(6)
            ),
        ]
    );

    // The person's history shows each value with its batch and row.
    let id = IdNumber::parse(&kids()[0].id).unwrap();
    let person = db
        .store
        .get_person_by_id_number(&id)
        .await
        .unwrap()
        .unwrap();
    let history = db.store.person_history(person.id).await.unwrap();
    let sources: Vec<(Option<i64>, Option<i64>, String)> = history
        .iter()
        .map(|e| (e.batch_id, e.source_row, e.entity.clone()))
        .collect();
    assert!(
        sources.contains(&(Some(first_batch), Some(4), "persons".to_string())),
        "{sources:?}"
    );
    assert!(
        sources.contains(&(Some(batch), Some(4), "enrollments".to_string())),
        "{sources:?}"
    );
    // Every source row of the batch is on record.
    let rows = db.store.batch_rows(batch).await.unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows.iter().map(|r| r.row_no).collect::<Vec<_>>(),
        [4, 5, 6, 7]
    );

    // Rolling the batch back restores the class.
    let mut tx = db
        .store
        .begin_write(AuditContext {
            actor: "县资助中心".into(),
            reason: "撤销错误的更新名单".into(),
            batch_id: Some(batch),
        })
        .await
        .unwrap();
    let r = tx.rollback_batch(batch).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(r.reverted, 2);
    let e = db.store.person_enrollments(person.id).await.unwrap();
    assert_eq!(e[0].record.class_name.as_deref(), Some("1班"));
}

/// `column: before → after` for every column an update changed.
fn diff(before: &Option<serde_json::Value>, after: &Option<serde_json::Value>) -> String {
    let (Some(b), Some(a)) = (before, after) else {
        return String::new();
    };
    let mut out = Vec::new();
    for (k, v) in a.as_object().unwrap() {
        let old = b.get(k).cloned().unwrap_or(serde_json::Value::Null);
        if &old != v {
            let show =
                |x: &serde_json::Value| x.as_str().map_or_else(|| x.to_string(), str::to_string);
            out.push(format!("{k}: {} → {}", show(&old), show(v)));
        }
    }
    out.join("; ")
}

#[tokio::test]
async fn rejected_rows_come_back_in_a_report_that_reimports() {
    let db = fresh_store().await;
    setup(&db).await;
    let mut list = kids();
    list[1].id = "431126201209010018".to_string(); // wrong check digit
    list[3].school = "2143999999"; // not in the register
    let path = write_roster(db.dir.path(), "学籍-有错.xlsx", &list);
    let s = import(&db.store, ListKind::Roster, &path).await;
    assert_eq!(
        (s.read, s.accepted, s.rejected, s.unresolved),
        (4, 2, 2, 1),
        "{s}"
    );
    let report_path = s.rejection_report.clone().unwrap();
    let report = read_xlsx(&report_path);
    let rows = &report[0].1;
    assert_eq!(rows[0][9..], ["行号", "列", "值", "原因"]);
    assert_eq!(rows[1][9], "5");
    assert_eq!(rows[1][10], "B（学生信息/身份证件号）");
    assert_eq!(rows[1][11], "431126201209010018");
    assert!(rows[1][12].contains("校验位错误"), "{:?}", rows[1]);
    assert_eq!(rows[2][9], "7");
    assert!(rows[2][12].contains("不在学校名录中"), "{:?}", rows[2]);

    // The officer corrects the two cells in the report and sends it back.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let v = match (r, c) {
                (1, 1) => child_id(12),
                (1, 2) => "女".to_string(),
                (2, 3) => "3143000002".to_string(),
                _ => v.clone(),
            };
            ws.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    // The report repeats the innermost header names and has no title, so
    // the term has to be given.
    let fixed = db.dir.path().join("退回报告-已改正.xlsx");
    wb.save(&fixed).unwrap();
    let mut o = opts();
    o.term = Some(Term::new(2018, Season::Autumn));
    let s = import_file(&db.store, ListKind::Roster, &fixed, &o)
        .await
        .unwrap();
    let why = s.rejection_report.as_ref().map(|p| read_xlsx(p));
    assert_eq!((s.read, s.accepted, s.rejected), (2, 2, 0), "{s}{why:?}");
}

#[tokio::test]
async fn exports_mask_by_default_and_write_ids_as_text() {
    let db = fresh_store().await;
    setup(&db).await;
    let roster = write_roster(db.dir.path(), "学籍.xlsx", &kids());
    import(&db.store, ListKind::Roster, &roster).await;
    let term = Term::new(2018, Season::Autumn);

    let masked = db.dir.path().join("县级台账.xlsx");
    let s = export_ledger(
        &db.store,
        &masked,
        &LedgerLevel::County,
        &ExportOptions::new(term, Scope::All),
    )
    .await
    .unwrap();
    assert_eq!(s.rows, 4);
    let book = read_xlsx(&masked);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["乡镇汇总", "学校汇总", "学生名单"]);
    let students = &book[2].1;
    assert!(
        students[0][0].contains("县级2018年秋季学期学生资助信息台账"),
        "{:?}",
        students[0]
    );
    let id_col = students[1].iter().position(|h| h == "身份证号").unwrap();
    let first = &students[2];
    assert!(first[id_col].contains("********"), "{first:?}");
    let towns = &book[0].1;
    assert!(towns.iter().any(|r| r[1] == "舜陵街道"), "{towns:?}");
    let total = towns.last().unwrap();
    assert_eq!(total[0], "合计");
    assert_eq!(total[2], "4");
    assert!(formulas(&masked).is_empty());

    // Full data needs the right to see it.
    let mut full = ExportOptions::new(term, Scope::All);
    full.privacy = Privacy::Full;
    let denied = export_ledger(&db.store, &masked, &LedgerLevel::County, &full).await;
    assert!(matches!(denied, Err(ExportError::NotAllowed { .. })));
    full.may_see_full = true;
    let path = db.dir.path().join("学校台账-完整.xlsx");
    export_ledger(
        &db.store,
        &path,
        &LedgerLevel::School("2143000001".into()),
        &full,
    )
    .await
    .unwrap();
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let range = wb.worksheet_range("学生名单").unwrap();
    let ids: Vec<&Data> = range.rows().skip(2).map(|r| &r[id_col]).collect();
    assert_eq!(ids.len(), 2, "only the school's students");
    for id in ids {
        match id {
            Data::String(s) => assert!(IdNumber::parse(s).is_ok(), "{s}"),
            other => panic!("an ID number must be a text cell, got {other:?}"),
        }
    }

    // A township ledger within a school's scope cannot see other schools.
    let scoped = ExportOptions::new(term, Scope::School("3143000002".into()));
    let p = db.dir.path().join("乡镇台账.xlsx");
    let s = export_ledger(
        &db.store,
        &p,
        &LedgerLevel::Township("431126100".into()),
        &scoped,
    )
    .await
    .unwrap();
    assert_eq!(s.rows, 0);

    let p = db.dir.path().join("学校名录.xlsx");
    assert_eq!(export_schools(&db.store, &p).await.unwrap().rows, 2);
    let p = db.dir.path().join("行政区划.xlsx");
    assert_eq!(export_regions(&db.store, &p).await.unwrap().rows, 5);
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let db = fresh_store().await;
    setup(&db).await;
    let before = counts(&db.store).await;
    let roster = write_roster(db.dir.path(), "学籍.xlsx", &kids());
    let mut o = opts();
    o.dry_run = true;
    let s = import_file(&db.store, ListKind::Roster, &roster, &o)
        .await
        .unwrap();
    assert_eq!((s.read, s.accepted), (4, 4), "{s}");
    assert!(s.to_string().contains("试导入（未写入数据库）"));
    assert_eq!(counts(&db.store).await, before);
}
