//! Bank cards and phone numbers.

pub fn luhn_valid(_digits: &str) -> bool {
    false
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("银行卡号为空")]
    Empty,
    #[error("银行卡号长度错误：{text} 为 {len} 位，应为 16–19 位")]
    WrongLength { text: String, len: usize },
    #[error("银行卡号含非法字符：{text} 中的 {ch}")]
    NonDigit { text: String, ch: char },
    #[error("银行卡号校验失败（Luhn）：{text}")]
    BadLuhn { text: String },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BankCard(String);

impl BankCard {
    pub fn parse(s: &str) -> Result<BankCard, BankError> {
        Ok(BankCard(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        String::new()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("电话号码为空")]
    Empty,
    #[error("电话号码无效：{text}")]
    Invalid { text: String },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        Ok(Phone(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_mobile(&self) -> bool {
        true
    }
    pub fn masked(&self) -> String {
        String::new()
    }
}
