//! Times `entitle_term` on a synthetic county seeded through the store's
//! audited API (the way imports write), on SQLite or PostgreSQL.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target-app cargo run --release -p zizhu-app \
//!     --example bench_entitle -- 150000 [DATABASE_URL]
//! ```
//!
//! Without a URL a temporary SQLite file is used. The county has 20
//! townships, 300 schools, one household per 2.5 students of which one in
//! five is 建档立卡 (a third of those lifted in 2017 or 2018), 3% of
//! students without a bank account and 2% studying outside the county.
//! It prints the seeding time, then a first run (everything new), an
//! unchanged recomputation, and a dry run, with peak memory.

use std::time::Instant;
use zizhu_app::{EntitleOptions, entitle_term};
use zizhu_core::{
    BankCard, Date, Grade, IdNumber, PersonName, RegionCode, SchoolCode, Stage, Term,
};
use zizhu_policy::PolicySet;
use zizhu_store::*;

type Error = Box<dyn std::error::Error>;

fn card(n: u64) -> Result<BankCard, Error> {
    let payload = format!("622848{n:012}");
    let sum: u32 = payload
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap_or(0);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    Ok(BankCard::parse(&format!(
        "{payload}{}",
        (10 - sum % 10) % 10
    ))?)
}

/// A deterministic pseudo-random number, so runs are comparable.
fn mix(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 11
}

fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(Ok(150_000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let url = args
        .next()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.path().display()));
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let term = Term::parse("2018秋")?;

    // A database seeded by an earlier run is reused as it is.
    if store.count_enrollments(&term, &Scope::All).await? == 0 {
        seed(&store, term, n).await?;
    }
    run(&store, term).await?;
    if let Some(mib) = peak_memory_mib() {
        println!("peak memory: {mib} MiB");
    }
    store.close().await;
    Ok(())
}

/// Seeds `n` students through the audited API.
async fn seed(store: &Store, term: Term, n: u64) -> Result<(), Error> {
    let ctx = |reason: &str, batch_id| AuditContext {
        actor: "基准测试".into(),
        reason: reason.into(),
        batch_id,
    };
    let t = Instant::now();
    let stages = [
        (Stage::Preschool, "11", 3u8),
        (Stage::Primary, "21", 6),
        (Stage::Junior, "31", 3),
        (Stage::SeniorHigh, "34", 3),
        (Stage::Vocational, "36", 3),
    ];
    let mut schools = Vec::new();
    let mut tx = store.begin_write(ctx("登记学校", None)).await?;
    for i in 0..300u32 {
        let (stage, prefix, _) = stages[(i % 5) as usize];
        let township = 100 + i % 20;
        let code = SchoolCode::parse(&format!("{prefix}43{i:06}"))?;
        tx.upsert_school(
            &SchoolRecord {
                code: code.clone(),
                name: format!("基准学校{i}"),
                region_code: RegionCode::parse(&format!("431126{township}201"))?,
                is_public: true,
                stages: vec![stage],
            },
            None,
        )
        .await?;
        schools.push((code, stage, township));
    }
    tx.commit().await?;

    let mut tx = store.begin_write(ctx("导入名单", None)).await?;
    let batch = tx
        .create_batch(&NewBatch {
            kind: "学生名单".into(),
            file_name: "基准学生名单.xlsx".into(),
            sheet: Some("学籍".into()),
            sha256: "0".repeat(64),
        })
        .await?;
    tx.commit().await?;
    let households = n * 2 / 5 + 1;
    let chunk = 5_000;
    let mut start = 0;
    while start < n {
        let mut tx = store.begin_write(ctx("导入名单", Some(batch))).await?;
        for i in start..(start + chunk).min(n) {
            let h = i % households;
            let (code, stage, township) = &schools[(mix(i) % 300) as usize];
            let poor = mix(h + 7).is_multiple_of(5);
            let lifted = poor && mix(h + 11).is_multiple_of(3);
            let household = tx
                .upsert_household(
                    &HouseholdRecord {
                        household_no: format!("H{h:08}"),
                        region_code: RegionCode::parse(&format!("431126{township}201"))?,
                        head_id_number: None,
                        poverty_status: match (poor, lifted) {
                            (true, false) => PovertyStatus::NotLifted,
                            (true, true) => PovertyStatus::Lifted,
                            _ => PovertyStatus::NotRegistered,
                        },
                        lifted_year: lifted.then_some(2017 + (h % 2) as i32),
                        dibao: mix(h + 13).is_multiple_of(20),
                        tekun: false,
                        cause: None,
                        income_per_capita: None,
                    },
                    Some(i as i64 + 2),
                )
                .await?;
            let birth = Date::from_days_since_epoch(11_000 + (i / 900) as i64);
            let person = tx
                .upsert_person(
                    &PersonRecord {
                        id_number: Some(IdNumber::from_parts(
                            "431126",
                            birth,
                            (i % 900) as u16 + 1,
                        )?),
                        name: PersonName::parse("张三")?,
                        sex: None,
                        birth_date: Some(birth),
                        ethnicity: None,
                        disability_category: None,
                        disability_level: None,
                        orphan: false,
                        left_behind: false,
                        martyr_child: false,
                        address: None,
                    },
                    Some(i as i64 + 2),
                )
                .await?;
            tx.set_person_household(person.id, Some(household.id), Some(i as i64 + 2))
                .await?;
            let grades = stages.iter().find(|s| s.0 == *stage).map_or(1, |s| s.2);
            let out = mix(i + 3).is_multiple_of(50);
            tx.upsert_enrollment(
                &EnrollmentRecord {
                    person_id: person.id,
                    term,
                    school_code: (!out).then(|| code.clone()),
                    grade: Grade::new(*stage, 1 + (mix(i + 5) % u64::from(grades)) as u8)?,
                    class_name: Some("1班".into()),
                    boarding: mix(i + 17).is_multiple_of(3),
                    status: EnrollmentStatus::Studying,
                    out_of_county: out,
                    out_of_county_place: None,
                    student_no: None,
                },
                Some(i as i64 + 2),
            )
            .await?;
            if !mix(i + 19).is_multiple_of(33) {
                tx.set_bank_account(
                    &BankAccountRecord {
                        person_id: person.id,
                        kind: AccountKind::AidCard,
                        bank_name: "宁远县农村信用合作联社".into(),
                        account_no: card(i)?,
                        holder_name: "张三".into(),
                        holder_relation: None,
                        valid_from: Date::parse("2018-09-01")?,
                    },
                    Some(i as i64 + 2),
                )
                .await?;
            }
        }
        tx.commit().await?;
        start += chunk;
    }
    println!(
        "seeded {n} students through the audited API in {:.1} s ({})",
        t.elapsed().as_secs_f64(),
        store.backend().name()
    );
    Ok(())
}

/// A first run, an unchanged recomputation and a dry run.
async fn run(store: &Store, term: Term) -> Result<(), Error> {
    let set = PolicySet::hunan_2018();
    let opts = |dry_run| EntitleOptions {
        dry_run,
        actor: "基准测试".into(),
    };
    for (label, dry) in [
        ("first run (all new)", false),
        ("unchanged recomputation", false),
        ("dry run", true),
    ] {
        let t = Instant::now();
        let r = entitle_term(store, term, &set, &opts(dry)).await?;
        println!(
            "{label}: {:.2} s total (read {:.2}, compute {:.2}, write {:.2}); {} students, {} entitlements, {} changes, {} rows written; payable {} 人次 {} 元",
            t.elapsed().as_secs_f64(),
            r.timings.read.as_secs_f64(),
            r.timings.compute.as_secs_f64(),
            r.timings.write.as_secs_f64(),
            r.students,
            r.entitlements,
            r.changes.len(),
            r.written,
            r.summary.total.person_times,
            r.summary.total.amount.fmt_yuan_grouped()
        );
    }
    Ok(())
}
