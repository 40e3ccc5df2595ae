//! zizhu-distributed: the comparison engine of [`zizhu_link`] as an Apache
//! DataFusion plan executed on a Ballista cluster (大数据比对的分布式引擎).
//!
//! Everything that grows with the number of *pairs* runs in the plan:
//! the blocking join (one equi-join per blocking key, union of the rules,
//! oversized blocks dropped, candidate pairs deduplicated with their rule
//! set), the comparison of every candidate pair and its Fellegi–Sunter
//! score. Each of those steps is a DataFusion scalar UDF that calls
//! `zizhu-link`'s pure function unchanged ([`zizhu_link::prepare`],
//! [`zizhu_link::blocking_keys`], [`zizhu_link::compare`],
//! [`zizhu_link::Model::weight`]). What grows with the number of *records*
//! or is tiny runs in the driver with `zizhu-link`'s own stage functions:
//! term frequencies, the EM training on the aggregated comparison patterns
//! ([`zizhu_link::train_model`]), and the one-to-one resolution of the pairs
//! above the threshold ([`zizhu_link::resolve`]). Both engines thus share
//! every decision, and the output is identical to [`zizhu_link::link`].
//!
//! The whole crate sits behind the `engine` feature (the `zizhu` binary's
//! `distributed` feature turns it on): DataFusion and Ballista take tens of
//! minutes to build on two cores and a county office never needs them.
//! Without the feature the crate is empty.

#[cfg(feature = "engine")]
mod engine;
#[cfg(feature = "engine")]
mod udf;

#[cfg(feature = "engine")]
pub use engine::{
    DistributedError, DistributedOptions, link_distributed, link_distributed_blocking,
};
#[cfg(feature = "engine")]
pub use udf::{decode_model, encode_f64, encode_model, zizhu_udfs};
