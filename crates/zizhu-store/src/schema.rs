//! Tables, their column metadata and the ordered list of migrations.
//!
//! The DDL is written with sea-query's schema builder and rendered for
//! whichever backend the store runs on, so SQLite and PostgreSQL get the same
//! tables from one definition. Migrations are frozen once released: a later
//! change is a new migration appended to [`MIGRATIONS`], never an edit of an
//! old one, because databases in the field have already run the old ones.
//!
//! [`TableDef`]s describe the columns the audited write path snapshots into
//! the audit log and restores on rollback. They must match the tables the
//! migrations create; a unit test below checks that they do.

use crate::db::{Backend, Kind};
use sea_query::{
    ColumnDef, Expr, ForeignKey, Index, IndexCreateStatement, InsertStatement,
    PostgresQueryBuilder, Query, SqliteQueryBuilder, Table, TableCreateStatement,
};

/// One column of an audited table.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Col {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
}

const fn col(name: &'static str, kind: Kind) -> Col {
    Col { name, kind }
}

/// What the audited write path needs to know about a table.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TableDef {
    /// The table's name, also used as the audit log's `entity`.
    pub(crate) name: &'static str,
    /// The primary key column (the audit log's `entity_key`).
    pub(crate) pk: &'static str,
    /// The column naming the person a row belongs to, so that a person's
    /// history can find changes to their enrollments, accounts and guardians.
    pub(crate) person_col: Option<&'static str>,
    /// Every column, primary key included.
    pub(crate) cols: &'static [Col],
}

impl TableDef {
    pub(crate) fn pk_kind(&self) -> Kind {
        self.kind_of(self.pk).unwrap_or(Kind::Int)
    }

    pub(crate) fn kind_of(&self, column: &str) -> Option<Kind> {
        self.cols.iter().find(|c| c.name == column).map(|c| c.kind)
    }
}

use Kind::{Bool, Int, Text};

/// 行政区划: GB/T 2260 and 12-digit statistical codes.
pub(crate) const REGIONS: TableDef = TableDef {
    name: "regions",
    pk: "code",
    person_col: None,
    cols: &[
        col("code", Text),
        col("name", Text),
        col("level", Text),
        col("parent_code", Text),
    ],
};

/// 学校: keyed by the 10-digit 学校标识码.
pub(crate) const SCHOOLS: TableDef = TableDef {
    name: "schools",
    pk: "code",
    person_col: None,
    cols: &[
        col("code", Text),
        col("name", Text),
        col("category", Text),
        col("region_code", Text),
        col("township_code", Text),
        col("is_public", Bool),
        col("stages", Text),
    ],
};

/// 建档立卡/低保/特困 households, keyed by the poverty office's 户编号.
pub(crate) const HOUSEHOLDS: TableDef = TableDef {
    name: "households",
    pk: "id",
    person_col: None,
    cols: &[
        col("id", Int),
        col("household_no", Text),
        col("region_code", Text),
        col("head_id_number", Text),
        col("poverty_status", Text),
        col("lifted_year", Int),
        col("dibao", Bool),
        col("tekun", Bool),
        col("cause", Text),
        col("income_per_capita_fen", Int),
    ],
};

/// 人员: children, students and anyone else the registry tracks.
pub(crate) const PERSONS: TableDef = TableDef {
    name: "persons",
    pk: "id",
    person_col: Some("id"),
    cols: &[
        col("id", Int),
        col("id_number", Text),
        col("name", Text),
        col("name_normalized", Text),
        col("sex", Text),
        col("birth_date", Text),
        col("ethnicity", Text),
        col("household_id", Int),
        col("disability_category", Text),
        col("disability_level", Text),
        col("orphan", Bool),
        col("left_behind", Bool),
        col("martyr_child", Bool),
        col("address", Text),
        col("created_batch", Int),
    ],
};

/// 监护人.
pub(crate) const GUARDIANS: TableDef = TableDef {
    name: "guardians",
    pk: "id",
    person_col: Some("person_id"),
    cols: &[
        col("id", Int),
        col("person_id", Int),
        col("name", Text),
        col("relation", Text),
        col("id_number", Text),
        col("phone", Text),
    ],
};

/// 学籍: one row per person and term.
pub(crate) const ENROLLMENTS: TableDef = TableDef {
    name: "enrollments",
    pk: "id",
    person_col: Some("person_id"),
    cols: &[
        col("id", Int),
        col("person_id", Int),
        col("term", Text),
        col("school_code", Text),
        col("stage", Text),
        col("grade", Int),
        col("class_name", Text),
        col("boarding", Bool),
        col("status", Text),
        col("out_of_county", Bool),
        col("out_of_county_place", Text),
        col("student_no", Text),
    ],
};

/// 银行账户 (资助卡/一卡通/明白折), history kept.
pub(crate) const BANK_ACCOUNTS: TableDef = TableDef {
    name: "bank_accounts",
    pk: "id",
    person_col: Some("person_id"),
    cols: &[
        col("id", Int),
        col("person_id", Int),
        col("kind", Text),
        col("bank_name", Text),
        col("account_no", Text),
        col("holder_name", Text),
        col("holder_relation", Text),
        col("status", Text),
        col("valid_from", Text),
        col("valid_to", Text),
    ],
};

/// 导入批次: one per imported file (or sheet).
pub(crate) const IMPORT_BATCHES: TableDef = TableDef {
    name: "import_batches",
    pk: "id",
    person_col: None,
    cols: &[
        col("id", Int),
        col("kind", Text),
        col("file_name", Text),
        col("sheet", Text),
        col("sha256", Text),
        col("actor", Text),
        col("started_at", Text),
        col("finished_at", Text),
        col("status", Text),
        col("rows_read", Int),
        col("rows_accepted", Int),
        col("rows_rejected", Int),
        col("rows_unchanged", Int),
    ],
};

/// 导入行: the provenance of every source row. Append-only and not audited.
pub(crate) const IMPORT_ROWS: TableDef = TableDef {
    name: "import_rows",
    pk: "id",
    person_col: None,
    cols: &[
        col("id", Int),
        col("batch_id", Int),
        col("row_no", Int),
        col("sheet", Text),
        col("entity", Text),
        col("entity_id", Int),
        col("outcome", Text),
        col("reason", Text),
    ],
};

/// The tables whose changes a batch rollback reverts: the registry proper.
/// Batch bookkeeping is deliberately absent, so rolling a batch back never
/// erases the record that the batch existed.
pub(crate) const REGISTRY_TABLES: &[&TableDef] = &[
    &REGIONS,
    &SCHOOLS,
    &HOUSEHOLDS,
    &PERSONS,
    &GUARDIANS,
    &ENROLLMENTS,
    &BANK_ACCOUNTS,
    &crate::aid::SCHOOL_AID_PROFILES,
];

pub(crate) fn registry_table(name: &str) -> Option<&'static TableDef> {
    REGISTRY_TABLES.iter().copied().find(|t| t.name == name)
}

/// 用户: the people who sign in to the web application, with the part of
/// the county they may see. Audited like registry data, because who may
/// see whose personal data is itself a fact the audit trail must keep. The
/// password hash lives apart in `user_credentials`, so that it never
/// reaches the audit log; a password change shows up here as a new
/// `password_changed_at`.
pub(crate) const USERS: TableDef = TableDef {
    name: "users",
    pk: "id",
    person_col: None,
    cols: &[
        col("id", Int),
        col("username", Text),
        col("display_name", Text),
        col("role", Text),
        col("scope_kind", Text),
        col("scope_code", Text),
        col("classes", Text),
        col("must_change_password", Bool),
        col("disabled", Bool),
        col("created_at", Text),
        col("password_changed_at", Text),
    ],
};

/// 导入来源: who uploaded a batch through the web application, for which
/// part of the county, and where its files are kept. A batch without a row
/// here was imported by the county (on the command line or by county
/// staff) and only county-wide readers see it.
pub(crate) const BATCH_UPLOADS: TableDef = TableDef {
    name: "batch_uploads",
    pk: "batch_id",
    person_col: None,
    cols: &[
        col("batch_id", Int),
        col("scope_kind", Text),
        col("scope_code", Text),
        col("uploaded_by", Text),
        col("stored_file", Text),
        col("report_file", Text),
    ],
};

/// 审计日志. Not audited itself; described here so that entries are read
/// back through the same snapshot path as everything else.
pub(crate) const AUDIT_LOG: TableDef = TableDef {
    name: "audit_log",
    pk: "id",
    person_col: None,
    cols: &[
        col("id", Int),
        col("at", Text),
        col("actor", Text),
        col("action", Text),
        col("entity", Text),
        col("entity_key", Text),
        col("person_id", Int),
        col("before_json", Text),
        col("after_json", Text),
        col("reason", Text),
        col("batch_id", Int),
        col("source_row", Int),
    ],
};

/// One schema statement of a migration.
pub(crate) enum Ddl {
    Table(TableCreateStatement),
    Index(IndexCreateStatement),
    /// A row a new table must start with (literal values only).
    Seed(InsertStatement),
}

impl Ddl {
    pub(crate) fn render(&self, backend: Backend) -> String {
        match (self, backend) {
            (Ddl::Table(t), Backend::Sqlite) => t.build(SqliteQueryBuilder),
            (Ddl::Table(t), Backend::Postgres) => t.build(PostgresQueryBuilder),
            (Ddl::Index(i), Backend::Sqlite) => i.build(SqliteQueryBuilder),
            (Ddl::Index(i), Backend::Postgres) => i.build(PostgresQueryBuilder),
            (Ddl::Seed(q), Backend::Sqlite) => q.to_string(SqliteQueryBuilder),
            (Ddl::Seed(q), Backend::Postgres) => q.to_string(PostgresQueryBuilder),
        }
    }
}

/// A numbered schema change.
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) name: &'static str,
    pub(crate) statements: fn() -> Vec<Ddl>,
}

/// Every migration, in the order they must be applied.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "登记信息库、导入批次与审计日志",
        statements: m0001_registry,
    },
    Migration {
        version: 2,
        name: "用户、会话、登录记录、查看完整信息记录与导入来源",
        statements: m0002_access,
    },
    Migration {
        version: 3,
        name: "资助计算记录、资助名单、计算所用事实与学校资助信息",
        statements: crate::entitlements::m0003_entitlements,
    },
    Migration {
        version: 4,
        name: "按学期分页读取学籍、资助名单和计算所用事实的索引",
        statements: crate::entitlements::m0004_entitlement_paging,
    },
    Migration {
        version: 5,
        name: "登记信息变更计数",
        statements: m0005_registry_version,
    },
    Migration {
        version: 6,
        name: "大数据比对：比对记录、比对链接与异常名单",
        statements: crate::compare::m0006_compare,
    },
];

/// The bookkeeping table itself, created before anything else so that
/// `migrate` can ask which versions are present.
pub(crate) fn schema_migrations_table() -> Ddl {
    Ddl::Table(
        Table::create()
            .table("schema_migrations")
            .if_not_exists()
            .col(
                ColumnDef::new("version")
                    .big_integer()
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new("name").text().not_null())
            .col(ColumnDef::new("applied_at").text().not_null())
            .to_owned(),
    )
}

fn id() -> ColumnDef {
    ColumnDef::new("id")
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}

fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
}

fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

fn flag(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str]) -> Ddl {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    Ddl::Index(i.to_owned())
}

fn unique_index(name: &'static str, table: &'static str, cols: &[&'static str]) -> Ddl {
    let mut i = Index::create();
    i.name(name).table(table).unique();
    for c in cols {
        i.col(*c);
    }
    Ddl::Index(i.to_owned())
}

/// Migration 1: the registry, import provenance and the audit log.
fn m0001_registry() -> Vec<Ddl> {
    vec![
        // 行政区划. No foreign key to the parent: region lists arrive in any
        // order and a county may load only its own part of the tree.
        Ddl::Table(
            Table::create()
                .table("regions")
                .col(ColumnDef::new("code").text().not_null().primary_key())
                .col(text("name"))
                .col(text("level"))
                .col(text_null("parent_code"))
                .to_owned(),
        ),
        // 学校. `township_code` is derived from `region_code` on write and is
        // what a township-scoped read filters on.
        Ddl::Table(
            Table::create()
                .table("schools")
                .col(ColumnDef::new("code").text().not_null().primary_key())
                .col(text("name"))
                .col(text("category"))
                .col(text("region_code"))
                .col(text_null("township_code"))
                .col(flag("is_public"))
                .col(text("stages"))
                .to_owned(),
        ),
        index("idx_schools_township", "schools", &["township_code"]),
        // 户: 建档立卡 households from the poverty office and 低保/特困
        // households from civil affairs. Income is fen, never a float.
        Ddl::Table(
            Table::create()
                .table("households")
                .col(id())
                .col(text("household_no"))
                .col(text("region_code"))
                .col(text_null("head_id_number"))
                .col(text("poverty_status"))
                .col(int_null("lifted_year"))
                .col(flag("dibao"))
                .col(flag("tekun"))
                .col(text_null("cause"))
                .col(int_null("income_per_capita_fen"))
                .to_owned(),
        ),
        unique_index("ux_households_no", "households", &["household_no"]),
        index("idx_households_region", "households", &["region_code"]),
        // 导入批次 comes before the tables that reference it.
        Ddl::Table(
            Table::create()
                .table("import_batches")
                .col(id())
                .col(text("kind"))
                .col(text("file_name"))
                .col(text_null("sheet"))
                .col(text("sha256"))
                .col(text("actor"))
                .col(text("started_at"))
                .col(text_null("finished_at"))
                .col(text("status"))
                .col(int("rows_read"))
                .col(int("rows_accepted"))
                .col(int("rows_rejected"))
                .col(int("rows_unchanged"))
                .to_owned(),
        ),
        index("idx_import_batches_sha256", "import_batches", &["sha256"]),
        // 人员. `id_number` is unique but nullable: rows without a usable ID
        // are kept as unresolved persons for the linker to match later, and
        // both backends allow many NULLs under a unique index.
        Ddl::Table(
            Table::create()
                .table("persons")
                .col(id())
                .col(text_null("id_number"))
                .col(text("name"))
                .col(text("name_normalized"))
                .col(text_null("sex"))
                .col(text_null("birth_date"))
                .col(text_null("ethnicity"))
                .col(int_null("household_id"))
                .col(text_null("disability_category"))
                .col(text_null("disability_level"))
                .col(flag("orphan"))
                .col(flag("left_behind"))
                .col(flag("martyr_child"))
                .col(text_null("address"))
                .col(int_null("created_batch"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_persons_household")
                        .from("persons", "household_id")
                        .to("households", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_persons_batch")
                        .from("persons", "created_batch")
                        .to("import_batches", "id"),
                )
                .to_owned(),
        ),
        unique_index("ux_persons_id_number", "persons", &["id_number"]),
        index("idx_persons_household", "persons", &["household_id"]),
        index("idx_persons_name", "persons", &["name_normalized"]),
        // 监护人.
        Ddl::Table(
            Table::create()
                .table("guardians")
                .col(id())
                .col(int("person_id"))
                .col(text("name"))
                .col(text("relation"))
                .col(text_null("id_number"))
                .col(text_null("phone"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_guardians_person")
                        .from("guardians", "person_id")
                        .to("persons", "id"),
                )
                .to_owned(),
        ),
        index("idx_guardians_person", "guardians", &["person_id"]),
        // 学籍. No foreign key to schools: 县外就读 students attend schools
        // that are not in this county's registry.
        Ddl::Table(
            Table::create()
                .table("enrollments")
                .col(id())
                .col(int("person_id"))
                .col(text("term"))
                .col(text_null("school_code"))
                .col(text("stage"))
                .col(int("grade"))
                .col(text_null("class_name"))
                .col(flag("boarding"))
                .col(text("status"))
                .col(flag("out_of_county"))
                .col(text_null("out_of_county_place"))
                .col(text_null("student_no"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_enrollments_person")
                        .from("enrollments", "person_id")
                        .to("persons", "id"),
                )
                .to_owned(),
        ),
        unique_index(
            "ux_enrollments_person_term",
            "enrollments",
            &["person_id", "term"],
        ),
        index(
            "idx_enrollments_school_term",
            "enrollments",
            &["school_code", "term"],
        ),
        index(
            "idx_enrollments_term_stage",
            "enrollments",
            &["term", "stage"],
        ),
        // 银行账户. Rows are never overwritten with a new number: the old
        // row is closed (失效, valid_to) and a new one opened, so a payment
        // made last year can still be traced to the account it went to.
        Ddl::Table(
            Table::create()
                .table("bank_accounts")
                .col(id())
                .col(int("person_id"))
                .col(text("kind"))
                .col(text("bank_name"))
                .col(text("account_no"))
                .col(text("holder_name"))
                .col(text_null("holder_relation"))
                .col(text("status"))
                .col(text("valid_from"))
                .col(text_null("valid_to"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_bank_accounts_person")
                        .from("bank_accounts", "person_id")
                        .to("persons", "id"),
                )
                .to_owned(),
        ),
        index(
            "idx_bank_accounts_person_kind",
            "bank_accounts",
            &["person_id", "kind", "status"],
        ),
        index("idx_bank_accounts_no", "bank_accounts", &["account_no"]),
        // 导入行: where every accepted, rejected or unchanged row went.
        Ddl::Table(
            Table::create()
                .table("import_rows")
                .col(id())
                .col(int("batch_id"))
                .col(int("row_no"))
                .col(text_null("sheet"))
                .col(text("entity"))
                .col(int_null("entity_id"))
                .col(text("outcome"))
                .col(text_null("reason"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_import_rows_batch")
                        .from("import_rows", "batch_id")
                        .to("import_batches", "id"),
                )
                .to_owned(),
        ),
        index(
            "idx_import_rows_batch",
            "import_rows",
            &["batch_id", "row_no"],
        ),
        // 审计日志. `person_id` is not in the brief's column list; it is the
        // person a change concerns (the person row itself, or the owner of
        // an enrollment, account or guardian), so that a person's full
        // history is one indexed lookup instead of a scan of JSON text.
        Ddl::Table(
            Table::create()
                .table("audit_log")
                .col(id())
                .col(text("at"))
                .col(text("actor"))
                .col(text("action"))
                .col(text("entity"))
                .col(text("entity_key"))
                .col(int_null("person_id"))
                .col(text_null("before_json"))
                .col(text_null("after_json"))
                .col(text("reason"))
                .col(int_null("batch_id"))
                .col(int_null("source_row"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_audit_log_batch")
                        .from("audit_log", "batch_id")
                        .to("import_batches", "id"),
                )
                .to_owned(),
        ),
        index(
            "idx_audit_entity_key",
            "audit_log",
            &["entity", "entity_key"],
        ),
        index("idx_audit_batch", "audit_log", &["batch_id"]),
        index("idx_audit_person", "audit_log", &["person_id"]),
    ]
}

/// Migration 2: accounts and sessions of the web application, the login
/// and unmasking logs, the owner of each uploaded batch, and an index that
/// lets a county-wide student list be read page by page in its display
/// order instead of sorting the whole term for every page.
fn m0002_access() -> Vec<Ddl> {
    vec![
        Ddl::Table(
            Table::create()
                .table("users")
                .col(id())
                .col(text("username"))
                .col(text("display_name"))
                .col(text("role"))
                .col(text("scope_kind"))
                .col(text_null("scope_code"))
                .col(text_null("classes"))
                .col(flag("must_change_password"))
                .col(flag("disabled"))
                .col(text("created_at"))
                .col(text_null("password_changed_at"))
                .to_owned(),
        ),
        unique_index("ux_users_username", "users", &["username"]),
        // 密码. Kept out of `users` so the audited snapshot of a user never
        // carries the hash.
        Ddl::Table(
            Table::create()
                .table("user_credentials")
                .col(
                    ColumnDef::new("user_id")
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(text("password_hash"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_credentials_user")
                        .from("user_credentials", "user_id")
                        .to("users", "id"),
                )
                .to_owned(),
        ),
        // 会话. The browser holds a random token; only its SHA-256 is
        // stored, so a copy of the database does not let anyone sign in.
        Ddl::Table(
            Table::create()
                .table("sessions")
                .col(ColumnDef::new("token_hash").text().not_null().primary_key())
                .col(int("user_id"))
                .col(text("csrf_token"))
                .col(text("created_at"))
                .col(text("expires_at"))
                .col(text("absolute_expires_at"))
                .col(text("last_seen_at"))
                .col(text_null("ip"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sessions_user")
                        .from("sessions", "user_id")
                        .to("users", "id"),
                )
                .to_owned(),
        ),
        index("idx_sessions_user", "sessions", &["user_id"]),
        index("idx_sessions_expires", "sessions", &["expires_at"]),
        // 登录记录: every attempt, for rate limiting and for the record.
        Ddl::Table(
            Table::create()
                .table("login_attempts")
                .col(id())
                .col(text("at"))
                .col(text("username"))
                .col(text("ip"))
                .col(flag("success"))
                .to_owned(),
        ),
        index(
            "idx_login_attempts_user",
            "login_attempts",
            &["username", "at"],
        ),
        index("idx_login_attempts_ip", "login_attempts", &["ip", "at"]),
        // 查看完整信息记录: who saw which person's unmasked data, and when.
        // Append-only; no foreign key to persons, so that rolling back the
        // batch that created a person does not have to erase who saw them.
        Ddl::Table(
            Table::create()
                .table("unmask_log")
                .col(id())
                .col(text("at"))
                .col(text("actor"))
                .col(int_null("user_id"))
                .col(int("person_id"))
                .col(text("fields"))
                .col(text("page"))
                .col(text_null("ip"))
                .to_owned(),
        ),
        index("idx_unmask_log_person", "unmask_log", &["person_id"]),
        index("idx_unmask_log_actor", "unmask_log", &["actor"]),
        Ddl::Table(
            Table::create()
                .table("batch_uploads")
                .col(
                    ColumnDef::new("batch_id")
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(text("scope_kind"))
                .col(text_null("scope_code"))
                .col(text("uploaded_by"))
                .col(text("stored_file"))
                .col(text_null("report_file"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_batch_uploads_batch")
                        .from("batch_uploads", "batch_id")
                        .to("import_batches", "id"),
                )
                .to_owned(),
        ),
        index("idx_batch_uploads_scope", "batch_uploads", &["scope_code"]),
        index(
            "idx_enrollments_term_school_grade",
            "enrollments",
            &["term", "school_code", "grade", "id"],
        ),
        index("idx_enrollments_student_no", "enrollments", &["student_no"]),
    ]
}

/// Migration 5: the registry change counter that cached figures are
/// checked against (see `stats.rs`). Every committed write transaction
/// adds one, in the same transaction as its changes.
fn m0005_registry_version() -> Vec<Ddl> {
    vec![
        Ddl::Table(
            Table::create()
                .table("registry_version")
                .col(ColumnDef::new("id").big_integer().not_null().primary_key())
                .col(int("version"))
                .to_owned(),
        ),
        Ddl::Seed(
            Query::insert()
                .into_table("registry_version")
                .columns(["id", "version"])
                .values_panic([Expr::val(1_i64), Expr::val(0_i64)])
                .to_owned(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Pool;
    use crate::store::Store;
    use sqlx::{Column, Executor, SqlSafeStr, Statement, TypeInfo};

    /// The audited write path snapshots and restores rows by `TableDef`; a
    /// column missing there would silently escape the audit log and the
    /// rollback, so the definitions must list exactly the migrated columns.
    #[tokio::test]
    async fn table_defs_match_the_migrated_tables() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        let Pool::Sqlite(pool) = store.pool() else {
            unreachable!("in-memory store is SQLite")
        };
        let tables = REGISTRY_TABLES.iter().copied().chain([
            &IMPORT_BATCHES,
            &IMPORT_ROWS,
            &AUDIT_LOG,
            &USERS,
            &BATCH_UPLOADS,
            &crate::compare::COMPARE_RUNS,
            &crate::compare::COMPARE_LINKS,
            &crate::compare::COMPARE_EXCEPTIONS,
        ]);
        for table in tables {
            let sql = format!("SELECT * FROM {}", table.name);
            let described = pool
                .prepare(sqlx::AssertSqlSafe(sql).into_sql_str())
                .await
                .expect("prepare");
            let actual: Vec<(String, String)> = described
                .columns()
                .iter()
                .map(|c| (c.name().to_string(), c.type_info().name().to_string()))
                .collect();
            let expected: Vec<(String, String)> = table
                .cols
                .iter()
                .map(|c| {
                    let ty = match c.kind {
                        Kind::Int => "INTEGER",
                        Kind::Text => "TEXT",
                        Kind::Bool => "BOOLEAN",
                    };
                    (c.name.to_string(), ty.to_string())
                })
                .collect();
            assert_eq!(actual, expected, "table {}", table.name);
        }
    }

    /// Both dialects render from the one definition; this pins the parts
    /// that differ so a sea-query upgrade that changes them is noticed.
    #[test]
    fn ddl_renders_for_both_backends() {
        let all: Vec<_> = MIGRATIONS.iter().flat_map(|m| (m.statements)()).collect();
        let sqlite: Vec<_> = all.iter().map(|d| d.render(Backend::Sqlite)).collect();
        let pg: Vec<_> = all.iter().map(|d| d.render(Backend::Postgres)).collect();
        let persons_sqlite = sqlite
            .iter()
            .find(|s| s.contains("TABLE \"persons\""))
            .unwrap();
        let persons_pg = pg.iter().find(|s| s.contains("TABLE \"persons\"")).unwrap();
        assert!(
            persons_sqlite.contains("\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT"),
            "{persons_sqlite}"
        );
        assert!(
            persons_pg
                .contains("\"id\" bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL PRIMARY KEY"),
            "{persons_pg}"
        );
        assert!(
            persons_pg.contains("\"orphan\" bool NOT NULL DEFAULT FALSE"),
            "{persons_pg}"
        );
        let households_pg = pg
            .iter()
            .find(|s| s.contains("TABLE \"households\""))
            .unwrap();
        assert!(
            households_pg.contains("\"income_per_capita_fen\" bigint NULL"),
            "{households_pg}"
        );
    }
}
