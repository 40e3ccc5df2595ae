//! The department lists: their file names, headers, title rows and
//! encodings, and a writer that numbers rows, injects errors, appends
//! duplicate rows and logs every change.

use crate::config::ErrorKind;
use crate::error::GenError;
use crate::inject::{Cell, CellError, Injector, OutCell};
use crate::rng::{GenRng, domain, stream};
use crate::sink::{CsvEncoding, CsvSink, XlsxSink};
use std::path::{Path, PathBuf};

/// A list file the generator writes (each as `.xlsx` and/or `.csv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ListFile {
    /// 教育局 学籍名册: every student per school, from the 学籍 system.
    Roster,
    /// 扶贫办 建档立卡贫困户: one row per registered poor household.
    PovertyHouseholds,
    /// 扶贫办 建档立卡贫困人口: one row per member of those households.
    PovertyMembers,
    /// 残联 持证残疾儿童少年名册.
    Disabled,
    /// 民政局 城乡低保对象名册 (one row per covered person).
    Dibao,
    /// 民政局 特困供养人员名册.
    Tekun,
    /// 民政局 孤儿名册.
    Orphans,
    /// 公安/卫健 0至17岁人口名册: every child registered in each village.
    Population,
    /// 资助中心 资助卡/一卡通账户名册.
    Bank,
    /// 教育局 学校名册.
    Schools,
    /// 统计局 行政区划 (12-digit statistical codes).
    Regions,
}

impl ListFile {
    /// Every list, in the order they are described in the README.
    pub const ALL: [ListFile; 11] = [
        ListFile::Roster,
        ListFile::PovertyHouseholds,
        ListFile::PovertyMembers,
        ListFile::Disabled,
        ListFile::Dibao,
        ListFile::Tekun,
        ListFile::Orphans,
        ListFile::Population,
        ListFile::Bank,
        ListFile::Schools,
        ListFile::Regions,
    ];

    /// The file name without extension, department first.
    pub fn stem(&self) -> &'static str {
        match self {
            ListFile::Roster => "教育局-学籍名册",
            ListFile::PovertyHouseholds => "扶贫办-建档立卡贫困户",
            ListFile::PovertyMembers => "扶贫办-建档立卡贫困人口",
            ListFile::Disabled => "残联-持证残疾儿童少年名册",
            ListFile::Dibao => "民政局-低保对象名册",
            ListFile::Tekun => "民政局-特困供养人员名册",
            ListFile::Orphans => "民政局-孤儿名册",
            ListFile::Population => "公安卫健-0至17岁人口名册",
            ListFile::Bank => "资助中心-资助卡账户名册",
            ListFile::Schools => "教育局-学校名册",
            ListFile::Regions => "统计局-行政区划",
        }
    }

    /// The short name used as the xlsx sheet name and in the truth files.
    pub fn code(&self) -> &'static str {
        match self {
            ListFile::Roster => "roster",
            ListFile::PovertyHouseholds => "poverty_households",
            ListFile::PovertyMembers => "poverty_members",
            ListFile::Disabled => "disabled",
            ListFile::Dibao => "dibao",
            ListFile::Tekun => "tekun",
            ListFile::Orphans => "orphans",
            ListFile::Population => "population",
            ListFile::Bank => "bank",
            ListFile::Schools => "schools",
            ListFile::Regions => "regions",
        }
    }

    /// The xlsx sheet name.
    pub fn sheet(&self) -> &'static str {
        match self {
            ListFile::Roster => "学籍名册",
            ListFile::PovertyHouseholds => "贫困户",
            ListFile::PovertyMembers => "贫困人口",
            ListFile::Disabled => "残疾儿童少年",
            ListFile::Dibao => "低保对象",
            ListFile::Tekun => "特困供养",
            ListFile::Orphans => "孤儿",
            ListFile::Population => "人口信息",
            ListFile::Bank => "账户信息",
            ListFile::Schools => "学校名册",
            ListFile::Regions => "区划代码",
        }
    }

    /// The column headers, in the department's own order.
    pub fn headers(&self) -> &'static [&'static str] {
        match self {
            ListFile::Roster => &[
                "序号",
                "全国学籍号",
                "身份证件号",
                "姓名",
                "性别",
                "出生日期",
                "民族",
                "学校标识码",
                "学校名称",
                "学段",
                "年级",
                "班级名称",
                "是否寄宿",
                "户口所在地",
                "家庭现地址",
                "乡镇",
                "村（社区）",
                "组",
                "监护人姓名",
                "监护人联系电话",
                "就读方式",
                "就读地点",
            ],
            ListFile::PovertyHouseholds => &[
                "序号",
                "户编号",
                "市",
                "县",
                "乡镇",
                "村",
                "户主姓名",
                "户主身份证号",
                "人口数",
                "贫困户状态",
                "脱贫年度",
                "致贫原因",
                "是否低保户",
                "是否特困供养户",
                "联系电话",
            ],
            ListFile::PovertyMembers => &[
                "序号",
                "户编号",
                "乡镇",
                "村",
                "姓名",
                "性别",
                "身份证号",
                "与户主关系",
                "民族",
                "在校生状况",
            ],
            ListFile::Disabled => &[
                "序号",
                "姓名",
                "性别",
                "身份证号",
                "出生日期",
                "残疾类别",
                "残疾等级",
                "残疾证号",
                "发证日期",
                "乡镇",
                "村（社区）",
                "监护人",
                "联系电话",
            ],
            ListFile::Dibao => &[
                "序号",
                "乡镇",
                "村（社区）",
                "户主姓名",
                "姓名",
                "身份证号",
                "与户主关系",
                "保障类型",
                "起始年月",
            ],
            ListFile::Tekun => &[
                "序号",
                "乡镇",
                "村（社区）",
                "姓名",
                "性别",
                "身份证号",
                "保障类型",
                "供养方式",
                "起始年月",
            ],
            ListFile::Orphans => &[
                "序号",
                "乡镇",
                "村（社区）",
                "姓名",
                "性别",
                "身份证号",
                "保障类型",
                "监护人",
                "起始年月",
            ],
            ListFile::Population => &[
                "序号",
                "乡镇",
                "村（社区）",
                "组",
                "姓名",
                "性别",
                "出生日期",
                "身份证号",
                "民族",
                "户籍地址",
                "监护人",
                "监护人身份证号",
            ],
            ListFile::Bank => &[
                "序号",
                "乡镇",
                "村（社区）",
                "学生姓名",
                "学生身份证号",
                "就读学校",
                "开户行",
                "卡号",
                "账户类型",
                "持卡人",
                "持卡人身份证号",
                "与学生关系",
                "开户日期",
            ],
            ListFile::Schools => &[
                "序号",
                "学校标识码",
                "学校名称",
                "办学类型",
                "乡镇",
                "所在村（社区）",
                "举办者",
                "在校生数",
                "示范性高中",
                "学费标准（元/学期）",
            ],
            ListFile::Regions => &[
                "序号",
                "统计用区划代码",
                "名称",
                "级别",
                "城乡分类代码",
                "上级代码",
            ],
        }
    }

    /// Column widths for the xlsx sheet, in characters.
    fn widths(&self) -> Vec<u16> {
        self.headers()
            .iter()
            .map(|h| match *h {
                "序号" | "性别" | "组" | "人口数" | "是否寄宿" => 6,
                "户口所在地" | "家庭现地址" | "户籍地址" | "就读地点" => 36,
                "学校名称" | "就读学校" | "开户行" => 26,
                h if h.contains("身份证")
                    || h == "全国学籍号"
                    || h == "卡号"
                    || h == "残疾证号" =>
                {
                    22
                }
                _ => 12,
            })
            .collect()
    }

    /// The title row real government sheets carry above the header.
    pub fn title(&self, county: &str, year: i32) -> Option<String> {
        match self {
            ListFile::PovertyHouseholds => Some(format!("{county}{year}年建档立卡贫困户花名册")),
            ListFile::PovertyMembers => Some(format!("{county}{year}年建档立卡贫困人口花名册")),
            ListFile::Disabled => Some(format!("{county}{year}年持证残疾儿童少年花名册")),
            ListFile::Dibao => Some(format!("{county}{year}年城乡低保对象花名册")),
            ListFile::Tekun => Some(format!("{county}{year}年特困供养人员花名册")),
            ListFile::Orphans => Some(format!("{county}{year}年孤儿基本生活保障花名册")),
            _ => None,
        }
    }

    /// The CSV encoding: GBK for the 扶贫办's lists (saved from Excel on a
    /// Chinese Windows), UTF-8 with BOM for the others.
    pub fn csv_encoding(&self) -> CsvEncoding {
        match self {
            ListFile::PovertyHouseholds | ListFile::PovertyMembers => CsvEncoding::Gbk,
            _ => CsvEncoding::Utf8Bom,
        }
    }

    /// Whether rows can be duplicated (person lists; the bureau's own
    /// reference lists of schools and regions are clean).
    fn duplicates(&self) -> bool {
        !matches!(self, ListFile::Schools | ListFile::Regions)
    }

    fn index(&self) -> u64 {
        ListFile::ALL.iter().position(|l| l == self).unwrap_or(0) as u64
    }

    /// The injection stream for one unit (school or village) of this list.
    pub(crate) fn rng(&self, seed: u64, unit: u64) -> GenRng {
        stream(seed, domain::INJECT + self.index(), unit)
    }
}

/// `truth/errors.csv`: every injected change.
pub(crate) struct ErrorLog {
    sink: CsvSink,
    pub rows: u64,
}

impl ErrorLog {
    pub(crate) const HEADERS: [&'static str; 10] = [
        "file",
        "format",
        "row",
        "column",
        "kind",
        "kind_label",
        "original",
        "corrupted",
        "duplicate_of",
        "person_key",
    ];

    pub(crate) fn create(path: &Path) -> Result<ErrorLog, GenError> {
        let mut sink = CsvSink::create(path, CsvEncoding::Utf8, false)?;
        sink.record(ErrorLog::HEADERS)?;
        Ok(ErrorLog { sink, rows: 0 })
    }

    #[expect(clippy::too_many_arguments)]
    fn write(
        &mut self,
        list: ListFile,
        row: u32,
        column: &str,
        kind: ErrorKind,
        original: &str,
        corrupted: &str,
        xlsx_only: bool,
        duplicate_of: Option<u32>,
        person: &str,
    ) -> Result<(), GenError> {
        let row = row.to_string();
        let dup = duplicate_of.map(|d| d.to_string()).unwrap_or_default();
        self.rows += 1;
        self.sink.record([
            list.stem(),
            if xlsx_only { "xlsx" } else { "" },
            &row,
            column,
            kind.code(),
            kind.label(),
            original,
            corrupted,
            &dup,
            person,
        ])
    }

    pub(crate) fn finish(self) -> Result<(), GenError> {
        self.sink.finish()
    }
}

struct Pending {
    of_row: u32,
    cells: Vec<OutCell>,
    errors: Vec<CellError>,
    person: String,
    tag: u64,
}

/// Paths and counts of one written list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    pub list: ListFile,
    /// Files written, relative to the output folder.
    pub files: Vec<PathBuf>,
    /// Data rows (duplicates included; title and header rows not).
    pub rows: u64,
    /// Sheets in the xlsx file (0 when no xlsx was written).
    pub sheets: u32,
}

/// Writes one list: numbers the rows (序号), injects errors, appends the
/// unit's duplicate rows when the unit ends, and logs every change.
pub(crate) struct ListWriter {
    pub list: ListFile,
    csv: Option<CsvSink>,
    xlsx: Option<XlsxSink>,
    next: u32,
    pending: Vec<Pending>,
    files: Vec<PathBuf>,
}

/// What [`ListWriter::push`] returns: the row number given.
pub(crate) type Row = u32;

impl ListWriter {
    pub(crate) fn create(
        list: ListFile,
        dir: &Path,
        csv: bool,
        xlsx: bool,
        county: &str,
        year: i32,
        rows_per_sheet: u32,
    ) -> Result<ListWriter, GenError> {
        let title = list.title(county, year);
        let mut files = Vec::new();
        let csv_sink = if csv {
            let name = format!("{}.csv", list.stem());
            let mut s = CsvSink::create(&dir.join(&name), list.csv_encoding(), true)?;
            if let Some(t) = &title {
                s.record([t.as_str()])?;
            }
            s.record(list.headers())?;
            files.push(PathBuf::from(name));
            Some(s)
        } else {
            None
        };
        let xlsx_sink = if xlsx {
            let name = format!("{}.xlsx", list.stem());
            let created = (u16::try_from(year).unwrap_or(2018), 12, 1);
            let s = XlsxSink::create(
                &dir.join(&name),
                list.sheet(),
                title,
                list.headers(),
                &list.widths(),
                rows_per_sheet,
                created,
            )?;
            files.push(PathBuf::from(name));
            Some(s)
        } else {
            None
        };
        Ok(ListWriter {
            list,
            csv: csv_sink,
            xlsx: xlsx_sink,
            next: 1,
            pending: Vec::new(),
            files,
        })
    }

    fn emit(&mut self, row: u32, cells: &mut [OutCell]) -> Result<(), GenError> {
        cells[0] = OutCell {
            text: row.to_string(),
            xlsx: crate::inject::XlsxValue::Num(i64::from(row)),
        };
        if let Some(c) = self.csv.as_mut() {
            c.record(cells.iter().map(|c| c.text.as_str()))?;
        }
        if let Some(x) = self.xlsx.as_mut() {
            x.row(cells)?;
        }
        Ok(())
    }

    fn log(
        &self,
        log: &mut ErrorLog,
        row: u32,
        errors: &[CellError],
        duplicate_of: Option<u32>,
        person: &str,
    ) -> Result<(), GenError> {
        let headers = self.list.headers();
        for e in errors {
            if e.xlsx_only && self.xlsx.is_none() {
                continue;
            }
            log.write(
                self.list,
                row,
                headers.get(e.column).copied().unwrap_or(""),
                e.kind,
                &e.original,
                &e.corrupted,
                e.xlsx_only,
                duplicate_of,
                person,
            )?;
        }
        Ok(())
    }

    /// Writes a row. The first cell is the row number (序号) and is filled
    /// in here; `person` is the person key logged with its errors and `tag`
    /// comes back from [`ListWriter::end_unit`] if the row gets duplicated.
    pub(crate) fn push(
        &mut self,
        inj: &mut Injector,
        log: &mut ErrorLog,
        rng: &mut GenRng,
        cells: Vec<Cell>,
        person: &str,
        tag: u64,
    ) -> Result<Row, GenError> {
        let (mut out, errors) = inj.row(rng, cells);
        let row = self.next;
        self.next += 1;
        self.emit(row, &mut out)?;
        self.log(log, row, &errors, None, person)?;
        if self.list.duplicates() && inj.duplicate(rng) {
            self.pending.push(Pending {
                of_row: row,
                cells: out,
                errors,
                person: person.to_string(),
                tag,
            });
        }
        Ok(row)
    }

    /// Ends a unit (a school or a village): the unit's duplicated rows are
    /// appended, as happens when two submissions are pasted together.
    /// Returns (tag, duplicate row) pairs.
    pub(crate) fn end_unit(&mut self, log: &mut ErrorLog) -> Result<Vec<(u64, Row)>, GenError> {
        let pending = std::mem::take(&mut self.pending);
        let mut out = Vec::with_capacity(pending.len());
        for mut p in pending {
            let row = self.next;
            self.next += 1;
            self.emit(row, &mut p.cells)?;
            log.write(
                self.list,
                row,
                "",
                ErrorKind::DuplicateRow,
                &p.of_row.to_string(),
                &row.to_string(),
                false,
                Some(p.of_row),
                &p.person,
            )?;
            self.log(log, row, &p.errors, Some(p.of_row), &p.person)?;
            out.push((p.tag, row));
        }
        Ok(out)
    }

    /// Takes the xlsx workbook out so that it can be saved (compressed) on
    /// another thread while generation goes on; no rows may follow.
    pub(crate) fn take_xlsx(&mut self, log: &mut ErrorLog) -> Result<Option<XlsxSink>, GenError> {
        self.end_unit(log)?;
        Ok(self.xlsx.take())
    }

    /// Closes the CSV file; the xlsx workbook, unless taken before, is
    /// returned for the caller to save.
    pub(crate) fn finish(
        mut self,
        log: &mut ErrorLog,
    ) -> Result<(FileSummary, Option<XlsxSink>), GenError> {
        self.end_unit(log)?;
        if let Some(c) = self.csv.take() {
            c.finish()?;
        }
        let summary = FileSummary {
            list: self.list,
            files: self.files,
            rows: u64::from(self.next - 1),
            sheets: 0,
        };
        Ok((summary, self.xlsx.take()))
    }
}
