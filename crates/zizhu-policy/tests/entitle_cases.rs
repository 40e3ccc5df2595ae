//! Table-driven edge cases of the Hunan 2018 policies: each case states a
//! student's facts and the exact entitlements expected, as
//! `CODE amount status` lines.

mod common;

use common::*;
use zizhu_core::{Fen, Stage};
use zizhu_policy::key::policy_code_in;
use zizhu_policy::*;

/// Computes one student's entitlements under `set` and compares them with
/// `expected`, printing the explanation on failure.
fn check(set: &PolicySet, t: &str, s: StudentFacts, expected: &[&str]) {
    let person = s.person;
    let r = entitle(set, term(t), &[s]);
    let got = lines(&r);
    assert_eq!(
        got,
        expected,
        "\n{}",
        r.explain(person.as_str()).unwrap_or_default()
    );
}

fn poor(mut s: StudentFacts) -> StudentFacts {
    s.poverty = PovertyStatus::NotLifted;
    s
}

#[test]
fn lifted_from_poverty_this_year_vs_last_year() {
    let lifted = |year| {
        let mut s = student("v1", term("2018秋"), Stage::Vocational, 3);
        s.poverty = PovertyStatus::Lifted { year };
        s
    };
    // Hunan 2018: 脱贫不脱政策 through 2020, so both still count.
    let set = hunan();
    let both = ["VOC_TUITION_WAIVER 1200.00 可发放", "YULU 1500.00 可发放"];
    check(&set, "2018秋", lifted(2018), &both);
    check(&set, "2018秋", lifted(2017), &both);
    // After 2020 the grace ends: the household no longer counts as 建档立卡,
    // so neither 雨露计划 nor 免学费 applies (the student is urban, not 涉农,
    // and no longer 家庭经济困难).
    let mut late = lifted(2017);
    late.term = term("2021春");
    check(&set, "2021春", late, &[]);

    // A province that keeps policies only in the year of lifting.
    let strict = hunan_with("keep_policy_through = 2020", "grace_years = 0");
    check(&strict, "2018秋", lifted(2018), &both);
    check(&strict, "2018秋", lifted(2017), &[]);
}

#[test]
fn boarding_vs_day_student() {
    let set = hunan();
    let junior = |t: &str, boarding| {
        let mut s = poor(student("j1", term(t), Stage::Junior, 1));
        s.boarding = Some(boarding);
        s
    };
    check(
        &set,
        "2018秋",
        junior("2018秋", true),
        &[
            "BOARDING_LIVING 625.00 可发放",
            "MATERIALS_FEE_WAIVER 60.00 可发放",
        ],
    );
    // The day-student subsidy starts in 2019秋, so in 2018 a day student gets none.
    check(
        &set,
        "2018秋",
        junior("2018秋", false),
        &["MATERIALS_FEE_WAIVER 60.00 可发放"],
    );
    // From 2019秋: 625 元/年 split over two terms is 312.50 元 (31250 分) a term.
    check(
        &set,
        "2019秋",
        junior("2019秋", false),
        &[
            "NONBOARDING_LIVING 312.50 可发放",
            "MATERIALS_FEE_WAIVER 60.00 可发放",
        ],
    );
    let mut primary = poor(student("p1", term("2019春"), Stage::Primary, 4));
    primary.boarding = Some(true);
    check(
        &set,
        "2019春",
        primary,
        &[
            "BOARDING_LIVING 500.00 可发放",
            "MATERIALS_FEE_WAIVER 50.00 可发放",
        ],
    );
    // Not poor at all: a boarding student gets nothing.
    let mut rich = student("r1", term("2018秋"), Stage::Junior, 1);
    rich.boarding = Some(true);
    check(&set, "2018秋", rich, &[]);
}

#[test]
fn split_of_a_yearly_amount_is_exact_in_fen() {
    let set = hunan();
    let r = entitle(
        &set,
        term("2019秋"),
        &[poor(student("j1", term("2019秋"), Stage::Junior, 2))],
    );
    let e = &r.entitlements[0];
    assert_eq!(e.policy_code.as_str(), "NONBOARDING_LIVING");
    assert_eq!(e.amount, Fen(31250));
    assert_eq!(e.funding.total(), Fen(31250));
}

#[test]
fn vocational_grade_three_gets_no_grant() {
    let set = hunan();
    let voc = |g| poor(student("v", term("2018秋"), Stage::Vocational, g));
    let grant = [
        "VOC_TUITION_WAIVER 1200.00 可发放",
        "VOC_GRANT 1000.00 可发放",
        "YULU 1500.00 可发放",
    ];
    check(&set, "2018秋", voc(1), &grant);
    check(&set, "2018秋", voc(2), &grant);
    check(
        &set,
        "2018秋",
        voc(3),
        &["VOC_TUITION_WAIVER 1200.00 可发放", "YULU 1500.00 可发放"],
    );
}

#[test]
fn student_out_of_county() {
    let set = hunan();
    // The other county's school has confirmed enrollment and the account is
    // valid: the student is paid like any other.
    let mut ok = poor(student("o1", term("2018秋"), Stage::Higher, 1));
    ok.out_of_county = true;
    check(&set, "2018秋", ok.clone(), &["YULU 1500.00 可发放"]);

    // No enrollment proof from the other county: 信息缺失 naming the item.
    let mut missing = ok.clone();
    missing.enrollment_confirmed = None;
    check(
        &set,
        "2018秋",
        missing,
        &["YULU 1500.00 受阻：信息缺失：学籍确认（县外就读，需就读地学校提供）"],
    );

    // Neither enrollment nor bank account known.
    let mut both = ok.clone();
    both.enrollment_confirmed = None;
    both.bank_account = None;
    check(
        &set,
        "2018秋",
        both,
        &["YULU 1500.00 受阻：信息缺失：学籍确认、银行账户（县外就读，需就读地学校提供）"],
    );

    // A junior student whose boarding status the other school did not report:
    // the boarding subsidy cannot be decided.
    let mut junior = poor(student("o2", term("2018秋"), Stage::Junior, 3));
    junior.out_of_county = true;
    junior.boarding = None;
    check(
        &set,
        "2018秋",
        junior,
        &[
            "BOARDING_LIVING 625.00 受阻：信息缺失：寄宿（县外就读，需就读地学校提供）",
            "MATERIALS_FEE_WAIVER 60.00 可发放",
        ],
    );

    // A high-school fee waiver needs the other school's fee standard.
    let mut high = poor(student("o3", term("2018秋"), Stage::SeniorHigh, 1));
    high.out_of_county = true;
    high.school_fee_per_term = None;
    check(
        &set,
        "2018秋",
        high.clone(),
        &[
            "HIGH_SCHOOL_GRANT 1500.00 可发放",
            "HIGH_SCHOOL_FEE_WAIVER 0.00 受阻：信息缺失：学杂费（县外就读，需就读地学校提供）",
            "MATERIALS_FEE_WAIVER 80.00 可发放",
        ],
    );
    // The student is 建档立卡, so the waiver's rule holds: the trace says
    // so, and names the fee standard as what is missing, rather than
    // calling the rule 无法判断.
    let r = entitle(&set, term("2018秋"), &[high]);
    let waiver = r
        .entitlements
        .iter()
        .find(|e| e.policy_code.as_str() == "HIGH_SCHOOL_FEE_WAIVER")
        .expect("免学杂费");
    let text = r.trace_text(waiver);
    assert!(text.contains("」成立"), "{text}");
    assert!(!text.contains("无法判断"), "{text}");
    assert!(text.contains("学杂费 = 未知"), "{text}");
    assert!(text.contains("状态：受阻：信息缺失：学杂费"), "{text}");
}

#[test]
fn orphan_and_disabled_at_once() {
    let set = hunan();
    let mut s = student("h1", term("2018秋"), Stage::SeniorHigh, 2);
    s.orphan = true;
    s.disability = Some(Disability::Physical);
    s.school_fee_per_term = Some(Fen::from_yuan(1000));
    // One entitlement per policy, however many groups the student is in:
    // 二档 grant (not 建档立卡) and the fee waiver via 残疾 且 家庭经济困难.
    check(
        &set,
        "2018秋",
        s.clone(),
        &[
            "HIGH_SCHOOL_GRANT 1000.00 可发放",
            "HIGH_SCHOOL_FEE_WAIVER 1000.00 可发放",
        ],
    );
    let r = entitle(&set, term("2018秋"), &[s]);
    // The higher level wins: 孤儿 makes the student 特别困难.
    assert_eq!(r.entitlements[0].trace.difficulty, Difficulty::Very);
    let text = r.explain("h1").unwrap();
    assert!(text.contains("孤儿 = 是"), "{text}");
    assert!(text.contains("残疾 = 是"), "{text}");
}

#[test]
fn school_recognition_overrides_the_derived_level() {
    let set = hunan();
    let mut s = student("h2", term("2018秋"), Stage::SeniorHigh, 1);
    s.recognition = Some(Recognition {
        level: Difficulty::Somewhat,
        reason: "父亲重病，家庭收入骤减（班级评议）".into(),
    });
    check(
        &set,
        "2018秋",
        s.clone(),
        &["HIGH_SCHOOL_GRANT 1000.00 可发放"],
    );
    let r = entitle(&set, term("2018秋"), &[s]);
    assert!(r.entitlements[0].trace.recognized_by_school);
    let text = r.trace_text(&r.entitlements[0]);
    assert!(
        text.contains("学校认定：一般困难，理由：父亲重病"),
        "{text}"
    );
}

#[test]
fn exclusivity_keeps_the_first_payable_member() {
    let set = hunan();
    let mut s = poor(student("s1", term("2018秋"), Stage::Junior, 1));
    s.special_school = true;
    s.boarding = Some(true);
    check(
        &set,
        "2018秋",
        s,
        &[
            "BOARDING_LIVING 625.00 受阻：与「特殊教育学校学生生活补助」不可兼得，已享受「特殊教育学校学生生活补助」",
            "SPECIAL_EDU_LIVING 500.00 可发放",
            "MATERIALS_FEE_WAIVER 60.00 可发放",
        ],
    );
}

/// Regression: the trace began with the policy's ASCII code
/// (`BOARDING_LIVING「…」`), and an exclusivity named the other policy by
/// its code; the person page shows the trace to users who read Chinese.
#[test]
fn the_trace_names_policies_in_chinese_without_their_codes() {
    let set = hunan();
    let mut s = poor(student("s1", term("2018秋"), Stage::Junior, 1));
    s.special_school = true;
    s.boarding = Some(true);
    let r = entitle(&set, term("2018秋"), &[s]);
    let texts: Vec<String> = r.entitlements.iter().map(|e| r.trace_text(e)).collect();
    assert!(
        texts[0]
            .starts_with("依据 「义务教育家庭经济困难寄宿生生活补助」（补，国家政策）：资格条件"),
        "{}",
        texts[0]
    );
    assert!(
        texts[0].contains("状态：受阻：与「特殊教育学校学生生活补助」不可兼得，已享受「特殊教育学校学生生活补助」。"),
        "{}",
        texts[0]
    );
    for t in &texts {
        assert_eq!(policy_code_in(t), None, "{t}");
    }
    // Without the policy set the other policy cannot be named, and still
    // no code shows.
    assert_eq!(
        r.entitlements[0].status.label(),
        "受阻：与同组另一项政策不可兼得，已享受同组另一项政策"
    );
    assert_eq!(policy_code_in("a VOC_GRANT b"), Some("VOC_GRANT"));
    assert_eq!(policy_code_in("学校 4143000009 roster.xlsx ABC"), None);
}

#[test]
fn strict_exclusivity_needs_a_recorded_choice() {
    let set = hunan_with("mode = \"按优先级\"", "mode = \"严格\"");
    let mut s = poor(student("s1", term("2018秋"), Stage::Junior, 1));
    s.special_school = true;
    s.boarding = Some(true);
    check(
        &set,
        "2018秋",
        s.clone(),
        &[
            "BOARDING_LIVING 625.00 受阻：叠加规则冲突：与「特殊教育学校学生生活补助」不得同时享受，需学校确定享受哪一项",
            "SPECIAL_EDU_LIVING 500.00 受阻：叠加规则冲突：与「义务教育家庭经济困难寄宿生生活补助」不得同时享受，需学校确定享受哪一项",
            "MATERIALS_FEE_WAIVER 60.00 可发放",
        ],
    );
    s.chosen = Codes::of(&[PolicyCode::new("BOARDING_LIVING").unwrap()]);
    check(
        &set,
        "2018秋",
        s,
        &[
            "BOARDING_LIVING 625.00 可发放",
            "SPECIAL_EDU_LIVING 500.00 受阻：与「义务教育家庭经济困难寄宿生生活补助」不可兼得，已享受「义务教育家庭经济困难寄宿生生活补助」",
            "MATERIALS_FEE_WAIVER 60.00 可发放",
        ],
    );
}

#[test]
fn quota_exhausted_by_selection_order() {
    let set = hunan();
    let t = term("2018秋");
    let scholarship = PolicyCode::new("VOC_SCHOLARSHIP").unwrap();
    // One place per school (default_count = 1); both students nominated. The
    // 特别困难 one is selected first, whatever the person keys say.
    let mut a = student("a", t, Stage::Vocational, 2);
    a.nominated = Codes::of(&[scholarship]);
    a.agri_major = true;
    let mut b = a.clone();
    b.person = PersonKey::new("b").unwrap();
    b.dibao = true;
    let r = entitle(&set, t, &[a, b]);
    assert_eq!(
        lines_of(&r, "b"),
        [
            "VOC_TUITION_WAIVER 1200.00 可发放",
            "VOC_GRANT 1000.00 可发放",
            "VOC_SCHOLARSHIP 6000.00 可发放"
        ]
    );
    assert_eq!(
        lines_of(&r, "a")[2],
        "VOC_SCHOLARSHIP 6000.00 受阻：名额已满（共 1 个名额，该生排第 2 位）"
    );

    // 国家助学金: 15% of the school's grade 1–2 students (10 → 2 places,
    // rounded up); the guaranteed 建档立卡 student takes a place first and
    // three 涉农专业 students compete for the one left.
    let mut pop = Vec::new();
    for i in 0..6 {
        pop.push(student(&format!("n{i}"), t, Stage::Vocational, 1));
    }
    for i in 0..3 {
        let mut s = student(&format!("g{i}"), t, Stage::Vocational, 2);
        s.agri_major = true;
        pop.push(s);
    }
    pop.push(poor(student("p", t, Stage::Vocational, 1)));
    let r = entitle(&set, t, &pop);
    let grants: Vec<String> = r
        .entitlements
        .iter()
        .filter(|e| e.policy_code.as_str() == "VOC_GRANT")
        .map(|e| format!("{} {}", e.person, e.status.label()))
        .collect();
    assert_eq!(
        grants,
        [
            "g0 可发放",
            "g1 受阻：名额已满（共 2 个名额，该生排第 3 位）",
            "g2 受阻：名额已满（共 2 个名额，该生排第 4 位）",
            "p 可发放",
        ]
    );
}

#[test]
fn guaranteed_students_are_paid_beyond_the_quota_with_a_warning() {
    let set = hunan();
    let t = term("2018秋");
    let pop: Vec<StudentFacts> = (0..3)
        .map(|i| poor(student(&format!("k{i}"), t, Stage::Preschool, 2)))
        .collect();
    // 15% of 3 children rounds up to 1 place, but all three are 建档立卡.
    let r = entitle(&set, t, &pop);
    let paid = r
        .entitlements
        .iter()
        .filter(|e| e.policy_code.as_str() == "PRESCHOOL" && e.status.is_payable())
        .count();
    assert_eq!(paid, 3);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].starts_with("「学前教育家庭经济困难幼儿入园补助」：")
            && r.warnings[0].contains("保障对象 3 人超过名额 1 个"),
        "{:?}",
        r.warnings
    );
    assert_eq!(policy_code_in(&r.warnings[0]), None, "{:?}", r.warnings);
}

#[test]
fn missing_or_invalid_bank_account_and_unconfirmed_enrollment_block_with_the_cause() {
    let set = hunan();
    let t = "2018秋";
    let with = |f: &dyn Fn(&mut StudentFacts)| {
        let mut s = poor(student("x", term(t), Stage::Vocational, 3));
        f(&mut s);
        s
    };
    check(
        &set,
        t,
        with(&|s| s.bank_account = Some(BankAccount::Missing)),
        &[
            "VOC_TUITION_WAIVER 1200.00 可发放",
            "YULU 1500.00 受阻：无银行账户",
        ],
    );
    check(
        &set,
        t,
        with(&|s| s.bank_account = Some(BankAccount::from_card_number("621700123456789012"))),
        &[
            "VOC_TUITION_WAIVER 1200.00 可发放",
            "YULU 1500.00 受阻：银行卡号校验失败",
        ],
    );
    check(
        &set,
        t,
        with(&|s| s.enrollment_confirmed = Some(false)),
        &[
            "VOC_TUITION_WAIVER 1200.00 受阻：学籍未确认",
            "YULU 1500.00 受阻：学籍未确认",
        ],
    );
}

#[test]
fn loan_is_the_applied_amount_capped() {
    let set = hunan();
    let t = "2018秋";
    let college = |applied: Option<i64>| {
        let mut s = student("u", term(t), Stage::Higher, 1);
        s.dibao = true;
        s.loan_applied = applied.map(Fen::from_yuan);
        s
    };
    check(
        &set,
        t,
        college(Some(6000)),
        &["HOMETOWN_LOAN 6000.00 可发放"],
    );
    check(
        &set,
        t,
        college(Some(12000)),
        &["HOMETOWN_LOAN 8000.00 可发放"],
    );
    check(&set, t, college(Some(500)), &[]);
    check(&set, t, college(None), &[]);
    // Loans are disbursed once a year, in autumn.
    let mut spring = college(Some(6000));
    spring.term = term("2019春");
    check(&set, "2019春", spring, &[]);
    let r = entitle(&set, term(t), &[college(Some(500))]);
    let text = r.explain("u").unwrap();
    assert!(text.contains("申请金额低于每学年下限 1000 元"), "{text}");
}

#[test]
fn per_school_fee_waiver_follows_the_school() {
    let set = hunan();
    let mut s = poor(student("h", term("2018秋"), Stage::SeniorHigh, 1));
    s.school_fee_per_term = Some(Fen::from_yuan(1000));
    check(
        &set,
        "2018秋",
        s,
        &[
            "HIGH_SCHOOL_GRANT 1500.00 可发放",
            "HIGH_SCHOOL_FEE_WAIVER 1000.00 可发放",
            "MATERIALS_FEE_WAIVER 80.00 可发放",
        ],
    );
}

#[test]
fn explain_says_why_each_policy_does_not_apply() {
    let set = hunan();
    let mut s = student("r", term("2018秋"), Stage::Junior, 2);
    s.boarding = Some(true);
    let r = entitle(&set, term("2018秋"), &[s]);
    let text = r.explain("r").unwrap();
    for frag in [
        "【可发放】0 项",
        "2. 「义务教育家庭经济困难寄宿生生活补助」（补，国家政策）：资格条件「家庭经济困难 且 寄宿」不成立（家庭经济困难 = 否（由认定规则推出））",
        "「义务教育四类家庭经济困难非寄宿生生活补助」（补，国家政策）：本学期不适用：尚未生效（2019秋 起执行）",
        "「建档立卡八、九年级学生免报考费」（免，县级政策）：本学期不适用：秋季学期不发放",
        "「学前教育家庭经济困难幼儿入园补助」（助，省级政策）：学段年级不符：该生为初中 2 年级，本政策适用于 学前",
        "来源：roster.xlsx!学籍!r",
    ] {
        assert!(text.contains(frag), "missing {frag:?} in\n{text}");
    }
    // The reader of the explanation reads Chinese: no policy code in it.
    assert_eq!(policy_code_in(&text), None, "{text}");
    assert!(r.explain("nobody").is_none());
}

#[test]
fn coverage_lists_gaps_with_all_causes_grouped() {
    let set = hunan();
    let t = term("2018秋");
    let mut a = poor(student("a", t, Stage::Vocational, 1));
    a.bank_account = Some(BankAccount::Missing);
    a.enrollment_confirmed = Some(false);
    let mut b = poor(student("b", t, Stage::Higher, 1));
    b.out_of_county = true;
    b.enrollment_confirmed = None;
    b.school = SchoolKey::new("4143000009").unwrap();
    b.township = TownshipKey::new("冷水镇").unwrap();
    let mut c = poor(student("c", t, Stage::Junior, 1));
    c.special_school = true;
    c.boarding = Some(true);
    let r = entitle(&set, t, &[a, b, c]);
    let cov = r.coverage();
    let rows: Vec<String> = cov
        .gaps
        .iter()
        .map(|g| format!("{} {} {}", g.person, g.policy_code, g.causes_text()))
        .collect();
    // Exclusion in favour of SPECIAL_EDU_LIVING is not a gap.
    assert_eq!(
        rows,
        [
            "a VOC_TUITION_WAIVER 学籍未确认",
            "a VOC_GRANT 学籍未确认；无银行账户",
            "a YULU 学籍未确认；无银行账户",
            "b YULU 信息缺失：学籍确认（县外就读，需就读地学校提供）",
        ]
    );
    let by_town = cov.by_township();
    assert_eq!(by_town.len(), 2);
    assert_eq!(by_town[&TownshipKey::new("冷水镇").unwrap()].len(), 1);
    assert_eq!(cov.by_school().len(), 2);
    let kinds = cov.count_by_kind();
    assert_eq!(kinds[&GapKind::EnrollmentUnconfirmed], 3);
    assert_eq!(kinds[&GapKind::MissingInfoOutOfCounty], 1);
    let text = cov.render();
    assert!(text.contains("应享未享共 4 人次"), "{text}");
    assert!(text.contains("乡镇 冷水镇（1 人次）"), "{text}");
}

#[test]
fn diff_names_the_changed_facts() {
    let set = hunan();
    let t = term("2018秋");
    let mut a = poor(student("a", t, Stage::Vocational, 1));
    a.bank_account = Some(BankAccount::Missing);
    let mut b = student("b", t, Stage::Vocational, 2);
    b.dibao = true;
    let c = poor(student("c", t, Stage::Vocational, 3));
    let old = entitle(&set, t, &[a.clone(), b.clone(), c.clone()]);

    a.bank_account = Some(BankAccount::Valid);
    b.dibao = false;
    let mut c2 = c.clone();
    c2.grade = zizhu_core::Grade::new(Stage::Vocational, 2).unwrap();
    let new = entitle(&set, t, &[a, b, c2]);
    let changes: Vec<String> = diff(&old, &new).iter().map(ToString::to_string).collect();
    assert_eq!(
        changes,
        [
            "a「中等职业教育国家助学金」：状态由「受阻：无银行账户」变为「可发放」。原因：银行账户 由 无 变为 有效",
            "a「雨露计划职业教育补助」：状态由「受阻：无银行账户」变为「可发放」。原因：银行账户 由 无 变为 有效",
            "b「中等职业教育国家助学金」：取消（原 1000.00 元，可发放）。原因：低保 由 是 变为 否；困难等级 由 特别困难 变为 不困难；家庭经济困难 由 是 变为 否",
            "b「中等职业教育免学费」：取消（原 1200.00 元，可发放）。原因：低保 由 是 变为 否；困难等级 由 特别困难 变为 不困难；家庭经济困难 由 是 变为 否",
            "c「中等职业教育国家助学金」：新增 1000.00 元（可发放）。原因：年级 由 3 变为 2",
        ]
    );
    for c in &changes {
        assert_eq!(policy_code_in(c), None, "{c}");
    }
    assert!(diff(&old, &old).is_empty());
}

#[test]
fn records_for_another_term_are_ignored_and_counted() {
    let set = hunan();
    let a = poor(student("a", term("2018秋"), Stage::Vocational, 1));
    let b = poor(student("b", term("2019春"), Stage::Vocational, 1));
    let r = entitle(&set, term("2018秋"), &[a, b]);
    assert_eq!(r.students.len(), 1);
    assert_eq!(r.skipped_other_term, 1);
    assert!(r.find_student("b").is_none());
    let owned = entitle_owned(&set, term("2018秋"), r.students.clone());
    assert_eq!(owned.entitlements, r.entitlements);
}
