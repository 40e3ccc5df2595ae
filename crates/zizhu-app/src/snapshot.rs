//! The text form of a student's facts kept with a stored run, so that the
//! next run can recompute the previous answer and say which fact changed.
//!
//! The form is `key=value` pairs separated by `;`, with `\` escaping `;`,
//! `=` and itself. Keys make the form tolerant of change: a field added in
//! a later version is missing from old snapshots and reads as its default,
//! and an unknown key is ignored. Sources are not kept: they are rendered
//! into each stored entitlement's trace, and the reasons for a change only
//! need the values.

use std::sync::Arc;
use zizhu_core::{Fen, Grade, Stage, Term};
use zizhu_policy::{
    BankAccount, Codes, Difficulty, Disability, PersonKey, PolicyCode, PovertyStatus, Recognition,
    SchoolKey, SchoolType, Sources, StudentFacts, TownshipKey,
};

fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        if matches!(c, ';' | '=' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

fn field(out: &mut String, key: &str, value: &str) {
    if !out.is_empty() {
        out.push(';');
    }
    out.push_str(key);
    out.push('=');
    escape(out, value);
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

fn tri(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "1",
        Some(false) => "0",
        None => "?",
    }
}

fn fen(f: Option<Fen>) -> String {
    f.map_or_else(String::new, |f| f.0.to_string())
}

fn codes(c: &Codes) -> String {
    c.as_slice()
        .iter()
        .map(PolicyCode::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// Encodes everything but the person, term and sources (which the row
/// holds or does not need).
pub(crate) fn encode(s: &StudentFacts) -> String {
    let mut out = String::with_capacity(160);
    field(&mut out, "school", s.school.as_str());
    field(&mut out, "township", s.township.as_str());
    field(&mut out, "type", s.school_type.label());
    field(&mut out, "special", flag(s.special_school));
    field(&mut out, "fee", &fen(s.school_fee_per_term));
    field(&mut out, "stage", s.grade.stage().label());
    field(&mut out, "grade", &s.grade.year().to_string());
    field(&mut out, "boarding", tri(s.boarding));
    field(&mut out, "out", flag(s.out_of_county));
    field(&mut out, "enrolled", tri(s.enrollment_confirmed));
    field(&mut out, "bank", s.bank_account.map_or("?", |b| b.label()));
    let poverty = match s.poverty {
        PovertyStatus::NotRegistered => "N".to_string(),
        PovertyStatus::NotLifted => "NL".to_string(),
        PovertyStatus::Lifted { year } => format!("L{year}"),
        PovertyStatus::Edge => "E".to_string(),
    };
    field(&mut out, "poverty", &poverty);
    field(&mut out, "dibao", flag(s.dibao));
    field(&mut out, "tekun", flag(s.tekun));
    field(&mut out, "orphan", flag(s.orphan));
    field(&mut out, "martyr", flag(s.martyr_child));
    field(
        &mut out,
        "disability",
        s.disability.map_or("", |d| d.label()),
    );
    field(&mut out, "parent_disabled", flag(s.parent_disabled));
    field(&mut out, "left_behind", flag(s.left_behind));
    field(&mut out, "rural", flag(s.rural_hukou));
    field(&mut out, "agri", flag(s.agri_major));
    if let Some(r) = &s.recognition {
        field(&mut out, "recognized", r.level.label());
        field(&mut out, "recognized_reason", &r.reason);
    }
    field(&mut out, "loan", &fen(s.loan_applied));
    field(&mut out, "nominated", &codes(&s.nominated));
    field(&mut out, "chosen", &codes(&s.chosen));
    out
}

/// Splits on unescaped `;` and the first unescaped `=`, unescaping.
fn pairs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (mut key, mut value) = (String::new(), String::new());
    let mut in_value = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let target = if in_value { &mut value } else { &mut key };
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    target.push(n);
                }
            }
            ';' => {
                out.push((std::mem::take(&mut key), std::mem::take(&mut value)));
                in_value = false;
            }
            '=' if !in_value => in_value = true,
            c => target.push(c),
        }
    }
    if !key.is_empty() {
        out.push((key, value));
    }
    out
}

fn parse_tri(v: &str) -> Option<bool> {
    match v {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

fn parse_codes(v: &str) -> Codes {
    let list: Vec<PolicyCode> = v
        .split(',')
        .filter_map(|c| PolicyCode::new(c).ok())
        .collect();
    Codes::of(&list)
}

/// Decodes a snapshot for `person` in `term`; `None` when the text is not
/// a snapshot this version can read (then the previous facts are treated
/// as unknown and changes are reported without a fact reason).
pub(crate) fn decode(person: PersonKey, term: Term, text: &str) -> Option<StudentFacts> {
    let kv = pairs(text);
    let get = |k: &str| kv.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let stage = Stage::parse(get("stage")?).ok()?;
    let year: u8 = get("grade")?.parse().ok()?;
    let grade = Grade::new(stage, year).ok()?;
    let mut s = StudentFacts::new(
        person,
        term,
        SchoolKey::new(get("school")?).ok()?,
        TownshipKey::new(get("township")?).ok()?,
        grade,
    );
    let yes = |k: &str| get(k) == Some("1");
    let money = |k: &str| {
        get(k)
            .filter(|v| !v.is_empty())
            .and_then(|v| v.parse().ok())
            .map(Fen)
    };
    s.school_type = SchoolType::ALL
        .into_iter()
        .find(|t| Some(t.label()) == get("type"))
        .unwrap_or_default();
    s.special_school = yes("special");
    s.school_fee_per_term = money("fee");
    s.boarding = get("boarding").and_then(parse_tri);
    s.out_of_county = yes("out");
    s.enrollment_confirmed = get("enrolled").and_then(parse_tri);
    s.bank_account = BankAccount::ALL
        .into_iter()
        .find(|b| Some(b.label()) == get("bank"));
    s.poverty = match get("poverty").unwrap_or("N") {
        "NL" => PovertyStatus::NotLifted,
        "E" => PovertyStatus::Edge,
        p => match p.strip_prefix('L').and_then(|y| y.parse().ok()) {
            Some(year) => PovertyStatus::Lifted { year },
            None => PovertyStatus::NotRegistered,
        },
    };
    s.dibao = yes("dibao");
    s.tekun = yes("tekun");
    s.orphan = yes("orphan");
    s.martyr_child = yes("martyr");
    s.disability = Disability::ALL
        .into_iter()
        .find(|d| Some(d.label()) == get("disability"));
    s.parent_disabled = yes("parent_disabled");
    s.left_behind = yes("left_behind");
    s.rural_hukou = yes("rural");
    s.agri_major = yes("agri");
    s.recognition = get("recognized").and_then(|level| {
        Difficulty::ALL
            .into_iter()
            .find(|d| d.label() == level)
            .map(|level| Recognition {
                level,
                reason: Arc::from(get("recognized_reason").unwrap_or("")),
            })
    });
    s.loan_applied = money("loan");
    s.nominated = parse_codes(get("nominated").unwrap_or(""));
    s.chosen = parse_codes(get("chosen").unwrap_or(""));
    s.sources = Sources::none();
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StudentFacts {
        let term = Term::parse("2018秋").unwrap();
        let mut s = StudentFacts::new(
            PersonKey::new("42").unwrap(),
            term,
            SchoolKey::new("2143000001").unwrap(),
            TownshipKey::new("431126100").unwrap(),
            Grade::new(Stage::Junior, 2).unwrap(),
        );
        s.school_type = SchoolType::InclusivePrivate;
        s.special_school = true;
        s.school_fee_per_term = Some(Fen(80_000));
        s.boarding = None;
        s.out_of_county = true;
        s.enrollment_confirmed = Some(false);
        s.bank_account = Some(BankAccount::Missing);
        s.poverty = PovertyStatus::Lifted { year: 2017 };
        s.dibao = true;
        s.orphan = true;
        s.disability = Some(Disability::Hearing);
        s.parent_disabled = true;
        s.recognition = Some(Recognition {
            level: Difficulty::Difficult,
            reason: Arc::from("家中突发变故; 班级评议=通过\\"),
        });
        s.loan_applied = Some(Fen(600_000));
        s.nominated = Codes::of(&[PolicyCode::new("VOC_SCHOLARSHIP").unwrap()]);
        s
    }

    /// Every field survives the round trip, including text with the
    /// separator characters in it.
    #[test]
    fn round_trips_every_field() {
        let s = sample();
        let text = encode(&s);
        let back = decode(s.person, s.term, &text).expect("decodes");
        assert_eq!(back, s, "{text}");
        let mut plain = StudentFacts::new(
            s.person,
            s.term,
            s.school,
            s.township,
            Grade::new(Stage::Preschool, 1).unwrap(),
        );
        plain.boarding = Some(true);
        assert_eq!(decode(s.person, s.term, &encode(&plain)), Some(plain));
    }

    /// A snapshot that lacks the stage (or is not a snapshot at all) is
    /// refused instead of guessed.
    #[test]
    fn unreadable_snapshot_is_none() {
        let term = Term::parse("2018秋").unwrap();
        let p = PersonKey::new("1").unwrap();
        assert_eq!(decode(p, term, ""), None);
        assert_eq!(decode(p, term, "school=2143000001;township=x"), None);
    }
}
