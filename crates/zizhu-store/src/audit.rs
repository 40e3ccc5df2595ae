//! The after-state of compact insert entries.
//!
//! The bulk write path (`src/bulk.rs`) audits a new row with an entry that
//! has no `after_json`: the row as stored *is* its after-state until its next
//! change, and that change's own entry records it as its `before_json` (every
//! change of a registry row is audited, a delete or a rollback included). So
//! the after-state of such an entry is the `before_json` of the next entry
//! for the same row, or, when there is none yet, the row itself. This module
//! fills it in wherever entries are read ([`Store::person_history`],
//! [`Store::audit_log`] and a batch rollback), so that every reader sees the
//! same [`AuditEntry::after`] as if it had been stored.
//!
//! The reads run on the connection (and inside the transaction) that read
//! the entries, so the later entries and the rows are those of the same
//! snapshot.
//!
//! [`Store::person_history`]: crate::Store::person_history
//! [`Store::audit_log`]: crate::Store::audit_log

use crate::codec::Snapshot;
use crate::db::{Cell, Conn, Kind};
use crate::error::StoreError;
use crate::records::{AuditAction, AuditEntry};
use crate::schema;
use crate::write::select_all;
use foldhash::{HashMap, HashMapExt};
use sea_query::{Expr, ExprTrait, Order, Query};
use std::collections::BTreeMap;

/// Keys per `IN (…)` list.
const IN_CHUNK: usize = 500;

/// True for an entry whose after-state is not stored but derived.
fn is_compact(e: &AuditEntry) -> bool {
    e.action == AuditAction::Insert && e.after.is_none()
}

/// Fills in [`AuditEntry::after`] of every compact insert entry among
/// `entries`: the `before_json` of the row's next entry, else the row as it
/// is now. A compact entry whose row has neither (a row gone without an
/// audited change) is [`StoreError::Corrupt`].
pub(crate) async fn complete_inserts(
    conn: &mut Conn<'_>,
    entries: &mut [AuditEntry],
) -> Result<(), StoreError> {
    let mut by_table: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        if is_compact(e) {
            by_table.entry(e.entity.as_str()).or_default().push(i);
        }
    }
    let by_table: Vec<(String, Vec<usize>)> = by_table
        .into_iter()
        .map(|(t, v)| (t.to_string(), v))
        .collect();
    for (entity, idxs) in by_table {
        let table = schema::registry_table(&entity).ok_or_else(|| StoreError::Corrupt {
            table: "audit_log",
            column: "entity".into(),
            value: entity.clone(),
            reason: "不是登记信息表，新增记录却没有变更后的值".into(),
        })?;
        let mut keys: Vec<&str> = idxs
            .iter()
            .map(|&i| entries[i].entity_key.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let first = idxs.iter().map(|&i| entries[i].id).min().unwrap_or(0);
        // Later entries of these rows, oldest first, with their before-state.
        let mut later: HashMap<String, Vec<(i64, Option<serde_json::Value>)>> = HashMap::new();
        for chunk in keys.chunks(IN_CHUNK) {
            let mut q = Query::select();
            q.from(schema::AUDIT_LOG.name)
                .columns(["id", "entity_key", "before_json"])
                .and_where(Expr::col("entity").eq(entity.as_str()))
                .and_where(Expr::col("entity_key").is_in(chunk.iter().copied()))
                .and_where(Expr::col("id").gt(first))
                .order_by("id", Order::Asc);
            for r in conn.fetch_all(&q, "查询审计日志").await? {
                let id = r.int("id")?;
                let key = r.cell("entity_key", Kind::Text)?.render();
                let before = match r.cell("before_json", Kind::Text)? {
                    Cell::Text(t) => {
                        Some(serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
                            table: "audit_log",
                            column: "before_json".into(),
                            value: t.clone(),
                            reason: e.to_string(),
                        })?)
                    }
                    _ => None,
                };
                later.entry(key).or_default().push((id, before));
            }
        }
        let mut current_wanted: Vec<usize> = Vec::new();
        for &i in &idxs {
            let e = &mut entries[i];
            match later
                .get(&e.entity_key)
                .and_then(|v| v.iter().find(|(id, _)| *id > e.id))
            {
                Some((_, before)) => e.after = before.clone(),
                None => current_wanted.push(i),
            }
        }
        if current_wanted.is_empty() {
            continue;
        }
        // The rows with no later change: their after-state is what they hold.
        let mut pks: Vec<Cell> = Vec::with_capacity(current_wanted.len());
        for &i in &current_wanted {
            let key = &entries[i].entity_key;
            pks.push(match table.pk_kind() {
                Kind::Int => key
                    .parse()
                    .map(Cell::Int)
                    .map_err(|_| StoreError::Corrupt {
                        table: "audit_log",
                        column: "entity_key".into(),
                        value: key.clone(),
                        reason: "应为整数主键".into(),
                    })?,
                _ => Cell::Text(key.clone()),
            });
        }
        pks.sort_by_key(Cell::render);
        pks.dedup();
        let mut rows: HashMap<String, serde_json::Value> = HashMap::new();
        for chunk in pks.chunks(IN_CHUNK) {
            let mut q = select_all(table);
            q.and_where(
                Expr::col(table.pk).is_in(chunk.iter().map(|c| c.to_value(table.pk_kind()))),
            );
            for r in conn.fetch_all(&q, "查询审计日志").await? {
                let s = Snapshot::from_row(table, &r, "")?;
                rows.insert(s.pk().render(), s.to_json());
            }
        }
        for i in current_wanted {
            let e = &mut entries[i];
            match rows.get(&e.entity_key) {
                Some(row) => e.after = Some(row.clone()),
                None => {
                    return Err(StoreError::Corrupt {
                        table: "audit_log",
                        column: "after_json".into(),
                        value: format!("{} {}", e.entity, e.entity_key),
                        reason: "新增记录的审计条目没有变更后的值，该记录既无后续变更也已不在表中"
                            .into(),
                    });
                }
            }
        }
    }
    Ok(())
}
