//! A small county for the web tests, seeded through the store's audited
//! write API, and an in-process client that keeps a session cookie.
//!
//! Two townships: 天堂镇 (431126101) with 天堂镇中心小学 (A1) and 天堂镇中学
//! (A2), and 九疑瑶族乡 (431126201) with 九疑乡中心小学 (B1). Students in
//! each, a 建档立卡 household per township, an out-of-school child who
//! belongs to 天堂镇 only through her household, import batches owned by A1,
//! by B1 and by the county, and one account per role.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use zizhu_core::{
    BankCard, Date, Fen, Grade, IdNumber, PersonName, Phone, RegionCode, SchoolCode, Sex, Stage,
    StudentNo, Term,
};
use zizhu_store::*;
use zizhu_web::{AppState, WebConfig, router};

pub const TOWN_A: &str = "431126101";
pub const TOWN_B: &str = "431126201";
pub const SCHOOL_A1: &str = "2143000001";
pub const SCHOOL_A2: &str = "3143000002";
pub const SCHOOL_B1: &str = "2143000003";
pub const TERM: &str = "2018秋";
/// Every seeded account's password.
pub const PASSWORD: &str = "Zizhu2018test";

/// Ids of the seeded records.
#[derive(Clone, Debug)]
pub struct Ids {
    /// 李小龙: A1, 3（1）班, 建档立卡 household A, guardian and bank card.
    pub li: i64,
    /// 王小明: A1, 3（2）班, boarder.
    pub wang: i64,
    /// 张三: A2, 初中一年级.
    pub zhang: i64,
    /// 赵四: B1, household B.
    pub zhao: i64,
    /// 钱五: no enrollment, household A (an out-of-school child).
    pub qian: i64,
    pub household_a: i64,
    pub household_b: i64,
    pub batch_a: i64,
    pub batch_b: i64,
    pub batch_county: i64,
}

pub fn id(seq: u16) -> IdNumber {
    IdNumber::from_parts("431126", Date::parse("2010-03-05").unwrap(), seq).unwrap()
}

fn card(n: u64) -> BankCard {
    let payload = format!("622848{n:012}");
    let sum: u32 = payload
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap();
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    BankCard::parse(&format!("{payload}{}", (10 - sum % 10) % 10)).unwrap()
}

fn ctx(batch_id: Option<i64>) -> AuditContext {
    AuditContext {
        actor: "测试数据".into(),
        reason: "网页测试种子数据".into(),
        batch_id,
    }
}

pub fn person(id_number: Option<IdNumber>, name: &str, address: &str) -> PersonRecord {
    PersonRecord {
        id_number,
        name: PersonName::parse(name).unwrap(),
        sex: Some(Sex::Male),
        birth_date: Some(Date::parse("2010-03-05").unwrap()),
        ethnicity: Some("汉族".into()),
        disability_category: None,
        disability_level: None,
        orphan: false,
        left_behind: true,
        martyr_child: false,
        address: Some(address.into()),
    }
}

pub fn enrollment(
    person_id: i64,
    school: &str,
    stage: Stage,
    grade: u8,
    class: &str,
    boarding: bool,
    student_no: Option<&str>,
) -> EnrollmentRecord {
    EnrollmentRecord {
        person_id,
        term: Term::parse(TERM).unwrap(),
        school_code: Some(SchoolCode::parse(school).unwrap()),
        grade: Grade::new(stage, grade).unwrap(),
        class_name: Some(class.into()),
        boarding,
        status: EnrollmentStatus::Studying,
        out_of_county: false,
        out_of_county_place: None,
        student_no: student_no.map(|s| StudentNo::parse(s).unwrap()),
    }
}

fn household(no: &str, region: &str, status: PovertyStatus) -> HouseholdRecord {
    HouseholdRecord {
        household_no: no.into(),
        region_code: RegionCode::parse(region).unwrap(),
        head_id_number: Some(id(901)),
        poverty_status: status,
        lifted_year: None,
        dibao: false,
        tekun: false,
        cause: Some("因病".into()),
        income_per_capita: Some(Fen(312_000)),
    }
}

/// Seeds the county. `dir` receives the rejection report files of the
/// seeded batches.
pub async fn seed(store: &Store, dir: &std::path::Path) -> Ids {
    store.migrate().await.unwrap();
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    for (code, name, parent) in [
        ("431126", "宁远县", None),
        (TOWN_A, "天堂镇", Some("431126")),
        ("431126101201", "天堂镇大路村", Some(TOWN_A)),
        (TOWN_B, "九疑瑶族乡", Some("431126")),
        ("431126201202", "九疑乡牛头村", Some(TOWN_B)),
    ] {
        tx.upsert_region(
            &RegionRecord {
                code: RegionCode::parse(code).unwrap(),
                name: name.into(),
                parent_code: parent.map(|p| RegionCode::parse(p).unwrap()),
            },
            None,
        )
        .await
        .unwrap();
    }
    for (code, name, region, stage) in [
        (SCHOOL_A1, "天堂镇中心小学", "431126101201", Stage::Primary),
        (SCHOOL_A2, "天堂镇中学", "431126101201", Stage::Junior),
        (SCHOOL_B1, "九疑乡中心小学", "431126201202", Stage::Primary),
    ] {
        tx.upsert_school(
            &SchoolRecord {
                code: SchoolCode::parse(code).unwrap(),
                name: name.into(),
                region_code: RegionCode::parse(region).unwrap(),
                is_public: true,
                stages: vec![stage],
            },
            None,
        )
        .await
        .unwrap();
    }
    let household_a = tx
        .upsert_household(
            &household("4311261012010001", "431126101201", PovertyStatus::NotLifted),
            None,
        )
        .await
        .unwrap()
        .id;
    let household_b = tx
        .upsert_household(
            &household("4311262012020002", "431126201202", PovertyStatus::Lifted),
            None,
        )
        .await
        .unwrap()
        .id;
    let addr_a = "湖南省永州市宁远县天堂镇大路村三组";
    let addr_b = "湖南省永州市宁远县九疑瑶族乡牛头村一组";
    let li = tx
        .upsert_person(&person(Some(id(17)), "李小龙", addr_a), None)
        .await
        .unwrap()
        .id;
    let wang = tx
        .upsert_person(&person(Some(id(35)), "王小明", addr_a), None)
        .await
        .unwrap()
        .id;
    let zhang = tx
        .upsert_person(&person(Some(id(53)), "张三", addr_a), None)
        .await
        .unwrap()
        .id;
    let zhao = tx
        .upsert_person(&person(Some(id(71)), "赵四", addr_b), None)
        .await
        .unwrap()
        .id;
    let qian = tx
        .upsert_person(&person(Some(id(82)), "钱五", addr_a), None)
        .await
        .unwrap()
        .id;
    tx.set_person_household(li, Some(household_a), None)
        .await
        .unwrap();
    tx.set_person_household(qian, Some(household_a), None)
        .await
        .unwrap();
    tx.set_person_household(zhao, Some(household_b), None)
        .await
        .unwrap();
    let li_no = format!("G{}", id(17).as_str());
    for e in [
        enrollment(
            li,
            SCHOOL_A1,
            Stage::Primary,
            3,
            "3（1）班",
            false,
            Some(&li_no),
        ),
        enrollment(wang, SCHOOL_A1, Stage::Primary, 3, "3（2）班", true, None),
        enrollment(zhang, SCHOOL_A2, Stage::Junior, 1, "1（1）班", true, None),
        enrollment(zhao, SCHOOL_B1, Stage::Primary, 2, "2（1）班", false, None),
    ] {
        tx.upsert_enrollment(&e, None).await.unwrap();
    }
    tx.add_guardian(
        &GuardianRecord {
            person_id: li,
            name: PersonName::parse("李建国").unwrap(),
            relation: "父亲".into(),
            id_number: Some(id(911)),
            phone: Some(Phone::parse("13812345678").unwrap()),
        },
        None,
    )
    .await
    .unwrap();
    tx.set_bank_account(
        &BankAccountRecord {
            person_id: li,
            kind: AccountKind::AidCard,
            bank_name: "宁远县农村信用合作联社".into(),
            account_no: card(42),
            holder_name: "李建国".into(),
            holder_relation: Some("父亲".into()),
            valid_from: Date::parse("2018-09-01").unwrap(),
        },
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut batches = Vec::new();
    for (name, owner) in [
        (
            "天堂镇中心小学学籍.xlsx",
            Some(Scope::School(SCHOOL_A1.into())),
        ),
        (
            "九疑乡中心小学学籍.xlsx",
            Some(Scope::School(SCHOOL_B1.into())),
        ),
        ("全县建档立卡.xlsx", None),
    ] {
        let mut tx = store.begin_write(ctx(None)).await.unwrap();
        let batch = tx
            .create_batch(&NewBatch {
                kind: "学籍名单".into(),
                file_name: name.into(),
                sheet: None,
                sha256: format!("{:064}", batches.len()),
            })
            .await
            .unwrap();
        tx.finish_batch(
            batch,
            BatchStatus::Done,
            &BatchCounts {
                rows_read: 3,
                rows_accepted: 2,
                rows_rejected: 1,
                rows_unchanged: 0,
            },
        )
        .await
        .unwrap();
        tx.record_import_row(
            batch,
            &ImportRowRecord {
                row_no: 4,
                sheet: None,
                entity: "persons".into(),
                entity_id: None,
                outcome: RowOutcome::Rejected,
                reason: Some("身份证号校验位错误".into()),
            },
        )
        .await
        .unwrap();
        if let Some(owner) = owner {
            let report: PathBuf = dir.join(format!("report-{batch}.xlsx"));
            std::fs::write(&report, b"PK fake report").unwrap();
            tx.record_batch_upload(&BatchUpload {
                batch_id: batch,
                owner,
                uploaded_by: "seed".into(),
                stored_file: name.into(),
                report_file: Some(report.display().to_string()),
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        batches.push(batch);
    }
    Ids {
        li,
        wang,
        zhang,
        zhao,
        qian,
        household_a,
        household_b,
        batch_a: batches[0],
        batch_b: batches[1],
        batch_county: batches[2],
    }
}

/// An Argon2id hash with tiny parameters. Verification uses the parameters
/// stored in the hash, so logins in tests take milliseconds instead of the
/// second a real-cost hash takes in an unoptimised build.
pub fn cheap_hash(password: &str) -> String {
    let params = Params::new(256, 1, 1, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes())
        .unwrap()
        .to_string()
}

/// The accounts of the seeded county: (username, role, scope).
pub fn accounts() -> Vec<(&'static str, &'static str, Scope)> {
    vec![
        ("admin", "系统管理员", Scope::All),
        ("county", "县资助中心", Scope::All),
        ("leader", "县局领导/督查", Scope::All),
        ("town_a", "乡镇教育办", Scope::Township(TOWN_A.into())),
        ("school_a", "学校资助专干", Scope::School(SCHOOL_A1.into())),
        ("school_b", "学校资助专干", Scope::School(SCHOOL_B1.into())),
        (
            "teacher_a",
            "班主任",
            Scope::Classes {
                school: SCHOOL_A1.into(),
                classes: vec!["3（1）班".into()],
            },
        ),
        ("fund", "基金会", Scope::All),
    ]
}

/// Creates every account of [`accounts`] (no forced password change) and
/// `newbie`, a school officer of A1 who must change the initial password.
pub async fn add_accounts(store: &Store) {
    let hash = cheap_hash(PASSWORD);
    let mut tx = store.begin_write(ctx(None)).await.unwrap();
    for (name, role, scope) in accounts() {
        tx.add_user(
            &UserRecord {
                username: name.into(),
                display_name: format!("{name}老师"),
                role: role.into(),
                scope,
            },
            &hash,
            false,
        )
        .await
        .unwrap();
    }
    tx.add_user(
        &UserRecord {
            username: "newbie".into(),
            display_name: "新来的老师".into(),
            role: "学校资助专干".into(),
            scope: Scope::School(SCHOOL_A1.into()),
        },
        &hash,
        true,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A response, read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    pub fn header(&self, name: header::HeaderName) -> String {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The app, its store and its files.
pub struct TestApp {
    pub router: Router,
    pub store: Store,
    pub ids: Ids,
    pub dir: tempfile::TempDir,
}

/// A fresh county on a new SQLite file, with every account.
pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

/// Like [`app`], with the configuration adjusted first.
pub async fn app_with(adjust: impl FnOnce(&mut WebConfig)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/web.sqlite", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    let ids = seed(&store, dir.path()).await;
    add_accounts(&store).await;
    let mut config = WebConfig {
        data_dir: dir.path().join("data"),
        ..WebConfig::default()
    };
    adjust(&mut config);
    let router = router(AppState::with_config(store.clone(), config));
    TestApp {
        router,
        store,
        ids,
        dir,
    }
}

/// Sends one request through the router in-process.
pub async fn send(router: &Router, req: Request<Body>) -> Resp {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Resp {
        status,
        headers,
        bytes,
    }
}

/// A browser with a session.
#[derive(Clone)]
pub struct Client {
    pub router: Router,
    pub cookie: String,
    pub csrf: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TestApp {
    /// A client signed in as `username`, with a session opened directly in
    /// the store (the login form itself is tested separately).
    pub async fn client(&self, username: &str) -> Client {
        let user = self
            .store
            .get_user_by_username(username)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no user {username}"));
        let token = format!("{:032x}", rand::random::<u128>());
        let csrf = format!("{:032x}", rand::random::<u128>());
        self.store
            .create_session(&NewSession {
                token_hash: hex(&Sha256::digest(token.as_bytes())),
                user_id: user.id,
                csrf_token: csrf.clone(),
                idle: Duration::from_secs(1800),
                absolute: Duration::from_secs(3600),
                ip: None,
            })
            .await
            .unwrap();
        Client {
            router: self.router.clone(),
            cookie: format!("zizhu_session={token}"),
            csrf,
        }
    }

    /// A client without a session.
    pub fn anonymous(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookie: String::new(),
            csrf: String::new(),
        }
    }
}

impl Client {
    pub async fn get(&self, path: &str) -> Resp {
        let mut req = Request::get(path);
        if !self.cookie.is_empty() {
            req = req.header(header::COOKIE, &self.cookie);
        }
        send(&self.router, req.body(Body::empty()).unwrap()).await
    }

    /// Posts an urlencoded form, adding this session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts an urlencoded form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if !self.cookie.is_empty() {
            req = req.header(header::COOKIE, &self.cookie);
        }
        send(&self.router, req.body(Body::from(body)).unwrap()).await
    }

    /// Posts a multipart form with one file; `csrf` goes in the query
    /// string as the upload page's form does.
    pub async fn upload(
        &self,
        path_and_query: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        content: &[u8],
    ) -> Resp {
        let boundary = "zizhu-test-boundary-7f3a";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut req = Request::post(path_and_query).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if !self.cookie.is_empty() {
            req = req.header(header::COOKIE, &self.cookie);
        }
        send(&self.router, req.body(Body::from(body)).unwrap()).await
    }
}

/// Every run of 18 characters that is a valid ID number, for checking that
/// a page or file shows none in full.
pub fn full_ids(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for w in chars.windows(18) {
        let s: String = w.iter().collect();
        if s.chars().all(|c| c.is_ascii_digit() || c == 'X') && IdNumber::parse(&s).is_ok() {
            out.push(s);
        }
    }
    out
}

/// One stored entitlement for the seeded term.
fn entitlement(
    person_id: i64,
    school: &str,
    township: &str,
    class: &str,
    status: EntitlementStatus,
    cause: Option<&str>,
    amount: i64,
) -> EntitlementRecord {
    let blocked = status == EntitlementStatus::Blocked;
    EntitlementRecord {
        person_id,
        term: Term::parse(TERM).unwrap(),
        policy_code: "P01".into(),
        policy_name: "义务教育家庭经济困难学生生活补助".into(),
        policy_order: 1,
        category: "补".into(),
        amount: Fen(amount),
        payment_mode: "打卡".into(),
        status,
        cause: cause.map(str::to_owned),
        cause_kind: blocked.then(|| "无银行账户".to_owned()),
        gap: blocked,
        funding: [Fen(amount), Fen(0), Fen(0), Fen(0), Fen(0)],
        school_code: Some(school.into()),
        township_code: Some(township.into()),
        class_name: Some(class.into()),
        out_of_county: false,
        trace: format!(
            "依据 P01：资格条件「建档立卡 或 低保」成立，所用事实：建档立卡=是（人员 {person_id}）。"
        ),
        change_reason: None,
    }
}

/// Stores a computation of the seeded term, as `zizhu entitle` would:
/// 李小龙 (A1, 3（1）班) 625.00 元 payable, 王小明 (A1, 3（2）班) 500.00 元
/// payable, 赵四 (B1) 625.00 元 blocked for want of a bank account (a
/// coverage gap).
pub async fn seed_entitlements(store: &Store, ids: &Ids) {
    let mut tx = store
        .begin_write(AuditContext {
            actor: "资助计算".into(),
            reason: "网页测试：保存资助计算结果".into(),
            batch_id: None,
        })
        .await
        .unwrap();
    let run = tx
        .record_entitlement_run(&NewEntitlementRun {
            term: Term::parse(TERM).unwrap(),
            policy_file: "湖南2018秋.toml".into(),
            policy_title: "测试政策".into(),
            policy_fingerprint: "0".repeat(64),
            started_at: now_utc(),
            counts: EntitlementRunCounts {
                students: 4,
                entitlements: 3,
                payable: 2,
                payable_amount: Fen(112_500),
                gaps: 1,
                gap_amount: Fen(62_500),
                added: 3,
                changed: 0,
                removed: 0,
            },
        })
        .await
        .unwrap();
    for e in [
        entitlement(
            ids.li,
            SCHOOL_A1,
            TOWN_A,
            "3（1）班",
            EntitlementStatus::Payable,
            None,
            62_500,
        ),
        entitlement(
            ids.wang,
            SCHOOL_A1,
            TOWN_A,
            "3（2）班",
            EntitlementStatus::Payable,
            None,
            50_000,
        ),
        entitlement(
            ids.zhao,
            SCHOOL_B1,
            TOWN_B,
            "2（1）班",
            EntitlementStatus::Blocked,
            Some("没有登记资助卡"),
            62_500,
        ),
    ] {
        tx.put_entitlement(run, &e).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Seeds the comparison ledger of the test county: a 待复核 link and an
/// exception in each township, with evidence shaped as `zizhu compare`
/// writes it. Returns (link in A, link in B).
pub async fn seed_comparison(store: &Store, ids: &Ids) -> (i64, i64) {
    let term = zizhu_core::Term::parse(TERM).unwrap();
    let place = |school: Option<&str>, town: &str, class: Option<&str>| Placement {
        school_code: school.map(str::to_owned),
        township_code: Some(town.to_owned()),
        class_name: class.map(str::to_owned),
    };
    let link = |row_no: i64, person: i64, p: Placement| LinkRecord {
        term,
        batch_id: ids.batch_county,
        list_kind: "适龄儿童户籍名单".into(),
        file_name: "公安卫健-0至17岁人口名册.xlsx".into(),
        row_no,
        row_person_id: ids.qian,
        person_id: person,
        probability_ppm: 812_345,
        status: LinkStatus::NeedsReview,
        explanation: r#"{"各项比较":[{"字段":"姓名","等级":"同音","权重":6.5}]}"#.into(),
        placement: p,
    };
    let mut tx = store
        .begin_write(AuditContext {
            actor: "比对".into(),
            reason: "测试比对".into(),
            batch_id: None,
        })
        .await
        .unwrap();
    let run = tx
        .record_compare_run(&NewCompareRun {
            term,
            started_at: zizhu_store::now_utc(),
            auto_threshold_ppm: 990_000,
            review_threshold_ppm: 500_000,
            counts: CompareRunCounts::default(),
            summary: "测试".into(),
        })
        .await
        .unwrap();
    let a = tx
        .put_compare_link(
            run,
            &link(5, ids.li, place(Some(SCHOOL_A1), TOWN_A, Some("3（1）班"))),
        )
        .await
        .unwrap()
        .id;
    let b = tx
        .put_compare_link(
            run,
            &link(6, ids.zhao, place(Some(SCHOOL_B1), TOWN_B, None)),
        )
        .await
        .unwrap()
        .id;
    let rows = r#"[{"名单":"适龄儿童户籍名单","文件":"公安卫健-0至17岁人口名册.xlsx","行":5}]"#;
    for (kind, person, summary, evidence, p) in [
        (
            ExceptionKind::SuspectedDropout,
            ids.qian,
            "8 周岁（2018-08-31 时），在户籍或建档立卡名单中，2018秋 无学籍",
            format!(
                r#"{{"基准日":"2018-08-31","年龄":8,"名单":{rows},"关联人员":[{}],"本学期学籍":"无"}}"#,
                ids.qian
            ),
            place(None, TOWN_A, None),
        ),
        (
            ExceptionKind::OutOfCountyMissing,
            ids.zhao,
            "县外就读，缺少接收学校信息：就读学校标识码",
            format!(r#"{{"学籍":1,"缺少":["就读学校标识码"],"有效银行账户":true,"名单":{rows}}}"#),
            place(Some(SCHOOL_B1), TOWN_B, None),
        ),
    ] {
        tx.put_compare_exception(
            run,
            &ExceptionRecord {
                term,
                kind,
                key: format!("人员:{person}"),
                person_id: Some(person),
                summary: summary.into(),
                evidence,
                placement: p,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    (a, b)
}
