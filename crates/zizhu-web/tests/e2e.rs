//! End-to-end tests in headless Chromium, driven over the DevTools protocol
//! (chromiumoxide). Compiled only with `--features e2e`:
//!
//! ```sh
//! crates/zizhu-web/e2e/install-deps.sh        # chromium, chromium-driver, a CJK font
//! ZIZHU_E2E=1 cargo test -p zizhu-web --features e2e --test e2e
//! ```
//!
//! With the feature on, a missing Chromium is a failure, never a skip.
//! Screenshots of the main pages go to `target/e2e-screenshots/` (or
//! `$ZIZHU_SCREENSHOT_DIR`).
//!
//! Notes from STACK.md that shape the helpers: Chinese text is typed with
//! `Input.insertText` (key events have no Chinese keys); after a form POST
//! that redirects, the test polls for the next page's content instead of
//! waiting for a navigation event; as root Chromium needs `--no-sandbox`.

#![cfg(feature = "e2e")]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::browser::{
    SetDownloadBehaviorBehavior, SetDownloadBehaviorParams,
};
use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
use chromiumoxide::page::{Page, ScreenshotParams};
use common::*;
use futures_util::StreamExt;
use zizhu_core::{Date, IdNumber};
use zizhu_web::{AppState, WebConfig};

/// How long any one expected page may take to appear.
const WAIT: Duration = Duration::from_secs(60);

fn chromium() -> PathBuf {
    let path = std::env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let path = PathBuf::from(path);
    assert!(
        path.exists(),
        "找不到 Chromium（{}）：端到端测试不能跳过。请运行 crates/zizhu-web/e2e/install-deps.sh，或用 CHROME 指定浏览器路径",
        path.display()
    );
    path
}

fn screenshot_dir() -> PathBuf {
    let dir = std::env::var("ZIZHU_SCREENSHOT_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running server on a fresh seeded county, and a browser.
struct Session {
    base: String,
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _data: tempfile::TempDir,
    _profile: tempfile::TempDir,
    ids: Ids,
    store: zizhu_store::Store,
}

async fn start() -> Session {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/e2e.sqlite", data.path().display());
    let store = zizhu_store::Store::connect(&url).await.unwrap();
    let ids = seed(&store, data.path()).await;
    add_accounts(&store).await;
    let state = AppState::with_config(
        store.clone(),
        WebConfig {
            data_dir: data.path().join("files"),
            ..WebConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        zizhu_web::serve_on(state, listener).await.unwrap();
    });

    let profile = tempfile::tempdir().unwrap();
    let config = BrowserConfig::builder()
        .chrome_executable(chromium())
        .no_sandbox()
        .new_headless_mode()
        .window_size(1366, 900)
        // Without this the page is emulated at 800×600 whatever the window.
        .viewport(None)
        .user_data_dir(profile.path())
        .args([
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=zh-CN",
            "--font-render-hinting=none",
        ])
        .build()
        .unwrap();
    let (browser, mut events) = Browser::launch(config)
        .await
        .unwrap_or_else(|e| panic!("Chromium 无法启动：{e}"));
    let handler = tokio::spawn(async move {
        while let Some(event) = events.next().await {
            if event.is_err() {
                break;
            }
        }
    });
    Session {
        base,
        browser,
        handler,
        _data: data,
        _profile: profile,
        ids,
        store,
    }
}

impl Session {
    async fn page(&self, path: &str) -> Page {
        let page = self
            .browser
            .new_page(format!("{}{path}", self.base))
            .await
            .unwrap();
        wait_text(&page, "</html>").await;
        page
    }

    async fn goto(&self, page: &Page, path: &str) {
        page.goto(format!("{}{path}", self.base)).await.unwrap();
    }

    async fn finish(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// Polls until the page's HTML contains `text`; returns the HTML.
async fn wait_text(page: &Page, text: &str) -> String {
    let start = Instant::now();
    loop {
        if let Ok(html) = page.content().await
            && html.contains(text)
        {
            return html;
        }
        if start.elapsed() > WAIT {
            let html = page.content().await.unwrap_or_default();
            panic!("页面中没有出现“{text}”：{html}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types into a field: focus it, then insert the text as an input method
/// would, which works for Chinese as well as ASCII.
async fn type_into(page: &Page, selector: &str, text: &str) {
    let field = page
        .find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("找不到输入框 {selector}：{e}"));
    field.click().await.unwrap();
    page.execute(InsertTextParams::new(text)).await.unwrap();
}

async fn click(page: &Page, selector: &str) {
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("找不到 {selector}：{e}"))
        .click()
        .await
        .unwrap();
}

/// Saves a full-page screenshot. A capture taken while the page is still
/// laying out can fail; it is retried a few times before the test fails.
async fn shot(page: &Page, name: &str) {
    let mut last = None;
    for _ in 0..5 {
        match page
            .screenshot(ScreenshotParams::builder().full_page(true).build())
            .await
        {
            Ok(png) => {
                std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
                return;
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("截图 {name} 失败：{last:?}");
}

/// The number shown on a dashboard figure.
fn figure(html: &str, label: &str) -> i64 {
    let at = html
        .find(&format!("<span class=\"label\">{label}</span>"))
        .unwrap_or_else(|| panic!("首页没有“{label}”"));
    let start = html[..at].rfind("class=\"num\">").unwrap() + "class=\"num\">".len();
    html[start..start + html[start..].find('<').unwrap()]
        .replace(',', "")
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn school_officer_changes_password_finds_a_student_by_traditional_name_and_sees_only_their_school()
 {
    let s = start().await;
    let page = s.page("/").await;
    // Signed out: the login page.
    wait_text(&page, "忘记密码").await;
    shot(&page, "01-login").await;
    type_into(&page, "input[name=username]", "newbie").await;
    type_into(&page, "input[name=password]", PASSWORD).await;
    click(&page, "form button[type=submit]").await;

    // The initial password must be changed before anything else.
    wait_text(&page, "第一次登录").await;
    shot(&page, "02-forced-password-change").await;
    type_into(&page, "input[name=current]", PASSWORD).await;
    type_into(&page, "input[name=new]", "Tiantang2019").await;
    type_into(&page, "input[name=confirm]", "Tiantang2019").await;
    click(&page, "main form button[type=submit]").await;
    let home = wait_text(&page, "关键数据").await;
    assert!(
        home.contains("天堂镇中心小学"),
        "the header names the school"
    );
    assert_eq!(figure(&home, "在籍学生"), 2);
    shot(&page, "03-dashboard-school-officer").await;

    // A traditional-character spelling finds the simplified name.
    s.goto(&page, "/students").await;
    wait_text(&page, "姓名、身份证号或学籍号").await;
    type_into(&page, "input[name=q]", "李小龍").await;
    click(&page, ".search button[type=submit]").await;
    let found = wait_text(&page, "按姓名").await;
    assert!(found.contains("李小龙"), "{found}");
    assert!(!found.contains("王小明"));
    shot(&page, "04-search-traditional-name").await;

    // Only the officer's own school, in the list and in the menus.
    s.goto(&page, "/students").await;
    let list = wait_text(&page, "名学生").await;
    assert!(list.contains("李小龙") && list.contains("王小明"));
    for other in ["赵四", "张三", "九疑乡中心小学", "天堂镇中学"] {
        assert!(!list.contains(other), "{other} is not this school's");
    }
    assert!(
        !list.contains("name=\"township\""),
        "no township menu for a school"
    );
    shot(&page, "05-students-own-school").await;

    // The person page, masked, then unmasked on request.
    s.goto(&page, &format!("/persons/{}", s.ids.li)).await;
    let person = wait_text(&page, "学籍记录").await;
    assert!(person.contains("138****5678"));
    shot(&page, "06-person-masked").await;
    click(&page, "form.unmask button").await;
    let full = wait_text(&page, "已记录查看").await;
    assert!(full.contains("13812345678"));
    shot(&page, "07-person-unmasked").await;

    // Another school's student: 404, in the site's layout.
    s.goto(&page, &format!("/persons/{}", s.ids.zhao)).await;
    let nf = wait_text(&page, "不在您的管辖范围内").await;
    assert!(!nf.contains("赵四"));
    shot(&page, "08-other-school-404").await;

    // The printable 台账.
    s.goto(&page, "/students/print").await;
    wait_text(&page, "学生信息台账").await;
    shot(&page, "09-print-ledger").await;
    s.finish().await;
}

/// A roster of `n` good rows across two schools plus three bad ones.
fn big_roster(dir: &Path, n: usize) -> (PathBuf, usize) {
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "周", "吴", "徐"];
    let given = [
        "小明", "晓红", "子涵", "雨轩", "浩然", "欣怡", "宇航", "梓萱", "俊杰", "诗琪",
    ];
    let grades = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"];
    let mut csv = String::from("姓名,身份证号,学校标识码,学段,年级,班级名称,学期\n");
    for k in 0..n {
        let birth = Date::parse("2009-09-01")
            .unwrap()
            .add_days((k / 500) as i64);
        let id = IdNumber::from_parts("431126", birth, 100 + (k % 500) as u16).unwrap();
        let school = if k % 3 == 0 { SCHOOL_B1 } else { SCHOOL_A1 };
        let grade = grades[k % 6];
        csv.push_str(&format!(
            "{}{},{},{school},小学,{grade},{}（1）班,2018秋\n",
            surnames[k % 10],
            given[(k / 10) % 10],
            id.as_str(),
            k % 6 + 1
        ));
    }
    // Wrong check digit, unknown school, empty name.
    csv.push_str(&format!(
        "吴错号,431126201003150023,{SCHOOL_A1},小学,一年级,1（1）班,2018秋\n"
    ));
    csv.push_str("郑无校,431126201003150022,2143999999,小学,一年级,1（1）班,2018秋\n");
    csv.push_str(&format!(
        ",431126201209010017,{SCHOOL_A1},小学,一年级,1（1）班,2018秋\n"
    ));
    let path = dir.join("全县学籍名单2018秋.csv");
    std::fs::write(&path, csv).unwrap();
    (path, n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn county_user_uploads_a_roster_with_errors_and_downloads_the_rejection_report() {
    let s = start().await;
    let page = s.page("/login").await;
    type_into(&page, "input[name=username]", "county").await;
    type_into(&page, "input[name=password]", PASSWORD).await;
    click(&page, "form button[type=submit]").await;
    let home = wait_text(&page, "关键数据").await;
    let before = figure(&home, "在籍学生");
    assert_eq!(before, 4);
    shot(&page, "11-dashboard-county-before").await;

    let files = tempfile::tempdir().unwrap();
    let (roster, good) = big_roster(files.path(), 1500);
    s.goto(&page, "/imports/new").await;
    wait_text(&page, "上传并导入").await;
    let input = page.find_element("input[type=file]").await.unwrap();
    page.execute(
        SetFileInputFilesParams::builder()
            .files(vec![roster.display().to_string()])
            .backend_node_id(input.backend_node_id)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    shot(&page, "12-upload-form").await;
    click(&page, "main form button[type=submit]").await;

    // The progress page, then its result once the import is done.
    wait_text(&page, "导入进度").await;
    shot(&page, "13-import-progress").await;
    let done = wait_text(&page, "<p class=\"done\"").await;
    assert!(done.contains("下载退回报告"), "{done}");
    assert!(done.contains("<dt>接受</dt><dd>1500</dd>"), "{done}");
    shot(&page, "14-import-done").await;

    // Download the rejection report through the browser.
    let downloads = tempfile::tempdir().unwrap();
    s.browser
        .execute(
            SetDownloadBehaviorParams::builder()
                .behavior(SetDownloadBehaviorBehavior::Allow)
                .download_path(downloads.path().display().to_string())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    click(&page, "a[href$='/report.xlsx']").await;
    let report = {
        let start = Instant::now();
        loop {
            let found = std::fs::read_dir(downloads.path())
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "xlsx"));
            if let Some(p) = found {
                break p;
            }
            assert!(start.elapsed() < WAIT, "退回报告没有下载下来");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    assert!(
        report
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains("退回报告"),
        "{}",
        report.display()
    );
    {
        use calamine::{Reader, Xlsx, open_workbook};
        let mut wb: Xlsx<_> = open_workbook(&report).unwrap();
        let sheet = wb.sheet_names()[0].clone();
        let text = format!("{:?}", wb.worksheet_range(&sheet).unwrap());
        for expected in ["吴错号", "郑无校", "原因", "行号"] {
            assert!(text.contains(expected), "report lacks {expected}: {text}");
        }
    }

    click(&page, "a[href^='/imports/'].button").await;
    let batch = wait_text(&page, "退回的行").await;
    assert!(batch.contains("全县学籍名单2018秋.csv"));
    shot(&page, "15-batch").await;

    // The dashboard counts the new students.
    s.goto(&page, "/").await;
    let home = wait_text(&page, "关键数据").await;
    // Every accepted row and the unresolved rejected one (a wrong check
    // digit, kept with its enrollment for the comparison engine).
    assert_eq!(figure(&home, "在籍学生"), before + good as i64 + 1);
    shot(&page, "16-dashboard-county-after").await;

    for (path, name, marker) in [
        ("/imports", "17-imports", "名单导入"),
        ("/schools", "18-schools", "学校标识码"),
        (
            "/students?poverty=registered",
            "19-students-county",
            "名学生",
        ),
        ("/households", "20-households", "户编号"),
    ] {
        s.goto(&page, path).await;
        wait_text(&page, marker).await;
        shot(&page, name).await;
    }
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrator_reads_the_audit_log_and_manages_accounts() {
    let s = start().await;
    let page = s.page("/login").await;
    type_into(&page, "input[name=username]", "admin").await;
    type_into(&page, "input[name=password]", PASSWORD).await;
    click(&page, "form button[type=submit]").await;
    wait_text(&page, "关键数据").await;
    s.goto(&page, "/admin/users").await;
    wait_text(&page, "新建账号").await;
    type_into(&page, "input[name=username]", "teacher_b").await;
    type_into(&page, "input[name=display_name]", "赵老师").await;
    page.evaluate("document.querySelector('select[name=role]').value = 'teacher'")
        .await
        .unwrap();
    type_into(&page, "input[name=school]", SCHOOL_B1).await;
    type_into(&page, "input[name=classes]", "2（1）班").await;
    click(&page, ".grid-form button[type=submit]").await;
    wait_text(&page, "初始密码").await;
    shot(&page, "21-admin-users").await;
    s.goto(&page, "/audit").await;
    let log = wait_text(&page, "审计日志").await;
    assert!(full_ids(&log).is_empty(), "the audit log masks ID numbers");
    shot(&page, "22-audit-log").await;
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn county_user_reads_an_exceptions_evidence_and_decides_a_link() {
    let s = start().await;
    seed_comparison(&s.store, &s.ids).await;
    let page = s.page("/login").await;
    type_into(&page, "input[name=username]", "county").await;
    type_into(&page, "input[name=password]", PASSWORD).await;
    click(&page, "form button[type=submit]").await;
    let home = wait_text(&page, "关键数据").await;
    assert_eq!(figure(&home, "疑似失学辍学（比对）"), 1);

    // 比对异常: open the first exception's 依据.
    s.goto(&page, "/compare").await;
    wait_text(&page, "比对异常名单").await;
    click(&page, "details.evidence summary").await;
    let evidence: String = page
        .evaluate("document.querySelector('details.evidence[open]').innerText")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(!evidence.contains('{'), "{evidence}");
    assert!(evidence.contains("学籍系统"), "{evidence}");
    assert!(evidence.contains("第 5 行"), "{evidence}");
    shot(&page, "23-compare-evidence").await;

    // The review queue: reject one link with a reason; the queue shrinks.
    s.goto(&page, "/compare/review").await;
    let queue = wait_text(&page, "比对复核队列").await;
    let before = queue.matches("name=\"reason\"").count();
    assert_eq!(before, 2, "{queue}");
    shot(&page, "24-compare-review").await;
    type_into(
        &page,
        "tbody tr form input[name=reason]",
        "出生日期不符，不是同一人",
    )
    .await;
    click(&page, "tbody tr form button[value=reject]").await;
    let after = wait_text(&page, "共 <strong>1</strong> 条待复核").await;
    assert_eq!(after.matches("name=\"reason\"").count(), before - 1);
    shot(&page, "25-compare-review-decided").await;
    s.finish().await;
}
