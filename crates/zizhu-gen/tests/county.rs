//! Integration tests: one 20,000-student county (generated once, shared by
//! the shape, truth, ID, encoding and xlsx checks) plus small runs for
//! determinism, sheet splitting, the registry and the output-folder rules.

use calamine::{Data, Reader, Xlsx, open_workbook};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zizhu_core::{IdNumber, Stage, luhn_valid};
use zizhu_gen::{
    ErrorKind, ErrorRates, Format, GenConfig, GenError, ListFile, MANIFEST, Policy, Summary,
    TRUTH_DIR, generate, registry,
};

/// The shared county: 20,000 students, both formats, every error kind at
/// 80‰ (300‰ for the lower-case x) so that every rate is measured on
/// hundreds of cases.
const SHAPE_STUDENTS: u64 = 20_000;

fn shape_config() -> GenConfig {
    let mut errors = ErrorRates::uniform(80);
    errors.id_lowercase_x = 300;
    GenConfig {
        students: SHAPE_STUDENTS,
        errors,
        ..GenConfig::default()
    }
}

fn shape() -> &'static (PathBuf, Summary) {
    static SHAPE: OnceLock<(PathBuf, Summary)> = OnceLock::new();
    SHAPE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zizhu-gen-shape");
        if dir.exists() {
            fs::remove_dir_all(&dir).expect("remove old shape dir");
        }
        let summary = generate(&shape_config(), &dir).expect("generate the shape county");
        (dir, summary)
    })
}

/// A list read back from its CSV: headers and rows by 序号.
struct List {
    headers: Vec<String>,
    rows: BTreeMap<u32, Vec<String>>,
}

impl List {
    fn col(&self, name: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.headers))
    }
}

fn decode(list: ListFile, bytes: &[u8]) -> String {
    if list.csv_encoding() == zizhu_gen::CsvEncoding::Gbk {
        let (text, _, bad) = encoding_rs::GB18030.decode(bytes);
        assert!(!bad, "{} does not decode as GB18030", list.stem());
        text.into_owned()
    } else {
        let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
        text.strip_prefix('\u{feff}')
            .expect("UTF-8 BOM")
            .to_string()
    }
}

fn read_list(dir: &Path, list: ListFile) -> List {
    let bytes = fs::read(dir.join(format!("{}.csv", list.stem()))).expect("read csv");
    let text = decode(list, &bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = rdr.records().map(|r| r.expect("csv record"));
    let mut first: Vec<String> = records
        .next()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    if first.len() == 1 {
        first = records
            .next()
            .expect("header after title")
            .iter()
            .map(str::to_string)
            .collect();
    }
    let mut rows = BTreeMap::new();
    for r in records {
        let v: Vec<String> = r.iter().map(str::to_string).collect();
        let n: u32 = v[0].parse().expect("序号");
        rows.insert(n, v);
    }
    List {
        headers: first,
        rows,
    }
}

fn read_truth(dir: &Path, name: &str) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(dir.join(TRUTH_DIR).join(name)).expect("truth file");
    let headers: Vec<String> = rdr
        .headers()
        .expect("headers")
        .iter()
        .map(str::to_string)
        .collect();
    rdr.records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// errors.csv keyed by (file stem, row, column).
type ErrorMap = HashMap<(String, u32, String), HashMap<String, String>>;

fn errors(dir: &Path) -> ErrorMap {
    read_truth(dir, "errors.csv")
        .into_iter()
        .map(|e| {
            let key = (
                e["file"].clone(),
                e["row"].parse().expect("row"),
                e["column"].clone(),
            );
            (key, e)
        })
        .collect()
}

fn all_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("prefix").to_path_buf();
                out.insert(rel, fs::read(&p).expect("read"));
            }
        }
    }
    out
}

#[test]
fn writes_every_list_and_truth_file() {
    let (dir, summary) = shape();
    for list in ListFile::ALL {
        for ext in ["csv", "xlsx"] {
            let p = dir.join(format!("{}.{ext}", list.stem()));
            assert!(p.is_file(), "missing {}", p.display());
        }
    }
    for name in [
        "persons.csv",
        "out_of_school.csv",
        "out_of_county.csv",
        "entitlements.csv",
        "errors.csv",
    ] {
        assert!(dir.join(TRUTH_DIR).join(name).is_file(), "missing {name}");
    }
    assert!(dir.join(MANIFEST).is_file());
    assert_eq!(summary.files.len(), ListFile::ALL.len());
    assert!(summary.files.iter().all(|f| f.rows > 0 && f.sheets >= 1));
}

#[test]
fn same_seed_same_bytes_other_seed_differs() {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zizhu-gen-determinism");
    let _ = fs::remove_dir_all(&base);
    let config = GenConfig {
        students: 3_000,
        ..GenConfig::default()
    };
    let a = base.join("a");
    let b = base.join("b");
    let c = base.join("c");
    generate(&config, &a).expect("run a");
    generate(&config, &b).expect("run b");
    generate(
        &GenConfig {
            seed: 2,
            ..config.clone()
        },
        &c,
    )
    .expect("run c");
    let fa = all_files(&a);
    let fb = all_files(&b);
    let fc = all_files(&c);
    assert_eq!(fa.len(), 11 * 2 + 5 + 1);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(
            fb[name] == *bytes,
            "{} differs between two runs",
            name.display()
        );
    }
    let roster = PathBuf::from(format!("{}.csv", ListFile::Roster.stem()));
    assert_ne!(
        fa[&roster], fc[&roster],
        "seed 2 gave the same roster as seed 1"
    );
    // The CSV files do not depend on whether xlsx files are written too.
    let d = base.join("d");
    generate(
        &GenConfig {
            format: Format::Csv,
            ..config
        },
        &d,
    )
    .expect("run d");
    for (name, bytes) in &all_files(&d) {
        let is_csv = name.extension().is_some_and(|e| e == "csv");
        if is_csv && !name.ends_with("errors.csv") {
            assert!(
                fa[name] == *bytes,
                "{} depends on the format",
                name.display()
            );
        }
    }
    let _ = fs::remove_dir_all(&base);
}

#[test]
fn counts_per_stage_and_township_are_in_range() {
    let (_, s) = shape();
    let students = s.students;
    assert!(
        (19_000..=21_000).contains(&students),
        "{students} in-county students for a target of 20,000"
    );
    let share = |stage: Stage| s.by_stage.get(&stage).copied().unwrap_or(0) * 1000 / students;
    let check = |stage: Stage, lo: u64, hi: u64| {
        let v = share(stage);
        assert!((lo..=hi).contains(&v), "{stage:?} is {v}‰ of students");
    };
    check(Stage::Preschool, 150, 220);
    check(Stage::Primary, 400, 480);
    check(Stage::Junior, 190, 240);
    check(Stage::SeniorHigh, 80, 120);
    check(Stage::Vocational, 50, 85);
    assert_eq!(s.by_township.len(), 21);
    let total: u64 = s.by_township.iter().map(|t| t.students_in_county).sum();
    for t in &s.by_township {
        assert!(t.children > 0 && t.students > 0, "{} is empty", t.name);
    }
    let urban: u64 = s
        .by_township
        .iter()
        .filter(|t| t.name.ends_with("街道"))
        .map(|t| t.students_in_county)
        .sum();
    let yao: u64 = s
        .by_township
        .iter()
        .filter(|t| t.name.ends_with("瑶族乡"))
        .map(|t| t.students_in_county)
        .sum();
    assert!(
        (180..=320).contains(&(urban * 1000 / total)),
        "街道 {urban}/{total}"
    );
    assert!(
        (50..=150).contains(&(yao * 1000 / total)),
        "瑶族乡 {yao}/{total}"
    );
    // 县外就读: about 3–5% of the county's students.
    let out = s.out_of_county * 1000 / (students + s.out_of_county);
    assert!((30..=55).contains(&out), "县外就读 {out}‰");
    // Indicators near the seed's 82.8%, 98.5% and 93.08%.
    let i = s.indicators;
    assert!((7800..=8800).contains(&i.preschool_gross_bp), "{i:?}");
    assert!((9750..=9950).contains(&i.compulsory_retention_bp), "{i:?}");
    assert!((8900..=9600).contains(&i.senior_gross_bp), "{i:?}");
    // Schools scale with the county: ~300 at 150,000 students.
    assert!((60..=120).contains(&s.schools), "{} schools", s.schools);
}

#[test]
fn poverty_share_among_compulsory_students_is_20_to_25_percent() {
    let (dir, s) = shape();
    let bp = s.compulsory_poverty_share_bp();
    assert!((2000..=2500).contains(&bp), "{bp} bp");
    // The same from the truth file.
    let persons = read_truth(dir, "persons.csv");
    let compulsory: Vec<_> = persons
        .iter()
        .filter(|p| p["study_mode"] == "在校就读" && (p["stage"] == "小学" || p["stage"] == "初中"))
        .collect();
    let poor = compulsory
        .iter()
        .filter(|p| !p["poverty_status"].is_empty())
        .count();
    let bp2 = poor * 10_000 / compulsory.len();
    assert!((2000..=2500).contains(&bp2), "{bp2} bp in persons.csv");
}

#[test]
fn special_school_twins_compound_surnames_and_common_names() {
    let (dir, _) = shape();
    let persons = read_truth(dir, "persons.csv");
    let by_key: HashMap<&str, &HashMap<String, String>> = persons
        .iter()
        .map(|p| (p["person_key"].as_str(), p))
        .collect();
    let twins: Vec<_> = persons
        .iter()
        .filter(|p| !p["twin_of"].is_empty())
        .collect();
    assert!(twins.len() >= 20, "only {} twins", twins.len());
    for t in &twins {
        let o = by_key[t["twin_of"].as_str()];
        assert_eq!(t["birth_date"], o["birth_date"]);
        assert_eq!(t["household_key"], o["household_key"]);
        assert_ne!(t["name"], o["name"]);
    }
    let compound = persons
        .iter()
        .filter(|p| {
            ["欧阳", "司马", "上官", "诸葛", "司徒"]
                .iter()
                .any(|s| p["name"].starts_with(s))
        })
        .count();
    assert!(compound >= 20, "{compound} compound surnames");
    let mut names: HashMap<&str, u32> = HashMap::new();
    for p in persons.iter().filter(|p| p["role"] == "child") {
        *names.entry(p["name"].as_str()).or_default() += 1;
    }
    let repeated = names.values().filter(|n| **n >= 3).count();
    assert!(
        repeated >= 50,
        "{repeated} names appear three times or more"
    );
    assert!(names.get("王芳").copied().unwrap_or(0) + names.get("李娜").copied().unwrap_or(0) >= 2);
    // 瑶族 live mostly in the 瑶族乡.
    let yao = persons.iter().filter(|p| p["ethnicity"] == "瑶族").count();
    assert!(
        yao * 20 > persons.len() / 10,
        "{yao} 瑶族 of {}",
        persons.len()
    );
    // The special school: ~275 students at 150,000, so ~37 here.
    let schools = read_list(dir, ListFile::Schools);
    let kind = schools.col("办学类型");
    let n = schools.col("在校生数");
    let special: u32 = schools
        .rows
        .values()
        .filter(|r| r[kind] == "特殊教育学校")
        .map(|r| r[n].parse::<u32>().expect("count"))
        .sum();
    assert!(
        (15..=70).contains(&special),
        "{special} special-school students"
    );
}

#[test]
fn error_rates_are_within_20_percent_of_the_request() {
    let (dir, s) = shape();
    let rates = shape_config().errors;
    for kind in ErrorKind::ALL {
        let c = &s.errors[&kind];
        let rate = u64::from(rates.get(kind));
        let expected = c.opportunities * rate / 1000;
        assert!(
            expected >= 150,
            "{kind:?}: too few opportunities ({})",
            c.opportunities
        );
        let lo = expected * 8 / 10;
        let hi = expected * 12 / 10;
        assert!(
            (lo..=hi).contains(&c.injected),
            "{kind:?}: {} of {} at {rate}‰",
            c.injected,
            c.opportunities
        );
    }
    // errors.csv holds exactly the injected errors (plus copies in
    // duplicated rows, marked by duplicate_of).
    let mut counted: BTreeMap<String, u64> = BTreeMap::new();
    for e in read_truth(dir, "errors.csv") {
        if e["duplicate_of"].is_empty() || e["kind"] == "duplicate_row" {
            *counted.entry(e["kind"].clone()).or_default() += 1;
        }
    }
    for kind in ErrorKind::ALL {
        assert_eq!(
            counted.get(kind.code()).copied().unwrap_or(0),
            s.errors[&kind].injected,
            "{kind:?}"
        );
    }
}

/// The name and ID columns of each person list.
fn person_columns(list: ListFile) -> (&'static str, &'static str) {
    match list {
        ListFile::Roster => ("姓名", "身份证件号"),
        ListFile::PovertyHouseholds => ("户主姓名", "户主身份证号"),
        ListFile::Bank => ("学生姓名", "学生身份证号"),
        _ => ("姓名", "身份证号"),
    }
}

const PERSON_LISTS: [ListFile; 9] = [
    ListFile::Roster,
    ListFile::PovertyHouseholds,
    ListFile::PovertyMembers,
    ListFile::Disabled,
    ListFile::Dibao,
    ListFile::Tekun,
    ListFile::Orphans,
    ListFile::Population,
    ListFile::Bank,
];

#[test]
fn truth_points_at_rows_with_matching_facts() {
    let (dir, _) = shape();
    let errs = errors(dir);
    let lists: HashMap<ListFile, List> = PERSON_LISTS
        .iter()
        .map(|l| (*l, read_list(dir, *l)))
        .collect();
    let persons = read_truth(dir, "persons.csv");
    let mut referenced: HashMap<ListFile, HashSet<u32>> = HashMap::new();
    for p in &persons {
        for list in PERSON_LISTS {
            let refs = &p[&format!("rows_{}", list.code())];
            if refs.is_empty() {
                continue;
            }
            let l = &lists[&list];
            let (name_col, id_col) = person_columns(list);
            for r in refs.split(';') {
                let row: u32 = r.parse().expect("row number");
                assert!(
                    referenced.entry(list).or_default().insert(row),
                    "{list:?} row {row} twice"
                );
                let rec = l
                    .rows
                    .get(&row)
                    .unwrap_or_else(|| panic!("{list:?} has no row {row}"));
                let stem = list.stem().to_string();
                let name = &rec[l.col(name_col)];
                match errs.get(&(stem.clone(), row, name_col.to_string())) {
                    Some(e) => {
                        assert_eq!(&e["original"], &p["name"]);
                        assert_eq!(&e["corrupted"], name);
                    }
                    None => assert_eq!(name, &p["name"], "{list:?} row {row}"),
                }
                let id = &rec[l.col(id_col)];
                match errs.get(&(stem, row, id_col.to_string())) {
                    Some(e) => {
                        assert_eq!(&e["original"], &p["id_number"]);
                        assert_eq!(&e["corrupted"], id);
                    }
                    None => assert_eq!(id, &p["id_number"], "{list:?} row {row}"),
                }
            }
        }
    }
    // Every row of a person list belongs to somebody.
    for list in PERSON_LISTS {
        let all: HashSet<u32> = lists[&list].rows.keys().copied().collect();
        assert_eq!(
            referenced.get(&list).cloned().unwrap_or_default(),
            all,
            "{list:?} has rows no person refers to"
        );
    }
    let keys: HashMap<&str, &HashMap<String, String>> = persons
        .iter()
        .map(|p| (p["person_key"].as_str(), p))
        .collect();
    // Out-of-school children are in the population list, not the roster.
    let oos = read_truth(dir, "out_of_school.csv");
    assert!(!oos.is_empty());
    for o in &oos {
        let p = keys[o["person_key"].as_str()];
        assert!(p["rows_roster"].is_empty());
        assert!(!p["rows_population"].is_empty());
        assert!(matches!(p["status"].as_str(), "migrated" | "dropout"));
    }
    // Out-of-county students are in the roster as 县外就读.
    let roster = &lists[&ListFile::Roster];
    let mode = roster.col("就读方式");
    for o in read_truth(dir, "out_of_county.csv") {
        let row: u32 = o["roster_row"].parse().expect("row");
        assert_eq!(roster.rows[&row][mode], "县外就读");
    }
    // Entitlements go to enrolled persons and follow the 2018 amounts.
    for e in read_truth(dir, "entitlements.csv") {
        let p = keys[e["person_key"].as_str()];
        assert_eq!(p["status"], "enrolled");
        let fen: i64 = e["amount_fen"].parse().expect("fen");
        let expected = match e["policy"].as_str() {
            "preschool_aid" | "boarding_primary" | "special_school" => 50_000,
            "boarding_junior" => 62_500,
            "senior_high_grant" | "yulu" => 150_000,
            "vocational_fee_waiver" => 120_000,
            "vocational_grant" => 100_000,
            "senior_high_fee_waiver" => {
                assert!(fen == 80_000 || fen == 100_000, "{fen}");
                fen
            }
            other => panic!("unknown policy {other}"),
        };
        assert_eq!(fen, expected, "{}", e["policy"]);
        if e["policy"].starts_with("boarding") {
            assert_eq!(p["boarding"], "是");
        }
        if matches!(
            e["policy"].as_str(),
            "senior_high_grant" | "yulu" | "vocational_grant"
        ) {
            assert!(!p["poverty_status"].is_empty());
        }
    }
}

#[test]
fn clean_ids_and_cards_pass_core_checks() {
    let (dir, _) = shape();
    let errs = errors(dir);
    let mut checked = 0u64;
    for list in ListFile::ALL {
        let l = read_list(dir, list);
        let stem = list.stem().to_string();
        for (c, h) in l.headers.iter().enumerate() {
            let is_id = h.contains("身份证");
            let is_card = h == "卡号";
            if !is_id && !is_card {
                continue;
            }
            for (row, rec) in &l.rows {
                let v = &rec[c];
                if let Some(e) = errs.get(&(stem.clone(), *row, h.clone())) {
                    assert_eq!(&e["corrupted"], v, "{stem} row {row} {h}");
                    if e["kind"] == "bank_account_closed" {
                        assert!(luhn_valid(v), "closed accounts still pass Luhn: {v}");
                    }
                    if e["kind"] == "bank_card_mistyped" {
                        assert!(!luhn_valid(v), "{v} passes Luhn");
                    }
                    continue;
                }
                if v.is_empty() {
                    continue;
                }
                checked += 1;
                if is_id {
                    let id = IdNumber::parse(v)
                        .unwrap_or_else(|e| panic!("{stem} row {row} {h}: {v}: {e}"));
                    assert_eq!(id.as_str(), v, "{stem} row {row}: not canonical");
                } else {
                    assert!(luhn_valid(v), "{stem} row {row}: card {v} fails Luhn");
                    assert_eq!(v.len(), 19);
                }
            }
        }
    }
    assert!(checked > 50_000, "only {checked} cells checked");
}

#[test]
fn gbk_lists_decode_with_gb18030_and_carry_title_rows() {
    let (dir, _) = shape();
    for list in [ListFile::PovertyHouseholds, ListFile::PovertyMembers] {
        assert_eq!(list.csv_encoding(), zizhu_gen::CsvEncoding::Gbk);
        let bytes = fs::read(dir.join(format!("{}.csv", list.stem()))).expect("read");
        assert!(std::str::from_utf8(&bytes).is_err(), "{list:?} is not GBK");
        let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
        assert!(!bad);
        let mut lines = text.lines();
        let title = lines.next().expect("title");
        assert!(title.starts_with("宁远县2018年建档立卡贫困"), "{title}");
        assert!(lines.next().expect("header").starts_with("序号,户编号"));
        assert!(!text.contains("&#"), "unencodable characters");
    }
}

#[test]
fn xlsx_files_open_and_match_the_csv() {
    let (dir, s) = shape();
    let errs = read_truth(dir, "errors.csv");
    for list in ListFile::ALL {
        let path = dir.join(format!("{}.xlsx", list.stem()));
        let mut wb: Xlsx<_> = open_workbook(&path).expect("open xlsx");
        let sheets = wb.sheet_names();
        assert_eq!(sheets[0], list.sheet());
        let range = wb.worksheet_range(&sheets[0]).expect("sheet");
        let csv = read_list(dir, list);
        let title = list.title("宁远县", 2018).is_some();
        let header_row = usize::from(title);
        let header: Vec<String> = (0..csv.headers.len())
            .map(|c| {
                range
                    .get((header_row, c))
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(header, csv.headers, "{list:?}");
        let data_rows = range.height() - header_row - 1;
        assert_eq!(data_rows, csv.rows.len(), "{list:?}");
        let summary_rows = s
            .files
            .iter()
            .find(|f| f.list == list)
            .expect("summary")
            .rows;
        assert_eq!(data_rows as u64, summary_rows);
        // Date cells that are Excel serial numbers are exactly those the
        // truth says.
        let serial_cells = range
            .rows()
            .skip(header_row + 1)
            .flat_map(|r| r.iter())
            .filter(|d| matches!(d, Data::DateTime(_) | Data::Float(_)))
            .count();
        let numeric_columns = ["序号", "人口数", "在校生数", "学费标准（元/学期）"];
        let numbers = range
            .rows()
            .skip(header_row + 1)
            .map(|r| {
                csv.headers
                    .iter()
                    .enumerate()
                    .filter(|(c, h)| {
                        numeric_columns.contains(&h.as_str())
                            && matches!(r.get(*c), Some(Data::Float(_)))
                    })
                    .count()
            })
            .sum::<usize>();
        let logged = errs
            .iter()
            .filter(|e| e["file"] == list.stem() && e["format"] == "xlsx")
            .count();
        assert_eq!(serial_cells - numbers, logged, "{list:?} serial dates");
    }
}

#[test]
fn large_lists_continue_on_further_sheets() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zizhu-gen-sheets");
    let _ = fs::remove_dir_all(&dir);
    let config = GenConfig {
        students: 1_000,
        format: Format::Xlsx,
        xlsx_sheet_rows: 300,
        ..GenConfig::default()
    };
    let s = generate(&config, &dir).expect("generate");
    let roster = s
        .files
        .iter()
        .find(|f| f.list == ListFile::Roster)
        .expect("roster");
    let expected_sheets = roster.rows.div_ceil(300);
    assert_eq!(u64::from(roster.sheets), expected_sheets);
    let mut wb: Xlsx<_> =
        open_workbook(dir.join(format!("{}.xlsx", ListFile::Roster.stem()))).expect("open");
    let names = wb.sheet_names();
    assert_eq!(names.len() as u64, expected_sheets);
    let mut total = 0;
    for n in &names {
        let r = wb.worksheet_range(n).expect("sheet");
        assert_eq!(
            r.get((0, 0)).map(|d| d.to_string()),
            Some("序号".to_string())
        );
        total += r.height() - 1;
    }
    assert_eq!(total as u64, roster.rows);
    assert!(
        !dir.join(format!("{}.csv", ListFile::Roster.stem()))
            .exists()
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn registry_matches_the_written_county() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zizhu-gen-registry");
    let _ = fs::remove_dir_all(&dir);
    let config = GenConfig {
        students: 2_000,
        format: Format::Csv,
        ..GenConfig::default()
    };
    let summary = generate(&config, &dir).expect("generate");
    let reg = registry(&config).expect("registry");
    let schools = reg.schools().len();
    let batches: Vec<_> = reg.collect::<Result<Vec<_>, GenError>>().expect("batches");
    assert_eq!(batches.len(), schools);
    let in_county: usize = batches
        .iter()
        .filter(|b| b.school.in_county)
        .map(|b| b.students.len())
        .sum();
    assert_eq!(in_county as u64, summary.students);
    let persons: HashMap<String, HashMap<String, String>> = read_truth(&dir, "persons.csv")
        .into_iter()
        .map(|p| (p["person_key"].clone(), p))
        .collect();
    let mut payments = 0u64;
    for b in &batches {
        for st in &b.students {
            let p = &persons[&st.person.key];
            assert_eq!(p["name"], st.person.name);
            assert_eq!(
                p["id_number"],
                st.person
                    .id_number
                    .as_ref()
                    .map(|i| i.as_str())
                    .unwrap_or("")
            );
            assert_eq!(p["school_code"], st.enrollment.school_code.as_str());
            assert!(!st.enrollment.class_name.is_empty());
            payments += st.entitlements.len() as u64;
        }
    }
    assert_eq!(payments, summary.entitlement_count);
    // The same configuration yields the same batches again.
    let again: Vec<_> = registry(&config)
        .expect("registry")
        .collect::<Result<Vec<_>, GenError>>()
        .expect("batches");
    assert!(again == batches);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn refuses_foreign_files_but_replaces_its_own() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zizhu-gen-outdir");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("别人的文件.txt"), "x").expect("write");
    let config = GenConfig {
        students: 500,
        format: Format::Csv,
        ..GenConfig::default()
    };
    let err = generate(&config, &dir).expect_err("must refuse");
    assert!(matches!(err, GenError::OutputNotEmpty { .. }));
    assert!(err.to_string().contains("别人的文件.txt"), "{err}");
    assert!(err.to_string().contains("不是空目录"), "{err}");
    fs::remove_file(dir.join("别人的文件.txt")).expect("rm");
    generate(&config, &dir).expect("first run");
    let first = all_files(&dir);
    generate(&config, &dir).expect("re-run into its own folder");
    assert_eq!(first, all_files(&dir));
    // Switching to xlsx removes the CSV files the manifest lists.
    generate(
        &GenConfig {
            format: Format::Xlsx,
            ..config.clone()
        },
        &dir,
    )
    .expect("xlsx run");
    assert!(
        !dir.join(format!("{}.csv", ListFile::Roster.stem()))
            .exists()
    );
    assert!(
        dir.join(format!("{}.xlsx", ListFile::Roster.stem()))
            .exists()
    );
    let bad = GenConfig {
        county: "4311".to_string(),
        ..config
    };
    let err = generate(&bad, &dir).expect_err("bad county");
    assert!(err.to_string().contains("县级行政区划代码"), "{err}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn payments_and_policies_are_all_present() {
    let (_, s) = shape();
    for p in Policy::ALL {
        assert!(
            s.entitlements.get(&p).is_some_and(|t| t.count > 0),
            "no {p:?} entitlements"
        );
    }
    assert_eq!(s.payments_per_year, 2 * s.entitlement_count);
    // Of the order of the seed's 77,349 a year at 150,000 students.
    let scaled = s.payments_per_year * 150_000 / SHAPE_STUDENTS;
    assert!(
        (50_000..=100_000).contains(&scaled),
        "{scaled} payments/year scaled"
    );
}
