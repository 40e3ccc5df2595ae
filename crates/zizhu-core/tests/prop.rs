//! Property tests for the invariants other crates rely on: ID numbers
//! round-trip and detect single typos, money never loses a fen, and masking
//! never panics or reveals the middle of a value.

use proptest::prelude::*;
use zizhu_core::mask::{mask_address, mask_bank, mask_id, mask_name, mask_phone};
use zizhu_core::{Date, Fen, IdNumber, id::repair_candidates};

/// Province prefixes accepted by the ID validator.
const PROVINCES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
];

/// Generates a valid ID number from a random area, birth date and sequence.
fn valid_id() -> impl Strategy<Value = IdNumber> {
    (
        prop::sample::select(&PROVINCES[..]),
        0u32..10_000,
        birth_days(),
        0u16..1000,
    )
        .prop_map(|(prov, rest, days, seq)| {
            let area = format!("{prov}{rest:04}");
            let birth = Date::from_days_since_epoch(days);
            IdNumber::from_parts(&area, birth, seq).expect("generated parts are valid")
        })
}

/// Day numbers from 1900-01-01 to 2100-12-31, the range of ID birth dates.
fn birth_days() -> std::ops::RangeInclusive<i64> {
    let lo = Date::new(1900, 1, 1).unwrap().days_since_epoch();
    let hi = Date::new(2100, 12, 31).unwrap().days_since_epoch();
    lo..=hi
}

/// Maps ASCII to its full-width form, as a Chinese IME would type it.
fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// Largest magnitude for money round trips: formatting and parsing must work
/// for every amount up to i64::MAX / 100 fen.
const MONEY_MAX: i64 = i64::MAX / 100;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn id_round_trips_in_every_spelling(id in valid_id(), gap in 0usize..18) {
        let s = id.as_str();
        prop_assert_eq!(&IdNumber::parse(s).unwrap(), &id);
        let shown = format!("{id}");
        prop_assert_eq!(&IdNumber::parse(&shown).unwrap(), &id);
        prop_assert_eq!(&IdNumber::parse(&s.to_lowercase()).unwrap(), &id);
        prop_assert_eq!(&IdNumber::parse(&fullwidth(s)).unwrap(), &id);
        prop_assert_eq!(&IdNumber::parse(&fullwidth(&s.to_lowercase())).unwrap(), &id);
        let spaced = format!(" {} \u{3000}{} ", &s[..gap], &s[gap..]);
        prop_assert_eq!(&IdNumber::parse(&spaced).unwrap(), &id);
        prop_assert_eq!(IdNumber::from_parts(id.area_code(), id.birth_date(), id.sequence()).unwrap(), id.clone());
        if let Some(old) = id.to_legacy15() {
            prop_assert_eq!(&IdNumber::parse(&old).unwrap(), &id);
        } else {
            prop_assert!(id.birth_date().year() >= 2000);
        }
    }

    #[test]
    fn single_digit_change_is_detected_and_repairable(id in valid_id(), pos in 0usize..18, delta in 1u32..11) {
        let mut chars: Vec<char> = id.as_str().chars().collect();
        let alphabet: Vec<char> = if pos == 17 {
            "0123456789X".chars().collect()
        } else {
            "0123456789".chars().collect()
        };
        let current = alphabet.iter().position(|c| *c == chars[pos]).unwrap();
        let replacement = alphabet[(current + delta as usize) % alphabet.len()];
        prop_assume!(replacement != chars[pos]);
        chars[pos] = replacement;
        let corrupted: String = chars.iter().collect();
        prop_assert!(IdNumber::parse(&corrupted).is_err(), "{} accepted", corrupted);
        let candidates = repair_candidates(&corrupted);
        prop_assert!(candidates.contains(&id), "{} -> {:?}", corrupted, candidates);
    }

    #[test]
    fn adjacent_swap_is_detected_and_repairable(id in valid_id(), pos in 0usize..17) {
        let mut chars: Vec<char> = id.as_str().chars().collect();
        prop_assume!(chars[pos] != chars[pos + 1]);
        chars.swap(pos, pos + 1);
        let corrupted: String = chars.iter().collect();
        prop_assert!(IdNumber::parse(&corrupted).is_err(), "{} accepted", corrupted);
        prop_assert!(repair_candidates(&corrupted).contains(&id));
    }

    #[test]
    fn yuan_and_wan_round_trip(x in -MONEY_MAX..=MONEY_MAX) {
        let f = Fen(x);
        prop_assert_eq!(Fen::parse_yuan(&f.fmt_yuan()).unwrap(), f);
        prop_assert_eq!(Fen::parse_yuan(&f.fmt_yuan_grouped()).unwrap(), f);
        prop_assert_eq!(Fen::parse_wan_yuan(&f.fmt_wan()).unwrap(), f);
        prop_assert_eq!(Fen::parse_wan_yuan(&f.fmt_wan_grouped()).unwrap(), f);
        prop_assert_eq!(Fen::parse_yuan(&format!("¥{}元", fullwidth(&f.fmt_yuan_grouped()))).unwrap(), f);
    }

    #[test]
    fn any_i64_round_trips(x in any::<i64>()) {
        let f = Fen(x);
        prop_assert_eq!(Fen::parse_yuan(&f.fmt_yuan()).unwrap(), f);
        prop_assert_eq!(Fen::parse_wan_yuan(&f.fmt_wan()).unwrap(), f);
    }

    #[test]
    fn no_fen_lost_in_sums(parts in prop::collection::vec(-10_000_000_000i64..10_000_000_000, 0..50)) {
        let texts: Vec<String> = parts.iter().map(|p| Fen(*p).fmt_yuan()).collect();
        let parsed_sum: Fen = texts.iter().map(|t| Fen::parse_yuan(t).unwrap()).sum();
        let exact: i64 = parts.iter().sum();
        prop_assert_eq!(parsed_sum, Fen(exact));
        prop_assert_eq!(Fen::parse_yuan(&parsed_sum.fmt_yuan()).unwrap(), Fen(exact));
        let wan_sum: Fen = parts.iter().map(|p| Fen::parse_wan_yuan(&Fen(*p).fmt_wan()).unwrap()).sum();
        prop_assert_eq!(wan_sum, Fen(exact));
        prop_assert_eq!(Fen::checked_sum(parts.iter().map(|p| Fen(*p))), Some(Fen(exact)));
    }

    #[test]
    fn masks_never_panic_on_any_text(s in any::<String>()) {
        let _ = mask_id(&s);
        let _ = mask_bank(&s);
        let _ = mask_phone(&s);
        prop_assert!(mask_address(&s).ends_with("****"));
        let _ = mask_name(&s);
    }

    #[test]
    fn masks_hide_the_middle(s in "[0-9xX０-９　 ·张王欧阳李\\-]{0,24}") {
        let hidden = |out: &str, head: usize, tail: usize| {
            let c: Vec<char> = out.chars().collect();
            if c.len() <= head + tail {
                c.iter().all(|x| *x == '*')
            } else {
                c[head..c.len() - tail].iter().all(|x| *x == '*')
            }
        };
        prop_assert!(hidden(&mask_id(&s), 6, 4), "{:?} -> {}", s, mask_id(&s));
        prop_assert!(hidden(&mask_bank(&s), 6, 4), "{:?} -> {}", s, mask_bank(&s));
        let phone = mask_phone(&s);
        let pc: Vec<char> = phone.chars().collect();
        if pc.len() > 9 {
            prop_assert!(pc[5..pc.len() - 4].iter().all(|x| *x == '*'), "{:?} -> {}", s, phone);
        }
    }

    #[test]
    fn valid_values_mask_their_middle(id in valid_id()) {
        let m = mask_id(id.as_str());
        prop_assert_eq!(&m[..6], id.area_code());
        prop_assert_eq!(&m[6..14], "********");
        prop_assert_eq!(&m[14..], &id.as_str()[14..]);
    }

    #[test]
    fn names_keep_at_most_the_surname(s in "[张王李赵欧阳司马诸葛明华芳龍國]{2,6}") {
        let out = mask_name(&s);
        prop_assert_eq!(out.chars().count(), s.chars().count());
        prop_assert!(out.chars().skip(2).all(|c| c == '*'), "{} -> {}", s, out);
        prop_assert!(out.chars().nth(1).is_some());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Parsers see arbitrary spreadsheet cells, so they must return errors, never panic.
    #[test]
    fn parsers_never_panic(
        s in prop_oneof![
            any::<String>(),
            "[0-9xXGJL年月日号秋春季学期级第一二三初高中职大小班０-９ ,.¥元万+\\-/:]{0,24}",
        ]
    ) {
        use zizhu_core::*;
        let _ = Date::parse(&s);
        let _ = IdNumber::parse(&s);
        let _ = repair_candidates(&s);
        let _ = Sex::parse(&s);
        let _ = Fen::parse_yuan(&s);
        let _ = Fen::parse_wan_yuan(&s);
        let _ = Term::parse(&s);
        let _ = Stage::parse(&s);
        let _ = Grade::parse(&s);
        let _ = Grade::parse_with_stage(Stage::Junior, &s);
        let _ = RegionCode::parse(&s).map(|r| (r.level(), r.parent(), r.township_kind()));
        let _ = SchoolCode::parse(&s);
        let _ = StudentNo::parse(&s).map(|n| (n.birth_date(), n.id_number()));
        let _ = BankCard::parse(&s).map(|c| c.masked());
        let _ = Phone::parse(&s).map(|p| p.masked());
        let _ = PersonName::parse(&s).map(|n| (n.surname().to_string(), n.given_name().to_string()));
    }
}
