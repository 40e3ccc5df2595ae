//! `import_file`: one department file into the registry.
//!
//! A blocking thread reads the file, finds each sheet's header, validates
//! every row and sends the rows in chunks over a bounded channel; the async
//! side writes them into the store in one audited transaction and puts the
//! rejected rows in the rejection report. Reading and validating (CPU) and
//! writing (SQL) so run on both cores, and at most a few chunks of rows are
//! in memory at once.
//!
//! The first rows are held back until the file has been read for
//! [`PRECHECK_ROWS`] rows or to its end, and only then is the batch opened:
//! a file that fails early (wrong header, a broken row structure, a
//! truncated workbook) leaves no trace in the database at all. A larger file
//! that fails later has its transaction rolled back and its batch marked
//! 失败, so the attempt stays visible in the batch list but nothing of its
//! data remains.

use crate::error::ImportError;
use crate::field::Field;
use crate::header::{self, Detection, FieldIndex, HEADER_SEARCH_ROWS, Header};
use crate::kind::ListKind;
use crate::mapping::Mapping;
use crate::read::{self, Cell, FileFormat, Flow, RawRow, RowSink, SheetSelection, SheetStart};
use crate::registry::{RegionIndex, SchoolIndex};
use crate::report::RejectionReport;
use crate::validate::{
    self, AccountFacts, Family, GuardianFacts, HouseholdFacts, Issue, Parsed, PersonFacts,
    RowRules, Validated, WelfareType,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use zizhu_core::{Date, IdNumber, PersonName, RegionCode, SchoolCode, Term};
use zizhu_store::{
    AuditContext, BankAccountRecord, BatchCounts, BatchStatus, EnrollmentRecord, GuardianRecord,
    HouseholdRecord, ImportRowRecord, NewBatch, Outcome, PersonRecord, PovertyStatus, RowOutcome,
    Store, StoreError, WriteTx,
};

/// Rows read and validated before anything is written.
pub const PRECHECK_ROWS: usize = 10_000;

/// Rows per message from the reader thread.
const CHUNK_ROWS: usize = 512;

/// What the caller wants from an import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Read only this sheet (otherwise every visible sheet with a header of
    /// this kind).
    pub sheet: Option<String>,
    /// Column names the automatic recognition does not know.
    pub mapping: Option<Mapping>,
    /// Validate and count, write the rejection report, change nothing.
    pub dry_run: bool,
    /// Who imports (recorded in the batch and every audit entry).
    pub actor: String,
    /// The term of a roster without a 学期 column or a term in its title.
    pub term: Option<Term>,
    /// The school of a roster that names schools but has no 学校标识码
    /// column (a school officer's own list).
    pub school: Option<SchoolCode>,
    /// Where to write the rejection report (default: beside the input).
    pub report_dir: Option<PathBuf>,
    /// Import again even if this exact file was imported before.
    pub force: bool,
}

impl ImportOptions {
    /// Options with an actor and everything else default.
    pub fn new(actor: impl Into<String>) -> ImportOptions {
        ImportOptions {
            actor: actor.into(),
            ..ImportOptions::default()
        }
    }
}

/// What happened to one sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetSummary {
    /// The sheet's name.
    pub name: String,
    /// The header row (1-based), or `None` for a sheet that was skipped.
    pub header_row: Option<u32>,
    /// Data rows read from it.
    pub rows: u64,
}

/// The result of an import, with a Chinese `Display` for the command line.
#[derive(Clone, Debug)]
pub struct ImportSummary {
    /// The list kind.
    pub kind: ListKind,
    /// The file.
    pub file: PathBuf,
    /// Its detected format.
    pub format: Option<FileFormat>,
    /// The batch that holds this import's changes (`None` for a dry run or
    /// a file imported before).
    pub batch_id: Option<i64>,
    /// True when nothing was written on purpose.
    pub dry_run: bool,
    /// The batch that already imported this exact file, when the import was
    /// skipped as a repeat.
    pub same_as_batch: Option<i64>,
    /// Data rows read.
    pub read: u64,
    /// Rows that changed the registry.
    pub accepted: u64,
    /// Rows refused, each in the rejection report.
    pub rejected: u64,
    /// Rows the registry already held exactly.
    pub unchanged: u64,
    /// Rejected rows without a usable ID number, kept as unresolved persons
    /// for the comparison engine.
    pub unresolved: u64,
    /// Registry rows created.
    pub inserted: u64,
    /// Registry rows changed.
    pub updated: u64,
    /// The rejection report, when any row was rejected.
    pub rejection_report: Option<PathBuf>,
    /// Per sheet.
    pub sheets: Vec<SheetSummary>,
    /// Remarks about the file (encoding mix, skipped sheets, columns read
    /// but not stored).
    pub notes: Vec<String>,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// The part of `elapsed` spent committing the transaction (SQLite
    /// writes the transaction's pages out here), for benchmarks.
    pub committing: Duration,
}

impl ImportSummary {
    fn new(kind: ListKind, file: &Path, dry_run: bool) -> ImportSummary {
        ImportSummary {
            kind,
            file: file.to_path_buf(),
            format: None,
            batch_id: None,
            dry_run,
            same_as_batch: None,
            read: 0,
            accepted: 0,
            rejected: 0,
            unchanged: 0,
            unresolved: 0,
            inserted: 0,
            updated: 0,
            rejection_report: None,
            sheets: Vec::new(),
            notes: Vec::new(),
            elapsed: Duration::ZERO,
            committing: Duration::ZERO,
        }
    }

    /// True when `read = accepted + rejected + unchanged`, which every
    /// summary this crate returns satisfies.
    pub fn adds_up(&self) -> bool {
        self.read == self.accepted + self.rejected + self.unchanged
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.file.display().to_string());
        write!(f, "导入{}：{name}", self.kind.label())?;
        if let Some(fmt_) = &self.format {
            write!(f, "（{}）", fmt_.label())?;
        }
        writeln!(f)?;
        for s in &self.sheets {
            match s.header_row {
                Some(r) => writeln!(
                    f,
                    "  工作表「{}」：表头在第 {r} 行，数据 {} 行",
                    s.name, s.rows
                )?,
                None => writeln!(
                    f,
                    "  工作表「{}」：不是{}，已跳过",
                    s.name,
                    self.kind.label()
                )?,
            }
        }
        if let Some(b) = self.same_as_batch {
            writeln!(
                f,
                "该文件与批次 #{b} 导入的文件完全相同，本次没有做任何修改：读取 {} 行 = 未变 {} 行",
                self.read, self.unchanged
            )?;
        } else {
            let head = match (self.dry_run, self.batch_id) {
                (true, _) => "试导入（未写入数据库）".to_string(),
                (false, Some(b)) => format!("批次 #{b}"),
                (false, None) => "导入".to_string(),
            };
            writeln!(
                f,
                "{head}：读取 {} 行 = 接受 {} 行 + 退回 {} 行 + 未变 {} 行",
                self.read, self.accepted, self.rejected, self.unchanged
            )?;
            if self.inserted + self.updated > 0 {
                writeln!(
                    f,
                    "登记库新增 {} 条记录，修改 {} 条记录，每项修改都已记入审计日志",
                    self.inserted, self.updated
                )?;
            }
            if self.unresolved > 0 {
                writeln!(
                    f,
                    "其中 {} 行没有可用的身份证号，已作为“待比对人员”保留，留待比对时处理",
                    self.unresolved
                )?;
            }
        }
        if let Some(p) = &self.rejection_report {
            writeln!(f, "退回报告：{}（改正后可直接重新导入）", p.display())?;
        }
        for n in &self.notes {
            writeln!(f, "注意：{n}")?;
        }
        write!(f, "用时 {:.1} 秒", self.elapsed.as_secs_f32())
    }
}

/// One validated row on its way to the store.
#[derive(Debug)]
struct RowItem {
    sheet: usize,
    row: u32,
    raw: Vec<Cell>,
    v: Validated,
}

/// Messages from the reader thread.
#[derive(Debug)]
enum Msg {
    Sheet { name: String, header: Box<Header> },
    Skipped(String),
    Rows(Vec<RowItem>),
    Note(String),
}

/// The reader thread's side: header detection, validation, duplicates.
struct Pipeline {
    kind: ListKind,
    file: String,
    mapping: Option<Mapping>,
    term: Option<Term>,
    today: Date,
    regions: Arc<RegionIndex>,
    schools: Arc<SchoolIndex>,
    school: Option<SchoolCode>,
    tx: mpsc::Sender<Msg>,
    sheet_index: usize,
    sheet_name: String,
    state: SheetState,
    chunk: Vec<RowItem>,
    /// First accepted occurrence of each key in the file: (sheet, row).
    seen: HashMap<String, (usize, u32)>,
    /// First occurrence of each row content: (sheet, row).
    copies: HashMap<u64, (usize, u32)>,
    /// Names of the sheets read so far, by index (the maps above keep the
    /// index, not a copy of the name per row).
    sheet_names: Vec<String>,
    best_miss: Option<(String, u32, Vec<String>)>,
    sheets_found: usize,
    rows: u64,
    footers: u64,
    unheaded: HashMap<usize, u64>,
    /// Set when the async side has gone away (it failed); reading stops.
    closed: bool,
}

enum SheetState {
    Searching(Vec<RawRow>),
    Reading {
        header: Box<Header>,
        idx: FieldIndex,
        rules: RowRules,
        /// Columns with a recognised field, for the duplicate hash.
        data_columns: Vec<usize>,
        /// Per column: true when the header names it at all.
        headed: Vec<bool>,
    },
    Skipped,
}

/// Words that start the signature lines under a table.
const FOOTER_WORDS: &[&str] = &[
    "填表人",
    "填报人",
    "制表人",
    "审核人",
    "负责人",
    "合计",
    "总计",
    "小计",
    "注：",
    "注:",
    "说明：",
    "单位负责人",
    "经办人",
    "联系电话：",
];

fn is_footer(row: &RawRow) -> bool {
    let filled: Vec<String> = row
        .cells
        .iter()
        .filter(|c| !c.is_blank())
        .map(Cell::display)
        .collect();
    filled.len() <= 3
        && filled
            .first()
            .is_some_and(|t| FOOTER_WORDS.iter().any(|w| t.trim_start().starts_with(w)))
}

/// A hash of the row's data cells: the recognised columns only, so that a
/// row pasted twice is found even though its 序号 was renumbered. Text is
/// hashed in place; only the rare non-text cell is rendered first.
fn content_hash(cells: &[Cell], data_columns: &[usize]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for &i in data_columns {
        i.hash(&mut h);
        match cells.get(i) {
            Some(Cell::Text(t)) => t.trim().hash(&mut h),
            Some(Cell::Empty) | None => "".hash(&mut h),
            Some(other) => other.display().hash(&mut h),
        }
    }
    h.finish()
}

/// Finds a term written in a title line ("宁远县2018年秋季建档立卡学生名单").
fn term_in_title(title: &[String]) -> Option<Term> {
    for line in title {
        let chars: Vec<char> = line.chars().collect();
        for start in 0..chars.len() {
            if !chars[start].is_ascii_digit() {
                continue;
            }
            let mut best = None;
            for len in 5..=16.min(chars.len() - start) {
                let s: String = chars[start..start + len].iter().collect();
                if let Ok(t) = Term::parse(&s) {
                    best = Some(t);
                }
            }
            if best.is_some() {
                return best;
            }
        }
    }
    None
}

impl Pipeline {
    fn send(&mut self, msg: Msg) -> Result<(), ImportError> {
        if self.closed {
            return Ok(());
        }
        if self.tx.blocking_send(msg).is_err() {
            self.closed = true;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        if !self.chunk.is_empty() {
            let chunk = std::mem::take(&mut self.chunk);
            self.send(Msg::Rows(chunk))?;
        }
        Ok(())
    }

    /// Decides the header from the buffered rows and replays the data rows
    /// among them.
    fn resolve(&mut self, rows: Vec<RawRow>) -> Result<(), ImportError> {
        match header::detect(self.kind, self.mapping.as_ref(), &rows) {
            Detection::Found(header, flags) => {
                header::check(self.kind, &self.file, &self.sheet_name, &header, &flags)?;
                let mut term = None;
                if self.kind == ListKind::Roster && header.column_of(Field::Term).is_none() {
                    term = self.term.or_else(|| term_in_title(&header.title));
                    if term.is_none() {
                        return Err(ImportError::Options {
                            file: self.file.clone(),
                            detail: format!(
                                "工作表「{}」没有“学期”列，标题中也没有学期（如“2018年秋季”），请指定学期（--term 2018秋）",
                                self.sheet_name
                            ),
                        });
                    }
                } else if self.kind == ListKind::Roster {
                    term = self.term;
                }
                let idx = header.index();
                let rules = RowRules {
                    kind: self.kind,
                    term,
                    today: self.today,
                    regions: self.regions.clone(),
                    schools: self.schools.clone(),
                    school: self.school.clone(),
                    check_registry: !self.regions.is_unchecked(),
                };
                let last = header.last_row;
                self.sheets_found += 1;
                let header = Box::new(header);
                self.send(Msg::Sheet {
                    name: self.sheet_name.clone(),
                    header: header.clone(),
                })?;
                let data_columns = header
                    .columns
                    .iter()
                    .filter(|c| c.field.is_some())
                    .map(|c| c.index)
                    .collect();
                let mut headed = vec![false; header.width()];
                for c in &header.columns {
                    headed[c.index] = true;
                }
                self.state = SheetState::Reading {
                    header,
                    idx,
                    rules,
                    data_columns,
                    headed,
                };
                for r in rows.into_iter().filter(|r| r.row > last) {
                    self.data_row(r)?;
                }
            }
            Detection::NotFound { best } => {
                if let Some((r, cells)) = best
                    && self
                        .best_miss
                        .as_ref()
                        .is_none_or(|b| cells.len() > b.2.len())
                {
                    self.best_miss = Some((self.sheet_name.clone(), r, cells));
                }
                if !rows.is_empty() {
                    self.send(Msg::Skipped(self.sheet_name.clone()))?;
                }
                self.state = SheetState::Skipped;
            }
        }
        Ok(())
    }

    fn data_row(&mut self, raw: RawRow) -> Result<(), ImportError> {
        let SheetState::Reading {
            header,
            idx,
            rules,
            data_columns,
            headed,
        } = &self.state
        else {
            return Ok(());
        };
        if is_footer(&raw) {
            self.footers += 1;
            return Ok(());
        }
        for (i, c) in raw.cells.iter().enumerate().take(headed.len()) {
            if !headed[i] && !c.is_blank() {
                *self.unheaded.entry(i).or_default() += 1;
            }
        }
        let mut v = validate::validate(rules, header, idx, &raw);
        let names = &self.sheet_names;
        let current = self.sheet_index;
        let place = |sheet: usize, row: u32| {
            if sheet == current {
                format!("第 {row} 行")
            } else {
                let name = names.get(sheet).map_or("", String::as_str);
                format!("工作表「{name}」第 {row} 行")
            }
        };
        let key_col = key_field(self.kind).and_then(|f| idx.col(f));
        let duplicate = |reason: String| {
            let column = key_col
                .and_then(|c| header.columns.iter().find(|x| x.index == c))
                .map(|c| c.describe())
                .unwrap_or_default();
            let value = key_col.map(|c| raw.get(c).display()).unwrap_or_default();
            Issue {
                col: key_col,
                column,
                value,
                reason,
            }
        };
        // A row pasted twice is a duplicate whatever else is wrong with it;
        // a different row for the same key is a conflict the file must
        // settle. Either way only the first occurrence is written.
        let hash = content_hash(&raw.cells, data_columns);
        if let Some((sheet, first)) = self.copies.get(&hash) {
            let at = place(*sheet, *first);
            v.issues
                .push(duplicate(format!("与{at}完全相同（重复行），只导入第一行")));
            v.parsed = None;
        } else {
            self.copies.insert(hash, (current, raw.row));
            if let Some(key) = v.key.clone() {
                match self.seen.get(&key) {
                    Some((sheet, first)) => {
                        let at = place(*sheet, *first);
                        v.issues.push(duplicate(format!(
                            "与{at}是同一{}（重复），同一文件中不能出现两次",
                            key_noun(self.kind)
                        )));
                        v.parsed = None;
                    }
                    None => {
                        if v.issues.is_empty() {
                            self.seen.insert(key, (current, raw.row));
                        }
                    }
                }
            }
        }
        self.rows += 1;
        self.chunk.push(RowItem {
            sheet: self.sheet_index,
            row: raw.row,
            raw: raw.cells,
            v,
        });
        if self.chunk.len() >= CHUNK_ROWS {
            self.flush()?;
        }
        Ok(())
    }
}

fn key_field(kind: ListKind) -> Option<Field> {
    match kind {
        ListKind::Schools => Some(Field::SchoolCode),
        ListKind::Regions => Some(Field::RegionCode),
        _ => Some(Field::IdNumber),
    }
}

fn key_noun(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Schools => "所学校（学校标识码相同）",
        ListKind::Regions => "个区划（区划代码相同）",
        ListKind::Accounts => "人的同类账户（身份证号和账户类型相同）",
        _ => "人（身份证号相同）",
    }
}

impl RowSink for Pipeline {
    fn start_sheet(&mut self, start: &SheetStart) -> Result<Flow, ImportError> {
        // The index starts at usize::MAX so that the first sheet is 0.
        self.sheet_index = self.sheet_index.wrapping_add(1);
        self.sheet_name = start.sheet.clone();
        self.sheet_names.push(start.sheet.clone());
        self.state = SheetState::Searching(Vec::new());
        Ok(if self.closed {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }

    fn row(&mut self, row: RawRow) -> Result<Flow, ImportError> {
        if self.closed {
            return Ok(Flow::Stop);
        }
        match &mut self.state {
            SheetState::Searching(buf) => {
                buf.push(row);
                if buf.len() >= HEADER_SEARCH_ROWS {
                    let rows = std::mem::take(buf);
                    self.resolve(rows)?;
                }
            }
            SheetState::Reading { .. } => self.data_row(row)?,
            SheetState::Skipped => return Ok(Flow::NextSheet),
        }
        Ok(Flow::Continue)
    }

    fn end_sheet(&mut self) -> Result<Flow, ImportError> {
        if let SheetState::Searching(buf) = &mut self.state {
            let rows = std::mem::take(buf);
            self.resolve(rows)?;
        }
        self.flush()?;
        Ok(if self.closed {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }

    fn note(&mut self, note: String) {
        let _ = self.send(Msg::Note(note));
    }
}

/// Today's date from the system clock (UTC+8, the county's time zone).
fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs + 8 * 3600) / 86_400;
    Date::from_days_since_epoch(days as i64)
}

/// SHA-256 of a file, hex.
fn file_sha256(path: &Path) -> Result<String, ImportError> {
    let mut f = std::fs::File::open(path).map_err(|e| ImportError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| ImportError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The default place of a rejection report: beside the input, named after it.
fn report_path(path: &Path, dir: Option<&Path>) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "导入".to_string());
    let dir = dir
        .map(Path::to_path_buf)
        .or_else(|| path.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    dir.join(format!("{stem}.退回报告.xlsx"))
}

fn store_err(file: &str) -> impl Fn(StoreError) -> ImportError + use<> {
    let file = file.to_string();
    move |source| ImportError::Store {
        file: file.clone(),
        source,
    }
}

/// Imports one file of `kind` into the registry.
///
/// Accepted rows are written in one audited transaction under a new import
/// batch; rejected rows go to the rejection report; `read = accepted +
/// rejected + unchanged` always holds. Importing a file identical (by
/// SHA-256) to one a finished, not rolled-back batch imported changes
/// nothing and reports every row unchanged, unless `opts.force` is set.
///
/// Needs a file SQLite database or PostgreSQL: merging a partial list reads
/// the registry while the import's write transaction is open, which a
/// single-connection `sqlite::memory:` store cannot do.
pub async fn import_file(
    store: &Store,
    kind: ListKind,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let file = path.display().to_string();
    let mut summary = ImportSummary::new(kind, path, opts.dry_run);
    if opts.actor.trim().is_empty() {
        return Err(ImportError::Options {
            file,
            detail: "没有指定操作人：每一次导入都必须记录是谁导入的".to_string(),
        });
    }
    if let Some(m) = &opts.mapping
        && let Some(f) = m.fields().find(|f| !kind.accepted().contains(f))
    {
        return Err(ImportError::Mapping {
            file: file.clone(),
            detail: format!(
                "映射把某一列对应到「{}」，但{}不使用这一列；{}可用的列：{}",
                f.label(),
                kind.label(),
                kind.label(),
                kind.accepted()
                    .iter()
                    .map(|f| f.label())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        });
    }
    let format = {
        let p = path.to_path_buf();
        tokio::task::spawn_blocking(move || read::detect_format(&p))
            .await
            .map_err(|e| ImportError::Internal {
                file: file.clone(),
                detail: e.to_string(),
            })??
    };
    summary.format = Some(format);
    let sha = {
        let p = path.to_path_buf();
        tokio::task::spawn_blocking(move || file_sha256(&p))
            .await
            .map_err(|e| ImportError::Internal {
                file: file.clone(),
                detail: e.to_string(),
            })??
    };
    let sheet = opts
        .sheet
        .clone()
        .or_else(|| opts.mapping.as_ref().and_then(|m| m.sheet.clone()));
    let batch_sheet = sheet.clone();

    if !opts.force {
        let batches = store
            .list_batches(100_000)
            .await
            .map_err(store_err(&file))?;
        if let Some(b) = batches.iter().find(|b| {
            b.file.sha256 == sha
                && b.file.kind == kind.label()
                && b.file.sheet == batch_sheet
                && b.status == BatchStatus::Done
        }) {
            let n = u64::try_from(b.counts.rows_read).unwrap_or(0);
            summary.same_as_batch = Some(b.id);
            summary.read = n;
            summary.unchanged = n;
            summary.elapsed = started.elapsed();
            return Ok(summary);
        }
    }

    // Name lookups for the lists that give places and schools by name.
    let regions = match kind {
        ListKind::Households | ListKind::Schools => {
            RegionIndex::load(store).await.map_err(store_err(&file))?
        }
        _ => RegionIndex::default(),
    };
    let schools = match kind {
        ListKind::Roster => SchoolIndex::load(store).await.map_err(store_err(&file))?,
        _ => SchoolIndex::default(),
    };

    // The reader thread.
    let (tx, mut rx) = mpsc::channel::<Msg>(8);
    let selection = match &sheet {
        Some(s) => SheetSelection::Named(s.clone()),
        None => SheetSelection::All,
    };
    let mut pipeline = Pipeline {
        kind,
        file: file.clone(),
        mapping: opts.mapping.clone(),
        term: opts.term,
        today: today(),
        regions: Arc::new(regions),
        schools: Arc::new(schools),
        school: opts.school.clone(),
        tx,
        sheet_index: usize::MAX,
        sheet_name: String::new(),
        state: SheetState::Skipped,
        chunk: Vec::new(),
        seen: HashMap::new(),
        copies: HashMap::new(),
        sheet_names: Vec::new(),
        best_miss: None,
        sheets_found: 0,
        rows: 0,
        footers: 0,
        unheaded: HashMap::new(),
        closed: false,
    };
    let reader_path = path.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || {
        let r = read::read_file(&reader_path, format, &selection, &mut pipeline);
        let stats = (
            pipeline.sheets_found,
            pipeline.rows,
            pipeline.footers,
            std::mem::take(&mut pipeline.unheaded),
            pipeline.best_miss.take(),
            pipeline.sheet_name.clone(),
        );
        drop(pipeline);
        r.map(|()| stats)
    });

    // Hold back the first rows: nothing is written until the file has shown
    // it can be read this far.
    let mut held: Vec<Msg> = Vec::new();
    let mut held_rows = 0;
    let mut ended = false;
    while held_rows < PRECHECK_ROWS {
        match rx.recv().await {
            Some(m) => {
                if let Msg::Rows(r) = &m {
                    held_rows += r.len();
                }
                held.push(m);
            }
            None => {
                ended = true;
                break;
            }
        }
    }
    let mut early = None;
    let mut reader = Some(reader);
    if ended && let Some(r) = reader.take() {
        early = Some(join_reader(r, &file).await?);
    }
    if let Some((found, rows, _, _, best, last_sheet)) = &early {
        if *found == 0 {
            return Err(ImportError::NoHeader {
                file,
                kind: kind.label().to_string(),
                expected: expected_columns(kind),
                best: best.clone().map(Box::new),
            });
        }
        if *rows == 0 {
            return Err(ImportError::NoData {
                file,
                sheet: last_sheet.clone(),
            });
        }
    }

    // Open the batch and the transaction.
    let batch_id = if opts.dry_run {
        None
    } else {
        let mut btx = store
            .begin_write(AuditContext {
                actor: opts.actor.clone(),
                reason: format!("导入{}：{}", kind.label(), file_name(path)),
                batch_id: None,
            })
            .await
            .map_err(store_err(&file))?;
        let id = btx
            .create_batch(&NewBatch {
                kind: kind.label().to_string(),
                file_name: file_name(path),
                sheet: batch_sheet.clone(),
                sha256: sha.clone(),
            })
            .await
            .map_err(store_err(&file))?;
        btx.commit().await.map_err(store_err(&file))?;
        Some(id)
    };
    summary.batch_id = batch_id;
    let wtx = store
        .begin_write(AuditContext {
            actor: opts.actor.clone(),
            reason: format!("导入{}：{}", kind.label(), file_name(path)),
            batch_id,
        })
        .await
        .map_err(store_err(&file));
    let wtx = match wtx {
        Ok(mut t) => {
            if let Err(e) = t.prepare_bulk().await {
                let _ = t.rollback().await;
                fail_batch(store, opts, batch_id, &file).await;
                return Err(store_err(&file)(e));
            }
            t
        }
        Err(e) => {
            fail_batch(store, opts, batch_id, &file).await;
            return Err(e);
        }
    };
    let mut writer = Writer {
        store,
        kind,
        file: file.clone(),
        opts,
        tx: wtx,
        batch_id,
        summary,
        report: RejectionReport::new(report_path(path, opts.report_dir.as_deref())),
        sheets: Vec::new(),
        households: HashMap::new(),
        families: HashMap::new(),
        unlinked_welfare: 0,
        today: today(),
        buffered: Vec::new(),
        provenance: Vec::new(),
    };

    let result = async {
        for m in held {
            writer.handle(m).await?;
        }
        while let Some(m) = rx.recv().await {
            writer.handle(m).await?;
        }
        writer.flush_rows().await?;
        let stats = match (early, reader) {
            (Some(s), _) => s,
            (None, Some(r)) => join_reader(r, &file).await?,
            (None, None) => unreachable!("the reader is joined exactly once"),
        };
        Ok::<_, ImportError>(stats)
    }
    .await;
    let stats = match result {
        Ok(s) => s,
        Err(e) => {
            drop(rx);
            let Writer { tx, .. } = writer;
            let _ = tx.rollback().await;
            fail_batch(store, opts, batch_id, &file).await;
            return Err(e);
        }
    };
    writer.finish(stats, started).await
}

fn expected_columns(kind: ListKind) -> Vec<String> {
    let mut v: Vec<String> = kind
        .required()
        .iter()
        .map(|c| c.iter().map(|f| f.label()).collect::<Vec<_>>().join("或"))
        .collect();
    v.push("……".to_string());
    v
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

type ReaderStats = (
    usize,
    u64,
    u64,
    HashMap<usize, u64>,
    Option<(String, u32, Vec<String>)>,
    String,
);

async fn join_reader(
    handle: tokio::task::JoinHandle<Result<ReaderStats, ImportError>>,
    file: &str,
) -> Result<ReaderStats, ImportError> {
    handle.await.map_err(|e| ImportError::Internal {
        file: file.to_string(),
        detail: e.to_string(),
    })?
}

/// Marks a batch 失败 after its transaction was rolled back. A failure here
/// is not reported over the import's own error, which matters more.
async fn fail_batch(store: &Store, opts: &ImportOptions, batch_id: Option<i64>, file: &str) {
    let Some(id) = batch_id else { return };
    if let Ok(mut t) = store
        .begin_write(AuditContext {
            actor: opts.actor.clone(),
            reason: format!("导入失败：{file}"),
            batch_id: Some(id),
        })
        .await
        && t.finish_batch(id, BatchStatus::Failed, &BatchCounts::default())
            .await
            .is_ok()
    {
        let _ = t.commit().await;
    }
}

/// What a written row did: (entity, id, changed anything).
type Written = (&'static str, i64, bool);

/// Roster, households and accounts rows written per bulk chunk.
const BULK_ROWS: usize = 8_000;

/// What applying a row did.
enum Applied {
    Written {
        entity: &'static str,
        id: i64,
        changed: bool,
    },
    Refused {
        issues: Vec<Issue>,
    },
}

/// The async side: applies rows to the store and writes the report.
struct Writer<'a> {
    store: &'a Store,
    kind: ListKind,
    file: String,
    opts: &'a ImportOptions,
    tx: WriteTx,
    batch_id: Option<i64>,
    summary: ImportSummary,
    report: RejectionReport,
    sheets: Vec<(String, Box<Header>)>,
    /// Civil-affairs families by (place, head's name): the head's household,
    /// or `None` when two heads share the name.
    families: HashMap<(String, String), Option<(i64, HouseholdRecord)>>,
    /// Welfare members whose household could not be told.
    unlinked_welfare: u64,
    /// Households written by this file: 户编号 → (id, facts, first row).
    households: HashMap<String, (i64, HouseholdFacts, u32)>,
    today: Date,
    /// Rows waiting to be written in bulk (see [`Writer::flush_rows`]).
    buffered: Vec<RowItem>,
    /// Provenance rows waiting for one multi-row insert.
    provenance: Vec<ImportRowRecord>,
}

impl Writer<'_> {
    async fn handle(&mut self, m: Msg) -> Result<(), ImportError> {
        match m {
            Msg::Sheet { name, header } => {
                self.flush_rows().await?;
                self.summary.sheets.push(SheetSummary {
                    name: name.clone(),
                    header_row: Some(header.row),
                    rows: 0,
                });
                self.sheets.push((name, header));
            }
            Msg::Skipped(name) => {
                self.flush_rows().await?;
                self.summary.sheets.push(SheetSummary {
                    name,
                    header_row: None,
                    rows: 0,
                });
            }
            Msg::Note(n) => self.summary.notes.push(n),
            Msg::Rows(rows) => {
                for item in rows {
                    self.row(item).await?;
                }
                if self.buffered.len() >= BULK_ROWS || self.provenance.len() >= BULK_ROWS {
                    self.flush_rows().await?;
                }
            }
        }
        Ok(())
    }

    /// The sheet a row belongs to: sheets arrive in order and each sheet's
    /// rows follow its header, so it is the last one announced.
    fn current_sheet(&self) -> (String, Box<Header>) {
        self.sheets
            .last()
            .cloned()
            .unwrap_or_else(|| (String::new(), Box::new(empty_header())))
    }

    async fn row(&mut self, item: RowItem) -> Result<(), ImportError> {
        self.summary.read += 1;
        if let Some(s) = self
            .summary
            .sheets
            .iter_mut()
            .rev()
            .find(|s| s.header_row.is_some())
        {
            s.rows += 1;
        }
        if matches!(
            self.kind,
            ListKind::Roster | ListKind::Households | ListKind::Accounts
        ) {
            self.buffered.push(item);
            return Ok(());
        }
        let row_no = i64::from(item.row);
        let mut issues = Vec::new();
        let mut written = None;
        if let Some(parsed) = &item.v.parsed {
            match self.apply(parsed, row_no).await? {
                Applied::Written {
                    entity,
                    id,
                    changed,
                } => written = Some((entity, id, changed)),
                Applied::Refused { issues: more } => issues.extend(more),
            }
        }
        self.settle(&item, written, issues)
    }

    /// Writes the buffered rows in bulk and the pending provenance.
    ///
    /// Roster, households and accounts rows are written a chunk at a time
    /// through the store's bulk methods: the same rows, outcomes and audit
    /// entries as row by row, in a few statements per chunk. A chunk is cut where an ID number
    /// repeats, so a later row is merged with what the earlier one wrote.
    async fn flush_rows(&mut self) -> Result<(), ImportError> {
        let items = std::mem::take(&mut self.buffered);
        let mut written = Vec::with_capacity(items.len());
        let mut start = 0;
        let mut ids = std::collections::HashSet::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(person) = item.v.parsed.as_ref().and_then(Parsed::person)
                && let Some(id) = &person.id
                && !ids.insert(id.as_str())
            {
                written.extend(self.apply_chunk(&items[start..i]).await?);
                start = i;
                ids.clear();
                ids.insert(id.as_str());
            }
        }
        written.extend(self.apply_chunk(&items[start..]).await?);
        for (item, (w, issues)) in items.iter().zip(written) {
            self.settle(item, w, issues)?;
        }
        if let Some(batch) = self.batch_id
            && !self.provenance.is_empty()
        {
            let rows = std::mem::take(&mut self.provenance);
            self.tx
                .record_import_rows_bulk(batch, &rows)
                .await
                .map_err(store_err(&self.file))?;
        }
        Ok(())
    }

    /// Writes buffered rows (no ID number repeated among them) in bulk;
    /// returns what each row wrote and why it was refused, in order.
    async fn apply_chunk(
        &mut self,
        items: &[RowItem],
    ) -> Result<Vec<(Option<Written>, Vec<Issue>)>, ImportError> {
        match self.kind {
            ListKind::Households => return self.apply_households(items).await,
            ListKind::Accounts => return self.apply_accounts(items).await,
            _ => {}
        }
        Ok(self
            .apply_rosters(items)
            .await?
            .into_iter()
            .map(|w| (w, Vec::new()))
            .collect())
    }

    /// Writes 建档立卡 rows (no ID number repeated among them) in bulk, with
    /// the per-row path's rules: a household is written by the first row
    /// that states it and later rows must state it alike; a member row's
    /// 户编号 must name a household of the registry or of an earlier row;
    /// a refused row writes nothing. Households first, then persons, then
    /// the persons' links to their households.
    async fn apply_households(
        &mut self,
        items: &[RowItem],
    ) -> Result<Vec<(Option<Written>, Vec<Issue>)>, ImportError> {
        let err = store_err(&self.file);
        let mut out: Vec<(Option<Written>, Vec<Issue>)> = vec![(None, Vec::new()); items.len()];
        // The registry's households this chunk names, read before anything
        // of the chunk is written (as the per-row path saw them).
        let mut nos: Vec<&str> = Vec::new();
        for item in items {
            if let Some(Parsed::Household {
                household, link, ..
            }) = &item.v.parsed
            {
                let no = household
                    .as_ref()
                    .map(|h| h.household_no.as_str())
                    .or(link.as_deref());
                if let Some(no) = no
                    && !self.households.contains_key(no)
                {
                    nos.push(no);
                }
            }
        }
        let registry = if nos.is_empty() {
            HashMap::new()
        } else {
            self.tx.households_by_nos(&nos).await.map_err(&err)?
        };
        // Which household each row belongs to: written before this chunk,
        // new in it (index into `new`), or the registry's.
        enum Link {
            Known(i64),
            New(usize),
        }
        let mut new: Vec<(HouseholdRecord, Option<i64>)> = Vec::new();
        let mut new_index: HashMap<&str, (usize, usize)> = HashMap::new(); // no → (new, item)
        let mut rows: Vec<(usize, Option<Link>)> = Vec::new(); // (item, household)
        for (i, item) in items.iter().enumerate() {
            let Some(Parsed::Household {
                household, link, ..
            }) = &item.v.parsed
            else {
                continue;
            };
            let row = i64::from(item.row);
            if let Some(h) = household {
                let no = h.household_no.as_str();
                let first = match self.households.get(no) {
                    Some((id, facts, first_row)) => Some((Link::Known(*id), facts, *first_row)),
                    None => new_index.get(no).map(|(n, at)| {
                        let Some(Parsed::Household {
                            household: Some(facts),
                            ..
                        }) = &items[*at].v.parsed
                        else {
                            unreachable!("indexed rows define a household")
                        };
                        (Link::New(*n), facts, items[*at].row)
                    }),
                };
                match first {
                    Some((_, facts, first_row)) if facts != h => {
                        let Applied::Refused { issues } = self.refuse(
                            Field::HouseholdNo,
                            no,
                            format!(
                                "户编号 {no} 的户信息（区划、户主、脱贫状态、低保、特困、致贫原因或收入）与第 {first_row} 行不一致"
                            ),
                        ) else {
                            unreachable!("refuse refuses")
                        };
                        out[i].1 = issues;
                    }
                    Some((link, _, _)) => rows.push((i, Some(link))),
                    None => {
                        let existing = registry.get(no).map(|x| x.record.clone());
                        new_index.insert(no, (new.len(), i));
                        rows.push((i, Some(Link::New(new.len()))));
                        new.push((merge_household(existing, h), Some(row)));
                    }
                }
            } else if let Some(no) = link {
                let found = match self.households.get(no.as_str()) {
                    Some((id, _, _)) => Some(Link::Known(*id)),
                    None => match new_index.get(no.as_str()) {
                        Some((n, _)) => Some(Link::New(*n)),
                        None => registry.get(no.as_str()).map(|h| Link::Known(h.id)),
                    },
                };
                match found {
                    Some(l) => rows.push((i, Some(l))),
                    None => {
                        let Applied::Refused { issues } = self.refuse(
                            Field::HouseholdNo,
                            no,
                            format!("户编号 {no} 不在建档立卡户名单中；请先导入贫困户名单（households），或核对户编号"),
                        ) else {
                            unreachable!("refuse refuses")
                        };
                        out[i].1 = issues;
                    }
                }
            } else {
                rows.push((i, None));
            }
        }
        let mut changed = vec![false; items.len()];
        let mut new_ids = Vec::with_capacity(new.len());
        if !new.is_empty() {
            let done = self.tx.upsert_households_bulk(&new).await.map_err(&err)?;
            for ((record, row), u) in new.iter().zip(&done) {
                let at = new_index[record.household_no.as_str()].1;
                changed[at] |= self.count(u.outcome);
                let Some(Parsed::Household {
                    household: Some(facts),
                    ..
                }) = &items[at].v.parsed
                else {
                    unreachable!("indexed rows define a household")
                };
                self.households.insert(
                    record.household_no.clone(),
                    (u.id, facts.clone(), row.unwrap_or_default() as u32),
                );
                new_ids.push(u.id);
            }
        }
        if rows.is_empty() {
            return Ok(out);
        }
        let keys: Vec<(Option<&IdNumber>, Option<i64>)> = rows
            .iter()
            .map(|(i, _)| {
                let Some(Parsed::Household { person, .. }) = &items[*i].v.parsed else {
                    unreachable!("only household rows are kept")
                };
                (person.id.as_ref(), Some(i64::from(items[*i].row)))
            })
            .collect();
        let persons = self
            .tx
            .merge_persons_bulk(&keys, |n, existing| {
                let Some(Parsed::Household { person, .. }) = &items[rows[n].0].v.parsed else {
                    unreachable!("only household rows are kept")
                };
                merge_person(existing, person)
            })
            .await
            .map_err(&err)?;
        let mut links = Vec::new();
        for ((i, link), p) in rows.iter().zip(&persons) {
            changed[*i] |= self.count(p.outcome);
            let household = match link {
                Some(Link::Known(id)) => Some(*id),
                Some(Link::New(n)) => Some(new_ids[*n]),
                None => None,
            };
            if let Some(h) = household {
                links.push((*i, (p.id, Some(h), Some(i64::from(items[*i].row)))));
            }
        }
        if !links.is_empty() {
            let (owners, records): (Vec<usize>, Vec<_>) = links.into_iter().unzip();
            let done = self
                .tx
                .set_person_households_bulk(&records)
                .await
                .map_err(&err)?;
            for (i, o) in owners.into_iter().zip(done) {
                changed[i] |= self.count(o);
            }
        }
        for ((i, _), p) in rows.iter().zip(&persons) {
            out[*i].0 = Some(("persons", p.id, changed[*i]));
        }
        Ok(out)
    }

    /// Writes 资助卡 rows (no ID number repeated among them) in bulk: the
    /// persons merged with the registry, then their accounts.
    async fn apply_accounts(
        &mut self,
        items: &[RowItem],
    ) -> Result<Vec<(Option<Written>, Vec<Issue>)>, ImportError> {
        let err = store_err(&self.file);
        let mut out: Vec<(Option<Written>, Vec<Issue>)> = vec![(None, Vec::new()); items.len()];
        let rows: Vec<(usize, &PersonFacts, Option<&AccountFacts>, i64)> = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match &item.v.parsed {
                Some(Parsed::Account { person, account }) => {
                    Some((i, person, account.as_ref(), i64::from(item.row)))
                }
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            return Ok(out);
        }
        let keys: Vec<(Option<&IdNumber>, Option<i64>)> = rows
            .iter()
            .map(|(_, p, _, row)| (p.id.as_ref(), Some(*row)))
            .collect();
        let persons = self
            .tx
            .merge_persons_bulk(&keys, |n, existing| merge_person(existing, rows[n].1))
            .await
            .map_err(&err)?;
        let mut changed: Vec<bool> = persons.iter().map(|p| self.count(p.outcome)).collect();
        let mut accounts = Vec::new();
        for (n, (_, _, account, row)) in rows.iter().enumerate() {
            if let Some(a) = account {
                accounts.push((n, (self.account_record(persons[n].id, a), Some(*row))));
            }
        }
        self.write_accounts(accounts, &mut changed).await?;
        for (n, (i, _, _, _)) in rows.iter().enumerate() {
            out[*i].0 = Some(("persons", persons[n].id, changed[n]));
        }
        Ok(out)
    }

    /// Writes accounts in bulk, each with the index of its owner's row in
    /// `changed`, and marks the owners whose account changed.
    async fn write_accounts(
        &mut self,
        accounts: Vec<(usize, (BankAccountRecord, Option<i64>))>,
        changed: &mut [bool],
    ) -> Result<(), ImportError> {
        if accounts.is_empty() {
            return Ok(());
        }
        let (owners, records): (Vec<usize>, Vec<_>) = accounts.into_iter().unzip();
        let done = self
            .tx
            .set_bank_accounts_bulk(&records)
            .await
            .map_err(store_err(&self.file))?;
        for (n, u) in owners.into_iter().zip(done) {
            changed[n] |= self.count(u.outcome);
        }
        Ok(())
    }

    /// Writes roster rows (no ID number repeated among them) in bulk;
    /// returns what each row wrote, in order.
    async fn apply_rosters(
        &mut self,
        items: &[RowItem],
    ) -> Result<Vec<Option<Written>>, ImportError> {
        let err = store_err(&self.file);
        let rosters: Vec<(usize, &PersonFacts, i64)> = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match &item.v.parsed {
                Some(Parsed::Roster { person, .. }) => Some((i, person, i64::from(item.row))),
                _ => None,
            })
            .collect();
        let mut out: Vec<Option<Written>> = vec![None; items.len()];
        if rosters.is_empty() {
            return Ok(out);
        }
        let keys: Vec<(Option<&IdNumber>, Option<i64>)> = rosters
            .iter()
            .map(|(_, p, row)| (p.id.as_ref(), Some(*row)))
            .collect();
        let persons = self
            .tx
            .merge_persons_bulk(&keys, |n, existing| merge_person(existing, rosters[n].1))
            .await
            .map_err(&err)?;
        let mut changed: Vec<bool> = persons.iter().map(|p| self.count(p.outcome)).collect();
        let mut enrollments = Vec::new();
        let mut guardians = Vec::new();
        for (n, (i, _, row)) in rosters.iter().enumerate() {
            let Some(Parsed::Roster {
                enrollment,
                guardian,
                ..
            }) = &items[*i].v.parsed
            else {
                continue;
            };
            let person_id = persons[n].id;
            if let Some(e) = enrollment {
                let r = EnrollmentRecord {
                    person_id,
                    term: e.term,
                    school_code: e.school_code.clone(),
                    grade: e.grade,
                    class_name: e.class_name.clone(),
                    boarding: e.boarding,
                    status: e.status,
                    out_of_county: e.out_of_county,
                    out_of_county_place: e.out_of_county_place.clone(),
                    student_no: e.student_no.clone(),
                };
                enrollments.push((n, (r, Some(*row))));
            }
            if let Some(g) = guardian {
                let r = GuardianRecord {
                    person_id,
                    name: g.name.clone(),
                    relation: g.relation.clone(),
                    id_number: g.id.clone(),
                    phone: g.phone.clone(),
                };
                guardians.push((n, (r, Some(*row))));
            }
        }
        if !enrollments.is_empty() {
            let (owners, records): (Vec<usize>, Vec<_>) = enrollments.into_iter().unzip();
            let done = self
                .tx
                .upsert_enrollments_bulk(&records)
                .await
                .map_err(&err)?;
            for (n, u) in owners.into_iter().zip(done) {
                changed[n] |= self.count(u.outcome);
            }
        }
        if !guardians.is_empty() {
            let (owners, records): (Vec<usize>, Vec<_>) = guardians.into_iter().unzip();
            let done = self.tx.add_guardians_bulk(&records).await.map_err(&err)?;
            for (n, u) in owners.into_iter().zip(done) {
                changed[n] |= self.count(u.outcome);
            }
        }
        let mut accounts = Vec::new();
        for (n, (i, _, row)) in rosters.iter().enumerate() {
            if let Some(Parsed::Roster { accounts: list, .. }) = &items[*i].v.parsed {
                for a in list {
                    accounts.push((n, (self.account_record(persons[n].id, a), Some(*row))));
                }
            }
        }
        self.write_accounts(accounts, &mut changed).await?;
        for (n, (i, _, _)) in rosters.iter().enumerate() {
            out[*i] = Some(("persons", persons[n].id, changed[n]));
        }
        Ok(out)
    }

    /// Counts a row's outcome, adds it to the rejection report when it has
    /// problems, and queues its provenance row.
    fn settle(
        &mut self,
        item: &RowItem,
        written: Option<Written>,
        more_issues: Vec<Issue>,
    ) -> Result<(), ImportError> {
        let sheet_name = self.sheets.last().map(|s| s.0.clone());
        let row_no = i64::from(item.row);
        let mut issues = item.v.issues.clone();
        issues.extend(more_issues);
        let outcome = if !issues.is_empty() {
            self.summary.rejected += 1;
            if written.is_some() {
                self.summary.unresolved += 1;
            }
            let (name, header) = self.current_sheet();
            self.report
                .add(item.sheet, &name, &header, item.row, &item.raw, &issues)
                .map_err(|e| ImportError::Report {
                    file: self.report.path().display().to_string(),
                    detail: e.to_string(),
                })?;
            RowOutcome::Rejected
        } else if written.is_some_and(|w| w.2) {
            self.summary.accepted += 1;
            RowOutcome::Accepted
        } else {
            self.summary.unchanged += 1;
            RowOutcome::Unchanged
        };
        if self.batch_id.is_some() {
            let reason = if issues.is_empty() {
                None
            } else {
                let mut r = issues
                    .iter()
                    .map(|i| {
                        if i.column.is_empty() {
                            i.reason.clone()
                        } else {
                            format!("{}：{}", i.column, i.reason)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("；");
                if written.is_some() {
                    r.push_str("（已作为待比对人员保留）");
                }
                Some(r)
            };
            self.provenance.push(ImportRowRecord {
                row_no,
                sheet: sheet_name,
                entity: written.map_or(entity_of(self.kind), |w| w.0).to_string(),
                entity_id: written.map(|w| w.1),
                outcome,
                reason,
            });
        }
        Ok(())
    }

    fn count(&mut self, o: Outcome) -> bool {
        match o {
            Outcome::Inserted => {
                self.summary.inserted += 1;
                true
            }
            Outcome::Updated => {
                self.summary.updated += 1;
                true
            }
            Outcome::Unchanged => false,
        }
    }

    /// The registry's person merged with what the list says.
    async fn person_record(&self, facts: &PersonFacts) -> Result<PersonRecord, ImportError> {
        let existing = match &facts.id {
            Some(id) => self
                .store
                .get_person_by_id_number(id)
                .await
                .map_err(store_err(&self.file))?
                .map(|p| p.record),
            None => None,
        };
        Ok(merge_person(existing, facts))
    }

    /// Writes one row of a list that goes row by row (disabled, welfare,
    /// population, schools, regions). Rosters, households and accounts are
    /// buffered by [`Writer::row`] and written in bulk instead.
    async fn apply(&mut self, parsed: &Parsed, row: i64) -> Result<Applied, ImportError> {
        let err = store_err(&self.file);
        match parsed {
            Parsed::Roster { .. } | Parsed::Household { .. } | Parsed::Account { .. } => {
                Err(ImportError::Internal {
                    file: self.file.clone(),
                    detail: "学籍、建档立卡和资助卡的行应批量写入，不应逐行写入".to_string(),
                })
            }
            Parsed::Person { person, guardian } => {
                let record = self.person_record(person).await?;
                let p = self
                    .tx
                    .upsert_person(&record, Some(row))
                    .await
                    .map_err(&err)?;
                let mut changed = self.count(p.outcome);
                if let Some(g) = guardian {
                    changed |= self.guardian(p.id, g, row).await?;
                }
                Ok(Applied::Written {
                    entity: "persons",
                    id: p.id,
                    changed,
                })
            }
            Parsed::Welfare {
                person,
                welfare,
                household_no,
                family,
                guardian,
            } => {
                let existing = match &person.id {
                    Some(id) => self.store.get_person_by_id_number(id).await.map_err(&err)?,
                    None => None,
                };
                let household_id = existing.as_ref().and_then(|p| p.household_id);
                let record = merge_person(existing.map(|p| p.record), person);
                let p = self
                    .tx
                    .upsert_person(&record, Some(row))
                    .await
                    .map_err(&err)?;
                let mut changed = self.count(p.outcome);
                if let Some(g) = guardian {
                    changed |= self.guardian(p.id, g, row).await?;
                }
                let flag = match welfare {
                    WelfareType::UrbanDibao | WelfareType::RuralDibao => Some((true, false)),
                    WelfareType::Tekun => Some((false, true)),
                    WelfareType::Orphan | WelfareType::DeFactoOrphan => None,
                };
                if let Some((dibao, tekun)) = flag {
                    changed |= self
                        .welfare_household(
                            p.id,
                            person,
                            household_no.as_deref(),
                            household_id,
                            family,
                            (dibao, tekun),
                            row,
                        )
                        .await?;
                }
                Ok(Applied::Written {
                    entity: "persons",
                    id: p.id,
                    changed,
                })
            }
            Parsed::School(s) => {
                let o = self.tx.upsert_school(s, Some(row)).await.map_err(&err)?;
                let changed = self.count(o);
                Ok(Applied::Written {
                    entity: "schools",
                    id: 0,
                    changed,
                })
            }
            Parsed::Region(r) => {
                let o = self.tx.upsert_region(r, Some(row)).await.map_err(&err)?;
                let changed = self.count(o);
                Ok(Applied::Written {
                    entity: "regions",
                    id: 0,
                    changed,
                })
            }
        }
    }

    fn refuse(&self, field: Field, value: &str, reason: String) -> Applied {
        let header = self.sheets.last().map(|s| &s.1);
        let col = header.and_then(|h| h.column_of(field));
        Applied::Refused {
            issues: vec![Issue {
                col: col.map(|c| c.index),
                column: col.map(|c| c.describe()).unwrap_or_default(),
                value: value.to_string(),
                reason,
            }],
        }
    }

    async fn guardian(
        &mut self,
        person_id: i64,
        g: &GuardianFacts,
        row: i64,
    ) -> Result<bool, ImportError> {
        let r = GuardianRecord {
            person_id,
            name: g.name.clone(),
            relation: g.relation.clone(),
            id_number: g.id.clone(),
            phone: g.phone.clone(),
        };
        let u = self
            .tx
            .add_guardian(&r, Some(row))
            .await
            .map_err(store_err(&self.file))?;
        Ok(self.count(u.outcome))
    }

    /// The account a list row states, for a person.
    fn account_record(&self, person_id: i64, a: &AccountFacts) -> BankAccountRecord {
        BankAccountRecord {
            person_id,
            kind: a.kind,
            bank_name: a.bank_name.clone(),
            account_no: a.account_no.clone(),
            holder_name: a.holder_name.clone(),
            holder_relation: a.holder_relation.clone(),
            valid_from: a.valid_from.unwrap_or(self.today),
        }
    }

    /// Records a 低保 or 特困 flag on the person's household: the one the list
    /// names by 户编号, the one the person already belongs to, the one this
    /// file's row for their head created, or, for a head, a civil-affairs
    /// household keyed by the head's ID (status 无: not a registered poor
    /// household). A member whose household cannot be told is counted and
    /// named in the summary, never linked by guesswork.
    #[expect(clippy::too_many_arguments, reason = "the row's facts, spelled out")]
    async fn welfare_household(
        &mut self,
        person_id: i64,
        person: &PersonFacts,
        household_no: Option<&str>,
        household_id: Option<i64>,
        family: &Family,
        (dibao, tekun): (bool, bool),
        row: i64,
    ) -> Result<bool, ImportError> {
        let err = store_err(&self.file);
        let family_key = family.head_name.clone().map(|h| (family.place.clone(), h));
        let existing = match (household_no, household_id) {
            (Some(no), _) => self
                .store
                .get_household_by_no(no)
                .await
                .map_err(&err)?
                .map(|h| h.record),
            (None, Some(id)) => self
                .store
                .get_household(id)
                .await
                .map_err(&err)?
                .map(|h| h.record),
            (None, None) if !family.is_head => {
                match family_key.as_ref().and_then(|k| self.families.get(k)) {
                    Some(Some((_, record))) => Some(record.clone()),
                    _ => None,
                }
            }
            (None, None) => None,
        };
        let record = match existing {
            Some(h) => HouseholdRecord {
                dibao: h.dibao || dibao,
                tekun: h.tekun || tekun,
                ..h
            },
            None => {
                let (Some(id), true) = (&person.id, family.is_head) else {
                    self.unlinked_welfare += 1;
                    return Ok(false);
                };
                let region =
                    RegionCode::parse(id.area_code()).map_err(|e| ImportError::Internal {
                        file: self.file.clone(),
                        detail: e.to_string(),
                    })?;
                HouseholdRecord {
                    household_no: household_no
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("民政-{}", id.as_str())),
                    region_code: region,
                    head_id_number: Some(id.clone()),
                    poverty_status: PovertyStatus::NotRegistered,
                    lifted_year: None,
                    dibao,
                    tekun,
                    cause: None,
                    income_per_capita: None,
                }
            }
        };
        let u = self
            .tx
            .upsert_household(&record, Some(row))
            .await
            .map_err(&err)?;
        let mut changed = self.count(u.outcome);
        if family.is_head
            && let Some(k) = family_key
        {
            // Two heads of the same name in one village make the name
            // useless for linking their members: remember that instead.
            let entry = self.families.entry(k).or_insert(None);
            *entry = match entry.take() {
                None => Some((u.id, record.clone())),
                Some((id, _)) if id == u.id => Some((u.id, record.clone())),
                Some(_) => None,
            };
        }
        if household_id != Some(u.id) {
            let o = self
                .tx
                .set_person_household(person_id, Some(u.id), Some(row))
                .await
                .map_err(&err)?;
            changed |= self.count(o);
        }
        Ok(changed)
    }

    async fn finish(
        mut self,
        stats: ReaderStats,
        started: Instant,
    ) -> Result<ImportSummary, ImportError> {
        let (_, _, footers, unheaded, _, _) = stats;
        if self.unlinked_welfare > 0 {
            self.summary.notes.push(format!(
                "有 {} 人的低保/特困身份没有记到户上：他们不是户主，文件中也找不到唯一的同名户主，且不属于已知的建档立卡户；人员本身已导入",
                self.unlinked_welfare
            ));
        }
        if footers > 0 {
            self.summary.notes.push(format!(
                "有 {footers} 行是表尾的签名或合计行（填表人、审核人、合计等），不是数据，未计入"
            ));
        }
        let mut unheaded: Vec<_> = unheaded.into_iter().collect();
        unheaded.sort();
        for (col, n) in unheaded {
            self.summary.notes.push(format!(
                "{} 列没有列名，其中 {n} 行有内容，未导入；如需导入请在表头填上列名",
                crate::text::column_letter(col)
            ));
        }
        let unused = unstored_columns(self.kind, &self.sheets);
        if !unused.is_empty() {
            self.summary.notes.push(format!(
                "以下列已识别并校验，但登记库暂无对应字段，未入库：{}",
                unused.join("、")
            ));
        }
        let counts = BatchCounts {
            rows_read: self.summary.read as i64,
            rows_accepted: self.summary.accepted as i64,
            rows_rejected: self.summary.rejected as i64,
            rows_unchanged: self.summary.unchanged as i64,
        };
        let file = self.file.clone();
        let batch_id = self.batch_id;
        let opts = self.opts;
        let store = self.store;
        let report = if self.report.rows() > 0 {
            Some(self.report)
        } else {
            None
        };
        let mut summary = self.summary;
        let mut tx = self.tx;
        // The rejection report is written before the commit: a report that
        // cannot be written (no such folder, disk full, no permission) must
        // not leave an import committed whose rejected rows nobody can see.
        // Such a failure rolls the whole file back, like any other.
        let mut saved_report = None;
        if let Some(report) = report {
            let path = report.path().to_path_buf();
            let saved = tokio::task::spawn_blocking(move || {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| (path.clone(), e.to_string()))?;
                }
                report.save().map_err(|e| (path, e.to_string()))
            })
            .await
            .map_err(|e| ImportError::Internal {
                file: file.clone(),
                detail: e.to_string(),
            })
            .and_then(|r| {
                r.map_err(|(path, detail)| ImportError::Report {
                    file: path.display().to_string(),
                    detail,
                })
            });
            match saved {
                Ok(p) => saved_report = Some(p),
                Err(e) => {
                    let _ = tx.rollback().await;
                    fail_batch(store, opts, batch_id, &file).await;
                    return Err(e);
                }
            }
        }
        let r = async {
            if let Some(id) = batch_id {
                tx.finish_batch(id, BatchStatus::Done, &counts)
                    .await
                    .map_err(store_err(&file))?;
            }
            let committing = Instant::now();
            if opts.dry_run {
                tx.rollback().await.map_err(store_err(&file))?;
            } else {
                tx.commit().await.map_err(store_err(&file))?;
            }
            Ok::<Duration, ImportError>(committing.elapsed())
        }
        .await;
        match r {
            Ok(d) => summary.committing = d,
            Err(e) => {
                if let Some(p) = &saved_report {
                    let _ = std::fs::remove_file(p);
                }
                fail_batch(store, opts, batch_id, &file).await;
                return Err(e);
            }
        }
        summary.rejection_report = saved_report;
        summary.elapsed = started.elapsed();
        debug_assert!(summary.adds_up());
        Ok(summary)
    }
}

fn empty_header() -> Header {
    Header {
        row: 0,
        last_row: 0,
        columns: Vec::new(),
        title: Vec::new(),
    }
}

fn entity_of(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Schools => "schools",
        ListKind::Regions => "regions",
        _ => "persons",
    }
}

/// The fields a list may carry that the registry does not store yet; they
/// are validated and named in the summary so nobody believes they were kept.
fn unstored_columns(kind: ListKind, sheets: &[(String, Box<Header>)]) -> Vec<String> {
    let unstored: &[Field] = match kind {
        ListKind::Roster => &[
            Field::PovertyType,
            Field::HukouType,
            Field::HukouPlace,
            Field::LocalStudentNo,
            Field::Phone,
            Field::HolderId,
            Field::PassbookHolderId,
            Field::MentorName,
            Field::MentorUnit,
            Field::MentorPost,
            Field::MentorPhone,
        ],
        ListKind::Households => &[
            Field::Relation,
            Field::Phone,
            Field::HouseholdSize,
            Field::InSchool,
            Field::SchoolName,
        ],
        ListKind::Disabled => &[
            Field::DisabilityCertNo,
            Field::CertDate,
            Field::Phone,
            Field::HukouType,
            Field::HukouPlace,
        ],
        ListKind::Welfare => &[
            Field::WelfareCertNo,
            Field::WelfareStart,
            Field::SupportMode,
            Field::HeadName,
            Field::HeadId,
            Field::Relation,
            Field::HouseholdSize,
            Field::Amount,
            Field::Phone,
            Field::RegionCode,
        ],
        ListKind::Population => &[
            Field::HukouType,
            Field::HukouPlace,
            Field::HeadName,
            Field::Relation,
            Field::RegionCode,
        ],
        ListKind::Accounts => &[
            Field::HolderId,
            Field::SchoolName,
            Field::SchoolCode,
            Field::Phone,
        ],
        ListKind::Schools => &[
            Field::SchoolCategory,
            Field::Address,
            Field::Phone,
            Field::StudentCount,
            Field::KeySchool,
            Field::Tuition,
        ],
        ListKind::Regions => &[Field::RegionLevel],
    };
    let mut out = Vec::new();
    for f in unstored {
        if sheets.iter().any(|(_, h)| h.column_of(*f).is_some()) {
            out.push(f.label().to_string());
        }
    }
    out
}

/// The registry's record with every fact the list states laid over it.
pub(crate) fn merge_person(existing: Option<PersonRecord>, f: &PersonFacts) -> PersonRecord {
    let e = existing.unwrap_or_else(|| PersonRecord {
        id_number: None,
        name: f
            .name
            .clone()
            .unwrap_or_else(|| PersonName::parse("未知").expect("a fixed valid name")),
        sex: None,
        birth_date: None,
        ethnicity: None,
        disability_category: None,
        disability_level: None,
        orphan: false,
        left_behind: false,
        martyr_child: false,
        address: None,
    });
    let id_number: Option<IdNumber> = f.id.clone().or(e.id_number);
    PersonRecord {
        sex: f
            .sex
            .or(e.sex)
            .or_else(|| id_number.as_ref().map(IdNumber::sex)),
        birth_date: f
            .birth_date
            .or(e.birth_date)
            .or_else(|| id_number.as_ref().map(IdNumber::birth_date)),
        id_number,
        name: f.name.clone().unwrap_or(e.name),
        ethnicity: f.ethnicity.clone().or(e.ethnicity),
        disability_category: f.disability_category.clone().or(e.disability_category),
        disability_level: f.disability_level.clone().or(e.disability_level),
        orphan: f.orphan.unwrap_or(e.orphan),
        left_behind: f.left_behind.unwrap_or(e.left_behind),
        martyr_child: f.martyr_child.unwrap_or(e.martyr_child),
        address: f.address.clone().or(e.address),
    }
}

fn merge_household(existing: Option<HouseholdRecord>, h: &HouseholdFacts) -> HouseholdRecord {
    HouseholdRecord {
        household_no: h.household_no.clone(),
        region_code: h.region_code.clone(),
        head_id_number: h
            .head_id
            .clone()
            .or_else(|| existing.as_ref().and_then(|e| e.head_id_number.clone())),
        poverty_status: h.status,
        lifted_year: h.lifted_year.or_else(|| {
            existing
                .as_ref()
                .filter(|_| h.status == PovertyStatus::Lifted)
                .and_then(|e| e.lifted_year)
        }),
        dibao: h
            .dibao
            .unwrap_or_else(|| existing.as_ref().is_some_and(|e| e.dibao)),
        tekun: h
            .tekun
            .unwrap_or_else(|| existing.as_ref().is_some_and(|e| e.tekun)),
        cause: h
            .cause
            .clone()
            .or_else(|| existing.as_ref().and_then(|e| e.cause.clone())),
        income_per_capita: h
            .income
            .or_else(|| existing.as_ref().and_then(|e| e.income_per_capita)),
    }
}

/// Reads and validates a file without a store, returning (rows, rows with
/// problems): the bench uses it to time reading and validation alone.
/// Codes and names are not checked against the registry here.
pub fn validate_file(
    kind: ListKind,
    path: &Path,
    opts: &ImportOptions,
) -> Result<(u64, u64), ImportError> {
    let format = read::detect_format(path)?;
    let (tx, mut rx) = mpsc::channel::<Msg>(8);
    let sheet = opts.sheet.clone();
    let mut pipeline = Pipeline {
        kind,
        file: path.display().to_string(),
        mapping: opts.mapping.clone(),
        term: opts.term,
        today: today(),
        regions: Arc::new(RegionIndex::unchecked()),
        schools: Arc::new(SchoolIndex::default()),
        school: opts.school.clone(),
        tx,
        sheet_index: usize::MAX,
        sheet_name: String::new(),
        state: SheetState::Skipped,
        chunk: Vec::new(),
        seen: HashMap::new(),
        copies: HashMap::new(),
        sheet_names: Vec::new(),
        best_miss: None,
        sheets_found: 0,
        rows: 0,
        footers: 0,
        unheaded: HashMap::new(),
        closed: false,
    };
    let p = path.to_path_buf();
    let handle = std::thread::spawn(move || {
        let sel = match sheet {
            Some(s) => SheetSelection::Named(s),
            None => SheetSelection::All,
        };
        read::read_file(&p, format, &sel, &mut pipeline)
    });
    let mut read_rows = 0;
    let mut rejected = 0;
    while let Some(m) = rx.blocking_recv() {
        if let Msg::Rows(rows) = m {
            read_rows += rows.len() as u64;
            rejected += rows.iter().filter(|r| !r.v.issues.is_empty()).count() as u64;
        }
    }
    handle.join().map_err(|_| ImportError::Internal {
        file: path.display().to_string(),
        detail: "读取线程崩溃".to_string(),
    })??;
    Ok((read_rows, rejected))
}
