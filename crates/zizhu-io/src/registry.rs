//! Name lookups over the registry's regions and schools.
//!
//! Department lists name places (乡镇 "湾井镇", 村 "下灌村") and schools by
//! name far more often than by code. The store has no read that lists
//! regions or schools, so these indexes are rebuilt from the audit log,
//! which holds every row's values after each change: replaying the entries
//! of a table oldest first gives its current contents. (A `list_regions` /
//! `list_schools` read in the store would replace this; see the README.)

use std::collections::HashMap;
use zizhu_core::{RegionCode, SchoolCode};
use zizhu_store::{AuditFilter, Store, StoreError};

/// Reads the current rows of a registry table from the audit log.
async fn replay(
    store: &Store,
    table: &str,
) -> Result<HashMap<String, serde_json::Value>, StoreError> {
    let filter = AuditFilter {
        entity: Some(table.to_string()),
        ..AuditFilter::default()
    };
    let mut entries = store.audit_log(&filter, 50_000_000).await?;
    entries.reverse();
    let mut rows = HashMap::new();
    for e in entries {
        match e.after {
            Some(v) => {
                rows.insert(e.entity_key, v);
            }
            None => {
                rows.remove(&e.entity_key);
            }
        }
    }
    Ok(rows)
}

fn text(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_string)
}

/// Folds the forms a place name takes (村, 村委会, 村民委员会; 社区,
/// 居委会) to one, so 下灌村委会 finds 下灌村.
pub(crate) fn place_key(name: &str) -> String {
    let t: String = name
        .chars()
        .map(crate::text::halfwidth)
        .filter(|c| !c.is_whitespace())
        .collect();
    for suffix in ["村民委员会", "居民委员会", "村委会", "居委会", "委员会"] {
        if let Some(s) = t.strip_suffix(suffix) {
            let base = s.to_string();
            return if suffix.starts_with('居') {
                format!("{base}社区")
            } else {
                format!("{base}村")
            };
        }
    }
    t
}

/// One region as the index keeps it.
#[derive(Clone, Debug)]
struct Region {
    name: String,
    parent: Option<String>,
}

/// Regions by code and by name.
#[derive(Clone, Debug, Default)]
pub struct RegionIndex {
    by_code: HashMap<String, Region>,
    by_name: HashMap<String, Vec<String>>,
    /// Set for a placeholder that resolves nothing and reports nothing,
    /// used when a file is validated without a store.
    unchecked: bool,
}

impl RegionIndex {
    /// Loads every region in the registry.
    pub async fn load(store: &Store) -> Result<RegionIndex, StoreError> {
        let rows = replay(store, "regions").await?;
        let mut idx = RegionIndex::default();
        for (code, v) in rows {
            let name = text(&v, "name").unwrap_or_default();
            idx.insert(&code, &name, text(&v, "parent_code").as_deref());
        }
        Ok(idx)
    }

    /// Adds a region (tests and callers with their own list).
    pub fn insert(&mut self, code: &str, name: &str, parent: Option<&str>) {
        self.by_name
            .entry(place_key(name))
            .or_default()
            .push(code.to_string());
        self.by_code.insert(
            code.to_string(),
            Region {
                name: name.to_string(),
                parent: parent.map(str::to_string),
            },
        );
    }

    /// The name of a region, by its 6-, 9- or 12-digit code (a 9-digit
    /// township code is stored as the 12-digit code ending in 000).
    pub fn name(&self, code: &str) -> Option<&str> {
        let padded = format!("{code:0<12}");
        self.by_code
            .get(code)
            .or_else(|| self.by_code.get(&padded))
            .map(|r| r.name.as_str())
    }

    /// Every region as (code, name, parent), in code order.
    pub fn rows(&self) -> Vec<(&str, &str, Option<&str>)> {
        let mut v: Vec<_> = self
            .by_code
            .iter()
            .map(|(c, r)| (c.as_str(), r.name.as_str(), r.parent.as_deref()))
            .collect();
        v.sort();
        v
    }

    /// A placeholder for validating a file without a store: place names
    /// are then not turned into codes, and not reported.
    pub fn unchecked() -> RegionIndex {
        RegionIndex {
            unchecked: true,
            ..RegionIndex::default()
        }
    }

    /// True for the placeholder of [`RegionIndex::unchecked`].
    pub fn is_unchecked(&self) -> bool {
        self.unchecked
    }

    /// True when the index has no regions.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// True when the code is in the registry.
    pub fn contains(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }

    fn is_within(&self, code: &str, ancestor: &str) -> bool {
        let mut cur = self.by_code.get(code).and_then(|r| r.parent.clone());
        let mut steps = 0;
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            steps += 1;
            if steps > 8 {
                break;
            }
            cur = self.by_code.get(&c).and_then(|r| r.parent.clone());
        }
        // Statistical codes nest by prefix even when a parent row is missing.
        code.starts_with(ancestor.trim_end_matches("000"))
    }

    fn named(&self, name: &str, within: Option<&str>) -> Vec<String> {
        let mut v: Vec<String> = self
            .by_name
            .get(&place_key(name))
            .into_iter()
            .flatten()
            .filter(|c| within.is_none_or(|a| self.is_within(c, a)))
            .cloned()
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Finds the code of the most specific place named: the village within
    /// the township within the county, as far as the names go. The error
    /// is a Chinese sentence for the rejection report.
    pub fn resolve(
        &self,
        county: Option<&str>,
        township: Option<&str>,
        village: Option<&str>,
    ) -> Result<RegionCode, String> {
        if self.is_empty() {
            return Err("登记库中还没有行政区划，无法按名称确定区划代码；请先导入行政区划（regions），或在文件中加上“区划代码”列".to_string());
        }
        let mut within: Option<String> = None;
        for (level, name) in [("县", county), ("乡镇", township), ("村（社区）", village)] {
            let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
                continue;
            };
            let found = self.named(name, within.as_deref());
            match found.as_slice() {
                [one] => within = Some(one.clone()),
                [] => {
                    let place = within
                        .as_deref()
                        .and_then(|w| self.by_code.get(w))
                        .map(|r| format!("{}的", r.name))
                        .unwrap_or_default();
                    return Err(format!("{place}{level}“{name}”不在登记库的行政区划中"));
                }
                many => {
                    return Err(format!(
                        "{level}“{name}”在行政区划中有 {} 处（{}），无法确定是哪一个；请加上上一级名称或区划代码",
                        many.len(),
                        many.join("、")
                    ));
                }
            }
        }
        match within {
            Some(code) => RegionCode::parse(&code).map_err(|e| e.to_string()),
            None => Err("没有填写乡镇或村（社区），无法确定区划代码".to_string()),
        }
    }
}

/// A school as the registry holds it, for lookups and the school export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchoolEntry {
    /// 学校标识码.
    pub code: String,
    /// 学校名称.
    pub name: String,
    /// 学校类别.
    pub category: String,
    /// 区划代码.
    pub region_code: String,
    /// 公办.
    pub is_public: bool,
    /// 学段, as stored.
    pub stages: String,
}

/// Schools by code and by name.
#[derive(Clone, Debug, Default)]
pub struct SchoolIndex {
    by_name: HashMap<String, Vec<String>>,
    by_code: HashMap<String, SchoolEntry>,
}

impl SchoolIndex {
    /// Loads every school in the registry.
    pub async fn load(store: &Store) -> Result<SchoolIndex, StoreError> {
        let rows = replay(store, "schools").await?;
        let mut idx = SchoolIndex::default();
        for (code, v) in rows {
            idx.insert_entry(SchoolEntry {
                code,
                name: text(&v, "name").unwrap_or_default(),
                category: text(&v, "category").unwrap_or_default(),
                region_code: text(&v, "region_code").unwrap_or_default(),
                is_public: v
                    .get("is_public")
                    .map(|b| b.as_bool().unwrap_or_else(|| b.as_i64() == Some(1)))
                    .unwrap_or(true),
                stages: text(&v, "stages").unwrap_or_default(),
            });
        }
        Ok(idx)
    }

    /// Adds a school by code and name.
    pub fn insert(&mut self, code: &str, name: &str) {
        self.insert_entry(SchoolEntry {
            code: code.to_string(),
            name: name.to_string(),
            ..SchoolEntry::default()
        });
    }

    fn insert_entry(&mut self, e: SchoolEntry) {
        self.by_name
            .entry(school_key(&e.name))
            .or_default()
            .push(e.code.clone());
        self.by_code.insert(e.code.clone(), e);
    }

    /// True when the code is in the registry.
    pub fn contains(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }

    /// The name of a school.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.by_code.get(code).map(|e| e.name.as_str())
    }

    /// Every school, in code order.
    pub fn rows(&self) -> Vec<&SchoolEntry> {
        let mut v: Vec<_> = self.by_code.values().collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    /// The school with this name, if exactly one has it.
    pub fn resolve(&self, name: &str) -> Result<SchoolCode, String> {
        match self.by_name.get(&school_key(name)).map(Vec::as_slice) {
            Some([one]) => SchoolCode::parse(one).map_err(|e| e.to_string()),
            Some(many) if many.len() > 1 => Err(format!(
                "学校名称“{name}”在学校名录中有 {} 所（{}），请填写学校标识码",
                many.len(),
                many.join("、")
            )),
            _ => Err(format!(
                "学校名称“{name}”不在学校名录中；请先导入学校名录（schools），或填写学校标识码"
            )),
        }
    }
}

fn school_key(name: &str) -> String {
    name.chars()
        .map(crate::text::halfwidth)
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> RegionIndex {
        let mut i = RegionIndex::default();
        i.insert("431126", "宁远县", Some("431100"));
        i.insert("431126100", "舜陵街道", Some("431126"));
        i.insert("431126101", "湾井镇", Some("431126"));
        i.insert("431126101201", "下灌村", Some("431126101"));
        i.insert("431126100001", "下灌村", Some("431126100"));
        i.insert("431126101202", "东门社区", Some("431126101"));
        i
    }

    #[test]
    fn villages_resolve_within_their_township() {
        let i = index();
        assert_eq!(
            i.resolve(None, Some("湾井镇"), Some("下灌村"))
                .unwrap()
                .as_str(),
            "431126101201"
        );
        assert_eq!(
            i.resolve(Some("宁远县"), Some("湾井镇"), Some("下灌村委会"))
                .unwrap()
                .as_str(),
            "431126101201"
        );
        assert_eq!(
            i.resolve(None, Some("湾井镇"), Some("东门居委会"))
                .unwrap()
                .as_str(),
            "431126101202"
        );
        let e = i.resolve(None, None, Some("下灌村")).unwrap_err();
        assert!(e.contains("有 2 处"), "{e}");
        let e = i.resolve(None, Some("湾井镇"), Some("上灌村")).unwrap_err();
        assert!(e.contains("湾井镇的村（社区）“上灌村”不在"), "{e}");
        assert_eq!(
            i.resolve(None, Some("湾井镇"), None).unwrap().as_str(),
            "431126101"
        );
    }
}
