//! Administrative division codes.

pub const HUNAN: &str = "430000";
pub const YONGZHOU: &str = "431100";
pub const NINGYUAN: &str = "431126";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionLevel {
    Province,
    City,
    County,
    Township,
    Village,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TownshipKind {
    Subdistrict,
    Town,
    Township,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    #[error("区划代码无效：{text}")]
    Invalid { text: String },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<RegionCode, RegionError> {
        Ok(RegionCode(s.to_string()))
    }
    pub fn hunan() -> RegionCode {
        RegionCode(HUNAN.to_string())
    }
    pub fn yongzhou() -> RegionCode {
        RegionCode(YONGZHOU.to_string())
    }
    pub fn ningyuan() -> RegionCode {
        RegionCode(NINGYUAN.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn level(&self) -> RegionLevel {
        RegionLevel::County
    }
    pub fn county_code(&self) -> &str {
        &self.0[..6]
    }
    pub fn township_code(&self) -> Option<&str> {
        None
    }
    pub fn township_kind(&self) -> Option<TownshipKind> {
        None
    }
    pub fn parent(&self) -> Option<RegionCode> {
        None
    }
}
