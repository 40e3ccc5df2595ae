//! Conversion between typed records and table rows.
//!
//! A [`Snapshot`] is a whole row of an audited table as backend-neutral
//! [`Cell`]s. It is what the audit log stores (as a JSON object), what a
//! rollback restores, and what typed records are parsed from, so there is
//! exactly one way a row is read on either backend.

use crate::db::{Cell, DbRow};
use crate::error::StoreError;
use crate::records::*;
use crate::schema::TableDef;
use std::fmt::Display;
use zizhu_core::{
    BankCard, Date, Fen, Grade, IdNumber, PersonName, Phone, RegionCode, RegionLevel, SchoolCode,
    Sex, Stage, StudentNo, Term,
};

/// A full row of an audited table, cells in the table's column order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) table: &'static TableDef,
    pub(crate) cells: Vec<Cell>,
}

impl Snapshot {
    /// Reads a row whose columns were selected as `{prefix}{column}`.
    pub(crate) fn from_row(
        table: &'static TableDef,
        row: &DbRow,
        prefix: &str,
    ) -> Result<Snapshot, StoreError> {
        let cells = if prefix.is_empty() {
            table
                .cols
                .iter()
                .map(|c| row.cell(c.name, c.kind))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            table
                .cols
                .iter()
                .map(|c| row.cell(&format!("{prefix}{}", c.name), c.kind))
                .collect::<Result<Vec<_>, _>>()?
        };
        Ok(Snapshot { table, cells })
    }

    /// Reads the row of `table` whose columns start at `first` in the
    /// select list, in the table's column order (as [`crate::read::select_prefixed`]
    /// selects them), by position rather than by name.
    pub(crate) fn from_row_at(
        table: &'static TableDef,
        row: &DbRow,
        first: usize,
    ) -> Result<Snapshot, StoreError> {
        let cells = table
            .cols
            .iter()
            .enumerate()
            .map(|(i, c)| row.cell_at(first + i, c.kind))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Snapshot { table, cells })
    }

    /// The row an `INSERT` of `cells` leaves behind once the database has
    /// given it the primary key `pk`: the named cells, and for every other
    /// column its default (`false` for the boolean flags, which are the only
    /// columns with one, NULL otherwise). Lets the bulk path audit a new row
    /// without reading it back; debug builds check it against the row read
    /// back (see `bulk.rs`).
    pub(crate) fn inserted(
        table: &'static TableDef,
        pk: Cell,
        mut cells: Vec<(&'static str, Cell)>,
    ) -> Snapshot {
        let mut pk = Some(pk);
        let cells = table
            .cols
            .iter()
            .map(|c| {
                if c.name == table.pk {
                    return pk.take().unwrap_or(Cell::Null);
                }
                match cells.iter_mut().find(|(n, _)| *n == c.name) {
                    Some((_, v)) => std::mem::replace(v, Cell::Null),
                    None if c.kind == crate::db::Kind::Bool => Cell::Bool(false),
                    None => Cell::Null,
                }
            })
            .collect();
        Snapshot { table, cells }
    }

    /// The row as the audit log's JSON text: the same object as
    /// [`Snapshot::to_json`], written straight into one string, keys in
    /// column order.
    pub(crate) fn json_text(&self) -> String {
        let mut out: Vec<u8> = Vec::with_capacity(32 * self.cells.len());
        out.push(b'{');
        for (i, (c, v)) in self.table.cols.iter().zip(&self.cells).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str(&mut out, c.name);
            out.push(b':');
            match v {
                Cell::Null => out.extend_from_slice(b"null"),
                Cell::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
                Cell::Text(s) => json_str(&mut out, s),
                Cell::Bool(true) => out.extend_from_slice(b"true"),
                Cell::Bool(false) => out.extend_from_slice(b"false"),
            }
        }
        out.push(b'}');
        // Only whole UTF-8 strings and ASCII were written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Rebuilds a row from an audit log JSON object. Returns `None` when the
    /// JSON does not fit the table, which only a hand-edited log can cause.
    pub(crate) fn from_json(
        table: &'static TableDef,
        json: &serde_json::Value,
    ) -> Option<Snapshot> {
        let object = json.as_object()?;
        let cells = table
            .cols
            .iter()
            .map(|c| Cell::from_json(object.get(c.name)?, c.kind))
            .collect::<Option<Vec<_>>>()?;
        Some(Snapshot { table, cells })
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        let map = self
            .table
            .cols
            .iter()
            .zip(&self.cells)
            .map(|(c, v)| (c.name.to_string(), v.to_json()))
            .collect::<serde_json::Map<_, _>>();
        serde_json::Value::Object(map)
    }

    pub(crate) fn get(&self, column: &str) -> &Cell {
        self.table
            .cols
            .iter()
            .position(|c| c.name == column)
            .map_or(&Cell::Null, |i| &self.cells[i])
    }

    /// The row with some columns replaced, as an update would leave it.
    pub(crate) fn with(&self, changes: &[(&'static str, Cell)]) -> Snapshot {
        let mut next = self.clone();
        for (name, value) in changes {
            if let Some(i) = self.table.cols.iter().position(|c| c.name == *name) {
                next.cells[i] = value.clone();
            }
        }
        next
    }

    pub(crate) fn pk(&self) -> &Cell {
        self.get(self.table.pk)
    }

    pub(crate) fn person_id(&self) -> Option<i64> {
        match self.table.person_col.map(|c| self.get(c)) {
            Some(Cell::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub(crate) fn corrupt(&self, column: &str, reason: impl Display) -> StoreError {
        StoreError::Corrupt {
            table: self.table.name,
            column: column.to_string(),
            value: self.get(column).render(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn int(&self, column: &str) -> Result<i64, StoreError> {
        match self.get(column) {
            Cell::Int(i) => Ok(*i),
            _ => Err(self.corrupt(column, "应为整数")),
        }
    }

    pub(crate) fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        match self.get(column) {
            Cell::Int(i) => Ok(Some(*i)),
            Cell::Null => Ok(None),
            _ => Err(self.corrupt(column, "应为整数")),
        }
    }

    pub(crate) fn bool(&self, column: &str) -> Result<bool, StoreError> {
        match self.get(column) {
            Cell::Bool(b) => Ok(*b),
            _ => Err(self.corrupt(column, "应为是/否")),
        }
    }

    pub(crate) fn text(&self, column: &str) -> Result<String, StoreError> {
        match self.get(column) {
            Cell::Text(s) => Ok(s.clone()),
            _ => Err(self.corrupt(column, "应为文本")),
        }
    }

    pub(crate) fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        match self.get(column) {
            Cell::Text(s) => Ok(Some(s.clone())),
            Cell::Null => Ok(None),
            _ => Err(self.corrupt(column, "应为文本")),
        }
    }

    /// Parses a text column into a domain type.
    pub(crate) fn parse<T, E: Display>(
        &self,
        column: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, StoreError> {
        let s = self.text(column)?;
        parse(&s).map_err(|e| self.corrupt(column, e))
    }

    /// Parses a nullable text column into a domain type.
    pub(crate) fn opt_parse<T, E: Display>(
        &self,
        column: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, StoreError> {
        match self.opt_text(column)? {
            Some(s) => parse(&s).map(Some).map_err(|e| self.corrupt(column, e)),
            None => Ok(None),
        }
    }

    /// Parses a column holding one of a [`crate::records`] vocabulary's labels.
    pub(crate) fn label<T>(
        &self,
        column: &str,
        from_label: impl Fn(&str) -> Option<T>,
    ) -> Result<T, StoreError> {
        self.parse(column, |s| from_label(s).ok_or("不是可识别的取值"))
    }
}

/// Appends `s` as a JSON string literal.
fn json_str(out: &mut Vec<u8>, s: &str) {
    // Writing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Renders a region level for the `level` column.
pub(crate) fn region_level_label(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::Province => "省",
        RegionLevel::City => "市",
        RegionLevel::County => "县",
        RegionLevel::Township => "乡镇",
        RegionLevel::Village => "村",
    }
}

/// Stages are stored comma-separated by label; an empty list is an empty string.
fn stages_text(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| s.label())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_stages(s: &str) -> Result<Vec<Stage>, String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| Stage::parse(p).map_err(|e| e.to_string()))
        .collect()
}

// Region.

pub(crate) fn region_cells(r: &RegionRecord) -> Vec<(&'static str, Cell)> {
    vec![
        ("code", Cell::text(r.code.as_str())),
        ("name", Cell::text(&r.name)),
        ("level", Cell::text(region_level_label(r.code.level()))),
        (
            "parent_code",
            Cell::opt_text(r.parent_code.as_ref().map(|c| c.as_str())),
        ),
    ]
}

// School.

pub(crate) fn school_cells(s: &SchoolRecord) -> Vec<(&'static str, Cell)> {
    vec![
        ("code", Cell::text(s.code.as_str())),
        ("name", Cell::text(&s.name)),
        ("category", Cell::text(s.code.category().label())),
        ("region_code", Cell::text(s.region_code.as_str())),
        (
            "township_code",
            Cell::opt_text(s.region_code.township_code()),
        ),
        ("is_public", Cell::Bool(s.is_public)),
        ("stages", Cell::text(stages_text(&s.stages))),
    ]
}

pub(crate) fn school_from(s: &Snapshot) -> Result<School, StoreError> {
    Ok(School {
        record: SchoolRecord {
            code: s.parse("code", SchoolCode::parse)?,
            name: s.text("name")?,
            region_code: s.parse("region_code", RegionCode::parse)?,
            is_public: s.bool("is_public")?,
            stages: s.parse("stages", parse_stages)?,
        },
        category: s.text("category")?,
        township_code: s.opt_text("township_code")?,
    })
}

// Household.

pub(crate) fn household_cells(h: &HouseholdRecord) -> Vec<(&'static str, Cell)> {
    vec![
        ("household_no", Cell::text(&h.household_no)),
        ("region_code", Cell::text(h.region_code.as_str())),
        (
            "head_id_number",
            Cell::opt_text(h.head_id_number.as_ref().map(|i| i.as_str())),
        ),
        ("poverty_status", Cell::text(h.poverty_status.label())),
        ("lifted_year", Cell::opt_int(h.lifted_year.map(i64::from))),
        ("dibao", Cell::Bool(h.dibao)),
        ("tekun", Cell::Bool(h.tekun)),
        ("cause", Cell::opt_text(h.cause.as_deref())),
        (
            "income_per_capita_fen",
            Cell::opt_int(h.income_per_capita.map(|f| f.0)),
        ),
    ]
}

pub(crate) fn household_from(s: &Snapshot) -> Result<Household, StoreError> {
    let lifted_year = match s.opt_int("lifted_year")? {
        Some(y) => Some(i32::try_from(y).map_err(|_| s.corrupt("lifted_year", "年份超出范围"))?),
        None => None,
    };
    Ok(Household {
        id: s.int("id")?,
        record: HouseholdRecord {
            household_no: s.text("household_no")?,
            region_code: s.parse("region_code", RegionCode::parse)?,
            head_id_number: s.opt_parse("head_id_number", IdNumber::parse)?,
            poverty_status: s.label("poverty_status", PovertyStatus::from_label)?,
            lifted_year,
            dibao: s.bool("dibao")?,
            tekun: s.bool("tekun")?,
            cause: s.opt_text("cause")?,
            income_per_capita: s.opt_int("income_per_capita_fen")?.map(Fen),
        },
    })
}

// Person.

pub(crate) fn person_cells(p: &PersonRecord) -> Vec<(&'static str, Cell)> {
    vec![
        (
            "id_number",
            Cell::opt_text(p.id_number.as_ref().map(|i| i.as_str())),
        ),
        ("name", Cell::text(p.name.original())),
        ("name_normalized", Cell::text(p.name.normalized())),
        ("sex", Cell::opt_text(p.sex.map(|s| s.label()))),
        (
            "birth_date",
            Cell::opt_text(p.birth_date.map(|d| d.to_string())),
        ),
        ("ethnicity", Cell::opt_text(p.ethnicity.as_deref())),
        (
            "disability_category",
            Cell::opt_text(p.disability_category.as_deref()),
        ),
        (
            "disability_level",
            Cell::opt_text(p.disability_level.as_deref()),
        ),
        ("orphan", Cell::Bool(p.orphan)),
        ("left_behind", Cell::Bool(p.left_behind)),
        ("martyr_child", Cell::Bool(p.martyr_child)),
        ("address", Cell::opt_text(p.address.as_deref())),
    ]
}

pub(crate) fn person_from(s: &Snapshot) -> Result<Person, StoreError> {
    Ok(Person {
        id: s.int("id")?,
        household_id: s.opt_int("household_id")?,
        created_batch: s.opt_int("created_batch")?,
        record: PersonRecord {
            id_number: s.opt_parse("id_number", IdNumber::parse)?,
            name: s.parse("name", PersonName::parse)?,
            sex: s.opt_parse("sex", Sex::parse)?,
            birth_date: s.opt_parse("birth_date", Date::parse)?,
            ethnicity: s.opt_text("ethnicity")?,
            disability_category: s.opt_text("disability_category")?,
            disability_level: s.opt_text("disability_level")?,
            orphan: s.bool("orphan")?,
            left_behind: s.bool("left_behind")?,
            martyr_child: s.bool("martyr_child")?,
            address: s.opt_text("address")?,
        },
    })
}

// Guardian.

pub(crate) fn guardian_cells(g: &GuardianRecord) -> Vec<(&'static str, Cell)> {
    vec![
        ("person_id", Cell::Int(g.person_id)),
        ("name", Cell::text(g.name.original())),
        ("relation", Cell::text(&g.relation)),
        (
            "id_number",
            Cell::opt_text(g.id_number.as_ref().map(|i| i.as_str())),
        ),
        (
            "phone",
            Cell::opt_text(g.phone.as_ref().map(|p| p.as_str())),
        ),
    ]
}

pub(crate) fn guardian_from(s: &Snapshot) -> Result<Guardian, StoreError> {
    Ok(Guardian {
        id: s.int("id")?,
        record: GuardianRecord {
            person_id: s.int("person_id")?,
            name: s.parse("name", PersonName::parse)?,
            relation: s.text("relation")?,
            id_number: s.opt_parse("id_number", IdNumber::parse)?,
            phone: s.opt_parse("phone", Phone::parse)?,
        },
    })
}

// Enrollment.

pub(crate) fn enrollment_cells(e: &EnrollmentRecord) -> Vec<(&'static str, Cell)> {
    vec![
        ("person_id", Cell::Int(e.person_id)),
        ("term", Cell::text(e.term.code())),
        (
            "school_code",
            Cell::opt_text(e.school_code.as_ref().map(|c| c.as_str())),
        ),
        ("stage", Cell::text(e.grade.stage().label())),
        ("grade", Cell::Int(i64::from(e.grade.year()))),
        ("class_name", Cell::opt_text(e.class_name.as_deref())),
        ("boarding", Cell::Bool(e.boarding)),
        ("status", Cell::text(e.status.label())),
        ("out_of_county", Cell::Bool(e.out_of_county)),
        (
            "out_of_county_place",
            Cell::opt_text(e.out_of_county_place.as_deref()),
        ),
        (
            "student_no",
            Cell::opt_text(e.student_no.as_ref().map(|n| n.as_str())),
        ),
    ]
}

pub(crate) fn enrollment_from(s: &Snapshot) -> Result<Enrollment, StoreError> {
    let stage = s.parse("stage", Stage::parse)?;
    let year = u8::try_from(s.int("grade")?).map_err(|_| s.corrupt("grade", "年级超出范围"))?;
    let grade = Grade::new(stage, year).map_err(|e| s.corrupt("grade", e))?;
    Ok(Enrollment {
        id: s.int("id")?,
        record: EnrollmentRecord {
            person_id: s.int("person_id")?,
            term: s.parse("term", Term::parse)?,
            school_code: s.opt_parse("school_code", SchoolCode::parse)?,
            grade,
            class_name: s.opt_text("class_name")?,
            boarding: s.bool("boarding")?,
            status: s.label("status", EnrollmentStatus::from_label)?,
            out_of_county: s.bool("out_of_county")?,
            out_of_county_place: s.opt_text("out_of_county_place")?,
            student_no: s.opt_parse("student_no", StudentNo::parse)?,
        },
    })
}

// Bank account.

pub(crate) fn bank_account_cells(a: &BankAccountRecord) -> Vec<(&'static str, Cell)> {
    vec![
        ("person_id", Cell::Int(a.person_id)),
        ("kind", Cell::text(a.kind.label())),
        ("bank_name", Cell::text(&a.bank_name)),
        ("account_no", Cell::text(a.account_no.as_str())),
        ("holder_name", Cell::text(&a.holder_name)),
        (
            "holder_relation",
            Cell::opt_text(a.holder_relation.as_deref()),
        ),
        ("valid_from", Cell::text(a.valid_from.to_string())),
    ]
}

pub(crate) fn bank_account_from(s: &Snapshot) -> Result<BankAccount, StoreError> {
    Ok(BankAccount {
        id: s.int("id")?,
        status: s.label("status", AccountStatus::from_label)?,
        valid_to: s.opt_parse("valid_to", Date::parse)?,
        record: BankAccountRecord {
            person_id: s.int("person_id")?,
            kind: s.label("kind", AccountKind::from_label)?,
            bank_name: s.text("bank_name")?,
            account_no: s.parse("account_no", BankCard::parse)?,
            holder_name: s.text("holder_name")?,
            holder_relation: s.opt_text("holder_relation")?,
            valid_from: s.parse("valid_from", Date::parse)?,
        },
    })
}

// Batch.

pub(crate) fn batch_from(s: &Snapshot) -> Result<Batch, StoreError> {
    Ok(Batch {
        id: s.int("id")?,
        file: NewBatch {
            kind: s.text("kind")?,
            file_name: s.text("file_name")?,
            sheet: s.opt_text("sheet")?,
            sha256: s.text("sha256")?,
        },
        actor: s.text("actor")?,
        started_at: s.text("started_at")?,
        finished_at: s.opt_text("finished_at")?,
        status: s.label("status", BatchStatus::from_label)?,
        counts: BatchCounts {
            rows_read: s.int("rows_read")?,
            rows_accepted: s.int("rows_accepted")?,
            rows_rejected: s.int("rows_rejected")?,
            rows_unchanged: s.int("rows_unchanged")?,
        },
    })
}

// Import row.

pub(crate) fn import_row_from(s: &Snapshot) -> Result<ImportRowRecord, StoreError> {
    Ok(ImportRowRecord {
        row_no: s.int("row_no")?,
        sheet: s.opt_text("sheet")?,
        entity: s.text("entity")?,
        entity_id: s.opt_int("entity_id")?,
        outcome: s.label("outcome", RowOutcome::from_label)?,
        reason: s.opt_text("reason")?,
    })
}

// Audit entry.

fn json_column(s: &Snapshot, column: &str) -> Result<Option<serde_json::Value>, StoreError> {
    s.opt_parse(column, |x| serde_json::from_str::<serde_json::Value>(x))
}

pub(crate) fn audit_entry_from(s: &Snapshot) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: s.int("id")?,
        at: s.text("at")?,
        actor: s.text("actor")?,
        action: s.label("action", AuditAction::from_label)?,
        entity: s.text("entity")?,
        entity_key: s.text("entity_key")?,
        person_id: s.opt_int("person_id")?,
        before: json_column(s, "before_json")?,
        after: json_column(s, "after_json")?,
        reason: s.text("reason")?,
        batch_id: s.opt_int("batch_id")?,
        source_row: s.opt_int("source_row")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::PERSONS;

    /// The audit log's JSON text written by hand parses to exactly the
    /// object `to_json` builds, escapes included.
    #[test]
    fn json_text_is_the_same_object_as_to_json() {
        let cells = PERSONS
            .cols
            .iter()
            .enumerate()
            .map(|(i, c)| match (i % 4, c.kind) {
                (_, crate::db::Kind::Int) => Cell::Int(-(i as i64) * 1_000_000_007),
                (_, crate::db::Kind::Bool) => Cell::Bool(i % 2 == 0),
                (0, _) => Cell::Null,
                (1, _) => Cell::text("张\"三\\\n\t=cmd|' /C calc'!A0 <script>"),
                (2, _) => Cell::text("\u{1}\u{7f}𠀀"),
                _ => Cell::text(""),
            })
            .collect();
        let s = Snapshot {
            table: &PERSONS,
            cells,
        };
        let parsed: serde_json::Value = serde_json::from_str(&s.json_text()).unwrap();
        assert_eq!(parsed, s.to_json());
        assert_eq!(Snapshot::from_json(&PERSONS, &parsed), Some(s));
    }
}
