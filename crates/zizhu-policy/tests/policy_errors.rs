//! Policy files with mistakes: each must fail to load as a whole, with a
//! Chinese message naming the file, the line and the field.

use zizhu_policy::{HUNAN_2018_TOML, PolicyLoadError, PolicySet};

const FILE: &str = "hunan-2018.toml";

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("not found: {needle}"));
    text[..at].matches('\n').count() + 1
}

/// Replaces the first `from` in the shipped file with `to`, loads it, and
/// returns the error; loading must fail.
fn broken(from: &str, to: &str) -> (String, PolicyLoadError) {
    assert!(HUNAN_2018_TOML.contains(from), "not in the file: {from}");
    let text = HUNAN_2018_TOML.replacen(from, to, 1);
    match PolicySet::load(&text, FILE) {
        Ok(_) => panic!("a broken file loaded: {from} → {to}"),
        Err(e) => (text, e),
    }
}

/// Asserts that the single error is at `line`, names `field`, and contains `frag`.
fn check(from: &str, to: &str, line_needle: &str, field: &str, frag: &str) {
    let (text, e) = broken(from, to);
    let line = line_of(&text, line_needle);
    let msg = e.to_string();
    assert_eq!(e.errors.len(), 1, "expected one error, got:\n{msg}");
    let want = format!("{FILE} 第 {line} 行，字段 {field}：");
    assert!(msg.starts_with(&want), "want prefix {want:?}, got:\n{msg}");
    assert!(msg.contains(frag), "want {frag:?} in:\n{msg}");
}

#[test]
fn the_shipped_file_loads() {
    let set = PolicySet::load(HUNAN_2018_TOML, FILE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.policies.len(), 14);
    assert_eq!(set.province, "湖南省");
}

#[test]
fn amount_as_text() {
    let (text, e) = broken(
        "eligible = \"建档立卡\"\namount_per_term = 1500",
        "eligible = \"建档立卡\"\namount_per_term = \"一千五\"",
    );
    let line = line_of(&text, "\"一千五\"");
    // The exact message a county official sees.
    assert_eq!(
        e.to_string(),
        format!(
            "hunan-2018.toml 第 {line} 行，字段 amount_per_term：金额应为数字，实为 \"一千五\""
        )
    );
    assert_eq!(e.errors[0].line, line);
    assert_eq!(e.errors[0].field, "amount_per_term");
}

#[test]
fn amount_as_unquoted_text_is_a_syntax_error_naming_the_field() {
    check(
        "amount_per_term = 1500",
        "amount_per_term = 一千五",
        "一千五",
        "amount_per_term",
        "语法错误：值无法识别：文字须加英文双引号，金额须直接写数字，实为 一千五",
    );
}

#[test]
fn unknown_field() {
    check(
        "amount_per_term = 1200",
        "amout_per_term = 1200",
        "amout_per_term",
        "amout_per_term",
        "未知字段，是否想写 amount_per_term？",
    );
    check(
        "funding = { central = 1000 }",
        "funding = { centre = 1000 }",
        "centre",
        "funding.centre",
        "未知字段",
    );
}

#[test]
fn duplicate_policy_code() {
    let (text, e) = broken("code = \"VOC_GRANT\"", "code = \"VOC_TUITION_WAIVER\"");
    let first = line_of(&text, "[[policy]]\ncode = \"VOC_TUITION_WAIVER\"");
    // The second occurrence is the one reported.
    let at = text.rfind("code = \"VOC_TUITION_WAIVER\"").unwrap();
    let second = text[..at].matches('\n').count() + 1;
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{FILE} 第 {second} 行，字段 code：")),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            "政策代码 VOC_TUITION_WAIVER 重复：第 {first} 行已定义同一代码"
        )),
        "{msg}"
    );
}

#[test]
fn exclusivity_group_naming_an_unknown_policy() {
    check(
        "\"NONBOARDING_LIVING\"]",
        "\"NONBOARDING_LIVNG\"]",
        "NONBOARDING_LIVNG",
        "exclusive[1].policies",
        "互斥组引用了不存在的政策 NONBOARDING_LIVNG",
    );
}

#[test]
fn overlapping_amount_table_rows() {
    check(
        "grade = 3\namount_per_term = 100",
        "grade = 2\namount_per_term = 100",
        "[[policy.amount_table]]\ngrade = 2\namount_per_term = 100",
        "amount_table[2]",
        "两行互相重叠",
    );
}

#[test]
fn negative_amount() {
    check(
        "amount_per_term = 1200",
        "amount_per_term = -1200",
        "-1200",
        "amount_per_term",
        "金额不能为负数，实为 -1200",
    );
}

#[test]
fn amount_with_more_than_two_decimals() {
    check(
        "amount_per_term = 1200",
        "amount_per_term = 1200.005",
        "1200.005",
        "amount_per_term",
        "金额最多两位小数",
    );
}

#[test]
fn funding_shares_not_summing_to_1000() {
    check(
        "funding = { central = 600, province = 200, county = 200 }   # 示例比例\n\n[[policy]]\ncode = \"VOC_GRANT\"",
        "funding = { central = 600, province = 200, county = 100 }\n\n[[policy]]\ncode = \"VOC_GRANT\"",
        "county = 100 }",
        "funding",
        "资金分担比例之和应为 1000（‰），实为 900（中央 600 + 省 200 + 市 0 + 县 100 + 社会 0）",
    );
}

#[test]
fn rule_naming_a_fact_that_does_not_exist() {
    let (text, e) = broken(
        "eligible = \"建档立卡\"\namount_per_term = 1500",
        "eligible = \"建档力卡\"\namount_per_term = 1500",
    );
    let line = line_of(&text, "建档力卡");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "{FILE} 第 {line} 行，字段 eligible：资格条件有误："
        )),
        "{msg}"
    );
    assert!(
        msg.contains("“建档力卡”不是已知的事实名称，是否想写“建档立卡”？"),
        "{msg}"
    );
    // The column points at the misspelt name inside the quotes.
    assert_eq!(e.errors[0].column, "eligible = \"".chars().count() + 1);
}

#[test]
fn syntax_error_in_a_rule() {
    check(
        "eligible = \"涉农专业 或 家庭经济困难\"",
        "eligible = \"涉农专业 或 (家庭经济困难\"",
        "(家庭经济困难",
        "eligible",
        "资格条件有误：括号没有配对：缺少右括号",
    );
    check(
        "when = \"学段 = 初中\"",
        "when = \"学段 = 大学预科\"",
        "大学预科",
        "tiers[2].when",
        "「学段」的取值应为",
    );
}

#[test]
fn difficulty_rules_may_use_registry_facts_only() {
    check(
        "somewhat_difficult = \"边缘户\"",
        "somewhat_difficult = \"边缘户 或 寄宿\"",
        "边缘户 或 寄宿",
        "difficulty.somewhat_difficult",
        "只能使用登记信息，不能使用 寄宿",
    );
}

#[test]
fn wrong_types_and_values() {
    check(
        "year = 2018",
        "year = \"2018年\"",
        "year = ",
        "year",
        "应为整数，实为文字 \"2018年\"",
    );
    check(
        "category = \"奖\"",
        "category = \"奖学金\"",
        "\"奖学金\"",
        "category",
        "类别应为 补、助、免、奖、贷 之一",
    );
    check(
        "valid_from = \"2019秋\"",
        "valid_from = \"2019年秋天\"",
        "秋天",
        "valid_from",
        "无法识别的学期",
    );
    check(
        "grades = [1, 2]          #",
        "grades = [1, 4]          #",
        "grades = [1, 4]",
        "grades",
        "年级 4 不在所列学段的年级范围内",
    );
    check(
        "payment = \"贷款\"",
        "payment = \"打卡\"",
        "payment = \"打卡\"\nvalid_from = \"2014秋\"",
        "payment",
        "贷款类政策须同时写",
    );
}

#[test]
fn missing_required_field_points_at_the_policy_header() {
    let (text, e) = broken("name = \"雨露计划职业教育补助\"\n", "");
    let header = text.find("code = \"YULU\"").unwrap();
    let line = text[..header].matches('\n').count(); // the [[policy]] line above
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{FILE} 第 {line} 行，字段 name：缺少必填字段")),
        "{msg}"
    );
}

#[test]
fn two_amount_fields() {
    check(
        "amount_per_term = 1200",
        "amount_per_term = 1200\namount_per_year = 2400",
        "amount_per_year = 2400",
        "amount_per_year",
        "金额字段只能有一个",
    );
}

#[test]
fn toml_syntax_error() {
    let (text, e) = broken(
        "name = \"中等职业教育免学费\"",
        "name = \"中等职业教育免学费",
    );
    let line = line_of(&text, "name = \"中等职业教育免学费");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{FILE} 第 {line} 行，字段 name：语法错误")),
        "{msg}"
    );
}

#[test]
fn every_mistake_is_reported_and_nothing_loads() {
    let text = HUNAN_2018_TOML
        .replacen("amount_per_term = 1500", "amount_per_term = \"一千五\"", 1)
        .replacen("amount_per_term = 1200", "amout_per_term = 1200", 1)
        .replacen("county = 1000 }", "county = 900 }", 1);
    let e = PolicySet::load(&text, FILE).unwrap_err();
    assert_eq!(e.errors.len(), 3, "{e}");
    let msg = e.to_string();
    assert!(
        msg.starts_with("政策文件有 3 处错误，未加载任何政策："),
        "{msg}"
    );
    // Sorted by line.
    let lines: Vec<usize> = e.errors.iter().map(|x| x.line).collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
}
