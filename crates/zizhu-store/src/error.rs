//! The one error type of the store.
//!
//! Every message is Simplified Chinese because it ends up in front of a
//! county or school aid officer. Database driver errors are English; they are
//! kept as the detail after a Chinese sentence that says what the store was
//! doing, so an operator can still quote the exact driver message to support.

/// Everything that can go wrong in `zizhu-store`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The connection URL names a database the store does not support.
    #[error("不支持的数据库地址：{url}（应为 sqlite://文件路径、sqlite::memory: 或 postgres://…）")]
    UnsupportedUrl {
        /// The URL with any password masked.
        url: String,
    },

    /// The database could not be opened or reached.
    #[error("无法连接数据库 {url}：{detail}")]
    Connect {
        /// The URL with any password masked.
        url: String,
        /// The driver's message.
        detail: String,
    },

    /// A PostgreSQL schema name that is not a plain identifier.
    #[error("PostgreSQL 模式名无效：{schema}（只允许小写字母、数字和下划线，且不能以数字开头）")]
    BadSchemaName {
        /// The rejected name.
        schema: String,
    },

    /// A statement failed; `context` says what the store was doing.
    #[error("数据库操作失败（{context}）：{detail}")]
    Database {
        /// What the store was doing, in Chinese.
        context: &'static str,
        /// The driver's message.
        detail: String,
    },

    /// A migration failed; nothing of it was applied.
    #[error("数据库结构升级失败：第 {version} 版（{name}）：{detail}")]
    Migration {
        /// The migration's version number.
        version: i64,
        /// The migration's name.
        name: &'static str,
        /// The driver's message.
        detail: String,
    },

    /// A write was attempted without saying who makes it or why.
    #[error("写入被拒绝：审计信息缺少{missing}。每一次修改都必须记录操作人和修改原因")]
    MissingAudit {
        /// Which part of the audit context is empty (操作人 or 修改原因).
        missing: &'static str,
    },

    /// A stored value does not parse back into its domain type.
    #[error("数据库中的数据无法识别：{table}.{column} 的值“{value}”：{reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: String,
        /// The stored value as text.
        value: String,
        /// Why it does not parse.
        reason: String,
    },

    /// A referenced record does not exist.
    #[error("{entity}不存在：{key}")]
    NotFound {
        /// What was looked for, in Chinese (人员, 导入批次, …).
        entity: &'static str,
        /// The key that was looked for.
        key: String,
    },

    /// A batch was already rolled back once.
    #[error("导入批次 {batch_id} 已经回滚过，不能重复回滚")]
    AlreadyRolledBack {
        /// The batch.
        batch_id: i64,
    },

    /// Rolling back would overwrite a change made after the batch.
    #[error(
        "无法回滚导入批次 {batch_id}：{entity} 记录 {key} 在该批次之后又被修改过，回滚会覆盖后来的修改。请先核对并处理后来的修改"
    )]
    RollbackConflict {
        /// The batch.
        batch_id: i64,
        /// The table of the record.
        entity: String,
        /// The record's key.
        key: String,
    },

    /// A jurisdiction scope or filter with a malformed code.
    #[error("数据范围无效：{detail}")]
    BadScope {
        /// What is wrong, in Chinese.
        detail: String,
    },

    /// A record that breaks a rule of the registry.
    #[error("记录无效：{detail}")]
    Invalid {
        /// What is wrong, in Chinese.
        detail: String,
    },
}

/// Attaches a Chinese description of the operation to a driver error.
pub(crate) trait Context<T> {
    fn context(self, context: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn context(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Database {
            context,
            detail: e.to_string(),
        })
    }
}
