//! The audited write path in bulk, for imports.
//!
//! Each method here does for a slice of records exactly what the per-row
//! method of [`WriteTx`] does for one — the same rows, the same outcomes,
//! the same audit entries with the same before and after JSON — in a few
//! statements per chunk instead of a few per row: the existing rows are read
//! by key in chunks (`WHERE key IN (…)`), compared in Rust, new rows are
//! written with multi-row `INSERT … RETURNING *`, changed rows with
//! `UPDATE … RETURNING *`, and the audit entries with multi-row inserts.
//!
//! A record whose key already has a pending write in the same chunk (the
//! same person twice) first flushes what is pending, so it is compared with
//! the row as the earlier record left it, as the per-row path would.

use crate::clock::now_utc;
use crate::codec::{self, Snapshot};
use crate::db::{Cell, Kind, padded_in};
use crate::error::StoreError;
use crate::records::*;
use crate::schema::{self, TableDef};
use crate::write::{WriteTx, select_all};
use sea_query::{Expr, ExprTrait, Order, Query};
// foldhash instead of SipHash: these maps are keyed by one import's own
// record keys, and hashing them was a visible part of the writer's time.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

/// Keys per `IN (…)` list when reading existing rows (a power of two: the
/// last list of a read is padded to one, see [`padded_in`]).
const READ_CHUNK: usize = 512;

fn kind_of(table: &TableDef, column: &str) -> Kind {
    table.kind_of(column).unwrap_or(Kind::Text)
}

/// The columns of `table` named in `columns`, with their kinds.
fn typed(table: &TableDef, columns: &[&'static str]) -> Vec<(&'static str, Kind)> {
    columns.iter().map(|c| (*c, kind_of(table, c))).collect()
}

/// One record to write: its key (`None`: always a new row) and its cells.
struct Item {
    key: Option<Vec<Cell>>,
    cells: Vec<(&'static str, Cell)>,
    source_row: Option<i64>,
}

/// How a table's rows are found: by `key_cols`, read with
/// `WHERE fetch_col IN (…)` (the first key column).
struct Keyed {
    table: &'static TableDef,
    key_cols: &'static [&'static str],
    /// Extra cells for a new row only (a person's `created_batch`).
    insert_extra: Vec<(&'static str, Cell)>,
}

enum Pending {
    Insert(usize),
    Update(usize, Snapshot),
}

impl WriteTx {
    /// Reads rows of `keyed.table` whose key matches one of `keys`, in
    /// chunks, inside this transaction. The lowest primary key wins when
    /// several rows share a key (as `find_one` does).
    async fn existing_by_keys(
        &mut self,
        keyed: &Keyed,
        keys: &[Vec<Cell>],
    ) -> Result<HashMap<Vec<Cell>, Snapshot>, StoreError> {
        let table = keyed.table;
        let fetch_col = keyed.key_cols[0];
        let fetch_kind = kind_of(table, fetch_col);
        let mut firsts: Vec<&Cell> = keys
            .iter()
            .filter_map(|k| k.first())
            .filter(|c| **c != Cell::Null)
            .collect();
        let mut seen = HashSet::new();
        firsts.retain(|c| seen.insert(*c));
        let wanted: HashSet<&Vec<Cell>> = keys.iter().collect();
        let mut found: HashMap<Vec<Cell>, Snapshot> = HashMap::new();
        for chunk in firsts.chunks(READ_CHUNK) {
            let mut q = select_all(table);
            q.and_where(
                Expr::col(fetch_col).is_in(padded_in(chunk).iter().map(|c| c.to_value(fetch_kind))),
            )
            .order_by(table.pk, Order::Asc);
            let rows = self.conn().fetch_all(&q, "批量读取现有记录").await?;
            for r in &rows {
                let s = Snapshot::from_row(table, r, "")?;
                let key: Vec<Cell> = keyed.key_cols.iter().map(|c| s.get(c).clone()).collect();
                if wanted.contains(&key) {
                    found.entry(key).or_insert(s);
                }
            }
        }
        Ok(found)
    }

    /// The bulk upsert every public method below goes through.
    async fn bulk_upsert(
        &mut self,
        keyed: &Keyed,
        items: Vec<Item>,
    ) -> Result<Vec<(Cell, Outcome)>, StoreError> {
        let keys: Vec<Vec<Cell>> = items.iter().filter_map(|i| i.key.clone()).collect();
        let state = self.existing_by_keys(keyed, &keys).await?;
        self.bulk_upsert_from(keyed, items, state).await
    }

    /// [`WriteTx::bulk_upsert`] given the existing rows of the items' keys,
    /// already read in this transaction.
    async fn bulk_upsert_from(
        &mut self,
        keyed: &Keyed,
        items: Vec<Item>,
        mut state: HashMap<Vec<Cell>, Snapshot>,
    ) -> Result<Vec<(Cell, Outcome)>, StoreError> {
        let mut results: Vec<Option<(Cell, Outcome)>> = vec![None; items.len()];
        let mut pending: Vec<Pending> = Vec::new();
        let mut pending_keys: HashSet<Vec<Cell>> = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(k) = &item.key
                && pending_keys.contains(k)
            {
                self.flush(keyed, &items, &mut pending, &mut state, &mut results)
                    .await?;
                pending_keys.clear();
            }
            match item.key.as_ref().and_then(|k| state.get(k)) {
                Some(before) => {
                    if before.with(&item.cells) == *before {
                        results[i] = Some((before.pk().clone(), Outcome::Unchanged));
                    } else {
                        pending.push(Pending::Update(i, before.clone()));
                        pending_keys.extend(item.key.clone());
                    }
                }
                None => {
                    pending.push(Pending::Insert(i));
                    pending_keys.extend(item.key.clone());
                }
            }
        }
        self.flush(keyed, &items, &mut pending, &mut state, &mut results)
            .await?;
        results
            .into_iter()
            .map(|r| {
                r.ok_or(StoreError::Database {
                    context: "批量写入",
                    detail: "有记录没有写入结果".into(),
                })
            })
            .collect()
    }

    /// Writes the pending inserts and updates and their audit entries.
    async fn flush(
        &mut self,
        keyed: &Keyed,
        items: &[Item],
        pending: &mut Vec<Pending>,
        state: &mut HashMap<Vec<Cell>, Snapshot>,
        results: &mut [Option<(Cell, Outcome)>],
    ) -> Result<(), StoreError> {
        if pending.is_empty() {
            return Ok(());
        }
        let table = keyed.table;
        let ops = std::mem::take(pending);
        // New rows. Keyed ones go in multi-row inserts and are matched back
        // by key; rows without a key (a person without an ID) one by one.
        let inserts: Vec<usize> = ops
            .iter()
            .filter_map(|p| match p {
                Pending::Insert(i) => Some(*i),
                Pending::Update(..) => None,
            })
            .collect();
        let full = |i: usize| -> Vec<(&'static str, Cell)> {
            let mut cells = items[i].cells.clone();
            cells.extend(keyed.insert_extra.iter().cloned());
            cells
        };
        // Rows without a key (a person without an ID) go one by one, between
        // the multi-row inserts of the keyed rows around them, so that
        // primary keys are given in record order as row by row.
        let mut inserted: HashMap<usize, Snapshot> = HashMap::new();
        let mut run: Vec<usize> = Vec::new();
        for &i in &inserts {
            if items[i].key.is_some() {
                run.push(i);
                continue;
            }
            self.insert_keyed(keyed, items, &std::mem::take(&mut run), &mut inserted)
                .await?;
            let cells = full(i);
            let mut q = crate::write::insert_stmt(table, &cells)?;
            q.returning_col(table.pk);
            let row =
                self.conn()
                    .fetch_optional(&q, "新增记录")
                    .await?
                    .ok_or(StoreError::Database {
                        context: "新增记录",
                        detail: "数据库没有返回新记录".into(),
                    })?;
            let pk = row.cell(table.pk, table.pk_kind())?;
            inserted.insert(i, Snapshot::inserted(table, pk, cells));
        }
        self.insert_keyed(keyed, items, &run, &mut inserted).await?;
        // Changed rows, and every audit entry in record order.
        let ctx = self.context().clone();
        let at = now_utc();
        let mut audit_rows: Vec<Vec<Cell>> = Vec::with_capacity(ops.len());
        #[cfg(debug_assertions)]
        let mut written: Vec<Snapshot> = Vec::with_capacity(ops.len());
        for op in ops {
            let (i, action, before, after) = match op {
                Pending::Insert(i) => {
                    let after = inserted.remove(&i).ok_or(StoreError::Database {
                        context: "批量新增记录",
                        detail: "新记录写入后读不到".into(),
                    })?;
                    (i, AuditAction::Insert, None, after)
                }
                Pending::Update(i, before) => {
                    let mut q = Query::update();
                    q.table(table.name)
                        .values(
                            items[i]
                                .cells
                                .iter()
                                .filter(|(c, _)| *c != table.pk)
                                .map(|(c, v)| (*c, Expr::val(v.to_value(kind_of(table, c))))),
                        )
                        .and_where(Expr::col(table.pk).eq(before.pk().to_value(table.pk_kind())));
                    let n = self.conn().execute(&q, "修改记录").await?;
                    if n != 1 {
                        return Err(StoreError::Database {
                            context: "修改记录",
                            detail: "记录修改后读不到".into(),
                        });
                    }
                    let after = before.with(&items[i].cells);
                    (i, AuditAction::Update, Some(before), after)
                }
            };
            #[cfg(debug_assertions)]
            written.push(after.clone());
            audit_rows.push(vec![
                Cell::text(at.clone()),
                Cell::text(&ctx.actor),
                Cell::text(action.label()),
                Cell::text(table.name),
                Cell::Text(after.pk().render()),
                Cell::opt_int(after.person_id()),
                before
                    .as_ref()
                    .map_or(Cell::Null, |s| Cell::Text(s.json_text())),
                // A new row's entry leaves its after-state out: the row
                // itself holds it until its next change, whose entry records
                // it as the before-state (`src/audit.rs` reads it back).
                if before.is_some() {
                    Cell::Text(after.json_text())
                } else {
                    Cell::Null
                },
                Cell::text(&ctx.reason),
                Cell::opt_int(ctx.batch_id),
                Cell::opt_int(items[i].source_row),
            ]);
            if table.name == schema::PERSONS.name
                && let Cell::Int(id) = after.pk()
            {
                self.known_person(*id);
            }
            let outcome = if before.is_some() {
                Outcome::Updated
            } else {
                Outcome::Inserted
            };
            results[i] = Some((after.pk().clone(), outcome));
            if let Some(k) = &items[i].key {
                state.insert(k.clone(), after);
            }
        }
        #[cfg(debug_assertions)]
        self.check_written(&written).await?;
        self.insert_audit_rows(audit_rows).await
    }

    /// Inserts the keyed records `run` (in order) with multi-row inserts and
    /// matches the new primary keys back by key.
    async fn insert_keyed(
        &mut self,
        keyed: &Keyed,
        items: &[Item],
        run: &[usize],
        inserted: &mut HashMap<usize, Snapshot>,
    ) -> Result<(), StoreError> {
        let table = keyed.table;
        let full = |i: usize| -> Vec<(&'static str, Cell)> {
            let mut cells = items[i].cells.clone();
            cells.extend(keyed.insert_extra.iter().cloned());
            cells
        };
        if let Some(&first) = run.first() {
            let columns: Vec<&'static str> = full(first).iter().map(|(c, _)| *c).collect();
            // Only the new primary key and the record key come back: the
            // rest of the row is what was written (`Snapshot::inserted`).
            let mut returning: Vec<&'static str> = vec![table.pk];
            returning.extend(keyed.key_cols.iter().copied());
            // One call: `insert_rows` cuts the rows into statements of
            // fixed sizes.
            let rows: Vec<Vec<Cell>> = run
                .iter()
                .map(|i| {
                    items[*i]
                        .cells
                        .iter()
                        .chain(&keyed.insert_extra)
                        .map(|(_, v)| v.clone())
                        .collect()
                })
                .collect();
            let returned = self
                .conn()
                .insert_rows(
                    table.name,
                    &typed(table, &columns),
                    rows,
                    &returning,
                    "批量新增记录",
                )
                .await?;
            let mut by_key: HashMap<Vec<Cell>, Cell> = HashMap::with_capacity(returned.len());
            for r in &returned {
                let pk = r.cell(table.pk, table.pk_kind())?;
                let key = keyed
                    .key_cols
                    .iter()
                    .map(|c| r.cell(c, kind_of(table, c)))
                    .collect::<Result<Vec<Cell>, _>>()?;
                by_key.insert(key, pk);
            }
            for i in run {
                let key = items[*i].key.as_ref().expect("runs hold keyed records");
                let pk = by_key.remove(key).ok_or(StoreError::Database {
                    context: "批量新增记录",
                    detail: "数据库没有返回新记录".into(),
                })?;
                inserted.insert(*i, Snapshot::inserted(table, pk, full(*i)));
            }
        }
        Ok(())
    }

    /// Debug builds only: reads back every row the bulk path wrote and
    /// checks it is exactly the snapshot audited for it, so that building
    /// the audit entry in Rust can never drift from what was stored.
    #[cfg(debug_assertions)]
    async fn check_written(&mut self, written: &[Snapshot]) -> Result<(), StoreError> {
        for s in written {
            let stored = self.by_pk(s.table, s.pk().clone()).await?;
            if stored.as_ref() != Some(s) {
                return Err(StoreError::Database {
                    context: "批量写入自检",
                    detail: format!(
                        "{} 表主键 {} 的审计快照与库中记录不一致：{:?} ≠ {:?}",
                        s.table.name,
                        s.pk().render(),
                        s.cells,
                        stored.map(|x| x.cells)
                    ),
                });
            }
        }
        Ok(())
    }

    async fn insert_audit_rows(&mut self, rows: Vec<Vec<Cell>>) -> Result<(), StoreError> {
        const COLUMNS: [&str; 11] = [
            "at",
            "actor",
            "action",
            "entity",
            "entity_key",
            "person_id",
            "before_json",
            "after_json",
            "reason",
            "batch_id",
            "source_row",
        ];
        let columns = typed(&schema::AUDIT_LOG, &COLUMNS);
        self.conn()
            .insert_rows(schema::AUDIT_LOG.name, &columns, rows, &[], "写入审计日志")
            .await?;
        Ok(())
    }

    /// Fails with [`StoreError::NotFound`] for the first person id that is
    /// not in the registry, as the per-row methods' check does.
    async fn require_persons(&mut self, ids: &[i64]) -> Result<(), StoreError> {
        let mut unique: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !self.is_known_person(*id))
            .collect();
        unique.sort_unstable();
        unique.dedup();
        let mut found = HashSet::new();
        for chunk in unique.chunks(READ_CHUNK) {
            let mut q = Query::select();
            q.from(schema::PERSONS.name)
                .column("id")
                .and_where(Expr::col("id").is_in(padded_in(chunk)));
            for r in self.conn().fetch_all(&q, "批量核对人员").await? {
                found.insert(r.int("id")?);
            }
        }
        match ids
            .iter()
            .find(|id| !found.contains(id) && !self.is_known_person(**id))
        {
            Some(id) => Err(StoreError::NotFound {
                entity: "人员",
                key: id.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// The persons with these ID numbers, read inside this transaction, by
    /// ID number. Lets an import merge a list with the registry without a
    /// second connection.
    pub async fn persons_by_id_numbers(
        &mut self,
        ids: &[&zizhu_core::IdNumber],
    ) -> Result<std::collections::HashMap<String, Person>, StoreError> {
        let keyed = Keyed {
            table: &schema::PERSONS,
            key_cols: &["id_number"],
            insert_extra: Vec::new(),
        };
        let keys: Vec<Vec<Cell>> = ids.iter().map(|i| vec![Cell::text(i.as_str())]).collect();
        let found = self.existing_by_keys(&keyed, &keys).await?;
        found
            .into_iter()
            .map(|(k, s)| Ok((k[0].render(), codec::person_from(&s)?)))
            .collect()
    }

    /// [`WriteTx::upsert_person`] for many persons: the same rows, outcomes
    /// and audit entries, in record order.
    pub async fn upsert_persons_bulk(
        &mut self,
        persons: &[(PersonRecord, Option<i64>)],
    ) -> Result<Vec<Upserted>, StoreError> {
        let keyed = Keyed {
            table: &schema::PERSONS,
            key_cols: &["id_number"],
            insert_extra: vec![("created_batch", Cell::opt_int(self.context().batch_id))],
        };
        let items = persons
            .iter()
            .map(|(p, row)| Item {
                key: p.id_number.as_ref().map(|i| vec![Cell::text(i.as_str())]),
                cells: codec::person_cells(p),
                source_row: *row,
            })
            .collect();
        upserted(self.bulk_upsert(&keyed, items).await?)
    }

    /// Merges many list rows with the registry and writes them, reading
    /// each person once: `merge(i, existing)` makes row `i`'s record from
    /// the registry's person with that ID number (read inside this
    /// transaction), and the records are written as by
    /// [`WriteTx::upsert_persons_bulk`]. An ID number must not repeat among
    /// `persons` (cut the list where one does).
    pub async fn merge_persons_bulk<F>(
        &mut self,
        persons: &[(Option<&zizhu_core::IdNumber>, Option<i64>)],
        mut merge: F,
    ) -> Result<Vec<Upserted>, StoreError>
    where
        F: FnMut(usize, Option<PersonRecord>) -> PersonRecord,
    {
        let keyed = Keyed {
            table: &schema::PERSONS,
            key_cols: &["id_number"],
            insert_extra: vec![("created_batch", Cell::opt_int(self.context().batch_id))],
        };
        let keys: Vec<Vec<Cell>> = persons
            .iter()
            .filter_map(|(id, _)| id.map(|i| vec![Cell::text(i.as_str())]))
            .collect();
        let state = self.existing_by_keys(&keyed, &keys).await?;
        let mut items = Vec::with_capacity(persons.len());
        for (i, (id, row)) in persons.iter().enumerate() {
            let key = id.map(|i| vec![Cell::text(i.as_str())]);
            let existing = match key.as_ref().and_then(|k| state.get(k)) {
                Some(s) => Some(codec::person_from(s)?.record),
                None => None,
            };
            let record = merge(i, existing);
            items.push(Item {
                key: record
                    .id_number
                    .as_ref()
                    .map(|i| vec![Cell::text(i.as_str())]),
                cells: codec::person_cells(&record),
                source_row: *row,
            });
        }
        upserted(self.bulk_upsert_from(&keyed, items, state).await?)
    }

    /// [`WriteTx::upsert_enrollment`] for many enrollments.
    pub async fn upsert_enrollments_bulk(
        &mut self,
        enrollments: &[(EnrollmentRecord, Option<i64>)],
    ) -> Result<Vec<Upserted>, StoreError> {
        let ids: Vec<i64> = enrollments.iter().map(|(e, _)| e.person_id).collect();
        self.require_persons(&ids).await?;
        let keyed = Keyed {
            table: &schema::ENROLLMENTS,
            key_cols: &["person_id", "term"],
            insert_extra: Vec::new(),
        };
        let items = enrollments
            .iter()
            .map(|(e, row)| Item {
                key: Some(vec![Cell::Int(e.person_id), Cell::text(e.term.code())]),
                cells: codec::enrollment_cells(e),
                source_row: *row,
            })
            .collect();
        upserted(self.bulk_upsert(&keyed, items).await?)
    }

    /// [`WriteTx::add_guardian`] for many guardians.
    pub async fn add_guardians_bulk(
        &mut self,
        guardians: &[(GuardianRecord, Option<i64>)],
    ) -> Result<Vec<Upserted>, StoreError> {
        let ids: Vec<i64> = guardians.iter().map(|(g, _)| g.person_id).collect();
        self.require_persons(&ids).await?;
        let keyed = Keyed {
            table: &schema::GUARDIANS,
            key_cols: &["person_id", "name"],
            insert_extra: Vec::new(),
        };
        let items = guardians
            .iter()
            .map(|(g, row)| Item {
                key: Some(vec![Cell::Int(g.person_id), Cell::text(g.name.original())]),
                cells: codec::guardian_cells(g),
                source_row: *row,
            })
            .collect();
        upserted(self.bulk_upsert(&keyed, items).await?)
    }

    /// The households with these 户编号, read inside this transaction, by
    /// 户编号. Lets an import merge a list with the registry, and find the
    /// households its member rows name, without a second connection.
    pub async fn households_by_nos(
        &mut self,
        nos: &[&str],
    ) -> Result<std::collections::HashMap<String, Household>, StoreError> {
        let keyed = Keyed {
            table: &schema::HOUSEHOLDS,
            key_cols: &["household_no"],
            insert_extra: Vec::new(),
        };
        let keys: Vec<Vec<Cell>> = nos.iter().map(|n| vec![Cell::text(*n)]).collect();
        let found = self.existing_by_keys(&keyed, &keys).await?;
        found
            .into_iter()
            .map(|(k, s)| Ok((k[0].render(), codec::household_from(&s)?)))
            .collect()
    }

    /// [`WriteTx::upsert_household`] for many households: the same rows,
    /// outcomes and audit entries, in record order.
    pub async fn upsert_households_bulk(
        &mut self,
        households: &[(HouseholdRecord, Option<i64>)],
    ) -> Result<Vec<Upserted>, StoreError> {
        if households
            .iter()
            .any(|(h, _)| h.household_no.trim().is_empty())
        {
            return Err(StoreError::Invalid {
                detail: "户编号为空".into(),
            });
        }
        let keyed = Keyed {
            table: &schema::HOUSEHOLDS,
            key_cols: &["household_no"],
            insert_extra: Vec::new(),
        };
        let items = households
            .iter()
            .map(|(h, row)| Item {
                key: Some(vec![Cell::text(&h.household_no)]),
                cells: codec::household_cells(h),
                source_row: *row,
            })
            .collect();
        upserted(self.bulk_upsert(&keyed, items).await?)
    }

    /// [`WriteTx::set_person_household`] for many persons: `(person id,
    /// household id, source row)`. The same updates, outcomes and audit
    /// entries, in order.
    pub async fn set_person_households_bulk(
        &mut self,
        links: &[(i64, Option<i64>, Option<i64>)],
    ) -> Result<Vec<Outcome>, StoreError> {
        let ids: Vec<i64> = links.iter().map(|(p, _, _)| *p).collect();
        self.require_persons(&ids).await?;
        let households = Keyed {
            table: &schema::HOUSEHOLDS,
            key_cols: &["id"],
            insert_extra: Vec::new(),
        };
        let wanted: Vec<Vec<Cell>> = links
            .iter()
            .filter_map(|(_, h, _)| h.map(|h| vec![Cell::Int(h)]))
            .collect();
        let found = self.existing_by_keys(&households, &wanted).await?;
        if let Some(missing) = wanted.iter().find(|k| !found.contains_key(*k)) {
            return Err(StoreError::NotFound {
                entity: "家庭户",
                key: missing[0].render(),
            });
        }
        let keyed = Keyed {
            table: &schema::PERSONS,
            key_cols: &["id"],
            insert_extra: Vec::new(),
        };
        let items = links
            .iter()
            .map(|(p, h, row)| Item {
                key: Some(vec![Cell::Int(*p)]),
                cells: vec![("household_id", Cell::opt_int(*h))],
                source_row: *row,
            })
            .collect();
        Ok(self
            .bulk_upsert(&keyed, items)
            .await?
            .into_iter()
            .map(|(_, o)| o)
            .collect())
    }

    /// [`WriteTx::set_bank_account`] for many accounts: the same closes,
    /// updates, new rows, outcomes and audit entries. The list is cut where
    /// a person's account kind repeats, so a later record sees what the
    /// earlier one wrote; within a part, the closes of old numbers are
    /// written before the updates and new rows.
    pub async fn set_bank_accounts_bulk(
        &mut self,
        accounts: &[(BankAccountRecord, Option<i64>)],
    ) -> Result<Vec<Upserted>, StoreError> {
        let ids: Vec<i64> = accounts.iter().map(|(a, _)| a.person_id).collect();
        self.require_persons(&ids).await?;
        let mut out = Vec::with_capacity(accounts.len());
        let mut start = 0;
        let mut seen = HashSet::new();
        for (i, (a, _)) in accounts.iter().enumerate() {
            if !seen.insert((a.person_id, a.kind.label())) {
                out.extend(self.set_bank_accounts_part(&accounts[start..i]).await?);
                start = i;
                seen.clear();
                seen.insert((a.person_id, a.kind.label()));
            }
        }
        out.extend(self.set_bank_accounts_part(&accounts[start..]).await?);
        Ok(out)
    }

    /// [`WriteTx::set_bank_accounts_bulk`] for records whose (person, kind)
    /// do not repeat.
    async fn set_bank_accounts_part(
        &mut self,
        accounts: &[(BankAccountRecord, Option<i64>)],
    ) -> Result<Vec<Upserted>, StoreError> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let table = &schema::BANK_ACCOUNTS;
        let active_label = AccountStatus::Active.label();
        // The persons' active accounts, by (person, kind), lowest id first.
        let mut persons: Vec<i64> = accounts.iter().map(|(a, _)| a.person_id).collect();
        persons.sort_unstable();
        persons.dedup();
        let mut active: HashMap<(i64, String), Vec<Snapshot>> = HashMap::new();
        for chunk in persons.chunks(READ_CHUNK) {
            let mut q = select_all(table);
            q.and_where(Expr::col("person_id").is_in(padded_in(chunk)))
                .and_where(Expr::col("status").eq(active_label))
                .order_by(table.pk, Order::Asc);
            for r in self.conn().fetch_all(&q, "批量读取现有账户").await? {
                let s = Snapshot::from_row(table, &r, "")?;
                let key = (s.int("person_id")?, s.text("kind")?);
                active.entry(key).or_default().push(s);
            }
        }
        let mut closes = Vec::new();
        let mut close_state = HashMap::new();
        let mut items = Vec::with_capacity(accounts.len());
        let mut same_state = HashMap::new();
        for (a, row) in accounts {
            let number = Cell::text(a.account_no.as_str());
            let key = vec![
                Cell::Int(a.person_id),
                Cell::text(a.kind.label()),
                number.clone(),
            ];
            let mut same = None;
            for s in active
                .remove(&(a.person_id, a.kind.label().to_string()))
                .unwrap_or_default()
            {
                if *s.get("account_no") == number && same.is_none() {
                    same = Some(s);
                    continue;
                }
                let k = vec![s.pk().clone()];
                closes.push(Item {
                    key: Some(k.clone()),
                    cells: vec![
                        ("status", Cell::text(AccountStatus::Closed.label())),
                        ("valid_to", Cell::text(a.valid_from.to_string())),
                    ],
                    source_row: *row,
                });
                close_state.insert(k, s);
            }
            let mut cells = codec::bank_account_cells(a);
            if let Some(s) = same {
                cells.retain(|(c, _)| *c != "valid_from");
                same_state.insert(key.clone(), s);
            } else {
                cells.push(("status", Cell::text(active_label)));
                cells.push(("valid_to", Cell::Null));
            }
            items.push(Item {
                key: Some(key),
                cells,
                source_row: *row,
            });
        }
        if !closes.is_empty() {
            let by_id = Keyed {
                table,
                key_cols: &["id"],
                insert_extra: Vec::new(),
            };
            self.bulk_upsert_from(&by_id, closes, close_state).await?;
        }
        let by_number = Keyed {
            table,
            key_cols: &["person_id", "kind", "account_no"],
            insert_extra: Vec::new(),
        };
        upserted(self.bulk_upsert_from(&by_number, items, same_state).await?)
    }

    /// [`WriteTx::record_import_row`] for many rows, in multi-row inserts.
    pub async fn record_import_rows_bulk(
        &mut self,
        batch_id: i64,
        rows: &[ImportRowRecord],
    ) -> Result<(), StoreError> {
        const COLUMNS: [&str; 7] = [
            "batch_id",
            "row_no",
            "sheet",
            "entity",
            "entity_id",
            "outcome",
            "reason",
        ];
        let columns = typed(&schema::IMPORT_ROWS, &COLUMNS);
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|row| {
                vec![
                    Cell::Int(batch_id),
                    Cell::Int(row.row_no),
                    Cell::opt_text(row.sheet.as_deref()),
                    Cell::text(&row.entity),
                    Cell::opt_int(row.entity_id),
                    Cell::text(row.outcome.label()),
                    Cell::opt_text(row.reason.as_deref()),
                ]
            })
            .collect();
        self.conn()
            .insert_rows(schema::IMPORT_ROWS.name, &columns, cells, &[], "记录导入行")
            .await?;
        Ok(())
    }
}

fn upserted(rows: Vec<(Cell, Outcome)>) -> Result<Vec<Upserted>, StoreError> {
    rows.into_iter()
        .map(|(pk, outcome)| match pk {
            Cell::Int(id) => Ok(Upserted { id, outcome }),
            other => Err(StoreError::Database {
                context: "批量写入",
                detail: format!("主键不是整数：{}", other.render()),
            }),
        })
        .collect()
}
