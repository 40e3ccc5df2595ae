//! The driver: stages the two lists as Parquet, runs the plan twice on a
//! Ballista session (candidate patterns for training, then the scored
//! pairs above the threshold) and resolves the result with `zizhu-link`.

use crate::udf::{encode_f64, encode_model, unpack_codes, zizhu_udfs};
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringBuilder, UInt32Array,
    UInt32Builder, UInt64Array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::execution::{FunctionRegistry, SessionStateBuilder};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use zizhu_link::{
    BlockingRule, BlockingStats, CandidatePatterns, DEFAULT_THRESHOLD, Frequencies, LinkConfig,
    LinkResult, LinkStats, Record, Scored, prepare_all, resolve, threshold_weight, train_model,
};

/// Where the plan runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistributedOptions {
    /// A Ballista scheduler, `df://host:port`; `None` starts a scheduler
    /// and an executor inside this process (standalone mode, over loopback
    /// gRPC).
    pub scheduler: Option<String>,
    /// Directory for the staged Parquet copies of both lists. On a real
    /// cluster it must be readable by every executor under the same path
    /// (a shared file system). `None`: the system's temporary directory.
    pub staging_dir: Option<PathBuf>,
}

/// Errors of the distributed engine, each a Chinese sentence.
#[derive(Debug, thiserror::Error)]
pub enum DistributedError {
    /// The scheduler address is not of the form `df://host:port`.
    #[error("Ballista 调度器地址“{url}”无效：应形如 df://主机:端口（如 df://127.0.0.1:50050）")]
    BadUrl {
        /// The address as given.
        url: String,
    },
    /// Nothing answers at the scheduler's address.
    #[error(
        "无法连接 Ballista 调度器 {url}：{reason}。请确认调度器已启动、地址和端口正确，或不加 --scheduler 以本机内置模式运行"
    )]
    Unreachable {
        /// The address as given.
        url: String,
        /// What the connection attempt reported.
        reason: String,
    },
    /// The staging directory could not be written.
    #[error("无法写入分布式比对的中间文件 {path}：{reason}")]
    Staging {
        /// The file or directory.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A list has more rows than the engine indexes (2³² − 1).
    #[error("名单过大：{rows} 行，超出 4294967295 行的上限")]
    TooLarge {
        /// Rows in the list.
        rows: usize,
    },
    /// DataFusion or Ballista failed while planning or running the query.
    #[error("分布式比对执行失败（{stage}）：{reason}")]
    Engine {
        /// Which step failed.
        stage: &'static str,
        /// The engine's message.
        reason: String,
    },
}

fn engine_err(
    stage: &'static str,
) -> impl Fn(datafusion::error::DataFusionError) -> DistributedError {
    move |e| DistributedError::Engine {
        stage,
        reason: e.to_string(),
    }
}

/// Host and port of a `df://host:port` address (port 50050 if omitted).
fn parse_scheduler(url: &str) -> Result<(String, u16), DistributedError> {
    let bad = || DistributedError::BadUrl {
        url: url.to_owned(),
    };
    let rest = url.strip_prefix("df://").ok_or_else(bad)?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') {
        return Err(bad());
    }
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => {
            Ok((host.to_owned(), port.parse().map_err(|_| bad())?))
        }
        Some(_) => Err(bad()),
        None => Ok((rest.to_owned(), 50050)),
    }
}

/// A session with the zizhu UDFs, on the given scheduler or standalone.
async fn session(options: &DistributedOptions) -> Result<SessionContext, DistributedError> {
    // The UDFs join DataFusion's own functions (the builder's
    // `with_scalar_functions` would replace them). The scheduler and the
    // executors of standalone mode are built from this state.
    let mut state = SessionStateBuilder::new()
        .with_config(SessionConfig::new_with_ballista())
        .with_default_features()
        .build();
    for udf in zizhu_udfs() {
        state
            .register_udf(udf)
            .map_err(engine_err("登记比对函数"))?;
    }
    let ctx = match &options.scheduler {
        None => SessionContext::standalone_with_state(state)
            .await
            .map_err(engine_err("启动本机内置调度器"))?,
        Some(url) => {
            let (host, port) = parse_scheduler(url)?;
            // Fail fast with a clear message instead of a gRPC error deep
            // inside the first query.
            let unreachable = |reason: String| DistributedError::Unreachable {
                url: url.clone(),
                reason,
            };
            match tokio::time::timeout(
                Duration::from_secs(10),
                tokio::net::TcpStream::connect((host.as_str(), port)),
            )
            .await
            {
                Err(_) => return Err(unreachable("10 秒内无应答".into())),
                Ok(Err(e)) => return Err(unreachable(format!("连接失败（{e}）"))),
                Ok(Ok(_)) => {}
            }
            SessionContext::remote_with_state(url, state)
                .await
                .map_err(|e| unreachable(e.to_string()))?
        }
    };
    // The client plans the SQL, so it must know the functions too.
    for udf in zizhu_udfs() {
        ctx.register_udf(Arc::unwrap_or_clone(udf));
    }
    Ok(ctx)
}

const RAW: [&str; 6] = [
    "name",
    "sex",
    "birth_date",
    "id_number",
    "guardian_name",
    "address",
];

/// Rows per staged Parquet file: one file per task of the scan.
const ROWS_PER_FILE: usize = 100_000;

fn schema(with_tf: bool) -> SchemaRef {
    let mut fields = vec![Field::new("rid", DataType::UInt32, false)];
    fields.extend(RAW.iter().map(|n| Field::new(*n, DataType::Utf8, false)));
    if with_tf {
        for n in ["tf_name", "tf_pinyin", "tf_guardian"] {
            fields.push(Field::new(n, DataType::UInt32, false));
        }
    }
    Arc::new(Schema::new(fields))
}

/// Writes one list as Parquet files under `dir`: the row index, the six
/// raw fields, and for the left list its term-frequency counts.
fn stage(
    dir: &Path,
    records: &[Record],
    freq: Option<&Frequencies>,
) -> Result<(), DistributedError> {
    let staging = |path: &Path, e: &dyn std::fmt::Display| DistributedError::Staging {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| staging(dir, &e))?;
    let schema = schema(freq.is_some());
    for (part, chunk) in records.chunks(ROWS_PER_FILE.max(1)).enumerate() {
        let start = part * ROWS_PER_FILE;
        let mut rid = UInt32Builder::with_capacity(chunk.len());
        let mut raw: Vec<StringBuilder> = RAW.iter().map(|_| StringBuilder::new()).collect();
        let mut tf: Vec<UInt32Builder> = (0..3).map(|_| UInt32Builder::new()).collect();
        for (i, r) in chunk.iter().enumerate() {
            let row = start + i;
            rid.append_value(u32::try_from(row).map_err(|_| DistributedError::TooLarge {
                rows: records.len(),
            })?);
            for (b, v) in raw.iter_mut().zip([
                &r.name,
                &r.sex,
                &r.birth_date,
                &r.id_number,
                &r.guardian_name,
                &r.address,
            ]) {
                b.append_value(v);
            }
            if let Some(freq) = freq {
                for (b, c) in tf.iter_mut().zip(freq.left_counts(row)) {
                    b.append_value(c);
                }
            }
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(rid.finish())];
        columns.extend(raw.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        if freq.is_some() {
            columns.extend(tf.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        }
        let path = dir.join(format!("part-{part:05}.parquet"));
        let batch =
            RecordBatch::try_new(schema.clone(), columns).map_err(|e| staging(&path, &e))?;
        let file = std::fs::File::create(&path).map_err(|e| staging(&path, &e))?;
        let mut writer =
            ArrowWriter::try_new(file, schema.clone(), None).map_err(|e| staging(&path, &e))?;
        writer.write(&batch).map_err(|e| staging(&path, &e))?;
        writer.close().map_err(|e| staging(&path, &e))?;
    }
    Ok(())
}

/// The plan's common part: candidate pairs with their rule set, comparison
/// codes and the left record's term counts, as SQL over the staged lists.
fn candidates_sql(max_block_pairs: u64) -> String {
    let raw = |t: &str| {
        RAW.iter()
            .map(|c| format!("{t}.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let max = i64::try_from(max_block_pairs).unwrap_or(i64::MAX);
    let name_only = BlockingRule::NameOnly.bit();
    format!(
        "WITH
  lk AS (SELECT t.rid AS l, unnest(zizhu_blocking_keys({lt})) AS k FROM zizhu_left t),
  rk AS (SELECT t.rid AS r, unnest(zizhu_blocking_keys({lt})) AS k FROM zizhu_right t),
  ln AS (SELECT k, count(*) AS n FROM lk GROUP BY k),
  rn AS (SELECT k, count(*) AS n FROM rk GROUP BY k),
  kept AS (SELECT ln.k FROM ln JOIN rn ON ln.k = rn.k WHERE ln.n * rn.n <= {max}),
  ly AS (SELECT t.rid AS l, zizhu_has_year({lt}) AS y FROM zizhu_left t),
  ry AS (SELECT t.rid AS r, zizhu_has_year({lt}) AS y FROM zizhu_right t),
  hits AS (SELECT lk.l, rk.r, zizhu_rule_bit(lk.k) AS bit
           FROM kept JOIN lk ON lk.k = kept.k JOIN rk ON rk.k = kept.k),
  usable AS (SELECT hits.l, hits.r, hits.bit
             FROM hits JOIN ly ON hits.l = ly.l JOIN ry ON hits.r = ry.r
             WHERE NOT (hits.bit = {name_only} AND ly.y AND ry.y)),
  pairs AS (SELECT l, r, bit_or(bit) AS rules FROM usable GROUP BY l, r),
  candidates AS (
    SELECT p.l, p.r, p.rules, zizhu_compare({la}, {lb}) AS codes,
           a.tf_name, a.tf_pinyin, a.tf_guardian
    FROM pairs p JOIN zizhu_left a ON a.rid = p.l JOIN zizhu_right b ON b.rid = p.r)
",
        lt = raw("t"),
        la = raw("a"),
        lb = raw("b"),
    )
}

/// Column `name` of a result batch as an array of type `T` (cast to `to`),
/// without NULLs.
fn column<T: 'static>(
    batch: &RecordBatch,
    name: &str,
    to: &DataType,
    stage: &'static str,
) -> Result<ArrayRef, DistributedError> {
    let bad = |reason: String| DistributedError::Engine { stage, reason };
    let array = batch
        .column_by_name(name)
        .ok_or_else(|| bad(format!("结果缺少列 {name}")))?;
    let array = cast(array, to).map_err(|e| bad(e.to_string()))?;
    if array.as_any().downcast_ref::<T>().is_none() || array.null_count() > 0 {
        return Err(bad(format!("结果列 {name} 类型或取值异常")));
    }
    Ok(array)
}

/// The typed view of an array that [`column`] returned.
fn typed<'a, T: 'static>(a: &'a ArrayRef, stage: &'static str) -> Result<&'a T, DistributedError> {
    a.as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| DistributedError::Engine {
            stage,
            reason: "结果列类型异常".into(),
        })
}

/// Stack size of the engine's threads. DataFusion plans and optimises
/// recursively and Ballista's own scheduler runs on 32 MiB stacks; a debug
/// build overflows tokio's default 2 MiB on this plan.
const STACK_BYTES: usize = 64 * 1024 * 1024;

/// [`link_distributed`] on a runtime of its own whose threads have room for
/// DataFusion's recursion; callable from plain code (and, through
/// `tokio::task::block_in_place`, from async code).
pub fn link_distributed_blocking(
    left: &[Record],
    right: &[Record],
    config: &LinkConfig,
    options: &DistributedOptions,
) -> Result<LinkResult, DistributedError> {
    let failed = |reason: String| DistributedError::Engine {
        stage: "启动运行时",
        reason,
    };
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("zizhu-distributed".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .thread_stack_size(STACK_BYTES)
                    .build()
                    .map_err(|e| failed(e.to_string()))?;
                let result = runtime.block_on(link_distributed(left, right, config, options));
                // The standalone scheduler and executor run until stopped.
                runtime.shutdown_background();
                result
            })
            .map_err(|e| failed(e.to_string()))?;
        worker
            .join()
            .unwrap_or_else(|_| Err(failed("比对线程异常终止".into())))
    })
}

/// Links two lists with the plan on a Ballista session. The result equals
/// [`zizhu_link::link`]'s (same links, probabilities, explanations and
/// model); of the blocking counters only `candidate_pairs` is filled.
///
/// Standalone mode runs the scheduler and executor on the caller's tokio
/// runtime, whose worker threads need large stacks (see
/// [`link_distributed_blocking`], which sets them up).
pub async fn link_distributed(
    left: &[Record],
    right: &[Record],
    config: &LinkConfig,
    options: &DistributedOptions,
) -> Result<LinkResult, DistributedError> {
    for list in [left, right] {
        if u32::try_from(list.len()).is_err() {
            return Err(DistributedError::TooLarge { rows: list.len() });
        }
    }
    let ctx = session(options).await?;
    if left.is_empty() || right.is_empty() {
        // Nothing to pair, and no files to scan: the answer needs no plan.
        return Ok(zizhu_link::link(left, right, config));
    }
    let threshold = config
        .threshold
        .unwrap_or(DEFAULT_THRESHOLD)
        .clamp(0.0, 1.0);

    // Per-record work the driver needs anyway: term frequencies, the
    // random sample for u, and the records of the pairs it resolves.
    let lp = prepare_all(left);
    let rp = prepare_all(right);
    let freq = Frequencies::build(&lp, &rp);

    let staging = match &options.staging_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| DistributedError::Staging {
                path: dir.display().to_string(),
                reason: e.to_string(),
            })?;
            tempfile::Builder::new()
                .prefix("zizhu-link-")
                .tempdir_in(dir)
        }
        None => tempfile::Builder::new().prefix("zizhu-link-").tempdir(),
    }
    .map_err(|e| DistributedError::Staging {
        path: options.staging_dir.as_ref().map_or_else(
            || std::env::temp_dir().display().to_string(),
            |d| d.display().to_string(),
        ),
        reason: e.to_string(),
    })?;
    let (ldir, rdir) = (staging.path().join("left"), staging.path().join("right"));
    stage(&ldir, left, Some(&freq))?;
    stage(&rdir, right, None)?;
    for (table, dir) in [("zizhu_left", &ldir), ("zizhu_right", &rdir)] {
        ctx.register_parquet(
            table,
            &format!("{}/", dir.display()),
            ParquetReadOptions::default(),
        )
        .await
        .map_err(engine_err("登记名单"))?;
    }
    let cte = candidates_sql(config.max_block_pairs);

    // 1. Comparison patterns of all candidates, counted in the plan.
    const PATTERNS: &str = "分块与比较";
    let batches = ctx
        .sql(&format!(
            "{cte}SELECT rules, codes, count(*) AS n FROM candidates GROUP BY rules, codes"
        ))
        .await
        .map_err(engine_err(PATTERNS))?
        .collect()
        .await
        .map_err(engine_err(PATTERNS))?;
    let mut patterns: CandidatePatterns = Vec::new();
    for b in &batches {
        let rules = column::<Int64Array>(b, "rules", &DataType::Int64, PATTERNS)?;
        let codes = column::<UInt64Array>(b, "codes", &DataType::UInt64, PATTERNS)?;
        let n = column::<Int64Array>(b, "n", &DataType::Int64, PATTERNS)?;
        let (rules, codes, n) = (
            typed::<Int64Array>(&rules, PATTERNS)?,
            typed::<UInt64Array>(&codes, PATTERNS)?,
            typed::<Int64Array>(&n, PATTERNS)?,
        );
        for i in 0..b.num_rows() {
            patterns.push((
                (
                    u16::try_from(rules.value(i)).unwrap_or(u16::MAX),
                    unpack_codes(codes.value(i)),
                ),
                u64::try_from(n.value(i)).unwrap_or(0),
            ));
        }
    }
    patterns.sort_unstable_by_key(|&(k, _)| k);
    let candidate_pairs: u64 = patterns.iter().map(|&(_, n)| n).sum();

    // 2. The model, trained in the driver exactly as the local engine does.
    let (model, random_pairs) = train_model(&lp, &rp, &patterns, config);

    // 3. Every candidate scored in the plan; only pairs at or above the
    //    threshold come back.
    const SCORING: &str = "打分";
    let text = encode_model(&model, freq.totals());
    let cut = encode_f64(threshold_weight(threshold));
    let batches = ctx
        .sql(&format!(
            "{cte}SELECT l, r, rules, w FROM (SELECT l, r, rules, \
             zizhu_score(codes, tf_name, tf_pinyin, tf_guardian, '{text}', '{cut}') AS w \
             FROM candidates) s WHERE w IS NOT NULL"
        ))
        .await
        .map_err(engine_err(SCORING))?
        .collect()
        .await
        .map_err(engine_err(SCORING))?;
    let mut scored: Vec<Scored> = Vec::new();
    for b in &batches {
        let l = column::<UInt32Array>(b, "l", &DataType::UInt32, SCORING)?;
        let r = column::<UInt32Array>(b, "r", &DataType::UInt32, SCORING)?;
        let rules = column::<Int64Array>(b, "rules", &DataType::Int64, SCORING)?;
        let w = column::<Float64Array>(b, "w", &DataType::Float64, SCORING)?;
        let (l, r, rules, w) = (
            typed::<UInt32Array>(&l, SCORING)?,
            typed::<UInt32Array>(&r, SCORING)?,
            typed::<Int64Array>(&rules, SCORING)?,
            typed::<Float64Array>(&w, SCORING)?,
        );
        for i in 0..b.num_rows() {
            scored.push(Scored {
                weight: w.value(i),
                left: l.value(i),
                right: r.value(i),
                rules: u16::try_from(rules.value(i)).unwrap_or(u16::MAX),
            });
        }
    }
    drop(staging);

    // 4. One-to-one resolution and explanations, shared with the local engine.
    let pairs_above_threshold = scored.len();
    let (links, duplicate_links) = resolve(&lp, &rp, &freq, &model, scored, threshold, config);
    Ok(LinkResult {
        links,
        threshold,
        model,
        stats: LinkStats {
            left_records: lp.len(),
            right_records: rp.len(),
            blocking: BlockingStats {
                candidate_pairs,
                ..BlockingStats::default()
            },
            random_pairs,
            pairs_above_threshold,
            duplicate_links,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_addresses() {
        assert_eq!(
            parse_scheduler("df://10.0.0.5:50051").unwrap(),
            ("10.0.0.5".to_owned(), 50051)
        );
        assert_eq!(
            parse_scheduler("df://sched").unwrap(),
            ("sched".to_owned(), 50050)
        );
        for bad in [
            "http://x:1",
            "df://",
            "df://:80",
            "df://h:port",
            "df://h:1/x",
        ] {
            assert!(
                matches!(parse_scheduler(bad), Err(DistributedError::BadUrl { .. })),
                "{bad}"
            );
        }
    }
}
