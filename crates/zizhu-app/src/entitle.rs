//! `zizhu entitle`: compute a term's entitlements from the registry, store
//! them, and say what changed since the last stored run and why.
//!
//! The work has three phases so that the slow parts never hold what they
//! do not need: the registry is read page by page (async, IO); the
//! computation, the comparison with the ledger and the report run on a
//! blocking thread (CPU, parallel inside the engine); the writes go in one
//! audited transaction, so a failure leaves the ledger as it was.
//!
//! What changed is decided against the stored ledger, which is the truth
//! about the previous run. Why it changed comes from the policy engine's
//! [`zizhu_policy::diff`] between the previous answer, recomputed from the
//! facts snapshot the previous run stored, and the new one. When the
//! recomputed previous answer differs from the stored one, the facts did
//! not change but the rules did (a new policy file or a new version of the
//! engine), and the reason says so.

use crate::error::AppError;
use crate::facts::{PAGE, Student, read_population};
use crate::snapshot;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};
use zizhu_core::mask::{mask_id, mask_name};
use zizhu_core::{Fen, Term};
use zizhu_policy::{
    Dimension, Entitlement, Gap, GapKind, PersonKey, PolicyCode, PolicySet, Reason, Status,
    StudentFacts, Summary, TermResult, diff, entitle_owned, summarize,
};
use zizhu_store::{
    AuditContext, EntitlementRecord, EntitlementRun, EntitlementRunCounts, EntitlementStatus,
    NewEntitlementRun, Scope, Store, now_utc,
};

/// How to run [`entitle_term`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitleOptions {
    /// Compute and report, write nothing (试算).
    pub dry_run: bool,
    /// Who runs the computation; recorded with the run and in the audit log.
    pub actor: String,
}

/// What an entitlement change did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new entitlement (or one owed again after being cancelled).
    Added {
        /// The amount for the term.
        amount: Fen,
        /// 可发放, or 受阻 with the cause.
        status: String,
    },
    /// An entitlement no longer owed (stored as 已取消).
    Removed {
        /// The amount it had.
        amount: Fen,
        /// The status it had.
        status: String,
    },
    /// The amount, status or funding split changed.
    Changed {
        /// Before.
        old_amount: Fen,
        /// After.
        new_amount: Fen,
        /// Before.
        old_status: String,
        /// After.
        new_status: String,
    },
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeKind::Added { amount, status } => {
                write!(f, "新增 {} 元（{status}）", amount.fmt_yuan())
            }
            ChangeKind::Removed { amount, status } => {
                write!(f, "取消（原 {} 元，{status}）", amount.fmt_yuan())
            }
            ChangeKind::Changed {
                old_amount,
                new_amount,
                old_status,
                new_status,
            } => {
                let mut parts = Vec::new();
                if old_amount != new_amount {
                    parts.push(format!(
                        "金额由 {} 元变为 {} 元",
                        old_amount.fmt_yuan(),
                        new_amount.fmt_yuan()
                    ));
                }
                if old_status != new_status {
                    parts.push(format!("状态由「{old_status}」变为「{new_status}」"));
                }
                if parts.is_empty() {
                    parts.push("资金分担变化".to_string());
                }
                f.write_str(&parts.join("，"))
            }
        }
    }
}

/// Why an entitlement changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeReason {
    /// What the policy engine found: a fact, the school, the student's
    /// presence, a quota or an exclusivity group.
    Engine(Reason),
    /// The term had no stored run before.
    FirstRun,
    /// The previous answer, recomputed from the previous facts with the
    /// current policy file, differs from the stored one: the policy file
    /// changed between the two runs.
    PolicyFileChanged {
        /// The previous run's policy file.
        old_file: String,
        /// This run's.
        new_file: String,
    },
    /// As above with the same policy file: the calculation rules of the
    /// program changed (a new version), or the ledger was computed from
    /// facts this version cannot read back.
    RulesChanged,
}

impl fmt::Display for ChangeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeReason::Engine(r) => write!(f, "{r}"),
            ChangeReason::FirstRun => f.write_str("本学期首次计算"),
            ChangeReason::PolicyFileChanged { old_file, new_file } => {
                write!(f, "政策文件有变化（上次：{old_file}，本次：{new_file}）")
            }
            ChangeReason::RulesChanged => f.write_str("计算规则有变化（程序版本更新）"),
        }
    }
}

/// One entitlement that differs from the stored ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitlementChange {
    /// The registry's person id.
    pub person_id: i64,
    /// 姓名, unmasked; [`fmt::Display`] masks it.
    pub name: String,
    /// 身份证号, unmasked; [`fmt::Display`] masks it.
    pub id_number: Option<String>,
    /// The policy's code.
    pub policy_code: String,
    /// The policy's name.
    pub policy_name: String,
    /// What changed.
    pub kind: ChangeKind,
    /// Why.
    pub reasons: Vec<ChangeReason>,
}

impl EntitlementChange {
    /// `新增 500.00 元（可发放）。原因：寄宿 由 否 变为 是`: the change
    /// without the person, as stored in the row's `change_reason`.
    pub fn describe(&self) -> String {
        let reasons: Vec<String> = self.reasons.iter().map(ToString::to_string).collect();
        if reasons.is_empty() {
            format!("{}", self.kind)
        } else {
            format!("{}。原因：{}", self.kind, reasons.join("；"))
        }
    }
}

impl fmt::Display for EntitlementChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}（{}，人员编号 {}）「{}」：{}",
            mask_name(&self.name),
            self.id_number
                .as_deref()
                .map_or_else(|| "无身份证号".to_string(), mask_id),
            self.person_id,
            self.policy_name,
            self.describe()
        )
    }
}

/// 人次 and amount of one kind of coverage gap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapTotal {
    /// 无银行账户, 信息缺失, ….
    pub cause: String,
    /// 人次.
    pub count: u64,
    /// The amount not reaching students.
    pub amount: Fen,
}

/// How long each phase took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Reading the registry and the previous run.
    pub read: Duration,
    /// Computing, comparing and summarising.
    pub compute: Duration,
    /// Writing the ledger.
    pub write: Duration,
}

/// What [`entitle_term`] did, for the CLI to print ([`fmt::Display`] is
/// the Chinese report) and for callers to inspect.
#[derive(Clone, Debug)]
pub struct EntitleReport {
    /// The term.
    pub term: Term,
    /// Whether anything was written.
    pub dry_run: bool,
    /// The stored run, unless dry.
    pub run_id: Option<i64>,
    /// The previous stored run of the term, compared against.
    pub previous: Option<EntitlementRun>,
    /// The policy file's name.
    pub policy_file: String,
    /// Its title.
    pub policy_title: String,
    /// SHA-256 of the policy set's content ([`policy_fingerprint`]).
    pub policy_fingerprint: String,
    /// Students computed.
    pub students: usize,
    /// Entitlements computed.
    pub entitlements: usize,
    /// 人次 and 金额 per policy (payable only), with the total.
    pub summary: Summary,
    /// Coverage gaps per cause.
    pub gaps: Vec<GapTotal>,
    /// Every entitlement that differs from the ledger before the run.
    pub changes: Vec<EntitlementChange>,
    /// Rows whose amount and status are unchanged but whose explanation is
    /// (a fact's source, the class); rewritten and audited, not reported.
    pub refreshed: usize,
    /// Entitlement rows written (each with one audit entry); 0 when dry.
    pub written: usize,
    /// Things to look at: quotas the engine flagged, assumptions made.
    pub warnings: Vec<String>,
    /// Where the time went.
    pub timings: Timings,
}

impl EntitleReport {
    fn count(&self, pick: impl Fn(&ChangeKind) -> bool) -> usize {
        self.changes.iter().filter(|c| pick(&c.kind)).count()
    }
}

/// How many changes the printed report lists before summarising the rest.
const LISTED_CHANGES: usize = 200;

impl fmt::Display for EntitleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = zizhu_policy::policy::term_label(self.term);
        match self.run_id {
            Some(id) => writeln!(f, "{label} 资助计算：已保存为第 {id} 次计算。")?,
            None => writeln!(f, "{label} 资助计算（试算，未保存）。")?,
        }
        writeln!(
            f,
            "政策文件：{}（{}，内容指纹 {}）",
            self.policy_file,
            self.policy_title,
            self.policy_fingerprint
                .get(..12)
                .unwrap_or(&self.policy_fingerprint)
        )?;
        let payable = self.summary.total.person_times;
        writeln!(
            f,
            "学生 {} 人，资助记录 {} 条：可发放 {} 人次，{} 元（{} 万元）。",
            self.students,
            self.entitlements,
            payable,
            self.summary.total.amount.fmt_yuan_grouped(),
            self.summary.total.amount.fmt_wan()
        )?;
        writeln!(f, "\n按项目汇总（可发放）：")?;
        f.write_str(&self.summary.render())?;
        let gap_count: u64 = self.gaps.iter().map(|g| g.count).sum();
        if gap_count == 0 {
            writeln!(f, "\n应享尽享：没有应享未享的学生。")?;
        } else {
            let amount = Fen(self.gaps.iter().map(|g| g.amount.0).sum());
            writeln!(
                f,
                "\n应享未享 {gap_count} 人次，涉及 {} 元：",
                amount.fmt_yuan_grouped()
            )?;
            for g in &self.gaps {
                writeln!(
                    f,
                    "  {}：{} 人次，{} 元",
                    g.cause,
                    g.count,
                    g.amount.fmt_yuan_grouped()
                )?;
            }
        }
        let (added, changed, removed) = (
            self.count(|k| matches!(k, ChangeKind::Added { .. })),
            self.count(|k| matches!(k, ChangeKind::Changed { .. })),
            self.count(|k| matches!(k, ChangeKind::Removed { .. })),
        );
        match &self.previous {
            None => writeln!(f, "\n本学期首次计算：新增资助记录 {added} 条。")?,
            Some(p) => {
                writeln!(
                    f,
                    "\n与上次计算（第 {} 次，{}，{}）相比：新增 {added} 条，变化 {changed} 条，取消 {removed} 条。",
                    p.id,
                    p.finished_at.get(..10).unwrap_or(&p.finished_at),
                    p.actor
                )?;
                for (i, c) in self.changes.iter().take(LISTED_CHANGES).enumerate() {
                    writeln!(f, "  {}. {c}", i + 1)?;
                }
                if self.changes.len() > LISTED_CHANGES {
                    writeln!(
                        f,
                        "  ……另有 {} 条变化未列出。",
                        self.changes.len() - LISTED_CHANGES
                    )?;
                }
            }
        }
        if self.refreshed > 0 {
            writeln!(
                f,
                "另有 {} 条金额和状态不变、依据说明更新（如事实来源变化）。",
                self.refreshed
            )?;
        }
        if !self.warnings.is_empty() {
            writeln!(f, "\n请注意：")?;
            for w in &self.warnings {
                writeln!(f, "  - {w}")?;
            }
        }
        writeln!(
            f,
            "\n用时：读取 {:.1} 秒，计算 {:.1} 秒，保存 {:.1} 秒。",
            self.timings.read.as_secs_f64(),
            self.timings.compute.as_secs_f64(),
            self.timings.write.as_secs_f64()
        )
    }
}

/// SHA-256 (hex) of a policy set's content: the same for two files that
/// differ only in comments, layout or file name, different as soon as a
/// policy, amount, rule or setting differs.
pub fn policy_fingerprint(set: &PolicySet) -> String {
    let mut s = set.clone();
    s.file_name.clear();
    // Line numbers move when a comment is added; they are not content.
    for p in &mut s.policies {
        p.line = 0;
    }
    for g in &mut s.exclusive {
        g.line = 0;
    }
    let digest = Sha256::digest(format!("{s:?}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is compared between the ledger and the new answer, hashed: every
/// stored column except the run and the reason for the last change.
fn record_hash(r: &EntitlementRecord) -> u64 {
    let mut h = DefaultHasher::new();
    r.person_id.hash(&mut h);
    r.term.hash(&mut h);
    r.policy_code.hash(&mut h);
    r.policy_name.hash(&mut h);
    r.policy_order.hash(&mut h);
    r.category.hash(&mut h);
    r.amount.hash(&mut h);
    r.payment_mode.hash(&mut h);
    r.status.label().hash(&mut h);
    r.cause.hash(&mut h);
    r.cause_kind.hash(&mut h);
    r.gap.hash(&mut h);
    r.funding.hash(&mut h);
    r.school_code.hash(&mut h);
    r.township_code.hash(&mut h);
    r.class_name.hash(&mut h);
    r.out_of_county.hash(&mut h);
    r.trace.hash(&mut h);
    h.finish()
}

/// What the comparison needs of a stored row.
#[derive(Clone, Debug)]
struct Stored {
    id: i64,
    hash: u64,
    amount: Fen,
    status: EntitlementStatus,
    cause: Option<String>,
    funding: [Fen; 5],
}

impl Stored {
    fn status_text(&self) -> String {
        status_text(self.status, self.cause.as_deref())
    }
}

fn status_text(status: EntitlementStatus, cause: Option<&str>) -> String {
    match (status, cause) {
        (EntitlementStatus::Blocked, Some(c)) => format!("受阻：{c}"),
        (s, _) => s.label().to_string(),
    }
}

type Key = (i64, String);

/// The previous run as the comparison needs it.
struct Previous {
    run: EntitlementRun,
    facts: Vec<StudentFacts>,
    texts: HashMap<i64, String>,
}

/// One write of the plan.
enum Write {
    Put(Box<EntitlementRecord>),
    Revoke { id: i64, reason: String },
}

/// Everything the blocking phase works out.
struct Plan {
    writes: Vec<Write>,
    changes: Vec<EntitlementChange>,
    refreshed: usize,
    facts_put: Vec<(i64, String)>,
    facts_delete: Vec<i64>,
    counts: EntitlementRunCounts,
    entitlements: usize,
    summary: Summary,
    gaps: Vec<GapTotal>,
    warnings: Vec<String>,
}

/// Builds the ledger row of an entitlement.
fn record_of(
    result: &TermResult,
    e: &Entitlement,
    s: &Student,
    gap: Option<&Gap>,
) -> EntitlementRecord {
    let (status, cause, cause_kind, is_gap) = match e.status {
        Status::Payable => (EntitlementStatus::Payable, None, None, false),
        Status::Blocked(c) => {
            // The stored cause is shown to users: name another policy by
            // its Chinese name, which only the policy set knows.
            let text = match gap {
                Some(g) => g
                    .causes
                    .iter()
                    .map(|c| c.describe_in(&result.policies))
                    .collect::<Vec<_>>()
                    .join("；"),
                None => c.describe_in(&result.policies),
            };
            let kind = match GapKind::of(&c) {
                Some(k) => k.label().to_string(),
                None => "不可兼得".to_string(),
            };
            (
                EntitlementStatus::Blocked,
                Some(text),
                Some(kind),
                c.is_gap(),
            )
        }
    };
    EntitlementRecord {
        person_id: s.person_id,
        term: result.term,
        policy_code: e.policy_code.as_str().to_string(),
        policy_name: result.policy_of(e).name.clone(),
        policy_order: i64::from(e.policy),
        category: e.category.label().to_string(),
        amount: e.amount,
        payment_mode: e.payment_mode.label().to_string(),
        status,
        cause,
        cause_kind,
        gap: is_gap,
        funding: e.funding.0,
        school_code: s.school_code.clone(),
        township_code: s.township_code.clone(),
        class_name: s.class_name.clone(),
        out_of_county: s.out_of_county,
        trace: result.trace_text(e),
        change_reason: None,
    }
}

fn status_of_entitlement(e: &Entitlement) -> EntitlementStatus {
    match e.status {
        Status::Payable => EntitlementStatus::Payable,
        Status::Blocked(_) => EntitlementStatus::Blocked,
    }
}

/// What the blocking phase is given.
struct Inputs {
    students: Vec<Student>,
    facts: Vec<StudentFacts>,
    previous: Option<Previous>,
    stored: HashMap<Key, Stored>,
    notes: Vec<String>,
}

/// The blocking phase: compute, compare with the ledger, summarise.
fn plan(set: &PolicySet, term: Term, fingerprint: &str, inputs: Inputs) -> Plan {
    let Inputs {
        students,
        facts,
        previous,
        stored,
        notes,
    } = inputs;
    let new = entitle_owned(set, term, facts);
    let coverage = new.coverage();
    let gap_of: HashMap<(u32, PolicyCode), &Gap> = coverage
        .gaps
        .iter()
        .map(|g| ((g.student, g.policy_code), g))
        .collect();

    // The previous answer, recomputed, and the engine's reasons.
    let old = previous
        .as_ref()
        .map(|p| entitle_owned(set, term, p.facts.clone()));
    let reasons: HashMap<(PersonKey, PolicyCode), Vec<Reason>> = match &old {
        Some(old) => diff(old, &new)
            .into_iter()
            .map(|c| ((c.person, c.policy_code), c.reasons))
            .collect(),
        None => HashMap::new(),
    };
    let old_view: HashMap<(PersonKey, PolicyCode), (Fen, EntitlementStatus, [Fen; 5])> = old
        .iter()
        .flat_map(|o| o.entitlements.iter())
        .map(|e| {
            (
                (e.person, e.policy_code),
                (e.amount, status_of_entitlement(e), e.funding.0),
            )
        })
        .collect();
    let drift_reason = previous.as_ref().map(|p| {
        if p.run.record.policy_fingerprint == fingerprint {
            ChangeReason::RulesChanged
        } else {
            ChangeReason::PolicyFileChanged {
                old_file: p.run.record.policy_file.clone(),
                new_file: set.file_name.clone(),
            }
        }
    });
    let reasons_for = |person: PersonKey, code: PolicyCode, stored: Option<&Stored>| {
        let Some(drift) = &drift_reason else {
            return vec![ChangeReason::FirstRun];
        };
        let mut out: Vec<ChangeReason> = reasons
            .get(&(person, code))
            .map(|rs| rs.iter().cloned().map(ChangeReason::Engine).collect())
            .unwrap_or_default();
        let was = stored
            .filter(|s| s.status != EntitlementStatus::Revoked)
            .map(|s| (s.amount, s.status, s.funding));
        if old_view.get(&(person, code)).copied() != was {
            out.push(drift.clone());
        }
        out
    };

    let mut writes = Vec::new();
    let mut changes = Vec::new();
    let mut refreshed = 0;
    let mut seen: HashSet<Key> = HashSet::with_capacity(new.entitlements.len());
    for e in &new.entitlements {
        let s = &students[e.student as usize];
        let mut rec = record_of(&new, e, s, gap_of.get(&(e.student, e.policy_code)).copied());
        let key = (s.person_id, rec.policy_code.clone());
        let before = stored.get(&key);
        let new_status = status_text(rec.status, rec.cause.as_deref());
        let kind = match before {
            None => Some(ChangeKind::Added {
                amount: rec.amount,
                status: new_status,
            }),
            Some(b) if b.status == EntitlementStatus::Revoked => Some(ChangeKind::Added {
                amount: rec.amount,
                status: new_status,
            }),
            Some(b) if b.hash == record_hash(&rec) => None,
            Some(b)
                if b.amount != rec.amount
                    || b.status != rec.status
                    || b.cause != rec.cause
                    || b.funding != rec.funding =>
            {
                Some(ChangeKind::Changed {
                    old_amount: b.amount,
                    new_amount: rec.amount,
                    old_status: b.status_text(),
                    new_status,
                })
            }
            Some(_) => {
                refreshed += 1;
                rec.change_reason =
                    Some("依据更新：金额和状态不变，事实来源或说明有变化".to_string());
                writes.push(Write::Put(Box::new(rec)));
                seen.insert(key);
                continue;
            }
        };
        if let Some(kind) = kind {
            let change = EntitlementChange {
                person_id: s.person_id,
                name: s.name.clone(),
                id_number: s.id_number.clone(),
                policy_code: rec.policy_code.clone(),
                policy_name: rec.policy_name.clone(),
                kind,
                reasons: reasons_for(e.person, e.policy_code, before),
            };
            rec.change_reason = Some(change.describe());
            changes.push(change);
            writes.push(Write::Put(Box::new(rec)));
        }
        seen.insert(key);
    }

    // Stored rows the new answer no longer has.
    let mut gone: Vec<(&Key, &Stored)> = stored
        .iter()
        .filter(|(k, s)| s.status != EntitlementStatus::Revoked && !seen.contains(*k))
        .collect();
    gone.sort_by(|a, b| a.0.cmp(b.0));
    for ((person_id, code), s) in gone {
        let reasons = match (
            PersonKey::new(&person_id.to_string()),
            PolicyCode::new(code),
        ) {
            (Ok(p), Ok(c)) => reasons_for(p, c, Some(s)),
            _ => Vec::new(),
        };
        let change = EntitlementChange {
            person_id: *person_id,
            name: String::new(),
            id_number: None,
            policy_code: code.clone(),
            policy_name: set
                .get(code)
                .map_or_else(|| code.clone(), |p| p.name.clone()),
            kind: ChangeKind::Removed {
                amount: s.amount,
                status: s.status_text(),
            },
            reasons,
        };
        writes.push(Write::Revoke {
            id: s.id,
            reason: change.describe(),
        });
        changes.push(change);
    }

    // The facts snapshot follows the population.
    let mut facts_put = Vec::new();
    let mut current: HashSet<i64> = HashSet::with_capacity(new.students.len());
    for (s, f) in students.iter().zip(&new.students) {
        current.insert(s.person_id);
        let text = snapshot::encode(f);
        let unchanged = previous
            .as_ref()
            .and_then(|p| p.texts.get(&s.person_id))
            .is_some_and(|t| *t == text);
        if !unchanged {
            facts_put.push((s.person_id, text));
        }
    }
    let mut facts_delete: Vec<i64> = previous
        .as_ref()
        .map(|p| {
            p.texts
                .keys()
                .copied()
                .filter(|id| !current.contains(id))
                .collect()
        })
        .unwrap_or_default();
    facts_delete.sort_unstable();

    let summary = summarize(&[&new], Dimension::Policy);
    let mut gap_totals: Vec<(GapKind, GapTotal)> = Vec::new();
    for g in &coverage.gaps {
        let kind = g.kind();
        match gap_totals.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, t)) => {
                t.count += 1;
                t.amount = t.amount.saturating_add(g.amount);
            }
            None => gap_totals.push((
                kind,
                GapTotal {
                    cause: kind.label().to_string(),
                    count: 1,
                    amount: g.amount,
                },
            )),
        }
    }
    gap_totals.sort_by_key(|(k, _)| *k);
    let gaps: Vec<GapTotal> = gap_totals.into_iter().map(|(_, t)| t).collect();

    let count = |pick: fn(&ChangeKind) -> bool| {
        i64::try_from(changes.iter().filter(|c| pick(&c.kind)).count()).unwrap_or(i64::MAX)
    };
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let counts = EntitlementRunCounts {
        students: as_i64(new.students.len()),
        entitlements: as_i64(new.entitlements.len()),
        payable: i64::try_from(summary.total.person_times).unwrap_or(i64::MAX),
        payable_amount: summary.total.amount,
        gaps: as_i64(coverage.gaps.len()),
        gap_amount: Fen(gaps.iter().map(|g| g.amount.0).sum()),
        added: count(|k| matches!(k, ChangeKind::Added { .. })),
        changed: count(|k| matches!(k, ChangeKind::Changed { .. })),
        removed: count(|k| matches!(k, ChangeKind::Removed { .. })),
    };
    let mut warnings = new.warnings.clone();
    warnings.extend(notes);
    Plan {
        writes,
        changes,
        refreshed,
        facts_put,
        facts_delete,
        counts,
        entitlements: new.entitlements.len(),
        summary,
        gaps,
        warnings,
    }
}

/// Reads the previous run's facts snapshot.
async fn read_previous(
    store: &Store,
    term: Term,
    run: EntitlementRun,
) -> Result<Previous, AppError> {
    let mut facts = Vec::new();
    let mut texts = HashMap::new();
    let mut after = 0;
    loop {
        let page = store.entitlement_facts(&term, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let full = (page.len() as u64) == PAGE;
        for row in page {
            // A snapshot this version cannot read counts as absent: the
            // student's changes are then reported as a change of rules.
            if let Ok(person) = PersonKey::new(&row.person_id.to_string())
                && let Some(f) = snapshot::decode(person, term, &row.facts)
            {
                facts.push(f);
            }
            texts.insert(row.person_id, row.facts);
        }
        if !full {
            break;
        }
    }
    Ok(Previous { run, facts, texts })
}

/// Reads the ledger of a term for comparison.
async fn read_stored(store: &Store, term: Term) -> Result<HashMap<Key, Stored>, AppError> {
    let mut out = HashMap::new();
    let mut after = 0;
    loop {
        let page = store.entitlements(&term, &Scope::All, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let full = (page.len() as u64) == PAGE;
        for row in page {
            let r = &row.record;
            out.insert(
                (r.person_id, r.policy_code.clone()),
                Stored {
                    id: row.id,
                    hash: record_hash(r),
                    amount: r.amount,
                    status: r.status,
                    cause: r.cause.clone(),
                    funding: r.funding,
                },
            );
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

/// Computes every enrolled student's entitlements for `term` from the
/// registry and, unless `opts.dry_run`, stores them as a new run: the run
/// row, every entitlement that differs from the ledger (each audited, with
/// the reason in the row), and the facts snapshot the next run compares
/// with. Returns the report either way.
pub async fn entitle_term(
    store: &Store,
    term: Term,
    policies: &PolicySet,
    opts: &EntitleOptions,
) -> Result<EntitleReport, AppError> {
    if !opts.dry_run && opts.actor.trim().is_empty() {
        return Err(AppError::MissingActor);
    }
    let started_at = now_utc();
    let t0 = Instant::now();
    let pop = read_population(store, term, policies).await?;
    let previous = match store.latest_entitlement_run(&term).await? {
        Some(run) => Some(read_previous(store, term, run).await?),
        None => None,
    };
    let previous_run = previous.as_ref().map(|p| p.run.clone());
    let stored = read_stored(store, term).await?;
    let read = t0.elapsed();

    let t1 = Instant::now();
    let fingerprint = policy_fingerprint(policies);
    let set = policies.clone();
    let fp = fingerprint.clone();
    let inputs = Inputs {
        notes: pop.notes.lines(),
        students: pop.students,
        facts: pop.facts,
        previous,
        stored,
    };
    // The computation is CPU work for seconds at county scale; it runs on
    // a blocking thread so an async server keeps answering meanwhile.
    let mut plan = tokio::task::spawn_blocking(move || plan(&set, term, &fp, inputs))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    // Removed entitlements may belong to students no longer in the term,
    // so their names come from the registry.
    for c in plan.changes.iter_mut().filter(|c| c.name.is_empty()) {
        if let Some(p) = store.get_person(c.person_id).await? {
            c.name = p.record.name.original().to_string();
            c.id_number = p.record.id_number.map(|i| i.as_str().to_string());
        }
    }
    let compute = t1.elapsed();

    let t2 = Instant::now();
    let mut run_id = None;
    let mut written = 0;
    if !opts.dry_run {
        let mut tx = store
            .begin_write(AuditContext {
                actor: opts.actor.clone(),
                reason: format!(
                    "{} 资助计算（政策文件 {}）",
                    zizhu_policy::policy::term_label(term),
                    policies.file_name
                ),
                batch_id: None,
            })
            .await?;
        let latest = tx.lock_entitlement_term(&term).await?;
        if latest != previous_run.as_ref().map(|r| r.id) {
            tx.rollback().await?;
            return Err(AppError::ConcurrentRun {
                term: zizhu_policy::policy::term_label(term),
                run: latest.unwrap_or_default(),
            });
        }
        let id = tx
            .record_entitlement_run(&NewEntitlementRun {
                term,
                policy_file: policies.file_name.clone(),
                policy_title: policies.title.clone(),
                policy_fingerprint: fingerprint.clone(),
                started_at,
                counts: plan.counts,
            })
            .await?;
        for w in &plan.writes {
            let changed = match w {
                Write::Put(rec) => {
                    tx.put_entitlement(id, rec).await?.outcome != zizhu_store::Outcome::Unchanged
                }
                Write::Revoke { id: row, reason } => {
                    tx.revoke_entitlement(id, *row, reason).await?
                }
            };
            written += usize::from(changed);
        }
        tx.put_entitlement_facts(&term, id, &plan.facts_put).await?;
        tx.delete_entitlement_facts(&term, &plan.facts_delete)
            .await?;
        tx.commit().await?;
        run_id = Some(id);
    }
    let write = t2.elapsed();
    tracing::info!(
        term = %term.code(),
        dry_run = opts.dry_run,
        students = plan.counts.students,
        changes = plan.changes.len(),
        written,
        "资助计算完成"
    );

    Ok(EntitleReport {
        term,
        dry_run: opts.dry_run,
        run_id,
        previous: previous_run,
        policy_file: policies.file_name.clone(),
        policy_title: policies.title.clone(),
        policy_fingerprint: fingerprint,
        students: usize::try_from(plan.counts.students).unwrap_or(usize::MAX),
        entitlements: plan.entitlements,
        summary: plan.summary,
        gaps: plan.gaps,
        changes: plan.changes,
        refreshed: plan.refreshed,
        written,
        warnings: plan.warnings,
        timings: Timings {
            read,
            compute,
            write,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Comments and file names are not content; a changed amount is.
    #[test]
    fn fingerprint_ignores_layout_but_not_content() {
        let text = zizhu_policy::HUNAN_2018_TOML;
        let a = PolicySet::load(text, "a.toml").unwrap();
        let b = PolicySet::load(&format!("# 注释\n\n{text}"), "b.toml").unwrap();
        let c = PolicySet::load(
            &text.replacen("amount_per_term = 1500", "amount_per_term = 1600", 1),
            "a.toml",
        )
        .unwrap();
        assert_eq!(policy_fingerprint(&a), policy_fingerprint(&b));
        assert_ne!(policy_fingerprint(&a), policy_fingerprint(&c));
        assert_eq!(policy_fingerprint(&a).len(), 64);
    }
}
