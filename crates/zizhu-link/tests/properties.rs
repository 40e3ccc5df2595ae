//! Properties every comparison must have, whatever the input.

use proptest::prelude::*;
use zizhu_link::{
    DateParts, IdFeature, NameFeature, NameLevel, compare_dates, compare_ids, compare_names,
};

const CHARS: &[char] = &[
    '王', '李', '张', '欧', '阳', '丽', '莉', '娜', '拉', '己', '已', '明', '民', '华', '涵', '轩',
    '子', '麗', '龍', '龙', '·', ' ', 'a', 'b',
];

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(CHARS), 0..6).prop_map(|v| v.into_iter().collect())
}

fn date() -> impl Strategy<Value = Option<DateParts>> {
    prop::option::of(
        (2000u16..2020, 0u8..13, 0u8..29).prop_map(|(year, month, day)| {
            DateParts {
                year,
                month,
                // A partial date has no day without a month.
                day: if month == 0 { 0 } else { day },
            }
        }),
    )
}

proptest! {
    #[test]
    fn name_comparison_is_symmetric(a in name(), b in name()) {
        let (fa, fb) = (NameFeature::parse(&a), NameFeature::parse(&b));
        prop_assert_eq!(compare_names(&fa, &fb), compare_names(&fb, &fa));
    }

    #[test]
    fn a_name_matches_itself_exactly(a in name()) {
        let f = NameFeature::parse(&a);
        let expected = if f.is_missing() { NameLevel::Missing } else { NameLevel::Exact };
        prop_assert_eq!(compare_names(&f, &f), expected);
    }

    #[test]
    fn date_comparison_is_symmetric(a in date(), b in date()) {
        prop_assert_eq!(compare_dates(a, b), compare_dates(b, a));
    }

    #[test]
    fn id_formatting_noise_changes_nothing(seq in 0u32..1000, spaces in any::<bool>(), wide in any::<bool>()) {
        let first17 = format!("43112620120901{seq:03}");
        let weights = [7u32, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = first17.bytes().zip(weights).map(|(d, w)| u32::from(d - b'0') * w).sum();
        let check = b"10X98765432"[(sum % 11) as usize] as char;
        let clean = format!("{first17}{check}");
        let mut noisy = clean.to_lowercase();
        if spaces {
            noisy = format!(" {} {} ", &noisy[..6], &noisy[6..]);
        }
        if wide {
            noisy = noisy.chars().map(|c| if c.is_ascii_alphanumeric() {
                char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c)
            } else { c }).collect();
        }
        let (a, b) = (IdFeature::parse(&clean, None), IdFeature::parse(&noisy, None));
        prop_assert_eq!(compare_ids(&a, &b, false), zizhu_link::IdLevel::Exact);
    }
}
