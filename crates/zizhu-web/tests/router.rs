//! The router driven in-process, as a browser would reach it: every page
//! for every role, sign-in and sessions, CSRF, masking, and 404 across
//! jurisdictions for every page that takes an id.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use zizhu_store::{AuditContext, AuditFilter, EnrollmentRecord, NewSession, Scope, Store};
use zizhu_web::{AppState, router};

// ---------------------------------------------------------------- basics

#[tokio::test]
async fn signed_out_visitors_are_sent_to_the_login_page() {
    let app = app().await;
    let anon = app.anonymous();
    let r = anon.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login");
    let r = anon.get("/students?q=%E6%9D%8E").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location(),
        "/login?next=%2Fstudents%3Fq%3D%25E6%259D%258E"
    );
    let r = anon.get("/login").await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.text();
    assert!(body.contains("lang=\"zh-CN\""));
    assert!(body.contains("登录"));
    assert!(r.header(header::SET_COOKIE).contains("zizhu_login_csrf="));
}

#[tokio::test]
async fn healthz_is_200_while_the_database_answers_and_503_after() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/h.sqlite", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let app = router(AppState::new(store.clone()));
    let r = send(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    store.close().await;
    let r = send(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().contains("数据库不可访问"));
}

#[tokio::test]
async fn unknown_page_is_a_chinese_404_in_the_site_layout() {
    let app = app().await;
    let r = app.anonymous().get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header(header::CONTENT_TYPE).starts_with("text/html"));
    assert!(r.text().contains("页面不存在"));
    assert!(r.text().contains("href=\"/\""));
    // Signed in, the same page carries the user's menu, like every page.
    let r = app.client("school_a").await.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let body = r.text();
    assert!(body.contains("class=\"menu\""), "{body}");
    assert!(body.contains("school_a老师"));
    assert!(!body.to_lowercase().contains("panicked"));
}

#[tokio::test]
async fn assets_ship_inside_the_binary() {
    let app = app().await;
    let r = app.anonymous().get("/assets/site.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header(header::CONTENT_TYPE).starts_with("text/css"));
    assert!(r.text().contains("@media print"));
    let r = app.anonymous().get("/assets/app.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header(header::CONTENT_TYPE)
            .starts_with("text/javascript")
    );
}

// ------------------------------------------------------ sign-in, sessions

/// The value of a cookie set by a response.
fn set_cookie_value(r: &Resp, name: &str) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .and_then(|kv| kv.trim().strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        })
}

fn hidden_csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    body[at..at + body[at..].find('"').unwrap()].to_owned()
}

/// Submits the login form as a browser does.
async fn login(app: &TestApp, username: &str, password: &str) -> Resp {
    let form = app.anonymous().get("/login").await;
    let cookie = set_cookie_value(&form, "zizhu_login_csrf").unwrap();
    let client = Client {
        router: app.router.clone(),
        cookie: format!("zizhu_login_csrf={cookie}"),
        csrf: hidden_csrf(&form.text()),
    };
    client
        .post(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", "/students"),
            ],
        )
        .await
}

fn session_client(app: &TestApp, r: &Resp) -> Client {
    let token = set_cookie_value(r, "zizhu_session").expect("session cookie");
    Client {
        router: app.router.clone(),
        cookie: format!("zizhu_session={token}"),
        csrf: String::new(),
    }
}

async fn with_csrf(mut c: Client) -> Client {
    let page = c.get("/password").await;
    c.csrf = hidden_csrf(&page.text());
    c
}

#[tokio::test]
async fn login_sets_a_secure_session_cookie_and_follows_next() {
    let app = app().await;
    let r = login(&app, "school_a", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.location(), "/students");
    let cookie = r.header(header::SET_COOKIE);
    assert!(cookie.contains("zizhu_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http by default: {cookie}"
    );
    let c = session_client(&app, &r);
    let page = c.get("/students").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("李小龙"));
    // Pages with personal data are not cached, framed or sniffed.
    assert_eq!(page.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(page.header(header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(page.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    // The stored session is the token's hash, never the token.
    let token = set_cookie_value(&r, "zizhu_session").unwrap();
    assert!(app.store.session(&token).await.unwrap().is_none());

    let secure = app_with(|c| c.secure_cookies = true).await;
    let r = login(&secure, "school_a", PASSWORD).await;
    assert!(r.header(header::SET_COOKIE).contains("; Secure"));
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_rate_limited() {
    let app = app().await;
    let r = login(&app, "school_a", "wrong-password-1").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text().contains("用户名或密码错误"));
    assert!(set_cookie_value(&r, "zizhu_session").is_none());
    let r = login(&app, "nobody", PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.text().contains("用户名或密码错误"),
        "unknown names look the same"
    );
    for _ in 0..4 {
        login(&app, "school_a", "wrong-password-1").await;
    }
    // Five failures: now even the right password is refused for a while.
    let r = login(&app, "school_a", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().contains("登录失败次数过多"));
    // Another user is not affected.
    let r = login(&app, "school_b", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn disabled_accounts_cannot_sign_in_and_lose_their_sessions() {
    let app = app().await;
    let c = app.client("school_a").await;
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    zizhu_web::accounts::disable_user(&app.store, "school_a", "测试")
        .await
        .unwrap();
    assert_eq!(c.get("/").await.status, StatusCode::SEE_OTHER);
    let r = login(&app, "school_a", PASSWORD).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("已停用"));
}

#[tokio::test]
async fn first_login_forces_a_password_change() {
    let app = app().await;
    let r = login(&app, "newbie", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/password");
    let c = with_csrf(session_client(&app, &r)).await;
    // Every other page sends the user back to the form.
    for path in ["/", "/students", "/persons/1"] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location(), "/password", "{path}");
    }
    let page = c.get("/password").await;
    assert!(page.text().contains("第一次登录"));
    let weak = c
        .post(
            "/password",
            &[
                ("current", PASSWORD),
                ("new", "abcdefgh"),
                ("confirm", "abcdefgh"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().contains("字母和数字"));
    let wrong = c
        .post(
            "/password",
            &[
                ("current", "nope"),
                ("new", "Better2019x"),
                ("confirm", "Better2019x"),
            ],
        )
        .await;
    assert!(wrong.text().contains("当前密码不正确"));
    let ok = c
        .post(
            "/password",
            &[
                ("current", PASSWORD),
                ("new", "Better2019x"),
                ("confirm", "Better2019x"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    // The old session ended with the old password; the new one works.
    assert_eq!(c.get("/").await.status, StatusCode::SEE_OTHER);
    let fresh = session_client(&app, &ok);
    assert_eq!(fresh.get("/students").await.status, StatusCode::OK);
    let user = app
        .store
        .get_user_by_username("newbie")
        .await
        .unwrap()
        .unwrap();
    assert!(!user.must_change_password);
    assert_eq!(
        login(&app, "newbie", "Better2019x").await.location(),
        "/students"
    );
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let app = app_with(|c| c.session_idle = Duration::from_millis(300)).await;
    let user = app
        .store
        .get_user_by_username("county")
        .await
        .unwrap()
        .unwrap();
    let token = "a".repeat(64);
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    app.store
        .create_session(&NewSession {
            token_hash: hash,
            user_id: user.id,
            csrf_token: "x".repeat(32),
            idle: Duration::from_millis(300),
            absolute: Duration::from_secs(60),
            ip: None,
        })
        .await
        .unwrap();
    let c = Client {
        router: app.router.clone(),
        cookie: format!("zizhu_session={token}"),
        csrf: String::new(),
    };
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(450)).await;
    let r = c.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = app().await;
    let c = app.client("county").await;
    let r = c.post("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?msg=bye");
    assert!(r.header(header::SET_COOKIE).contains("Max-Age=0"));
    assert_eq!(c.get("/").await.status, StatusCode::SEE_OTHER);
}

// ------------------------------------------------------------------ CSRF

/// A form submission: who posts, where, and the fields besides the token.
type PostCase<'a> = (&'a Client, &'a str, Vec<(&'a str, &'a str)>);

#[tokio::test]
async fn every_form_is_refused_without_its_csrf_token() {
    let app = app().await;
    let ids = &app.ids;
    let admin = app.client("admin").await;
    let officer = app.client("school_a").await;
    let user_id = app
        .store
        .get_user_by_username("school_b")
        .await
        .unwrap()
        .unwrap()
        .id;
    let unmask = format!("/persons/{}/unmask", ids.li);
    let reset = format!("/admin/users/{user_id}/reset");
    let disable = format!("/admin/users/{user_id}/disable");
    let enable = format!("/admin/users/{user_id}/enable");
    let cases: Vec<PostCase> = vec![
        (&officer, "/logout", vec![]),
        (
            &officer,
            "/password",
            vec![
                ("current", PASSWORD),
                ("new", "Other2019x"),
                ("confirm", "Other2019x"),
            ],
        ),
        (&officer, &unmask, vec![]),
        (
            &admin,
            "/admin/users",
            vec![
                ("username", "evil"),
                ("display_name", "x"),
                ("role", "admin"),
            ],
        ),
        (&admin, &reset, vec![]),
        (&admin, &disable, vec![]),
        (&admin, &enable, vec![]),
        (&admin, "/imports", vec![("kind", "roster")]),
    ];
    for (client, path, fields) in &cases {
        for token in [None, Some("forged-token")] {
            let mut all = fields.clone();
            if let Some(t) = token {
                all.push(("csrf", t));
            }
            let r = client.post_raw(path, &all).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} {token:?}");
            assert!(r.text().contains("表单已失效"), "{path}");
        }
    }
    // Another session's token does not do either.
    let r = officer
        .post_raw(&unmask, &[("csrf", admin.csrf.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing happened: no account, no unmasking, sessions alive.
    assert!(
        app.store
            .get_user_by_username("evil")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.store.count_unmask_log(None).await.unwrap(), 0);
    assert!(!app.store.get_user(user_id).await.unwrap().unwrap().disabled);
    assert_eq!(officer.get("/").await.status, StatusCode::OK);
    // A multipart upload carries its token in the query string.
    let r = admin
        .upload("/imports?csrf=forged", &[("kind", "roster")], "a.csv", b"x")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The login form is protected by its own cookie token.
    let r = app
        .anonymous()
        .post_raw("/login", &[("username", "county"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

// ------------------------------------------------------ roles and pages

const ALL_USERS: [&str; 8] = [
    "admin",
    "county",
    "leader",
    "town_a",
    "school_a",
    "school_b",
    "teacher_a",
    "fund",
];

#[tokio::test]
async fn every_page_for_every_role() {
    let app = app().await;
    let ok = StatusCode::OK;
    let no = StatusCode::FORBIDDEN;
    // (page, users that get 403; everyone else gets 200)
    let pages: [(&str, &[&str]); 14] = [
        ("/", &[]),
        ("/schools", &[]),
        ("/students", &[]),
        ("/students?q=%E6%9D%8E&poverty=registered&boarding=0", &[]),
        ("/students/print", &[]),
        ("/students/export.xlsx", &[]),
        ("/students/ledger.xlsx", &["teacher_a"]),
        ("/households", &[]),
        ("/password", &[]),
        ("/imports", &["teacher_a", "fund"]),
        (
            "/imports/new",
            &[
                "leader",
                "town_a",
                "school_a",
                "school_b",
                "teacher_a",
                "fund",
            ],
        ),
        (
            "/audit",
            &[
                "county",
                "leader",
                "town_a",
                "school_a",
                "school_b",
                "teacher_a",
                "fund",
            ],
        ),
        (
            "/audit/unmask",
            &[
                "county",
                "leader",
                "town_a",
                "school_a",
                "school_b",
                "teacher_a",
                "fund",
            ],
        ),
        (
            "/admin/users",
            &[
                "county",
                "leader",
                "town_a",
                "school_a",
                "school_b",
                "teacher_a",
                "fund",
            ],
        ),
    ];
    for user in ALL_USERS {
        let c = app.client(user).await;
        for (page, denied) in &pages {
            let expected = if denied.contains(&user) { no } else { ok };
            let r = c.get(page).await;
            assert_eq!(r.status, expected, "{user} {page}: {}", r.text());
            if expected == no {
                // A 403 looks like the rest of the site and says why.
                assert!(r.text().contains("没有权限"), "{user} {page}");
                assert!(r.text().contains("class=\"menu\""), "{user} {page}");
            }
        }
        // The menu offers only what the role may open.
        let home = c.get("/").await.text();
        assert_eq!(home.contains("href=\"/audit\""), user == "admin", "{user}");
        assert_eq!(
            home.contains("href=\"/imports\""),
            !["teacher_a", "fund"].contains(&user),
            "{user}"
        );
    }
}

#[tokio::test]
async fn bad_filter_values_are_a_chinese_400() {
    let app = app().await;
    let c = app.client("county").await;
    for path in [
        "/students?grade=12",
        "/students?school=abc",
        "/students?term=2018%E5%86%AC",
        "/students?poverty=rich",
        "/households?township=12",
        "/audit?batch=x",
    ] {
        let user = if path.starts_with("/audit") {
            app.client("admin").await
        } else {
            c.clone()
        };
        let r = user.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(r.text().contains("请求有误"), "{path}");
    }
}

// ------------------------------------------------------- jurisdictions

/// Who sees a record; everyone else gets 404 (or the role's 403 first).
struct Visible<'a> {
    path: String,
    users: &'a [&'a str],
}

#[tokio::test]
async fn records_outside_the_jurisdiction_are_404_on_every_page_with_an_id() {
    let app = app().await;
    let ids = app.ids.clone();
    const COUNTY: [&str; 4] = ["admin", "county", "leader", "fund"];
    let with = |extra: &'static [&'static str]| -> Vec<&'static str> {
        COUNTY.iter().chain(extra.iter()).copied().collect()
    };
    let li = with(&["town_a", "school_a", "teacher_a"]);
    let wang = with(&["town_a", "school_a"]);
    let zhang = with(&["town_a"]);
    let zhao = with(&["school_b"]);
    let qian = with(&["town_a"]);
    let hh_a = with(&["town_a", "school_a", "teacher_a"]);
    let hh_b = with(&["school_b"]);
    let school_a1 = with(&["town_a", "school_a", "teacher_a"]);
    let school_a2 = with(&["town_a"]);
    let school_b1 = with(&["school_b"]);
    let cases = vec![
        Visible {
            path: format!("/persons/{}", ids.li),
            users: &li,
        },
        Visible {
            path: format!("/persons/{}", ids.wang),
            users: &wang,
        },
        Visible {
            path: format!("/persons/{}", ids.zhang),
            users: &zhang,
        },
        Visible {
            path: format!("/persons/{}", ids.zhao),
            users: &zhao,
        },
        Visible {
            path: format!("/persons/{}", ids.qian),
            users: &qian,
        },
        Visible {
            path: format!("/households/{}", ids.household_a),
            users: &hh_a,
        },
        Visible {
            path: format!("/households/{}", ids.household_b),
            users: &hh_b,
        },
        Visible {
            path: format!("/schools/{SCHOOL_A1}"),
            users: &school_a1,
        },
        Visible {
            path: format!("/schools/{SCHOOL_A2}"),
            users: &school_a2,
        },
        Visible {
            path: format!("/schools/{SCHOOL_B1}"),
            users: &school_b1,
        },
        Visible {
            path: "/persons/999999".into(),
            users: &[],
        },
        Visible {
            path: "/persons/abc".into(),
            users: &[],
        },
        Visible {
            path: "/households/999999".into(),
            users: &[],
        },
        Visible {
            path: "/schools/2143999999".into(),
            users: &[],
        },
    ];
    // Batches: a role without import pages gets 403 before any lookup.
    let batch_roles = [
        "admin", "county", "leader", "town_a", "school_a", "school_b",
    ];
    let batch_a = ["admin", "county", "leader", "town_a", "school_a"];
    let batch_b = ["admin", "county", "leader", "school_b"];
    let batch_county = ["admin", "county", "leader"];
    let batch_cases: Vec<(String, &[&str])> = vec![
        (format!("/imports/{}", ids.batch_a), &batch_a),
        (format!("/imports/{}/report.xlsx", ids.batch_a), &batch_a),
        (format!("/imports/{}", ids.batch_b), &batch_b),
        (format!("/imports/{}/report.xlsx", ids.batch_b), &batch_b),
        (format!("/imports/{}", ids.batch_county), &batch_county),
        // A county batch imported on the command line has no stored report.
        (format!("/imports/{}/report.xlsx", ids.batch_county), &[]),
        ("/imports/999999".to_owned(), &[]),
    ];
    for user in ALL_USERS {
        let c = app.client(user).await;
        for case in &cases {
            let r = c.get(&case.path).await;
            let expected = if case.users.contains(&user) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status, expected, "{user} GET {}", case.path);
            if expected == StatusCode::NOT_FOUND {
                assert!(
                    r.text().contains("不在您的管辖范围内"),
                    "{user} {}",
                    case.path
                );
            }
        }
        for (path, users) in &batch_cases {
            let r = c.get(path).await;
            let expected = if !batch_roles.contains(&user) {
                StatusCode::FORBIDDEN
            } else if users.contains(&user) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status, expected, "{user} GET {path}");
        }
    }
}

#[tokio::test]
async fn unmasking_outside_the_jurisdiction_is_404_and_for_read_only_roles_403() {
    let app = app().await;
    let path = format!("/persons/{}/unmask", app.ids.li);
    for (user, expected) in [
        ("county", StatusCode::OK),
        ("town_a", StatusCode::OK),
        ("school_a", StatusCode::OK),
        ("teacher_a", StatusCode::OK),
        ("school_b", StatusCode::NOT_FOUND),
        ("admin", StatusCode::FORBIDDEN),
        ("leader", StatusCode::FORBIDDEN),
        ("fund", StatusCode::FORBIDDEN),
    ] {
        let r = app.client(user).await.post(&path, &[]).await;
        assert_eq!(r.status, expected, "{user}");
    }
    // Exactly the four successful unmaskings were logged.
    assert_eq!(
        app.store.count_unmask_log(Some(app.ids.li)).await.unwrap(),
        4
    );
    let r = app
        .client("school_a")
        .await
        .post(&format!("/persons/{}/unmask", app.ids.zhao), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn lists_show_only_the_users_area_whatever_the_filter_says() {
    let app = app().await;
    let names = ["李小龙", "王小明", "张三", "赵四"];
    for (user, visible) in [
        ("county", &names[..]),
        ("town_a", &names[..3]),
        ("school_a", &names[..2]),
        ("teacher_a", &names[..1]),
        ("school_b", &names[3..]),
    ] {
        let c = app.client(user).await;
        let body = c.get("/students").await.text();
        for n in names {
            assert_eq!(body.contains(n), visible.contains(&n), "{user} {n}");
        }
    }
    // Asking for another school's students yields nothing, not them.
    let c = app.client("school_a").await;
    let body = c.get(&format!("/students?school={SCHOOL_B1}")).await.text();
    assert!(body.contains("共 <strong>0</strong> 名学生"), "{body}");
    assert!(!body.contains("赵四"));
    let body = c.get(&format!("/students?township={TOWN_B}")).await.text();
    assert!(!body.contains("赵四"));
    // The school menu offers only the officer's school.
    assert!(!body.contains("九疑乡中心小学"));
    // Households follow the same rule.
    let body = c.get("/households").await.text();
    assert!(body.contains("4311261012010001"));
    assert!(!body.contains("4311262012020002"));
    let body = app.client("town_a").await.get("/schools").await.text();
    assert!(body.contains("天堂镇中学") && !body.contains("九疑乡中心小学"));
    // A household page lists only the members in the user's area.
    let body = app
        .client("school_a")
        .await
        .get(&format!("/households/{}", app.ids.household_a))
        .await
        .text();
    assert!(body.contains("李小龙"));
    assert!(!body.contains("钱五"));
    assert!(body.contains("另有 1 名成员不在您的管辖范围内"));
}

// -------------------------------------------------------------- search

#[tokio::test]
async fn search_finds_names_in_either_script_ids_and_student_numbers() {
    let app = app().await;
    let c = app.client("school_a").await;
    for q in ["李小龍", "李小龙", "李", "ＬＩ", "李 小 龍"] {
        let body = c
            .get(&format!("/students?q={}", zizhu_web_encode(q)))
            .await
            .text();
        if q == "ＬＩ" {
            assert!(!body.contains("李小龙"), "{q}");
        } else {
            assert!(body.contains("李小龙"), "{q}: {body}");
            assert!(!body.contains("王小明"), "{q}");
        }
    }
    let body = c
        .get(&format!("/students?q={}", id(17).as_str()))
        .await
        .text();
    assert!(body.contains("李小龙") && body.contains("按身份证号"));
    let body = c
        .get(&format!("/students?q=G{}", id(17).as_str()))
        .await
        .text();
    assert!(body.contains("李小龙") && body.contains("按学籍号"));
    // The same search from another school finds nobody.
    let body = app
        .client("school_b")
        .await
        .get(&format!("/students?q={}", zizhu_web_encode("李小龍")))
        .await
        .text();
    assert!(!body.contains("李小龙"));
}

fn zizhu_web_encode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn filters_narrow_the_list_and_paginate() {
    let app = app().await;
    let c = app.client("county").await;
    let count = |body: &str| {
        let at = body.find("共 <strong>").unwrap() + "共 <strong>".len();
        body[at..at + body[at..].find('<').unwrap()]
            .parse::<i64>()
            .unwrap()
    };
    for (query, expected) in [
        ("", 4),
        ("boarding=1", 2),
        ("boarding=0", 2),
        ("poverty=registered", 2),
        ("poverty=not_lifted", 1),
        ("poverty=lifted", 1),
        ("stage=%E5%88%9D%E4%B8%AD", 1),
        ("grade=3", 2),
        (&format!("township={TOWN_A}"), 3),
        (&format!("school={SCHOOL_B1}"), 1),
        ("out=1", 0),
        ("status=%E5%9C%A8%E8%AF%BB", 4),
        ("term=2019%E6%98%A5", 0),
    ] {
        let body = c.get(&format!("/students?{query}")).await.text();
        assert_eq!(count(&body), expected, "{query}");
    }
    let body = c.get("/students?page=99").await.text();
    assert!(
        body.contains("李小龙"),
        "an out-of-range page shows the last page"
    );
}

// -------------------------------------------------------------- masking

#[tokio::test]
async fn personal_numbers_are_masked_everywhere_but_an_unmasked_person_page() {
    let app = app().await;
    let ids = &app.ids;
    let admin = app.client("admin").await;
    let county = app.client("county").await;
    let pages = [
        (&county, "/students".to_owned()),
        (&county, "/students/print".to_owned()),
        (&county, "/households".to_owned()),
        (&county, format!("/households/{}", ids.household_a)),
        (&county, format!("/persons/{}", ids.li)),
        (&county, format!("/imports/{}", ids.batch_a)),
        (&admin, "/audit".to_owned()),
        (&admin, format!("/audit?person={}", ids.li)),
    ];
    for (c, page) in pages {
        let r = c.get(&page).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        let body = r.text();
        assert!(
            full_ids(&body).is_empty(),
            "{page} shows {:?}",
            full_ids(&body)
        );
        assert!(!body.contains("13812345678"), "{page}");
        assert!(!body.contains("622848000000000042"), "{page}");
    }
    let person = county.get(&format!("/persons/{}", ids.li)).await.text();
    let masked = zizhu_core::mask::mask_id(id(17).as_str());
    assert!(masked.starts_with("431126********"));
    assert!(person.contains(&masked), "{person}");
    assert!(person.contains("138****5678"));
    assert!(person.contains("天堂镇****"));
    assert!(person.contains("查看完整信息"));
    // The leader has no unmask button at all.
    let leader = app.client("leader").await;
    let body = leader.get(&format!("/persons/{}", ids.li)).await.text();
    assert!(!body.contains("/unmask"));

    let r = county
        .post(&format!("/persons/{}/unmask", ids.li), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
    let body = r.text();
    assert!(body.contains(id(17).as_str()));
    assert!(body.contains("13812345678"));
    assert!(body.contains("湖南省永州市宁远县天堂镇大路村三组"));
    assert!(body.contains("已记录查看"));
    let log = app.store.unmask_log(Some(ids.li), 10, 0).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].record.actor, "county");
    assert!(log[0].record.fields.contains("身份证号"));
    assert!(!log[0].at.is_empty());
    // The administrator reads the log.
    let body = admin.get("/audit/unmask").await.text();
    assert!(body.contains("county") && body.contains(&format!("/persons/{}", ids.li)));
}

#[tokio::test]
async fn exports_are_masked_and_scoped() {
    use calamine::{Data, Reader, Xlsx};
    let app = app().await;
    let read = |bytes: Vec<u8>| -> Vec<Vec<String>> {
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let name = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&name).unwrap();
        range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        Data::Empty => String::new(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect()
    };
    let c = app.client("school_a").await;
    let r = c.get("/students/export.xlsx?boarding=0").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header(header::CONTENT_TYPE).contains("spreadsheetml"));
    let disposition = r.header(header::CONTENT_DISPOSITION);
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let rows = read(r.bytes);
    let text = format!("{rows:?}");
    assert!(text.contains("李小龙"), "{text}");
    assert!(!text.contains("王小明"), "the filter applies: {text}");
    assert!(!text.contains("赵四"), "the scope applies: {text}");
    assert!(full_ids(&text).is_empty(), "{text}");
    assert!(text.contains(&zizhu_core::mask::mask_id(id(17).as_str())));
    // The 台账 of the officer's level, written by zizhu-io.
    let r = c.get("/students/ledger.xlsx").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rows = read(r.bytes);
    let text = format!("{rows:?}");
    assert!(text.contains("李小龙") && !text.contains("赵四"), "{text}");
    // Every column is masked, the 全国学籍号 too: a G-number is "G" plus the
    // ID number.
    assert!(full_ids(&text).is_empty(), "{text}");
    assert!(
        text.contains(&format!("G{}", zizhu_core::mask::mask_id(id(17).as_str()))),
        "{text}"
    );
}

#[tokio::test]
async fn the_printable_ledger_is_a4_landscape() {
    let app = app().await;
    let body = app
        .client("school_a")
        .await
        .get("/students/print?grade=3")
        .await
        .text();
    assert!(body.contains("size: A4 landscape"));
    assert!(body.contains("学生信息台账"));
    assert!(body.contains("李小龙") && body.contains("王小明"));
    assert!(body.contains("制表人"));
}

/// Regression: a 台账 printed for one school or township was titled
/// 全县学生信息台账 with 范围 全县, as if it held the whole county.
#[tokio::test]
async fn the_printed_ledger_names_the_school_or_township_it_is_filtered_to() {
    let app = app().await;
    let county = app.client("county").await;
    async fn print(c: &Client, q: &str) -> String {
        c.get(&format!("/students/print{q}")).await.text()
    }
    let title = |body: &str| -> String {
        let open = "<h1 class=\"ledger-title\">";
        let start = body.find(open).unwrap() + open.len();
        body[start..start + body[start..].find("</h1>").unwrap()].to_owned()
    };

    let body = print(&county, "").await;
    assert_eq!(title(&body), "全县学生信息台账");
    assert!(body.contains("范围 全县 ·"), "{body}");

    let body = print(&county, &format!("?school={SCHOOL_A1}")).await;
    assert_eq!(title(&body), "天堂镇中心小学学生信息台账");
    assert!(body.contains("范围 天堂镇中心小学 ·"), "{body}");
    assert!(!body.contains("全县"), "{body}");
    assert!(body.contains("李小龙") && !body.contains("张三"), "{body}");

    let body = print(&county, &format!("?township={TOWN_B}")).await;
    assert_eq!(title(&body), "九疑瑶族乡学生信息台账");
    assert!(body.contains("范围 九疑瑶族乡 ·"), "{body}");
    assert!(!body.contains("全县"), "{body}");
    assert!(body.contains("赵四") && !body.contains("李小龙"), "{body}");

    // The other conditions are named too, so the sheet says whom it holds.
    let body = print(
        &county,
        &format!("?township={TOWN_A}&stage=小学&grade=3&boarding=1"),
    )
    .await;
    assert_eq!(title(&body), "天堂镇学生信息台账");
    assert!(
        body.contains("范围 天堂镇（小学、3 年级、寄宿生） · 共 1 人"),
        "{body}"
    );

    // A township's officer printing one of its schools gets that school.
    let town = app.client("town_a").await;
    let body = print(&town, &format!("?school={SCHOOL_A2}")).await;
    assert_eq!(title(&body), "天堂镇中学学生信息台账");
    assert!(body.contains("范围 天堂镇中学 ·"), "{body}");

    // A head teacher's print stays named by their classes.
    let teacher = app.client("teacher_a").await;
    let unfiltered = print(&teacher, "").await;
    let body = print(&teacher, &format!("?school={SCHOOL_A1}")).await;
    assert_eq!(title(&body), title(&unfiltered));
    assert!(title(&body).contains("班"), "{body}");
}

/// Regression: a 县外就读 student whose school is not in the county's
/// directory was listed with the bare ten-digit school code.
#[tokio::test]
async fn out_of_county_schools_outside_the_directory_read_as_such() {
    let app = app().await;
    let mut tx = app
        .store
        .begin_write(AuditContext {
            actor: "导入程序".into(),
            reason: "测试：县外就读学生".into(),
            batch_id: None,
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (seq, name, place) in [(601, "孙七", Some("长沙市")), (602, "周八", None)] {
        let p = tx
            .upsert_person(&person(Some(id(seq)), name, "湖南省宁远县"), None)
            .await
            .unwrap()
            .id;
        tx.upsert_enrollment(
            &EnrollmentRecord {
                out_of_county: true,
                out_of_county_place: place.map(str::to_owned),
                ..enrollment(
                    p,
                    "3143990001",
                    zizhu_core::Stage::Junior,
                    1,
                    "1班",
                    false,
                    None,
                )
            },
            None,
        )
        .await
        .unwrap();
        ids.push(p);
    }
    tx.commit().await.unwrap();

    let county = app.client("county").await;
    let list = county.get("/students?out=1").await.text();
    assert!(list.contains("孙七") && list.contains("周八"), "{list}");
    assert!(
        list.contains("<td>县外学校（长沙市，代码 3143990001）</td>"),
        "{list}"
    );
    assert!(
        list.contains("<td>县外学校（代码 3143990001）</td>"),
        "{list}"
    );
    assert!(!list.contains("<td>3143990001</td>"), "{list}");
    let print = county.get("/students/print?out=1").await.text();
    assert!(
        print.contains("县外学校（长沙市，代码 3143990001）"),
        "{print}"
    );
    assert!(!print.contains("<td>3143990001</td>"), "{print}");
    // The person page's enrollment history alike (就读地 has a column).
    let person = county.get(&format!("/persons/{}", ids[0])).await.text();
    assert!(person.contains("县外学校（代码 3143990001）"), "{person}");
    assert!(!person.contains("<td>3143990001</td>"), "{person}");
    // And its change history, which holds the enrollment as written.
    assert!(
        person.contains("未登记的学校（代码 3143990001）"),
        "{person}"
    );
    // A school in the directory is still shown by its name alone.
    let list = county.get("/students?out=0").await.text();
    assert!(list.contains("<td>天堂镇中心小学</td>"), "{list}");
}

// ------------------------------------------------------------ dashboard

#[tokio::test]
async fn the_dashboard_counts_the_users_area_with_svg_charts() {
    let app = app().await;
    let figure = |body: &str, label: &str| -> String {
        let at = body
            .find(&format!("<span class=\"label\">{label}</span>"))
            .unwrap();
        let start = body[..at].rfind("class=\"num\">").unwrap() + "class=\"num\">".len();
        body[start..start + body[start..].find('<').unwrap()].to_owned()
    };
    for (user, students, poor, schools) in [
        ("county", "4", "2", "3"),
        ("town_a", "3", "1", "2"),
        ("school_a", "2", "1", "1"),
        ("teacher_a", "1", "1", "1"),
        ("school_b", "1", "1", "1"),
    ] {
        let body = app.client(user).await.get("/").await.text();
        assert_eq!(figure(&body, "在籍学生"), students, "{user}");
        assert_eq!(figure(&body, "建档立卡学生"), poor, "{user}");
        assert_eq!(figure(&body, "学校"), schools, "{user}");
        assert!(body.contains("<svg"), "{user}");
        assert!(body.contains("各学段在籍学生"), "{user}");
    }
    let body = app.client("county").await.get("/").await.text();
    assert!(body.contains("天堂镇") && body.contains("九疑瑶族乡"));
}

#[tokio::test]
async fn the_dashboard_shows_aid_and_coverage_of_the_users_area() {
    let app = app().await;
    let figure = |body: &str, label: &str| -> String {
        let at = body
            .find(&format!("<span class=\"label\">{label}</span>"))
            .unwrap_or_else(|| panic!("no figure {label}"));
        let start = body[..at].rfind("class=\"num\">").unwrap() + "class=\"num\">".len();
        body[start..start + body[start..].find('<').unwrap()].to_owned()
    };
    // Before any computation the page says how to get one.
    let body = app.client("county").await.get("/").await.text();
    assert!(body.contains("尚未保存资助计算结果"), "{body}");
    assert!(!body.contains("资助人次（可发放）"));

    seed_entitlements(&app.store, &app.ids).await;
    for (user, paid, paid_yuan, gaps, gap_yuan, coverage) in [
        ("county", "2", "1,125.00", "1", "625.00", "66.7%"),
        ("leader", "2", "1,125.00", "1", "625.00", "66.7%"),
        ("town_a", "2", "1,125.00", "0", "0.00", "100.0%"),
        ("school_a", "2", "1,125.00", "0", "0.00", "100.0%"),
        ("teacher_a", "1", "625.00", "0", "0.00", "100.0%"),
        ("school_b", "0", "0.00", "1", "625.00", "0.0%"),
    ] {
        let body = app.client(user).await.get("/").await.text();
        assert_eq!(figure(&body, "资助人次（可发放）"), paid, "{user}");
        assert_eq!(figure(&body, "资助金额（元）"), paid_yuan, "{user}");
        assert_eq!(figure(&body, "应享未享人次"), gaps, "{user}");
        assert_eq!(figure(&body, "应享未享金额（元）"), gap_yuan, "{user}");
        assert_eq!(figure(&body, "覆盖率（已享/应享）"), coverage, "{user}");
        assert!(body.contains("各项资助人次"), "{user}");
        assert!(body.contains("义务教育家庭经济困难学生生活补助"), "{user}");
        assert!(body.contains("湖南2018秋.toml"), "{user}");
        // No student's name or number is on the dashboard.
        assert!(!body.contains("李小龙") && !body.contains("赵四"), "{user}");
        assert!(full_ids(&body).is_empty(), "{user}");
    }
    let body = app.client("county").await.get("/").await.text();
    assert!(body.contains("应享未享的原因") && body.contains("无银行账户"));
}

#[tokio::test]
async fn the_dashboard_follows_every_registry_change() {
    let app = app().await;
    let students = |body: &str| -> String {
        let at = body.find("<span class=\"label\">在籍学生</span>").unwrap();
        let start = body[..at].rfind("class=\"num\">").unwrap() + "class=\"num\">".len();
        body[start..start + body[start..].find('<').unwrap()].to_owned()
    };
    let county = app.client("county").await;
    assert_eq!(students(&county.get("/").await.text()), "4");
    // A write through another handle on the same database, as a CLI import
    // in another process would make: the cached sums must not survive it.
    let url = format!("sqlite://{}/web.sqlite", app.dir.path().display());
    let other = Store::connect(&url).await.unwrap();
    let mut tx = other
        .begin_write(AuditContext {
            actor: "导入程序".into(),
            reason: "测试：另一进程写入".into(),
            batch_id: None,
        })
        .await
        .unwrap();
    let p = tx
        .upsert_person(&person(Some(id(555)), "孙六", "湖南省宁远县"), None)
        .await
        .unwrap()
        .id;
    tx.upsert_enrollment(
        &enrollment(
            p,
            SCHOOL_B1,
            zizhu_core::Stage::Primary,
            1,
            "1（1）班",
            false,
            None,
        ),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(students(&county.get("/").await.text()), "5");
    let b = app.client("school_b").await;
    assert_eq!(students(&b.get("/").await.text()), "2");
    let list = b.get("/students?stage=小学").await.text();
    assert!(list.contains("孙六"), "{list}");
    assert!(list.contains("共 <strong>2</strong> 名学生"), "{list}");
}

#[tokio::test]
async fn the_person_page_shows_entitlements_with_their_trace_within_the_area() {
    let app = app().await;
    seed_entitlements(&app.store, &app.ids).await;
    let li = format!("/persons/{}", app.ids.li);
    let zhao = format!("/persons/{}", app.ids.zhao);
    for user in ["county", "town_a", "school_a", "teacher_a"] {
        let body = app.client(user).await.get(&li).await.text();
        assert!(body.contains("资助记录"), "{user}");
        assert!(
            body.contains(r#"<td title="政策代码 P01">义务教育家庭经济困难学生生活补助</td>"#),
            "{user}"
        );
        assert!(body.contains("625.00") && body.contains("可发放"), "{user}");
        assert!(body.contains("资格条件「建档立卡 或 低保」成立"), "{user}");
        assert!(full_ids(&body).is_empty(), "{user}: {:?}", full_ids(&body));
    }
    let body = app.client("county").await.get(&zhao).await.text();
    assert!(body.contains("受阻：没有登记资助卡"), "{body}");
    assert!(body.contains("应享未享"));
    // Another area's student, and their entitlements, do not exist.
    for (user, path) in [("school_a", &zhao), ("school_b", &li), ("town_a", &zhao)] {
        let r = app.client(user).await.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{user} {path}");
        assert!(!r.text().contains("资格条件"), "{user} {path}");
    }
    // A student without entitlements says so.
    let body = app
        .client("county")
        .await
        .get(&format!("/persons/{}", app.ids.zhang))
        .await
        .text();
    assert!(body.contains("没有资助记录"), "{body}");
}

// -------------------------------------------------------------- imports

/// A roster with two good rows and one with a wrong check digit.
fn roster_csv() -> Vec<u8> {
    let good1 = id(101);
    let good2 = id(103);
    format!(
        "姓名,身份证号,学校标识码,学段,年级,班级名称,学期\n\
         孙小美,{good1},{SCHOOL_A1},小学,一年级,1（1）班,2018秋\n\
         周小强,{good2},{SCHOOL_B1},小学,二年级,2（1）班,2018秋\n\
         吴错号,431126201003150023,{SCHOOL_A1},小学,一年级,1（1）班,2018秋\n",
        good1 = good1.as_str(),
        good2 = good2.as_str()
    )
    .into_bytes()
}

async fn wait_for_job(c: &Client, job: &str) -> String {
    for _ in 0..200 {
        let r = c.get(&format!("{job}/status")).await;
        assert_eq!(r.status, StatusCode::OK);
        let body = r.text();
        if !body.contains("\"running\"") {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import did not finish");
}

#[tokio::test]
async fn a_county_upload_runs_in_the_background_with_a_rejection_report() {
    let app = app().await;
    let c = app.client("county").await;
    let form = c.get("/imports/new").await.text();
    assert!(form.contains("enctype=\"multipart/form-data\""));
    assert!(form.contains(&format!("/imports?csrf={}", c.csrf)));
    let term = zizhu_core::Term::parse(TERM).unwrap();
    let before = app
        .store
        .count_enrollments(&term, &Scope::All)
        .await
        .unwrap();
    let r = c
        .upload(
            &format!("/imports?csrf={}", c.csrf),
            &[("kind", "roster"), ("term", "")],
            "全县学籍2018秋.csv",
            &roster_csv(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let job = r.location();
    assert!(job.starts_with("/imports/jobs/"), "{job}");
    let page = c.get(&job).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("导入进度"));
    let status = wait_for_job(&c, &job).await;
    assert!(status.contains("\"done\""), "{status}");
    assert!(status.contains("\"accepted\":2"), "{status}");
    assert!(status.contains("\"rejected\":1"), "{status}");
    // The row with a wrong check digit is kept as an unresolved person with
    // its enrollment, for the comparison engine (zizhu-io's rule).
    assert!(status.contains("\"unresolved\":1"), "{status}");
    let page = c.get(&job).await.text();
    assert!(page.contains("导入完成"), "{page}");
    assert!(page.contains("下载退回报告"), "{page}");
    assert_eq!(
        app.store
            .count_enrollments(&term, &Scope::All)
            .await
            .unwrap(),
        before + 3
    );
    // The batch page and its report.
    let batches = app.store.list_batches(1).await.unwrap();
    let batch = batches[0].id;
    let body = c.get(&format!("/imports/{batch}")).await.text();
    assert!(body.contains("全县学籍2018秋.csv"), "{body}");
    assert!(
        body.contains("校验"),
        "the rejected row's reason is listed: {body}"
    );
    // The reason quotes the mistyped ID number, masked like every other.
    assert!(!body.contains("431126201003150023"), "{body}");
    assert!(body.contains("431126********0023"), "{body}");
    let report = c.get(&format!("/imports/{batch}/report.xlsx")).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.bytes.starts_with(b"PK"), "an xlsx file");
    assert!(
        report
            .header(header::CONTENT_DISPOSITION)
            .contains("filename*=UTF-8''")
    );
    let upload = app.store.batch_upload(batch).await.unwrap().unwrap();
    assert_eq!(upload.owner, Scope::All);
    assert_eq!(upload.uploaded_by, "county");
    // A county batch is not a school's to see; a job is only its uploader's.
    assert_eq!(
        app.client("school_a")
            .await
            .get(&format!("/imports/{batch}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client("admin").await.get(&job).await.status,
        StatusCode::NOT_FOUND
    );
    // The dashboard counts the new students.
    let home = c.get("/").await.text();
    assert!(
        home.contains("<span class=\"num\">7</span><span class=\"label\">在籍学生</span>"),
        "{home}"
    );
}

#[tokio::test]
async fn an_upload_without_a_file_or_kind_is_explained() {
    let app = app().await;
    let c = app.client("county").await;
    let r = c
        .upload(
            &format!("/imports?csrf={}", c.csrf),
            &[("kind", "roster")],
            "empty.csv",
            b"",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("请选择要上传的文件"));
    let r = c
        .upload(
            &format!("/imports?csrf={}", c.csrf),
            &[("kind", "roster"), ("term", "2018冬")],
            "a.csv",
            b"x",
        )
        .await;
    assert!(r.text().contains("学期无效"), "{}", r.text());
    let r = app
        .client("school_a")
        .await
        .upload("/imports?csrf=x", &[("kind", "roster")], "a.csv", b"x")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

// ------------------------------------------------------- administration

#[tokio::test]
async fn the_administrator_manages_accounts_and_the_audit_log_keeps_no_hash() {
    let app = app().await;
    let admin = app.client("admin").await;
    let r = admin
        .post(
            "/admin/users",
            &[
                ("username", "teacher_b"),
                ("display_name", "赵老师"),
                ("role", "teacher"),
                ("school", SCHOOL_B1),
                ("classes", "2（1）班、2（2）班"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("初始密码"), "{}", r.text());
    assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
    let user = app
        .store
        .get_user_by_username("teacher_b")
        .await
        .unwrap()
        .unwrap();
    assert!(user.must_change_password);
    assert_eq!(
        user.record.scope,
        Scope::Classes {
            school: SCHOOL_B1.into(),
            classes: vec!["2（1）班".into(), "2（2）班".into()]
        }
    );
    let r = admin
        .post(
            "/admin/users",
            &[
                ("username", "x1"),
                ("display_name", "x"),
                ("role", "school"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("学校标识码"));
    let r = admin
        .post(&format!("/admin/users/{}/disable", user.id), &[])
        .await;
    assert!(r.text().contains("已停用账号 teacher_b"));
    let entries = app
        .store
        .audit_log(
            &AuditFilter {
                entity: Some("users".into()),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    assert!(entries.len() >= 2);
    let all = format!("{entries:?}");
    assert!(!all.contains("argon2"), "no password hash in the audit log");
    assert!(entries.iter().any(|e| e.actor.starts_with("admin")));
    let log = admin.get("/audit?entity=users").await.text();
    assert!(log.contains("teacher_b"));
}

#[tokio::test]
async fn account_library_functions_for_the_command_line() {
    use zizhu_web::accounts::{self, NewAccount, Role};
    let app = app().await;
    let store = &app.store;
    let account = NewAccount {
        username: "li.officer".into(),
        display_name: "李干事".into(),
        role: Role::parse("乡镇教育办").unwrap(),
        township: Some(TOWN_B.into()),
        school: None,
        classes: vec![],
    };
    let password = accounts::add_user(store, &account, None, "命令行")
        .await
        .unwrap();
    assert_eq!(password.len(), 12);
    assert!(matches!(
        accounts::add_user(store, &account, None, "命令行").await,
        Err(zizhu_web::AccountError::UserExists { .. })
    ));
    let r = login(&app, "li.officer", &password).await;
    assert_eq!(
        r.location(),
        "/password",
        "a new account must change its password"
    );
    let new = accounts::set_password(store, "li.officer", Some("Another2019"), "命令行")
        .await
        .unwrap();
    assert_eq!(new, "Another2019");
    assert!(
        accounts::set_password(store, "li.officer", Some("short"), "命令行")
            .await
            .is_err()
    );
    accounts::disable_user(store, "li.officer", "命令行")
        .await
        .unwrap();
    assert_eq!(
        login(&app, "li.officer", "Another2019").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(matches!(
        accounts::disable_user(store, "nobody", "命令行").await,
        Err(zizhu_web::AccountError::NoSuchUser { .. })
    ));

    let demo = accounts::create_demo_accounts(store).await.unwrap();
    let roles: Vec<&str> = demo.iter().map(|d| d.role_label.as_str()).collect();
    assert_eq!(
        roles,
        [
            "系统管理员",
            "县资助中心",
            "县局领导/督查",
            "乡镇教育办",
            "学校资助专干",
            "班主任",
            "基金会"
        ]
    );
    let school = demo.iter().find(|d| d.username == "demo-school").unwrap();
    assert_eq!(school.scope_label, "天堂镇中心小学");
    let teacher = demo.iter().find(|d| d.username == "demo-teacher").unwrap();
    assert!(
        teacher.scope_label.starts_with("天堂镇中心小学 "),
        "{}",
        teacher.scope_label
    );
    let r = login(&app, "demo-school", &school.password).await;
    assert_eq!(
        r.location(),
        "/students",
        "demo accounts need no password change"
    );
    // Run again: the same accounts get fresh passwords.
    let again = accounts::create_demo_accounts(store).await.unwrap();
    assert_eq!(again.len(), demo.len());
    assert_ne!(again[0].password, demo[0].password);
}

/// `ZIZHU_E2E=1` asks for the browser tests; without the `e2e` feature they
/// are not compiled, and that must fail loudly rather than pass silently.
#[test]
fn e2e_requested_without_the_feature_fails() {
    if std::env::var("ZIZHU_E2E").is_ok_and(|v| v == "1") && !cfg!(feature = "e2e") {
        panic!(
            "ZIZHU_E2E=1 但未启用 e2e 功能：请运行 cargo test -p zizhu-web --features e2e --test e2e"
        );
    }
}

/// Seeds the comparison ledger of the test county (see
/// `common::seed_comparison`). Returns (link in A, link in B).
async fn seed_compare(app: &TestApp) -> (i64, i64) {
    seed_comparison(&app.store, &app.ids).await
}

#[tokio::test]
async fn compare_pages_are_scoped_masked_and_role_checked() {
    let app = app().await;
    let (link_a, link_b) = seed_compare(&app).await;

    let county = app.client("county").await;
    let r = county.get("/compare").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.text();
    assert!(page.contains("疑似失学辍学"), "{page}");
    assert!(page.contains("县外就读，缺少接收学校信息"), "{page}");
    assert!(page.contains(r#"href="/compare""#), "the menu has 比对");
    assert!(full_ids(&page).is_empty(), "ID numbers are masked: {page}");

    // A township sees its own exception only; a school only its own.
    let town = app.client("town_a").await;
    let page = town.get("/compare").await.text();
    assert!(page.contains("无学籍"), "{page}");
    assert!(!page.contains("县外就读，缺少"), "{page}");
    let page = app.client("school_b").await.get("/compare").await.text();
    assert!(page.contains("县外就读，缺少"), "{page}");
    assert!(
        !page.contains("无学籍"),
        "an out-of-school child has no school: {page}"
    );
    let page = county.get("/compare?kind=县外就读信息缺失").await.text();
    assert!(!page.contains("无学籍"), "{page}");
    assert_eq!(
        county.get("/compare?kind=失学").await.status,
        StatusCode::BAD_REQUEST
    );

    // The foundation has no comparison pages and no menu entry.
    let fund = app.client("fund").await;
    assert_eq!(fund.get("/compare").await.status, StatusCode::FORBIDDEN);
    assert!(!fund.get("/").await.text().contains(r#"href="/compare""#));

    // The review queue is scoped too.
    let queue = town.get("/compare/review").await.text();
    assert!(
        queue.contains(&format!("/compare/links/{link_a}")),
        "{queue}"
    );
    assert!(
        !queue.contains(&format!("/compare/links/{link_b}")),
        "{queue}"
    );
    assert!(full_ids(&queue).is_empty(), "{queue}");

    // Deciding: outside the area is 404, without a reason 400, a role that
    // does not review 403, and a decision is audited with the user.
    let r = town
        .post(
            &format!("/compare/links/{link_b}"),
            &[("decision", "accept"), ("reason", "同一人")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = town
        .post(
            &format!("/compare/links/{link_a}"),
            &[("decision", "reject")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .client("leader")
        .await
        .post(
            &format!("/compare/links/{link_a}"),
            &[("decision", "reject"), ("reason", "不是")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = town
        .post_raw(
            &format!("/compare/links/{link_a}"),
            &[("decision", "reject"), ("reason", "不是")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let r = town
        .post(
            &format!("/compare/links/{link_a}"),
            &[
                ("decision", "reject"),
                ("reason", "出生日期不符"),
                ("term", TERM),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(
        r.location().starts_with("/compare/review"),
        "{}",
        r.location()
    );
    let stored = app
        .store
        .compare_link(link_a, &Scope::All)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.record.status.label(), "已否决");
    let audit = app
        .store
        .audit_log(
            &AuditFilter {
                entity: Some("compare_links".into()),
                entity_key: Some(link_a.to_string()),
                ..AuditFilter::default()
            },
            10,
        )
        .await
        .unwrap();
    assert!(audit[0].actor.contains("town_a"), "{:?}", audit[0]);
    assert!(audit[0].reason.contains("出生日期不符"), "{:?}", audit[0]);
    // A decided link leaves the queue.
    let queue = town.get("/compare/review").await.text();
    assert!(
        !queue.contains(&format!("/compare/links/{link_a}")),
        "{queue}"
    );
}

/// Regression: an exception placed at a school the directory lacks (a
/// 县外就读 student's school) showed the bare school code as its place.
#[tokio::test]
async fn an_exception_at_a_school_outside_the_directory_says_so() {
    use zizhu_store::{AuditContext, ExceptionKind, ExceptionRecord, Placement};
    let app = app().await;
    seed_compare(&app).await;
    let term = zizhu_core::Term::parse(TERM).unwrap();
    let run = app.store.compare_runs(&term, 1).await.unwrap()[0].id;
    let mut tx = app
        .store
        .begin_write(AuditContext {
            actor: "比对".into(),
            reason: "测试比对".into(),
            batch_id: None,
        })
        .await
        .unwrap();
    tx.put_compare_exception(
        run,
        &ExceptionRecord {
            term,
            kind: ExceptionKind::OutOfCountyMissing,
            key: format!("人员:{}", app.ids.wang),
            person_id: Some(app.ids.wang),
            summary: "县外就读，缺少接收学校信息：就读地点".into(),
            evidence: r#"{"学籍":1,"缺少":["就读地点"]}"#.into(),
            placement: Placement {
                school_code: Some("3143990001".into()),
                township_code: Some(TOWN_A.into()),
                class_name: None,
            },
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let page = app.client("county").await.get("/compare").await.text();
    assert!(
        page.contains("<td>天堂镇 未登记的学校（代码 3143990001）</td>"),
        "{page}"
    );
    assert!(!page.contains(" 3143990001</td>"), "{page}");
}

/// The dashboard's 疑似失学辍学 figure is the comparison's count for the
/// user's area — the number `/compare` lists for that kind — and links
/// there; cleared exceptions and other terms do not count, and a role
/// without the exception lists does not see it.
#[tokio::test]
async fn the_dashboard_counts_suspected_dropouts_of_the_users_area() {
    use zizhu_store::{AuditContext, ExceptionKind, ExceptionRecord, Placement};
    let app = app().await;
    seed_compare(&app).await;
    let term = zizhu_core::Term::parse(TERM).unwrap();
    let run = app
        .store
        .compare_runs(&term, 1)
        .await
        .unwrap()
        .first()
        .unwrap()
        .id;
    let dropout = |person: i64, school: &str, town: &str, class: &str, term| ExceptionRecord {
        term,
        kind: ExceptionKind::SuspectedDropout,
        key: format!("人员:{person}"),
        person_id: Some(person),
        summary: "10 周岁，学籍非在读".into(),
        evidence: r#"{"本学期学籍":"无","关联人员":[]}"#.into(),
        placement: Placement {
            school_code: Some(school.to_owned()),
            township_code: Some(town.to_owned()),
            class_name: Some(class.to_owned()),
        },
    };
    let mut tx = app
        .store
        .begin_write(AuditContext {
            actor: "比对".into(),
            reason: "测试比对".into(),
            batch_id: None,
        })
        .await
        .unwrap();
    tx.put_compare_exception(
        run,
        &dropout(app.ids.wang, SCHOOL_A1, TOWN_A, "3（2）班", term),
    )
    .await
    .unwrap();
    tx.put_compare_exception(run, &dropout(app.ids.zhao, SCHOOL_B1, TOWN_B, "1班", term))
        .await
        .unwrap();
    // Cleared by a later run, and another term's: neither counts.
    let cleared = tx
        .put_compare_exception(
            run,
            &dropout(app.ids.zhang, SCHOOL_A2, TOWN_A, "初一（1）班", term),
        )
        .await
        .unwrap()
        .id;
    tx.clear_compare_exception(run, cleared).await.unwrap();
    tx.put_compare_exception(
        run,
        &dropout(
            app.ids.li,
            SCHOOL_A1,
            TOWN_A,
            "3（1）班",
            zizhu_core::Term::parse("2019春").unwrap(),
        ),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let figure = |body: &str, label: &str| -> Option<(String, String)> {
        let at = body.find(&format!("<span class=\"label\">{label}</span>"))?;
        let start = body[..at].rfind("class=\"num\">").unwrap() + "class=\"num\">".len();
        let value = body[start..start + body[start..].find('<').unwrap()].to_owned();
        let a = body[..at].rfind("<a ").unwrap();
        // The template escapes `&` in the attribute.
        let href = body[a..at]
            .split('"')
            .nth(3)
            .unwrap()
            .replace("&#38;", "&")
            .replace("&amp;", "&");
        Some((value, href))
    };
    let label = "疑似失学辍学（比对）";
    // county: 钱五 (township A, no school), 王小明 (A1), 赵四 (B1).
    for (user, expected) in [
        ("county", "3"),
        ("leader", "3"),
        ("town_a", "2"),
        ("school_a", "1"),
        ("teacher_a", "0"),
        ("school_b", "1"),
    ] {
        let c = app.client(user).await;
        let body = c.get("/").await.text();
        let (value, href) =
            figure(&body, label).unwrap_or_else(|| panic!("{user} sees the figure: {body}"));
        assert_eq!(value, expected, "{user}");
        assert!(href.starts_with("/compare?"), "{user}: {href}");
        // The link lists exactly that many.
        let list = c.get(&href).await.text();
        let rows = list.matches("\">疑似失学辍学</td>").count();
        assert_eq!(rows.to_string(), expected, "{user}: {href}: {list}");
        assert!(
            !list.contains("\">县外就读信息缺失</td>"),
            "{user}: the link is filtered to the kind: {href}"
        );
    }
    let body = app.client("fund").await.get("/").await.text();
    assert!(figure(&body, label).is_none(), "the foundation: {body}");
}

/// The 依据 of an exception reads as Chinese sentences, masked like the
/// columns beside it: no JSON reaches the page.
#[tokio::test]
async fn exception_evidence_is_chinese_text_without_json() {
    let app = app().await;
    seed_compare(&app).await;
    let page = app.client("county").await.get("/compare").await.text();
    let cells: Vec<&str> = page
        .split("<summary>查看</summary>")
        .skip(1)
        .map(|s| &s[..s.find("</details>").unwrap()])
        .collect();
    assert_eq!(cells.len(), 2, "{page}");
    for c in &cells {
        assert!(!c.contains('{') && !c.contains("&quot;"), "{c}");
        assert!(c.contains("公安卫健-0至17岁人口名册.xlsx 第 5 行"), "{c}");
    }
    assert!(
        cells
            .iter()
            .any(|c| c.contains("学籍系统 2018秋 无在读记录")),
        "{cells:?}"
    );
    assert!(full_ids(&page).is_empty(), "{page}");
    // The review queue gives the match probability as a percentage.
    let queue = app
        .client("county")
        .await
        .get("/compare/review")
        .await
        .text();
    assert!(queue.contains("81.2%"), "{queue}");
}

/// The audit log's filters name tables and actions in Chinese, and a
/// history names an entitlement's columns in Chinese with money in 元.
#[tokio::test]
async fn the_audit_log_speaks_chinese() {
    let app = app().await;
    seed_entitlements(&app.store, &app.ids).await;
    let admin = app.client("admin").await;
    let page = admin.get("/audit").await.text();
    assert!(
        page.contains(r#"<option value="entitlements">资助记录</option>"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<option value="insert">新增</option>"#),
        "{page}"
    );
    let page = admin.get("/audit?entity=entitlements").await.text();
    assert!(
        page.contains(r#"<option value="entitlements" selected>资助记录</option>"#),
        "{page}"
    );
    assert!(page.contains("新增资助记录"), "{page}");
    assert!(
        page.contains("金额（元）") && page.contains("625.00"),
        "{page}"
    );
    for raw in [
        "amount_fen",
        "cause_kind",
        "policy_code",
        "funding_central_fen",
    ] {
        assert!(!page.contains(raw), "{raw}: {page}");
    }
    // The person page's history alike.
    let li = format!("/persons/{}", app.ids.li);
    let page = app.client("county").await.get(&li).await.text();
    assert!(page.contains("新增资助记录"), "{page}");
    for raw in ["amount_fen", "cause_kind", "funding_central_fen", "{&quot;"] {
        assert!(!page.contains(raw), "{raw}: {page}");
    }
}
