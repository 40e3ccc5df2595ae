//! The audited write path: the only way to change registry data.
//!
//! A [`WriteTx`] can only be opened with an [`AuditContext`] that names who
//! is writing and why, and every method that changes a row writes the row
//! and its `audit_log` entry through the same private primitives
//! ([`WriteTx::insert_row`], [`WriteTx::update_row`]) in the same
//! transaction. There is no other public mutation in the crate, so an
//! unaudited change cannot be written by mistake.

use crate::clock::now_utc;
use crate::codec::{self, Snapshot};
use crate::db::{Cell, Conn, Kind, Tx};
use crate::error::{Context, StoreError};
use crate::records::*;
use crate::schema::{self, TableDef};
use crate::store::Store;
use sea_query::{Expr, ExprTrait, InsertStatement, Order, Query, SelectStatement};
use std::collections::HashSet;

/// Who is writing, why, and for which import batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditContext {
    /// The user or process making the change (a login name, `导入程序`, …).
    pub actor: String,
    /// Why the change is made (the file imported, the correction requested, …).
    pub reason: String,
    /// The import batch the changes belong to, so it can be rolled back.
    pub batch_id: Option<i64>,
}

/// The result of [`WriteTx::rollback_batch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RollbackSummary {
    /// How many row changes were reverted.
    pub reverted: usize,
}

/// An open write transaction. Dropping it without [`WriteTx::commit`]
/// discards every change, audit entries included.
pub struct WriteTx {
    tx: Tx,
    ctx: AuditContext,
    /// Persons this transaction has itself written (and so knows exist),
    /// which the bulk methods need not look up again before writing their
    /// enrollments and guardians. Cleared by anything that deletes rows.
    known_persons: HashSet<i64>,
    /// Set by [`WriteTx::prepare_bulk`]: the page cache to restore.
    bulk: bool,
}

/// SQLite page cache (KiB) of an import's transaction: 256 MiB, used only
/// as far as the import's pages need it.
pub(crate) const BULK_CACHE_KIB: u32 = 262_144;

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTx")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens a write transaction. Refuses a context without an actor or a
    /// reason: an anonymous or unexplained change is exactly what the audit
    /// trail (动态管理) exists to rule out.
    pub async fn begin_write(&self, ctx: AuditContext) -> Result<WriteTx, StoreError> {
        if ctx.actor.trim().is_empty() {
            return Err(StoreError::MissingAudit {
                missing: "操作人"
            });
        }
        if ctx.reason.trim().is_empty() {
            return Err(StoreError::MissingAudit {
                missing: "修改原因",
            });
        }
        let tx = self.pool().begin_write().await?;
        Ok(WriteTx {
            tx,
            ctx,
            known_persons: HashSet::new(),
            bulk: false,
        })
    }
}

/// `column = value`, or `column IS NULL` for a NULL cell, since `= NULL`
/// never matches.
fn col_eq(column: &'static str, value: &Cell, kind: Kind) -> Expr {
    match value {
        Cell::Null => Expr::col(column).is_null(),
        v => Expr::col(column).eq(v.to_value(kind)),
    }
}

/// `SELECT <every column> FROM <table>`.
pub(crate) fn select_all(table: &TableDef) -> SelectStatement {
    let mut q = Query::select();
    q.from(table.name);
    for c in table.cols {
        q.column(c.name);
    }
    q
}

fn kind(table: &TableDef, column: &str) -> Kind {
    table.kind_of(column).unwrap_or(Kind::Text)
}

/// `INSERT INTO <table> (<columns>) VALUES (<values>)` for named cells, each
/// bound with its column's declared kind.
pub(crate) fn insert_stmt(
    table: &TableDef,
    cells: &[(&'static str, Cell)],
) -> Result<InsertStatement, StoreError> {
    let mut q = Query::insert();
    q.into_table(table.name)
        .columns(cells.iter().map(|(c, _)| *c))
        .values(
            cells
                .iter()
                .map(|(c, v)| Expr::val(v.to_value(kind(table, c)))),
        )
        // sea-query only fails when the value count differs from the
        // column count, which the pairs above rule out; report it anyway
        // rather than panic in a library.
        .map_err(|e| StoreError::Invalid {
            detail: e.to_string(),
        })?;
    Ok(q)
}

impl WriteTx {
    /// The context every change in this transaction is audited with.
    pub fn context(&self) -> &AuditContext {
        &self.ctx
    }

    /// Makes every change of the transaction, and its audit entries, permanent.
    ///
    /// The registry change counter is raised in the same transaction, so
    /// every reader that caches figures (`stats.rs`), in this process or
    /// another one, sees that they are out of date from the moment the
    /// changes are visible. On PostgreSQL the counter's row lock also orders
    /// concurrent commits, so a counter value never stands for less than
    /// every change committed before it.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        crate::stats::bump_version(&mut self.conn()).await?;
        self.end_bulk().await?;
        self.tx.commit().await
    }

    /// Discards every change of the transaction.
    pub async fn rollback(mut self) -> Result<(), StoreError> {
        // A failed reset must not keep the rollback from happening.
        let _ = self.end_bulk().await;
        self.tx.rollback().await
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        self.tx.conn()
    }

    /// Prepares this transaction for a large import. On SQLite the
    /// connection's page cache is raised to [`BULK_CACHE_KIB`]: with the
    /// everyday cache a large transaction spills its pages to the WAL long
    /// before COMMIT (6% of a 107k-row import's perf samples, see
    /// BENCHMARKS.md). The everyday size is restored at commit or rollback,
    /// so the pooled connection does not keep the large cache (a
    /// transaction merely dropped does keep it on its connection, which
    /// costs memory, not correctness). PostgreSQL needs nothing here.
    pub async fn prepare_bulk(&mut self) -> Result<(), StoreError> {
        if matches!(self.conn(), Conn::Sqlite(_)) {
            self.conn()
                .execute_ddl(format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))
                .await
                .context("调整导入缓存")?;
            self.bulk = true;
        }
        Ok(())
    }

    /// Restores the everyday page cache after [`WriteTx::prepare_bulk`].
    async fn end_bulk(&mut self) -> Result<(), StoreError> {
        if self.bulk {
            self.bulk = false;
            self.conn()
                .execute_ddl(format!(
                    "PRAGMA cache_size = -{}",
                    crate::store::SQLITE_CACHE_KIB
                ))
                .await
                .context("调整导入缓存")?;
        }
        Ok(())
    }

    pub(crate) fn known_person(&mut self, id: i64) {
        self.known_persons.insert(id);
    }

    pub(crate) fn is_known_person(&self, id: i64) -> bool {
        self.known_persons.contains(&id)
    }

    /// Reads the rows of `table` matching every `(column, value)` pair.
    pub(crate) async fn find(
        &mut self,
        table: &'static TableDef,
        key: &[(&'static str, Cell)],
    ) -> Result<Vec<Snapshot>, StoreError> {
        let mut q = select_all(table);
        for (column, value) in key {
            q.and_where(col_eq(column, value, kind(table, column)));
        }
        q.order_by(table.pk, Order::Asc);
        let rows = self.conn().fetch_all(&q, "读取现有记录").await?;
        rows.iter()
            .map(|r| Snapshot::from_row(table, r, ""))
            .collect()
    }

    pub(crate) async fn find_one(
        &mut self,
        table: &'static TableDef,
        key: &[(&'static str, Cell)],
    ) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.find(table, key).await?.into_iter().next())
    }

    pub(crate) async fn by_pk(
        &mut self,
        table: &'static TableDef,
        pk: Cell,
    ) -> Result<Option<Snapshot>, StoreError> {
        self.find_one(table, &[(table.pk, pk)]).await
    }

    /// Writes one audit entry in this transaction.
    #[expect(clippy::too_many_arguments, reason = "one argument per audit column")]
    async fn audit(
        &mut self,
        action: AuditAction,
        table: &TableDef,
        key: String,
        person_id: Option<i64>,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        batch_id: Option<i64>,
        source_row: Option<i64>,
    ) -> Result<(), StoreError> {
        let json = |v: Option<serde_json::Value>| Cell::opt_text(v.map(|v| v.to_string()));
        let cells = [
            ("at", Cell::text(now_utc())),
            ("actor", Cell::text(&self.ctx.actor)),
            ("action", Cell::text(action.label())),
            ("entity", Cell::text(table.name)),
            ("entity_key", Cell::Text(key)),
            ("person_id", Cell::opt_int(person_id)),
            ("before_json", json(before)),
            ("after_json", json(after)),
            ("reason", Cell::text(&self.ctx.reason)),
            ("batch_id", Cell::opt_int(batch_id)),
            ("source_row", Cell::opt_int(source_row)),
        ];
        let q = insert_stmt(&schema::AUDIT_LOG, &cells)?;
        self.conn().execute(&q, "写入审计日志").await?;
        Ok(())
    }

    /// Inserts a row and audits it; returns the row as stored.
    pub(crate) async fn insert_row(
        &mut self,
        table: &'static TableDef,
        cells: &[(&'static str, Cell)],
        batch_id: Option<i64>,
        source_row: Option<i64>,
    ) -> Result<Snapshot, StoreError> {
        let mut q = insert_stmt(table, cells)?;
        q.returning_col(table.pk);
        let row = self
            .conn()
            .fetch_optional(&q, "新增记录")
            .await?
            .ok_or_else(|| StoreError::Database {
                context: "新增记录",
                detail: "数据库没有返回新记录的主键".into(),
            })?;
        let pk = row.cell(table.pk, table.pk_kind())?;
        let after = self.by_pk(table, pk).await?.ok_or(StoreError::Database {
            context: "新增记录",
            detail: "新记录写入后读不到".into(),
        })?;
        self.audit(
            AuditAction::Insert,
            table,
            after.pk().render(),
            after.person_id(),
            None,
            Some(after.to_json()),
            batch_id,
            source_row,
        )
        .await?;
        Ok(after)
    }

    /// Applies `changes` to an existing row and audits it. Returns `None`
    /// (and writes nothing) when the row already holds those values.
    pub(crate) async fn update_row(
        &mut self,
        before: &Snapshot,
        changes: &[(&'static str, Cell)],
        batch_id: Option<i64>,
        source_row: Option<i64>,
    ) -> Result<Option<Snapshot>, StoreError> {
        let table = before.table;
        if before.with(changes) == *before {
            return Ok(None);
        }
        let mut q = Query::update();
        q.table(table.name)
            .values(
                changes
                    .iter()
                    .filter(|(c, _)| *c != table.pk)
                    .map(|(c, v)| (*c, Expr::val(v.to_value(kind(table, c))))),
            )
            .and_where(col_eq(table.pk, before.pk(), table.pk_kind()));
        self.conn().execute(&q, "修改记录").await?;
        let after = self
            .by_pk(table, before.pk().clone())
            .await?
            .ok_or(StoreError::Database {
                context: "修改记录",
                detail: "记录修改后读不到".into(),
            })?;
        self.audit(
            AuditAction::Update,
            table,
            after.pk().render(),
            after.person_id(),
            Some(before.to_json()),
            Some(after.to_json()),
            batch_id,
            source_row,
        )
        .await?;
        Ok(Some(after))
    }

    /// Inserts or updates the row found by `key`.
    async fn upsert(
        &mut self,
        table: &'static TableDef,
        key: &[(&'static str, Cell)],
        cells: &[(&'static str, Cell)],
        source_row: Option<i64>,
    ) -> Result<(Snapshot, Outcome), StoreError> {
        let batch = self.ctx.batch_id;
        match self.find_one(table, key).await? {
            None => {
                let row = self.insert_row(table, cells, batch, source_row).await?;
                Ok((row, Outcome::Inserted))
            }
            Some(before) => match self.update_row(&before, cells, batch, source_row).await? {
                Some(after) => Ok((after, Outcome::Updated)),
                None => Ok((before, Outcome::Unchanged)),
            },
        }
    }

    /// Inserts `cells` and `bookkeeping` as a new row, or updates
    /// `existing` (found by the caller's key) with them, audited. Whether
    /// the row changed is judged on `cells` alone: the bookkeeping (which
    /// run wrote the row, why) is written with a change but is not itself
    /// one, so an unchanged row keeps the run that last changed it.
    pub(crate) async fn put_tracked(
        &mut self,
        table: &'static TableDef,
        existing: Option<Snapshot>,
        mut cells: Vec<(&'static str, Cell)>,
        bookkeeping: &[(&'static str, Cell)],
    ) -> Result<Upserted, StoreError> {
        if let Some(before) = &existing
            && before.with(&cells) == *before
        {
            return Self::upserted(before, Outcome::Unchanged);
        }
        cells.extend_from_slice(bookkeeping);
        match existing {
            None => {
                let row = self.insert_row(table, &cells, None, None).await?;
                Self::upserted(&row, Outcome::Inserted)
            }
            Some(before) => {
                self.update_row(&before, &cells, None, None).await?;
                Self::upserted(&before, Outcome::Updated)
            }
        }
    }

    fn upserted(row: &Snapshot, outcome: Outcome) -> Result<Upserted, StoreError> {
        Ok(Upserted {
            id: row.int("id")?,
            outcome,
        })
    }

    /// Adds or updates a region, keyed by its code.
    pub async fn upsert_region(
        &mut self,
        region: &RegionRecord,
        source_row: Option<i64>,
    ) -> Result<Outcome, StoreError> {
        let cells = codec::region_cells(region);
        let key = [("code", Cell::text(region.code.as_str()))];
        let (_, outcome) = self
            .upsert(&schema::REGIONS, &key, &cells, source_row)
            .await?;
        Ok(outcome)
    }

    /// Adds or updates a school, keyed by its 学校标识码.
    pub async fn upsert_school(
        &mut self,
        school: &SchoolRecord,
        source_row: Option<i64>,
    ) -> Result<Outcome, StoreError> {
        let cells = codec::school_cells(school);
        let key = [("code", Cell::text(school.code.as_str()))];
        let (_, outcome) = self
            .upsert(&schema::SCHOOLS, &key, &cells, source_row)
            .await?;
        Ok(outcome)
    }

    /// Adds or updates a household, keyed by its 户编号.
    pub async fn upsert_household(
        &mut self,
        household: &HouseholdRecord,
        source_row: Option<i64>,
    ) -> Result<Upserted, StoreError> {
        if household.household_no.trim().is_empty() {
            return Err(StoreError::Invalid {
                detail: "户编号为空".into(),
            });
        }
        let cells = codec::household_cells(household);
        let key = [("household_no", Cell::text(&household.household_no))];
        let (row, outcome) = self
            .upsert(&schema::HOUSEHOLDS, &key, &cells, source_row)
            .await?;
        Self::upserted(&row, outcome)
    }

    /// Adds or updates a person. With an ID number the person is found by it;
    /// without one a new unresolved person is always inserted, because two
    /// rows without an ID cannot be told apart safely here (that is the
    /// linker's job, and it proposes rather than merges).
    pub async fn upsert_person(
        &mut self,
        person: &PersonRecord,
        source_row: Option<i64>,
    ) -> Result<Upserted, StoreError> {
        let cells = codec::person_cells(person);
        let existing = match &person.id_number {
            Some(id) => {
                let key = [("id_number", Cell::text(id.as_str()))];
                self.find_one(&schema::PERSONS, &key).await?
            }
            None => None,
        };
        let batch = self.ctx.batch_id;
        let (row, outcome) = match existing {
            Some(before) => match self.update_row(&before, &cells, batch, source_row).await? {
                Some(after) => (after, Outcome::Updated),
                None => (before, Outcome::Unchanged),
            },
            None => (
                self.insert_person(cells, source_row).await?,
                Outcome::Inserted,
            ),
        };
        Self::upserted(&row, outcome)
    }

    /// Inserts a person, recording the batch that created it.
    async fn insert_person(
        &mut self,
        mut cells: Vec<(&'static str, Cell)>,
        source_row: Option<i64>,
    ) -> Result<Snapshot, StoreError> {
        let batch = self.ctx.batch_id;
        cells.push(("created_batch", Cell::opt_int(batch)));
        self.insert_row(&schema::PERSONS, &cells, batch, source_row)
            .await
    }

    pub(crate) async fn require(
        &mut self,
        table: &'static TableDef,
        what: &'static str,
        id: i64,
    ) -> Result<Snapshot, StoreError> {
        self.by_pk(table, Cell::Int(id))
            .await?
            .ok_or(StoreError::NotFound {
                entity: what,
                key: id.to_string(),
            })
    }

    /// Links a person to a household (or unlinks with `None`).
    pub async fn set_person_household(
        &mut self,
        person_id: i64,
        household_id: Option<i64>,
        source_row: Option<i64>,
    ) -> Result<Outcome, StoreError> {
        let person = self.require(&schema::PERSONS, "人员", person_id).await?;
        if let Some(h) = household_id {
            self.require(&schema::HOUSEHOLDS, "家庭户", h).await?;
        }
        let changes = [("household_id", Cell::opt_int(household_id))];
        let batch = self.ctx.batch_id;
        Ok(
            match self
                .update_row(&person, &changes, batch, source_row)
                .await?
            {
                Some(_) => Outcome::Updated,
                None => Outcome::Unchanged,
            },
        )
    }

    /// Adds a guardian to a person, or updates the guardian of the same name.
    pub async fn add_guardian(
        &mut self,
        guardian: &GuardianRecord,
        source_row: Option<i64>,
    ) -> Result<Upserted, StoreError> {
        self.require(&schema::PERSONS, "人员", guardian.person_id)
            .await?;
        let cells = codec::guardian_cells(guardian);
        let key = [
            ("person_id", Cell::Int(guardian.person_id)),
            ("name", Cell::text(guardian.name.original())),
        ];
        let (row, outcome) = self
            .upsert(&schema::GUARDIANS, &key, &cells, source_row)
            .await?;
        Self::upserted(&row, outcome)
    }

    /// Adds or updates a person's enrollment for a term (one per term).
    pub async fn upsert_enrollment(
        &mut self,
        enrollment: &EnrollmentRecord,
        source_row: Option<i64>,
    ) -> Result<Upserted, StoreError> {
        self.require(&schema::PERSONS, "人员", enrollment.person_id)
            .await?;
        let cells = codec::enrollment_cells(enrollment);
        let key = [
            ("person_id", Cell::Int(enrollment.person_id)),
            ("term", Cell::text(enrollment.term.code())),
        ];
        let (row, outcome) = self
            .upsert(&schema::ENROLLMENTS, &key, &cells, source_row)
            .await?;
        Self::upserted(&row, outcome)
    }

    /// Records a person's account of a kind.
    ///
    /// When the person already has an active account of that kind with the
    /// same number, its bank and holder details are updated in place and its
    /// `valid_from` is kept (a re-import must not move it). When the number
    /// differs, the old account is closed on the new one's `valid_from` and
    /// a new row is inserted, so the history of where money went survives.
    pub async fn set_bank_account(
        &mut self,
        account: &BankAccountRecord,
        source_row: Option<i64>,
    ) -> Result<Upserted, StoreError> {
        self.require(&schema::PERSONS, "人员", account.person_id)
            .await?;
        let table = &schema::BANK_ACCOUNTS;
        let active = self
            .find(
                table,
                &[
                    ("person_id", Cell::Int(account.person_id)),
                    ("kind", Cell::text(account.kind.label())),
                    ("status", Cell::text(AccountStatus::Active.label())),
                ],
            )
            .await?;
        let batch = self.ctx.batch_id;
        let number = Cell::text(account.account_no.as_str());
        let mut same = None;
        for row in active {
            if *row.get("account_no") == number && same.is_none() {
                same = Some(row);
                continue;
            }
            let close = [
                ("status", Cell::text(AccountStatus::Closed.label())),
                ("valid_to", Cell::text(account.valid_from.to_string())),
            ];
            self.update_row(&row, &close, batch, source_row).await?;
        }
        let mut cells = codec::bank_account_cells(account);
        if let Some(current) = same {
            cells.retain(|(c, _)| *c != "valid_from");
            let outcome = match self.update_row(&current, &cells, batch, source_row).await? {
                Some(_) => Outcome::Updated,
                None => Outcome::Unchanged,
            };
            return Self::upserted(&current, outcome);
        }
        cells.push(("status", Cell::text(AccountStatus::Active.label())));
        cells.push(("valid_to", Cell::Null));
        let row = self.insert_row(table, &cells, batch, source_row).await?;
        Self::upserted(&row, Outcome::Inserted)
    }

    /// Opens an import batch (status 进行中) and returns its id.
    ///
    /// Open the batch in its own short transaction and commit it before the
    /// import proper, so that a failed import can still be marked 失败.
    pub async fn create_batch(&mut self, batch: &NewBatch) -> Result<i64, StoreError> {
        let cells = [
            ("kind", Cell::text(&batch.kind)),
            ("file_name", Cell::text(&batch.file_name)),
            ("sheet", Cell::opt_text(batch.sheet.as_deref())),
            ("sha256", Cell::text(&batch.sha256)),
            ("actor", Cell::text(&self.ctx.actor)),
            ("started_at", Cell::text(now_utc())),
            ("finished_at", Cell::Null),
            ("status", Cell::text(BatchStatus::Running.label())),
            ("rows_read", Cell::Int(0)),
            ("rows_accepted", Cell::Int(0)),
            ("rows_rejected", Cell::Int(0)),
            ("rows_unchanged", Cell::Int(0)),
        ];
        let mut q = insert_stmt(&schema::IMPORT_BATCHES, &cells)?;
        q.returning_col("id");
        // The batch row is inserted by hand rather than through insert_row
        // only because its audit entry should carry its own new id.
        let row = self
            .conn()
            .fetch_optional(&q, "新建导入批次")
            .await?
            .ok_or(StoreError::Database {
                context: "新建导入批次",
                detail: "数据库没有返回新批次的编号".into(),
            })?;
        let id = row.int("id")?;
        let after = self
            .require(&schema::IMPORT_BATCHES, "导入批次", id)
            .await?;
        self.audit(
            AuditAction::Insert,
            &schema::IMPORT_BATCHES,
            id.to_string(),
            None,
            None,
            Some(after.to_json()),
            Some(id),
            None,
        )
        .await?;
        Ok(id)
    }

    /// Closes an import batch with its final status and row counts.
    pub async fn finish_batch(
        &mut self,
        batch_id: i64,
        status: BatchStatus,
        counts: &BatchCounts,
    ) -> Result<(), StoreError> {
        let before = self
            .require(&schema::IMPORT_BATCHES, "导入批次", batch_id)
            .await?;
        let changes = [
            ("finished_at", Cell::text(now_utc())),
            ("status", Cell::text(status.label())),
            ("rows_read", Cell::Int(counts.rows_read)),
            ("rows_accepted", Cell::Int(counts.rows_accepted)),
            ("rows_rejected", Cell::Int(counts.rows_rejected)),
            ("rows_unchanged", Cell::Int(counts.rows_unchanged)),
        ];
        self.update_row(&before, &changes, Some(batch_id), None)
            .await?;
        Ok(())
    }

    /// Records where one source row of an import went.
    ///
    /// Import rows are provenance, append-only and never changed, like the
    /// audit log itself; they are not audited again, which would only
    /// double the size of every import.
    pub async fn record_import_row(
        &mut self,
        batch_id: i64,
        row: &ImportRowRecord,
    ) -> Result<(), StoreError> {
        let cells = [
            ("batch_id", Cell::Int(batch_id)),
            ("row_no", Cell::Int(row.row_no)),
            ("sheet", Cell::opt_text(row.sheet.as_deref())),
            ("entity", Cell::text(&row.entity)),
            ("entity_id", Cell::opt_int(row.entity_id)),
            ("outcome", Cell::text(row.outcome.label())),
            ("reason", Cell::opt_text(row.reason.as_deref())),
        ];
        let q = insert_stmt(&schema::IMPORT_ROWS, &cells)?;
        self.conn().execute(&q, "记录导入行").await?;
        Ok(())
    }

    /// Reverts every registry change an import batch made, newest first,
    /// using the audit log's before values, and marks the batch 已回滚.
    ///
    /// Each reverted row is itself audited (action `rollback`, carrying the
    /// batch id). A row changed again after the batch is not overwritten:
    /// the whole rollback is refused with [`StoreError::RollbackConflict`],
    /// since silently discarding a later correction is worse than asking.
    pub async fn rollback_batch(&mut self, batch_id: i64) -> Result<RollbackSummary, StoreError> {
        let batch = self
            .require(&schema::IMPORT_BATCHES, "导入批次", batch_id)
            .await?;
        if batch.text("status")? == BatchStatus::RolledBack.label() {
            return Err(StoreError::AlreadyRolledBack { batch_id });
        }
        self.known_persons.clear();
        let entries = self.batch_changes(batch_id).await?;
        let mut reverted = 0;
        for entry in entries.iter().rev() {
            let table = entry.table;
            let pk = match table.pk_kind() {
                Kind::Int => entry
                    .key
                    .parse()
                    .map(Cell::Int)
                    .map_err(|_| StoreError::Corrupt {
                        table: "audit_log",
                        column: "entity_key".into(),
                        value: entry.key.clone(),
                        reason: "应为整数主键".into(),
                    })?,
                _ => Cell::Text(entry.key.clone()),
            };
            let current = self.by_pk(table, pk.clone()).await?;
            let current_json = current.as_ref().map(Snapshot::to_json);
            if current_json != entry.after {
                return Err(StoreError::RollbackConflict {
                    batch_id,
                    entity: table.name.to_string(),
                    key: entry.key.clone(),
                });
            }
            let restore =
                match &entry.before {
                    Some(json) => Some(Snapshot::from_json(table, json).ok_or_else(|| {
                        StoreError::Corrupt {
                            table: "audit_log",
                            column: "before_json".into(),
                            value: json.to_string(),
                            reason: format!("与 {} 表的列不符", table.name),
                        }
                    })?),
                    None => None,
                };
            self.restore(table, &pk, current.as_ref(), restore.as_ref())
                .await?;
            let person = restore
                .as_ref()
                .or(current.as_ref())
                .and_then(Snapshot::person_id);
            self.audit(
                AuditAction::Rollback,
                table,
                entry.key.clone(),
                person,
                current_json,
                entry.before.clone(),
                Some(batch_id),
                entry.source_row,
            )
            .await?;
            reverted += 1;
        }
        let changes = [
            ("status", Cell::text(BatchStatus::RolledBack.label())),
            ("finished_at", Cell::text(now_utc())),
        ];
        self.update_row(&batch, &changes, Some(batch_id), None)
            .await?;
        Ok(RollbackSummary { reverted })
    }

    /// The registry changes of a batch, oldest first.
    async fn batch_changes(&mut self, batch_id: i64) -> Result<Vec<Change>, StoreError> {
        let audit = &schema::AUDIT_LOG;
        let mut q = select_all(audit);
        q.and_where(Expr::col("batch_id").eq(batch_id))
            .and_where(Expr::col("action").is_in([
                AuditAction::Insert.label(),
                AuditAction::Update.label(),
                AuditAction::Delete.label(),
            ]))
            .and_where(Expr::col("entity").is_in(schema::REGISTRY_TABLES.iter().map(|t| t.name)))
            .order_by("id", Order::Asc);
        let rows = self.conn().fetch_all(&q, "读取批次的修改记录").await?;
        let mut entries = rows
            .iter()
            .map(|r| codec::audit_entry_from(&Snapshot::from_row(audit, r, "")?))
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Read before anything is reverted: the after-state a compact insert
        // entry stands for is the next entry's before-state or the row now.
        crate::audit::complete_inserts(&mut self.conn(), &mut entries).await?;
        entries
            .into_iter()
            .map(|entry| {
                let table =
                    schema::registry_table(&entry.entity).ok_or_else(|| StoreError::Corrupt {
                        table: "audit_log",
                        column: "entity".into(),
                        value: entry.entity.clone(),
                        reason: "不是登记信息表".into(),
                    })?;
                Ok(Change {
                    table,
                    key: entry.entity_key,
                    before: entry.before,
                    after: entry.after,
                    source_row: entry.source_row,
                })
            })
            .collect()
    }

    /// Puts a row back to `restore` (or removes it when `restore` is `None`).
    async fn restore(
        &mut self,
        table: &'static TableDef,
        pk: &Cell,
        current: Option<&Snapshot>,
        restore: Option<&Snapshot>,
    ) -> Result<(), StoreError> {
        let kinds = |c: &str| kind(table, c);
        match (current, restore) {
            (Some(_), None) => {
                let mut q = Query::delete();
                q.from_table(table.name)
                    .and_where(col_eq(table.pk, pk, table.pk_kind()));
                self.conn().execute(&q, "回滚：删除批次新增的记录").await?;
            }
            (None, Some(row)) => {
                let cells: Vec<_> = table
                    .cols
                    .iter()
                    .map(|c| c.name)
                    .zip(row.cells.iter().cloned())
                    .collect();
                let q = insert_stmt(table, &cells)?;
                self.conn().execute(&q, "回滚：恢复批次删除的记录").await?;
            }
            (Some(_), Some(row)) => {
                let mut q = Query::update();
                q.table(table.name)
                    .values(
                        table
                            .cols
                            .iter()
                            .zip(&row.cells)
                            .filter(|(c, _)| c.name != table.pk)
                            .map(|(c, v)| (c.name, Expr::val(v.to_value(kinds(c.name))))),
                    )
                    .and_where(col_eq(table.pk, pk, table.pk_kind()));
                self.conn().execute(&q, "回滚：恢复记录原值").await?;
            }
            (None, None) => {}
        }
        Ok(())
    }
}

/// One registry change of a batch, as the rollback needs it.
struct Change {
    table: &'static TableDef,
    key: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    source_row: Option<i64>,
}
