//! The one error type of the use-case layer.
//!
//! Messages are Simplified Chinese because the CLI prints them and the web
//! application shows them to aid officers as they are.

use zizhu_store::StoreError;

/// Everything that can go wrong in a use case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The registry could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),

    /// No student matches what was typed.
    #[error("找不到学生：“{key}”（可输入身份证号、全国学籍号或人员编号）")]
    StudentNotFound {
        /// What was typed.
        key: String,
    },

    /// A stored result cannot be saved without saying who computed it.
    #[error("保存资助计算结果须填写操作人")]
    MissingActor,

    /// Another run of the same term was stored while this one computed.
    #[error(
        "{term} 的资助计算在本次计算期间已由他人保存（第 {run} 次），本次结果未保存，请重新运行"
    )]
    ConcurrentRun {
        /// The term, as 2018秋.
        term: String,
        /// The run stored meanwhile.
        run: i64,
    },

    /// No comparison link with this number in the reader's scope.
    #[error("找不到比对链接 {id}（或不在您的管辖范围内）")]
    LinkNotFound {
        /// The link's number.
        id: i64,
    },

    /// A registry value that the policy engine cannot take as it is.
    #[error("登记信息不能用于资助计算：{detail}")]
    Registry {
        /// What is wrong, naming the record.
        detail: String,
    },
}
