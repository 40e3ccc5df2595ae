//! The DataFusion scalar UDFs: each wraps one pure function of `zizhu-link`.
//!
//! | UDF | arguments | result | wraps |
//! |---|---|---|---|
//! | `zizhu_blocking_keys` | the six raw fields | `List<UInt64>` | `prepare` + `blocking_keys` |
//! | `zizhu_has_year` | the six raw fields | `Boolean` | `prepare` + `has_year` |
//! | `zizhu_rule_bit` | a key | `Int32` | `BlockingKey::rule` + `BlockingRule::bit` |
//! | `zizhu_compare` | six left fields, six right fields | `UInt64` (level codes, one byte each) | `prepare` + `compare` |
//! | `zizhu_score` | codes, three term counts, the model and the cut as literals | `Float64`, NULL below the cut | `comparison_from` + `Model::weight` |
//!
//! The raw fields are, in order: name, sex, birth_date, id_number,
//! guardian_name, address (NULL reads as empty). Functions are looked up by
//! name on the scheduler and executors, so state a UDF needs (the trained
//! model) travels as a literal argument, never inside the UDF value: a
//! cluster only has to register [`zizhu_udfs`] once.

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, ListBuilder, StringArray,
    UInt32Array, UInt64Array, UInt64Builder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::sync::Arc;
use zizhu_link::{
    BlockingKey, FieldParams, Model, Prepared, Record, TermFrequencies, blocking_keys, compare,
    comparison_from, has_year, prepare,
};

/// Which pure function a UDF wraps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    BlockingKeys,
    HasYear,
    RuleBit,
    Compare,
    Score,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::BlockingKeys => "zizhu_blocking_keys",
            Kind::HasYear => "zizhu_has_year",
            Kind::RuleBit => "zizhu_rule_bit",
            Kind::Compare => "zizhu_compare",
            Kind::Score => "zizhu_score",
        }
    }

    fn arity(self) -> usize {
        match self {
            Kind::BlockingKeys | Kind::HasYear => 6,
            Kind::RuleBit => 1,
            Kind::Compare => 12,
            Kind::Score => 6,
        }
    }
}

/// One zizhu UDF. Arguments are accepted in any type and cast inside, so
/// that strings read as `Utf8View` from Parquet need no coercion rules.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ZizhuUdf {
    kind: Kind,
    signature: Signature,
}

impl ZizhuUdf {
    fn new(kind: Kind) -> ZizhuUdf {
        ZizhuUdf {
            kind,
            signature: Signature::any(kind.arity(), Volatility::Immutable),
        }
    }
}

/// Every UDF the plan uses, to register on a session — and on the
/// scheduler and executors of a real cluster.
pub fn zizhu_udfs() -> Vec<Arc<ScalarUDF>> {
    [
        Kind::BlockingKeys,
        Kind::HasYear,
        Kind::RuleBit,
        Kind::Compare,
        Kind::Score,
    ]
    .into_iter()
    .map(|k| Arc::new(ScalarUDF::from(ZizhuUdf::new(k))))
    .collect()
}

fn strings(arg: &ColumnarValue, rows: usize) -> Result<StringArray> {
    let array = arg.to_array(rows)?;
    let array = cast(&array, &DataType::Utf8)?;
    array
        .as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| DataFusionError::Internal("zizhu UDF: 需要字符串参数".into()))
}

fn u64s(arg: &ColumnarValue, rows: usize) -> Result<UInt64Array> {
    let array = cast(&arg.to_array(rows)?, &DataType::UInt64)?;
    array
        .as_any()
        .downcast_ref::<UInt64Array>()
        .cloned()
        .ok_or_else(|| DataFusionError::Internal("zizhu UDF: 需要整数参数".into()))
}

fn u32s(arg: &ColumnarValue, rows: usize) -> Result<UInt32Array> {
    let array = cast(&arg.to_array(rows)?, &DataType::UInt32)?;
    array
        .as_any()
        .downcast_ref::<UInt32Array>()
        .cloned()
        .ok_or_else(|| DataFusionError::Internal("zizhu UDF: 需要整数参数".into()))
}

/// The six raw-field columns of one side, read row by row into records.
struct RecordColumns([StringArray; 6]);

impl RecordColumns {
    fn new(args: &[ColumnarValue], rows: usize) -> Result<RecordColumns> {
        let col = |i: usize| strings(&args[i], rows);
        Ok(RecordColumns([
            col(0)?,
            col(1)?,
            col(2)?,
            col(3)?,
            col(4)?,
            col(5)?,
        ]))
    }

    fn field(&self, i: usize, row: usize) -> &str {
        let a = &self.0[i];
        if a.is_null(row) { "" } else { a.value(row) }
    }

    fn record(&self, row: usize) -> Record {
        Record {
            record_id: String::new(),
            name: self.field(0, row).to_owned(),
            sex: self.field(1, row).to_owned(),
            birth_date: self.field(2, row).to_owned(),
            id_number: self.field(3, row).to_owned(),
            guardian_name: self.field(4, row).to_owned(),
            address: self.field(5, row).to_owned(),
        }
    }

    /// The prepared record of `row`, reusing the previous row's when the
    /// raw fields are the same (join output often repeats a record).
    fn prepared(&self, row: usize, last: &mut Option<(Record, Prepared)>) -> Prepared {
        let record = self.record(row);
        if let Some((r, p)) = last.as_ref()
            && *r == record
        {
            return p.clone();
        }
        let p = prepare(&record);
        *last = Some((record, p.clone()));
        p
    }
}

/// Packs level codes into one integer, field `i` in byte `i`.
pub(crate) fn pack_codes(codes: [u8; 6]) -> u64 {
    codes
        .iter()
        .enumerate()
        .fold(0u64, |acc, (i, &c)| acc | (u64::from(c) << (8 * i)))
}

/// Unpacks [`pack_codes`].
pub(crate) fn unpack_codes(packed: u64) -> [u8; 6] {
    let mut codes = [0u8; 6];
    for (i, c) in codes.iter_mut().enumerate() {
        *c = u8::try_from((packed >> (8 * i)) & 0xff).unwrap_or(u8::MAX);
    }
    codes
}

/// The model and the term-frequency totals as text, every float as the hex
/// of its bits, so that executors score with exactly the driver's model.
pub fn encode_model(model: &Model, totals: [u32; 3]) -> String {
    let bits = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{:016x}", x.to_bits()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut s = format!(
        "{:016x};{},{},{}",
        model.prior.to_bits(),
        totals[0],
        totals[1],
        totals[2]
    );
    for f in &model.fields {
        s.push(';');
        s.push_str(&bits(&f.m));
        s.push('|');
        s.push_str(&bits(&f.u));
    }
    s
}

/// A float as the hex of its bits, for a literal argument.
pub fn encode_f64(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

fn decode_f64(text: &str) -> Option<f64> {
    u64::from_str_radix(text, 16).ok().map(f64::from_bits)
}

/// The text of a string literal argument.
fn literal(arg: &ColumnarValue) -> Option<&str> {
    match arg {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
        ) => Some(s.as_str()),
        _ => None,
    }
}

/// Reads [`encode_model`]'s text back; `None` when it is malformed.
pub fn decode_model(text: &str) -> Option<(Model, [u32; 3])> {
    let mut parts = text.split(';');
    let prior = f64::from_bits(u64::from_str_radix(parts.next()?, 16).ok()?);
    let totals: Vec<u32> = parts
        .next()?
        .split(',')
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    let floats = |s: &str| -> Option<Vec<f64>> {
        if s.is_empty() {
            return Some(Vec::new());
        }
        s.split(',')
            .map(|h| u64::from_str_radix(h, 16).ok().map(f64::from_bits))
            .collect()
    };
    let fields = parts
        .map(|p| {
            let (m, u) = p.split_once('|')?;
            Some(FieldParams {
                m: floats(m)?,
                u: floats(u)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((
        Model {
            fields,
            prior,
            iterations: 0,
        },
        totals.try_into().ok()?,
    ))
}

impl ScalarUDFImpl for ZizhuUdf {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::BlockingKeys => {
                DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, true)))
            }
            Kind::HasYear => DataType::Boolean,
            Kind::RuleBit => DataType::Int32,
            Kind::Compare => DataType::UInt64,
            Kind::Score => DataType::Float64,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let a = &args.args;
        if a.len() != self.kind.arity() {
            return exec_err!(
                "{} 需要 {} 个参数，实为 {} 个",
                self.kind.name(),
                self.kind.arity(),
                a.len()
            );
        }
        let out: ArrayRef = match self.kind {
            Kind::BlockingKeys => {
                let cols = RecordColumns::new(a, rows)?;
                let mut b = ListBuilder::new(UInt64Builder::new());
                for row in 0..rows {
                    let p = prepare(&cols.record(row));
                    for k in blocking_keys(&p) {
                        b.values().append_value(k.0);
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
            Kind::HasYear => {
                let cols = RecordColumns::new(a, rows)?;
                let mut b = BooleanBuilder::with_capacity(rows);
                for row in 0..rows {
                    b.append_value(has_year(&prepare(&cols.record(row))));
                }
                Arc::new(b.finish())
            }
            Kind::RuleBit => {
                let keys = u64s(&a[0], rows)?;
                let mut b = Int32Builder::with_capacity(rows);
                for row in 0..rows {
                    if keys.is_null(row) {
                        b.append_null();
                    } else {
                        let bit = BlockingKey(keys.value(row)).rule().bit();
                        b.append_value(i32::from(bit));
                    }
                }
                Arc::new(b.finish())
            }
            Kind::Compare => {
                let left = RecordColumns::new(&a[..6], rows)?;
                let right = RecordColumns::new(&a[6..], rows)?;
                let (mut last_l, mut last_r) = (None, None);
                let mut b = UInt64Builder::with_capacity(rows);
                for row in 0..rows {
                    let l = left.prepared(row, &mut last_l);
                    let r = right.prepared(row, &mut last_r);
                    b.append_value(pack_codes(compare(&l, &r).codes()));
                }
                Arc::new(b.finish())
            }
            Kind::Score => {
                let (Some(text), Some(cut)) = (literal(&a[4]), literal(&a[5])) else {
                    return exec_err!("zizhu_score 的第 5、6 个参数应为模型与阈值的文本常量");
                };
                let (Some((model, totals)), Some(cut)) = (decode_model(text), decode_f64(cut))
                else {
                    return exec_err!("zizhu_score：模型或阈值文本无法解析");
                };
                let codes = u64s(&a[0], rows)?;
                let counts = [u32s(&a[1], rows)?, u32s(&a[2], rows)?, u32s(&a[3], rows)?];
                let mut b = Float64Builder::with_capacity(rows);
                for row in 0..rows {
                    let c = comparison_from(unpack_codes(codes.value(row)));
                    let tf = TermFrequencies::from_counts(
                        [
                            counts[0].value(row),
                            counts[1].value(row),
                            counts[2].value(row),
                        ],
                        totals,
                    );
                    // The local engine's very comparison, in Rust: a pair
                    // is kept when `weight >= cut`.
                    let w = model.weight(&c, &tf);
                    if w >= cut {
                        b.append_value(w);
                    } else {
                        b.append_null();
                    }
                }
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        let codes = [5, 0, 3, 2, 4, 1];
        assert_eq!(unpack_codes(pack_codes(codes)), codes);
    }

    #[test]
    fn model_round_trips_bit_for_bit() {
        let model = Model {
            fields: vec![
                FieldParams {
                    m: vec![0.1, 1.0 / 3.0],
                    u: vec![1e-7, 0.25],
                },
                FieldParams {
                    m: vec![0.9],
                    u: vec![0.001],
                },
            ],
            prior: 1.234e-9,
            iterations: 0,
        };
        let (back, totals) = decode_model(&encode_model(&model, [1, 2, 3])).unwrap();
        assert_eq!(back, model);
        assert_eq!(totals, [1, 2, 3]);
        assert!(decode_model("nonsense").is_none());
    }
}
