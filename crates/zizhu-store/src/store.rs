//! Opening a database, migrating it, and checking it is alive.

use crate::clock::now_utc;
use crate::db::{Backend, Pool};
use crate::error::{Context, StoreError};
use crate::schema::{self, MIGRATIONS};
use sea_query::{Expr, Func, PgFunc, Query};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};
use std::str::FromStr;
use std::time::Duration;

/// How long a SQLite writer waits for another writer before giving up.
/// Imports of a whole county list take seconds, so this is generous.
/// Everyday SQLite page cache per connection, in KiB (64 MiB).
pub(crate) const SQLITE_CACHE_KIB: u32 = 65_536;
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Prepared statements kept per SQLite connection (sqlx keeps 100 by default).
const STATEMENT_CACHE: usize = 400;

/// Connections a pool holds at most unless [`Store::connect_with`] says
/// otherwise (sqlx's own default is 10).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// An arbitrary fixed key for the PostgreSQL advisory lock that serialises
/// concurrent `migrate` calls (two web workers starting at once).
const MIGRATION_LOCK_KEY: i64 = 0x7a69_7a68_7500_0001;

/// A handle to the registry database. Cloning is cheap (the pool is shared).
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// Figures kept between registry changes (`stats.rs`), shared by clones.
    figures: std::sync::Arc<crate::stats::Figures>,
    /// The registry change counter as read by [`Store::pinned`]; `None`
    /// reads it again before every cached figure.
    pinned: Option<i64>,
}

/// Replaces the password of a database URL with `***` so the URL can be
/// shown in an error or a log line.
pub fn mask_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let start = scheme_end + 3;
        let authority_end = out[start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..authority_end].rfind('@') {
            let userinfo = &out[start..start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(start + colon + 1..start + at, "***");
            }
        }
    }
    // A password can also travel as a query parameter.
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let masked = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        out = format!("{head}{masked}");
    }
    out
}

fn connect_error(url: &str, e: sqlx::Error) -> StoreError {
    StoreError::Connect {
        url: mask_url(url),
        detail: e.to_string(),
    }
}

/// A PostgreSQL schema name is spliced into `CREATE SCHEMA`, where it cannot
/// be a bound parameter, so only plain lower-case identifiers are allowed.
fn valid_schema_name(schema: &str) -> bool {
    let mut chars = schema.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && schema.len() <= 63
}

impl Store {
    /// Opens the database at `url`:
    ///
    /// - `sqlite://PATH` (or `sqlite:PATH`): a file, created when missing, in
    ///   WAL mode with foreign keys enforced and a busy timeout;
    /// - `sqlite::memory:`: a private in-memory database on one connection;
    /// - `postgres://…` or `postgresql://…`: a PostgreSQL server.
    ///
    /// The database is not migrated; call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Self::connect_with(url, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Opens the database at `url` like [`Store::connect`], with at most
    /// `max_connections` connections in the pool (at least 1). A web server
    /// under many concurrent requests wants more than the default, so that
    /// requests queue for the CPU rather than for a connection.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let max = max_connections.max(1);
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url, max).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| connect_error(url, e))?;
            Self::connect_postgres(url, options, max).await
        } else {
            Err(StoreError::UnsupportedUrl { url: mask_url(url) })
        }
    }

    /// Opens a PostgreSQL database with every table in `schema`, creating
    /// the schema first when it does not exist. Tests use this to give each
    /// test a fresh, isolated schema; a province could use it to keep
    /// several counties in one database.
    pub async fn connect_pg_schema(url: &str, schema: &str) -> Result<Store, StoreError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::UnsupportedUrl { url: mask_url(url) });
        }
        if !valid_schema_name(schema) {
            return Err(StoreError::BadSchemaName {
                schema: schema.to_string(),
            });
        }
        let options = PgConnectOptions::from_str(url).map_err(|e| connect_error(url, e))?;
        let mut conn = options.connect().await.map_err(|e| connect_error(url, e))?;
        // The name was checked above to be a plain identifier, so quoting it
        // is enough to make this literal SQL safe.
        sqlx::query(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .execute(&mut conn)
        .await
        .context("创建 PostgreSQL 模式")?;
        conn.close().await.context("关闭临时连接")?;
        let options = options.options([("search_path", schema)]);
        Self::connect_postgres(url, options, DEFAULT_MAX_CONNECTIONS).await
    }

    async fn connect_sqlite(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let in_memory = url.trim_start_matches("sqlite:").starts_with(":memory:");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| connect_error(url, e))?
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            // An import is one large transaction: a 64 MiB page cache (the
            // default is 2 MiB) keeps it from spilling pages to the WAL and
            // reading them back, and statement journals stay in memory.
            // The cache grows only as far as it is used.
            .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
            .pragma("temp_store", "memory")
            // Rows come back from sqlx's SQLite worker thread over a bounded
            // channel; at the default of 50 a bulk read of a few thousand
            // rows hands over between the threads every 50 rows, which on a
            // busy machine costs more than reading them.
            .row_buffer_size(4096)
            // The bulk path's statements come in a few fixed shapes per
            // table (`db::statement_rows`, `db::padded_in`); keeping them
            // all prepared (the default keeps 100) is what makes the
            // shapes pay.
            .statement_cache_capacity(STATEMENT_CACHE);
        let pool = if in_memory {
            // Every connection to `:memory:` is a different, empty database,
            // so the pool holds exactly one connection and never lets it go.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
        } else {
            SqlitePoolOptions::new()
                .max_connections(max_connections)
                .connect_with(
                    options
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal),
                )
                .await
        }
        .map_err(|e| connect_error(url, e))?;
        Ok(Store {
            pool: Pool::Sqlite(pool),
            figures: std::sync::Arc::default(),
            pinned: None,
        })
    }

    async fn connect_postgres(
        url: &str,
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Store, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| connect_error(url, e))?;
        Ok(Store {
            pool: Pool::Postgres(pool),
            figures: std::sync::Arc::default(),
            pinned: None,
        })
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    pub(crate) fn figures(&self) -> &crate::stats::Figures {
        &self.figures
    }

    /// The change counter a [`Store::pinned`] handle read, if this is one.
    pub(crate) fn pinned_version(&self) -> Option<i64> {
        self.pinned
    }

    /// A handle for one page view: it reads the registry change counter
    /// once, now, and takes its cached figures (terms, school directory,
    /// tallies) as of that counter value, so a page that needs several of
    /// them asks the database once instead of once per figure. Rows are
    /// read as always. Figures are never older than the counter read here
    /// (newer ones, built meanwhile for another request, may be used); a
    /// change committed afterwards shows from the next handle on.
    ///
    /// Meant for reading: a handle that writes and then reads figures
    /// would see those of before its own write.
    pub async fn pinned(&self) -> Result<Store, StoreError> {
        let version = self.registry_version().await?;
        Ok(Store {
            pool: self.pool.clone(),
            figures: self.figures.clone(),
            pinned: Some(version),
        })
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Checks that the database answers, for `/healthz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut c = self.pool.acquire().await?;
        let q = Query::select().expr_as(Expr::val(1), "ok").to_owned();
        c.conn().fetch_all(&q, "检查数据库连接").await?;
        Ok(())
    }

    /// Refreshes the statistics the database plans queries with, after a
    /// large import: PostgreSQL runs `ANALYZE` (a server may run without
    /// autovacuum), SQLite a sampled `ANALYZE` (`analysis_limit`, so it
    /// takes well under a second at a million rows).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut conn = c.conn();
        let statements: &[&str] = match self.backend() {
            Backend::Sqlite => &["PRAGMA analysis_limit = 1000", "ANALYZE"],
            Backend::Postgres => &["ANALYZE"],
        };
        for sql in statements {
            conn.execute_ddl((*sql).to_owned())
                .await
                .context("更新查询统计信息")?;
        }
        Ok(())
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Applies every migration the database has not seen yet, all in one
    /// transaction, and returns how many were applied. Running it again is
    /// harmless: it applies nothing and returns 0.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let backend = self.backend();
        let mut tx = self.pool.begin_write().await?;
        let mut conn = tx.conn();
        if backend == Backend::Postgres {
            let lock = Query::select()
                .expr(PgFunc::advisory_xact_lock(Expr::val(MIGRATION_LOCK_KEY)))
                .to_owned();
            conn.fetch_all(&lock, "锁定数据库结构升级").await?;
        }
        conn.execute_ddl(schema::schema_migrations_table().render(backend))
            .await
            .context("创建结构版本表")?;
        let q = Query::select()
            .column("version")
            .from("schema_migrations")
            .to_owned();
        let applied = conn
            .fetch_all(&q, "读取已应用的结构版本")
            .await?
            .iter()
            .map(|r| r.int("version"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut count = 0;
        for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
            let fail = |e: sqlx::Error| StoreError::Migration {
                version: m.version,
                name: m.name,
                detail: e.to_string(),
            };
            for statement in (m.statements)() {
                conn.execute_ddl(statement.render(backend))
                    .await
                    .map_err(fail)?;
            }
            let mut insert = Query::insert();
            insert
                .into_table("schema_migrations")
                .columns(["version", "name", "applied_at"])
                .values([
                    Expr::val(m.version),
                    Expr::val(m.name),
                    Expr::val(now_utc()),
                ])
                .map_err(|e| StoreError::Invalid {
                    detail: e.to_string(),
                })?;
            conn.execute(&insert, "记录结构版本").await?;
            tracing::info!(version = m.version, name = m.name, "已应用数据库结构升级");
            count += 1;
        }
        tx.commit().await?;
        Ok(count)
    }

    /// The highest migration applied, or 0 for an empty database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut conn = c.conn();
        conn.execute_ddl(schema::schema_migrations_table().render(self.backend()))
            .await
            .context("创建结构版本表")?;
        let q = Query::select()
            .expr_as(
                Func::coalesce([Func::max(Expr::col("version")).into(), Expr::val(0_i64)]),
                "v",
            )
            .from("schema_migrations")
            .to_owned();
        let row = conn.fetch_optional(&q, "读取结构版本").await?;
        match row {
            Some(r) => r.int("v"),
            None => Ok(0),
        }
    }

    /// The version [`Store::migrate`] brings a database to.
    pub fn latest_schema_version() -> i64 {
        MIGRATIONS.last().map_or(0, |m| m.version)
    }
}

#[cfg(test)]
mod tests {
    use super::{mask_url, valid_schema_name};

    #[test]
    fn masks_passwords() {
        for (input, expected) in [
            (
                "postgres://zizhu:s3cret@db:5432/zizhu",
                "postgres://zizhu:***@db:5432/zizhu",
            ),
            ("postgres://zizhu@db/zizhu", "postgres://zizhu@db/zizhu"),
            (
                "postgresql://u:p@h/d?sslmode=disable&password=x",
                "postgresql://u:***@h/d?sslmode=disable&password=***",
            ),
            ("mysql://root:pw@h/d", "mysql://root:***@h/d"),
            ("sqlite:///var/zizhu.db", "sqlite:///var/zizhu.db"),
        ] {
            assert_eq!(mask_url(input), expected, "{input}");
        }
    }

    #[test]
    fn schema_names() {
        assert!(valid_schema_name("t_42_abc"));
        assert!(!valid_schema_name("42abc"));
        assert!(!valid_schema_name("a\"; drop schema public; --"));
        assert!(!valid_schema_name(""));
    }
}
