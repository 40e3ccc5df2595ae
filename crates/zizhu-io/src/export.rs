//! Exports: the registry and the three-level 台账 as county offices hand
//! them on.
//!
//! Every workbook has a title line, a bold header row frozen in place,
//! column widths that fit Chinese text, and ID, card and phone numbers as
//! text cells. Personal data (ID numbers, bank accounts, phones, addresses)
//! is masked unless the caller asks for full data *and* says the user may
//! see it; names stay readable, because a ledger nobody can find a child in
//! is of no use to the office that keeps it. Students are read a page at a
//! time and each sheet streams to a temporary file, so a county-sized
//! export is never held in memory.

use crate::error::ExportError;
use crate::registry::{RegionIndex, SchoolIndex};
use crate::xlsx::{Formats, SheetOut, add_sheet, display_width};
use rust_xlsxwriter::Workbook;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use zizhu_core::mask::{mask_address, mask_bank, mask_id, mask_phone};
use zizhu_core::{Stage, Term};
use zizhu_store::{
    AccountKind, AccountStatus, EnrollmentStatus, PovertyStatus, Scope, Store, StudentFilter,
    StudentRow,
};

/// Students read per page.
const PAGE: u64 = 5_000;

/// Whether personal data is written in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Privacy {
    /// ID, bank, phone and address masked (the default).
    #[default]
    Masked,
    /// Everything in full; only for a user whose role allows it.
    Full,
}

/// What to export and for whom.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The term whose enrollments are listed.
    pub term: Term,
    /// The part of the county the user may see; the store applies it.
    pub scope: Scope,
    /// Masked or full.
    pub privacy: Privacy,
    /// Whether the user's role allows full personal data. Asking for
    /// [`Privacy::Full`] without it is refused.
    pub may_see_full: bool,
    /// The title line (default: a title naming the ledger and term).
    pub title: Option<String>,
}

impl ExportOptions {
    /// Masked export of a term in a scope.
    pub fn new(term: Term, scope: Scope) -> ExportOptions {
        ExportOptions {
            term,
            scope,
            privacy: Privacy::Masked,
            may_see_full: false,
            title: None,
        }
    }

    fn check(&self) -> Result<(), ExportError> {
        if self.privacy == Privacy::Full && !self.may_see_full {
            return Err(ExportError::NotAllowed {
                detail: "当前用户的角色不能查看完整的身份证号、银行卡号、电话和住址；请导出脱敏版本，或由有权限的人员导出".to_string(),
            });
        }
        Ok(())
    }
}

/// The level of a 台账.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerLevel {
    /// 县级台账: summary by township and by school, and every student.
    County,
    /// 乡镇台账 of one township (9-digit code): summary by school and its
    /// students.
    Township(String),
    /// 学校台账 of one school (10-digit 学校标识码): its students.
    School(String),
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSummary {
    /// The file.
    pub path: PathBuf,
    /// Data rows written on the main sheet.
    pub rows: u64,
    /// Whether personal data was masked.
    pub masked: bool,
    /// The persons whose personal data the file holds unmasked (empty for
    /// a masked export), for the caller to record in the unmask log.
    pub unmasked_persons: Vec<i64>,
}

impl std::fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "已导出 {} 行到 {}（{}）",
            self.rows,
            self.path.display(),
            if self.masked {
                "个人信息已脱敏"
            } else {
                "含完整个人信息，请妥善保管"
            }
        )
    }
}

fn write_err(path: &Path) -> impl Fn(rust_xlsxwriter::XlsxError) -> ExportError + use<> {
    let file = path.display().to_string();
    move |e| ExportError::Write {
        file: file.clone(),
        detail: e.to_string(),
    }
}

/// The student list's columns and their widths.
const STUDENT_COLUMNS: &[(&str, usize)] = &[
    ("序号", 6),
    ("乡镇代码", 11),
    ("学校标识码", 12),
    ("学校名称", 24),
    ("学段", 8),
    ("年级", 10),
    ("班级名称", 10),
    ("姓名", 10),
    ("性别", 6),
    ("身份证号", 21),
    ("出生日期", 12),
    ("民族", 8),
    ("全国学籍号", 21),
    ("是否寄宿", 8),
    ("学籍状态", 10),
    ("是否县外就读", 10),
    ("就读地", 16),
    ("家庭现地址", 30),
    ("建档立卡状态", 12),
    ("是否低保户", 10),
    ("是否特困供养", 12),
    ("残疾类别", 10),
    ("残疾等级", 8),
    ("是否孤儿", 8),
    ("是否留守儿童", 10),
    ("监护人姓名", 10),
    ("监护人联系电话", 15),
    ("资助卡开户银行", 18),
    ("资助卡账号", 22),
    ("资助卡户名", 10),
];

fn yes(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

/// Per-household facts a student line shows, cached per household.
#[derive(Clone, Debug, Default)]
struct HouseholdFlags {
    status: Option<PovertyStatus>,
    dibao: bool,
    tekun: bool,
}

/// Counts for one line of a summary sheet.
#[derive(Clone, Debug, Default)]
struct Tally {
    name: String,
    students: i64,
    by_stage: BTreeMap<Stage, i64>,
    boarding: i64,
    out_of_county: i64,
    registered_poor: i64,
    dibao: i64,
    tekun: i64,
    disabled: i64,
    orphan: i64,
    left_behind: i64,
    dropped_out: i64,
}

impl Tally {
    fn add(&mut self, s: &StudentRow, h: &HouseholdFlags) {
        let e = &s.enrollment.record;
        let p = &s.person.record;
        self.students += 1;
        *self.by_stage.entry(e.grade.stage()).or_default() += 1;
        self.boarding += i64::from(e.boarding);
        self.out_of_county += i64::from(e.out_of_county);
        self.registered_poor += i64::from(matches!(
            h.status,
            Some(PovertyStatus::NotLifted | PovertyStatus::Lifted)
        ));
        self.dibao += i64::from(h.dibao);
        self.tekun += i64::from(h.tekun);
        self.disabled += i64::from(p.disability_category.is_some());
        self.orphan += i64::from(p.orphan);
        self.left_behind += i64::from(p.left_behind);
        self.dropped_out += i64::from(e.status == EnrollmentStatus::DroppedOut);
    }

    fn merge(&mut self, o: &Tally) {
        self.students += o.students;
        for (k, v) in &o.by_stage {
            *self.by_stage.entry(*k).or_default() += v;
        }
        self.boarding += o.boarding;
        self.out_of_county += o.out_of_county;
        self.registered_poor += o.registered_poor;
        self.dibao += o.dibao;
        self.tekun += o.tekun;
        self.disabled += o.disabled;
        self.orphan += o.orphan;
        self.left_behind += o.left_behind;
        self.dropped_out += o.dropped_out;
    }
}

const STAGES: [Stage; 6] = [
    Stage::Preschool,
    Stage::Primary,
    Stage::Junior,
    Stage::SeniorHigh,
    Stage::Vocational,
    Stage::Higher,
];

fn summary_headers(first: &[&str]) -> (Vec<String>, Vec<usize>) {
    let mut h: Vec<String> = first.iter().map(|s| s.to_string()).collect();
    h.push("在读学生".to_string());
    h.extend(STAGES.iter().map(|s| s.label().to_string()));
    h.extend(
        [
            "寄宿生",
            "县外就读",
            "建档立卡",
            "低保",
            "特困供养",
            "残疾",
            "孤儿",
            "留守儿童",
            "辍学",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let widths = h
        .iter()
        .map(|s| display_width(s).max(8) + 2)
        .collect::<Vec<_>>();
    (h, widths)
}

fn tally_cells(
    out: &mut SheetOut<'_>,
    from: usize,
    t: &Tally,
    fmt: &Formats,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut col = from;
    let mut put = |out: &mut SheetOut<'_>, n: i64| {
        let r = out.number(col, n, fmt);
        col += 1;
        r
    };
    put(out, t.students)?;
    for s in STAGES {
        put(out, t.by_stage.get(&s).copied().unwrap_or(0))?;
    }
    for n in [
        t.boarding,
        t.out_of_county,
        t.registered_poor,
        t.dibao,
        t.tekun,
        t.disabled,
        t.orphan,
        t.left_behind,
        t.dropped_out,
    ] {
        put(out, n)?;
    }
    Ok(())
}

/// Writes the students of a term in a scope as one list (学生信息台账).
pub async fn export_students(
    store: &Store,
    path: &Path,
    opts: &ExportOptions,
) -> Result<ExportSummary, ExportError> {
    write_ledger(store, path, None, opts).await
}

/// Writes a 台账 at a level: the county's (townships, schools, students), a
/// township's (its schools and students) or a school's (its students).
/// The level narrows `opts.scope`; it can never widen it, because the store
/// applies the scope to every read.
pub async fn export_ledger(
    store: &Store,
    path: &Path,
    level: &LedgerLevel,
    opts: &ExportOptions,
) -> Result<ExportSummary, ExportError> {
    write_ledger(store, path, Some(level), opts).await
}

async fn write_ledger(
    store: &Store,
    path: &Path,
    level: Option<&LedgerLevel>,
    opts: &ExportOptions,
) -> Result<ExportSummary, ExportError> {
    opts.check()?;
    let masked = opts.privacy == Privacy::Masked;
    let err = write_err(path);
    let regions = RegionIndex::load(store).await?;
    let schools = SchoolIndex::load(store).await?;
    let mut filter = StudentFilter::default();
    let (level_name, summaries): (String, &[&str]) = match level {
        None => (String::new(), &[]),
        Some(LedgerLevel::County) => ("县级".to_string(), &["乡镇汇总", "学校汇总"]),
        Some(LedgerLevel::Township(t)) => {
            filter.township_code = Some(t.clone());
            (
                format!("{}乡镇", regions.name(t).unwrap_or(t)),
                &["学校汇总"],
            )
        }
        Some(LedgerLevel::School(c)) => {
            filter.school_code =
                Some(
                    zizhu_core::SchoolCode::parse(c).map_err(|e| ExportError::NotAllowed {
                        detail: format!("学校标识码无效：{e}"),
                    })?,
                );
            (format!("{}学校", schools.name(c).unwrap_or(c)), &[])
        }
    };
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| format!("{}{}学生资助信息台账", level_name, opts.term));

    let mut wb = Workbook::new();
    let fmt = Formats::new();
    // Summary sheets come first and are small: they are kept in memory and
    // filled once every student has been counted.
    for name in summaries {
        let ws = wb.add_worksheet();
        ws.set_name(*name).map_err(&err)?;
    }
    let headers: Vec<String> = STUDENT_COLUMNS.iter().map(|(h, _)| h.to_string()).collect();
    let widths: Vec<usize> = STUDENT_COLUMNS.iter().map(|(_, w)| *w).collect();
    let list = add_sheet(&mut wb, "学生名单").map_err(&err)?;
    let mut out = SheetOut::start(list, &fmt, Some(&title), &headers, &widths).map_err(&err)?;

    let mut households: HashMap<i64, HouseholdFlags> = HashMap::new();
    let mut by_school: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_township: BTreeMap<String, Tally> = BTreeMap::new();
    let mut rows = 0u64;
    let mut unmasked_persons = Vec::new();
    let mut offset = 0;
    loop {
        let page = store
            .list_students(&opts.term, &opts.scope, &filter, PAGE, offset)
            .await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        for s in &page {
            let h = match s.person.household_id {
                Some(id) => match households.get(&id) {
                    Some(h) => h.clone(),
                    None => {
                        let h = store
                            .get_household(id)
                            .await?
                            .map(|h| HouseholdFlags {
                                status: Some(h.record.poverty_status),
                                dibao: h.record.dibao,
                                tekun: h.record.tekun,
                            })
                            .unwrap_or_default();
                        households.insert(id, h.clone());
                        h
                    }
                },
                None => HouseholdFlags::default(),
            };
            let guardians = store.person_guardians(s.person.id).await?;
            let accounts = store.person_bank_accounts(s.person.id).await?;
            if !masked {
                unmasked_persons.push(s.person.id);
            }
            rows += 1;
            student_line(&mut out, rows, s, &h, &guardians, &accounts, masked, &fmt)
                .map_err(&err)?;
            out.next_row();
            let school_key = s
                .enrollment
                .record
                .school_code
                .as_ref()
                .map_or_else(|| "县外就读".to_string(), |c| c.as_str().to_string());
            let t = by_school.entry(school_key).or_insert_with(|| Tally {
                name: s
                    .school_name
                    .clone()
                    .unwrap_or_else(|| "（学校不在名录中）".to_string()),
                ..Tally::default()
            });
            t.add(s, &h);
            let town = s.township_code.clone().unwrap_or_else(|| "—".to_string());
            let name = regions.name(&town).unwrap_or("（未知乡镇）").to_string();
            by_township
                .entry(town)
                .or_insert_with(|| Tally {
                    name,
                    ..Tally::default()
                })
                .add(s, &h);
        }
        if (page.len() as u64) < PAGE {
            break;
        }
    }

    // Fill the summary sheets now that the counts are known.
    for (i, name) in summaries.iter().enumerate() {
        let ws = wb.worksheet_from_index(i).map_err(&err)?;
        let by_town = *name == "乡镇汇总";
        let (headers, widths) = if by_town {
            summary_headers(&["乡镇代码", "乡镇"])
        } else {
            summary_headers(&["学校标识码", "学校名称"])
        };
        let t = format!("{title}（{name}）");
        let mut out = SheetOut::start(ws, &fmt, Some(&t), &headers, &widths).map_err(&err)?;
        let source = if by_town { &by_township } else { &by_school };
        let mut total = Tally {
            name: "合计".to_string(),
            ..Tally::default()
        };
        for (code, tally) in source {
            out.text(0, code, &fmt).map_err(&err)?;
            out.text(1, &tally.name, &fmt).map_err(&err)?;
            tally_cells(&mut out, 2, tally, &fmt).map_err(&err)?;
            out.next_row();
            total.merge(tally);
        }
        out.text(0, "合计", &fmt).map_err(&err)?;
        out.text(1, "", &fmt).map_err(&err)?;
        tally_cells(&mut out, 2, &total, &fmt).map_err(&err)?;
    }
    let path_buf = path.to_path_buf();
    tokio::task::spawn_blocking(move || wb.save(&path_buf))
        .await
        .map_err(|e| ExportError::Write {
            file: path.display().to_string(),
            detail: e.to_string(),
        })?
        .map_err(&err)?;
    Ok(ExportSummary {
        path: path.to_path_buf(),
        rows,
        masked,
        unmasked_persons,
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "one line of the ledger and its parts"
)]
fn student_line(
    out: &mut SheetOut<'_>,
    n: u64,
    s: &StudentRow,
    h: &HouseholdFlags,
    guardians: &[zizhu_store::Guardian],
    accounts: &[zizhu_store::BankAccount],
    masked: bool,
    fmt: &Formats,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let p = &s.person.record;
    let e = &s.enrollment.record;
    let id = p
        .id_number
        .as_ref()
        .map(|i| i.as_str().to_string())
        .unwrap_or_default();
    let guardian = guardians.first().map(|g| &g.record);
    let card = accounts
        .iter()
        .find(|a| a.status == AccountStatus::Active && a.record.kind == AccountKind::AidCard);
    let phone = guardian
        .and_then(|g| g.phone.as_ref())
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let address = p.address.clone().unwrap_or_default();
    let (id, phone, address, card_no) = if masked {
        (
            if id.is_empty() { id } else { mask_id(&id) },
            if phone.is_empty() {
                phone
            } else {
                mask_phone(&phone)
            },
            if address.is_empty() {
                address
            } else {
                mask_address(&address)
            },
            card.map(|c| mask_bank(c.record.account_no.as_str())),
        )
    } else {
        (
            id,
            phone,
            address,
            card.map(|c| c.record.account_no.as_str().to_string()),
        )
    };
    let cells: Vec<String> = vec![
        String::new(),
        s.township_code.clone().unwrap_or_default(),
        e.school_code
            .as_ref()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        s.school_name.clone().unwrap_or_default(),
        e.grade.stage().label().to_string(),
        e.grade.label(),
        e.class_name.clone().unwrap_or_default(),
        p.name.original().to_string(),
        p.sex.map(|x| x.label().to_string()).unwrap_or_default(),
        id,
        p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        p.ethnicity.clone().unwrap_or_default(),
        e.student_no
            .as_ref()
            .map(|x| {
                if masked {
                    zizhu_core::mask::mask_student_no(x.as_str())
                } else {
                    x.as_str().to_string()
                }
            })
            .unwrap_or_default(),
        yes(e.boarding).to_string(),
        e.status.label().to_string(),
        yes(e.out_of_county).to_string(),
        e.out_of_county_place.clone().unwrap_or_default(),
        address,
        h.status.map(|x| x.label().to_string()).unwrap_or_default(),
        yes(h.dibao).to_string(),
        yes(h.tekun).to_string(),
        p.disability_category.clone().unwrap_or_default(),
        p.disability_level.clone().unwrap_or_default(),
        yes(p.orphan).to_string(),
        yes(p.left_behind).to_string(),
        guardian
            .map(|g| g.name.original().to_string())
            .unwrap_or_default(),
        phone,
        card.map(|c| c.record.bank_name.clone()).unwrap_or_default(),
        card_no.unwrap_or_default(),
        card.map(|c| c.record.holder_name.clone())
            .unwrap_or_default(),
    ];
    out.number(0, n as i64, fmt)?;
    for (i, c) in cells.iter().enumerate().skip(1) {
        out.text(i, c, fmt)?;
    }
    Ok(())
}

/// Writes the registry's schools (学校名录).
pub async fn export_schools(store: &Store, path: &Path) -> Result<ExportSummary, ExportError> {
    let err = write_err(path);
    let schools = SchoolIndex::load(store).await?;
    let regions = RegionIndex::load(store).await?;
    let mut wb = Workbook::new();
    let fmt = Formats::new();
    let ws = add_sheet(&mut wb, "学校名录").map_err(&err)?;
    let headers: Vec<String> = [
        "序号",
        "学校标识码",
        "学校名称",
        "学校类别",
        "区划代码",
        "所在地",
        "办学性质",
        "学段",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut out = SheetOut::start(
        ws,
        &fmt,
        Some("学校名录"),
        &headers,
        &[6, 12, 28, 14, 14, 20, 8, 16],
    )
    .map_err(&err)?;
    let mut rows = 0u64;
    for s in schools.rows() {
        rows += 1;
        out.number(0, rows as i64, &fmt).map_err(&err)?;
        let place = regions.name(&s.region_code).unwrap_or_default().to_string();
        for (i, v) in [
            s.code.as_str(),
            s.name.as_str(),
            s.category.as_str(),
            s.region_code.as_str(),
            place.as_str(),
            if s.is_public { "公办" } else { "民办" },
            s.stages.as_str(),
        ]
        .iter()
        .enumerate()
        {
            out.text(i + 1, v, &fmt).map_err(&err)?;
        }
        out.next_row();
    }
    save(wb, path).await?;
    Ok(ExportSummary {
        path: path.to_path_buf(),
        rows,
        masked: true,
        unmasked_persons: Vec::new(),
    })
}

/// Writes the registry's regions (行政区划).
pub async fn export_regions(store: &Store, path: &Path) -> Result<ExportSummary, ExportError> {
    let err = write_err(path);
    let regions = RegionIndex::load(store).await?;
    let mut wb = Workbook::new();
    let fmt = Formats::new();
    let ws = add_sheet(&mut wb, "行政区划").map_err(&err)?;
    let headers: Vec<String> = ["序号", "区划代码", "名称", "上级区划代码"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut out =
        SheetOut::start(ws, &fmt, Some("行政区划"), &headers, &[6, 14, 20, 14]).map_err(&err)?;
    let mut rows = 0u64;
    for (code, name, parent) in regions.rows() {
        rows += 1;
        out.number(0, rows as i64, &fmt).map_err(&err)?;
        out.text(1, code, &fmt).map_err(&err)?;
        out.text(2, name, &fmt).map_err(&err)?;
        out.text(3, parent.unwrap_or_default(), &fmt)
            .map_err(&err)?;
        out.next_row();
    }
    save(wb, path).await?;
    Ok(ExportSummary {
        path: path.to_path_buf(),
        rows,
        masked: true,
        unmasked_persons: Vec::new(),
    })
}

async fn save(mut wb: Workbook, path: &Path) -> Result<(), ExportError> {
    let err = write_err(path);
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || wb.save(&p))
        .await
        .map_err(|e| ExportError::Write {
            file: path.display().to_string(),
            detail: e.to_string(),
        })?
        .map_err(&err)
}

/// One sheet of a plain table for [`export_tables`]: text cells under
/// Chinese headers, as the caller has already formatted (and masked) them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSheet {
    /// The sheet's name.
    pub name: String,
    /// The title line above the header.
    pub title: String,
    /// The column headers.
    pub headers: Vec<String>,
    /// The rows, each as many cells as there are headers.
    pub rows: Vec<Vec<String>>,
}

/// Writes plain tables, one sheet each, with the registry exports' title,
/// header and column formats (every cell text, so ID numbers keep their
/// digits). `masked` is reported in the summary; the caller masks.
pub async fn export_tables(
    path: &Path,
    sheets: &[TableSheet],
    masked: bool,
) -> Result<ExportSummary, ExportError> {
    let err = write_err(path);
    let mut wb = crate::xlsx::new_workbook();
    let fmt = Formats::new();
    let mut rows = 0u64;
    for sheet in sheets {
        let ws = add_sheet(&mut wb, &sheet.name).map_err(&err)?;
        let widths: Vec<usize> = sheet
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                sheet
                    .rows
                    .iter()
                    .take(200)
                    .filter_map(|r| r.get(i))
                    .map(|c| display_width(c))
                    .chain([display_width(h)])
                    .max()
                    .unwrap_or(6)
                    + 2
            })
            .collect();
        let mut out =
            SheetOut::start(ws, &fmt, Some(&sheet.title), &sheet.headers, &widths).map_err(&err)?;
        for r in &sheet.rows {
            for (i, v) in r.iter().enumerate() {
                out.text(i, v, &fmt).map_err(&err)?;
            }
            out.next_row();
            rows += 1;
        }
    }
    save(wb, path).await?;
    Ok(ExportSummary {
        path: path.to_path_buf(),
        rows,
        masked,
        // The caller built the rows and knows whom they show unmasked.
        unmasked_persons: Vec::new(),
    })
}
