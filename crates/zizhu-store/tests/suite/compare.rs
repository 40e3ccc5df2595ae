//! The comparison ledger (migration 6): runs, links and exceptions written
//! through the audited path, idempotent puts, review decisions that keep
//! across re-runs, and reads filtered by the jurisdiction.

use super::*;

fn placement(school: Option<u32>, township: &str, class: Option<&str>) -> Placement {
    Placement {
        school_code: school.map(|s| school_code(s).as_str().to_string()),
        township_code: Some(township.into()),
        class_name: class.map(str::to_string),
    }
}

fn link(batch_id: i64, row_no: i64, row_person: i64, person: i64, p: Placement) -> LinkRecord {
    LinkRecord {
        term: term("2018秋"),
        batch_id,
        list_kind: "适龄儿童户籍名单".into(),
        file_name: "公安卫健-0至17岁人口名册.xlsx".into(),
        row_no,
        row_person_id: row_person,
        person_id: person,
        probability_ppm: 996_500,
        status: LinkStatus::AutoAccepted,
        explanation: r#"{"各项比较":[{"字段":"姓名","等级":"完全一致","权重":9.1}]}"#.into(),
        placement: p,
    }
}

fn run_record() -> NewCompareRun {
    NewCompareRun {
        term: term("2018秋"),
        started_at: now_utc(),
        auto_threshold_ppm: 990_000,
        review_threshold_ppm: 500_000,
        counts: CompareRunCounts {
            lists: 1,
            rows_compared: 2,
            exact: 1,
            links_auto: 1,
            links_review: 0,
            links_rejected: 0,
            exceptions: 1,
        },
        summary: "测试比对".into(),
    }
}

async fn entries(store: &Store, entity: &str) -> Vec<AuditEntry> {
    store
        .audit_log(
            &AuditFilter {
                entity: Some(entity.into()),
                ..AuditFilter::default()
            },
            1_000,
        )
        .await
        .expect("审计日志")
}

pub async fn compare_ledger_is_audited_idempotent_and_scoped(store: Store) {
    setup(&store).await;
    let t = term("2018秋");
    // Two schools in two townships, a student with an ID at each, and an
    // unresolved person (no ID) from a list row.
    let mut tx = store.begin_write(ctx(None)).await.expect("写事务");
    tx.upsert_school(&school(1, "431126100201"), None)
        .await
        .expect("学校1");
    tx.upsert_school(&school(2, "431126200201"), None)
        .await
        .expect("学校2");
    let a = tx
        .upsert_person(&person(Some(id(11)), "王芳"), None)
        .await
        .expect("甲")
        .id;
    let b = tx
        .upsert_person(&person(Some(id(23)), "李娜"), None)
        .await
        .expect("乙")
        .id;
    let u = tx
        .upsert_person(&person(None, "王芳"), None)
        .await
        .expect("待比对")
        .id;
    tx.upsert_enrollment(&enrollment(a, "2018秋", 1, 3), None)
        .await
        .expect("学籍");
    tx.upsert_enrollment(&enrollment(b, "2018秋", 2, 4), None)
        .await
        .expect("学籍");
    tx.commit().await.expect("提交");
    let before_registry = (state_of(&store, a).await, state_of(&store, u).await);

    let reg = store.compare_registry(&t).await.expect("读取登记信息");
    assert_eq!(reg.persons.len(), 3);
    assert_eq!(reg.enrollments.len(), 2);
    assert_eq!(reg.schools.len(), 2);

    // A run, a link and an exception.
    let mut tx = store.begin_write(ctx(None)).await.expect("写事务");
    let run = tx
        .record_compare_run(&run_record())
        .await
        .expect("比对记录");
    let l = link(
        7,
        12,
        u,
        a,
        placement(Some(1), "431126100", Some("3（1）班")),
    );
    let first = tx.put_compare_link(run, &l).await.expect("链接");
    assert_eq!(first.outcome, Outcome::Inserted);
    let far = link(
        7,
        13,
        u,
        b,
        placement(Some(2), "431126200", Some("4（1）班")),
    );
    let far_id = tx.put_compare_link(run, &far).await.expect("链接").id;
    let ex = ExceptionRecord {
        term: t,
        kind: ExceptionKind::SuspectedDropout,
        key: format!("人员:{u}"),
        person_id: Some(u),
        summary: "8 周岁，无学籍".into(),
        evidence: r#"{"名单":[{"文件":"公安卫健-0至17岁人口名册.xlsx","行":12}]}"#.into(),
        placement: Placement {
            school_code: None,
            township_code: Some("431126100".into()),
            class_name: None,
        },
    };
    let ex_id = tx.put_compare_exception(run, &ex).await.expect("异常").id;
    tx.commit().await.expect("提交");
    assert_eq!(entries(&store, "compare_runs").await.len(), 1);
    assert_eq!(entries(&store, "compare_links").await.len(), 2);
    assert_eq!(entries(&store, "compare_exceptions").await.len(), 1);
    let runs = store.compare_runs(&t, 10).await.expect("比对记录");
    assert_eq!(runs[0].run, run_record_with(&runs[0].run));
    assert_eq!(runs[0].actor, "县资助中心·李老师");

    // The same link and exception again: nothing written, nothing audited.
    let mut tx = store.begin_write(ctx(None)).await.expect("写事务");
    let run2 = tx
        .record_compare_run(&run_record())
        .await
        .expect("比对记录");
    assert_eq!(
        tx.put_compare_link(run2, &l).await.expect("链接").outcome,
        Outcome::Unchanged
    );
    assert_eq!(
        tx.put_compare_exception(run2, &ex)
            .await
            .expect("异常")
            .outcome,
        Outcome::Unchanged
    );
    tx.commit().await.expect("提交");
    assert_eq!(entries(&store, "compare_links").await.len(), 2);
    assert_eq!(entries(&store, "compare_exceptions").await.len(), 1);

    // A reviewer rejects; the decision is audited with actor and reason.
    let mut tx = store
        .begin_write(AuditContext {
            actor: "复核员甲".into(),
            reason: "复核比对链接".into(),
            batch_id: None,
        })
        .await
        .expect("写事务");
    assert!(
        tx.review_compare_link(first.id, false, "  ").await.is_err(),
        "a reason is required"
    );
    let decided = tx
        .review_compare_link(first.id, false, "出生日期不符")
        .await
        .expect("否决");
    tx.commit().await.expect("提交");
    assert_eq!(decided.record.status, LinkStatus::Rejected);
    assert_eq!(decided.reviewed_by.as_deref(), Some("复核员甲"));
    assert_eq!(decided.review_reason.as_deref(), Some("出生日期不符"));
    let audited = entries(&store, "compare_links").await;
    let last = audited.first().expect("审计");
    assert_eq!(last.actor, "复核员甲");
    assert_eq!(last.action, AuditAction::Update);

    // A later run proposing the same link with a new probability keeps the
    // decision; withdrawing a decided link changes nothing; an undecided
    // one becomes 已失效; an exception no longer found becomes 已消除.
    let mut tx = store.begin_write(ctx(None)).await.expect("写事务");
    let run3 = tx
        .record_compare_run(&run_record())
        .await
        .expect("比对记录");
    let mut again = l.clone();
    again.probability_ppm = 991_000;
    assert_eq!(
        tx.put_compare_link(run3, &again)
            .await
            .expect("链接")
            .outcome,
        Outcome::Updated
    );
    assert!(
        !tx.withdraw_compare_link(run3, first.id)
            .await
            .expect("失效")
    );
    assert!(tx.withdraw_compare_link(run3, far_id).await.expect("失效"));
    assert!(tx.clear_compare_exception(run3, ex_id).await.expect("消除"));
    tx.commit().await.expect("提交");
    let kept = store
        .compare_link(first.id, &Scope::All)
        .await
        .expect("读")
        .expect("有");
    assert_eq!(kept.record.status, LinkStatus::Rejected);
    assert_eq!(kept.record.probability_ppm, 991_000);
    assert_eq!(kept.reviewed_by.as_deref(), Some("复核员甲"));
    let gone = store
        .compare_link(far_id, &Scope::All)
        .await
        .expect("读")
        .expect("有");
    assert_eq!(gone.record.status, LinkStatus::Withdrawn);
    let mut tx = store.begin_write(ctx(None)).await.expect("写事务");
    assert!(
        tx.review_compare_link(far_id, true, "同一人")
            .await
            .is_err(),
        "已失效 cannot be decided"
    );
    drop(tx);
    assert!(
        store
            .compare_exceptions(&t, &Scope::All, None, false, 0, 100)
            .await
            .expect("异常")
            .is_empty()
    );
    let all = store
        .compare_exceptions(&t, &Scope::All, None, true, 0, 100)
        .await
        .expect("异常");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, ExceptionStatus::Cleared);
    // Re-opened by a run that finds it again.
    let mut tx = store.begin_write(ctx(None)).await.expect("写事务");
    let run4 = tx
        .record_compare_run(&run_record())
        .await
        .expect("比对记录");
    assert_eq!(
        tx.put_compare_exception(run4, &ex)
            .await
            .expect("异常")
            .outcome,
        Outcome::Updated
    );
    tx.commit().await.expect("提交");

    // Scope: each township and school sees its own links only.
    let links = |scope: Scope| {
        let store = store.clone();
        async move {
            store
                .compare_links(&t, &scope, &LinkFilter::default(), 0, 100)
                .await
                .expect("链接")
                .into_iter()
                .map(|l| l.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(links(Scope::All).await, vec![first.id, far_id]);
    assert_eq!(
        links(Scope::Township("431126100".into())).await,
        vec![first.id]
    );
    assert_eq!(
        links(Scope::Township("431126200".into())).await,
        vec![far_id]
    );
    assert_eq!(
        links(Scope::School(school_code(2).as_str().into())).await,
        vec![far_id]
    );
    assert_eq!(
        links(Scope::Classes {
            school: school_code(1).as_str().into(),
            classes: vec!["9（9）班".into()],
        })
        .await,
        Vec::<i64>::new()
    );
    assert!(
        store
            .compare_link(first.id, &Scope::Township("431126200".into()))
            .await
            .expect("读")
            .is_none()
    );
    assert!(
        store
            .compare_links(
                &t,
                &Scope::Township("12".into()),
                &LinkFilter::default(),
                0,
                10
            )
            .await
            .is_err()
    );
    let only_rejected = store
        .compare_links(
            &t,
            &Scope::All,
            &LinkFilter {
                status: Some(LinkStatus::Rejected),
                batch_id: None,
            },
            0,
            100,
        )
        .await
        .expect("链接");
    assert_eq!(only_rejected.len(), 1);
    // An out-of-school child has no school: a school never sees it, its
    // township does.
    let seen = |scope: Scope| {
        let store = store.clone();
        async move {
            store
                .compare_exceptions(
                    &t,
                    &scope,
                    Some(ExceptionKind::SuspectedDropout),
                    false,
                    0,
                    100,
                )
                .await
                .expect("异常")
                .len()
        }
    };
    assert_eq!(seen(Scope::Township("431126100".into())).await, 1);
    assert_eq!(seen(Scope::Township("431126200".into())).await, 0);
    assert_eq!(seen(Scope::School(school_code(1).as_str().into())).await, 0);
    // The dashboard's count agrees with the list in every scope.
    for scope in [
        Scope::All,
        Scope::Township("431126100".into()),
        Scope::Township("431126200".into()),
        Scope::School(school_code(1).as_str().into()),
    ] {
        let n = store
            .count_compare_exceptions(&t, &scope, ExceptionKind::SuspectedDropout)
            .await
            .expect("计数");
        assert_eq!(
            usize::try_from(n).expect("非负"),
            seen(scope.clone()).await,
            "{scope:?}"
        );
        // The dashboard reads it through the registry-version cache.
        let cached = store
            .count_compare_exceptions_cached(&t, &scope, ExceptionKind::SuspectedDropout)
            .await
            .expect("计数");
        assert_eq!(cached, n, "{scope:?} cached");
    }
    assert_eq!(
        store
            .count_compare_exceptions(&t, &Scope::All, ExceptionKind::SuspectedDropout)
            .await
            .expect("计数"),
        1
    );

    // The linker's ledger never touched the registry.
    assert_eq!(
        (state_of(&store, a).await, state_of(&store, u).await),
        before_registry
    );
}

fn run_record_with(stored: &NewCompareRun) -> NewCompareRun {
    NewCompareRun {
        started_at: stored.started_at.clone(),
        ..run_record()
    }
}
