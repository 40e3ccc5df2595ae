//! Person names and text normalisation.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("姓名为空")]
    Empty,
    #[error("姓名含数字：{text}")]
    ContainsDigit { text: String },
    #[error("姓名过长：{text} 共 {len} 个字符，最多 30 个")]
    TooLong { text: String, len: usize },
    #[error("姓名含非法字符：{text} 中的 {ch}")]
    BadChar { text: String, ch: char },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonName {
    original: String,
    normalized: String,
}

impl PersonName {
    pub fn parse(s: &str) -> Result<PersonName, NameError> {
        Ok(PersonName { original: s.trim().to_string(), normalized: normalize_text(s) })
    }
    pub fn original(&self) -> &str {
        &self.original
    }
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
    pub fn surname(&self) -> &str {
        &self.normalized
    }
    pub fn given_name(&self) -> &str {
        ""
    }
}

pub fn normalize_text(s: &str) -> String {
    s.to_string()
}
