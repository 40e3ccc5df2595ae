//! The bulk write path (`*_bulk`): the same rows, outcomes and audit
//! entries as the per-row path, duplicates inside one chunk, and an exact
//! rollback of a batch written in bulk.

use super::*;
use serde_json::Value;

fn guardian(person_id: i64, name: &str, phone: &str) -> GuardianRecord {
    GuardianRecord {
        person_id,
        name: PersonName::parse(name).expect("合法姓名"),
        relation: "父亲".into(),
        id_number: None,
        phone: Some(Phone::parse(phone).expect("合法电话")),
    }
}

/// An audit entry with the ids that differ between two runs taken out.
fn normalized(e: &AuditEntry) -> (String, String, Option<Value>, Option<Value>, Option<i64>) {
    fn strip(v: &Option<Value>) -> Option<Value> {
        v.clone().map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                for k in ["id", "person_id", "id_number"] {
                    o.remove(k);
                }
            }
            v
        })
    }
    (
        e.action.label().to_string(),
        e.entity.clone(),
        strip(&e.before),
        strip(&e.after),
        e.source_row,
    )
}

/// Runs the same two imports through the per-row methods or the bulk ones,
/// with ID numbers from `base`; returns the outcomes and the audit entries.
async fn scenario(store: &Store, base: u16, bulk: bool) -> (Vec<Outcome>, Vec<AuditEntry>) {
    let before = audit_count(store).await;
    let mut outcomes = Vec::new();
    let p = |n: u16, address: &str| {
        let mut r = person(Some(id(base + n)), "张小红");
        r.address = Some(address.into());
        r
    };
    let rounds = [
        vec![
            p(1, "舜陵街道"),
            p(2, "舜陵街道"),
            p(3, "舜陵街道"),
            person(None, "无证号"),
        ],
        vec![
            p(1, "舜陵街道"),
            p(2, "湾井镇"),
            p(3, "舜陵街道"),
            p(4, "舜陵街道"),
        ],
    ];
    for (round, persons) in rounds.iter().enumerate() {
        let mut tx = store.begin_write(ctx(None)).await.unwrap();
        let rows: Vec<(PersonRecord, Option<i64>)> = persons
            .iter()
            .enumerate()
            .map(|(i, r)| (r.clone(), Some(i as i64 + 2)))
            .collect();
        let ups = if bulk {
            tx.upsert_persons_bulk(&rows).await.unwrap()
        } else {
            let mut v = Vec::new();
            for (r, row) in &rows {
                v.push(tx.upsert_person(r, *row).await.unwrap());
            }
            v
        };
        outcomes.extend(ups.iter().map(|u| u.outcome));
        let enrollments: Vec<(EnrollmentRecord, Option<i64>)> = ups
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let grade = if round == 1 && i == 1 { 5 } else { 4 };
                (enrollment(u.id, "2018秋", 1, grade), Some(i as i64 + 2))
            })
            .collect();
        let guardians: Vec<(GuardianRecord, Option<i64>)> = ups
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let phone = if round == 1 && i == 0 {
                    "13800000002"
                } else {
                    "13800000001"
                };
                (guardian(u.id, "张建国", phone), Some(i as i64 + 2))
            })
            .collect();
        if bulk {
            let e = tx.upsert_enrollments_bulk(&enrollments).await.unwrap();
            let g = tx.add_guardians_bulk(&guardians).await.unwrap();
            outcomes.extend(e.iter().chain(&g).map(|u| u.outcome));
        } else {
            for (r, row) in &enrollments {
                outcomes.push(tx.upsert_enrollment(r, *row).await.unwrap().outcome);
            }
            for (r, row) in &guardians {
                outcomes.push(tx.add_guardian(r, *row).await.unwrap().outcome);
            }
        }
        tx.commit().await.unwrap();
    }
    let log = all_audit(store).await;
    (outcomes, log[before..].to_vec())
}

pub async fn bulk_writes_match_the_per_row_path(store: Store) {
    setup(&store).await;
    let (row_outcomes, row_log) = scenario(&store, 100, false).await;
    let (bulk_outcomes, bulk_log) = scenario(&store, 200, true).await;
    assert_eq!(bulk_outcomes, row_outcomes);
    use Outcome::*;
    assert_eq!(
        &bulk_outcomes[12..16],
        &[Unchanged, Updated, Unchanged, Inserted],
        "second round's persons"
    );
    assert_eq!(
        bulk_log.iter().map(normalized).collect::<Vec<_>>(),
        row_log.iter().map(normalized).collect::<Vec<_>>()
    );
    // Each entry names its row and person, and its after value is the row
    // as stored.
    for e in &bulk_log {
        let after = e.after.as_ref().unwrap();
        assert_eq!(after["id"].as_i64().unwrap().to_string(), e.entity_key);
        if e.entity != "persons" {
            assert_eq!(after["person_id"].as_i64(), e.person_id);
        }
    }
    let last_person = bulk_log
        .iter()
        .rev()
        .find(|e| e.entity == "persons")
        .unwrap();
    let id: i64 = last_person.entity_key.parse().unwrap();
    let stored = store.get_person(id).await.unwrap().unwrap();
    assert_eq!(stored.record.id_number, Some(super::id(204)));
    // Re-running the same bulk write is a no-op: unchanged, nothing audited.
    let count = audit_count(&store).await;
    let mut same = person(Some(super::id(204)), "张小红");
    same.address = Some("舜陵街道".into());
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let again = tx.upsert_persons_bulk(&[(same, None)]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(again[0].outcome, Unchanged);
    assert_eq!(again[0].id, id);
    assert_eq!(audit_count(&store).await, count);
}

pub async fn bulk_chunk_with_duplicates_is_applied_in_order(store: Store) {
    setup(&store).await;
    let a = person(Some(id(1)), "李明");
    let mut a2 = a.clone();
    a2.address = Some("湾井镇下灌村".into());
    let b = person(Some(id(2)), "王芳");
    let n = person(None, "无证号");
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let rows = [
        (a.clone(), Some(2)),
        (b, Some(3)),
        (a2.clone(), Some(4)),
        (a2.clone(), Some(5)),
        (n.clone(), Some(6)),
        (n, Some(7)),
    ];
    let ups = tx.upsert_persons_bulk(&rows).await.unwrap();
    use Outcome::*;
    assert_eq!(
        ups.iter().map(|u| u.outcome).collect::<Vec<_>>(),
        [Inserted, Inserted, Updated, Unchanged, Inserted, Inserted]
    );
    assert_eq!(ups[0].id, ups[2].id);
    assert_eq!(ups[0].id, ups[3].id);
    assert_ne!(
        ups[4].id, ups[5].id,
        "persons without an ID are never merged"
    );
    // An enrollment repeated in a chunk: the second one updates the first.
    let e1 = enrollment(ups[0].id, "2018秋", 1, 3);
    let e2 = enrollment(ups[0].id, "2018秋", 1, 4);
    let es = tx
        .upsert_enrollments_bulk(&[(e1, Some(2)), (e2, Some(4))])
        .await
        .unwrap();
    assert_eq!(es[0].outcome, Inserted);
    assert_eq!(es[1].outcome, Updated);
    assert_eq!(es[0].id, es[1].id);
    // A person id that does not exist is refused, as per row.
    let err = tx
        .upsert_enrollments_bulk(&[(enrollment(999_999, "2018秋", 1, 3), None)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    drop(tx);
    assert_eq!(audit_count(&store).await, 0, "dropped: nothing written");

    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let ups = tx.upsert_persons_bulk(&rows).await.unwrap();
    let es = tx
        .upsert_enrollments_bulk(&[
            (enrollment(ups[0].id, "2018秋", 1, 3), Some(2)),
            (enrollment(ups[0].id, "2018秋", 1, 4), Some(4)),
        ])
        .await
        .unwrap();
    assert_eq!(es[1].outcome, Updated);
    tx.commit().await.unwrap();
    let log = all_audit(&store).await;
    let persons: Vec<_> = log.iter().filter(|e| e.entity == "persons").collect();
    assert_eq!(persons.len(), 5, "4 inserts and 1 update");
    let update = persons
        .iter()
        .find(|e| e.action == AuditAction::Update)
        .unwrap();
    assert_eq!(update.source_row, Some(4));
    let first = persons[0].after.as_ref().unwrap();
    assert_eq!(update.before.as_ref().unwrap(), first);
    assert_eq!(
        update.after.as_ref().unwrap()["address"].as_str(),
        Some("湾井镇下灌村")
    );
    let stored = store.get_person(ups[0].id).await.unwrap().unwrap();
    assert_eq!(stored.record, a2);
    let enr = store.person_enrollments(ups[0].id).await.unwrap();
    assert_eq!(enr.len(), 1);
    assert_eq!(enr[0].record.grade.year(), 4);
}

pub async fn bulk_batch_rollback_restores_exact_previous_state(store: Store) {
    setup(&store).await;
    // Before the batch: one person with an enrollment and a guardian.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let old = tx
        .upsert_person(&person(Some(id(1)), "吴芳"), None)
        .await
        .unwrap()
        .id;
    tx.upsert_enrollment(&enrollment(old, "2018秋", 1, 4), None)
        .await
        .unwrap();
    tx.add_guardian(&guardian(old, "吴建国", "13800000001"), None)
        .await
        .unwrap();
    let batch = tx
        .create_batch(&NewBatch {
            kind: "学籍".into(),
            file_name: "学籍.csv".into(),
            sheet: None,
            sha256: "ab".repeat(32),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let before = state_of(&store, old).await;

    // The batch, in bulk: the old person changed, 300 new ones.
    let mut tx = store.begin_write(ctx(Some(batch))).await.unwrap();
    let mut changed = person(Some(id(1)), "吴芳");
    changed.address = Some("湾井镇".into());
    let mut rows = vec![(changed, Some(2))];
    for n in 0..300u16 {
        rows.push((person(Some(id(100 + n)), "新同学"), Some(i64::from(n) + 3)));
    }
    let ups = tx.upsert_persons_bulk(&rows).await.unwrap();
    let enrollments: Vec<_> = ups
        .iter()
        .map(|u| (enrollment(u.id, "2018秋", 1, 5), Some(2)))
        .collect();
    tx.upsert_enrollments_bulk(&enrollments).await.unwrap();
    let guardians: Vec<_> = ups
        .iter()
        .map(|u| (guardian(u.id, "吴建国", "13800000009"), Some(2)))
        .collect();
    tx.add_guardians_bulk(&guardians).await.unwrap();
    let provenance: Vec<_> = ups
        .iter()
        .enumerate()
        .map(|(i, u)| ImportRowRecord {
            row_no: i as i64 + 2,
            sheet: None,
            entity: "persons".into(),
            entity_id: Some(u.id),
            outcome: RowOutcome::Accepted,
            reason: None,
        })
        .collect();
    tx.record_import_rows_bulk(batch, &provenance)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.count_persons(&Scope::All).await.unwrap(), 301);
    assert_eq!(store.batch_rows(batch).await.unwrap(), provenance);
    let changes = store
        .audit_log(
            &AuditFilter {
                batch_id: Some(batch),
                ..AuditFilter::default()
            },
            10_000,
        )
        .await
        .unwrap()
        .iter()
        .filter(|e| e.entity != "import_batches")
        .count();
    assert_eq!(changes, 3 * 301);

    let mut tx = store
        .begin_write(AuditContext {
            actor: "县资助中心·李老师".into(),
            reason: "文件有误，撤销导入".into(),
            batch_id: None,
        })
        .await
        .unwrap();
    let summary = tx.rollback_batch(batch).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(summary.reverted, changes);
    assert_eq!(state_of(&store, old).await, before);
    assert_eq!(store.count_persons(&Scope::All).await.unwrap(), 1);
}

/// Households and persons' links to them, written per row or in bulk with
/// 户编号 and ID numbers from `base`; returns the outcomes and the audit
/// entries.
async fn household_scenario(
    store: &Store,
    base: u16,
    bulk: bool,
) -> (Vec<Outcome>, Vec<AuditEntry>) {
    let before = audit_count(store).await;
    let mut outcomes = Vec::new();
    let no = |n: u16| format!("43112600100{base}{n}");
    let mut ids = Vec::new();
    for round in 0..2 {
        let mut tx = store.begin_write(ctx(None)).await.unwrap();
        let mut changed = household(&no(1));
        if round == 1 {
            changed.dibao = !changed.dibao;
        }
        let rows = vec![(changed, Some(2)), (household(&no(2)), Some(3))];
        let ups = if bulk {
            tx.upsert_households_bulk(&rows).await.unwrap()
        } else {
            let mut v = Vec::new();
            for (r, row) in &rows {
                v.push(tx.upsert_household(r, *row).await.unwrap());
            }
            v
        };
        outcomes.extend(ups.iter().map(|u| u.outcome));
        if round == 0 {
            for n in 1..=3 {
                let p = person(Some(id(base + n)), "张小红");
                ids.push(tx.upsert_person(&p, None).await.unwrap().id);
            }
        }
        // Round 0 links all three; round 1 keeps one, moves one, unlinks one.
        let targets = if round == 0 {
            [Some(ups[0].id), Some(ups[0].id), Some(ups[1].id)]
        } else {
            [Some(ups[0].id), Some(ups[1].id), None]
        };
        let links: Vec<(i64, Option<i64>, Option<i64>)> = ids
            .iter()
            .zip(targets)
            .enumerate()
            .map(|(i, (p, h))| (*p, h, Some(i as i64 + 2)))
            .collect();
        if bulk {
            outcomes.extend(tx.set_person_households_bulk(&links).await.unwrap());
        } else {
            for (p, h, row) in &links {
                outcomes.push(tx.set_person_household(*p, *h, *row).await.unwrap());
            }
        }
        tx.commit().await.unwrap();
    }
    let log = all_audit(store).await;
    (outcomes, log[before..].to_vec())
}

pub async fn bulk_households_and_links_match_the_per_row_path(store: Store) {
    setup(&store).await;
    let (row_outcomes, row_log) = household_scenario(&store, 10, false).await;
    let (bulk_outcomes, bulk_log) = household_scenario(&store, 20, true).await;
    use Outcome::*;
    assert_eq!(
        bulk_outcomes,
        [
            Inserted, Inserted, Updated, Updated, Updated, // round 0
            Updated, Unchanged, Unchanged, Updated, Updated, // round 1
        ]
    );
    assert_eq!(bulk_outcomes, row_outcomes);
    let strip = |e: &AuditEntry| {
        let s = |v: &Option<Value>| {
            v.clone().map(|mut v| {
                if let Some(o) = v.as_object_mut() {
                    for k in ["id", "id_number", "household_no", "household_id"] {
                        o.remove(k);
                    }
                }
                v
            })
        };
        let linked = |v: &Option<Value>| v.as_ref().map(|v| v["household_id"].is_null());
        (
            normalized(e).0,
            e.entity.clone(),
            s(&e.before),
            s(&e.after),
            linked(&e.before),
            linked(&e.after),
            e.source_row,
        )
    };
    let rows: Vec<_> = row_log
        .iter()
        .filter(|e| e.entity != "persons" || e.before.is_some())
        .map(strip)
        .collect();
    let bulk: Vec<_> = bulk_log
        .iter()
        .filter(|e| e.entity != "persons" || e.before.is_some())
        .map(strip)
        .collect();
    assert_eq!(bulk, rows);
    // A link to a household that does not exist writes nothing.
    let count = audit_count(&store).await;
    let person = bulk_log.iter().find(|e| e.entity == "persons").unwrap();
    let pid: i64 = person.entity_key.parse().unwrap();
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let err = tx
        .set_person_households_bulk(&[(pid, Some(999_999), None)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    drop(tx);
    assert_eq!(audit_count(&store).await, count);
}

/// Accounts written per row or in bulk for three persons with ID numbers
/// from `base`: new accounts, then a changed bank, a new number (the old
/// one closed), an unchanged one, and the same person's kind twice in one
/// call. Returns the outcomes and the audit entries.
async fn account_scenario(store: &Store, base: u16, bulk: bool) -> (Vec<Outcome>, Vec<AuditEntry>) {
    let before = audit_count(store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let mut ids = Vec::new();
    for n in 1..=3 {
        let p = person(Some(id(base + n)), "张小红");
        ids.push(tx.upsert_person(&p, None).await.unwrap().id);
    }
    tx.commit().await.unwrap();
    let b = u64::from(base) * 100;
    let mut changed_bank = account(ids[0], AccountKind::AidCard, b + 1, "2018-09-01");
    changed_bank.bank_name = "中国农业银行宁远县支行".into();
    let rounds = [
        vec![
            account(ids[0], AccountKind::AidCard, b + 1, "2018-09-01"),
            account(ids[1], AccountKind::AidCard, b + 2, "2018-09-01"),
            account(ids[2], AccountKind::OneCard, b + 3, "2018-09-01"),
        ],
        vec![
            changed_bank,
            account(ids[1], AccountKind::AidCard, b + 4, "2019-03-01"),
            account(ids[2], AccountKind::OneCard, b + 3, "2019-03-01"),
            account(ids[0], AccountKind::AidCard, b + 5, "2019-03-01"),
        ],
    ];
    let mut outcomes = Vec::new();
    for accounts in rounds {
        let rows: Vec<(BankAccountRecord, Option<i64>)> = accounts
            .into_iter()
            .enumerate()
            .map(|(i, a)| (a, Some(i as i64 + 2)))
            .collect();
        let mut tx = store.begin_write(ctx(None)).await.unwrap();
        if bulk {
            let done = tx.set_bank_accounts_bulk(&rows).await.unwrap();
            outcomes.extend(done.iter().map(|u| u.outcome));
        } else {
            for (a, row) in &rows {
                outcomes.push(tx.set_bank_account(a, *row).await.unwrap().outcome);
            }
        }
        tx.commit().await.unwrap();
    }
    let log = all_audit(store).await;
    (outcomes, log[before..].to_vec())
}

pub async fn bulk_accounts_match_the_per_row_path(store: Store) {
    setup(&store).await;
    let (row_outcomes, row_log) = account_scenario(&store, 30, false).await;
    let (bulk_outcomes, bulk_log) = account_scenario(&store, 40, true).await;
    use Outcome::*;
    assert_eq!(
        bulk_outcomes,
        [
            Inserted, Inserted, Inserted, Updated, Inserted, Unchanged, Inserted
        ]
    );
    assert_eq!(bulk_outcomes, row_outcomes);
    // The same entries; within one call the bulk path writes the closes of
    // old numbers first, so compare them in a fixed order.
    let strip = |log: &[AuditEntry]| {
        let mut v: Vec<String> = log
            .iter()
            .map(|e| {
                let (a, entity, before, after, row) = normalized(e);
                let no = |v: &Option<Value>| {
                    v.as_ref().and_then(|v| {
                        v["account_no"]
                            .as_str()
                            .map(|s| s[s.len() - 3..s.len() - 1].to_string())
                    })
                };
                let (b, f) = (no(&e.before), no(&e.after));
                let drop_no = |v: Option<Value>| {
                    v.map(|mut v| {
                        if let Some(o) = v.as_object_mut() {
                            o.remove("account_no");
                        }
                        v
                    })
                };
                format!(
                    "{a} {entity} {:?} {:?} {b:?} {f:?} {row:?}",
                    drop_no(before),
                    drop_no(after)
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(strip(&bulk_log), strip(&row_log));
    // The accounts as stored: one active per person and kind, the closed
    // ones ended on the new number's first day.
    let person: i64 = bulk_log
        .iter()
        .find(|e| e.entity == "persons")
        .unwrap()
        .entity_key
        .parse()
        .unwrap();
    let accounts = store.person_bank_accounts(person).await.unwrap();
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    assert_eq!(
        accounts.iter().filter(|a| a.valid_to.is_none()).count(),
        1,
        "{accounts:?}"
    );
}

/// A row written in bulk is audited without its after-state (the row holds
/// it until its next change, whose entry records it as the before-state).
/// Readers must not see the difference: the insert entry's after-state is
/// the row as inserted even after later changes, and a rollback of the
/// batch refuses a row changed since and restores one changed back.
pub async fn bulk_insert_entries_keep_their_after_state_through_later_changes(store: Store) {
    setup(&store).await;
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    let batch = tx
        .create_batch(&NewBatch {
            kind: "学籍".into(),
            file_name: "学籍.csv".into(),
            sheet: None,
            sha256: "cd".repeat(32),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_write(ctx(Some(batch))).await.unwrap();
    let rows: Vec<(PersonRecord, Option<i64>)> = (1..=3u16)
        .map(|n| {
            let mut r = person(Some(id(n)), "新同学");
            r.address = Some("舜陵街道".into());
            (r, Some(i64::from(n) + 1))
        })
        .collect();
    let ups = tx.upsert_persons_bulk(&rows).await.unwrap();
    let enrollments: Vec<_> = ups
        .iter()
        .map(|u| (enrollment(u.id, "2018秋", 1, 4), Some(2)))
        .collect();
    tx.upsert_enrollments_bulk(&enrollments).await.unwrap();
    tx.commit().await.unwrap();
    let first = ups[0].id;
    let inserted = store.person_history(first).await.unwrap();
    assert_eq!(inserted.len(), 2, "the person and the enrollment");
    let as_inserted = inserted[0]
        .after
        .clone()
        .expect("after-state of the insert");
    assert_eq!(as_inserted["address"], "舜陵街道");
    assert_eq!(as_inserted["id"].as_i64(), Some(first));

    // A later change, outside the batch.
    let change = |address: &'static str| {
        let mut r = rows[0].0.clone();
        r.address = Some(address.into());
        r
    };
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    tx.upsert_person(&change("湾井镇"), None).await.unwrap();
    tx.commit().await.unwrap();
    let history = store.person_history(first).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].after.as_ref(), Some(&as_inserted));
    assert_eq!(history[2].action, AuditAction::Update);
    assert_eq!(history[2].before.as_ref(), Some(&as_inserted));
    assert_eq!(history[2].after.as_ref().unwrap()["address"], "湾井镇");
    // The same through the general log, filtered by batch.
    let by_batch = store
        .audit_log(
            &AuditFilter {
                batch_id: Some(batch),
                entity: Some("persons".into()),
                ..AuditFilter::default()
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(by_batch.len(), 3);
    for e in &by_batch {
        let after = e.after.as_ref().expect("after-state");
        assert_eq!(after["address"], "舜陵街道");
        assert_eq!(after["id"].as_i64().unwrap().to_string(), e.entity_key);
    }

    // The batch cannot be rolled back over the later change …
    let rollback = || AuditContext {
        actor: "县资助中心·李老师".into(),
        reason: "文件有误，撤销导入".into(),
        batch_id: None,
    };
    let mut tx = store.begin_write(rollback()).await.unwrap();
    let err = tx.rollback_batch(batch).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::RollbackConflict { entity, key, .. }
            if entity == "persons" && *key == first.to_string()),
        "{err}"
    );
    tx.rollback().await.unwrap();
    // … and can once the row holds what the batch left again.
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    tx.upsert_person(&change("舜陵街道"), None).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_write(rollback()).await.unwrap();
    let summary = tx.rollback_batch(batch).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(summary.reverted, 6);
    assert_eq!(store.count_persons(&Scope::All).await.unwrap(), 0);
    // The history still shows each value the person had, with its source.
    let history = store.person_history(first).await.unwrap();
    assert_eq!(history[0].after.as_ref(), Some(&as_inserted));
    assert_eq!(history[0].batch_id, Some(batch));
    assert_eq!(history[0].source_row, Some(2));
    let last = history.last().unwrap();
    assert_eq!(last.action, AuditAction::Rollback);
    assert_eq!(last.before.as_ref(), Some(&as_inserted));
    assert_eq!(last.after, None);
}
