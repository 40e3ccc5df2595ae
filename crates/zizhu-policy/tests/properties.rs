//! Properties that must hold for any input: funding splits sum exactly to
//! the amount, and summaries equal the sum of their rows and of the
//! payable entitlements they summarise.

mod common;

use common::*;
use proptest::prelude::*;
use zizhu_core::{Fen, Stage};
use zizhu_policy::*;

/// Five per-mille shares summing to 1000, from four cut points.
fn shares() -> impl Strategy<Value = [u16; 5]> {
    proptest::collection::vec(0u16..=1000, 4).prop_map(|mut cuts| {
        cuts.sort_unstable();
        [
            cuts[0],
            cuts[1] - cuts[0],
            cuts[2] - cuts[1],
            cuts[3] - cuts[2],
            1000 - cuts[3],
        ]
    })
}

proptest! {
    #[test]
    fn funding_split_sums_exactly(shares in shares(), fen in -1_000_000_000_000_000i64..1_000_000_000_000_000i64) {
        let f = Funding::new(shares).expect("shares sum to 1000");
        let split = f.split(Fen(fen));
        prop_assert_eq!(split.total(), Fen(fen));
        // Each part is within one fen of its exact share, and has the amount's sign.
        for (i, part) in split.0.iter().enumerate() {
            let exact = i128::from(fen) * i128::from(shares[i]);
            let diff = (i128::from(part.0) * 1000 - exact).abs();
            prop_assert!(diff < 1000, "part {i} = {part:?}, exact {exact}/1000");
            prop_assert!(part.0 == 0 || (part.0 < 0) == (fen < 0));
        }
    }
}

/// A random student with a mix of the facts the Hunan policies look at.
fn any_student() -> impl Strategy<Value = (u8, u8, u16, u8)> {
    (0u8..6, 1u8..=3, any::<u16>(), 0u8..40)
}

fn build(i: usize, spec: (u8, u8, u16, u8), t: &str) -> StudentFacts {
    let (stage, grade, flags, school) = spec;
    let stage = Stage::ALL[usize::from(stage)];
    let mut s = student(&format!("s{i}"), term(t), stage, grade);
    let bit = |n: u16| flags & (1 << n) != 0;
    s.poverty = match flags % 4 {
        0 => PovertyStatus::NotLifted,
        1 => PovertyStatus::Lifted { year: 2017 },
        _ => PovertyStatus::NotRegistered,
    };
    s.dibao = bit(2);
    s.orphan = bit(3);
    s.rural_hukou = bit(4);
    s.agri_major = bit(5);
    s.boarding = if bit(6) { None } else { Some(bit(7)) };
    s.special_school = bit(8) && bit(9);
    s.bank_account = Some(if bit(10) {
        BankAccount::Missing
    } else {
        BankAccount::Valid
    });
    s.enrollment_confirmed = if bit(11) { None } else { Some(!bit(12)) };
    s.out_of_county = bit(13);
    if bit(14) {
        s.disability = Some(Disability::Hearing);
    }
    s.loan_applied = bit(15).then(|| Fen::from_yuan(1000 * i64::from(grade) + 3000));
    s.school = SchoolKey::new(&format!("36430000{school:02}")).unwrap();
    s.township = TownshipKey::new(&format!("镇{}", school % 7)).unwrap();
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn summaries_equal_the_sum_of_their_rows(specs in proptest::collection::vec(any_student(), 0..200)) {
        let set = hunan();
        let spring: Vec<StudentFacts> = specs.iter().enumerate().map(|(i, s)| build(i, *s, "2019春")).collect();
        let autumn: Vec<StudentFacts> = specs.iter().enumerate().map(|(i, s)| build(i, *s, "2019秋")).collect();
        let a = entitle(&set, term("2019春"), &spring);
        let b = entitle(&set, term("2019秋"), &autumn);
        let results = [&a, &b];
        let payable: Vec<&Entitlement> = results
            .iter()
            .flat_map(|r| r.entitlements.iter())
            .filter(|e| e.status.is_payable())
            .collect();
        let direct_amount: i64 = payable.iter().map(|e| e.amount.0).sum();
        for e in results.iter().flat_map(|r| r.entitlements.iter()) {
            prop_assert_eq!(e.funding.total(), e.amount);
        }
        for by in [Dimension::Policy, Dimension::Category, Dimension::Township, Dimension::School, Dimension::Term] {
            let s = summarize(&results, by);
            let rows_amount: i64 = s.rows.iter().map(|r| r.amount.0).sum();
            let rows_times: u64 = s.rows.iter().map(|r| r.person_times).sum();
            prop_assert_eq!(s.total.amount.0, rows_amount);
            prop_assert_eq!(s.total.person_times, rows_times);
            prop_assert_eq!(s.total.amount.0, direct_amount);
            prop_assert_eq!(s.total.person_times, payable.len() as u64);
            // Each row's 万元 text is exact: parsing it back gives the same fen.
            for r in &s.rows {
                prop_assert_eq!(Fen::parse_wan_yuan(&r.wan()).ok(), Some(r.amount));
                prop_assert_eq!(Fen::parse_yuan(&r.yuan()).ok(), Some(r.amount));
            }
        }
        // Recomputing unchanged facts changes nothing.
        prop_assert!(diff(&a, &entitle(&set, term("2019春"), &spring)).is_empty());
    }
}
