//! Times `entitle` on N synthetic students (default 1,000,000) with the
//! shipped Hunan 2018 policies, and prints students per second.
//!
//! Run: `cargo run --release -p zizhu-policy --example bench_entitle -- 12000000`
//! (add `/usr/bin/time -v` in front for peak memory). This is a measurement
//! to run by hand, not a test.
//!
//! Two more modes serve the side-by-side benchmark with DuckDB
//! (`bench/entitle.sh`, `bench/entitle_duckdb.py`):
//!
//! - `bench_entitle --write-facts FILE [N] [--seed S]` writes N students'
//!   2018秋 facts as CSV (one row per student, schema in [`FACTS_HEADER`]),
//!   deterministically from the seed, exercising more facts than the
//!   in-memory population (unknown 寄宿/学籍/银行账户/学杂费, 学校认定,
//!   学校推荐, 特教学校, 普惠性民办, loan amounts below the minimum …).
//! - `bench_entitle --facts FILE` loads that CSV into `StudentFacts`, then
//!   runs `entitle_owned` for 2018秋, timing the two separately, and prints
//!   per policy the payable 人次 and 金额 in fen as `P<TAB>code<TAB>人次<TAB>分`
//!   lines (and a `P<TAB>合计` line), the format the DuckDB side prints too.

use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::{BufWriter, Read as _, Write as _};
use std::sync::Arc;
use std::time::Instant;
use zizhu_core::{Fen, Grade, Stage, Term};
use zizhu_policy::{
    BankAccount, Codes, Difficulty, Dimension, Disability, PersonKey, PolicyCode, PolicySet,
    PovertyStatus, Recognition, SchoolKey, SchoolType, Sources, StudentFacts, TownshipKey, entitle,
    summarize,
};

/// A small deterministic generator, so runs are comparable.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

fn synthetic(n: usize, term: Term) -> Vec<StudentFacts> {
    let mut rng = XorShift(0x2018_1124_0000_0001);
    // About 500 students a school and 15 schools a township, like a county.
    let schools = (n / 500).max(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let r = rng.next() % 100;
        let (stage, grades) = match r {
            0..=14 => (Stage::Preschool, 3),
            15..=54 => (Stage::Primary, 6),
            55..=74 => (Stage::Junior, 3),
            75..=84 => (Stage::SeniorHigh, 3),
            85..=92 => (Stage::Vocational, 3),
            _ => (Stage::Higher, 4),
        };
        let grade = Grade::new(stage, (rng.next() % grades) as u8 + 1).expect("valid grade");
        let school = i % schools;
        let mut s = StudentFacts::new(
            PersonKey::new(&format!("G4311262010{i:08}")).expect("key"),
            term,
            SchoolKey::new(&format!("{:010}", 3_643_000_000u64 + school as u64)).expect("key"),
            TownshipKey::new(&format!("43112610{:04}", school / 15)).expect("key"),
            grade,
        );
        s.poverty = match rng.next() % 100 {
            0..=7 => PovertyStatus::NotLifted,
            8..=11 => PovertyStatus::Lifted { year: 2017 },
            12 => PovertyStatus::Edge,
            _ => PovertyStatus::NotRegistered,
        };
        s.dibao = rng.chance(50);
        s.tekun = rng.chance(5);
        s.orphan = rng.chance(3);
        s.rural_hukou = rng.chance(600);
        s.agri_major = stage == Stage::Vocational && rng.chance(200);
        s.boarding = Some(matches!(stage, Stage::Primary | Stage::Junior) && rng.chance(300));
        s.out_of_county = rng.chance(30);
        s.enrollment_confirmed = if s.out_of_county && rng.chance(200) {
            None
        } else {
            Some(!rng.chance(5))
        };
        s.bank_account = Some(match rng.next() % 100 {
            0..=2 => BankAccount::Missing,
            3 => BankAccount::CheckFailed,
            _ => BankAccount::Valid,
        });
        if stage == Stage::SeniorHigh {
            s.school_fee_per_term = Some(Fen::from_yuan(if school.is_multiple_of(5) {
                1000
            } else {
                800
            }));
        }
        if stage == Stage::Higher && rng.chance(300) {
            s.loan_applied = Some(Fen::from_yuan(8000));
        }
        s.sources = Sources::none();
        out.push(s);
    }
    out
}

/// User plus system CPU time of the whole process so far, in milliseconds,
/// from /proc (Linux); on a shared machine this is steadier than wall time.
fn cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks of 10 ms on Linux.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) * 10)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--write-facts") => return write_facts_main(&args[1..]),
        Some("--facts") => return facts_main(&args[1..]),
        _ => {}
    }
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| {
            a.replace('_', "")
                .parse()
                .expect("N must be a whole number")
        })
        .unwrap_or(1_000_000);
    println!(
        "每名学生 {} 字节，每条资助记录 {} 字节",
        std::mem::size_of::<StudentFacts>(),
        std::mem::size_of::<zizhu_policy::Entitlement>()
    );
    let set = PolicySet::hunan_2018();
    let term = Term::parse("2018秋").expect("term");

    let t0 = Instant::now();
    let students = synthetic(n, term);
    println!("生成 {n} 名学生：{} ms", t0.elapsed().as_millis());

    let cpu0 = cpu_ms();
    let t1 = Instant::now();
    let result = entitle(&set, term, &students);
    let ms = t1.elapsed().as_millis().max(1);
    let cpu = cpu_ms().zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    let per_s = (n as u128) * 1000 / ms;
    println!(
        "entitle：{n} 名学生，{} 条资助记录，用时 {ms} ms，每秒 {per_s} 名学生（CPU 时间 {} ms，{} 个线程）",
        result.entitlements.len(),
        cpu.map_or("未知".to_string(), |c| c.to_string()),
        rayon::current_num_threads()
    );

    let t2 = Instant::now();
    let summary = summarize(&[&result], Dimension::Policy);
    let gaps = result.coverage();
    println!(
        "汇总与应享未享清单：{} ms；可发放 {} 人次，{} 万元；应享未享 {} 人次",
        t2.elapsed().as_millis(),
        summary.total.person_times,
        summary.total.amount.fmt_wan_grouped(),
        gaps.gaps.len()
    );
    print!("{}", summary.render());

    // The same computation without copying the population into the result,
    // for callers that own their records (e.g. straight from the store).
    drop(result);
    let cpu0 = cpu_ms();
    let t3 = Instant::now();
    let owned = zizhu_policy::entitle_owned(&set, term, students);
    let ms = t3.elapsed().as_millis().max(1);
    let cpu = cpu_ms().zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    println!(
        "entitle_owned：{n} 名学生，{} 条资助记录，用时 {ms} ms，每秒 {} 名学生（CPU 时间 {} ms）",
        owned.entitlements.len(),
        (n as u128) * 1000 / ms,
        cpu.map_or("未知".to_string(), |c| c.to_string()),
    );
}

// ---------------------------------------------------------------------------
// The facts CSV shared with the DuckDB side.
// ---------------------------------------------------------------------------

/// The CSV header. Booleans are `1`/`0`, an empty cell is unknown (寄宿,
/// 学籍确认, 银行账户, 学杂费) or absent (残疾, 学校认定, 申请金额, 学校推荐);
/// money is integer fen; `nominated` lists policy codes separated by `|`.
const FACTS_HEADER: &str = "person,school,township,school_type,special_school,school_fee_fen,\
stage,grade,boarding,out_of_county,enrolled,bank,poverty,lifted_year,dibao,tekun,orphan,\
martyr_child,disability,parent_disabled,left_behind,rural_hukou,agri_major,recognition,\
loan_applied_fen,nominated";

/// The term the facts CSV describes.
const FACTS_TERM: &str = "2018秋";

fn parse_count(a: &str) -> usize {
    a.replace(['_', ','], "")
        .parse()
        .expect("N must be a whole number")
}

/// One student of the CSV population, deterministic in `(seed, i)` so the
/// file can be written in parallel blocks and still be the same file.
fn csv_student(seed: u64, i: usize, n: usize, term: Term, reason: &Arc<str>) -> StudentFacts {
    // A per-student generator: splitmix the index into the seed.
    let mut z = seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let mut rng = XorShift((z ^ (z >> 31)) | 1);
    let schools = (n / 500).max(1);
    let school = i % schools;
    let (stage, grades) = match rng.next() % 100 {
        0..=14 => (Stage::Preschool, 3),
        15..=54 => (Stage::Primary, 6),
        55..=74 => (Stage::Junior, 3),
        75..=84 => (Stage::SeniorHigh, 3),
        85..=92 => (Stage::Vocational, 3),
        _ => (Stage::Higher, 4),
    };
    let grade = Grade::new(stage, (rng.next() % grades) as u8 + 1).expect("valid grade");
    let mut s = StudentFacts::new(
        PersonKey::new(&format!("G4311262010{i:08}")).expect("key"),
        term,
        SchoolKey::new(&format!("{:010}", 3_643_000_000u64 + school as u64)).expect("key"),
        TownshipKey::new(&format!("43112610{:04}", school / 15)).expect("key"),
        grade,
    );
    s.school_type = match school % 20 {
        0 => SchoolType::InclusivePrivate,
        1 => SchoolType::Private,
        _ => SchoolType::Public,
    };
    s.special_school = school % 97 == 3;
    s.poverty = match rng.next() % 100 {
        0..=7 => PovertyStatus::NotLifted,
        8..=10 => PovertyStatus::Lifted { year: 2017 },
        11 => PovertyStatus::Lifted { year: 2018 },
        12 => PovertyStatus::Edge,
        _ => PovertyStatus::NotRegistered,
    };
    s.dibao = rng.chance(50);
    s.tekun = rng.chance(5);
    s.orphan = rng.chance(3);
    s.martyr_child = rng.chance(1);
    s.disability = rng
        .chance(15)
        .then(|| Disability::ALL[(rng.next() % 7) as usize]);
    s.parent_disabled = rng.chance(20);
    s.left_behind = rng.chance(150);
    s.rural_hukou = rng.chance(600);
    s.agri_major = stage == Stage::Vocational && rng.chance(200);
    s.out_of_county = rng.chance(30);
    let boards = matches!(stage, Stage::Primary | Stage::Junior) && rng.chance(300);
    s.boarding = if s.out_of_county && rng.chance(200) {
        None
    } else {
        Some(boards)
    };
    s.enrollment_confirmed = if s.out_of_county && rng.chance(200) {
        None
    } else {
        Some(!rng.chance(5))
    };
    s.bank_account = match rng.next() % 100 {
        0 => None,
        1..=3 => Some(BankAccount::Missing),
        4 => Some(BankAccount::CheckFailed),
        _ => Some(BankAccount::Valid),
    };
    if stage == Stage::SeniorHigh && !(s.out_of_county && rng.chance(100)) {
        s.school_fee_per_term = Some(Fen::from_yuan(if school.is_multiple_of(5) {
            1000
        } else {
            800
        }));
    }
    if rng.chance(10) {
        s.recognition = Some(Recognition {
            level: Difficulty::ALL[(rng.next() % 4) as usize],
            reason: Arc::clone(reason),
        });
    }
    if stage == Stage::Higher && rng.chance(300) {
        const APPLIED: [i64; 6] = [500, 1000, 4000, 6000, 8000, 10000];
        s.loan_applied = Some(Fen::from_yuan(APPLIED[(rng.next() % 6) as usize]));
    }
    let mut nominated = Vec::new();
    if stage == Stage::Vocational && grade.year() >= 2 && rng.chance(10) {
        nominated.push(PolicyCode::new("VOC_SCHOLARSHIP").expect("code"));
    }
    if stage == Stage::Higher
        && grade.year() == 1
        && !matches!(s.poverty, PovertyStatus::NotRegistered)
        && rng.chance(100)
    {
        nominated.push(PolicyCode::new("FANHAI").expect("code"));
    }
    s.nominated = Codes::of(&nominated);
    s
}

fn b01(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

/// Appends one CSV row (with newline) for `s`.
fn write_row(out: &mut String, s: &StudentFacts) {
    let opt_bool = |b: Option<bool>| b.map_or("", b01);
    let (poverty, lifted) = match s.poverty {
        PovertyStatus::NotRegistered => ("非建档立卡", None),
        PovertyStatus::NotLifted => ("未脱贫", None),
        PovertyStatus::Lifted { year } => ("已脱贫", Some(year)),
        PovertyStatus::Edge => ("边缘户", None),
    };
    let nominated: Vec<&str> = s.nominated.as_slice().iter().map(|c| c.as_str()).collect();
    let _ = writeln!(
        out,
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        s.person.as_str(),
        s.school.as_str(),
        s.township.as_str(),
        s.school_type.label(),
        b01(s.special_school),
        s.school_fee_per_term
            .map_or(String::new(), |f| f.0.to_string()),
        s.stage().label(),
        s.grade.year(),
        opt_bool(s.boarding),
        b01(s.out_of_county),
        opt_bool(s.enrollment_confirmed),
        s.bank_account.map_or("", |b| b.label()),
        poverty,
        lifted.map_or(String::new(), |y| y.to_string()),
        b01(s.dibao),
        b01(s.tekun),
        b01(s.orphan),
        b01(s.martyr_child),
        s.disability.map_or("", |d| d.label()),
        b01(s.parent_disabled),
        b01(s.left_behind),
        b01(s.rural_hukou),
        b01(s.agri_major),
        s.recognition.as_ref().map_or("", |r| r.level.label()),
        s.loan_applied.map_or(String::new(), |f| f.0.to_string()),
        nominated.join("|"),
    );
}

fn write_facts_main(args: &[String]) {
    let path = args
        .first()
        .expect("usage: --write-facts FILE [N] [--seed S]");
    let mut n = 1_000_000usize;
    let mut seed = 0x2018_1124_0000_0001u64;
    let mut rest = args[1..].iter();
    while let Some(a) = rest.next() {
        if a == "--seed" {
            seed = rest
                .next()
                .and_then(|v| v.parse().ok())
                .expect("--seed needs a whole number");
        } else {
            n = parse_count(a);
        }
    }
    let term = Term::parse(FACTS_TERM).expect("term");
    let reason: Arc<str> = Arc::from("学校认定（班级评议、公示）");
    let t0 = Instant::now();
    let file = std::fs::File::create(path).expect("create facts file");
    let mut w = BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "{FACTS_HEADER}").expect("write");
    // Blocks of rows are generated and formatted in parallel, written in order.
    const BLOCK: usize = 1 << 16;
    let blocks: Vec<usize> = (0..n.div_ceil(BLOCK)).collect();
    for wave in blocks.chunks(8) {
        let texts: Vec<String> = wave
            .par_iter()
            .map(|&b| {
                let mut out = String::with_capacity(BLOCK * 160);
                for i in b * BLOCK..((b + 1) * BLOCK).min(n) {
                    write_row(&mut out, &csv_student(seed, i, n, term, &reason));
                }
                out
            })
            .collect();
        for t in texts {
            w.write_all(t.as_bytes()).expect("write");
        }
    }
    w.flush().expect("flush");
    println!(
        "写出 {n} 名学生（{FACTS_TERM}，种子 {seed}）到 {path}：{} ms",
        t0.elapsed().as_millis()
    );
}

fn parse_bool(field: &str, v: &str) -> Result<bool, String> {
    match v {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(format!("{field}：应为 1 或 0，实为 “{v}”")),
    }
}

fn parse_opt_bool(field: &str, v: &str) -> Result<Option<bool>, String> {
    if v.is_empty() {
        Ok(None)
    } else {
        parse_bool(field, v).map(Some)
    }
}

fn parse_opt_fen(field: &str, v: &str) -> Result<Option<Fen>, String> {
    if v.is_empty() {
        return Ok(None);
    }
    v.parse()
        .map(|f| Some(Fen(f)))
        .map_err(|_| format!("{field}：应为整数（分），实为 “{v}”"))
}

fn label_of<T: Copy>(
    field: &str,
    all: &[T],
    label: fn(&T) -> &'static str,
    v: &str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|x| label(x) == v)
        .ok_or_else(|| format!("{field}：无法识别 “{v}”"))
}

/// Parses one CSV row (without newline) into a student's facts.
fn parse_row(line: &str, term: Term, reason: &Arc<str>) -> Result<StudentFacts, String> {
    let mut f = [""; 26];
    let mut cols = 0;
    for (k, v) in line.split(',').enumerate() {
        if k < f.len() {
            f[k] = v;
        }
        cols = k + 1;
    }
    if cols != f.len() {
        return Err(format!("应有 {} 列，实有 {cols} 列", f.len()));
    }
    // The file holds the exact labels; `Stage::parse` also normalises text.
    let stage = label_of("stage", &Stage::ALL, Stage::label, f[6])?;
    let year: u8 = f[7].parse().map_err(|_| format!("grade：“{}”", f[7]))?;
    let grade = Grade::new(stage, year).map_err(|e| e.to_string())?;
    let key_err = |e: zizhu_policy::KeyError| e.to_string();
    let mut s = StudentFacts::new(
        PersonKey::new(f[0]).map_err(key_err)?,
        term,
        SchoolKey::new(f[1]).map_err(key_err)?,
        TownshipKey::new(f[2]).map_err(key_err)?,
        grade,
    );
    s.school_type = label_of("school_type", &SchoolType::ALL, SchoolType::label, f[3])?;
    s.special_school = parse_bool("special_school", f[4])?;
    s.school_fee_per_term = parse_opt_fen("school_fee_fen", f[5])?;
    s.boarding = parse_opt_bool("boarding", f[8])?;
    s.out_of_county = parse_bool("out_of_county", f[9])?;
    s.enrollment_confirmed = parse_opt_bool("enrolled", f[10])?;
    s.bank_account = if f[11].is_empty() {
        None
    } else {
        Some(label_of(
            "bank",
            &BankAccount::ALL,
            BankAccount::label,
            f[11],
        )?)
    };
    s.poverty = match (f[12], f[13]) {
        ("非建档立卡", _) => PovertyStatus::NotRegistered,
        ("未脱贫", _) => PovertyStatus::NotLifted,
        ("边缘户", _) => PovertyStatus::Edge,
        ("已脱贫", y) => PovertyStatus::Lifted {
            year: y.parse().map_err(|_| format!("lifted_year：“{y}”"))?,
        },
        (p, _) => return Err(format!("poverty：无法识别 “{p}”")),
    };
    s.dibao = parse_bool("dibao", f[14])?;
    s.tekun = parse_bool("tekun", f[15])?;
    s.orphan = parse_bool("orphan", f[16])?;
    s.martyr_child = parse_bool("martyr_child", f[17])?;
    s.disability = if f[18].is_empty() {
        None
    } else {
        Some(label_of(
            "disability",
            &Disability::ALL,
            Disability::label,
            f[18],
        )?)
    };
    s.parent_disabled = parse_bool("parent_disabled", f[19])?;
    s.left_behind = parse_bool("left_behind", f[20])?;
    s.rural_hukou = parse_bool("rural_hukou", f[21])?;
    s.agri_major = parse_bool("agri_major", f[22])?;
    if !f[23].is_empty() {
        s.recognition = Some(Recognition {
            level: label_of("recognition", &Difficulty::ALL, Difficulty::label, f[23])?,
            reason: Arc::clone(reason),
        });
    }
    s.loan_applied = parse_opt_fen("loan_applied_fen", f[24])?;
    if !f[25].is_empty() {
        let codes = f[25]
            .split('|')
            .map(PolicyCode::new)
            .collect::<Result<Vec<_>, _>>()
            .map_err(key_err)?;
        s.nominated = Codes::of(&codes);
    }
    Ok(s)
}

/// Loads the facts CSV: counts the rows first so the population is
/// allocated once at its final size, then parses blocks of lines in
/// parallel straight into it.
fn load_facts(path: &str, term: Term) -> Vec<StudentFacts> {
    let mut rows = 0usize;
    {
        let mut f = std::fs::File::open(path).expect("open facts file");
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let k = f.read(&mut buf).expect("read facts file");
            if k == 0 {
                break;
            }
            rows += buf[..k].iter().filter(|&&b| b == b'\n').count();
        }
    }
    let reason: Arc<str> = Arc::from("学校认定（班级评议、公示）");
    let mut students: Vec<StudentFacts> = Vec::with_capacity(rows.saturating_sub(1));
    let mut file = std::fs::File::open(path).expect("open facts file");
    // About 32 MiB of whole lines at a time; `carry` is the partial last line.
    let mut block: Vec<u8> = Vec::with_capacity((32 << 20) + (1 << 16));
    let mut carry: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 32 << 20];
    let mut line_no = 0usize;
    let mut header_seen = false;
    loop {
        let k = file.read(&mut buf).expect("read facts file");
        block.clear();
        block.append(&mut carry);
        block.extend_from_slice(&buf[..k]);
        if k > 0 {
            match block.iter().rposition(|&b| b == b'\n') {
                Some(end) => carry.extend_from_slice(&block[end + 1..]),
                None => {
                    carry.append(&mut block);
                    continue;
                }
            }
            let keep = block.len() - carry.len();
            block.truncate(keep);
        }
        if block.is_empty() {
            break;
        }
        let text = std::str::from_utf8(&block).expect("facts CSV is UTF-8");
        let mut lines: Vec<&str> = text.lines().collect();
        let mut first = line_no + 1;
        if !header_seen {
            assert_eq!(
                lines.first().copied(),
                Some(FACTS_HEADER),
                "facts CSV header differs"
            );
            lines.remove(0);
            header_seen = true;
            first += 1;
            line_no += 1;
        }
        let parsed: Vec<StudentFacts> = lines
            .par_iter()
            .enumerate()
            .map(|(k, l)| {
                parse_row(l, term, &reason)
                    .unwrap_or_else(|e| panic!("{path} 第 {} 行：{e}", first + k))
            })
            .collect();
        line_no += lines.len();
        students.extend(parsed);
        if k == 0 {
            break;
        }
    }
    students
}

fn facts_main(args: &[String]) {
    let path = args.first().expect("usage: --facts FILE");
    let set = PolicySet::hunan_2018();
    let term = Term::parse(FACTS_TERM).expect("term");

    let cpu0 = cpu_ms();
    let t0 = Instant::now();
    let students = load_facts(path, term);
    let n = students.len();
    println!(
        "load_ms\t{}\tcpu_ms\t{}\t{n} 名学生",
        t0.elapsed().as_millis(),
        cpu_ms().zip(cpu0).map_or(0, |(b, a)| b.saturating_sub(a))
    );

    let cpu0 = cpu_ms();
    let t1 = Instant::now();
    let result = zizhu_policy::entitle_owned(&set, term, students);
    let summary = summarize(&[&result], Dimension::Policy);
    println!(
        "entitle_ms\t{}\tcpu_ms\t{}\t{} 条资助记录（entitle_owned + summarize，{} 个线程）",
        t1.elapsed().as_millis(),
        cpu_ms().zip(cpu0).map_or(0, |(b, a)| b.saturating_sub(a)),
        result.entitlements.len(),
        rayon::current_num_threads()
    );
    for row in &summary.rows {
        println!("P\t{}\t{}\t{}", row.key, row.person_times, row.amount.0);
    }
    println!(
        "P\t合计\t{}\t{}",
        summary.total.person_times, summary.total.amount.0
    );
}
