//! Times `entitle` on N synthetic students (default 1,000,000) with the
//! shipped Hunan 2018 policies, and prints students per second.
//!
//! Run: `cargo run --release -p zizhu-policy --example bench_entitle -- 12000000`
//! (add `/usr/bin/time -v` in front for peak memory). This is a measurement
//! to run by hand, not a test.

use std::time::Instant;
use zizhu_core::{Fen, Grade, Stage, Term};
use zizhu_policy::{
    BankAccount, Dimension, PersonKey, PolicySet, PovertyStatus, SchoolKey, Sources, StudentFacts,
    TownshipKey, entitle, summarize,
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
