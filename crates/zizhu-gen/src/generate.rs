//! Writing everything: the output folder rules, the two passes (school by
//! school for the roster, village by village for the other lists) and the
//! ground truth.

use crate::config::GenConfig;
use crate::error::GenError;
use crate::household::{ChildStatus, Household, StudyMode};
use crate::inject::{Cell, Injector};
use crate::lists::{ErrorLog, ListFile, ListWriter};
use crate::model::Student;
use crate::plan::Plan;
use crate::registry::{
    account, build_batch, guardian, household_key, person_key, poverty_no, stale_number, student_no,
};
use crate::rng::GenRng;
use crate::schools::{School, SchoolKind};
use crate::sink::{CsvEncoding, CsvSink, XlsxSink};
use crate::summary::{Indicators, Summary, TownshipSummary};
use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;
use zizhu_core::{IdNumber, Stage};

/// The file listing what a run wrote; a later run may replace exactly
/// these files and nothing else.
pub const MANIFEST: &str = "zizhu-gen-清单.txt";

/// Where a run writes before moving its files into place, so that a failed
/// run leaves the folder as it was.
const STAGING: &str = ".zizhu-gen-staging";

/// The ground-truth folder.
pub const TRUTH_DIR: &str = "truth";

/// Writes the synthetic county into `out_dir`; see the crate docs.
pub fn generate(config: &GenConfig, out_dir: &Path) -> Result<Summary, GenError> {
    let started = Instant::now();
    config.validate()?;
    let previous = prepare(out_dir)?;
    let staging = out_dir.join(STAGING);
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| GenError::io(&staging, e))?;
    }
    fs::create_dir_all(staging.join(TRUTH_DIR)).map_err(|e| GenError::io(&staging, e))?;
    let result = Plan::build(config).and_then(|plan| run(config, &plan, &staging));
    let mut summary = match result {
        Ok(s) => s,
        Err(e) => {
            // Best effort: the error that stopped the run matters more than
            // a failure to tidy up after it.
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    for old in &previous {
        let p = out_dir.join(old);
        if let Err(e) = fs::remove_file(&p)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(GenError::io(&p, e));
        }
    }
    let mut written: Vec<PathBuf> = Vec::new();
    for f in &summary.files {
        written.extend(f.files.iter().cloned());
    }
    written.extend(summary.truth_files.iter().map(|(p, _)| p.clone()));
    fs::create_dir_all(out_dir.join(TRUTH_DIR)).map_err(|e| GenError::io(out_dir, e))?;
    for rel in &written {
        let from = staging.join(rel);
        let to = out_dir.join(rel);
        fs::rename(&from, &to).map_err(|e| GenError::io(&to, e))?;
    }
    let mut manifest = String::from("# zizhu-gen 生成的文件清单：重新生成时只替换这些文件\n");
    for rel in &written {
        manifest.push_str(&rel.to_string_lossy());
        manifest.push('\n');
    }
    let mpath = out_dir.join(MANIFEST);
    fs::write(&mpath, manifest).map_err(|e| GenError::io(&mpath, e))?;
    fs::remove_dir_all(&staging).map_err(|e| GenError::io(&staging, e))?;
    summary.out_dir = out_dir.to_path_buf();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Checks that `out_dir` is empty or holds only what an earlier run wrote
/// (as its manifest says); returns those earlier files.
fn prepare(out_dir: &Path) -> Result<Vec<PathBuf>, GenError> {
    if !out_dir.exists() {
        fs::create_dir_all(out_dir).map_err(|e| GenError::io(out_dir, e))?;
        return Ok(Vec::new());
    }
    if !out_dir.is_dir() {
        return Err(GenError::NotADirectory {
            path: out_dir.to_path_buf(),
        });
    }
    let mpath = out_dir.join(MANIFEST);
    let listed: BTreeSet<String> = match fs::read_to_string(&mpath) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.trim().to_string())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
        Err(e) => return Err(GenError::io(&mpath, e)),
    };
    let not_ours = |entry: String| GenError::OutputNotEmpty {
        dir: out_dir.to_path_buf(),
        entry,
    };
    let entries = fs::read_dir(out_dir).map_err(|e| GenError::io(out_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| GenError::io(out_dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name == MANIFEST && !listed.is_empty() || name == STAGING {
            continue;
        }
        if name == TRUTH_DIR && entry.path().is_dir() {
            let inner = fs::read_dir(entry.path()).map_err(|e| GenError::io(entry.path(), e))?;
            for e in inner {
                let e = e.map_err(|err| GenError::io(out_dir, err))?;
                let rel = format!("{TRUTH_DIR}/{}", e.file_name().to_string_lossy());
                if !listed.contains(&rel) {
                    return Err(not_ours(rel));
                }
            }
            continue;
        }
        if !listed.contains(&name) {
            return Err(not_ours(name));
        }
    }
    Ok(listed.into_iter().map(PathBuf::from).collect())
}

const PERSONS_HEADERS: &[&str] = &[
    "person_key",
    "household_key",
    "role",
    "name",
    "sex",
    "birth_date",
    "id_number",
    "student_no",
    "ethnicity",
    "township_code",
    "village_code",
    "group",
    "status",
    "stage",
    "grade",
    "school_code",
    "study_mode",
    "boarding",
    "poverty_status",
    "poverty_exit_year",
    "dibao",
    "tekun",
    "orphan",
    "disability_category",
    "disability_level",
    "disability_certified",
    "left_behind",
    "twin_of",
    "rows_roster",
    "rows_poverty_households",
    "rows_poverty_members",
    "rows_disabled",
    "rows_dibao",
    "rows_tekun",
    "rows_orphans",
    "rows_population",
    "rows_bank",
];

/// Position of `twin_of` in [`PERSONS_HEADERS`].
const TWIN_OF: usize = 27;

/// The lists whose rows persons.csv refers to, in its column order.
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

const OUT_OF_SCHOOL_HEADERS: &[&str] = &[
    "person_key",
    "name",
    "id_number",
    "sex",
    "birth_date",
    "township_code",
    "village_code",
    "expected_stage",
    "expected_grade",
    "reason",
    "dropout",
    "poverty_status",
    "rows_population",
];

const OUT_OF_COUNTY_HEADERS: &[&str] = &[
    "person_key",
    "name",
    "id_number",
    "student_no",
    "township_code",
    "village_code",
    "school_code",
    "school_name",
    "place",
    "stage",
    "grade",
    "poverty_status",
    "roster_row",
];

const ENTITLEMENT_HEADERS: &[&str] = &[
    "person_key",
    "name",
    "id_number",
    "school_code",
    "school_name",
    "term",
    "stage",
    "grade",
    "policy",
    "policy_label",
    "amount_fen",
    "amount_yuan",
    "basis",
];

fn yes(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

fn flag(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn id_text(id: &Option<IdNumber>) -> String {
    id.as_ref()
        .map(|i| i.as_str().to_string())
        .unwrap_or_default()
}

/// A person row of persons.csv being assembled during the village pass.
struct PersonRow {
    fields: Vec<String>,
    refs: [Vec<u32>; 9],
}

/// Everything open during a run.
struct Out<'a> {
    cfg: &'a GenConfig,
    plan: &'a Plan,
    inj: Injector<'a>,
    log: ErrorLog,
    lists: Vec<ListWriter>,
    persons: CsvSink,
    out_of_school: CsvSink,
    out_of_county: CsvSink,
    entitlements: CsvSink,
    truth_rows: [u64; 4],
    summary: Summary,
    roster_rows: Vec<u32>,
    roster_dups: HashMap<u32, Vec<u32>>,
    cohorts: [(u64, u64); 3],
    ordinal: usize,
}

fn list_index(l: ListFile) -> usize {
    ListFile::ALL.iter().position(|x| *x == l).unwrap_or(0)
}

fn person_list_index(l: ListFile) -> usize {
    PERSON_LISTS.iter().position(|x| *x == l).unwrap_or(0)
}

fn run(cfg: &GenConfig, plan: &Plan, dir: &Path) -> Result<Summary, GenError> {
    let year = cfg.term.year();
    let county = plan.geo.county_name;
    let mut lists = Vec::new();
    for l in ListFile::ALL {
        lists.push(ListWriter::create(
            l,
            dir,
            cfg.format.csv(),
            cfg.format.xlsx(),
            county,
            year,
            cfg.xlsx_sheet_rows,
        )?);
    }
    let truth = dir.join(TRUTH_DIR);
    let open = |name: &str, headers: &[&str]| -> Result<CsvSink, GenError> {
        let mut s = CsvSink::create(&truth.join(name), CsvEncoding::Utf8, false)?;
        s.record(headers)?;
        Ok(s)
    };
    let mut out = Out {
        cfg,
        plan,
        inj: Injector::new(&cfg.errors, cfg.format.xlsx()),
        log: ErrorLog::create(&truth.join("errors.csv"))?,
        lists,
        persons: open("persons.csv", PERSONS_HEADERS)?,
        out_of_school: open("out_of_school.csv", OUT_OF_SCHOOL_HEADERS)?,
        out_of_county: open("out_of_county.csv", OUT_OF_COUNTY_HEADERS)?,
        entitlements: open("entitlements.csv", ENTITLEMENT_HEADERS)?,
        truth_rows: [0; 4],
        summary: Summary::default(),
        roster_rows: vec![0; plan.enrolled_household.len()],
        roster_dups: HashMap::new(),
        cohorts: [(0, 0); 3],
        ordinal: 0,
    };
    out.summary.by_township = plan
        .geo
        .townships
        .iter()
        .map(|t| TownshipSummary {
            code: t.code.clone(),
            name: t.name.to_string(),
            ..TownshipSummary::default()
        })
        .collect();
    std::thread::scope(|scope| {
        out.roster_pass()?;
        // The roster is the largest workbook: compress it on another thread
        // while the village pass runs.
        let roster = list_index(ListFile::Roster);
        let roster_save = out.lists[roster]
            .take_xlsx(&mut out.log)?
            .map(|x| scope.spawn(move || x.finish()));
        for v in 0..plan.geo.villages.len() {
            out.village(v)?;
        }
        out.schools_list()?;
        out.regions_list()?;
        let (mut summary, workbooks) = out.finish()?;
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .max(1);
        let mut groups: Vec<Vec<(usize, XlsxSink)>> = (0..threads).map(|_| Vec::new()).collect();
        for (i, w) in workbooks.into_iter().enumerate() {
            groups[i % threads].push(w);
        }
        let handles: Vec<_> = groups
            .into_iter()
            .map(|g| {
                scope.spawn(move || {
                    g.into_iter()
                        .map(|(i, x)| x.finish().map(|sheets| (i, sheets)))
                        .collect::<Result<Vec<_>, GenError>>()
                })
            })
            .collect();
        for h in handles {
            for (i, sheets) in join(h)?? {
                summary.files[i].sheets = sheets;
            }
        }
        if let Some(h) = roster_save {
            summary.files[roster].sheets = join(h)??;
        }
        Ok(summary)
    })
}

/// Joins a saving thread, turning a panic into an error.
fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> Result<T, GenError> {
    h.join().map_err(|_| GenError::Internal {
        what: "Excel 保存线程",
        value: String::new(),
        message: "线程异常退出".to_string(),
    })
}

impl Out<'_> {
    fn push(
        &mut self,
        list: ListFile,
        rng: &mut GenRng,
        cells: Vec<Cell>,
        person: &str,
        tag: u64,
    ) -> Result<u32, GenError> {
        self.lists[list_index(list)].push(&mut self.inj, &mut self.log, rng, cells, person, tag)
    }

    fn end_unit(&mut self, list: ListFile) -> Result<Vec<(u64, u32)>, GenError> {
        self.lists[list_index(list)].end_unit(&mut self.log)
    }

    /// School by school: the roster, the entitlements and 县外就读.
    fn roster_pass(&mut self) -> Result<(), GenError> {
        let plan = self.plan;
        for school in 0..plan.schools.schools.len() {
            let (batch, ordinals) = build_batch(plan, school)?;
            let s = &batch.school;
            let mut rng = ListFile::Roster.rng(plan.seed, school as u64);
            for (st, e) in batch.students.iter().zip(&ordinals) {
                self.entitlement_rows(st)?;
                if s.in_county {
                    self.summary.students += 1;
                    *self
                        .summary
                        .by_stage
                        .entry(st.enrollment.stage)
                        .or_default() += 1;
                    if matches!(st.enrollment.stage, Stage::Primary | Stage::Junior) {
                        self.summary.compulsory_students += 1;
                        if st.household.poverty.is_some() {
                            self.summary.compulsory_poverty_students += 1;
                        }
                    }
                }
                if !s.in_roster {
                    continue;
                }
                let cells = roster_cells(st, s);
                let row = self.push(
                    ListFile::Roster,
                    &mut rng,
                    cells,
                    &st.person.key,
                    u64::from(*e),
                )?;
                self.roster_rows[*e as usize] = row;
                if st.enrollment.mode == StudyMode::OutOfCounty {
                    self.summary.out_of_county += 1;
                    self.truth_rows[2] += 1;
                    let p = &st.person;
                    let row = row.to_string();
                    self.out_of_county.record([
                        p.key.as_str(),
                        &p.name,
                        &id_text(&p.id_number),
                        &p.student_no,
                        &p.township_code,
                        &p.village_code,
                        s.code.as_str(),
                        &s.name,
                        &s.place,
                        st.enrollment.stage.label(),
                        &st.enrollment.grade.label(),
                        poverty_label(st.household.poverty.as_ref().map(|p| p.status)),
                        &row,
                    ])?;
                }
            }
            if s.in_roster {
                for (tag, row) in self.end_unit(ListFile::Roster)? {
                    self.roster_dups
                        .entry(u32::try_from(tag).unwrap_or(u32::MAX))
                        .or_default()
                        .push(row);
                }
            }
        }
        Ok(())
    }

    fn entitlement_rows(&mut self, st: &Student) -> Result<(), GenError> {
        let term = self.cfg.term.code();
        for ent in &st.entitlements {
            let t = self.summary.entitlements.entry(ent.policy).or_default();
            t.count += 1;
            t.amount = t.amount.saturating_add(ent.amount);
            self.summary.entitlement_count += 1;
            self.summary.entitlement_amount =
                self.summary.entitlement_amount.saturating_add(ent.amount);
            self.truth_rows[3] += 1;
            let fen = ent.amount.0.to_string();
            let yuan = (ent.amount.0 / 100).to_string();
            self.entitlements.record([
                st.person.key.as_str(),
                &st.person.name,
                &id_text(&st.person.id_number),
                st.enrollment.school_code.as_str(),
                &st.enrollment.school_name,
                &term,
                st.enrollment.stage.label(),
                &st.enrollment.grade.label(),
                ent.policy.code(),
                ent.policy.label(),
                &fen,
                &yuan,
                &ent.basis,
            ])?;
        }
        Ok(())
    }

    /// One village: every list but the roster, persons and out-of-school.
    fn village(&mut self, v: usize) -> Result<(), GenError> {
        let plan = self.plan;
        let mut rngs: Vec<GenRng> = ListFile::ALL
            .iter()
            .map(|l| l.rng(plan.seed, v as u64))
            .collect();
        let mut people: Vec<PersonRow> = Vec::new();
        for h in plan.village_households(v) {
            let hh = plan.household(h);
            self.household(&hh, &mut rngs, &mut people)?;
        }
        for l in PERSON_LISTS.iter().skip(1) {
            for (tag, row) in self.end_unit(*l)? {
                if let Some(p) = people.get_mut(tag as usize) {
                    p.refs[person_list_index(*l)].push(row);
                }
            }
        }
        // A person is written when some list refers to them, or when their
        // twin is written (so that every twin_of points at a row).
        let mut written: Vec<bool> = people
            .iter()
            .map(|p| p.refs.iter().any(|r| !r.is_empty()))
            .collect();
        let index: HashMap<String, usize> = people
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.fields[TWIN_OF].is_empty())
            .map(|(i, p)| (p.fields[0].clone(), i))
            .collect();
        for (i, p) in people.iter().enumerate() {
            if written[i]
                && let Some(t) = index.get(&p.fields[TWIN_OF])
            {
                written[*t] = true;
            }
        }
        for (p, w) in people.into_iter().zip(written) {
            if !w {
                continue;
            }
            let mut fields = p.fields;
            for r in &p.refs {
                let joined: Vec<String> = r.iter().map(u32::to_string).collect();
                fields.push(joined.join(";"));
            }
            self.summary.persons += 1;
            self.persons.record(&fields)?;
        }
        Ok(())
    }

    fn household(
        &mut self,
        hh: &Household,
        rngs: &mut [GenRng],
        people: &mut Vec<PersonRow>,
    ) -> Result<(), GenError> {
        let plan = self.plan;
        let geo = &plan.geo;
        let v = &geo.villages[hh.village];
        let t = &geo.townships[v.township];
        let term_start = self.cfg.term.start_date();
        let ids: Vec<Option<IdNumber>> = (0..hh.members.len())
            .map(|m| plan.id(hh, m))
            .collect::<Result<_, _>>()?;
        let base = people.len();
        let keys: Vec<String> = (0..hh.members.len())
            .map(|m| person_key(hh.index, m))
            .collect();
        let town = t.name.to_string();
        let vill = v.name.clone();
        let address = geo.address(hh.village, hh.group);
        let head = hh.head();
        let head_name = head.name.full();
        let tsum = &mut self.summary.by_township[v.township];
        if hh.poverty.is_some() {
            tsum.poverty_households += 1;
            self.summary.poverty_households += 1;
        }
        self.summary.households += 1;

        // Person rows for persons.csv (written later if referenced).
        let mut ordinals: Vec<Option<usize>> = vec![None; hh.members.len()];
        for (m, member) in hh.members.iter().enumerate() {
            let mut fields: Vec<String> = Vec::with_capacity(PERSONS_HEADERS.len());
            let (status, stage, grade, school, mode, boarding) =
                match member.child.as_ref().map(|c| c.status) {
                    None => ("adult", "", String::new(), String::new(), "", ""),
                    Some(ChildStatus::Infant) => {
                        ("infant", "", String::new(), String::new(), "", "")
                    }
                    Some(ChildStatus::PreschoolHome) => {
                        ("preschool_home", "", String::new(), String::new(), "", "")
                    }
                    Some(ChildStatus::Migrated) => {
                        ("migrated", "", String::new(), String::new(), "", "")
                    }
                    Some(ChildStatus::Dropout(_)) => {
                        ("dropout", "", String::new(), String::new(), "", "")
                    }
                    Some(ChildStatus::NotStudying) => {
                        ("not_studying", "", String::new(), String::new(), "", "")
                    }
                    Some(ChildStatus::Enrolled(p)) => {
                        let e = self.ordinal;
                        self.ordinal += 1;
                        ordinals[m] = Some(e);
                        let s = &plan.schools.schools[p.school as usize];
                        (
                            "enrolled",
                            p.stage.label(),
                            crate::registry::grade(&p).label(),
                            s.code.as_str().to_string(),
                            p.mode.label(),
                            yes(p.boarding),
                        )
                    }
                };
            let sno = if member.child.is_some() {
                student_no(plan, hh, m, ids[m].as_ref())
            } else {
                String::new()
            };
            let twin = member
                .child
                .as_ref()
                .and_then(|c| c.twin_of)
                .map(|i| keys[usize::from(i)].clone())
                .or_else(|| {
                    hh.members
                        .iter()
                        .find(|o| o.child.as_ref().and_then(|c| c.twin_of) == Some(member.index))
                        .map(|o| keys[usize::from(o.index)].clone())
                })
                .unwrap_or_default();
            let d = member.disability;
            fields.extend([
                keys[m].clone(),
                household_key(hh.index),
                if member.child.is_some() {
                    "child"
                } else {
                    "adult"
                }
                .to_string(),
                member.name.full(),
                member.sex.label().to_string(),
                member.birth.to_string(),
                id_text(&ids[m]),
                sno,
                member.ethnicity.to_string(),
                t.code.clone(),
                v.code.clone(),
                hh.group.to_string(),
                status.to_string(),
                stage.to_string(),
                grade,
                school,
                mode.to_string(),
                boarding.to_string(),
                hh.poverty
                    .as_ref()
                    .map(|p| p.status.label())
                    .unwrap_or("")
                    .to_string(),
                hh.poverty
                    .as_ref()
                    .and_then(|p| p.status.exit_year())
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                hh.dibao.map(|d| d.label()).unwrap_or("").to_string(),
                flag(member.tekun).to_string(),
                flag(member.orphan).to_string(),
                d.map(|d| d.category_label()).unwrap_or("").to_string(),
                d.map(|d| d.level_label()).unwrap_or("").to_string(),
                d.map(|d| flag(d.certified)).unwrap_or("").to_string(),
                flag(hh.left_behind && member.child.is_some()).to_string(),
                twin,
            ]);
            let mut refs: [Vec<u32>; 9] = Default::default();
            if let Some(e) = ordinals[m] {
                let r = self.roster_rows[e];
                if r > 0 {
                    refs[0].push(r);
                }
                if let Some(d) = self.roster_dups.get(&(e as u32)) {
                    refs[0].extend(d);
                }
            }
            people.push(PersonRow { fields, refs });
        }
        let tag = |m: usize| (base + m) as u64;
        let refs_add = |people: &mut Vec<PersonRow>, m: usize, l: ListFile, row: u32| {
            people[base + m].refs[person_list_index(l)].push(row);
        };

        // 扶贫办: the household and its members.
        if let Some(pov) = &hh.poverty {
            let pno = poverty_no(plan, hh);
            let (city, county) = if geo.county_code == crate::config::DEFAULT_COUNTY {
                ("永州市", "宁远县")
            } else {
                ("", geo.county_name)
            };
            let cells = vec![
                Cell::Num(0),
                Cell::text(pno.clone()),
                Cell::text(city),
                Cell::text(county),
                Cell::text(town.clone()),
                Cell::text(vill.clone()),
                Cell::name(head_name.clone(), head.name.surname),
                Cell::Id(ids[hh.head].clone()),
                Cell::Num(hh.members.len() as i64),
                Cell::text(pov.status.label()),
                Cell::text(
                    pov.status
                        .exit_year()
                        .map(|y| y.to_string())
                        .unwrap_or_default(),
                ),
                Cell::text(pov.cause),
                Cell::text(yes(hh.dibao.is_some())),
                Cell::text(yes(hh.members.iter().any(|m| m.tekun))),
                Cell::Phone(hh.phone.clone()),
            ];
            let l = ListFile::PovertyHouseholds;
            let row = self.push(
                l,
                &mut rngs[list_index(l)],
                cells,
                &keys[hh.head],
                tag(hh.head),
            )?;
            refs_add(people, hh.head, l, row);
            for (m, member) in hh.members.iter().enumerate() {
                let (value, stale) = school_status(plan, member);
                let cells = vec![
                    Cell::Num(0),
                    Cell::text(pno.clone()),
                    Cell::text(town.clone()),
                    Cell::text(vill.clone()),
                    Cell::name(member.name.full(), member.name.surname),
                    Cell::text(member.sex.label()),
                    Cell::Id(ids[m].clone()),
                    Cell::text(member.relation),
                    Cell::text(member.ethnicity),
                    Cell::Status { value, stale },
                ];
                let l = ListFile::PovertyMembers;
                let row = self.push(l, &mut rngs[list_index(l)], cells, &keys[m], tag(m))?;
                refs_add(people, m, l, row);
            }
        }
        // 民政: 低保 members, 特困 persons, orphans.
        let ym = |y: i32, mo: u32| {
            if v.township.is_multiple_of(2) {
                format!("{y}{mo:02}")
            } else {
                format!("{y}.{mo:02}")
            }
        };
        if let Some(dibao) = hh.dibao {
            for (m, member) in hh.members.iter().enumerate() {
                let cells = vec![
                    Cell::Num(0),
                    Cell::text(town.clone()),
                    Cell::text(vill.clone()),
                    Cell::text(head_name.clone()),
                    Cell::name(member.name.full(), member.name.surname),
                    Cell::Id(ids[m].clone()),
                    Cell::text(member.relation),
                    Cell::text(dibao.label()),
                    Cell::text(ym(hh.dibao_since.0, hh.dibao_since.1)),
                ];
                let l = ListFile::Dibao;
                let row = self.push(l, &mut rngs[list_index(l)], cells, &keys[m], tag(m))?;
                refs_add(people, m, l, row);
            }
        }
        let urban = t.kind == zizhu_core::TownshipKind::Subdistrict && v.community;
        for (m, member) in hh.members.iter().enumerate() {
            if member.tekun {
                let concentrated = (hh.index as usize + m).is_multiple_of(10);
                let cells = vec![
                    Cell::Num(0),
                    Cell::text(town.clone()),
                    Cell::text(vill.clone()),
                    Cell::name(member.name.full(), member.name.surname),
                    Cell::text(member.sex.label()),
                    Cell::Id(ids[m].clone()),
                    Cell::text(if urban {
                        "城市特困供养"
                    } else {
                        "农村特困供养"
                    }),
                    Cell::text(if concentrated {
                        "集中供养"
                    } else {
                        "分散供养"
                    }),
                    Cell::text(ym(hh.tekun_since.0, hh.tekun_since.1)),
                ];
                let l = ListFile::Tekun;
                let row = self.push(l, &mut rngs[list_index(l)], cells, &keys[m], tag(m))?;
                refs_add(people, m, l, row);
            }
            let age = member.birth.age_on(term_start);
            if member.orphan && age <= 17 {
                let g = guardian(plan, hh, m)?;
                let cells = vec![
                    Cell::Num(0),
                    Cell::text(town.clone()),
                    Cell::text(vill.clone()),
                    Cell::name(member.name.full(), member.name.surname),
                    Cell::text(member.sex.label()),
                    Cell::Id(ids[m].clone()),
                    Cell::text("社会散居孤儿"),
                    Cell::text(g.name),
                    Cell::text(ym(hh.tekun_since.0, hh.tekun_since.1)),
                ];
                let l = ListFile::Orphans;
                let row = self.push(l, &mut rngs[list_index(l)], cells, &keys[m], tag(m))?;
                refs_add(people, m, l, row);
            }
            let Some(child) = &member.child else {
                continue;
            };
            // 残联: certified disabled children (a certificate needs an ID).
            if let (Some(d), Some(id)) = (member.disability, ids[m].as_ref())
                && d.certified
            {
                let g = guardian(plan, hh, m)?;
                let cells = vec![
                    Cell::Num(0),
                    Cell::name(member.name.full(), member.name.surname),
                    Cell::text(member.sex.label()),
                    Cell::Id(ids[m].clone()),
                    Cell::Date(member.birth, member.birth.fmt_chinese()),
                    Cell::text(d.category_label()),
                    Cell::text(d.level_label()),
                    Cell::text(format!("{}{}{}", id.as_str(), d.category, d.level)),
                    Cell::Date(d.issued, d.issued.fmt_chinese()),
                    Cell::text(town.clone()),
                    Cell::text(vill.clone()),
                    Cell::text(g.name),
                    Cell::Phone(g.phone),
                ];
                let l = ListFile::Disabled;
                let row = self.push(l, &mut rngs[list_index(l)], cells, &keys[m], tag(m))?;
                refs_add(people, m, l, row);
            }
            // 公安/卫健: every child aged 0–17.
            if age <= 17 {
                let g = guardian(plan, hh, m)?;
                let b = member.birth;
                let cells = vec![
                    Cell::Num(0),
                    Cell::text(town.clone()),
                    Cell::text(vill.clone()),
                    Cell::text(hh.group.to_string()),
                    Cell::name(member.name.full(), member.name.surname),
                    Cell::text(member.sex.label()),
                    Cell::Date(b, format!("{}/{}/{}", b.year(), b.month(), b.day())),
                    Cell::Id(ids[m].clone()),
                    Cell::text(member.ethnicity),
                    Cell::text(address.clone()),
                    Cell::text(g.name),
                    Cell::Id(g.id_number),
                ];
                let l = ListFile::Population;
                let row = self.push(l, &mut rngs[list_index(l)], cells, &keys[m], tag(m))?;
                refs_add(people, m, l, row);
                self.summary.children += 1;
                self.summary.by_township[v.township].children += 1;
            }
            // Indicators by grade cohort.
            let enrolled = matches!(child.status, ChildStatus::Enrolled(_));
            let cohort = match child.level {
                -3..=-1 => Some(0),
                0..=8 => Some(1),
                9..=11 => Some(2),
                _ => None,
            };
            if let Some(c) = cohort {
                self.cohorts[c].0 += 1;
                if enrolled {
                    self.cohorts[c].1 += 1;
                }
            }
            if let ChildStatus::Enrolled(p) = child.status {
                let ts = &mut self.summary.by_township[v.township];
                ts.students += 1;
                if p.mode != StudyMode::OutOfCounty {
                    ts.students_in_county += 1;
                }
                // 资助 bank list.
                if let Some(acc) = account(plan, hh, m)? {
                    let s = &plan.schools.schools[p.school as usize];
                    let cells = vec![
                        Cell::Num(0),
                        Cell::text(town.clone()),
                        Cell::text(vill.clone()),
                        Cell::name(member.name.full(), member.name.surname),
                        Cell::Id(ids[m].clone()),
                        Cell::text(s.name.clone()),
                        Cell::text(acc.bank),
                        Cell::Card {
                            number: acc.number,
                            stale: stale_number(plan, hh, m),
                        },
                        Cell::text(acc.kind.label()),
                        Cell::text(acc.holder_name),
                        Cell::Id(acc.holder_id),
                        Cell::text(acc.relation),
                        Cell::Date(acc.opened, acc.opened.fmt_compact()),
                    ];
                    let l = ListFile::Bank;
                    let row = self.push(l, &mut rngs[list_index(l)], cells, &keys[m], tag(m))?;
                    refs_add(people, m, l, row);
                }
            }
            // Compulsory-age children with no known school.
            if (0..=8).contains(&child.level) {
                let reason = match child.status {
                    ChildStatus::Migrated => Some(("随父母外出，就读情况不明", false)),
                    ChildStatus::Dropout(r) => Some((r, true)),
                    _ => None,
                };
                if let Some((reason, dropout)) = reason {
                    self.summary.out_of_school += 1;
                    if dropout {
                        self.summary.dropouts += 1;
                    }
                    self.truth_rows[1] += 1;
                    let (stage, year) = if child.level <= 5 {
                        (Stage::Primary, child.level + 1)
                    } else {
                        (Stage::Junior, child.level - 5)
                    };
                    let grade = zizhu_core::Grade::new(stage, u8::try_from(year).unwrap_or(1))
                        .map(|g| g.label())
                        .unwrap_or_default();
                    let pop: Vec<String> = people[base + m].refs
                        [person_list_index(ListFile::Population)]
                    .iter()
                    .map(u32::to_string)
                    .collect();
                    self.out_of_school.record([
                        keys[m].as_str(),
                        &member.name.full(),
                        &id_text(&ids[m]),
                        member.sex.label(),
                        &member.birth.to_string(),
                        &t.code,
                        &v.code,
                        stage.label(),
                        &grade,
                        reason,
                        flag(dropout),
                        poverty_label(hh.poverty.as_ref().map(|p| p.status)),
                        &pop.join(";"),
                    ])?;
                }
            }
        }
        Ok(())
    }

    fn schools_list(&mut self) -> Result<(), GenError> {
        let plan = self.plan;
        let mut rng = ListFile::Schools.rng(plan.seed, 0);
        for s in plan.schools.schools.iter().filter(|s| s.in_county) {
            self.summary.schools += 1;
            let n = plan.school_students[s.index as usize].len() as i64;
            let town = s
                .township
                .map(|t| plan.geo.townships[t].name.to_string())
                .unwrap_or_default();
            let village = s
                .village
                .map(|v| plan.geo.villages[v].name.clone())
                .unwrap_or_default();
            let senior = s.kind == SchoolKind::SeniorHigh;
            let cells = vec![
                Cell::Num(0),
                Cell::text(s.code.as_str()),
                Cell::text(s.name.clone()),
                Cell::text(s.kind.label()),
                Cell::text(town),
                Cell::text(village),
                Cell::text(if s.public { "公办" } else { "民办" }),
                Cell::Num(n),
                Cell::text(if senior { yes(s.model_school) } else { "" }),
                match s.fee_per_term {
                    Some(f) => Cell::Num(f.0 / 100),
                    None => Cell::text(""),
                },
            ];
            self.push(ListFile::Schools, &mut rng, cells, "", 0)?;
        }
        Ok(())
    }

    fn regions_list(&mut self) -> Result<(), GenError> {
        let plan = self.plan;
        let geo = &plan.geo;
        let mut rng = ListFile::Regions.rng(plan.seed, 0);
        let county12 = format!("{}000000", geo.county_code);
        let cells = vec![
            Cell::Num(0),
            Cell::text(county12.clone()),
            Cell::text(geo.county_name),
            Cell::text("县级"),
            Cell::text(""),
            Cell::text(format!("{}00000000", &geo.county_code[..4])),
        ];
        self.push(ListFile::Regions, &mut rng, cells, "", 0)?;
        for t in &geo.townships {
            let cells = vec![
                Cell::Num(0),
                Cell::text(t.code.clone()),
                Cell::text(t.name),
                Cell::text("乡级"),
                Cell::text(""),
                Cell::text(county12.clone()),
            ];
            self.push(ListFile::Regions, &mut rng, cells, "", 0)?;
            for v in &geo.villages[t.villages.clone()] {
                let cells = vec![
                    Cell::Num(0),
                    Cell::text(v.code.clone()),
                    Cell::text(v.name.clone()),
                    Cell::text("村级"),
                    Cell::text(v.urban_rural),
                    Cell::text(t.code.clone()),
                ];
                self.push(ListFile::Regions, &mut rng, cells, "", 0)?;
            }
        }
        Ok(())
    }

    /// Closes every CSV file and returns the summary and the workbooks
    /// still to be saved (with their index in the summary's files).
    fn finish(mut self) -> Result<(Summary, Vec<(usize, XlsxSink)>), GenError> {
        let mut files = Vec::new();
        let mut workbooks = Vec::new();
        for (i, w) in std::mem::take(&mut self.lists).into_iter().enumerate() {
            let (f, x) = w.finish(&mut self.log)?;
            files.push(f);
            if let Some(x) = x {
                workbooks.push((i, x));
            }
        }
        let mut s = self.summary;
        s.files = files;
        s.townships = self.plan.geo.townships.len() as u64;
        s.villages = self.plan.geo.villages.len() as u64;
        s.error_rows = self.log.rows;
        s.errors = self.inj.counts.clone();
        s.payments_per_year = s.entitlement_count * 2;
        let bp = |(n, k): (u64, u64)| {
            u32::try_from((k * 10_000).checked_div(n).unwrap_or(0)).unwrap_or(0)
        };
        s.indicators = Indicators {
            preschool_gross_bp: bp(self.cohorts[0]),
            compulsory_retention_bp: bp(self.cohorts[1]),
            senior_gross_bp: bp(self.cohorts[2]),
        };
        self.log.finish()?;
        self.persons.finish()?;
        self.out_of_school.finish()?;
        self.out_of_county.finish()?;
        self.entitlements.finish()?;
        let t = |n: &str| PathBuf::from(format!("{TRUTH_DIR}/{n}"));
        s.truth_files = vec![
            (t("persons.csv"), s.persons),
            (t("out_of_school.csv"), self.truth_rows[1]),
            (t("out_of_county.csv"), self.truth_rows[2]),
            (t("entitlements.csv"), self.truth_rows[3]),
            (t("errors.csv"), s.error_rows),
        ];
        Ok((s, workbooks))
    }
}

fn poverty_label(p: Option<crate::household::PovertyStatus>) -> &'static str {
    p.map(|p| p.label()).unwrap_or("")
}

/// The roster row of a student.
fn roster_cells(st: &Student, s: &School) -> Vec<Cell> {
    let p = &st.person;
    let e = &st.enrollment;
    let out = e.mode == StudyMode::OutOfCounty;
    vec![
        Cell::Num(0),
        Cell::text(p.student_no.clone()),
        Cell::Id(p.id_number.clone()),
        Cell::name(p.name.clone(), &p.surname),
        Cell::text(p.sex.label()),
        Cell::Date(p.birth_date, p.birth_date.to_string()),
        Cell::text(p.ethnicity),
        Cell::text(s.code.as_str()),
        Cell::text(s.name.clone()),
        Cell::text(e.stage.label()),
        Cell::text(e.grade.label()),
        Cell::text(e.class_name.clone()),
        Cell::text(yes(e.boarding)),
        Cell::text(p.hukou_address.clone()),
        Cell::text(p.current_address.clone()),
        Cell::text(p.township.clone()),
        Cell::text(p.village.clone()),
        Cell::text(p.group.to_string()),
        Cell::text(st.guardian.name.clone()),
        Cell::Phone(st.guardian.phone.clone()),
        Cell::text(e.mode.label()),
        Cell::text(if out { s.place.clone() } else { String::new() }),
    ]
}

/// The 扶贫 list's 在校生状况 and, when it differs, last year's value.
fn school_status(plan: &Plan, member: &crate::household::Member) -> (String, Option<String>) {
    let Some(c) = &member.child else {
        return ("非在校生".to_string(), None);
    };
    match c.status {
        ChildStatus::Enrolled(p) => {
            let s = &plan.schools.schools[p.school as usize];
            let label = |stage: Stage, year: u8| -> String {
                match stage {
                    Stage::Preschool => "学前教育".to_string(),
                    Stage::Primary => format!("小学{}", grade_label(stage, year)),
                    Stage::Higher if s.kind == SchoolKind::VocationalCollege => {
                        format!("高职{}年级", cn(year))
                    }
                    Stage::Higher => format!("本科{}年级", cn(year)),
                    _ => grade_label(stage, year),
                }
            };
            let now = label(p.stage, p.year);
            let before = if p.year > 1 {
                label(p.stage, p.year - 1)
            } else {
                match p.stage {
                    Stage::Preschool => "学龄前儿童".to_string(),
                    Stage::Primary => "学前教育".to_string(),
                    Stage::Junior => "小学六年级".to_string(),
                    Stage::SeniorHigh | Stage::Vocational => "九年级".to_string(),
                    Stage::Higher => "高三".to_string(),
                }
            };
            let stale = (before != now).then_some(before);
            (now, stale)
        }
        ChildStatus::Infant | ChildStatus::PreschoolHome => ("学龄前儿童".to_string(), None),
        ChildStatus::Migrated => ("随父母外出".to_string(), None),
        ChildStatus::Dropout(_) => ("辍学".to_string(), None),
        ChildStatus::NotStudying => ("非在校生".to_string(), None),
    }
}

fn grade_label(stage: Stage, year: u8) -> String {
    zizhu_core::Grade::new(stage, year)
        .map(|g| g.label())
        .unwrap_or_default()
}

fn cn(n: u8) -> &'static str {
    ["一", "二", "三", "四", "五", "六"][usize::from(n.clamp(1, 6)) - 1]
}
