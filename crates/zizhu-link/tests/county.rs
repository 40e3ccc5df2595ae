//! Linkage on the synthetic county of `zizhu-gen`: another generator, with
//! its own error model, whose ground truth says which row of which list is
//! which person (`truth/persons.csv`, columns `rows_<list>`).
//!
//! Each department list is converted to the link CSV layout the way a clerk
//! would (name, sex, birth date, ID, guardian, address columns picked from
//! the department's own headers), written as CSV, read back with
//! [`read_csv`], linked, and scored against the truth for every pair of
//! lists. Twins (`twin_of`) must never be linked.
//!
//! The county has 2 000 students by default (a few seconds in debug);
//! `ZIZHU_LINK_COUNTY_STUDENTS=150000` runs the default-size county.
#![expect(
    clippy::float_arithmetic,
    reason = "precision and recall are ratios, not money"
)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zizhu_gen::{CsvEncoding, ErrorRates, Format, GenConfig, ListFile, TRUTH_DIR, generate};
use zizhu_link::{LinkConfig, Record, link, read_csv};

/// Where each link column comes from in a department's list. Address
/// columns are concatenated in order.
struct Layout {
    list: ListFile,
    truth_column: &'static str,
    name: &'static str,
    sex: Option<&'static str>,
    birth_date: Option<&'static str>,
    id_number: &'static str,
    guardian: Option<&'static str>,
    address: &'static [&'static str],
}

const LAYOUTS: &[Layout] = &[
    Layout {
        list: ListFile::Roster,
        truth_column: "rows_roster",
        name: "姓名",
        sex: Some("性别"),
        birth_date: Some("出生日期"),
        id_number: "身份证件号",
        guardian: Some("监护人姓名"),
        address: &["家庭现地址"],
    },
    Layout {
        list: ListFile::Population,
        truth_column: "rows_population",
        name: "姓名",
        sex: Some("性别"),
        birth_date: Some("出生日期"),
        id_number: "身份证号",
        guardian: Some("监护人"),
        address: &["户籍地址"],
    },
    Layout {
        list: ListFile::PovertyMembers,
        truth_column: "rows_poverty_members",
        name: "姓名",
        sex: Some("性别"),
        birth_date: None,
        id_number: "身份证号",
        guardian: None,
        address: &["乡镇", "村"],
    },
    Layout {
        list: ListFile::Disabled,
        truth_column: "rows_disabled",
        name: "姓名",
        sex: Some("性别"),
        birth_date: Some("出生日期"),
        id_number: "身份证号",
        guardian: Some("监护人"),
        address: &["乡镇", "村（社区）"],
    },
    Layout {
        list: ListFile::Dibao,
        truth_column: "rows_dibao",
        name: "姓名",
        sex: None,
        birth_date: None,
        id_number: "身份证号",
        guardian: Some("户主姓名"),
        address: &["乡镇", "村（社区）"],
    },
    Layout {
        list: ListFile::Tekun,
        truth_column: "rows_tekun",
        name: "姓名",
        sex: Some("性别"),
        birth_date: None,
        id_number: "身份证号",
        guardian: None,
        address: &["乡镇", "村（社区）"],
    },
    Layout {
        list: ListFile::Orphans,
        truth_column: "rows_orphans",
        name: "姓名",
        sex: Some("性别"),
        birth_date: None,
        id_number: "身份证号",
        guardian: Some("监护人"),
        address: &["乡镇", "村（社区）"],
    },
    Layout {
        list: ListFile::Bank,
        truth_column: "rows_bank",
        name: "学生姓名",
        sex: None,
        birth_date: None,
        id_number: "学生身份证号",
        guardian: None,
        address: &["乡镇", "村（社区）"],
    },
];

/// (left list, right list, precision floor, recall floor). The floors sit
/// a little under what the linker achieves at 2 000 and 150 000 students,
/// so that a regression fails while the small county's sampling noise does
/// not.
const PAIRS: &[(ListFile, ListFile, f64, f64)] = &[
    (ListFile::Roster, ListFile::Population, 0.995, 0.99),
    (ListFile::Roster, ListFile::PovertyMembers, 0.99, 0.97),
    (ListFile::Roster, ListFile::Disabled, 0.99, 0.97),
    (ListFile::Roster, ListFile::Dibao, 0.99, 0.95),
    (ListFile::Roster, ListFile::Tekun, 0.95, 0.90),
    (ListFile::Roster, ListFile::Orphans, 0.95, 0.90),
    (ListFile::Roster, ListFile::Bank, 0.99, 0.97),
    (ListFile::Population, ListFile::PovertyMembers, 0.99, 0.97),
    (ListFile::Population, ListFile::Disabled, 0.99, 0.97),
    (ListFile::Population, ListFile::Dibao, 0.99, 0.95),
];

fn layout(list: ListFile) -> &'static Layout {
    LAYOUTS
        .iter()
        .find(|l| l.list == list)
        .unwrap_or_else(|| panic!("no layout for {list:?}"))
}

struct County {
    dir: PathBuf,
    /// truth column → 序号 → person key.
    rows: HashMap<&'static str, HashMap<String, String>>,
    /// Pairs of person keys that are twins.
    twins: HashSet<(String, String)>,
}

fn students() -> u64 {
    std::env::var("ZIZHU_LINK_COUNTY_STUDENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000)
}

/// Per-mille rate of every injected error kind, when set
/// (`ZIZHU_LINK_COUNTY_ERRORS=80`); the generator's defaults otherwise.
fn error_rates() -> ErrorRates {
    std::env::var("ZIZHU_LINK_COUNTY_ERRORS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or_else(ErrorRates::default, ErrorRates::uniform)
}

fn county() -> &'static County {
    static COUNTY: OnceLock<County> = OnceLock::new();
    COUNTY.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "zizhu-link-county-{}-{:?}",
            students(),
            std::env::var("ZIZHU_LINK_COUNTY_ERRORS").ok()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let config = GenConfig {
            students: students(),
            format: Format::Csv,
            seed: 7,
            errors: error_rates(),
            ..GenConfig::default()
        };
        generate(&config, &dir).expect("generate the county");
        let persons = read_table(
            &dir.join(TRUTH_DIR).join("persons.csv"),
            CsvEncoding::Utf8Bom,
        );
        let mut rows: HashMap<&'static str, HashMap<String, String>> = HashMap::new();
        let mut twins = HashSet::new();
        for p in &persons {
            let key = &p["person_key"];
            for l in LAYOUTS {
                for row in p[l.truth_column].split(';').filter(|r| !r.is_empty()) {
                    let previous = rows
                        .entry(l.truth_column)
                        .or_default()
                        .insert(row.to_string(), key.clone());
                    assert!(
                        previous.is_none(),
                        "{} row {row} twice in truth",
                        l.truth_column
                    );
                }
            }
            if !p["twin_of"].is_empty() {
                twins.insert((key.clone(), p["twin_of"].clone()));
                twins.insert((p["twin_of"].clone(), key.clone()));
            }
        }
        County { dir, rows, twins }
    })
}

/// Reads a list's CSV (UTF-8 with BOM or GBK, maybe a title row before the
/// header) into header → value maps.
fn read_table(path: &Path, encoding: CsvEncoding) -> Vec<BTreeMap<String, String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = match encoding {
        CsvEncoding::Gbk => encoding_rs::GB18030.decode(&bytes).0.into_owned(),
        _ => String::from_utf8(bytes).expect("UTF-8"),
    };
    let text = text.trim_start_matches('\u{feff}');
    // Department lists may open with a title row; the header starts with 序号.
    let start = if text.starts_with("序号") || text.starts_with("person_key") {
        0
    } else {
        text.find("\n序号").map_or(0, |i| i + 1)
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&text.as_bytes()[start..]);
    let headers: Vec<String> = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    rdr.records()
        .map(|r| {
            let r = r.expect("row");
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// Converts one department list to link records (record_id = 序号) through
/// the CSV layout `zizhu link` reads.
fn link_records(dir: &Path, list: ListFile) -> Vec<Record> {
    let l = layout(list);
    let table = read_table(
        &dir.join(format!("{}.csv", list.stem())),
        list.csv_encoding(),
    );
    let cell = |row: &BTreeMap<String, String>, col: Option<&str>| -> String {
        col.map(|c| {
            row.get(c)
                .unwrap_or_else(|| panic!("{list:?} has no column {c}"))
                .clone()
        })
        .unwrap_or_default()
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "record_id",
        "name",
        "sex",
        "birth_date",
        "id_number",
        "guardian_name",
        "address",
    ])
    .expect("write");
    for row in &table {
        let address: String = l
            .address
            .iter()
            .map(|c| cell(row, Some(c)))
            .collect::<Vec<_>>()
            .concat();
        w.write_record([
            cell(row, Some("序号")),
            cell(row, Some(l.name)),
            cell(row, l.sex),
            cell(row, l.birth_date),
            cell(row, Some(l.id_number)),
            cell(row, l.guardian),
            address,
        ])
        .expect("write");
    }
    let bytes = w.into_inner().expect("flush");
    read_csv(bytes.as_slice()).expect("read the converted list")
}

struct Scored {
    precision: f64,
    recall: f64,
    predicted: usize,
    true_pairs: usize,
    twins_merged: usize,
}

fn score(left: ListFile, right: ListFile) -> Scored {
    let c = county();
    let (lt, rt) = (layout(left).truth_column, layout(right).truth_column);
    let l = link_records(&c.dir, left);
    let r = link_records(&c.dir, right);
    let person = |col: &str, rec: &Record| c.rows.get(col).and_then(|m| m.get(&rec.record_id));
    // True pairs: every row of a person in one list with every row of the
    // same person in the other (duplicated rows included).
    let mut right_rows: HashMap<&String, Vec<usize>> = HashMap::new();
    for (j, rec) in r.iter().enumerate() {
        let p = person(rt, rec)
            .unwrap_or_else(|| panic!("{right:?} row {} has no person", rec.record_id));
        right_rows.entry(p).or_default().push(j);
    }
    let mut truth: HashSet<(usize, usize)> = HashSet::new();
    for (i, rec) in l.iter().enumerate() {
        let p = person(lt, rec)
            .unwrap_or_else(|| panic!("{left:?} row {} has no person", rec.record_id));
        for &j in right_rows.get(p).map(Vec::as_slice).unwrap_or(&[]) {
            truth.insert((i, j));
        }
    }
    let result = link(&l, &r, &LinkConfig::default());
    let mut correct = 0;
    let mut twins_merged = 0;
    for k in &result.links {
        if truth.contains(&(k.left_index, k.right_index)) {
            correct += 1;
            continue;
        }
        let (a, b) = (l[k.left_index].clone(), r[k.right_index].clone());
        let (pa, pb) = (person(lt, &a), person(rt, &b));
        if let (Some(pa), Some(pb)) = (pa, pb)
            && c.twins.contains(&(pa.clone(), pb.clone()))
        {
            twins_merged += 1;
        }
        eprintln!(
            "  false link {left:?}×{right:?} p={:.3}: {a:?} / {b:?}",
            k.match_probability
        );
    }
    let linked: HashSet<(usize, usize)> = result
        .links
        .iter()
        .map(|k| (k.left_index, k.right_index))
        .collect();
    for (shown, &(i, j)) in truth.iter().filter(|p| !linked.contains(p)).enumerate() {
        if shown < 5 {
            eprintln!("  missed {left:?}×{right:?}: {:?} / {:?}", l[i], r[j]);
        }
    }
    let predicted = result.links.len();
    Scored {
        precision: if predicted == 0 {
            1.0
        } else {
            correct as f64 / predicted as f64
        },
        recall: if truth.is_empty() {
            1.0
        } else {
            correct as f64 / truth.len() as f64
        },
        predicted,
        true_pairs: truth.len(),
        twins_merged,
    }
}

#[test]
fn every_pair_of_department_lists_links_above_the_floors() {
    let mut failures = Vec::new();
    for &(left, right, p_floor, r_floor) in PAIRS {
        let s = score(left, right);
        eprintln!(
            "{left:?} × {right:?}: {} true pairs, {} links, precision {:.4} (floor {p_floor}), recall {:.4} (floor {r_floor}), twins merged {}",
            s.true_pairs, s.predicted, s.precision, s.recall, s.twins_merged
        );
        assert!(s.true_pairs > 0, "{left:?} × {right:?} has no true pair");
        if s.precision < p_floor || s.recall < r_floor || s.twins_merged > 0 {
            failures.push(format!(
                "{left:?} × {right:?}: precision {:.4} < {p_floor} or recall {:.4} < {r_floor} or {} twins merged",
                s.precision, s.recall, s.twins_merged
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_county_has_twins_in_the_lists() {
    let c = county();
    let roster = &c.rows["rows_roster"];
    let listed: HashSet<&String> = roster.values().collect();
    let twins_listed = c
        .twins
        .iter()
        .filter(|(a, b)| listed.contains(a) && listed.contains(b))
        .count();
    assert!(
        twins_listed > 0,
        "the county should hold twins in the roster, so that not merging them is tested"
    );
}
