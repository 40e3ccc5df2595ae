//! `compare_term` on a small generated county (zizhu-gen, 2,000 students,
//! seed 11), imported through the real import pipeline into SQLite: the
//! 疑似失学辍学 list against the generator's truth (`out_of_school.csv`),
//! idempotence, review decisions that are audited and survive a re-run,
//! and jurisdiction filtering on reads.
//!
//! The county is imported once and every check runs on it in order, so
//! that the suite stays fast.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use zizhu_app::{CompareOptions, compare_term, exception_lines, review_link, review_queue};
use zizhu_core::{Season, Term};
use zizhu_io::{ImportOptions, ListKind, import_file};
use zizhu_store::{AuditFilter, ExceptionKind, LinkFilter, LinkStatus, Scope, Store};

const FILES: &[(&str, ListKind)] = &[
    ("统计局-行政区划", ListKind::Regions),
    ("教育局-学校名册", ListKind::Schools),
    ("扶贫办-建档立卡贫困户", ListKind::Households),
    ("扶贫办-建档立卡贫困人口", ListKind::Households),
    ("教育局-学籍名册", ListKind::Roster),
    ("残联-持证残疾儿童少年名册", ListKind::Disabled),
    ("民政局-低保对象名册", ListKind::Welfare),
    ("民政局-特困供养人员名册", ListKind::Welfare),
    ("民政局-孤儿名册", ListKind::Welfare),
    ("公安卫健-0至17岁人口名册", ListKind::Population),
    ("资助中心-资助卡账户名册", ListKind::Accounts),
];

fn term() -> Term {
    Term::new(2018, Season::Autumn)
}

async fn load_county(store: &Store, dir: &Path) {
    let config = zizhu_gen::GenConfig {
        students: 2_000,
        seed: 11,
        format: zizhu_gen::Format::Csv,
        ..zizhu_gen::GenConfig::default()
    };
    zizhu_gen::generate(&config, dir).expect("生成虚拟县");
    let mut opts = ImportOptions::new("测试");
    opts.term = Some(term());
    opts.report_dir = Some(dir.join("退回"));
    std::fs::create_dir_all(dir.join("退回")).expect("退回目录");
    for (stem, kind) in FILES {
        let path = dir.join(format!("{stem}.csv"));
        match import_file(store, *kind, &path, &opts).await {
            Ok(_) | Err(zizhu_io::ImportError::NoData { .. }) => {}
            Err(e) => panic!("导入 {stem} 失败：{e}"),
        }
    }
    zizhu_app::entitle_term(
        store,
        term(),
        &zizhu_policy::PolicySet::hunan_2018(),
        &zizhu_app::EntitleOptions {
            dry_run: false,
            actor: "测试".into(),
        },
    )
    .await
    .expect("计算资助");
}

/// (id number, name + birth date) of the truth's out-of-school children.
fn truth_out_of_school(dir: &Path) -> (HashSet<String>, HashSet<(String, String)>) {
    let mut r = csv::Reader::from_path(dir.join("truth").join("out_of_school.csv")).expect("真值");
    let h = r.headers().expect("表头").clone();
    let at = |n: &str| h.iter().position(|x| x == n).expect(n);
    let (id, name, birth) = (at("id_number"), at("name"), at("birth_date"));
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for rec in r.records() {
        let rec = rec.expect("记录");
        ids.insert(rec[id].to_string());
        names.insert((rec[name].to_string(), rec[birth].to_string()));
    }
    (ids, names)
}

/// Audit entries of the comparison's own tables.
async fn audit_count(store: &Store) -> usize {
    let mut n = 0;
    for entity in ["compare_runs", "compare_links", "compare_exceptions"] {
        let filter = AuditFilter {
            entity: Some(entity.into()),
            ..AuditFilter::default()
        };
        n += store
            .audit_log(&filter, 10_000_000)
            .await
            .expect("审计日志")
            .len();
    }
    n
}

#[tokio::test]
async fn compare_on_a_generated_county() {
    let dir = tempfile::tempdir().expect("临时目录");
    let db = dir.path().join("county.db");
    let store = Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("打开数据库");
    store.migrate().await.expect("建表");
    let lists = dir.path().join("名单");
    load_county(&store, &lists).await;

    // 1. The first run.
    let opts = CompareOptions::new("比对员");
    let report = compare_term(&store, term(), &opts).await.expect("比对");
    let text = report.to_string();
    println!("{text}");
    assert!(report.run_id.is_some(), "{text}");
    assert!(text.contains("疑似失学辍学"), "{text}");
    assert!(
        report.lists.len() >= 8,
        "each person list is compared: {text}"
    );

    // 2. 疑似失学辍学 against the truth. Floors: every out-of-school
    // child of compulsory age is in the population list, so recall must be
    // near complete; precision is bounded by enrolled children whose
    // population row lost its ID number and who the linker cannot place
    // (rare at the generator's error rates).
    let (truth_ids, truth_names) = truth_out_of_school(&lists);
    let lines = exception_lines(
        &store,
        term(),
        &Scope::All,
        Some(ExceptionKind::SuspectedDropout),
        true,
    )
    .await
    .expect("异常名单");
    let mut hits = 0usize;
    let mut found_ids = HashSet::new();
    for l in &lines {
        let person = store
            .get_person(l.exception.record.person_id.expect("人员"))
            .await
            .expect("人员")
            .expect("存在");
        let id = person.record.id_number.map(|i| i.as_str().to_string());
        let name_birth = (
            person.record.name.original().to_string(),
            person
                .record
                .birth_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
        );
        let hit = match &id {
            Some(i) => truth_ids.contains(i),
            None => truth_names.contains(&name_birth),
        };
        if hit {
            hits += 1;
        }
        if let Some(i) = id {
            found_ids.insert(i);
        }
    }
    let precision = hits as f64 / lines.len().max(1) as f64;
    let recall = hits as f64 / truth_ids.len().max(1) as f64;
    println!(
        "疑似失学辍学：系统 {}，真值 {}，命中 {hits}，准确率 {precision:.3}，召回率 {recall:.3}",
        lines.len(),
        truth_ids.len()
    );
    assert!(
        !truth_ids.is_empty(),
        "the county has out-of-school children"
    );
    assert!(recall >= 0.95, "recall {recall:.3} below 0.95");
    assert!(precision >= 0.90, "precision {precision:.3} below 0.90");
    // Every line carries its evidence: the list rows and the age.
    for l in &lines {
        let ev: serde_json::Value =
            serde_json::from_str(&l.exception.record.evidence).expect("证据是 JSON");
        assert!(ev["名单"].as_array().is_some_and(|a| !a.is_empty()), "{ev}");
        let age = ev["年龄"].as_i64().expect("年龄");
        assert!((6..=14).contains(&age), "{ev}");
    }

    // 3. Masked by default.
    let masked = exception_lines(
        &store,
        term(),
        &Scope::All,
        Some(ExceptionKind::SuspectedDropout),
        false,
    )
    .await
    .expect("异常名单");
    for l in &masked {
        assert!(
            l.id_number.is_empty() || l.id_number.contains('*'),
            "{}",
            l.id_number
        );
    }

    // 4. A re-run over unchanged data changes nothing but adds its run row.
    let before = audit_count(&store).await;
    let again = compare_term(&store, term(), &opts).await.expect("再次比对");
    let w = &again.writes;
    assert_eq!(
        (
            w.links_added,
            w.links_changed,
            w.links_withdrawn,
            w.exceptions_added,
            w.exceptions_changed,
            w.exceptions_cleared
        ),
        (0, 0, 0, 0, 0, 0),
        "{again}"
    );
    assert_eq!(audit_count(&store).await, before + 1, "only the run row");
    assert_eq!(again.exceptions, report.exceptions);

    // 5. Review: a decision is audited with actor and reason, and survives
    // a re-run.
    let links = store
        .compare_links(&term(), &Scope::All, &LinkFilter::default(), 0, 100_000)
        .await
        .expect("链接");
    assert!(!links.is_empty(), "rows without an ID number get linked");
    let target = links
        .iter()
        .find(|l| l.record.status == LinkStatus::NeedsReview)
        .or_else(|| links.first())
        .expect("a link");
    let decided = review_link(
        &store,
        &Scope::All,
        target.id,
        false,
        "复核员甲",
        "出生日期不符",
    )
    .await
    .expect("否决");
    assert_eq!(decided.record.status, LinkStatus::Rejected);
    assert_eq!(decided.reviewed_by.as_deref(), Some("复核员甲"));
    let history = store
        .audit_log(
            &AuditFilter {
                entity: Some("compare_links".into()),
                entity_key: Some(target.id.to_string()),
                ..AuditFilter::default()
            },
            1_000,
        )
        .await
        .expect("审计");
    let entry = history
        .iter()
        .find(|e| {
            e.entity == "compare_links"
                && e.entity_key == target.id.to_string()
                && e.actor == "复核员甲"
        })
        .expect("the decision is audited");
    assert!(entry.reason.contains("出生日期不符"), "{}", entry.reason);
    // A reason is required.
    assert!(
        review_link(&store, &Scope::All, target.id, true, "复核员甲", "  ")
            .await
            .is_err()
    );
    let third = compare_term(&store, term(), &opts)
        .await
        .expect("第三次比对");
    let after = store
        .compare_link(target.id, &Scope::All)
        .await
        .expect("读取")
        .expect("存在");
    assert_eq!(after.record.status, LinkStatus::Rejected, "{third}");
    assert_eq!(after.reviewed_by.as_deref(), Some("复核员甲"));
    // The rejected link no longer joins its two persons.
    let queue = review_queue(&store, term(), &Scope::All, 1_000)
        .await
        .expect("复核队列");
    assert!(queue.iter().all(|l| l.id != target.id));

    // 6. Jurisdiction: a township sees only its own rows, a school only
    // its own, and a link outside the scope is not found.
    let all = store
        .compare_exceptions(&term(), &Scope::All, None, false, 0, 100_000)
        .await
        .expect("全部");
    let mut by_township: HashMap<String, usize> = HashMap::new();
    for e in &all {
        if let Some(t) = &e.record.placement.township_code {
            *by_township.entry(t.clone()).or_default() += 1;
        }
    }
    let (township, n) = by_township
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(t, n)| (t.clone(), *n))
        .expect("exceptions have townships");
    let seen = store
        .compare_exceptions(
            &term(),
            &Scope::Township(township.clone()),
            None,
            false,
            0,
            100_000,
        )
        .await
        .expect("乡镇");
    assert_eq!(seen.len(), n);
    assert!(
        seen.len() < all.len(),
        "a township sees less than the county"
    );
    assert!(
        seen.iter()
            .all(|e| e.record.placement.township_code.as_deref() == Some(township.as_str()))
    );
    let outside = links
        .iter()
        .find(|l| l.record.placement.township_code.as_deref() != Some(township.as_str()))
        .expect("a link elsewhere");
    assert!(
        store
            .compare_link(outside.id, &Scope::Township(township.clone()))
            .await
            .expect("读取")
            .is_none()
    );
    assert!(matches!(
        review_link(
            &store,
            &Scope::Township(township),
            outside.id,
            true,
            "乡镇",
            "同一人"
        )
        .await,
        Err(zizhu_app::AppError::LinkNotFound { .. })
    ));

    // 7. Registry changes the comparison must notice (made through the
    // audited write path, as a school officer's correction would be): a
    // 县外就读 enrollment that loses its receiving school, and the child a
    // roster row without an ID number was confirmed to be, enrolled a
    // second time at another school.
    let reg = store.compare_registry(&term()).await.expect("登记信息");
    let away = reg
        .enrollments
        .iter()
        .find(|e| e.record.out_of_county)
        .expect("the county has 县外就读 students")
        .clone();
    let confirmed = links
        .iter()
        .find(|l| {
            l.id != target.id
                && l.record.status == LinkStatus::AutoAccepted
                && l.record.list_kind == "学籍名单"
                && !reg
                    .enrollments
                    .iter()
                    .any(|e| e.record.person_id == l.record.person_id)
        })
        .expect("a roster row without an ID number confirmed to a registry person")
        .clone();
    let twin_school = reg
        .enrollments
        .iter()
        .find(|e| e.record.person_id == confirmed.record.row_person_id)
        .expect("the roster row's own enrollment")
        .clone();
    let mut tx = store
        .begin_write(zizhu_store::AuditContext {
            actor: "测试".into(),
            reason: "模拟学校更正".into(),
            batch_id: None,
        })
        .await
        .expect("写事务");
    let mut lost = away.record.clone();
    lost.school_code = None;
    lost.out_of_county_place = None;
    tx.upsert_enrollment(&lost, None).await.expect("学籍");
    let mut second = twin_school.record.clone();
    second.person_id = confirmed.record.person_id;
    tx.upsert_enrollment(&second, None).await.expect("学籍");
    tx.commit().await.expect("提交");
    let fourth = compare_term(&store, term(), &opts)
        .await
        .expect("第四次比对");
    println!("{fourth}");
    let found = |kind: ExceptionKind| {
        fourth
            .found
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect::<Vec<_>>()
    };
    let missing = found(ExceptionKind::OutOfCountyMissing);
    let m = missing
        .iter()
        .find(|e| e.person_id == Some(away.record.person_id))
        .expect("县外就读信息缺失 for the changed enrollment");
    assert!(m.summary.contains("就读学校标识码"), "{}", m.summary);
    assert!(m.evidence.contains("就读地点"), "{}", m.evidence);
    let dup = found(ExceptionKind::Duplicate);
    let d = dup
        .iter()
        .find(|e| {
            e.key.ends_with(":重复学籍")
                && e.evidence
                    .contains(&format!("\"人员\":{}", confirmed.record.row_person_id))
        })
        .unwrap_or_else(|| panic!("重复享受 for the child enrolled twice: {dup:?}"));
    assert!(d.summary.contains("2 条学籍"), "{}", d.summary);
    assert!(fourth.writes.exceptions_added >= 2, "{fourth}");

    // 8. 不应享而享: a student with a payable entitlement transfers out;
    // the next computation revokes it and the comparison lists it.
    let payable = store
        .entitlements(&term(), &Scope::All, 0, 100_000)
        .await
        .expect("资助记录")
        .into_iter()
        .find(|e| {
            e.record.status == zizhu_store::EntitlementStatus::Payable
                && e.record.person_id != away.record.person_id
                && e.record.person_id != confirmed.record.person_id
        })
        .expect("a payable entitlement");
    let moved = reg
        .enrollments
        .iter()
        .find(|e| e.record.person_id == payable.record.person_id)
        .expect("the entitled student's enrollment")
        .clone();
    let mut tx = store
        .begin_write(zizhu_store::AuditContext {
            actor: "测试".into(),
            reason: "模拟转学".into(),
            batch_id: None,
        })
        .await
        .expect("写事务");
    let mut out = moved.record.clone();
    out.status = zizhu_store::EnrollmentStatus::TransferredOut;
    tx.upsert_enrollment(&out, None).await.expect("学籍");
    tx.commit().await.expect("提交");
    zizhu_app::entitle_term(
        &store,
        term(),
        &zizhu_policy::PolicySet::hunan_2018(),
        &zizhu_app::EntitleOptions {
            dry_run: false,
            actor: "测试".into(),
        },
    )
    .await
    .expect("重新计算资助");
    let fifth = compare_term(&store, term(), &opts)
        .await
        .expect("第五次比对");

    // 9. The evidence of each of the five kinds as a county official reads
    // it: Chinese sentences, no JSON, personal data masked unless full.
    let of_kind = |kind: ExceptionKind| {
        fifth
            .found
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect::<Vec<_>>()
    };
    let render = |e: zizhu_store::ExceptionRecord, full: bool| {
        let store = &store;
        async move {
            zizhu_app::render_evidence(store, &e, full)
                .await
                .expect("依据")
        }
    };
    let plain = |t: &str| {
        assert!(
            !t.contains('{') && !t.contains('[') && !t.contains('"'),
            "no JSON: {t}"
        );
        assert!(!t.is_empty());
    };
    let id_of = |p: i64| {
        let reg = &reg;
        reg.persons
            .iter()
            .find(|x| x.id == p)
            .and_then(|x| x.record.id_number.as_ref().map(|i| i.as_str().to_string()))
    };

    // 疑似失学辍学: the 学籍 system, the age, the lists and rows, the
    // person with birth year and household.
    let dropouts = of_kind(ExceptionKind::SuspectedDropout);
    let with_id = dropouts
        .iter()
        .find(|e| e.person_id.and_then(id_of).is_some() && e.evidence.contains("户籍名单"))
        .expect("a suspected dropout with an ID number on the population list")
        .clone();
    let t = render(with_id.clone(), false).await;
    plain(&t);
    assert!(t.contains("学籍系统 2018秋 无在读记录"), "{t}");
    assert!(
        t.contains("；2018年8月31日时 ") && t.contains(" 周岁；"),
        "{t}"
    );
    assert!(
        t.contains("；见于") && t.contains("适龄儿童户籍名单（"),
        "{t}"
    );
    assert!(t.contains(" 第 ") && t.contains(" 行"), "{t}");
    let full_id = id_of(with_id.person_id.unwrap()).unwrap();
    let birth_year = &full_id[6..10];
    assert!(t.contains(&format!("出生于{birth_year}年")), "{t}");
    assert!(!t.contains(&full_id), "masked: {t}");
    assert!(
        t.contains(&zizhu_core::mask::mask_id(&full_id)),
        "the ID number as the column shows it: {t}"
    );
    let t = render(with_id.clone(), true).await;
    assert!(t.contains(&full_id), "full: {t}");
    // A child of a 建档立卡 household: the village and the head.
    let in_household = {
        let mut found = None;
        for e in &dropouts {
            let t = render(e.clone(), false).await;
            if t.contains("建档立卡户（") {
                found = Some(t);
                break;
            }
        }
        found.expect("a suspected dropout of a registered household")
    };
    assert!(in_household.contains("户籍在"), "{in_household}");
    assert!(
        in_household.contains("，户主") || in_household.contains("本人为户主"),
        "{in_household}"
    );

    // 应享未享: the computation's blocked entitlement, in 元 with its cause.
    let gaps = of_kind(ExceptionKind::EntitledNotPaid);
    let blocked = gaps
        .iter()
        .find(|e| e.evidence.contains("资助计算"))
        .expect("a blocked entitlement")
        .clone();
    let t = render(blocked, false).await;
    plain(&t);
    assert!(t.starts_with("资助计算：应享"), "{t}");
    assert!(
        t.contains(" 元，状态受阻") && t.contains("原因类别："),
        "{t}"
    );
    assert!(
        t.contains(".00 元") || t.contains(".50 元"),
        "money in 元 with two decimals: {t}"
    );

    // 不应享而享: the revoked entitlement of the student who transferred.
    let revoked = of_kind(ExceptionKind::PaidNotEntitled)
        .into_iter()
        .find(|e| e.person_id == Some(payable.record.person_id))
        .expect("不应享而享 for the transferred student");
    let t = render(revoked, false).await;
    plain(&t);
    assert!(
        t.contains(&format!(
            "资助名单曾列入{}（{} 元），最新一次资助计算已取消",
            payable.record.policy_name,
            payable.record.amount.fmt_yuan()
        )),
        "{t}"
    );

    // 重复享受: both enrollments, with the school's name.
    let dup = of_kind(ExceptionKind::Duplicate)
        .into_iter()
        .find(|e| e.key == d.key)
        .expect("重复学籍 still found");
    let t = render(dup, false).await;
    plain(&t);
    assert!(t.contains("比对认定为同一人，2018秋 有 2 条学籍："), "{t}");
    let school = store
        .get_school(twin_school.record.school_code.as_ref().unwrap())
        .await
        .expect("学校")
        .expect("the school exists");
    assert!(t.contains(&school.record.name), "{t}");
    assert!(
        !t.contains(twin_school.record.school_code.as_ref().unwrap().as_str()),
        "{t}"
    );

    // 县外就读信息缺失: what is missing and whether money can reach them.
    let m = of_kind(ExceptionKind::OutOfCountyMissing)
        .into_iter()
        .find(|e| e.person_id == Some(away.record.person_id))
        .expect("县外就读信息缺失 still found");
    let t = render(m, false).await;
    plain(&t);
    assert!(
        t.starts_with("学籍登记为县外就读，缺少就读学校标识码、就读地点；"),
        "{t}"
    );
    assert!(t.contains("有效银行账户"), "{t}");

    // The export's 依据 column is the same text.
    let lines = exception_lines(
        &store,
        term(),
        &Scope::All,
        Some(ExceptionKind::OutOfCountyMissing),
        false,
    )
    .await
    .expect("异常名单");
    let line = lines
        .iter()
        .find(|l| l.exception.record.person_id == Some(away.record.person_id))
        .expect("the stored exception");
    assert_eq!(
        line.evidence,
        render(line.exception.record.clone(), false).await
    );
    store.close().await;
}
