//! `zizhu compare`: the registry against every imported department list
//! (大数据比对), the links stored with their status and explanation, a
//! review queue for the middle band, and the exception lists derived from
//! what the links say.
//!
//! How a term is compared:
//!
//! 1. **Read** the registry once (`Store::compare_registry`): persons,
//!    guardians, households, the term's enrollments, schools, townships,
//!    active accounts; and every finished import batch whose rows are
//!    persons, with the person each row landed on
//!    (`import_rows.entity_id`). A row with a usable ID number landed on
//!    the registry person of that ID; a row without one landed on an
//!    *unresolved* person of its own.
//! 2. **Link**, one department list at a time, with `zizhu_link::link`:
//!    the left side is the registry (every person with an ID number, plus
//!    the term's enrolled students without one that this list did not
//!    create), the right side is every row of the list, resolved or not,
//!    so that the model is trained on the whole list. A row linked to its
//!    own person is the import's exact ID match and is only counted; any
//!    other link is stored with its probability and explanation, as
//!    自动确认 (≥ `auto`) or 待复核 (≥ `review`). Two different valid ID
//!    numbers are never auto-confirmed as one person.
//! 3. **Derive** the exception lists over the persons that confirmed links
//!    (自动确认 and 人工确认) join into one child, each with its evidence.
//! 4. **Write** (unless dry) in one audited transaction: the run, the links
//!    that are new or changed, 已失效 for links no longer proposed (a
//!    reviewed link keeps its decision), the exceptions that are new or
//!    changed, 已消除 for those no longer found. A re-run over unchanged
//!    data writes the run row and nothing else.
//!
//! The linker proposes; nothing here changes a registry table.

use crate::error::AppError;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::time::Instant;
use zizhu_core::mask::{mask_id, mask_name};
use zizhu_core::{Date, Term};
use zizhu_store::{
    AuditContext, CompareRegistry, CompareRunCounts, EnrollmentStatus, EntitlementStatus,
    ExceptionKind, ExceptionRecord, ExceptionStatus, LinkFilter, LinkRecord, LinkStatus,
    NewCompareRun, Person, Placement, PovertyStatus, Scope, Store, StoredException, StoredLink,
};

/// The batch kind of the population list (卫健/公安), as imports store it.
pub const POPULATION_LIST: &str = "适龄儿童户籍名单";
/// The batch kind of the poverty office's household and member lists.
pub const POVERTY_LIST: &str = "建档立卡户及成员名单";

/// Probability bands of stored links.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// At or above: 自动确认.
    pub auto: f64,
    /// At or above (and below `auto`): 待复核. Below: not proposed.
    pub review: f64,
}

impl Default for Thresholds {
    /// 0.99 and 0.5. The linker's probabilities are calibrated against its
    /// estimated prior, so 0.5 is where a pair becomes more likely the same
    /// person than not (the linker's own default threshold); below it a
    /// proposal would mostly waste a reviewer's time. Automatic
    /// confirmation asks for 0.99, so that at most about one automatic link
    /// in a hundred is wrong even where the model is least sure; on the
    /// synthetic county almost every true link of a row without an ID
    /// number scores above it.
    fn default() -> Thresholds {
        Thresholds {
            auto: 0.99,
            review: 0.5,
        }
    }
}

/// Settings of a comparison.
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// Who runs it (recorded with the run and every change).
    pub actor: String,
    /// Compute and report, write nothing.
    pub dry_run: bool,
    /// Probability bands.
    pub thresholds: Thresholds,
    /// The compulsory-education ages, inclusive, as completed years on the
    /// reference date (see [`reference_date`]): 6 to 14, i.e. 满6周岁、未满
    /// 15周岁 — the nine cohorts of 一年级 to 九年级.
    pub ages: (i32, i32),
}

impl CompareOptions {
    /// The defaults, for `actor`.
    pub fn new(actor: impl Into<String>) -> CompareOptions {
        CompareOptions {
            actor: actor.into(),
            dry_run: false,
            thresholds: Thresholds::default(),
            ages: (6, 14),
        }
    }
}

/// The date ages are counted on for a term: 31 August of the school year's
/// first calendar year. Children who turn six by that day start 一年级 that
/// September, so a child's age on it names their compulsory cohort; both
/// terms of a school year use the same day, so a child does not move in
/// or out of the list between autumn and spring.
pub fn reference_date(term: Term) -> Date {
    Date::new(term.school_year_start(), 8, 31).unwrap_or(Date::MIN)
}

/// What one department list gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListSummary {
    /// The import batch.
    pub batch_id: i64,
    /// Its kind (学籍名单, 适龄儿童户籍名单, …).
    pub kind: String,
    /// Its file.
    pub file_name: String,
    /// Rows compared (rows that landed on a person).
    pub rows: usize,
    /// Rows matched at import by a valid ID number.
    pub exact: usize,
    /// Rows without a usable ID number.
    pub unresolved: usize,
    /// Links 自动确认 or 人工确认.
    pub confirmed: usize,
    /// Links 待复核.
    pub review: usize,
    /// Links 已否决.
    pub rejected: usize,
    /// Unresolved rows no link points at: a person the registry does not
    /// know, or one the linker could not find.
    pub unlinked: usize,
}

/// What a comparison wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompareWrites {
    /// Links inserted.
    pub links_added: usize,
    /// Links changed.
    pub links_changed: usize,
    /// Links marked 已失效.
    pub links_withdrawn: usize,
    /// Exceptions inserted.
    pub exceptions_added: usize,
    /// Exceptions changed.
    pub exceptions_changed: usize,
    /// Exceptions marked 已消除.
    pub exceptions_cleared: usize,
}

/// The result of [`compare_term`]; `Display` is the Chinese summary.
#[derive(Clone, Debug)]
pub struct CompareReport {
    /// The term.
    pub term: Term,
    /// The stored run (None for a dry run).
    pub run_id: Option<i64>,
    /// Per department list.
    pub lists: Vec<ListSummary>,
    /// Open exceptions per kind.
    pub exceptions: BTreeMap<ExceptionKind, usize>,
    /// The exceptions found, in kind and key order.
    pub found: Vec<ExceptionRecord>,
    /// What was written.
    pub writes: CompareWrites,
    /// Remarks: what the derivation could not see.
    pub notes: Vec<String>,
    /// The thresholds used.
    pub thresholds: Thresholds,
    /// Seconds the run took.
    pub seconds: f64,
    /// Seconds per step: reading, linking, deriving, writing.
    pub steps: [f64; 4],
}

impl fmt::Display for CompareReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} 大数据比对{}：自动确认阈值 {:.2}，复核阈值 {:.2}",
            self.term.code(),
            if self.run_id.is_some() {
                "（已保存）"
            } else {
                "（试算，未保存）"
            },
            self.thresholds.auto,
            self.thresholds.review
        )?;
        writeln!(
            f,
            "名单\t批次\t行数\t身份证号一致\t无可用身份证号\t自动确认\t待复核\t已否决\t未找到对应人员"
        )?;
        for l in &self.lists {
            writeln!(
                f,
                "{}（{}）\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                l.kind,
                l.file_name,
                l.batch_id,
                l.rows,
                l.exact,
                l.unresolved,
                l.confirmed,
                l.review,
                l.rejected,
                l.unlinked
            )?;
        }
        if self.lists.is_empty() {
            writeln!(f, "（没有已导入的人员名单可比对）")?;
        }
        writeln!(f, "异常名单：")?;
        for kind in ExceptionKind::ALL {
            writeln!(
                f,
                "  {}：{} 人次",
                kind.label(),
                self.exceptions.get(kind).copied().unwrap_or(0)
            )?;
        }
        let w = &self.writes;
        if self.run_id.is_some() {
            writeln!(
                f,
                "写入：链接新增 {}、变更 {}、失效 {}；异常新增 {}、变更 {}、消除 {}",
                w.links_added,
                w.links_changed,
                w.links_withdrawn,
                w.exceptions_added,
                w.exceptions_changed,
                w.exceptions_cleared
            )?;
        }
        for n in &self.notes {
            writeln!(f, "说明：{n}")?;
        }
        let [read, link, derive, write] = self.steps;
        write!(
            f,
            "用时 {:.1} 秒（读取 {read:.1}、链接 {link:.1}、生成异常名单 {derive:.1}、写入 {write:.1}）。",
            self.seconds
        )
    }
}

/// One department list's rows as the comparison sees them.
struct ListRows {
    batch_id: i64,
    kind: String,
    file_name: String,
    /// (row number, person the row landed on).
    rows: Vec<(i64, i64)>,
}

/// The registry, indexed.
struct Registry<'a> {
    reg: &'a CompareRegistry,
    person: HashMap<i64, &'a Person>,
    guardian: HashMap<i64, &'a str>,
    household: HashMap<i64, &'a zizhu_store::Household>,
    enrollment: HashMap<i64, &'a zizhu_store::Enrollment>,
    school_township: HashMap<&'a str, Option<&'a str>>,
    with_account: HashSet<i64>,
}

impl<'a> Registry<'a> {
    fn new(reg: &'a CompareRegistry) -> Registry<'a> {
        let mut guardian = HashMap::new();
        for (p, name) in &reg.guardians {
            guardian.entry(*p).or_insert(name.as_str());
        }
        Registry {
            reg,
            person: reg.persons.iter().map(|p| (p.id, p)).collect(),
            guardian,
            household: reg.households.iter().map(|h| (h.id, h)).collect(),
            enrollment: reg
                .enrollments
                .iter()
                .map(|e| (e.record.person_id, e))
                .collect(),
            school_township: reg
                .schools
                .iter()
                .map(|s| (s.record.code.as_str(), s.township_code.as_deref()))
                .collect(),
            with_account: reg.with_account.iter().copied().collect(),
        }
    }

    fn record(&self, p: &Person) -> zizhu_link::Record {
        let r = &p.record;
        zizhu_link::Record {
            record_id: p.id.to_string(),
            name: r.name.original().to_string(),
            sex: r.sex.map(|s| s.label().to_string()).unwrap_or_default(),
            birth_date: r.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            id_number: r
                .id_number
                .as_ref()
                .map(|i| i.as_str().to_string())
                .unwrap_or_default(),
            guardian_name: self
                .guardian
                .get(&p.id)
                .map(|g| (*g).to_string())
                .unwrap_or_default(),
            address: r.address.clone().unwrap_or_default(),
        }
    }

    fn has_id(&self, person: i64) -> bool {
        self.person
            .get(&person)
            .is_some_and(|p| p.record.id_number.is_some())
    }

    /// Where a person's links and exceptions show up: their enrollment's
    /// school, else the township of their household or address.
    fn placement(&self, person: i64) -> Placement {
        if let Some(e) = self.enrollment.get(&person) {
            let school = e
                .record
                .school_code
                .as_ref()
                .map(|c| c.as_str().to_string());
            let township = school
                .as_deref()
                .and_then(|c| self.school_township.get(c).copied().flatten())
                .map(str::to_string)
                .or_else(|| self.lives_in(person));
            return Placement {
                school_code: school,
                township_code: township,
                class_name: e.record.class_name.clone(),
            };
        }
        Placement {
            school_code: None,
            township_code: self.lives_in(person),
            class_name: None,
        }
    }

    fn lives_in(&self, person: i64) -> Option<String> {
        let p = self.person.get(&person)?;
        if let Some(h) = p.household_id.and_then(|h| self.household.get(&h)) {
            let code = h.record.region_code.as_str();
            if code.len() >= 9 {
                return Some(code[..9].to_string());
            }
        }
        // The longest township name the address contains: 水市镇 before 水市.
        let address = p.record.address.as_deref()?;
        self.reg
            .townships
            .iter()
            .filter(|(_, name)| !name.is_empty() && address.contains(name.as_str()))
            .max_by_key(|(_, name)| name.chars().count())
            .map(|(code, _)| code.clone())
    }

    fn currently_enrolled(&self, person: i64) -> bool {
        self.enrollment.get(&person).is_some_and(|e| {
            matches!(
                e.record.status,
                EnrollmentStatus::Studying
                    | EnrollmentStatus::HomeTaught
                    | EnrollmentStatus::Suspended
            )
        })
    }

    /// The person's hardship, as the registry records it, if any.
    fn hardship(&self, person: i64) -> Vec<String> {
        let mut out = Vec::new();
        let Some(p) = self.person.get(&person) else {
            return out;
        };
        if let Some(h) = p.household_id.and_then(|h| self.household.get(&h)) {
            match h.record.poverty_status {
                PovertyStatus::NotLifted | PovertyStatus::Lifted => {
                    out.push(format!("建档立卡（{}）", h.record.poverty_status.label()));
                }
                PovertyStatus::Marginal | PovertyStatus::NotRegistered => {}
            }
            if h.record.dibao {
                out.push("低保".into());
            }
            if h.record.tekun {
                out.push("特困供养".into());
            }
        }
        if let Some(d) = &p.record.disability_category {
            out.push(format!("残疾（{d}）"));
        }
        if p.record.orphan {
            out.push("孤儿".into());
        }
        out
    }
}

/// Union–find over person ids.
#[derive(Default)]
struct Groups {
    parent: HashMap<i64, i64>,
}

impl Groups {
    fn find(&mut self, x: i64) -> i64 {
        let mut root = x;
        while let Some(&p) = self.parent.get(&root) {
            if p == root {
                break;
            }
            root = p;
        }
        // Path compression.
        let mut cur = x;
        while let Some(&p) = self.parent.get(&cur) {
            if p == root {
                break;
            }
            self.parent.insert(cur, root);
            cur = p;
        }
        root
    }

    fn union(&mut self, a: i64, b: i64) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The smaller id becomes the root, so groups are deterministic.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent.insert(hi, lo);
            self.parent.entry(lo).or_insert(lo);
        }
    }
}

#[expect(
    clippy::float_arithmetic,
    reason = "match probabilities are floats; stored as integer parts per million"
)]
fn ppm(p: f64) -> i64 {
    (p.clamp(0.0, 1.0) * 1_000_000.0).round() as i64
}

fn check_thresholds(t: Thresholds) -> Result<(), AppError> {
    if !(0.0..=1.0).contains(&t.review) || !(0.0..=1.0).contains(&t.auto) || t.review > t.auto {
        return Err(AppError::Registry {
            detail: format!(
                "比对阈值应满足 0 ≤ 复核阈值 ≤ 自动确认阈值 ≤ 1，实为复核 {} 、自动确认 {}",
                t.review, t.auto
            ),
        });
    }
    Ok(())
}

#[expect(
    clippy::float_arithmetic,
    reason = "log2 Bayes factors are rounded for display; no money here"
)]
fn explanation_json(link: &zizhu_link::Link) -> String {
    let e = &link.explanation;
    let round = |w: f64| (w * 100.0).round() / 100.0;
    let terms: Vec<serde_json::Value> = e
        .terms
        .iter()
        .map(|t| {
            serde_json::json!({
                "字段": t.field.label(),
                "等级": t.level_label,
                "权重": round(t.weight),
                "词频调整": round(t.tf_adjustment),
            })
        })
        .collect();
    let rules: Vec<String> = link
        .blocking_rules
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    serde_json::json!({
        "概率": round(link.match_probability * 100.0) / 100.0,
        "先验权重": round(e.prior_weight),
        "总权重": round(e.total_weight),
        "否决": e.veto,
        "分块规则": rules,
        "各项比较": terms,
    })
    .to_string()
}

/// Compares the registry with every imported person list for `term`,
/// stores the links and exceptions (unless `dry_run`), and reports.
pub async fn compare_term(
    store: &Store,
    term: Term,
    opts: &CompareOptions,
) -> Result<CompareReport, AppError> {
    let started = Instant::now();
    let started_at = zizhu_store::now_utc();
    check_thresholds(opts.thresholds)?;
    if !opts.dry_run && opts.actor.trim().is_empty() {
        return Err(AppError::MissingActor);
    }
    let reg_data = store.compare_registry(&term).await?;
    let reg = Registry::new(&reg_data);
    let lists = person_lists(store).await?;
    let mut steps = [0.0; 4];
    let mut lap = Instant::now();
    steps[0] = started.elapsed().as_secs_f64();

    // Link each list against the registry.
    let mut proposals: Vec<LinkRecord> = Vec::new();
    let mut summaries: Vec<ListSummary> = Vec::new();
    for list in &lists {
        let (props, summary) = link_list(&reg, term, list, opts.thresholds);
        proposals.extend(props);
        summaries.push(summary);
    }

    steps[1] = split(&mut lap);
    // The stored links of the term: a reviewer's decision wins over the
    // proposal's band.
    let stored_links = all_links(store, term).await?;
    let stored_by_key: HashMap<(i64, i64, i64), &StoredLink> = stored_links
        .iter()
        .map(|l| ((l.record.batch_id, l.record.row_no, l.record.person_id), l))
        .collect();
    let mut effective: Vec<(LinkRecord, LinkStatus)> = Vec::new();
    let mut proposed_keys = HashSet::new();
    for p in &proposals {
        let key = (p.batch_id, p.row_no, p.person_id);
        proposed_keys.insert(key);
        let status = match stored_by_key.get(&key) {
            Some(s) if s.record.status.reviewed() => s.record.status,
            _ => p.status,
        };
        effective.push((p.clone(), status));
    }
    for sum in &mut summaries {
        for (l, status) in &effective {
            if l.batch_id != sum.batch_id {
                continue;
            }
            match status {
                LinkStatus::AutoAccepted | LinkStatus::Accepted => sum.confirmed += 1,
                LinkStatus::NeedsReview => sum.review += 1,
                LinkStatus::Rejected => sum.rejected += 1,
                LinkStatus::Withdrawn => {}
            }
        }
        let linked: HashSet<i64> = effective
            .iter()
            .filter(|(l, st)| l.batch_id == sum.batch_id && *st != LinkStatus::Rejected)
            .map(|(l, _)| l.row_no)
            .collect();
        sum.unlinked = lists
            .iter()
            .find(|l| l.batch_id == sum.batch_id)
            .map(|l| {
                l.rows
                    .iter()
                    .filter(|(row, p)| !reg.has_id(*p) && !linked.contains(row))
                    .count()
            })
            .unwrap_or(0);
    }

    let mut groups = Groups::default();
    for (l, status) in &effective {
        if status.confirmed() {
            groups.union(l.person_id, l.row_person_id);
        }
    }
    let entitlements = all_entitlements(store, term).await?;
    let has_run = store.latest_entitlement_run(&term).await?.is_some();
    let mut notes = Vec::new();
    let found = derive_exceptions(
        &reg,
        term,
        opts,
        &lists,
        &effective,
        &mut groups,
        &entitlements,
        has_run,
        &mut notes,
    );
    steps[2] = split(&mut lap);
    let mut exceptions: BTreeMap<ExceptionKind, usize> = BTreeMap::new();
    for e in &found {
        *exceptions.entry(e.kind).or_default() += 1;
    }

    let mut report = CompareReport {
        term,
        run_id: None,
        lists: summaries,
        exceptions,
        found,
        writes: CompareWrites::default(),
        notes,
        thresholds: opts.thresholds,
        seconds: 0.0,
        steps: [0.0; 4],
    };
    if !opts.dry_run {
        let counts = CompareRunCounts {
            lists: report.lists.len() as i64,
            rows_compared: report.lists.iter().map(|l| l.rows as i64).sum(),
            exact: report.lists.iter().map(|l| l.exact as i64).sum(),
            links_auto: report.lists.iter().map(|l| l.confirmed as i64).sum(),
            links_review: report.lists.iter().map(|l| l.review as i64).sum(),
            links_rejected: report.lists.iter().map(|l| l.rejected as i64).sum(),
            exceptions: report.found.len() as i64,
        };
        let run = NewCompareRun {
            term,
            started_at,
            auto_threshold_ppm: ppm(opts.thresholds.auto),
            review_threshold_ppm: ppm(opts.thresholds.review),
            counts,
            summary: report.to_string(),
        };
        let stored_exceptions = all_exceptions(store, term).await?;
        let mut tx = store
            .begin_write(AuditContext {
                actor: opts.actor.clone(),
                reason: format!("{} 大数据比对", term.code()),
                batch_id: None,
            })
            .await?;
        let run_id = tx.record_compare_run(&run).await?;
        let w = &mut report.writes;
        for p in &proposals {
            match tx.put_compare_link(run_id, p).await?.outcome {
                zizhu_store::Outcome::Inserted => w.links_added += 1,
                zizhu_store::Outcome::Updated => w.links_changed += 1,
                zizhu_store::Outcome::Unchanged => {}
            }
        }
        for s in &stored_links {
            let key = (s.record.batch_id, s.record.row_no, s.record.person_id);
            if !proposed_keys.contains(&key) && tx.withdraw_compare_link(run_id, s.id).await? {
                w.links_withdrawn += 1;
            }
        }
        let found_keys: HashSet<(ExceptionKind, &str)> = report
            .found
            .iter()
            .map(|e| (e.kind, e.key.as_str()))
            .collect();
        for e in &report.found {
            match tx.put_compare_exception(run_id, e).await?.outcome {
                zizhu_store::Outcome::Inserted => w.exceptions_added += 1,
                zizhu_store::Outcome::Updated => w.exceptions_changed += 1,
                zizhu_store::Outcome::Unchanged => {}
            }
        }
        for s in &stored_exceptions {
            if s.status == ExceptionStatus::Open
                && !found_keys.contains(&(s.record.kind, s.record.key.as_str()))
                && tx.clear_compare_exception(run_id, s.id).await?
            {
                w.exceptions_cleared += 1;
            }
        }
        tx.commit().await?;
        report.run_id = Some(run_id);
    }
    steps[3] = split(&mut lap);
    report.steps = steps;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Seconds since `lap`, and restarts it.
fn split(lap: &mut Instant) -> f64 {
    let s = lap.elapsed().as_secs_f64();
    *lap = Instant::now();
    s
}

/// Every finished import batch whose rows landed on persons, oldest first.
async fn person_lists(store: &Store) -> Result<Vec<ListRows>, AppError> {
    let mut batches = store.list_batches(100_000).await?;
    batches.sort_by_key(|b| b.id);
    let mut out = Vec::new();
    for b in batches {
        if b.status != zizhu_store::BatchStatus::Done {
            continue;
        }
        let rows: Vec<(i64, i64)> = store
            .batch_rows(b.id)
            .await?
            .into_iter()
            .filter(|r| r.entity == "persons")
            .filter_map(|r| r.entity_id.map(|p| (r.row_no, p)))
            .collect();
        if rows.is_empty() {
            continue;
        }
        out.push(ListRows {
            batch_id: b.id,
            kind: b.file.kind.clone(),
            file_name: b.file.file_name.clone(),
            rows,
        });
    }
    Ok(out)
}

/// Links one list against the registry.
fn link_list(
    reg: &Registry<'_>,
    term: Term,
    list: &ListRows,
    t: Thresholds,
) -> (Vec<LinkRecord>, ListSummary) {
    let mut summary = ListSummary {
        batch_id: list.batch_id,
        kind: list.kind.clone(),
        file_name: list.file_name.clone(),
        rows: list.rows.len(),
        ..ListSummary::default()
    };
    // The registry side: identified persons, and the term's students
    // without an ID number that this list did not create itself (those
    // are its own rows).
    let left: Vec<&Person> = reg
        .reg
        .persons
        .iter()
        .filter(|p| {
            p.record.id_number.is_some()
                || (reg.enrollment.contains_key(&p.id) && p.created_batch != Some(list.batch_id))
        })
        .collect();
    let right: Vec<(i64, &Person)> = list
        .rows
        .iter()
        .filter_map(|(row, p)| reg.person.get(p).map(|person| (*row, *person)))
        .collect();
    for (_, p) in &right {
        if p.record.id_number.is_some() {
            summary.exact += 1;
        } else {
            summary.unresolved += 1;
        }
    }
    if summary.unresolved == 0 || left.is_empty() {
        // Every row landed on its registry person by ID number: nothing
        // for the linker to propose.
        return (Vec::new(), summary);
    }
    let left_records: Vec<zizhu_link::Record> = left.iter().map(|p| reg.record(p)).collect();
    let right_records: Vec<zizhu_link::Record> = right
        .iter()
        .map(|(row, p)| {
            let mut r = reg.record(p);
            r.record_id = row.to_string();
            r
        })
        .collect();
    let config = zizhu_link::LinkConfig {
        threshold: Some(t.review),
        ..zizhu_link::LinkConfig::default()
    };
    let result = zizhu_link::link(&left_records, &right_records, &config);
    let mut out = Vec::new();
    for l in &result.links {
        let registry_person = left[l.left_index];
        let (row_no, row_person) = right[l.right_index];
        if registry_person.id == row_person.id {
            continue;
        }
        let both_identified =
            registry_person.record.id_number.is_some() && row_person.record.id_number.is_some();
        let auto = l.match_probability >= t.auto;
        let status = if auto && !both_identified {
            LinkStatus::AutoAccepted
        } else {
            LinkStatus::NeedsReview
        };
        out.push(LinkRecord {
            term,
            batch_id: list.batch_id,
            list_kind: list.kind.clone(),
            file_name: list.file_name.clone(),
            row_no,
            row_person_id: row_person.id,
            person_id: registry_person.id,
            probability_ppm: ppm(l.match_probability),
            status,
            explanation: explanation_json(l),
            placement: reg.placement(registry_person.id),
        });
    }
    (out, summary)
}

async fn all_links(store: &Store, term: Term) -> Result<Vec<StoredLink>, AppError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .compare_links(&term, &Scope::All, &LinkFilter::default(), after, 5_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        out.extend(page);
    }
    Ok(out)
}

async fn all_exceptions(store: &Store, term: Term) -> Result<Vec<StoredException>, AppError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .compare_exceptions(&term, &Scope::All, None, true, after, 5_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        out.extend(page);
    }
    Ok(out)
}

async fn all_entitlements(
    store: &Store,
    term: Term,
) -> Result<Vec<zizhu_store::StoredEntitlement>, AppError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.entitlements(&term, &Scope::All, after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        out.extend(page);
    }
    Ok(out)
}

/// The representative of a group of persons: the lowest id among those
/// with an ID number, else the lowest id.
fn representative(reg: &Registry<'_>, members: &BTreeSet<i64>) -> i64 {
    members
        .iter()
        .copied()
        .find(|p| reg.has_id(*p))
        .or_else(|| members.iter().next().copied())
        .unwrap_or_default()
}

#[expect(
    clippy::too_many_arguments,
    reason = "one derivation step over the run's inputs; a struct would only rename them"
)]
fn derive_exceptions(
    reg: &Registry<'_>,
    term: Term,
    opts: &CompareOptions,
    lists: &[ListRows],
    effective: &[(LinkRecord, LinkStatus)],
    groups: &mut Groups,
    entitlements: &[zizhu_store::StoredEntitlement],
    has_run: bool,
    notes: &mut Vec<String>,
) -> Vec<ExceptionRecord> {
    // Group members: every person some list row or link mentions, plus the
    // enrolled and the entitled.
    let mut everyone: BTreeSet<i64> = BTreeSet::new();
    for l in lists {
        everyone.extend(l.rows.iter().map(|(_, p)| *p));
    }
    everyone.extend(reg.enrollment.keys().copied());
    everyone.extend(entitlements.iter().map(|e| e.record.person_id));
    for (l, _) in effective {
        everyone.insert(l.person_id);
        everyone.insert(l.row_person_id);
    }
    let mut members: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for p in &everyone {
        members.entry(groups.find(*p)).or_default().insert(*p);
    }
    let group_of = |groups: &mut Groups, p: i64| groups.find(p);
    // Which list rows mention each group.
    let mut rows_of: HashMap<i64, Vec<(String, String, i64)>> = HashMap::new();
    for l in lists {
        for (row, p) in &l.rows {
            rows_of.entry(groups.find(*p)).or_default().push((
                l.kind.clone(),
                l.file_name.clone(),
                *row,
            ));
        }
    }
    let rows_json = |rows: Option<&Vec<(String, String, i64)>>| -> serde_json::Value {
        rows.map(|rs| {
            rs.iter()
                .map(|(k, f, r)| serde_json::json!({"名单": k, "文件": f, "行": r}))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into()
    };
    let mut out: Vec<ExceptionRecord> = Vec::new();
    let on = reference_date(term);

    // 疑似失学辍学.
    let mut seen: HashSet<i64> = HashSet::new();
    for l in lists
        .iter()
        .filter(|l| l.kind == POPULATION_LIST || l.kind == POVERTY_LIST)
    {
        for (_, p) in &l.rows {
            let g = group_of(groups, *p);
            let Some(group) = members.get(&g) else {
                continue;
            };
            let birth = group
                .iter()
                .filter_map(|m| reg.person.get(m).and_then(|x| x.record.birth_date))
                .next();
            let Some(birth) = birth else { continue };
            let age = birth.age_on(on);
            if age < opts.ages.0 || age > opts.ages.1 {
                continue;
            }
            if group.iter().any(|m| reg.currently_enrolled(*m)) || !seen.insert(g) {
                continue;
            }
            let rep = representative(reg, group);
            let reported: Vec<String> = group
                .iter()
                .filter_map(|m| reg.enrollment.get(m))
                .map(|e| {
                    format!(
                        "{} {} 学籍状态：{}",
                        e.record
                            .school_code
                            .as_ref()
                            .map(|c| c.as_str().to_string())
                            .unwrap_or_default(),
                        e.record.grade.label(),
                        e.record.status.label()
                    )
                })
                .collect();
            let evidence = serde_json::json!({
                "基准日": on.to_string(),
                "年龄": age,
                "名单": rows_json(rows_of.get(&g)),
                "关联人员": group.iter().collect::<Vec<_>>(),
                "本学期学籍": if reported.is_empty() { serde_json::json!("无") } else { serde_json::json!(reported) },
            });
            let summary = if reported.is_empty() {
                format!(
                    "{age} 周岁（{on} 时），在户籍或建档立卡名单中，{} 无学籍",
                    term.code()
                )
            } else {
                format!(
                    "{age} 周岁（{on} 时），在户籍或建档立卡名单中，{} 学籍非在读：{}",
                    term.code(),
                    reported.join("；")
                )
            };
            out.push(ExceptionRecord {
                term,
                kind: ExceptionKind::SuspectedDropout,
                key: format!("人员:{rep}"),
                person_id: Some(rep),
                summary,
                evidence: evidence.to_string(),
                placement: reg.placement(rep),
            });
        }
    }

    // 应享未享 (1): the stored ledger's gaps.
    for e in entitlements {
        let r = &e.record;
        if r.status != EntitlementStatus::Blocked || !r.gap {
            continue;
        }
        let cause = r.cause.clone().unwrap_or_default();
        out.push(ExceptionRecord {
            term,
            kind: ExceptionKind::EntitledNotPaid,
            key: format!("人员:{}:政策:{}", r.person_id, r.policy_code),
            person_id: Some(r.person_id),
            summary: format!(
                "应享 {} {} 元，未能发放：{cause}",
                r.policy_name,
                r.amount.fmt_yuan()
            ),
            evidence: serde_json::json!({
                "来源": "资助计算（zizhu entitle）",
                "资助记录": e.id,
                "政策": r.policy_name,
                "金额（分）": r.amount.0,
                "状态": r.status.label(),
                "原因": cause,
                "原因类别": r.cause_kind,
            })
            .to_string(),
            placement: Placement {
                school_code: r.school_code.clone(),
                township_code: r.township_code.clone(),
                class_name: r.class_name.clone(),
            },
        });
    }
    if !has_run {
        notes.push(format!(
            "{} 尚未计算资助（zizhu entitle），应享未享只含身份未关联的学生，不应享而享与重复资助无从比对",
            term.code()
        ));
    }
    // 应享未享 (2): a student whose hardship another list records for the
    // same child, while the registry's own record of the student has none:
    // the entitlement computation saw a student without hardship.
    for (g, group) in &members {
        if group.len() < 2 {
            continue;
        }
        for student in group.iter().filter(|m| reg.currently_enrolled(**m)) {
            if !reg.hardship(*student).is_empty() {
                continue;
            }
            let elsewhere: Vec<(i64, Vec<String>)> = group
                .iter()
                .filter(|m| *m != student)
                .map(|m| (*m, reg.hardship(*m)))
                .filter(|(_, h)| !h.is_empty())
                .collect();
            if elsewhere.is_empty() {
                continue;
            }
            let what: BTreeSet<String> = elsewhere.iter().flat_map(|(_, h)| h.clone()).collect();
            let what: Vec<String> = what.into_iter().collect();
            out.push(ExceptionRecord {
                term,
                kind: ExceptionKind::EntitledNotPaid,
                key: format!("人员:{student}:身份未关联"),
                person_id: Some(*student),
                summary: format!(
                    "在读学生与名单中的同一人（{}）未关联，资助按无困难身份计算",
                    what.join("、")
                ),
                evidence: serde_json::json!({
                    "来源": "比对链接",
                    "学生人员": student,
                    "困难身份": what,
                    "记录困难身份的人员": elsewhere.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
                    "名单": rows_json(rows_of.get(g)),
                })
                .to_string(),
                placement: reg.placement(*student),
            });
        }
    }

    // 不应享而享: on the ledger as owed by an earlier run, no longer owed.
    for e in entitlements {
        let r = &e.record;
        if r.status != EntitlementStatus::Revoked {
            continue;
        }
        out.push(ExceptionRecord {
            term,
            kind: ExceptionKind::PaidNotEntitled,
            key: format!("人员:{}:政策:{}", r.person_id, r.policy_code),
            person_id: Some(r.person_id),
            summary: format!(
                "曾列入 {} 资助名单（{} 元），最新计算不再应享{}",
                r.policy_name,
                r.amount.fmt_yuan(),
                r.change_reason
                    .as_deref()
                    .map(|c| format!("：{c}"))
                    .unwrap_or_default()
            ),
            evidence: serde_json::json!({
                "来源": "资助计算（zizhu entitle）：已取消的资助记录",
                "资助记录": e.id,
                "政策": r.policy_name,
                "金额（分）": r.amount.0,
                "原因": r.change_reason,
            })
            .to_string(),
            placement: Placement {
                school_code: r.school_code.clone(),
                township_code: r.township_code.clone(),
                class_name: r.class_name.clone(),
            },
        });
    }
    if has_run {
        notes.push(
            "尚无发放名单可比对：不应享而享取自资助名单中曾应享、最新计算已取消的记录（如已发放，应核实追回）"
                .into(),
        );
    }

    // 重复享受: one child, two enrollments or two payable entitlements to
    // the same policy.
    let mut payable: HashMap<i64, Vec<&zizhu_store::StoredEntitlement>> = HashMap::new();
    for e in entitlements {
        if e.record.status == EntitlementStatus::Payable {
            payable.entry(e.record.person_id).or_default().push(e);
        }
    }
    let mut group_ids: Vec<&i64> = members.keys().collect();
    group_ids.sort();
    for g in group_ids {
        let group = &members[g];
        if group.len() < 2 {
            continue;
        }
        let rep = representative(reg, group);
        let enrolled: Vec<&zizhu_store::Enrollment> = group
            .iter()
            .filter_map(|m| reg.enrollment.get(m).copied())
            .collect();
        if enrolled.len() >= 2 {
            let list: Vec<serde_json::Value> = enrolled
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "人员": e.record.person_id,
                        "学校标识码": e.record.school_code.as_ref().map(|c| c.as_str()),
                        "年级": e.record.grade.label(),
                        "学籍状态": e.record.status.label(),
                    })
                })
                .collect();
            out.push(ExceptionRecord {
                term,
                kind: ExceptionKind::Duplicate,
                key: format!("人员:{rep}:重复学籍"),
                person_id: Some(rep),
                summary: format!("同一人在 {} 有 {} 条学籍", term.code(), enrolled.len()),
                evidence: serde_json::json!({
                    "来源": "比对链接",
                    "学籍": list,
                    "关联人员": group.iter().collect::<Vec<_>>(),
                    "名单": rows_json(rows_of.get(g)),
                })
                .to_string(),
                placement: reg.placement(rep),
            });
        }
        let mut by_policy: BTreeMap<&str, Vec<&zizhu_store::StoredEntitlement>> = BTreeMap::new();
        for m in group {
            for e in payable.get(m).into_iter().flatten() {
                by_policy
                    .entry(e.record.policy_code.as_str())
                    .or_default()
                    .push(e);
            }
        }
        for (policy, es) in by_policy {
            if es.len() < 2 {
                continue;
            }
            let total: i64 = es.iter().map(|e| e.record.amount.0).sum();
            out.push(ExceptionRecord {
                term,
                kind: ExceptionKind::Duplicate,
                key: format!("人员:{rep}:重复资助:{policy}"),
                person_id: Some(rep),
                summary: format!(
                    "同一人 {} 应享 {} 共 {} 次，合计 {} 元",
                    term.code(),
                    es[0].record.policy_name,
                    es.len(),
                    zizhu_core::Fen(total).fmt_yuan()
                ),
                evidence: serde_json::json!({
                    "来源": "比对链接与资助名单",
                    "资助记录": es.iter().map(|e| e.id).collect::<Vec<_>>(),
                    "人员": es.iter().map(|e| e.record.person_id).collect::<Vec<_>>(),
                    "关联人员": group.iter().collect::<Vec<_>>(),
                })
                .to_string(),
                placement: reg.placement(rep),
            });
        }
    }

    // 县外就读信息缺失.
    for e in &reg.reg.enrollments {
        let r = &e.record;
        if !r.out_of_county {
            continue;
        }
        let mut missing = Vec::new();
        if r.school_code.is_none() {
            missing.push("就读学校标识码");
        }
        if r.out_of_county_place
            .as_deref()
            .is_none_or(|p| p.trim().is_empty())
        {
            missing.push("就读地点");
        }
        if missing.is_empty() {
            continue;
        }
        let account = reg.with_account.contains(&r.person_id);
        out.push(ExceptionRecord {
            term,
            kind: ExceptionKind::OutOfCountyMissing,
            key: format!("人员:{}", r.person_id),
            person_id: Some(r.person_id),
            summary: format!(
                "县外就读，缺少接收学校信息：{}{}",
                missing.join("、"),
                if account {
                    ""
                } else {
                    "；且无有效银行账户"
                }
            ),
            evidence: serde_json::json!({
                "学籍": e.id,
                "缺少": missing,
                "有效银行账户": account,
            })
            .to_string(),
            placement: reg.placement(r.person_id),
        });
    }

    out.sort_by(|a, b| (a.kind, &a.key).cmp(&(b.kind, &b.key)));
    out.dedup_by(|a, b| a.kind == b.kind && a.key == b.key);
    out
}

/// The evidence of an exception as short Chinese sentences a county
/// official reads (the stored JSON stays as the comparison wrote it): what
/// the 学籍 system says, which department lists name the child and where,
/// who the persons the comparison joined are, and the household. Names
/// and ID numbers are masked unless `full`, exactly as the columns beside
/// it; a birth date shows only its year unless `full`. Used by the web
/// page and by `zizhu compare export` alike.
pub async fn render_evidence(
    store: &Store,
    e: &ExceptionRecord,
    full: bool,
) -> Result<String, AppError> {
    let v: serde_json::Value = match serde_json::from_str(&e.evidence) {
        Ok(v) => v,
        // Evidence that is not JSON is already text.
        Err(_) => return Ok(e.evidence.clone()),
    };
    let mut r = Render {
        store,
        full,
        schools: HashMap::new(),
    };
    let mut parts: Vec<String> = Vec::new();
    match e.kind {
        ExceptionKind::SuspectedDropout => {
            match &v["本学期学籍"] {
                serde_json::Value::Array(a) if !a.is_empty() => {
                    let mut said = Vec::new();
                    for s in a.iter().filter_map(|s| s.as_str()) {
                        said.push(r.enrollment_text(s).await?);
                    }
                    parts.push(format!(
                        "学籍系统 {} 无在读记录，只有：{}",
                        e.term.code(),
                        said.join("，")
                    ));
                }
                _ => parts.push(format!("学籍系统 {} 无在读记录", e.term.code())),
            }
            if let (Some(age), Some(on)) = (v["年龄"].as_i64(), v["基准日"].as_str()) {
                parts.push(format!("{}时 {age} 周岁", date_text(on)));
            }
            for p in ids(&v["关联人员"]) {
                parts.extend(r.person_with_household(p).await?);
            }
        }
        ExceptionKind::EntitledNotPaid if v["来源"] == "比对链接" => {
            if let Some(s) = v["学生人员"].as_i64() {
                parts.push(format!(
                    "在读学生{}在登记中无困难身份，资助按无困难身份计算",
                    r.person(s).await?
                ));
            }
            let what = strings(&v["困难身份"]).join("、");
            let mut who = Vec::new();
            for p in ids(&v["记录困难身份的人员"]) {
                who.push(r.person(p).await?);
            }
            if !who.is_empty() {
                parts.push(format!("比对认定为同一人的{}记为{what}", who.join("、")));
            }
        }
        ExceptionKind::EntitledNotPaid => {
            parts.push(format!(
                "资助计算：应享{}{} 元，状态{}",
                v["政策"].as_str().unwrap_or(""),
                yuan(&v["金额（分）"]),
                v["状态"].as_str().unwrap_or("受阻")
            ));
            if let Some(k) = v["原因类别"].as_str() {
                parts.push(format!("原因类别：{k}"));
            }
            if let Some(c) = v["原因"].as_str().filter(|c| !c.is_empty()) {
                parts.push(format!("原因：{c}"));
            }
        }
        ExceptionKind::PaidNotEntitled => {
            parts.push(format!(
                "资助名单曾列入{}（{} 元），最新一次资助计算已取消",
                v["政策"].as_str().unwrap_or(""),
                yuan(&v["金额（分）"])
            ));
            if let Some(c) = v["原因"].as_str().filter(|c| !c.is_empty()) {
                parts.push(format!("取消原因：{c}"));
            }
            parts.push("如已发放，应核实追回".into());
        }
        ExceptionKind::Duplicate => {
            if let Some(list) = v["学籍"].as_array() {
                let mut said = Vec::new();
                for x in list {
                    let who = match x["人员"].as_i64() {
                        Some(p) => r.person(p).await?,
                        None => String::new(),
                    };
                    let school = match x["学校标识码"].as_str() {
                        Some(c) => r.school(c).await?,
                        None => "学校不详".into(),
                    };
                    said.push(format!(
                        "{who}在{school}{}（{}）",
                        x["年级"].as_str().unwrap_or(""),
                        x["学籍状态"].as_str().unwrap_or("")
                    ));
                }
                parts.push(format!(
                    "比对认定为同一人，{} 有 {} 条学籍：{}",
                    e.term.code(),
                    list.len(),
                    said.join("；")
                ));
            } else {
                let mut who = Vec::new();
                for p in ids(&v["人员"]) {
                    who.push(r.person(p).await?);
                }
                parts.push(format!(
                    "比对认定为同一人的{}各有一条可发放的同一政策资助记录",
                    who.join("、")
                ));
            }
        }
        ExceptionKind::OutOfCountyMissing => {
            let missing = strings(&v["缺少"]);
            parts.push(format!(
                "学籍登记为县外就读，缺少{}",
                if missing.is_empty() {
                    "接收学校信息".to_string()
                } else {
                    missing.join("、")
                }
            ));
            parts.push(
                if v["有效银行账户"].as_bool() == Some(true) {
                    "有有效银行账户"
                } else {
                    "无有效银行账户，资助无法发放"
                }
                .into(),
            );
        }
    }
    parts.extend(lists_text(&v["名单"]));
    Ok(parts.join("；"))
}

/// Lookups the rendering of one exception's evidence shares.
struct Render<'a> {
    store: &'a Store,
    full: bool,
    schools: HashMap<String, String>,
}

impl Render<'_> {
    /// `张*（2010年生，身份证号 430…）`, masked unless full.
    async fn person(&mut self, id: i64) -> Result<String, AppError> {
        let Some(p) = self.store.get_person(id).await? else {
            return Ok("（人员已删除）".into());
        };
        Ok(self.person_of(&p))
    }

    fn person_of(&self, p: &Person) -> String {
        let name = p.record.name.original();
        let name = if self.full {
            name.to_string()
        } else {
            mask_name(name)
        };
        let mut facts = Vec::new();
        if let Some(b) = p.record.birth_date {
            facts.push(if self.full {
                format!("出生于{b}")
            } else {
                format!("出生于{}年", b.year())
            });
        }
        facts.push(match &p.record.id_number {
            Some(i) if self.full => format!("身份证号 {}", i.as_str()),
            Some(i) => format!("身份证号 {}", mask_id(i.as_str())),
            None => "无身份证号".into(),
        });
        format!("{name}（{}）", facts.join("，"))
    }

    /// The person and, when they have one, their household: village,
    /// 建档立卡 status and head.
    async fn person_with_household(&mut self, id: i64) -> Result<Vec<String>, AppError> {
        let Some(p) = self.store.get_person(id).await? else {
            return Ok(Vec::new());
        };
        let mut out = vec![format!("登记人员：{}", self.person_of(&p))];
        let Some(h) = p.household_id else {
            return Ok(out);
        };
        let Some(h) = self.store.get_household(h).await? else {
            return Ok(out);
        };
        let names = self
            .store
            .region_names(&[h.record.region_code.as_str()])
            .await?;
        let village = names
            .get(h.record.region_code.as_str())
            .cloned()
            .unwrap_or_else(|| format!("区划 {}", h.record.region_code.as_str()));
        let mut said = format!("户籍在{village}");
        let status = h.record.poverty_status;
        if status != PovertyStatus::NotRegistered {
            said.push_str(&format!("，建档立卡户（{}", status.label()));
            if let Some(y) = h.record.lifted_year {
                said.push_str(&format!("，{y}年脱贫"));
            }
            said.push('）');
        }
        let mut flags = Vec::new();
        if h.record.dibao {
            flags.push("低保户");
        }
        if h.record.tekun {
            flags.push("特困供养户");
        }
        if !flags.is_empty() {
            said.push_str(&format!("，{}", flags.join("、")));
        }
        if let Some(head) = &h.record.head_id_number {
            match self.store.get_person_by_id_number(head).await? {
                Some(hp) if hp.id == p.id => said.push_str("，本人为户主"),
                Some(hp) => {
                    let n = hp.record.name.original();
                    said.push_str(&format!(
                        "，户主{}",
                        if self.full {
                            n.to_string()
                        } else {
                            mask_name(n)
                        }
                    ));
                }
                None => {}
            }
        }
        out.push(said);
        Ok(out)
    }

    /// A school's name by code (the code when the school is unknown).
    async fn school(&mut self, code: &str) -> Result<String, AppError> {
        if let Some(n) = self.schools.get(code) {
            return Ok(n.clone());
        }
        let name = match zizhu_core::SchoolCode::parse(code) {
            Ok(c) => self
                .store
                .get_school(&c)
                .await?
                .map(|s| s.record.name)
                .unwrap_or_else(|| format!("学校 {code}")),
            Err(_) => format!("学校 {code}"),
        };
        self.schools.insert(code.to_string(), name.clone());
        Ok(name)
    }

    /// `4312345678 三年级 学籍状态：休学` as the comparison wrote it, with
    /// the school named.
    async fn enrollment_text(&mut self, s: &str) -> Result<String, AppError> {
        let (code, rest) = s.split_once(' ').unwrap_or(("", s));
        if code.is_empty() {
            return Ok(rest.trim().to_string());
        }
        Ok(format!("{}{}", self.school(code).await?, rest.trim()))
    }
}

/// Person ids of a JSON array.
fn ids(v: &serde_json::Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
        .unwrap_or_default()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Fen as 元 with two decimals.
fn yuan(v: &serde_json::Value) -> String {
    v.as_i64()
        .map(|f| zizhu_core::Fen(f).fmt_yuan())
        .unwrap_or_else(|| "—".into())
}

/// `2018-09-01` as `2018年9月1日`.
fn date_text(s: &str) -> String {
    let p: Vec<&str> = s.split('-').collect();
    match p.as_slice() {
        [y, m, d] => format!(
            "{y}年{}月{}日",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        ),
        _ => s.to_string(),
    }
}

/// `见于适龄儿童户籍名单（文件 a.xlsx 第 12 行）`: the list rows that name
/// the child, grouped by list.
fn lists_text(v: &serde_json::Value) -> Option<String> {
    let rows = v.as_array()?;
    if rows.is_empty() {
        return None;
    }
    let mut by_list: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for r in rows {
        by_list
            .entry((
                r["名单"].as_str().unwrap_or("").to_string(),
                r["文件"].as_str().unwrap_or("").to_string(),
            ))
            .or_default()
            .push(r["行"].as_i64().unwrap_or(0));
    }
    let said: Vec<String> = by_list
        .into_iter()
        .map(|((kind, file), mut rows)| {
            rows.sort_unstable();
            rows.dedup();
            let rows: Vec<String> = rows.iter().map(|r| format!("第 {r} 行")).collect();
            if kind.is_empty() {
                format!("{file} {}", rows.join("、"))
            } else {
                format!("{kind}（{file} {}）", rows.join("、"))
            }
        })
        .collect();
    Some(format!("见于{}", said.join("、")))
}

/// A reviewer's decision on a link within their scope: accept (人工确认)
/// or reject (已否决), audited with the actor and the reason. The
/// exception lists follow at the next `compare_term`.
pub async fn review_link(
    store: &Store,
    scope: &Scope,
    link_id: i64,
    accept: bool,
    actor: &str,
    reason: &str,
) -> Result<StoredLink, AppError> {
    if actor.trim().is_empty() {
        return Err(AppError::MissingActor);
    }
    if store.compare_link(link_id, scope).await?.is_none() {
        return Err(AppError::LinkNotFound { id: link_id });
    }
    let mut tx = store
        .begin_write(AuditContext {
            actor: actor.to_string(),
            reason: format!(
                "复核比对链接 {link_id}：{}（{}）",
                if accept { "确认" } else { "否决" },
                reason.trim()
            ),
            batch_id: None,
        })
        .await?;
    let link = tx.review_compare_link(link_id, accept, reason).await?;
    tx.commit().await?;
    Ok(link)
}

/// One exception as a reader sees it: the stored row with the person's
/// name and ID number, masked unless `full`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExceptionLine {
    /// The stored exception.
    pub exception: StoredException,
    /// 姓名 (masked unless full).
    pub name: String,
    /// 身份证号 (masked unless full), empty when unknown.
    pub id_number: String,
    /// 依据: the evidence as sentences ([`render_evidence`]), masked
    /// unless full.
    pub evidence: String,
}

/// The open exceptions of a term within the scope, with names and ID
/// numbers masked unless `full`.
pub async fn exception_lines(
    store: &Store,
    term: Term,
    scope: &Scope,
    kind: Option<ExceptionKind>,
    full: bool,
) -> Result<Vec<ExceptionLine>, AppError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .compare_exceptions(&term, scope, kind, false, after, 2_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for e in page {
            let person = match e.record.person_id {
                Some(p) => store.get_person(p).await?,
                None => None,
            };
            let (name, id_number) = person
                .map(|p| {
                    let name = p.record.name.original().to_string();
                    let id = p
                        .record
                        .id_number
                        .map(|i| i.as_str().to_string())
                        .unwrap_or_default();
                    if full {
                        (name, id)
                    } else {
                        (
                            mask_name(&name),
                            if id.is_empty() { id } else { mask_id(&id) },
                        )
                    }
                })
                .unwrap_or_default();
            let evidence = render_evidence(store, &e.record, full).await?;
            out.push(ExceptionLine {
                exception: e,
                name,
                id_number,
                evidence,
            });
        }
    }
    Ok(out)
}

/// The review queue (待复核 links) of a term within the scope, oldest
/// first, at most `limit`.
pub async fn review_queue(
    store: &Store,
    term: Term,
    scope: &Scope,
    limit: u64,
) -> Result<Vec<StoredLink>, AppError> {
    Ok(store
        .compare_links(
            &term,
            scope,
            &LinkFilter {
                status: Some(LinkStatus::NeedsReview),
                batch_id: None,
            },
            0,
            limit,
        )
        .await?)
}
