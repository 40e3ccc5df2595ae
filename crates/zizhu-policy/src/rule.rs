//! The eligibility rule language: small, Chinese, and checked on load.
//!
//! A rule reads like the policy document: `建档立卡 或 低保 或 (残疾 且 家庭经济困难)`,
//! `困难等级 >= 困难`, `年级 <= 2`, `残疾类别 属于 (视力, 听力)`, `非 寄宿`.
//! Spaces are optional (`建档立卡或低保` works) and traditional characters
//! are accepted. Every name must be a known fact; anything else is a load
//! error with the position and, where one is close, a suggestion.
//!
//! Rules evaluate in three-valued logic because some facts can be unknown
//! (a 县外就读 student's boarding status, say): `未知 或 是` is 是, `未知 且 否`
//! is 否, and otherwise an unknown fact makes the result unknown, which the
//! engine reports as 信息缺失 naming the fact instead of guessing.

use crate::facts::{
    Difficulty, EnumKind, Fact, FactSet, FactType, PovertyStatus, SchoolType, StudentFacts,
    fact_by_name,
};
use std::fmt;
use std::sync::OnceLock;
use zizhu_core::{Fen, Stage};

/// A parsed, type-checked rule with the text it came from.
#[derive(Clone, Debug)]
pub struct Rule {
    text: String,
    root: Expr,
    facts: FactSet,
}

/// Three-valued truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tri {
    No,
    Yes,
    Unknown,
}

impl Tri {
    /// 成立 / 不成立 / 无法判断（信息缺失）.
    pub fn label(self) -> &'static str {
        match self {
            Tri::Yes => "成立",
            Tri::No => "不成立",
            Tri::Unknown => "无法判断（信息缺失）",
        }
    }
}

/// A syntax or name error inside a rule, at a character position of the rule text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// 0-based index of the offending character in the rule text.
    pub pos: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}（第 {} 个字处）", self.message, self.pos + 1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Op::Eq => ord == Equal,
            Op::Ne => ord != Equal,
            Op::Lt => ord == Less,
            Op::Le => ord != Greater,
            Op::Gt => ord == Greater,
            Op::Ge => ord != Less,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// A literal after an operator, already checked against the fact's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lit {
    Bool(bool),
    Int(i64),
    Money(i64),
    Enum(u8),
}

#[derive(Clone, Debug)]
enum Expr {
    Const(bool),
    Fact(Fact),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Cmp { fact: Fact, op: Op, lit: Lit },
    In { fact: Fact, set: Vec<Lit> },
}

/// A fact's value for one student, as rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Money(i64),
    Enum(EnumKind, u8),
    /// Should be known but is not (信息缺失).
    Unknown,
    /// Does not apply to this student (脱贫年份 of a household never lifted).
    NotApplicable,
}

impl Value {
    /// The value in Chinese: 是、否、2018、1500 元、特别困难、未知、不适用.
    pub fn label(&self) -> String {
        match self {
            Value::Bool(true) => "是".to_string(),
            Value::Bool(false) => "否".to_string(),
            Value::Int(i) => i.to_string(),
            Value::Money(f) => format!("{} 元", trim_yuan(Fen(*f))),
            Value::Enum(k, v) => k.label(*v).to_string(),
            Value::Unknown => "未知".to_string(),
            Value::NotApplicable => "不适用".to_string(),
        }
    }
}

/// `1500`, `312.5`: 元 without trailing zeros, for prose.
pub fn trim_yuan(f: Fen) -> String {
    let s = f.fmt_yuan();
    let s = s.strip_suffix(".00").unwrap_or(&s).to_string();
    if s.contains('.') {
        s.trim_end_matches('0').to_string()
    } else {
        s
    }
}

/// What a rule needs besides the stored facts: the derived facts whose
/// meaning depends on the policy being evaluated.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    pub facts: &'a StudentFacts,
    /// 建档立卡 under this policy's 脱贫不脱政策 setting.
    pub poor: bool,
    /// The hardship level after 学校认定.
    pub difficulty: Difficulty,
    /// Whether the school nominated the student for this policy.
    pub nominated: bool,
}

/// A fact's value for the student in `ctx`.
pub fn value_of(fact: Fact, ctx: &Ctx<'_>) -> Value {
    let s = ctx.facts;
    let b = Value::Bool;
    match fact {
        Fact::Poor => b(ctx.poor),
        Fact::NotLifted => b(s.poverty == PovertyStatus::NotLifted),
        Fact::Lifted => b(matches!(s.poverty, PovertyStatus::Lifted { .. })),
        Fact::LiftedYear => match s.poverty {
            PovertyStatus::Lifted { year } => Value::Int(i64::from(year)),
            _ => Value::NotApplicable,
        },
        Fact::Edge => b(s.poverty == PovertyStatus::Edge),
        Fact::Dibao => b(s.dibao),
        Fact::RuralDibao => b(s.dibao && s.rural_hukou),
        Fact::UrbanDibao => b(s.dibao && !s.rural_hukou),
        Fact::Tekun => b(s.tekun),
        Fact::RuralTekun => b(s.tekun && s.rural_hukou),
        Fact::UrbanTekun => b(s.tekun && !s.rural_hukou),
        Fact::Orphan => b(s.orphan),
        Fact::Disabled => b(s.disability.is_some()),
        Fact::DisabilityKind => match s.disability {
            Some(d) => Value::Enum(
                EnumKind::Disability,
                enum_index(&crate::facts::Disability::ALL, &d),
            ),
            None => Value::NotApplicable,
        },
        Fact::ParentDisabled => b(s.parent_disabled),
        Fact::MartyrChild => b(s.martyr_child),
        Fact::LeftBehind => b(s.left_behind),
        Fact::RuralHukou => b(s.rural_hukou),
        Fact::DifficultyLevel => Value::Enum(
            EnumKind::Difficulty,
            enum_index(&Difficulty::ALL, &ctx.difficulty),
        ),
        Fact::Hardship => b(ctx.difficulty > Difficulty::None),
        Fact::StageFact => Value::Enum(EnumKind::Stage, enum_index(&Stage::ALL, &s.stage())),
        Fact::GradeFact => Value::Int(i64::from(s.grade.year())),
        Fact::Boarding => s.boarding.map_or(Value::Unknown, b),
        Fact::OutOfCounty => b(s.out_of_county),
        Fact::SchoolTypeFact => Value::Enum(
            EnumKind::SchoolType,
            enum_index(&SchoolType::ALL, &s.school_type),
        ),
        Fact::PublicSchool => b(s.school_type == SchoolType::Public),
        Fact::InclusivePrivate => b(s.school_type == SchoolType::InclusivePrivate),
        Fact::SpecialSchool => b(s.special_school),
        Fact::SchoolFee => s
            .school_fee_per_term
            .map_or(Value::Unknown, |f| Value::Money(f.0)),
        Fact::AgriMajor => b(s.agri_major),
        Fact::Enrolled => s.enrollment_confirmed.map_or(Value::Unknown, b),
        Fact::Bank => s.bank_account.map_or(Value::Unknown, |a| {
            Value::Enum(
                EnumKind::BankAccount,
                enum_index(&crate::facts::BankAccount::ALL, &a),
            )
        }),
        Fact::LoanApplied => s
            .loan_applied
            .map_or(Value::NotApplicable, |f| Value::Money(f.0)),
        Fact::Nominated => b(ctx.nominated),
    }
}

fn enum_index<T: PartialEq>(all: &[T], v: &T) -> u8 {
    all.iter()
        .position(|x| x == v)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(0)
}

impl Rule {
    /// A rule that always holds (used where a file leaves a condition out).
    pub fn always() -> Rule {
        Rule {
            text: "全部".to_string(),
            root: Expr::Const(true),
            facts: FactSet::EMPTY,
        }
    }

    /// Parses and type-checks a rule.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let tokens = tokenize(text)?;
        let mut p = Parser {
            tokens: &tokens,
            i: 0,
            len: text.chars().count(),
        };
        if tokens.is_empty() {
            return Err(RuleError {
                pos: 0,
                message: "条件为空；如对所有学生适用，请写“全部”".to_string(),
            });
        }
        let root = p.or()?;
        if let Some(t) = p.peek() {
            return Err(RuleError {
                pos: t.pos,
                message: format!("条件在“{}”处多出了内容，是否漏写了“或”“且”？", t.text),
            });
        }
        let mut facts = FactSet::EMPTY;
        collect_facts(&root, &mut facts);
        Ok(Rule {
            text: text.trim().to_string(),
            root,
            facts,
        })
    }

    /// The rule as written in the policy file.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every fact the rule mentions.
    pub fn facts(&self) -> FactSet {
        self.facts
    }

    /// Evaluates the rule; `used` collects the facts actually read and
    /// `unknown` the unknown ones among them.
    pub fn eval(&self, ctx: &Ctx<'_>, used: &mut FactSet, unknown: &mut FactSet) -> Tri {
        eval(&self.root, ctx, used, unknown)
    }

    /// Evaluates without collecting which facts were read.
    pub fn holds(&self, ctx: &Ctx<'_>) -> Tri {
        let (mut u, mut k) = (FactSet::EMPTY, FactSet::EMPTY);
        self.eval(ctx, &mut u, &mut k)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn collect_facts(e: &Expr, out: &mut FactSet) {
    match e {
        Expr::Const(_) => {}
        Expr::Fact(f) | Expr::Cmp { fact: f, .. } | Expr::In { fact: f, .. } => out.insert(*f),
        Expr::Not(x) => collect_facts(x, out),
        Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| collect_facts(x, out)),
    }
}

fn eval(e: &Expr, ctx: &Ctx<'_>, used: &mut FactSet, unknown: &mut FactSet) -> Tri {
    match e {
        Expr::Const(b) => tri(*b),
        Expr::Fact(f) => {
            used.insert(*f);
            match value_of(*f, ctx) {
                Value::Bool(v) => tri(v),
                Value::Unknown => {
                    unknown.insert(*f);
                    Tri::Unknown
                }
                _ => Tri::No,
            }
        }
        Expr::Not(x) => match eval(x, ctx, used, unknown) {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Unknown => Tri::Unknown,
        },
        Expr::And(xs) => {
            let mut r = Tri::Yes;
            for x in xs {
                match eval(x, ctx, used, unknown) {
                    Tri::No => return Tri::No,
                    Tri::Unknown => r = Tri::Unknown,
                    Tri::Yes => {}
                }
            }
            r
        }
        Expr::Or(xs) => {
            let mut r = Tri::No;
            for x in xs {
                match eval(x, ctx, used, unknown) {
                    Tri::Yes => return Tri::Yes,
                    Tri::Unknown => r = Tri::Unknown,
                    Tri::No => {}
                }
            }
            r
        }
        Expr::Cmp { fact, op, lit } => {
            used.insert(*fact);
            let v = value_of(*fact, ctx);
            if v == Value::Unknown {
                unknown.insert(*fact);
                return Tri::Unknown;
            }
            compare(v, *lit).map_or(Tri::No, |o| tri(op.holds(o)))
        }
        Expr::In { fact, set } => {
            used.insert(*fact);
            let v = value_of(*fact, ctx);
            if v == Value::Unknown {
                unknown.insert(*fact);
                return Tri::Unknown;
            }
            tri(set
                .iter()
                .any(|l| compare(v, *l) == Some(std::cmp::Ordering::Equal)))
        }
    }
}

fn tri(b: bool) -> Tri {
    if b { Tri::Yes } else { Tri::No }
}

fn compare(v: Value, lit: Lit) -> Option<std::cmp::Ordering> {
    match (v, lit) {
        (Value::Bool(a), Lit::Bool(b)) => Some(a.cmp(&b)),
        (Value::Int(a), Lit::Int(b)) => Some(a.cmp(&b)),
        (Value::Money(a), Lit::Money(b)) => Some(a.cmp(&b)),
        (Value::Enum(_, a), Lit::Enum(b)) => Some(a.cmp(&b)),
        _ => None,
    }
}

// ---------------------------------------------------------------- tokens

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    Or,
    And,
    Not,
    In,
    All,
    Op(Op),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Kw(Kw),
    /// A known word: a fact name, alias or value, resolved by the parser.
    Word(String),
    /// A quoted string, always a value.
    Str(String),
    /// Digits with at most one decimal point, as written.
    Num(String),
    /// A word in no vocabulary.
    Unknown(String),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    pos: usize,
    text: String,
}

/// Keywords, longest first where one is a prefix of another.
const KEYWORDS: &[(&str, Kw)] = &[
    ("或者", Kw::Or),
    ("或", Kw::Or),
    ("并且", Kw::And),
    ("而且", Kw::And),
    ("且", Kw::And),
    ("不是", Kw::Not),
    ("非", Kw::Not),
    ("属于", Kw::In),
    ("全部", Kw::All),
    ("所有学生", Kw::All),
    ("不等于", Kw::Op(Op::Ne)),
    ("等于", Kw::Op(Op::Eq)),
    ("为", Kw::Op(Op::Eq)),
    ("大于等于", Kw::Op(Op::Ge)),
    ("小于等于", Kw::Op(Op::Le)),
    ("大于", Kw::Op(Op::Gt)),
    ("小于", Kw::Op(Op::Lt)),
    ("至少", Kw::Op(Op::Ge)),
    ("不低于", Kw::Op(Op::Ge)),
    ("至多", Kw::Op(Op::Le)),
    ("不超过", Kw::Op(Op::Le)),
    ("不高于", Kw::Op(Op::Le)),
];

const ASCII_KEYWORDS: &[(&str, Kw)] = &[
    ("or", Kw::Or),
    ("and", Kw::And),
    ("not", Kw::Not),
    ("in", Kw::In),
];

/// Words that are values rather than facts: every enum value and 是/否.
fn value_words() -> Vec<&'static str> {
    let mut v = vec!["是", "否", "有", "无", "一般", "没有", "缺失"];
    for k in [
        EnumKind::Difficulty,
        EnumKind::Disability,
        EnumKind::SchoolType,
        EnumKind::Stage,
        EnumKind::BankAccount,
    ] {
        v.extend(k.values());
    }
    v.extend([
        "高中",
        "普高",
        "高职",
        "高等教育",
        "中等职业教育",
        "幼儿园",
        "本专科",
    ]);
    v
}

/// The whole vocabulary as normalised char sequences, longest first, so
/// that the tokenizer can split `建档立卡或低保` without spaces.
fn vocabulary() -> &'static [(Vec<char>, Option<Kw>)] {
    static V: OnceLock<Vec<(Vec<char>, Option<Kw>)>> = OnceLock::new();
    V.get_or_init(|| {
        let mut v: Vec<(Vec<char>, Option<Kw>)> = KEYWORDS
            .iter()
            .map(|(w, k)| (w.chars().collect(), Some(*k)))
            .collect();
        for f in Fact::ALL {
            v.push((f.name().chars().collect(), None));
            for a in f.aliases() {
                v.push((a.chars().collect(), None));
            }
        }
        for w in value_words() {
            v.push((w.chars().collect(), None));
        }
        v.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        v
    })
}

/// Normalises one character: full-width ASCII to half-width, traditional
/// to simplified. Done per character so positions in errors stay exact.
fn norm_char(c: char) -> char {
    if c.is_whitespace() {
        return ' ';
    }
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let n = zizhu_core::normalize_text(&c.to_string());
    let mut it = n.chars();
    match (it.next(), it.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

fn is_word_char(c: char) -> bool {
    !(c.is_whitespace() || "()（）,，、\"“”「」'‘’=!≠<>≤≥&|".contains(c) || c.is_ascii_digit())
}

fn tokenize(text: &str) -> Result<Vec<Token>, RuleError> {
    let orig: Vec<char> = text.chars().collect();
    let cs: Vec<char> = orig.iter().map(|c| norm_char(*c)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    let push = |out: &mut Vec<Token>, tok: Tok, pos: usize, end: usize| {
        out.push(Token {
            tok,
            pos,
            text: orig[pos..end].iter().collect(),
        });
    };
    while i < cs.len() {
        let c = cs[i];
        let next = cs.get(i + 1).copied();
        match c {
            ' ' => i += 1,
            '(' | '（' => {
                push(&mut out, Tok::LParen, i, i + 1);
                i += 1;
            }
            ')' | '）' => {
                push(&mut out, Tok::RParen, i, i + 1);
                i += 1;
            }
            ',' | '，' | '、' => {
                push(&mut out, Tok::Comma, i, i + 1);
                i += 1;
            }
            '"' | '“' | '”' | '「' | '\'' | '‘' | '’' => {
                let close: &[char] = match c {
                    '「' => &['」'],
                    '"' => &['"'],
                    '\'' => &['\''],
                    _ => &['”', '’', '"', '\''],
                };
                let start = i;
                let mut j = i + 1;
                while j < cs.len() && !close.contains(&cs[j]) {
                    j += 1;
                }
                if j >= cs.len() {
                    return Err(RuleError {
                        pos: start,
                        message: "引号没有配对".to_string(),
                    });
                }
                let inner: String = cs[start + 1..j].iter().filter(|c| **c != ' ').collect();
                push(&mut out, Tok::Str(inner), start, j + 1);
                i = j + 1;
            }
            '0'..='9' => {
                let start = i;
                while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                    i += 1;
                }
                let num: String = cs[start..i].iter().collect();
                push(&mut out, Tok::Num(num), start, i);
                // A unit after an amount is decoration: `学杂费 > 500元`.
                if cs.get(i) == Some(&'元') {
                    i += 1;
                }
            }
            '=' | '≠' | '<' | '>' | '≤' | '≥' | '!' | '&' | '|' => {
                let start = i;
                let two = next.is_some_and(|n| n == '=' || (n == c && (c == '&' || c == '|')));
                let kw = match (c, two) {
                    ('=', _) => Kw::Op(Op::Eq),
                    ('!', true) => Kw::Op(Op::Ne),
                    ('!', false) => Kw::Not,
                    ('≠', _) => Kw::Op(Op::Ne),
                    ('<', true) | ('≤', _) => Kw::Op(Op::Le),
                    ('<', false) => Kw::Op(Op::Lt),
                    ('>', true) | ('≥', _) => Kw::Op(Op::Ge),
                    ('>', false) => Kw::Op(Op::Gt),
                    ('&', _) => Kw::And,
                    _ => Kw::Or,
                };
                i += if two { 2 } else { 1 };
                push(&mut out, Tok::Kw(kw), start, i);
            }
            _ if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_') {
                    i += 1;
                }
                let w: String = cs[start..i].iter().collect();
                let tok = match ASCII_KEYWORDS.iter().find(|(k, _)| *k == w) {
                    Some((_, kw)) => Tok::Kw(*kw),
                    None if w == "true" => Tok::Word("是".to_string()),
                    None if w == "false" => Tok::Word("否".to_string()),
                    None => Tok::Unknown(w),
                };
                push(&mut out, tok, start, i);
            }
            _ if is_word_char(c) => {
                let start = i;
                let glued = |end: usize| {
                    // A known word glued to unknown characters (`孤儿童`) is
                    // one unknown word, not a fact followed by garbage.
                    end < cs.len()
                        && is_word_char(cs[end])
                        && !cs[end].is_ascii()
                        && longest_match(&cs, end).is_none()
                };
                if let Some((w, kw)) =
                    longest_match(&cs, i).filter(|(w, kw)| kw.is_some() || !glued(i + w.len()))
                {
                    i += w.len();
                    let tok = match kw {
                        Some(k) => Tok::Kw(k),
                        None => Tok::Word(w.iter().collect()),
                    };
                    push(&mut out, tok, start, i);
                } else {
                    // An unknown word runs to the next separator or connective,
                    // so that `建档力卡或低保` reports exactly `建档力卡`.
                    i += 1;
                    while i < cs.len()
                        && is_word_char(cs[i])
                        && !cs[i].is_ascii()
                        && !starts_connective(&cs, i)
                    {
                        i += 1;
                    }
                    let w: String = cs[start..i].iter().collect();
                    push(&mut out, Tok::Unknown(w), start, i);
                }
            }
            _ => {
                return Err(RuleError {
                    pos: i,
                    message: format!("无法识别的符号“{}”", orig[i]),
                });
            }
        }
    }
    Ok(out)
}

fn longest_match(cs: &[char], i: usize) -> Option<(&'static [char], Option<Kw>)> {
    vocabulary()
        .iter()
        .find(|(w, _)| cs[i..].starts_with(w))
        .map(|(w, k)| (w.as_slice(), *k))
}

fn starts_connective(cs: &[char], i: usize) -> bool {
    matches!(
        longest_match(cs, i),
        Some((_, Some(Kw::Or | Kw::And | Kw::Not)))
    )
}

// ---------------------------------------------------------------- parser

struct Parser<'t> {
    tokens: &'t [Token],
    i: usize,
    len: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.i)
    }

    fn end_pos(&self) -> usize {
        self.len
    }

    fn is_kw(&self, kw: Kw) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Kw(k), .. }) if *k == kw)
    }

    fn or(&mut self) -> Result<Expr, RuleError> {
        let mut xs = vec![self.and()?];
        while self.is_kw(Kw::Or) {
            self.i += 1;
            xs.push(self.and()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Expr::Or(xs)
        })
    }

    fn and(&mut self) -> Result<Expr, RuleError> {
        let mut xs = vec![self.unary()?];
        while self.is_kw(Kw::And) {
            self.i += 1;
            xs.push(self.unary()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Expr::And(xs)
        })
    }

    fn unary(&mut self) -> Result<Expr, RuleError> {
        if self.is_kw(Kw::Not) {
            self.i += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, RuleError> {
        let Some(t) = self.peek().cloned() else {
            return Err(RuleError {
                pos: self.end_pos(),
                message: "条件不完整：末尾缺少事实名称".to_string(),
            });
        };
        self.i += 1;
        match &t.tok {
            Tok::LParen => {
                let e = self.or()?;
                match self.peek() {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => {
                        self.i += 1;
                        Ok(e)
                    }
                    _ => Err(RuleError {
                        pos: t.pos,
                        message: "括号没有配对：缺少右括号".to_string(),
                    }),
                }
            }
            Tok::Kw(Kw::All) => Ok(Expr::Const(true)),
            Tok::Word(w) => {
                let Some(fact) = fact_by_name(w) else {
                    return Err(RuleError {
                        pos: t.pos,
                        message: value_not_fact_message(&t.text, w),
                    });
                };
                self.after_fact(fact, &t)
            }
            Tok::Unknown(w) => Err(RuleError {
                pos: t.pos,
                message: unknown_fact_message(&t.text, w),
            }),
            Tok::RParen => Err(RuleError {
                pos: t.pos,
                message: "多了一个右括号".to_string(),
            }),
            _ => Err(RuleError {
                pos: t.pos,
                message: format!("此处应为事实名称，实为“{}”", t.text),
            }),
        }
    }

    fn after_fact(&mut self, fact: Fact, ft: &Token) -> Result<Expr, RuleError> {
        let ty = fact.fact_type();
        match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Kw(Kw::Op(op))) => {
                let op_tok = self.tokens[self.i].clone();
                self.i += 1;
                let vt = self.value_token(&op_tok)?;
                let lit = literal(fact, &vt)?;
                if !matches!(op, Op::Eq | Op::Ne) {
                    let ordered = match ty {
                        FactType::Int | FactType::Money => true,
                        FactType::Enum(k) => k.ordered(),
                        FactType::Bool => false,
                    };
                    if !ordered {
                        return Err(RuleError {
                            pos: op_tok.pos,
                            message: format!(
                                "「{}」不能比较大小，只能用 = 或 !=（实为 {}）",
                                fact.name(),
                                op.symbol()
                            ),
                        });
                    }
                }
                Ok(Expr::Cmp { fact, op, lit })
            }
            Some(Tok::Kw(Kw::In)) => {
                let in_tok = self.tokens[self.i].clone();
                self.i += 1;
                if !matches!(self.peek().map(|t| &t.tok), Some(Tok::LParen)) {
                    return Err(RuleError {
                        pos: in_tok.pos,
                        message: "“属于”后面应为括号括起的取值，例如 残疾类别 属于 (视力, 听力)"
                            .to_string(),
                    });
                }
                self.i += 1;
                let mut set = Vec::new();
                loop {
                    let vt = self.value_token(&in_tok)?;
                    set.push(literal(fact, &vt)?);
                    match self.peek().map(|t| t.tok.clone()) {
                        Some(Tok::Comma) => self.i += 1,
                        Some(Tok::RParen) => {
                            self.i += 1;
                            break;
                        }
                        _ => {
                            return Err(RuleError {
                                pos: in_tok.pos,
                                message: "“属于”的取值列表缺少右括号".to_string(),
                            });
                        }
                    }
                }
                Ok(Expr::In { fact, set })
            }
            _ => match ty {
                FactType::Bool => Ok(Expr::Fact(fact)),
                FactType::Int | FactType::Money => Err(RuleError {
                    pos: ft.pos,
                    message: format!(
                        "「{}」是数值，需要与数字比较，例如 {} >= 2",
                        fact.name(),
                        fact.name()
                    ),
                }),
                FactType::Enum(k) => Err(RuleError {
                    pos: ft.pos,
                    message: format!(
                        "「{}」需要指明取值，例如 {} = {}",
                        fact.name(),
                        fact.name(),
                        k.label(k.values().len().saturating_sub(1) as u8)
                    ),
                }),
            },
        }
    }

    fn value_token(&mut self, after: &Token) -> Result<Token, RuleError> {
        match self.peek().cloned() {
            Some(t) if matches!(t.tok, Tok::Word(_) | Tok::Str(_) | Tok::Num(_)) => {
                self.i += 1;
                Ok(t)
            }
            Some(t) if matches!(t.tok, Tok::Unknown(_)) => {
                self.i += 1;
                Ok(t)
            }
            Some(t) => Err(RuleError {
                pos: t.pos,
                message: format!("“{}”后面应为取值，实为“{}”", after.text, t.text),
            }),
            None => Err(RuleError {
                pos: self.end_pos(),
                message: format!("“{}”后面缺少取值", after.text),
            }),
        }
    }
}

/// Converts a value token to a literal of `fact`'s type, or explains why not.
fn literal(fact: Fact, t: &Token) -> Result<Lit, RuleError> {
    let err = |message: String| RuleError {
        pos: t.pos,
        message,
    };
    let word = match &t.tok {
        Tok::Word(w) | Tok::Str(w) | Tok::Unknown(w) => Some(w.as_str()),
        _ => None,
    };
    match fact.fact_type() {
        FactType::Bool => match word {
            Some("是" | "有") => Ok(Lit::Bool(true)),
            Some("否" | "无" | "没有") => Ok(Lit::Bool(false)),
            _ => Err(err(format!(
                "「{}」的取值应为 是 或 否，实为“{}”",
                fact.name(),
                t.text
            ))),
        },
        FactType::Int => match &t.tok {
            Tok::Num(n) => n
                .parse::<i64>()
                .map(Lit::Int)
                .map_err(|_| err(format!("「{}」应与整数比较，实为“{}”", fact.name(), t.text))),
            _ => Err(err(format!(
                "「{}」应与数字比较，实为“{}”",
                fact.name(),
                t.text
            ))),
        },
        FactType::Money => match &t.tok {
            Tok::Num(n) => Fen::parse_yuan(n).map(|f| Lit::Money(f.0)).map_err(|_| {
                err(format!(
                    "「{}」应与金额（元，最多两位小数）比较，实为“{}”",
                    fact.name(),
                    t.text
                ))
            }),
            _ => Err(err(format!(
                "「{}」应与金额数字比较，实为“{}”",
                fact.name(),
                t.text
            ))),
        },
        FactType::Enum(k) => {
            let w = match &t.tok {
                Tok::Num(n) => Some(n.as_str()),
                _ => word,
            };
            match w.and_then(|w| k.parse_value(w)) {
                Some(v) => Ok(Lit::Enum(v)),
                None => Err(err(format!(
                    "「{}」的取值应为 {} 之一，实为“{}”",
                    fact.name(),
                    k.values().join("、"),
                    t.text
                ))),
            }
        }
    }
}

fn value_not_fact_message(shown: &str, w: &str) -> String {
    for k in [
        EnumKind::Difficulty,
        EnumKind::SchoolType,
        EnumKind::Stage,
        EnumKind::Disability,
        EnumKind::BankAccount,
    ] {
        if k.parse_value(w).is_some() {
            let fact = Fact::ALL
                .iter()
                .find(|f| f.fact_type() == FactType::Enum(k))
                .map_or("", |f| f.name());
            return format!("“{shown}”是取值，不是事实名称；应写作 {fact} = {shown}");
        }
    }
    format!("“{shown}”是取值，不是事实名称")
}

fn unknown_fact_message(shown: &str, w: &str) -> String {
    let mut msg = format!("“{shown}”不是已知的事实名称");
    if let Some(s) = suggest(w) {
        msg.push_str(&format!("，是否想写“{s}”？"));
    } else {
        msg.push_str("（已知事实见 README 的事实表）");
    }
    msg
}

/// The closest fact name or alias by edit distance, if reasonably close.
fn suggest(w: &str) -> Option<&'static str> {
    let wc: Vec<char> = w.chars().collect();
    let mut best: Option<(usize, &'static str)> = None;
    for f in Fact::ALL {
        for name in std::iter::once(f.name()).chain(f.aliases().iter().copied()) {
            let nc: Vec<char> = name.chars().collect();
            let d = levenshtein(&wc, &nc);
            let limit = (nc.len().max(wc.len()) / 2).max(1);
            if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, f.name()));
            }
        }
    }
    best.map(|(_, n)| n)
}

/// Edit distance between two char slices.
pub(crate) fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{PersonKey, SchoolKey, TownshipKey};
    use zizhu_core::{Grade, Season, Term};

    fn student() -> StudentFacts {
        StudentFacts::new(
            PersonKey::new("p1").unwrap(),
            Term::new(2018, Season::Autumn),
            SchoolKey::new("3143000001").unwrap(),
            TownshipKey::new("舂陵街道").unwrap(),
            Grade::new(Stage::Junior, 2).unwrap(),
        )
    }

    fn run(rule: &str, s: &StudentFacts, poor: bool) -> Tri {
        let r = Rule::parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
        r.holds(&Ctx {
            facts: s,
            poor,
            difficulty: Difficulty::None,
            nominated: false,
        })
    }

    #[test]
    fn parses_and_evaluates_readable_rules() {
        let mut s = student();
        s.dibao = true;
        s.rural_hukou = true;
        let check = |rule: &str, s: &StudentFacts, poor: bool, want: Tri| {
            assert_eq!(run(rule, s, poor), want, "{rule}");
        };
        check("建档立卡 或 低保", &s, false, Tri::Yes);
        check("建档立卡或低保", &s, false, Tri::Yes);
        check("建檔立卡 或 農村低保", &s, false, Tri::Yes);
        check("建档立卡 且 低保", &s, false, Tri::No);
        check("非 建档立卡 且 低保", &s, false, Tri::Yes);
        check("!(建档立卡 || 城市低保)", &s, false, Tri::Yes);
        check("年级 >= 2 且 学段 = 初中", &s, false, Tri::Yes);
        check("年级 ≥ 3", &s, false, Tri::No);
        check("学段 属于 （小学、初中）", &s, false, Tri::Yes);
        check("困难等级 >= 困难", &s, false, Tri::No);
        check("全部", &s, false, Tri::Yes);
        // Boarding is unknown: OR with a true side is true, AND is unknown.
        check("寄宿 或 低保", &s, false, Tri::Yes);
        check("寄宿 且 低保", &s, false, Tri::Unknown);
        check("寄宿 且 孤儿", &s, false, Tri::No);
        check("脱贫年份 >= 2018", &s, false, Tri::No);
    }

    #[test]
    fn rejects_bad_rules_with_chinese_messages() {
        let check = |rule: &str, pos: usize, frag: &str| {
            let e = Rule::parse(rule).unwrap_err();
            assert!(e.message.contains(frag), "{rule}: {e}");
            assert_eq!(e.pos, pos, "{rule}: {e}");
        };
        check(
            "建档力卡 或 低保",
            0,
            "“建档力卡”不是已知的事实名称，是否想写“建档立卡”？",
        );
        check("建档立卡或低保或孤兒童", 8, "不是已知的事实名称");
        check("建档立卡 或", 6, "末尾缺少事实名称");
        check("(建档立卡 或 低保", 0, "缺少右括号");
        check("建档立卡 低保", 5, "是否漏写了");
        check("年级", 0, "需要与数字比较");
        check("困难等级 = 很困难", 7, "之一，实为“很困难”");
        check("特别困难", 0, "应写作 困难等级 = 特别困难");
        check("残疾类别 > 视力", 5, "不能比较大小");
        check("", 0, "条件为空");
        check("年级 >= 二", 6, "应与数字比较");
    }
}
