//! Who may use the system and what they looked at: users and their
//! passwords, sessions, login attempts, the log of unmasked personal data,
//! and who uploaded which import batch.
//!
//! Users and batch uploads are changed only through a [`WriteTx`], so every
//! change to who may see what is in the audit log like registry data. The
//! password hash sits in its own table that the audit path never
//! snapshots, so it never reaches the audit log.
//!
//! Sessions, login attempts and the unmask log are written directly by
//! [`Store`] methods. They are access bookkeeping, not registry data: the
//! login and unmask tables are append-only logs themselves, and auditing
//! every session refresh would bury the real changes.

use crate::browse::{SCOPE_ALL, SCOPE_CLASSES, SCOPE_SCHOOL, SCOPE_TOWNSHIP};
use crate::clock::{now_utc, utc_after, utc_before};
use crate::codec::Snapshot;
use crate::db::{Cell, DbRow, Kind};
use crate::error::StoreError;
use crate::read::Scope;
use crate::records::Outcome;
use crate::schema;
use crate::store::Store;
use crate::write::{WriteTx, select_all};
use sea_query::{Expr, ExprTrait, Func, JoinType, Order, Query};
use std::time::Duration;

/// A user account as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    /// The login name (unique).
    pub username: String,
    /// The name shown in page headers and the audit log (张老师).
    pub display_name: String,
    /// The role's label (学校资助专干, …). The web application defines the
    /// roles; the store keeps the label.
    pub role: String,
    /// The part of the county the user may see.
    pub scope: Scope,
}

/// A user account as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// What was written.
    pub record: UserRecord,
    /// The next login must choose a new password.
    pub must_change_password: bool,
    /// The account may not sign in.
    pub disabled: bool,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// ISO-8601 UTC of the last password change.
    pub password_changed_at: Option<String>,
}

/// A session to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 (hex) of the token the browser holds.
    pub token_hash: String,
    /// The signed-in user.
    pub user_id: i64,
    /// The token every form of the session must carry.
    pub csrf_token: String,
    /// How long the session lives without a request.
    pub idle: Duration,
    /// How long it lives at most.
    pub absolute: Duration,
    /// The address the login came from.
    pub ip: Option<String>,
}

/// An open, unexpired session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the browser's token.
    pub token_hash: String,
    /// The signed-in user.
    pub user_id: i64,
    /// The session's form token.
    pub csrf_token: String,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// When the session ends unless a request extends it.
    pub expires_at: String,
    /// When the session ends whatever happens.
    pub absolute_expires_at: String,
    /// The last time it was extended.
    pub last_seen_at: String,
}

/// One unmasking of a person's personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmaskRecord {
    /// Who saw it (login name).
    pub actor: String,
    /// Their account.
    pub user_id: Option<i64>,
    /// Whose data.
    pub person_id: i64,
    /// Which data, in Chinese (身份证号、银行账号、电话、住址).
    pub fields: String,
    /// The page it was shown on.
    pub page: String,
    /// The address the request came from.
    pub ip: Option<String>,
}

/// An entry of the unmask log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmaskEntry {
    /// Primary key; also the order of the log.
    pub id: i64,
    /// When, ISO-8601 UTC.
    pub at: String,
    /// What was recorded.
    pub record: UnmaskRecord,
}

/// Who uploaded an import batch through the web application, and where its
/// files are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchUpload {
    /// The batch.
    pub batch_id: i64,
    /// The part of the county the batch belongs to; readers outside it do
    /// not see the batch. Only `All`, `Township` and `School` are stored.
    pub owner: Scope,
    /// The login name of the uploader.
    pub uploaded_by: String,
    /// Where the uploaded file is kept.
    pub stored_file: String,
    /// Where the rejection report is kept, when rows were rejected.
    pub report_file: Option<String>,
}

/// A scope as the three columns it is stored in.
fn scope_cells(scope: &Scope) -> (Cell, Cell, Cell) {
    match scope {
        Scope::All => (Cell::text(SCOPE_ALL), Cell::Null, Cell::Null),
        Scope::Township(t) => (Cell::text(SCOPE_TOWNSHIP), Cell::text(t), Cell::Null),
        Scope::School(c) => (Cell::text(SCOPE_SCHOOL), Cell::text(c), Cell::Null),
        Scope::Classes { school, classes } => (
            Cell::text(SCOPE_CLASSES),
            Cell::text(school),
            Cell::text(classes.join("\n")),
        ),
    }
}

fn scope_from(s: &Snapshot) -> Result<Scope, StoreError> {
    let code = || {
        s.opt_text("scope_code")?
            .ok_or_else(|| s.corrupt("scope_code", "该范围需要代码"))
    };
    let kind = s.text("scope_kind")?;
    let scope = match kind.as_str() {
        SCOPE_ALL => Scope::All,
        SCOPE_TOWNSHIP => Scope::Township(code()?),
        SCOPE_SCHOOL => Scope::School(code()?),
        SCOPE_CLASSES => Scope::Classes {
            school: code()?,
            classes: s
                .opt_text("classes")?
                .unwrap_or_default()
                .split('\n')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
        },
        _ => return Err(s.corrupt("scope_kind", "未知的数据范围")),
    };
    Ok(scope)
}

fn user_from(s: &Snapshot) -> Result<User, StoreError> {
    Ok(User {
        id: s.int("id")?,
        record: UserRecord {
            username: s.text("username")?,
            display_name: s.text("display_name")?,
            role: s.text("role")?,
            scope: scope_from(s)?,
        },
        must_change_password: s.bool("must_change_password")?,
        disabled: s.bool("disabled")?,
        created_at: s.text("created_at")?,
        password_changed_at: s.opt_text("password_changed_at")?,
    })
}

fn batch_upload_from(s: &Snapshot) -> Result<BatchUpload, StoreError> {
    Ok(BatchUpload {
        batch_id: s.int("batch_id")?,
        owner: scope_from(s)?,
        uploaded_by: s.text("uploaded_by")?,
        stored_file: s.text("stored_file")?,
        report_file: s.opt_text("report_file")?,
    })
}

fn cell_text(row: &DbRow, column: &str) -> Result<Option<String>, StoreError> {
    Ok(match row.cell(column, Kind::Text)? {
        Cell::Text(s) => Some(s),
        _ => None,
    })
}

fn session_from(row: &DbRow) -> Result<Session, StoreError> {
    let text = |c: &str| cell_text(row, c).map(Option::unwrap_or_default);
    Ok(Session {
        token_hash: text("token_hash")?,
        user_id: row.int("user_id")?,
        csrf_token: text("csrf_token")?,
        created_at: text("created_at")?,
        expires_at: text("expires_at")?,
        absolute_expires_at: text("absolute_expires_at")?,
        last_seen_at: text("last_seen_at")?,
    })
}

const SESSION_COLUMNS: [&str; 7] = [
    "token_hash",
    "user_id",
    "csrf_token",
    "created_at",
    "expires_at",
    "absolute_expires_at",
    "last_seen_at",
];

fn check_user(user: &UserRecord) -> Result<(), StoreError> {
    let name = user.username.trim();
    if name.is_empty() || name != user.username {
        return Err(StoreError::Invalid {
            detail: format!("用户名“{}”为空或首尾有空格", user.username),
        });
    }
    if user.display_name.trim().is_empty() || user.role.trim().is_empty() {
        return Err(StoreError::Invalid {
            detail: "用户的姓名和角色不能为空".into(),
        });
    }
    user.scope.check()
}

impl WriteTx {
    /// Creates a user with a password hash; refuses a name already taken.
    pub async fn add_user(
        &mut self,
        user: &UserRecord,
        password_hash: &str,
        must_change_password: bool,
    ) -> Result<i64, StoreError> {
        check_user(user)?;
        let existing = self
            .find_one(&schema::USERS, &[("username", Cell::text(&user.username))])
            .await?;
        if existing.is_some() {
            return Err(StoreError::Invalid {
                detail: format!("用户名“{}”已存在", user.username),
            });
        }
        let (kind, code, classes) = scope_cells(&user.scope);
        let now = now_utc();
        let cells = [
            ("username", Cell::text(&user.username)),
            ("display_name", Cell::text(&user.display_name)),
            ("role", Cell::text(&user.role)),
            ("scope_kind", kind),
            ("scope_code", code),
            ("classes", classes),
            ("must_change_password", Cell::Bool(must_change_password)),
            ("disabled", Cell::Bool(false)),
            ("created_at", Cell::text(&now)),
            ("password_changed_at", Cell::text(&now)),
        ];
        let row = self.insert_row(&schema::USERS, &cells, None, None).await?;
        let id = row.int("id")?;
        let q = Query::insert()
            .into_table("user_credentials")
            .columns(["user_id", "password_hash"])
            .values_panic([Expr::val(id), Expr::val(password_hash)])
            .to_owned();
        self.conn().execute(&q, "保存密码").await?;
        Ok(id)
    }

    /// Changes a user's name, role or scope. Their sessions end, so a
    /// narrowed scope takes effect at once.
    pub async fn update_user(
        &mut self,
        user_id: i64,
        user: &UserRecord,
    ) -> Result<Outcome, StoreError> {
        check_user(user)?;
        let before = self.require(&schema::USERS, "用户", user_id).await?;
        let (kind, code, classes) = scope_cells(&user.scope);
        let changes = [
            ("username", Cell::text(&user.username)),
            ("display_name", Cell::text(&user.display_name)),
            ("role", Cell::text(&user.role)),
            ("scope_kind", kind),
            ("scope_code", code),
            ("classes", classes),
        ];
        let outcome = match self.update_row(&before, &changes, None, None).await? {
            Some(_) => Outcome::Updated,
            None => return Ok(Outcome::Unchanged),
        };
        self.end_sessions(user_id).await?;
        Ok(outcome)
    }

    /// Sets a new password hash. `must_change` makes the next login choose
    /// another (an administrator's reset); every session of the user ends.
    pub async fn set_user_password(
        &mut self,
        user_id: i64,
        password_hash: &str,
        must_change: bool,
    ) -> Result<(), StoreError> {
        let before = self.require(&schema::USERS, "用户", user_id).await?;
        let changes = [
            ("must_change_password", Cell::Bool(must_change)),
            ("password_changed_at", Cell::text(now_utc())),
        ];
        self.update_row(&before, &changes, None, None).await?;
        let q = Query::update()
            .table("user_credentials")
            .value("password_hash", password_hash)
            .and_where(Expr::col("user_id").eq(user_id))
            .to_owned();
        self.conn().execute(&q, "保存密码").await?;
        self.end_sessions(user_id).await
    }

    /// Disables or re-enables an account. Disabling ends its sessions.
    pub async fn set_user_disabled(
        &mut self,
        user_id: i64,
        disabled: bool,
    ) -> Result<Outcome, StoreError> {
        let before = self.require(&schema::USERS, "用户", user_id).await?;
        let changes = [("disabled", Cell::Bool(disabled))];
        let outcome = match self.update_row(&before, &changes, None, None).await? {
            Some(_) => Outcome::Updated,
            None => Outcome::Unchanged,
        };
        if disabled {
            self.end_sessions(user_id).await?;
        }
        Ok(outcome)
    }

    async fn end_sessions(&mut self, user_id: i64) -> Result<(), StoreError> {
        let q = Query::delete()
            .from_table("sessions")
            .and_where(Expr::col("user_id").eq(user_id))
            .to_owned();
        self.conn().execute(&q, "结束用户的会话").await?;
        Ok(())
    }

    /// Records who uploaded a batch and where its files are.
    pub async fn record_batch_upload(&mut self, upload: &BatchUpload) -> Result<(), StoreError> {
        if matches!(upload.owner, Scope::Classes { .. }) {
            return Err(StoreError::Invalid {
                detail: "导入批次只能属于全县、乡镇或学校".into(),
            });
        }
        upload.owner.check()?;
        self.require(&schema::IMPORT_BATCHES, "导入批次", upload.batch_id)
            .await?;
        let (kind, code, _) = scope_cells(&upload.owner);
        let cells = [
            ("batch_id", Cell::Int(upload.batch_id)),
            ("scope_kind", kind),
            ("scope_code", code),
            ("uploaded_by", Cell::text(&upload.uploaded_by)),
            ("stored_file", Cell::text(&upload.stored_file)),
            ("report_file", Cell::opt_text(upload.report_file.as_deref())),
        ];
        let batch = Some(upload.batch_id);
        self.insert_row(&schema::BATCH_UPLOADS, &cells, batch, None)
            .await?;
        Ok(())
    }
}

impl Store {
    async fn users_where(
        &self,
        column: &'static str,
        value: Cell,
    ) -> Result<Vec<User>, StoreError> {
        let mut q = select_all(&schema::USERS);
        q.and_where(Expr::col(column).eq(value.to_value(Kind::Text)))
            .order_by("id", Order::Asc);
        self.read_snapshots(&schema::USERS, &q, "查询用户")
            .await?
            .iter()
            .map(user_from)
            .collect()
    }

    /// The user with this login name.
    pub async fn get_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .users_where("username", Cell::text(username))
            .await?
            .into_iter()
            .next())
    }

    /// The user with this id.
    pub async fn get_user(&self, id: i64) -> Result<Option<User>, StoreError> {
        Ok(self
            .users_where("id", Cell::Int(id))
            .await?
            .into_iter()
            .next())
    }

    /// Every user, by id.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let mut q = select_all(&schema::USERS);
        q.order_by("id", Order::Asc);
        self.read_snapshots(&schema::USERS, &q, "查询用户")
            .await?
            .iter()
            .map(user_from)
            .collect()
    }

    /// The stored password hash of a user.
    pub async fn user_password_hash(&self, user_id: i64) -> Result<Option<String>, StoreError> {
        let q = Query::select()
            .column("password_hash")
            .from("user_credentials")
            .and_where(Expr::col("user_id").eq(user_id))
            .to_owned();
        match self.read_all(&q, "读取密码").await?.first() {
            Some(r) => cell_text(r, "password_hash"),
            None => Ok(None),
        }
    }

    /// Opens a session.
    pub async fn create_session(&self, session: &NewSession) -> Result<Session, StoreError> {
        let now = now_utc();
        let absolute = utc_after(session.absolute);
        let expires = std::cmp::min(utc_after(session.idle), absolute.clone());
        let cells = [
            ("token_hash", Cell::text(&session.token_hash)),
            ("user_id", Cell::Int(session.user_id)),
            ("csrf_token", Cell::text(&session.csrf_token)),
            ("created_at", Cell::text(&now)),
            ("expires_at", Cell::text(&expires)),
            ("absolute_expires_at", Cell::text(&absolute)),
            ("last_seen_at", Cell::text(&now)),
            ("ip", Cell::opt_text(session.ip.as_deref())),
        ];
        let q = Query::insert()
            .into_table("sessions")
            .columns(cells.iter().map(|(c, _)| *c))
            .values_panic(cells.iter().map(|(_, v)| Expr::val(v.to_value(Kind::Text))))
            .to_owned();
        let mut c = self.pool().acquire().await?;
        c.conn().execute(&q, "建立会话").await?;
        Ok(Session {
            token_hash: session.token_hash.clone(),
            user_id: session.user_id,
            csrf_token: session.csrf_token.clone(),
            created_at: now.clone(),
            expires_at: expires,
            absolute_expires_at: absolute,
            last_seen_at: now,
        })
    }

    /// The session with this token hash, if it has not expired.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let now = now_utc();
        let q = Query::select()
            .columns(SESSION_COLUMNS)
            .from("sessions")
            .and_where(Expr::col("token_hash").eq(token_hash))
            .and_where(Expr::col("expires_at").gt(now.as_str()))
            .and_where(Expr::col("absolute_expires_at").gt(now.as_str()))
            .to_owned();
        match self.read_all(&q, "读取会话").await?.first() {
            Some(r) => Ok(Some(session_from(r)?)),
            None => Ok(None),
        }
    }

    /// The live session with this token hash and its user, in one
    /// statement: what every signed-in request looks up first.
    pub async fn session_with_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Session, User)>, StoreError> {
        let now = now_utc();
        let mut q = Query::select();
        for c in SESSION_COLUMNS {
            q.expr_as(Expr::col(("se", c)), c);
        }
        crate::read::select_prefixed(&mut q, &schema::USERS, "u", "u_");
        q.from_as("sessions", "se")
            .join_as(
                JoinType::InnerJoin,
                "users",
                "u",
                Expr::col(("u", "id")).equals(("se", "user_id")),
            )
            .and_where(Expr::col(("se", "token_hash")).eq(token_hash))
            .and_where(Expr::col(("se", "expires_at")).gt(now.as_str()))
            .and_where(Expr::col(("se", "absolute_expires_at")).gt(now.as_str()));
        match self.read_all(&q, "读取会话").await?.first() {
            Some(r) => Ok(Some((
                session_from(r)?,
                user_from(&Snapshot::from_row(&schema::USERS, r, "u_")?)?,
            ))),
            None => Ok(None),
        }
    }

    /// Extends a session by `idle` from now, never past its absolute end.
    pub async fn touch_session(&self, session: &Session, idle: Duration) -> Result<(), StoreError> {
        let expires = std::cmp::min(utc_after(idle), session.absolute_expires_at.clone());
        let q = Query::update()
            .table("sessions")
            .value("expires_at", expires)
            .value("last_seen_at", now_utc())
            .and_where(Expr::col("token_hash").eq(session.token_hash.as_str()))
            .to_owned();
        let mut c = self.pool().acquire().await?;
        c.conn().execute(&q, "延长会话").await?;
        Ok(())
    }

    /// Ends a session (logout).
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let q = Query::delete()
            .from_table("sessions")
            .and_where(Expr::col("token_hash").eq(token_hash))
            .to_owned();
        let mut c = self.pool().acquire().await?;
        c.conn().execute(&q, "结束会话").await?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64, StoreError> {
        let now = now_utc();
        let q = Query::delete()
            .from_table("sessions")
            .cond_where(
                Expr::col("expires_at")
                    .lte(now.as_str())
                    .or(Expr::col("absolute_expires_at").lte(now.as_str())),
            )
            .to_owned();
        let mut c = self.pool().acquire().await?;
        c.conn().execute(&q, "清理过期会话").await
    }

    /// Records a login attempt, successful or not.
    pub async fn record_login_attempt(
        &self,
        username: &str,
        ip: &str,
        success: bool,
    ) -> Result<(), StoreError> {
        let cells = [
            ("at", Cell::text(now_utc())),
            ("username", Cell::text(username)),
            ("ip", Cell::text(ip)),
            ("success", Cell::Bool(success)),
        ];
        let q = Query::insert()
            .into_table("login_attempts")
            .columns(cells.iter().map(|(c, _)| *c))
            .values_panic(cells.iter().map(|(_, v)| Expr::val(v.to_value(Kind::Text))))
            .to_owned();
        let mut c = self.pool().acquire().await?;
        c.conn().execute(&q, "记录登录").await?;
        Ok(())
    }

    /// Failed logins within `window` for this user name and from this
    /// address, for rate limiting.
    pub async fn failed_logins(
        &self,
        username: &str,
        ip: &str,
        window: Duration,
    ) -> Result<(i64, i64), StoreError> {
        let since = utc_before(window);
        let count = |column: &'static str, value: &str| {
            Query::select()
                .expr_as(Func::count(Expr::col("id")), "n")
                .from("login_attempts")
                .and_where(Expr::col(column).eq(value))
                .and_where(Expr::col("at").gt(since.as_str()))
                .and_where(Expr::col("success").eq(false))
                .to_owned()
        };
        let by_user = self
            .count(&count("username", username), "统计登录失败")
            .await?;
        let by_ip = self.count(&count("ip", ip), "统计登录失败").await?;
        Ok((by_user, by_ip))
    }

    /// Records that a user saw a person's unmasked data.
    pub async fn record_unmask(&self, entry: &UnmaskRecord) -> Result<(), StoreError> {
        let cells = [
            ("at", Cell::text(now_utc())),
            ("actor", Cell::text(&entry.actor)),
            ("user_id", Cell::opt_int(entry.user_id)),
            ("person_id", Cell::Int(entry.person_id)),
            ("fields", Cell::text(&entry.fields)),
            ("page", Cell::text(&entry.page)),
            ("ip", Cell::opt_text(entry.ip.as_deref())),
        ];
        let mut q = Query::insert();
        q.into_table("unmask_log")
            .columns(cells.iter().map(|(c, _)| *c))
            .values_panic(cells.iter().map(|(c, v)| {
                let kind = if matches!(*c, "user_id" | "person_id") {
                    Kind::Int
                } else {
                    Kind::Text
                };
                Expr::val(v.to_value(kind))
            }));
        let mut c = self.pool().acquire().await?;
        c.conn().execute(&q, "记录查看完整信息").await?;
        Ok(())
    }

    /// Records that `actor` saw the unmasked data of every person in
    /// `person_ids` at once (a full export), one log entry per person, all
    /// in one transaction.
    pub async fn record_unmasks(
        &self,
        actor: &str,
        person_ids: &[i64],
        fields: &str,
        page: &str,
    ) -> Result<(), StoreError> {
        const COLUMNS: [(&str, Kind); 7] = [
            ("at", Kind::Text),
            ("actor", Kind::Text),
            ("user_id", Kind::Int),
            ("person_id", Kind::Int),
            ("fields", Kind::Text),
            ("page", Kind::Text),
            ("ip", Kind::Text),
        ];
        let at = now_utc();
        let mut tx = self.pool().begin_write().await?;
        for chunk in person_ids.chunks(2_000) {
            let rows = chunk
                .iter()
                .map(|id| {
                    vec![
                        Cell::text(&at),
                        Cell::text(actor),
                        Cell::Null,
                        Cell::Int(*id),
                        Cell::text(fields),
                        Cell::text(page),
                        Cell::Null,
                    ]
                })
                .collect();
            tx.conn()
                .insert_rows("unmask_log", &COLUMNS, rows, &[], "记录查看完整信息")
                .await?;
        }
        tx.commit().await
    }

    /// The unmask log, newest first, optionally for one person.
    pub async fn unmask_log(
        &self,
        person_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<UnmaskEntry>, StoreError> {
        let mut q = Query::select();
        q.columns([
            "id",
            "at",
            "actor",
            "user_id",
            "person_id",
            "fields",
            "page",
            "ip",
        ])
        .from("unmask_log")
        .and_where_option(person_id.map(|p| Expr::col("person_id").eq(p)))
        .order_by("id", Order::Desc)
        .limit(limit)
        .offset(offset);
        self.read_all(&q, "查询查看完整信息记录")
            .await?
            .iter()
            .map(|r| {
                Ok(UnmaskEntry {
                    id: r.int("id")?,
                    at: cell_text(r, "at")?.unwrap_or_default(),
                    record: UnmaskRecord {
                        actor: cell_text(r, "actor")?.unwrap_or_default(),
                        user_id: match r.cell("user_id", Kind::Int)? {
                            Cell::Int(i) => Some(i),
                            _ => None,
                        },
                        person_id: r.int("person_id")?,
                        fields: cell_text(r, "fields")?.unwrap_or_default(),
                        page: cell_text(r, "page")?.unwrap_or_default(),
                        ip: cell_text(r, "ip")?,
                    },
                })
            })
            .collect()
    }

    /// How many entries the unmask log has (optionally for one person).
    pub async fn count_unmask_log(&self, person_id: Option<i64>) -> Result<i64, StoreError> {
        let q = Query::select()
            .expr_as(Func::count(Expr::col("id")), "n")
            .from("unmask_log")
            .and_where_option(person_id.map(|p| Expr::col("person_id").eq(p)))
            .to_owned();
        self.count(&q, "统计查看完整信息记录").await
    }

    /// Who uploaded a batch, if it came through the web application.
    pub async fn batch_upload(&self, batch_id: i64) -> Result<Option<BatchUpload>, StoreError> {
        let mut q = select_all(&schema::BATCH_UPLOADS);
        q.and_where(Expr::col("batch_id").eq(batch_id));
        let rows = self
            .read_snapshots(&schema::BATCH_UPLOADS, &q, "查询导入来源")
            .await?;
        rows.first().map(batch_upload_from).transpose()
    }
}
