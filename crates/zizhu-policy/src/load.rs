//! Loading a policy file: TOML text → validated [`PolicySet`], or every
//! mistake in the file with its line and field, in Chinese.
//!
//! The file is parsed into toml's spanned document tree and walked by hand
//! instead of through serde derives, because serde's messages are English
//! and lose the field and line that a county official needs to find the
//! mistake. Errors are collected rather than returned at the first one, so
//! that one round of editing fixes the whole file; but any error at all
//! means no `PolicySet`, so nothing is ever computed from a half-valid file.

use crate::facts::Fact;
use crate::key::{PolicyCode, SchoolKey};
use crate::policy::{
    Amount, AmountRow, Category, DifficultyRules, ExclusiveGroup, Funding, FundingLevel, Level,
    PaymentMode, Policy, PolicySet, PovertyRule, Quota, QuotaScope, QuotaSize, Rounding, Tier,
    registry_only,
};
use crate::rule::{Rule, levenshtein};
use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use zizhu_core::{Fen, Grade, Season, Stage, Term};

/// One mistake in a policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    /// The field, dotted for nested tables (`quota.per_mille`); empty for
    /// TOML syntax errors that are not inside a field.
    pub field: String,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{} 第 {} 行：{}", self.file, self.line, self.message)
        } else {
            write!(
                f,
                "{} 第 {} 行，字段 {}：{}",
                self.file, self.line, self.field, self.message
            )
        }
    }
}

/// Every mistake found in a policy file; loading produced no policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyLoadError {
    pub errors: Vec<PolicyError>,
}

impl fmt::Display for PolicyLoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [one] = self.errors.as_slice() {
            return write!(f, "{one}");
        }
        writeln!(
            f,
            "政策文件有 {} 处错误，未加载任何政策：",
            self.errors.len()
        )?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {}. {e}", i + 1)?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyLoadError {}

/// Collects errors with positions computed from byte offsets.
struct Diag<'s> {
    file: &'s str,
    src: &'s str,
    line_starts: Vec<usize>,
    errors: Vec<PolicyError>,
}

impl<'s> Diag<'s> {
    fn new(file: &'s str, src: &'s str) -> Diag<'s> {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Diag {
            file,
            src,
            line_starts,
            errors: Vec::new(),
        }
    }

    fn position(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.src.len());
        let line = self.line_starts.partition_point(|s| *s <= byte).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .src
            .get(start..byte)
            .map_or(1, |s| s.chars().count() + 1);
        (line, col)
    }

    fn line(&self, byte: usize) -> usize {
        self.position(byte).0
    }

    fn at(&mut self, byte: usize, field: &str, message: String) {
        let (line, column) = self.position(byte);
        self.errors.push(PolicyError {
            file: self.file.to_string(),
            line,
            column,
            field: field.to_string(),
            message,
        });
    }

    fn err(&mut self, span: &Range<usize>, field: &str, message: String) {
        self.at(span.start, field, message);
    }

    /// The value as written in the file, shortened for messages.
    fn shown(&self, span: &Range<usize>) -> String {
        let text = self.src.get(span.clone()).unwrap_or("").trim();
        let mut out: String = text.chars().take(40).collect();
        if text.chars().count() > 40 {
            out.push('…');
        }
        out
    }
}

type Val<'i> = Spanned<DeValue<'i>>;

/// A table being read, with the path used in field names.
struct Tbl<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    prefix: String,
    /// The keys this table may have, once `check_keys` has run.
    allowed: std::cell::Cell<&'static [&'static str]>,
}

impl<'a, 'i> Tbl<'a, 'i> {
    fn field(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Val<'i>> {
        self.table.get(key)
    }

    /// Reports every key not in `allowed`, with a suggestion when one is close.
    fn check_keys(&self, d: &mut Diag<'_>, allowed: &'static [&'static str]) {
        self.allowed.set(allowed);
        let mut keys: Vec<_> = self.table.iter().collect();
        keys.sort_by_key(|(k, _)| k.span().start);
        for (k, _) in keys {
            let name: &str = k.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let msg = match closest(name, allowed) {
                Some(a) => format!("未知字段，是否想写 {a}？"),
                None => format!("未知字段（此处可用的字段：{}）", allowed.join("、")),
            };
            d.err(&k.span(), &self.field(name), msg);
        }
    }

    /// Whether an unknown key in the table is a misspelling of one of `keys`;
    /// its own error already says so, and a second "missing" error about
    /// the same line would only confuse.
    fn misspelt(&self, keys: &[&str]) -> bool {
        self.table.iter().any(|(k, _)| {
            let name: &str = k.get_ref();
            let allowed = self.allowed.get();
            !allowed.contains(&name) && closest(name, allowed).is_some_and(|c| keys.contains(&c))
        })
    }

    fn required(&self, d: &mut Diag<'_>, key: &str, what: &str) -> Option<&'a Val<'i>> {
        let v = self.get(key);
        if v.is_none() && !self.misspelt(&[key]) {
            d.err(
                &self.span,
                &self.field(key),
                format!("缺少必填字段（{what}）"),
            );
        }
        v
    }

    fn sub(&self, d: &mut Diag<'_>, key: &str) -> Option<Tbl<'a, 'i>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Tbl {
                table: t,
                span: v.span(),
                prefix: self.field(key),
                allowed: std::cell::Cell::new(&[]),
            }),
            _ => {
                let shown = d.shown(&v.span());
                d.err(
                    &v.span(),
                    &self.field(key),
                    format!("应为表（[{}] 或 {{ … }}），实为 {shown}", self.field(key)),
                );
                None
            }
        }
    }

    /// An array of tables (`[[key]]`), each as a `Tbl` named `key[i]`.
    fn tables(&self, d: &mut Diag<'_>, key: &str) -> Vec<Tbl<'a, 'i>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            let shown = d.shown(&v.span());
            d.err(
                &v.span(),
                &self.field(key),
                format!("应为表的列表（[[{key}]]），实为 {shown}"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(t) => out.push(Tbl {
                    table: t,
                    span: item.span(),
                    prefix: if self.prefix.is_empty() && key == "policy" {
                        String::new()
                    } else {
                        format!("{}[{}]", self.field(key), i + 1)
                    },
                    allowed: std::cell::Cell::new(&[]),
                }),
                _ => {
                    let shown = d.shown(&item.span());
                    d.err(
                        &item.span(),
                        &self.field(key),
                        format!("第 {} 项应为表，实为 {shown}", i + 1),
                    );
                }
            }
        }
        out
    }
}

/// The allowed key closest to `name` by edit distance, if close enough to
/// be a plausible typo.
fn closest(name: &str, allowed: &[&'static str]) -> Option<&'static str> {
    let kc: Vec<char> = name.chars().collect();
    allowed
        .iter()
        .map(|a| (levenshtein(&kc, &a.chars().collect::<Vec<_>>()), *a))
        .filter(|(dist, a)| *dist <= (a.len() / 3).max(2))
        .min()
        .map(|(_, a)| a)
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "文字",
        DeValue::Integer(_) => "整数",
        DeValue::Float(_) => "小数",
        DeValue::Boolean(_) => "是/否（true/false）",
        DeValue::Datetime(_) => "日期",
        DeValue::Array(_) => "列表",
        DeValue::Table(_) => "表",
    }
}

fn string(d: &mut Diag<'_>, v: &Val<'_>, field: &str) -> Option<String> {
    match v.get_ref() {
        DeValue::String(s) => Some(s.to_string()),
        other => {
            let shown = d.shown(&v.span());
            d.err(
                &v.span(),
                field,
                format!("应为加双引号的文字，实为{} {shown}", type_name(other)),
            );
            None
        }
    }
}

fn integer(d: &mut Diag<'_>, v: &Val<'_>, field: &str) -> Option<i64> {
    match v.get_ref() {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Some(n),
            Err(_) => {
                let shown = d.shown(&v.span());
                d.err(&v.span(), field, format!("整数超出范围：{shown}"));
                None
            }
        },
        other => {
            let shown = d.shown(&v.span());
            d.err(
                &v.span(),
                field,
                format!("应为整数，实为{} {shown}", type_name(other)),
            );
            None
        }
    }
}

fn boolean(d: &mut Diag<'_>, v: &Val<'_>, field: &str) -> Option<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Some(*b),
        other => {
            let shown = d.shown(&v.span());
            d.err(
                &v.span(),
                field,
                format!("应为 true 或 false，实为{} {shown}", type_name(other)),
            );
            None
        }
    }
}

/// An amount in 元: an integer or a decimal with at most two places,
/// converted from the literal text so that no float ever holds money.
fn money(d: &mut Diag<'_>, v: &Val<'_>, field: &str) -> Option<Fen> {
    let shown = d.shown(&v.span());
    let parsed = match v.get_ref() {
        DeValue::Integer(i) if i.radix() == 10 => Fen::parse_yuan(i.as_str()).ok(),
        DeValue::Float(f) => {
            let t = f.as_str();
            if t.contains(['e', 'E']) || t.contains("inf") || t.contains("nan") {
                None
            } else {
                match Fen::parse_yuan(t) {
                    Ok(fen) => Some(fen),
                    Err(_) => {
                        d.err(
                            &v.span(),
                            field,
                            format!("金额最多两位小数（到分），实为 {shown}"),
                        );
                        return None;
                    }
                }
            }
        }
        _ => None,
    };
    match parsed {
        Some(f) if f.0 < 0 => {
            d.err(&v.span(), field, format!("金额不能为负数，实为 {shown}"));
            None
        }
        Some(f) => Some(f),
        None => {
            d.err(&v.span(), field, format!("金额应为数字，实为 {shown}"));
            None
        }
    }
}

fn term(d: &mut Diag<'_>, v: &Val<'_>, field: &str) -> Option<Term> {
    let s = string(d, v, field)?;
    match Term::parse(&s) {
        Ok(t) => Some(t),
        Err(_) => {
            d.err(
                &v.span(),
                field,
                format!("无法识别的学期“{s}”，应写成 2018秋 或 2019春 这样的形式"),
            );
            None
        }
    }
}

fn list<'a, 'i>(d: &mut Diag<'_>, v: &'a Val<'i>, field: &str) -> Option<&'a [Val<'i>]> {
    match v.get_ref() {
        DeValue::Array(a) => Some(a),
        other => {
            let shown = d.shown(&v.span());
            d.err(
                &v.span(),
                field,
                format!("应为列表 [ … ]，实为{} {shown}", type_name(other)),
            );
            None
        }
    }
}

/// A rule string, parsed; errors point at the exact character where the
/// rule text appears verbatim in the file.
fn rule(d: &mut Diag<'_>, v: &Val<'_>, field: &str, what: &str) -> Option<Rule> {
    let text = string(d, v, field)?;
    match Rule::parse(&text) {
        Ok(r) => Some(r),
        Err(e) => {
            let span = v.span();
            let raw = d.src.get(span.clone()).unwrap_or("");
            let byte = match raw.find(text.as_str()) {
                Some(off) => {
                    let inner: usize = text.chars().take(e.pos).map(char::len_utf8).sum();
                    span.start + off + inner
                }
                None => span.start,
            };
            d.at(byte, field, format!("{what}有误：{e}"));
            None
        }
    }
}

fn code_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= crate::key::KEY_CAPACITY
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

const TOP_KEYS: &[&str] = &[
    "province",
    "year",
    "title",
    "version",
    "note",
    "poverty",
    "difficulty",
    "policy",
    "exclusive",
];
const POVERTY_KEYS: &[&str] = &["keep_policy_through", "grace_years"];
const DIFFICULTY_KEYS: &[&str] = &["very_difficult", "difficult", "somewhat_difficult"];
const POLICY_KEYS: &[&str] = &[
    "code",
    "name",
    "category",
    "level",
    "stages",
    "grades",
    "eligible",
    "amount_per_term",
    "amount_per_year",
    "amount_from_school",
    "amount_applied_cap_per_year",
    "amount_applied_min_per_year",
    "tiers",
    "amount_table",
    "quota",
    "funding",
    "payment",
    "valid_from",
    "valid_to",
    "seasons",
    "enabled",
    "poverty",
    "note",
];
const AMOUNT_KEYS: &[&str] = &[
    "amount_per_term",
    "amount_per_year",
    "amount_from_school",
    "amount_applied_cap_per_year",
    "tiers",
    "amount_table",
];
const TIER_KEYS: &[&str] = &[
    "name",
    "when",
    "amount_per_term",
    "amount_per_year",
    "amount_from_school",
];
const ROW_KEYS: &[&str] = &[
    "school",
    "stage",
    "grade",
    "amount_per_term",
    "amount_per_year",
];
const QUOTA_KEYS: &[&str] = &[
    "per_mille",
    "count",
    "schools",
    "default_count",
    "scope",
    "rounding",
    "guaranteed",
    "order",
];
const FUNDING_KEYS: &[&str] = &["central", "province", "city", "county", "other"];
/// The engine keeps a group's members in a fixed-size array per student.
pub(crate) const MAX_GROUP: usize = 8;
const EXCLUSIVE_KEYS: &[&str] = &["name", "policies", "mode"];

/// The default hardship mapping, used when a file has no `[difficulty]`.
pub(crate) const DEFAULT_VERY: &str = "建档立卡 或 特困供养 或 孤儿 或 低保";
pub(crate) const DEFAULT_DIFFICULT: &str = "残疾 或 残疾人子女 或 烈士子女";
pub(crate) const DEFAULT_SOMEWHAT: &str = "边缘户";

impl PolicySet {
    /// Loads and validates a policy file. `file_name` is used in messages
    /// only; this function does no IO.
    pub fn load(text: &str, file_name: &str) -> Result<PolicySet, PolicyLoadError> {
        let mut d = Diag::new(file_name, text);
        let doc = match DeTable::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                syntax_error(&mut d, &e);
                return Err(PolicyLoadError { errors: d.errors });
            }
        };
        let top = Tbl {
            table: doc.get_ref(),
            span: 0..0,
            prefix: String::new(),
            allowed: std::cell::Cell::new(&[]),
        };
        let set = read_set(&mut d, &top);
        match set {
            Some(set) if d.errors.is_empty() => Ok(set),
            _ => {
                d.errors.sort_by_key(|e| (e.line, e.column));
                if d.errors.is_empty() {
                    // Unreachable in practice: every `None` path reports first.
                    d.at(0, "", "政策文件无法加载".to_string());
                }
                Err(PolicyLoadError { errors: d.errors })
            }
        }
    }

    /// The shipped Hunan 2018 policy file.
    pub fn hunan_2018() -> PolicySet {
        match PolicySet::load(HUNAN_2018_TOML, "hunan-2018.toml") {
            Ok(set) => set,
            // The shipped file is checked by the test suite, so this cannot
            // happen in a released build; failing loudly beats paying wrongly.
            Err(e) => panic!("内置政策文件 hunan-2018.toml 有误：{e}"),
        }
    }
}

/// The shipped policy file for Hunan, 2018, embedded at build time.
pub const HUNAN_2018_TOML: &str = include_str!("../policies/hunan-2018.toml");

/// Known toml parser messages in Chinese; the rest are shown as they are.
const SYNTAX_MESSAGES: &[(&str, &str)] = &[
    ("duplicate key", "字段重复出现"),
    (
        "string values must be quoted",
        "值无法识别：文字须加英文双引号，金额须直接写数字",
    ),
    ("invalid basic string", "文字缺少结尾的英文双引号"),
    ("missing value", "缺少值"),
    ("key with no value", "字段缺少值（应为 字段 = 值）"),
    (
        "missing assignment between key-value pairs",
        "缺少等号（应为 字段 = 值）",
    ),
    ("unclosed array", "列表缺少右方括号 ]"),
    ("unclosed inline table", "表缺少右花括号 }"),
    ("unclosed table", "表头缺少右方括号 ]"),
    ("unclosed array table", "表头缺少 ]]"),
    (
        "missing comma between array elements",
        "列表元素之间缺少逗号",
    ),
    ("missing comma between key-value pairs", "字段之间缺少逗号"),
    ("extra comma in inline table", "表末尾多了逗号"),
    ("invalid float", "数字格式错误"),
    (
        "invalid unquoted key",
        "字段名只能由英文字母、数字、下划线组成",
    ),
    ("unexpected content", "此处有多余内容"),
    ("invalid key-value pair", "字段格式错误（应为 字段 = 值）"),
];

fn syntax_error(d: &mut Diag<'_>, e: &toml::de::Error) {
    let raw = e.message();
    let msg = SYNTAX_MESSAGES
        .iter()
        .find(|(en, _)| raw.starts_with(en))
        .map_or_else(
            || format!("TOML 格式错误（{raw}）"),
            |(_, zh)| (*zh).to_string(),
        );
    let byte = e.span().map_or(0, |s| s.start);
    // The field is the key at the start of the offending line, when there is one.
    let (line, _) = d.position(byte);
    let line_text = d.src.lines().nth(line - 1).unwrap_or("");
    let field = line_text
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        })
        .unwrap_or("");
    let shown = line_text
        .split_once('=')
        .map(|(_, v)| v.split('#').next().unwrap_or("").trim().to_string())
        .filter(|v| !v.is_empty() && !field.is_empty());
    let message = match shown {
        Some(v) if raw.starts_with("string values must be quoted") => {
            format!("{msg}，实为 {v}")
        }
        _ => msg,
    };
    d.at(byte, field, format!("语法错误：{message}"));
}

fn read_set(d: &mut Diag<'_>, top: &Tbl<'_, '_>) -> Option<PolicySet> {
    top.check_keys(d, TOP_KEYS);
    let province = top
        .required(d, "province", "省份，如 湖南省")
        .and_then(|v| string(d, v, "province"));
    let year = top
        .required(d, "year", "政策年度，如 2018")
        .and_then(|v| integer(d, v, "year"));
    let title = top
        .get("title")
        .and_then(|v| string(d, v, "title"))
        .unwrap_or_default();
    if let Some(v) = top.get("version") {
        string(d, v, "version");
    }
    if let Some(v) = top.get("note") {
        string(d, v, "note");
    }
    let poverty = match top.sub(d, "poverty") {
        Some(t) => read_poverty(d, &t),
        None => PovertyRule::default(),
    };
    let difficulty = read_difficulty(d, top);

    let mut policies = Vec::new();
    let mut first_line: Vec<(PolicyCode, usize)> = Vec::new();
    for t in top.tables(d, "policy") {
        if let Some(p) = read_policy(d, &t, poverty) {
            if let Some((_, line)) = first_line.iter().find(|(c, _)| *c == p.code) {
                let span = t.get("code").map_or(t.span.clone(), |v| v.span());
                d.err(
                    &span,
                    "code",
                    format!("政策代码 {} 重复：第 {line} 行已定义同一代码", p.code),
                );
                continue;
            }
            first_line.push((p.code, d.line(t.span.start)));
            policies.push(p);
        }
    }
    if policies.len() > usize::from(u16::MAX) {
        d.at(
            0,
            "policy",
            format!("政策过多（{} 项），最多 {} 项", policies.len(), u16::MAX),
        );
    }
    if top.get("policy").is_none() {
        d.at(0, "policy", "文件中没有任何 [[policy]] 政策".to_string());
    }

    // Codes of policies that failed to load are still "known" to the
    // exclusivity check, so that one mistake is not reported twice.
    let written_codes: Vec<String> = top
        .get("policy")
        .and_then(|v| match v.get_ref() {
            DeValue::Array(a) => Some(a),
            _ => None,
        })
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get_ref().get("code"))
                .filter_map(|c| c.get_ref().as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut exclusive: Vec<ExclusiveGroup> = Vec::new();
    for t in top.tables(d, "exclusive") {
        if let Some(g) = read_exclusive(d, &t, &policies, &written_codes, &exclusive) {
            exclusive.push(g);
        }
    }

    if let Some(difficulty) = &difficulty {
        let dfacts = difficulty.facts();
        for p in &mut policies {
            if p.relevant.contains(Fact::Hardship) || p.relevant.contains(Fact::DifficultyLevel) {
                p.relevant = p.relevant.union(dfacts);
                p.relevant.insert(Fact::DifficultyLevel);
                p.relevant.insert(Fact::Hardship);
            }
        }
    }

    Some(PolicySet {
        file_name: d.file.to_string(),
        province: province?,
        year: i32::try_from(year?).ok()?,
        title,
        poverty,
        difficulty: difficulty?,
        policies,
        exclusive,
    })
}

fn read_poverty(d: &mut Diag<'_>, t: &Tbl<'_, '_>) -> PovertyRule {
    t.check_keys(d, POVERTY_KEYS);
    let mut r = PovertyRule::default();
    if let Some(v) = t.get("keep_policy_through") {
        let f = t.field("keep_policy_through");
        r.keep_policy_through = integer(d, v, &f).and_then(|y| {
            if (2000..=2100).contains(&y) {
                i32::try_from(y).ok()
            } else {
                d.err(&v.span(), &f, format!("年份应在 2000–2100 之间，实为 {y}"));
                None
            }
        });
    }
    if let Some(v) = t.get("grace_years") {
        let f = t.field("grace_years");
        r.grace_years = integer(d, v, &f).and_then(|g| match u16::try_from(g) {
            Ok(g) if g <= 20 => Some(g),
            _ => {
                d.err(&v.span(), &f, format!("年数应在 0–20 之间，实为 {g}"));
                None
            }
        });
    }
    r
}

fn read_difficulty(d: &mut Diag<'_>, top: &Tbl<'_, '_>) -> Option<DifficultyRules> {
    let t = top.sub(d, "difficulty");
    if let Some(t) = &t {
        t.check_keys(d, DIFFICULTY_KEYS);
    }
    let mut one = |key: &str, default: &str| -> Option<Rule> {
        let Some(v) = t.as_ref().and_then(|t| t.get(key)) else {
            return Rule::parse(default).ok();
        };
        let field = format!("difficulty.{key}");
        let r = rule(d, v, &field, "困难等级认定规则")?;
        let bad: Vec<&str> = r
            .facts()
            .iter()
            .filter(|f| !registry_only(*f))
            .map(Fact::name)
            .collect();
        if !bad.is_empty() {
            d.err(
                &v.span(),
                &field,
                format!(
                    "困难等级认定规则只能使用登记信息，不能使用 {}",
                    bad.join("、")
                ),
            );
            return None;
        }
        Some(r)
    };
    let very = one("very_difficult", DEFAULT_VERY);
    let difficult = one("difficult", DEFAULT_DIFFICULT);
    let somewhat = one("somewhat_difficult", DEFAULT_SOMEWHAT);
    Some(DifficultyRules {
        very_difficult: very?,
        difficult: difficult?,
        somewhat_difficult: somewhat?,
    })
}

fn read_policy(d: &mut Diag<'_>, t: &Tbl<'_, '_>, file_poverty: PovertyRule) -> Option<Policy> {
    t.check_keys(d, POLICY_KEYS);
    let code = t
        .required(d, "code", "政策代码，英文大写字母、数字和下划线")
        .and_then(|v| {
            let s = string(d, v, "code")?;
            if !code_ok(&s) {
                d.err(
                    &v.span(),
                    "code",
                    format!(
                        "政策代码应以英文大写字母开头，只含大写字母、数字和下划线，最长 {} 个字符，实为 \"{s}\"",
                        crate::key::KEY_CAPACITY
                    ),
                );
                return None;
            }
            PolicyCode::new(&s).ok()
        });
    let name = t
        .required(d, "name", "政策名称")
        .and_then(|v| string(d, v, "name"));
    let category = t
        .required(d, "category", "补、助、免、奖、贷 之一")
        .and_then(|v| {
            let s = string(d, v, "category")?;
            let c = Category::parse(&s);
            if c.is_none() {
                d.err(
                    &v.span(),
                    "category",
                    format!("类别应为 补、助、免、奖、贷 之一，实为 \"{s}\""),
                );
            }
            c
        });
    let level = match t.get("level") {
        None => Some(Level::National),
        Some(v) => string(d, v, "level").and_then(|s| {
            let l = Level::parse(&s);
            if l.is_none() {
                d.err(
                    &v.span(),
                    "level",
                    format!("层级应为 国家、省、市、县、社会 之一，实为 \"{s}\""),
                );
            }
            l
        }),
    };
    let stages = t
        .required(d, "stages", "适用学段列表，如 [\"小学\", \"初中\"]")
        .and_then(|v| read_stages(d, v));
    let grades = match t.get("grades") {
        None => Some(Vec::new()),
        Some(v) => read_grades(d, v, stages.as_deref().unwrap_or(&[])),
    };
    let eligible = t
        .required(d, "eligible", "资格条件，如 \"建档立卡 或 低保\"")
        .and_then(|v| rule(d, v, "eligible", "资格条件"));
    let amount = read_amount(d, t, true);
    let payment = t
        .required(d, "payment", "发放方式：打卡、免除 或 贷款")
        .and_then(|v| {
            let s = string(d, v, "payment")?;
            let m = PaymentMode::parse(&s);
            if m.is_none() {
                d.err(
                    &v.span(),
                    "payment",
                    format!("发放方式应为 打卡、免除、贷款 之一，实为 \"{s}\""),
                );
            }
            m
        });
    let funding = t
        .required(
            d,
            "funding",
            "资金分担比例表，如 { central = 600, province = 400 }",
        )
        .and_then(|_| t.sub(d, "funding"))
        .and_then(|f| read_funding(d, &f));
    let valid_from = match t.get("valid_from") {
        Some(v) => Some(term(d, v, "valid_from")?),
        None => None,
    };
    let valid_to = match t.get("valid_to") {
        Some(v) => Some(term(d, v, "valid_to")?),
        None => None,
    };
    if let (Some(f), Some(to)) = (valid_from, valid_to)
        && f > to
    {
        let span = t.get("valid_to").map_or(t.span.clone(), |v| v.span());
        d.err(
            &span,
            "valid_to",
            format!(
                "执行截止学期 {} 早于起始学期 {}",
                crate::policy::term_label(to),
                crate::policy::term_label(f)
            ),
        );
    }
    let seasons = match t.get("seasons") {
        None => Some(vec![Season::Autumn, Season::Spring]),
        Some(v) => read_seasons(d, v),
    };
    let enabled = match t.get("enabled") {
        None => Some(true),
        Some(v) => boolean(d, v, "enabled"),
    };
    let poverty = match t.sub(d, "poverty") {
        Some(pt) => read_poverty(d, &pt),
        None => file_poverty,
    };
    let note = t
        .get("note")
        .and_then(|v| string(d, v, "note"))
        .unwrap_or_default();
    let quota = match t.sub(d, "quota") {
        Some(q) => Some(read_quota(d, &q)?),
        None => None,
    };

    // Cross-field checks that need several fields to be valid.
    if let (Some(c), Some(p), Some(a)) = (category, payment, amount.as_ref()) {
        let loan_amount = matches!(a, Amount::Applied { .. });
        let loan = c == Category::Loan || p == PaymentMode::Loan || loan_amount;
        if loan && !(c == Category::Loan && p == PaymentMode::Loan && loan_amount) {
            let span = t.get("payment").map_or(t.span.clone(), |v| v.span());
            d.err(
                &span,
                "payment",
                "贷款类政策须同时写 category = \"贷\"、payment = \"贷款\" 和 amount_applied_cap_per_year"
                    .to_string(),
            );
        }
    }

    let code = code?;
    let eligible = eligible?;
    let amount = amount?;
    let payment = payment?;
    let mut relevant = eligible.facts();
    relevant.insert(Fact::StageFact);
    relevant.insert(Fact::GradeFact);
    relevant = relevant.union(amount_facts(&amount));
    match payment {
        PaymentMode::ToCard => {
            relevant.insert(Fact::Enrolled);
            relevant.insert(Fact::Bank);
        }
        PaymentMode::FeeWaiver | PaymentMode::Loan => relevant.insert(Fact::Enrolled),
    }
    if let Some(q) = &quota {
        for r in q.guaranteed.iter().chain(q.order.iter()) {
            relevant = relevant.union(r.facts());
        }
    }
    if relevant.contains(Fact::Poor) {
        relevant.insert(Fact::Lifted);
        relevant.insert(Fact::LiftedYear);
        relevant.insert(Fact::NotLifted);
    }
    Some(Policy {
        code,
        name: name?,
        category: category?,
        level: level?,
        stages: stages?,
        grades: grades?,
        eligible,
        amount,
        quota,
        funding: funding?,
        payment,
        valid_from,
        valid_to,
        seasons: seasons?,
        enabled: enabled?,
        poverty,
        note,
        line: d.line(t.span.start),
        relevant,
    })
}

fn amount_facts(a: &Amount) -> crate::facts::FactSet {
    let mut s = crate::facts::FactSet::EMPTY;
    match a {
        Amount::SchoolFee => s.insert(Fact::SchoolFee),
        Amount::Applied { .. } => s.insert(Fact::LoanApplied),
        Amount::Tiers(ts) => {
            for t in ts {
                s = s.union(t.when.facts()).union(amount_facts(&t.amount));
            }
        }
        Amount::Table(rows) => {
            for r in rows {
                s = s.union(amount_facts(&r.amount));
            }
        }
        Amount::PerTerm(_) | Amount::PerYear(_) => {}
    }
    s
}

fn read_stages(d: &mut Diag<'_>, v: &Val<'_>) -> Option<Vec<Stage>> {
    let items = list(d, v, "stages")?;
    if items.is_empty() {
        d.err(&v.span(), "stages", "至少要有一个学段".to_string());
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for it in items {
        let Some(s) = string(d, it, "stages") else {
            ok = false;
            continue;
        };
        match Stage::parse(&s) {
            Ok(st) if !out.contains(&st) => out.push(st),
            Ok(_) => {
                d.err(&it.span(), "stages", format!("学段 \"{s}\" 重复"));
                ok = false;
            }
            Err(_) => {
                d.err(
                    &it.span(),
                    "stages",
                    format!("无法识别的学段 \"{s}\"，应为 学前、小学、初中、普通高中、中职、高职本专科 之一"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn read_grades(d: &mut Diag<'_>, v: &Val<'_>, stages: &[Stage]) -> Option<Vec<u8>> {
    let items = list(d, v, "grades")?;
    let mut out = Vec::new();
    let mut ok = true;
    for it in items {
        let Some(g) = integer(d, it, "grades") else {
            ok = false;
            continue;
        };
        let fits = u8::try_from(g)
            .ok()
            .filter(|g| stages.is_empty() || stages.iter().any(|s| Grade::new(*s, *g).is_ok()));
        match fits {
            Some(g) if !out.contains(&g) => out.push(g),
            Some(_) => {
                d.err(&it.span(), "grades", format!("年级 {g} 重复"));
                ok = false;
            }
            None => {
                d.err(
                    &it.span(),
                    "grades",
                    format!(
                        "年级 {g} 不在所列学段的年级范围内（年级从 1 起，如七年级为初中 1 年级）"
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn read_seasons(d: &mut Diag<'_>, v: &Val<'_>) -> Option<Vec<Season>> {
    let items = list(d, v, "seasons")?;
    let mut out = Vec::new();
    for it in items {
        let s = string(d, it, "seasons")?;
        let season = match s.trim().trim_end_matches("季") {
            "春" => Season::Spring,
            "秋" => Season::Autumn,
            _ => {
                d.err(
                    &it.span(),
                    "seasons",
                    format!("学期应为 \"春\" 或 \"秋\"，实为 \"{s}\""),
                );
                return None;
            }
        };
        if !out.contains(&season) {
            out.push(season);
        }
    }
    if out.is_empty() {
        d.err(
            &v.span(),
            "seasons",
            "至少要有一个学期（春、秋）".to_string(),
        );
        return None;
    }
    Some(out)
}

/// Reads the amount fields of a policy (`top`), a tier or a table row.
fn read_amount(d: &mut Diag<'_>, t: &Tbl<'_, '_>, top: bool) -> Option<Amount> {
    let allowed: &[&str] = if top {
        AMOUNT_KEYS
    } else {
        &["amount_per_term", "amount_per_year", "amount_from_school"]
    };
    let present: Vec<&str> = allowed
        .iter()
        .copied()
        .filter(|k| t.get(k).is_some())
        .collect();
    match present.as_slice() {
        [] if t.misspelt(allowed) => None,
        [] => {
            d.err(
                &t.span,
                &t.field("amount_per_term"),
                format!("缺少金额字段：{} 须有且只有一个", allowed.join("、")),
            );
            None
        }
        [one] => {
            let v = t.get(one)?;
            let f = t.field(one);
            match *one {
                "amount_per_term" => money(d, v, &f).map(Amount::PerTerm),
                "amount_per_year" => money(d, v, &f).map(Amount::PerYear),
                "amount_from_school" => {
                    let s = string(d, v, &f)?;
                    let n = zizhu_core::normalize_text(&s);
                    if crate::facts::fact_by_name(&n) == Some(Fact::SchoolFee) {
                        Some(Amount::SchoolFee)
                    } else {
                        d.err(
                            &v.span(),
                            &f,
                            format!("学校金额只能取 \"学杂费\"（学校的学杂费标准），实为 \"{s}\""),
                        );
                        None
                    }
                }
                "amount_applied_cap_per_year" => {
                    let cap = money(d, v, &f)?;
                    let min = match t.get("amount_applied_min_per_year") {
                        Some(mv) => money(d, mv, &t.field("amount_applied_min_per_year"))?,
                        None => Fen::ZERO,
                    };
                    if min > cap {
                        d.err(&v.span(), &f, "申请金额下限高于上限".to_string());
                        return None;
                    }
                    Some(Amount::Applied {
                        cap_per_year: cap,
                        min_per_year: min,
                    })
                }
                "tiers" => read_tiers(d, t),
                "amount_table" => read_table(d, t),
                _ => None,
            }
        }
        many => {
            let v = t.get(many[1])?;
            d.err(
                &v.span(),
                &t.field(many[1]),
                format!("金额字段只能有一个，同时写了 {}", many.join("、")),
            );
            None
        }
    }
}

fn read_tiers(d: &mut Diag<'_>, t: &Tbl<'_, '_>) -> Option<Amount> {
    let tiers = t.tables(d, "tiers");
    if tiers.is_empty() {
        d.err(&t.span, &t.field("tiers"), "至少要有一档".to_string());
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    let n = tiers.len();
    for (i, tt) in tiers.iter().enumerate() {
        tt.check_keys(d, TIER_KEYS);
        let name = tt
            .get("name")
            .and_then(|v| string(d, v, &tt.field("name")))
            .unwrap_or_else(|| format!("第{}档", i + 1));
        let when = match tt.get("when") {
            Some(v) => rule(d, v, &tt.field("when"), "档次条件"),
            None if i + 1 == n => Some(Rule::always()),
            None => {
                d.err(
                    &tt.span,
                    &tt.field("when"),
                    "只有最后一档可以省略条件（作为其余学生的默认档）".to_string(),
                );
                None
            }
        };
        let amount = read_amount(d, tt, false);
        match (when, amount) {
            (Some(when), Some(amount)) => out.push(Tier { name, when, amount }),
            _ => ok = false,
        }
    }
    ok.then_some(Amount::Tiers(out))
}

fn read_table(d: &mut Diag<'_>, t: &Tbl<'_, '_>) -> Option<Amount> {
    let rows = t.tables(d, "amount_table");
    if rows.is_empty() {
        d.err(
            &t.span,
            &t.field("amount_table"),
            "金额表至少要有一行".to_string(),
        );
        return None;
    }
    let mut out: Vec<AmountRow> = Vec::new();
    let mut ok = true;
    for rt in &rows {
        rt.check_keys(d, ROW_KEYS);
        let school = match rt.get("school") {
            Some(v) => {
                let f = rt.field("school");
                string(d, v, &f).and_then(|s| match SchoolKey::new(&s) {
                    Ok(k) => Some(Some(k)),
                    Err(e) => {
                        d.err(&v.span(), &f, e.to_string());
                        None
                    }
                })
            }
            None => Some(None),
        };
        let stage = match rt.get("stage") {
            Some(v) => {
                let f = rt.field("stage");
                string(d, v, &f).and_then(|s| match Stage::parse(&s) {
                    Ok(st) => Some(Some(st)),
                    Err(e) => {
                        d.err(&v.span(), &f, e.to_string());
                        None
                    }
                })
            }
            None => Some(None),
        };
        let grade = match rt.get("grade") {
            Some(v) => {
                let f = rt.field("grade");
                integer(d, v, &f).and_then(|g| match u8::try_from(g) {
                    Ok(g) if (1..=9).contains(&g) => Some(Some(g)),
                    _ => {
                        d.err(&v.span(), &f, format!("年级应在 1–9 之间，实为 {g}"));
                        None
                    }
                })
            }
            None => Some(None),
        };
        let amount = read_amount(d, rt, false);
        match (school, stage, grade, amount) {
            (Some(school), Some(stage), Some(grade), Some(amount)) => {
                let row = AmountRow {
                    school,
                    stage,
                    grade,
                    amount,
                };
                if out
                    .iter()
                    .any(|r| r.school == row.school && r.stage == row.stage && r.grade == row.grade)
                {
                    d.err(
                        &rt.span,
                        &rt.prefix,
                        "金额表中已有学校、学段、年级都相同的一行，两行互相重叠".to_string(),
                    );
                    ok = false;
                } else {
                    out.push(row);
                }
            }
            _ => ok = false,
        }
    }
    ok.then_some(Amount::Table(out))
}

fn read_funding(d: &mut Diag<'_>, t: &Tbl<'_, '_>) -> Option<Funding> {
    t.check_keys(d, FUNDING_KEYS);
    let mut shares = [0u16; 5];
    let mut ok = true;
    for level in FundingLevel::ALL {
        let Some(v) = t.get(level.key()) else {
            continue;
        };
        let f = t.field(level.key());
        match integer(d, v, &f) {
            Some(n) if (0..=1000).contains(&n) => shares[level as usize] = n as u16,
            Some(n) => {
                d.err(
                    &v.span(),
                    &f,
                    format!("分担比例应在 0–1000（‰）之间，实为 {n}"),
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    // With a misspelt level the sum is meaningless; the unknown-field error
    // already points at the mistake.
    let unknown_key = t
        .table
        .iter()
        .any(|(k, _)| !FUNDING_KEYS.contains(&k.get_ref().as_ref()));
    if !ok || unknown_key {
        return None;
    }
    let funding = Funding::new(shares);
    if funding.is_none() {
        let sum: u32 = shares.iter().map(|s| u32::from(*s)).sum();
        let parts: Vec<String> = FundingLevel::ALL
            .iter()
            .map(|l| format!("{} {}", l.label(), shares[*l as usize]))
            .collect();
        d.err(
            &t.span,
            &t.prefix,
            format!(
                "资金分担比例之和应为 1000（‰），实为 {sum}（{}）",
                parts.join(" + ")
            ),
        );
    }
    funding
}

fn read_quota(d: &mut Diag<'_>, t: &Tbl<'_, '_>) -> Option<Quota> {
    t.check_keys(d, QUOTA_KEYS);
    let sizes: Vec<&str> = ["per_mille", "count", "schools"]
        .into_iter()
        .filter(|k| t.get(k).is_some())
        .collect();
    let size = match sizes.as_slice() {
        ["per_mille"] => {
            let v = t.get("per_mille")?;
            let f = t.field("per_mille");
            match integer(d, v, &f)? {
                n @ 1..=1000 => QuotaSize::PerMille(n as u16),
                n => {
                    d.err(
                        &v.span(),
                        &f,
                        format!("名额比例应在 1–1000（‰）之间，实为 {n}"),
                    );
                    return None;
                }
            }
        }
        ["count"] => {
            let v = t.get("count")?;
            let f = t.field("count");
            match integer(d, v, &f)? {
                n if n >= 0 && n <= i64::from(u32::MAX) => QuotaSize::Count(n as u32),
                n => {
                    d.err(&v.span(), &f, format!("名额数不能为负，实为 {n}"));
                    return None;
                }
            }
        }
        ["schools"] => {
            let st = t.sub(d, "schools")?;
            let mut counts = Vec::new();
            let mut entries: Vec<_> = st.table.iter().collect();
            entries.sort_by_key(|(k, _)| k.span().start);
            for (k, v) in entries {
                let f = st.field(k.get_ref());
                let school = match SchoolKey::new(k.get_ref()) {
                    Ok(s) => s,
                    Err(e) => {
                        d.err(&k.span(), &f, e.to_string());
                        return None;
                    }
                };
                let n = integer(d, v, &f)?;
                let Ok(n) = u32::try_from(n) else {
                    d.err(&v.span(), &f, format!("名额数不能为负，实为 {n}"));
                    return None;
                };
                counts.push((school, n));
            }
            let default = match t.get("default_count") {
                Some(v) => {
                    let f = t.field("default_count");
                    let n = integer(d, v, &f)?;
                    let Ok(n) = u32::try_from(n) else {
                        d.err(&v.span(), &f, format!("名额数不能为负，实为 {n}"));
                        return None;
                    };
                    n
                }
                None => 0,
            };
            QuotaSize::PerSchool { counts, default }
        }
        [] => {
            d.err(
                &t.span,
                &t.prefix,
                "名额须写 per_mille（按在校生千分比）、count（固定人数）或 schools（分校指标）之一"
                    .to_string(),
            );
            return None;
        }
        many => {
            let v = t.get(many[1])?;
            d.err(
                &v.span(),
                &t.field(many[1]),
                format!("名额只能用一种方式给出，同时写了 {}", many.join("、")),
            );
            return None;
        }
    };
    let scope = match t.get("scope") {
        None => QuotaScope::School,
        Some(v) => {
            let f = t.field("scope");
            let s = string(d, v, &f)?;
            match s.trim() {
                "学校" | "每校" => QuotaScope::School,
                "乡镇" => QuotaScope::Township,
                "全县" | "全部" => QuotaScope::All,
                _ => {
                    d.err(
                        &v.span(),
                        &f,
                        format!("名额范围应为 学校、乡镇、全县 之一，实为 \"{s}\""),
                    );
                    return None;
                }
            }
        }
    };
    if matches!(size, QuotaSize::PerSchool { .. }) && scope != QuotaScope::School {
        let v = t.get("scope")?;
        d.err(
            &v.span(),
            &t.field("scope"),
            "按学校分配指标（schools）时名额范围只能是 学校".to_string(),
        );
        return None;
    }
    let rounding = match t.get("rounding") {
        None => Rounding::Up,
        Some(v) => {
            let f = t.field("rounding");
            let s = string(d, v, &f)?;
            match s.trim() {
                "向上取整" | "向上" => Rounding::Up,
                "向下取整" | "向下" => Rounding::Down,
                "四舍五入" => Rounding::Nearest,
                _ => {
                    d.err(
                        &v.span(),
                        &f,
                        format!("取整方式应为 向上取整、向下取整、四舍五入 之一，实为 \"{s}\""),
                    );
                    return None;
                }
            }
        }
    };
    let guaranteed = match t.get("guaranteed") {
        Some(v) => Some(rule(d, v, &t.field("guaranteed"), "保障对象条件")?),
        None => None,
    };
    let mut order = Vec::new();
    if let Some(v) = t.get("order") {
        let f = t.field("order");
        for it in list(d, v, &f)? {
            order.push(rule(d, it, &f, "遴选顺序条件")?);
        }
    }
    Some(Quota {
        size,
        scope,
        rounding,
        guaranteed,
        order,
    })
}

fn read_exclusive(
    d: &mut Diag<'_>,
    t: &Tbl<'_, '_>,
    policies: &[Policy],
    written_codes: &[String],
    earlier: &[ExclusiveGroup],
) -> Option<ExclusiveGroup> {
    t.check_keys(d, EXCLUSIVE_KEYS);
    let name = t
        .required(d, "name", "互斥组名称")
        .and_then(|v| string(d, v, &t.field("name")));
    let strict = match t.get("mode") {
        None => Some(false),
        Some(v) => {
            let f = t.field("mode");
            string(d, v, &f).and_then(|s| match s.trim() {
                "优先" | "按优先级" => Some(false),
                "严格" | "不得同时享受" => Some(true),
                _ => {
                    d.err(
                        &v.span(),
                        &f,
                        format!("互斥方式应为 \"按优先级\" 或 \"严格\"，实为 \"{s}\""),
                    );
                    None
                }
            })
        }
    };
    let f = t.field("policies");
    let v = t.required(d, "policies", "互斥的政策代码列表，按优先级排列")?;
    let items = list(d, v, &f)?;
    let mut members = Vec::new();
    let mut ok = true;
    for it in items {
        let Some(code) = string(d, it, &f) else {
            ok = false;
            continue;
        };
        let Some(idx) = policies.iter().position(|p| p.code.as_str() == code) else {
            ok = false;
            if written_codes.contains(&code) {
                // The policy itself has an error, already reported.
                continue;
            }
            d.err(
                &it.span(),
                &f,
                format!("互斥组引用了不存在的政策 {code}（政策代码须与某个 [[policy]] 的 code 完全一致）"),
            );
            continue;
        };
        if members.contains(&idx) {
            d.err(&it.span(), &f, format!("政策 {code} 在本互斥组中重复出现"));
            ok = false;
            continue;
        }
        if let Some(g) = earlier.iter().find(|g| g.members.contains(&idx)) {
            d.err(
                &it.span(),
                &f,
                format!(
                    "政策 {code} 已属于第 {} 行的互斥组“{}”，一项政策只能属于一个互斥组",
                    g.line, g.name
                ),
            );
            ok = false;
            continue;
        }
        members.push(idx);
    }
    if ok && members.len() > MAX_GROUP {
        d.err(&v.span(), &f, format!("互斥组最多 {MAX_GROUP} 项政策"));
        ok = false;
    }
    if ok && members.len() < 2 {
        d.err(&v.span(), &f, "互斥组至少要有两项政策".to_string());
        ok = false;
    }
    let name = name?;
    let strict = strict?;
    ok.then(|| ExclusiveGroup {
        name,
        members,
        strict,
        line: d.line(t.span.start),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README is the county official's manual: every field the loader
    /// accepts and every fact a rule may name must be documented there.
    #[test]
    fn readme_documents_every_field_and_fact() {
        let readme = include_str!("../README.md");
        for keys in [
            TOP_KEYS,
            POVERTY_KEYS,
            DIFFICULTY_KEYS,
            POLICY_KEYS,
            TIER_KEYS,
            ROW_KEYS,
            QUOTA_KEYS,
            FUNDING_KEYS,
            EXCLUSIVE_KEYS,
            &["amount_applied_min_per_year"],
        ] {
            for k in keys {
                assert!(readme.contains(k), "README does not mention field {k}");
            }
        }
        for f in Fact::ALL {
            let row = format!("| {} |", f.name());
            assert!(
                readme.contains(&row),
                "README fact table lacks {}",
                f.name()
            );
        }
    }

    #[test]
    fn positions_are_line_and_character_column() {
        let d = Diag::new("f.toml", "a = 1\n名称 = \"x\"\n");
        assert_eq!(d.position(0), (1, 1));
        assert_eq!(d.position(6), (2, 1));
        // The second character of line 2 starts at byte 9 ("名" is 3 bytes).
        assert_eq!(d.position(9), (2, 2));
    }
}
