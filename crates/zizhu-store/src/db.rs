//! The tiny dispatch layer between sea-query statements and the two sqlx
//! drivers.
//!
//! Every query in the crate is written once with sea-query builders. This
//! module renders a statement for the active backend, binds its values
//! through sea-query-sqlx and runs it on a SQLite or PostgreSQL connection.
//! Rows come back as [`DbRow`] and are read column by column as [`Cell`]s of
//! a declared [`Kind`], which is where the one real dialect difference we care
//! about is absorbed: booleans are integers on SQLite and real booleans on
//! PostgreSQL.

use crate::error::{Context, StoreError};
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder, Value};
use sea_query_sqlx::{SqlxBinder, SqlxValues};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{
    AssertSqlSafe, PgConnection, PgPool, Postgres, Row, Sqlite, SqliteConnection, SqlitePool,
    Transaction,
};

/// Which database a [`crate::Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An embedded SQLite file (the county default) or an in-memory database.
    Sqlite,
    /// A PostgreSQL server (the provincial deployment).
    Postgres,
}

impl Backend {
    /// A short name for logs and `/healthz`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection pool of either backend.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn acquire(&self) -> Result<Pooled, StoreError> {
        Ok(match self {
            Pool::Sqlite(p) => Pooled::Sqlite(p.acquire().await.context("获取数据库连接")?),
            Pool::Postgres(p) => Pooled::Postgres(p.acquire().await.context("获取数据库连接")?),
        })
    }

    /// Starts a transaction that will write.
    ///
    /// SQLite gets `BEGIN IMMEDIATE` so the write lock is taken up front: a
    /// deferred transaction that reads first and writes later can fail with
    /// "database is locked" without waiting out the busy timeout, which is
    /// exactly what two concurrent imports would otherwise do.
    pub(crate) async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(
                p.begin_with("BEGIN IMMEDIATE")
                    .await
                    .context("开始写入事务")?,
            ),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await.context("开始写入事务")?),
        })
    }

    /// Starts a transaction that only reads, so that several statements
    /// see one snapshot of the database (a deferred `BEGIN` on SQLite in WAL
    /// mode; `REPEATABLE READ` on PostgreSQL).
    pub(crate) async fn begin_read(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await.context("开始读取事务")?),
            Pool::Postgres(p) => Tx::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
                    .context("开始读取事务")?,
            ),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// A connection checked out of a pool, for reads.
pub(crate) enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// An open transaction of either backend.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await.context("提交事务"),
            Tx::Postgres(t) => t.commit().await.context("提交事务"),
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.rollback().await.context("撤销事务"),
            Tx::Postgres(t) => t.rollback().await.context("撤销事务"),
        }
    }
}

/// A SQLite select's trailing `LIMIT ? OFFSET ?` (or `LIMIT ?`) with the
/// integers written into the text instead of bound.
///
/// SQLite's planner looks at a bound LIMIT or OFFSET (to size the sort), and
/// a statement whose plan looked at a variable is parsed and planned again
/// whenever a new value is bound to it, even the same value: every page of
/// the student list spent a tenth of its CPU parsing its statement again.
/// With the numbers in the text, sqlx's statement cache keeps one prepared
/// statement per page size and offset, and the first page, which most
/// requests ask for, is prepared once per connection. Only integer values
/// are written out, so nothing from input reaches the SQL text.
fn inline_paging((sql, values): (String, SqlxValues)) -> (String, SqlxValues) {
    fn int(v: Option<&Value>) -> Option<i128> {
        match v? {
            Value::BigUnsigned(Some(n)) => Some(i128::from(*n)),
            Value::BigInt(Some(n)) => Some(i128::from(*n)),
            Value::Unsigned(Some(n)) => Some(i128::from(*n)),
            Value::Int(Some(n)) => Some(i128::from(*n)),
            _ => None,
        }
    }
    let SqlxValues(sea_query::Values(mut vals)) = values;
    let n = vals.len();
    if let Some(head) = sql.strip_suffix(" LIMIT ? OFFSET ?")
        && let (Some(limit), Some(offset)) = (
            int(n.checked_sub(2).and_then(|i| vals.get(i))),
            int(vals.last()),
        )
    {
        let sql = format!("{head} LIMIT {limit} OFFSET {offset}");
        vals.truncate(n - 2);
        return (sql, SqlxValues(sea_query::Values(vals)));
    }
    if let Some(head) = sql.strip_suffix(" LIMIT ?")
        && let Some(limit) = int(vals.last())
    {
        let sql = format!("{head} LIMIT {limit}");
        vals.truncate(n - 1);
        return (sql, SqlxValues(sea_query::Values(vals)));
    }
    (sql, SqlxValues(sea_query::Values(vals)))
}

/// A borrowed connection (pooled or inside a transaction) of either backend.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl Conn<'_> {
    /// Runs a data-changing statement and returns the number of rows it touched.
    pub(crate) async fn execute<S: SqlxBinder>(
        &mut self,
        stmt: &S,
        context: &'static str,
    ) -> Result<u64, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                sqlx::query_with(AssertSqlSafe(sql), values)
                    .execute(&mut **c)
                    .await
                    .map(|r| r.rows_affected())
                    .context(context)
            }
            Conn::Postgres(c) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                sqlx::query_with(AssertSqlSafe(sql), values)
                    .execute(&mut **c)
                    .await
                    .map(|r| r.rows_affected())
                    .context(context)
            }
        }
    }

    /// Runs a statement that returns rows (a select, or a write with `RETURNING`).
    pub(crate) async fn fetch_all<S: SqlxBinder>(
        &mut self,
        stmt: &S,
        context: &'static str,
    ) -> Result<Vec<DbRow>, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                let (sql, values) = inline_paging(stmt.build_sqlx(SqliteQueryBuilder));
                let rows = sqlx::query_with(AssertSqlSafe(sql), values)
                    .fetch_all(&mut **c)
                    .await
                    .context(context)?;
                Ok(rows.into_iter().map(DbRow::Sqlite).collect())
            }
            Conn::Postgres(c) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                let rows = sqlx::query_with(AssertSqlSafe(sql), values)
                    .fetch_all(&mut **c)
                    .await
                    .context(context)?;
                Ok(rows.into_iter().map(DbRow::Postgres).collect())
            }
        }
    }

    /// Like [`Conn::fetch_all`] for statements that return at most one row.
    pub(crate) async fn fetch_optional<S: SqlxBinder>(
        &mut self,
        stmt: &S,
        context: &'static str,
    ) -> Result<Option<DbRow>, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                let (sql, values) = inline_paging(stmt.build_sqlx(SqliteQueryBuilder));
                let row = sqlx::query_with(AssertSqlSafe(sql), values)
                    .fetch_optional(&mut **c)
                    .await
                    .context(context)?;
                Ok(row.map(DbRow::Sqlite))
            }
            Conn::Postgres(c) => {
                let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                let row = sqlx::query_with(AssertSqlSafe(sql), values)
                    .fetch_optional(&mut **c)
                    .await
                    .context(context)?;
                Ok(row.map(DbRow::Postgres))
            }
        }
    }

    /// `INSERT INTO table (columns) VALUES (…), (…), …` for rows that all
    /// name the same columns, returning the `returning` columns of every
    /// new row (none when empty), in as many statements as needed.
    ///
    /// The bulk write path's one hot statement, written by hand rather than
    /// through sea-query so that each value is moved into the driver once
    /// instead of being cloned into a statement, then into its value list,
    /// then into the driver's arguments. Identifiers come only from this
    /// crate's table definitions, never from input; values are always
    /// bound. Each statement holds a fixed number of rows (a power of four,
    /// [`statement_rows`]), so that the SQL text depends only on the table,
    /// the columns and that number: sqlx's statement cache prepares each
    /// text once per connection instead of once per chunk, which for
    /// statements of a thousand rows costs as much as running them.
    pub(crate) async fn insert_rows(
        &mut self,
        table: &str,
        columns: &[(&str, Kind)],
        rows: Vec<Vec<Cell>>,
        returning: &[&str],
        context: &'static str,
    ) -> Result<Vec<DbRow>, StoreError> {
        let mut out = Vec::new();
        let mut left = rows.len();
        let mut rows = rows.into_iter();
        while left > 0 {
            let n = statement_rows(columns.len(), left);
            let chunk: Vec<Vec<Cell>> = rows.by_ref().take(n).collect();
            out.extend(
                self.insert_statement(table, columns, chunk, returning, context)
                    .await?,
            );
            left -= n;
        }
        Ok(out)
    }

    /// One multi-row `INSERT` of [`Conn::insert_rows`].
    async fn insert_statement(
        &mut self,
        table: &str,
        columns: &[(&str, Kind)],
        rows: Vec<Vec<Cell>>,
        returning: &[&str],
        context: &'static str,
    ) -> Result<Vec<DbRow>, StoreError> {
        let numbered = matches!(self, Conn::Postgres(_));
        let mut sql = String::with_capacity(64 + rows.len() * columns.len() * 4);
        sql.push_str("INSERT INTO \"");
        sql.push_str(table);
        sql.push_str("\" (");
        for (i, (c, _)) in columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('"');
            sql.push_str(c);
            sql.push('"');
        }
        sql.push_str(") VALUES ");
        let mut n = 0usize;
        for (r, row) in rows.iter().enumerate() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for i in 0..row.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if numbered {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        if !returning.is_empty() {
            sql.push_str(" RETURNING ");
            for (i, c) in returning.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('"');
                sql.push_str(c);
                sql.push('"');
            }
        }
        macro_rules! run {
            ($c:expr, $wrap:path) => {{
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for row in rows {
                    for ((_, kind), cell) in columns.iter().zip(row) {
                        q = match (cell, kind) {
                            (Cell::Int(i), _) => q.bind(i),
                            (Cell::Text(s), _) => q.bind(s),
                            (Cell::Bool(b), _) => q.bind(b),
                            (Cell::Null, Kind::Int) => q.bind(None::<i64>),
                            (Cell::Null, Kind::Text) => q.bind(None::<String>),
                            (Cell::Null, Kind::Bool) => q.bind(None::<bool>),
                        };
                    }
                }
                if returning.is_empty() {
                    q.execute(&mut **$c).await.context(context)?;
                    Ok(Vec::new())
                } else {
                    let rows = q.fetch_all(&mut **$c).await.context(context)?;
                    Ok(rows.into_iter().map($wrap).collect())
                }
            }};
        }
        match self {
            Conn::Sqlite(c) => run!(c, DbRow::Sqlite),
            Conn::Postgres(c) => run!(c, DbRow::Postgres),
        }
    }

    /// Runs one schema statement that sea-query rendered for this backend.
    ///
    /// Schema statements carry no bound values: the text comes only from the
    /// migration list compiled into this crate, never from input.
    pub(crate) async fn execute_ddl(&mut self, sql: String) -> Result<(), sqlx::Error> {
        match self {
            Conn::Sqlite(c) => {
                sqlx::query(AssertSqlSafe(sql)).execute(&mut **c).await?;
            }
            Conn::Postgres(c) => {
                sqlx::query(AssertSqlSafe(sql)).execute(&mut **c).await?;
            }
        }
        Ok(())
    }
}

/// Bound values per statement, well under SQLite's 32,766 and
/// PostgreSQL's 65,535.
pub(crate) const MAX_PARAMS: usize = 30_000;

/// Rows in the next multi-row `INSERT` of `columns` columns when `left`
/// rows remain: the largest power of four that is at most `left` and keeps
/// the statement within [`MAX_PARAMS`] bound values. A row count is then
/// written with a handful of fixed statement texts.
pub(crate) fn statement_rows(columns: usize, left: usize) -> usize {
    let limit = (MAX_PARAMS / columns.max(1)).max(1);
    let mut n = 1;
    while n * 4 <= limit && n * 4 <= left {
        n *= 4;
    }
    n
}

/// `values` for an `IN (…)` list of at most `max` values, padded to a power
/// of two by repeating its last value (which changes nothing an `IN` list
/// matches), so that a read of any number of keys uses a few fixed
/// statement texts that sqlx prepares once.
pub(crate) fn padded_in<T: Clone>(values: &[T]) -> Vec<T> {
    let mut v = values.to_vec();
    if let Some(last) = values.last() {
        v.resize(values.len().next_power_of_two(), last.clone());
    }
    v
}

/// The declared kind of a column, which decides how a value is decoded and
/// how a NULL is typed when it is bound.
///
/// Every integer column is BIGINT so that one Rust type (i64) reads them all
/// on both backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Text,
    Bool,
}

/// One column value, independent of the backend it came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

impl Cell {
    pub(crate) fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub(crate) fn opt_text<S: Into<String>>(s: Option<S>) -> Cell {
        s.map_or(Cell::Null, |s| Cell::Text(s.into()))
    }

    pub(crate) fn opt_int(i: Option<i64>) -> Cell {
        i.map_or(Cell::Null, Cell::Int)
    }

    /// The sea-query value to bind for this cell in a column of `kind`.
    ///
    /// A NULL is bound with the column's type because PostgreSQL refuses a
    /// text-typed NULL parameter for a bigint or boolean column.
    pub(crate) fn to_value(&self, kind: Kind) -> Value {
        match (self, kind) {
            (Cell::Int(i), _) => Value::BigInt(Some(*i)),
            (Cell::Text(s), _) => Value::String(Some(s.clone())),
            (Cell::Bool(b), _) => Value::Bool(Some(*b)),
            (Cell::Null, Kind::Int) => Value::BigInt(None),
            (Cell::Null, Kind::Text) => Value::String(None),
            (Cell::Null, Kind::Bool) => Value::Bool(None),
        }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Int(i) => serde_json::Value::from(*i),
            Cell::Text(s) => serde_json::Value::from(s.as_str()),
            Cell::Bool(b) => serde_json::Value::from(*b),
        }
    }

    /// Reads a cell back from an audit log JSON value.
    pub(crate) fn from_json(v: &serde_json::Value, kind: Kind) -> Option<Cell> {
        match (v, kind) {
            (serde_json::Value::Null, _) => Some(Cell::Null),
            (serde_json::Value::Number(n), Kind::Int) => n.as_i64().map(Cell::Int),
            (serde_json::Value::String(s), Kind::Text) => Some(Cell::Text(s.clone())),
            (serde_json::Value::Bool(b), Kind::Bool) => Some(Cell::Bool(*b)),
            _ => None,
        }
    }

    /// The value as text, for keys and error messages.
    pub(crate) fn render(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Text(s) => s.clone(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// A result row of either backend.
pub(crate) enum DbRow {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl DbRow {
    /// Decodes one column as a cell of the given kind.
    pub(crate) fn cell(&self, column: &str, kind: Kind) -> Result<Cell, StoreError> {
        let decoded = match self {
            DbRow::Sqlite(r) => decode(r, column, kind),
            DbRow::Postgres(r) => decode(r, column, kind),
        };
        decoded.context("读取查询结果")
    }

    /// Decodes the column at `index` (0-based, in select order) as a cell
    /// of the given kind: what a read of many rows of many columns uses, so
    /// that no column is looked up by name.
    pub(crate) fn cell_at(&self, index: usize, kind: Kind) -> Result<Cell, StoreError> {
        let decoded = match self {
            DbRow::Sqlite(r) => decode(r, index, kind),
            DbRow::Postgres(r) => decode(r, index, kind),
        };
        decoded.context("读取查询结果")
    }

    /// Decodes a column that is never NULL (a count, a key).
    pub(crate) fn int(&self, column: &str) -> Result<i64, StoreError> {
        match self.cell(column, Kind::Int)? {
            Cell::Int(i) => Ok(i),
            _ => Err(StoreError::Database {
                context: "读取查询结果",
                detail: format!("列 {column} 意外为空"),
            }),
        }
    }
}

fn decode<R, I>(row: &R, column: I, kind: Kind) -> Result<Cell, sqlx::Error>
where
    R: Row,
    I: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(match kind {
        Kind::Int => row
            .try_get::<Option<i64>, _>(column)?
            .map_or(Cell::Null, Cell::Int),
        Kind::Text => row
            .try_get::<Option<String>, _>(column)?
            .map_or(Cell::Null, Cell::Text),
        Kind::Bool => row
            .try_get::<Option<bool>, _>(column)?
            .map_or(Cell::Null, Cell::Bool),
    })
}

#[cfg(test)]
mod paging_tests {
    use super::*;
    use sea_query::{Expr, ExprTrait, Query};

    fn built(limit: Option<u64>, offset: Option<u64>) -> (String, SqlxValues) {
        let mut q = Query::select();
        q.column("id")
            .from("persons")
            .and_where(Expr::col("name").eq("张三' OR 1=1 --"));
        if let Some(l) = limit {
            q.limit(l);
        }
        if let Some(o) = offset {
            q.offset(o);
        }
        inline_paging(q.build_sqlx(SqliteQueryBuilder))
    }

    #[test]
    fn limit_and_offset_are_written_out_and_everything_else_stays_bound() {
        let (sql, values) = built(Some(50), Some(100));
        assert!(sql.ends_with(" LIMIT 50 OFFSET 100"), "{sql}");
        assert!(sql.contains("\"name\" = ?"), "{sql}");
        assert!(!sql.contains("张三"), "{sql}");
        assert_eq!(values.0.0.len(), 1);
        assert_eq!(values.0.0[0], Value::from("张三' OR 1=1 --"));

        let (sql, values) = built(Some(1), None);
        assert!(sql.ends_with(" LIMIT 1"), "{sql}");
        assert_eq!(values.0.0.len(), 1);

        let (sql, values) = built(None, None);
        assert!(!sql.contains("LIMIT"), "{sql}");
        assert_eq!(values.0.0.len(), 1);
    }
}
