//! Money as integer fen.

use std::ops::{Add, Neg, Sub};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额为空")]
    Empty,
    #[error("无法识别的金额：{text}")]
    Invalid { text: String },
    #[error("金额小数位过多：{text} 最多允许 {max} 位小数")]
    TooManyDecimals { text: String, max: u32 },
    #[error("金额超出范围：{text}")]
    Overflow { text: String },
}

impl Fen {
    pub const ZERO: Fen = Fen(0);
    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }
    pub fn checked_add(self, o: Fen) -> Option<Fen> {
        self.0.checked_add(o.0).map(Fen)
    }
    pub fn checked_sub(self, o: Fen) -> Option<Fen> {
        self.0.checked_sub(o.0).map(Fen)
    }
    pub fn checked_mul(self, n: i64) -> Option<Fen> {
        self.0.checked_mul(n).map(Fen)
    }
    pub fn saturating_add(self, o: Fen) -> Fen {
        Fen(self.0.saturating_add(o.0))
    }
    pub fn saturating_sub(self, o: Fen) -> Fen {
        Fen(self.0.saturating_sub(o.0))
    }
    pub fn saturating_mul(self, n: i64) -> Fen {
        Fen(self.0.saturating_mul(n))
    }
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        Err(MoneyError::Invalid { text: s.to_string() })
    }
    pub fn parse_wan_yuan(s: &str) -> Result<Fen, MoneyError> {
        Err(MoneyError::Invalid { text: s.to_string() })
    }
    pub fn fmt_yuan(&self) -> String {
        String::new()
    }
    pub fn fmt_yuan_grouped(&self) -> String {
        String::new()
    }
    pub fn fmt_wan(&self) -> String {
        String::new()
    }
    pub fn fmt_wan_grouped(&self) -> String {
        String::new()
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        self.checked_add(o).expect("金额相加溢出")
    }
}
impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        self.checked_sub(o).expect("金额相减溢出")
    }
}
impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(self.0.checked_neg().expect("金额取负溢出"))
    }
}
impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, |a, b| a + b)
    }
}
