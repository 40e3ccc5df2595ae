//! Deterministic random streams, one per unit of work.
//!
//! Every household, school, village and list gets its own ChaCha8 stream
//! seeded from a hash of (seed, domain, index). A unit can therefore be
//! regenerated on its own, in any order and any number of times, and always
//! comes out the same; this is what lets the generator stream a
//! province-sized county without keeping it in memory.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The random generator used everywhere in this crate.
pub(crate) type GenRng = ChaCha8Rng;

/// Domains keep streams of different purposes apart even when their indices
/// coincide (household 7 and village 7 must not share randomness).
pub(crate) mod domain {
    pub const GEO: u64 = 0x01;
    pub const CALIBRATE: u64 = 0x02;
    pub const SCHOOLS: u64 = 0x03;
    pub const HOUSEHOLD: u64 = 0x04;
    pub const SCHOOL_BATCH: u64 = 0x05;
    pub const INJECT: u64 = 0x100;
}

/// SplitMix64's finaliser: a bijective, well-mixing map on u64.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes (seed, domain, index) into one 64-bit stream seed.
pub(crate) fn mix(seed: u64, domain: u64, index: u64) -> u64 {
    splitmix(splitmix(splitmix(seed) ^ domain) ^ index)
}

/// The stream for one unit of one domain.
pub(crate) fn stream(seed: u64, domain: u64, index: u64) -> GenRng {
    ChaCha8Rng::seed_from_u64(mix(seed, domain, index))
}

/// True with probability `per_mille`/1000.
pub(crate) fn chance(rng: &mut GenRng, per_mille: u32) -> bool {
    per_mille > 0 && rng.random_range(0..1000u32) < per_mille
}

/// True with probability `per_100k`/100000, for rare events such as dropouts.
pub(crate) fn chance_100k(rng: &mut GenRng, per_100k: u32) -> bool {
    per_100k > 0 && rng.random_range(0..100_000u32) < per_100k
}

/// Picks an item with probability proportional to its integer weight.
/// The slice must not be empty and the weights must not all be zero.
pub(crate) fn weighted<T: Copy>(rng: &mut GenRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    debug_assert!(total > 0, "weighted() needs a positive total weight");
    let mut x = rng.random_range(0..total.max(1));
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= *w;
    }
    items[items.len() - 1].0
}

/// Picks one element uniformly.
pub(crate) fn pick<'a, T>(rng: &mut GenRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}
