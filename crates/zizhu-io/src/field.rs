//! The columns zizhu understands, with the names counties give them.
//!
//! Every department writes its own header: 身份证号, 身份证号码, 公民身份号码,
//! 身份证件号 all mean the same column. The table below lists, for each field,
//! its canonical Chinese name (used in messages, in the rejection report and
//! in mapping files) and the variants seen in real lists. A few names mean
//! different fields in different lists (联系电话 is the guardian's phone in a
//! roster but the household's phone in a poverty list), so an alias can name
//! several fields in order of preference and the list kind picks the first it
//! accepts.

use std::collections::HashMap;
use std::sync::OnceLock;

macro_rules! fields {
    ($( $variant:ident => $key:literal, $label:literal, [$($alias:literal),* $(,)?] );+ $(;)?) => {
        /// A column zizhu understands.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field {
            $(
                #[doc = $label]
                $variant
            ),+
        }

        impl Field {
            /// Every field, in declaration order.
            pub const ALL: &'static [Field] = &[$(Field::$variant),+];

            /// The canonical Chinese column name.
            pub fn label(self) -> &'static str {
                match self {
                    $(Field::$variant => $label),+
                }
            }

            /// A stable ASCII key, also accepted in mapping files.
            pub fn key(self) -> &'static str {
                match self {
                    $(Field::$variant => $key),+
                }
            }

            /// The header variants recognised for this field (the label
            /// included).
            pub fn aliases(self) -> &'static [&'static str] {
                match self {
                    $(Field::$variant => &[$label, $($alias),*]),+
                }
            }
        }
    };
}

fields! {
    Name => "name", "姓名", ["学生姓名", "幼儿姓名", "儿童姓名", "成员姓名", "家庭成员姓名", "残疾人姓名",
        "救助对象姓名", "保障对象姓名", "人员姓名", "名字", "学生名字", "对象姓名", "受助学生姓名"];
    IdNumber => "id_number", "身份证号", ["身份证号码", "公民身份号码", "公民身份证号", "公民身份证号码",
        "身份证件号", "身份证件号码", "证件号码", "证件号", "居民身份证号", "居民身份证号码",
        "学生身份证号", "学生身份证号码", "学生身份证件号", "学生身份证件号码", "身份证",
        "成员身份证号", "成员身份证号码", "残疾人身份证号", "残疾人身份证号码", "救助对象身份证号",
        "儿童身份证号", "儿童身份证号码", "幼儿身份证号", "公民身份号", "身份证编号", "学生证件号码"];
    Sex => "sex", "性别", ["学生性别"];
    BirthDate => "birth_date", "出生日期", ["出生年月", "出生年月日", "生日", "出生时间", "出生日"];
    Ethnicity => "ethnicity", "民族", ["族别"];
    HukouType => "hukou_type", "户口性质", ["户籍性质", "户口类型", "户口类别", "户籍类型"];
    StudentNo => "student_no", "全国学籍号", ["学籍号", "学籍号码", "全国学籍号码", "学生学籍号", "全国学籍编号"];
    LocalStudentNo => "local_student_no", "学号", ["校内学号"];
    SchoolCode => "school_code", "学校标识码", ["学校代码", "学校编码", "标识码", "学校编号", "学校识别码"];
    SchoolName => "school_name", "学校名称", ["学校", "就读学校", "所在学校", "学校全称", "现就读学校",
        "就读学校名称", "所在学校名称", "在读学校", "就读学校全称"];
    Stage => "stage", "学段", ["学习阶段", "就读学段", "教育阶段"];
    Grade => "grade", "年级", ["就读年级", "所在年级", "现就读年级"];
    ClassName => "class_name", "班级名称", ["班级", "班别", "所在班级", "班名"];
    Term => "term", "学期", ["学年学期", "资助学期", "就读学期"];
    Boarding => "boarding", "是否寄宿", ["是否寄宿生", "寄宿", "寄宿生", "住宿情况", "是否住校", "住校",
        "是否住宿"];
    EnrollmentStatus => "status", "学籍状态", ["在校状态", "就读状态", "学生状态"];
    OutOfCounty => "out_of_county", "是否县外就读", ["县外就读", "是否在县外就读", "县外就读学生", "就读方式"];
    OutOfCountyPlace => "out_of_county_place", "就读地", ["县外就读地", "就读地点", "就读省市", "县外就读地点"];
    PovertyType => "poverty_type", "贫困类型", ["困难类型", "家庭困难类型", "家庭经济困难类型", "贫困类别",
        "困难类别", "资助对象类型", "家庭经济困难学生类型", "困难学生类型", "学生困难类型"];
    Address => "address", "家庭现地址", ["家庭住址", "家庭地址", "现住址", "住址", "户籍地址", "详细地址",
        "家庭详细地址", "现居住地址", "居住地址", "地址", "家庭现住址"];
    HukouPlace => "hukou_place", "户口所在地", ["户籍所在地", "户籍地", "户口所在地址"];
    Province => "province", "省", ["省份", "所在省", "省(自治区、直辖市)"];
    City => "city", "市", ["市州", "地市", "所在市", "市(州)"];
    County => "county", "县", ["县市区", "县区", "区县", "县(市、区)", "县(区)"];
    Township => "township", "乡镇", ["乡镇街道", "乡镇(街道)", "乡(镇)", "所在乡镇", "乡", "镇", "乡镇名称"];
    Village => "village", "村", ["村社区", "村(社区)", "行政村", "所在村", "村居", "村名"];
    Group => "group", "组", ["村民小组", "组别", "小组"];
    RegionCode => "region_code", "区划代码", ["行政区划代码", "统计用区划代码", "村代码", "地区编码",
        "区划编码", "行政区划编码", "所在地区划代码", "所在地区代码", "区域代码", "地区代码"];
    GuardianName => "guardian_name", "监护人姓名", ["监护人", "家长姓名", "父母姓名", "监护人名字"];
    GuardianRelation => "guardian_relation", "监护人关系", ["与学生关系", "监护人与学生关系", "与儿童关系",
        "与本人关系"];
    GuardianId => "guardian_id", "监护人身份证号", ["监护人身份证号码", "监护人身份证件号", "家长身份证号",
        "监护人证件号码"];
    GuardianPhone => "guardian_phone", "监护人联系电话", ["监护人电话", "家长电话", "家长联系电话",
        "监护人手机", "监护人手机号", "监护人手机号码"];
    Phone => "phone", "联系电话", ["电话", "手机号码", "手机号", "联系方式", "电话号码", "手机"];
    AccountNo => "account_no", "银行卡号", ["银行账号", "卡号", "账号", "银行卡账号", "社保卡号",
        "一卡通账号", "一卡通卡号", "账户号码", "银行账户", "收款账号", "存折账号", "银行卡号码"];
    BankName => "bank_name", "开户银行", ["开户行", "银行名称", "发卡行", "发卡银行", "开户银行名称", "银行",
        "开户网点"];
    AccountKind => "account_kind", "账户类型", ["卡类型", "账户种类", "卡种类", "账户类别", "卡类别"];
    HolderName => "holder_name", "户名", ["持卡人姓名", "持卡人", "开户人姓名", "账户名称", "开户人", "账户名",
        "收款人姓名", "收款人"];
    HolderId => "holder_id", "持卡人身份证号", ["持卡人身份证号码", "开户人身份证号", "户名身份证号",
        "持卡人证件号码"];
    HolderRelation => "holder_relation", "持卡人与学生关系", ["户名与学生关系", "开户人与学生关系",
        "持卡人关系"];
    PassbookHolder => "passbook_holder", "明白折户名", ["明白折持有人", "明白折姓名", "明白折持有人姓名"];
    PassbookHolderId => "passbook_holder_id", "明白折身份证号", ["明白折持有人身份证号", "明白折身份证号码",
        "明白折持有人身份证号码"];
    PassbookRelation => "passbook_relation", "明白折与学生关系", ["明白折关系", "明白折持有人与学生关系"];
    PassbookAccount => "passbook_account", "明白折账号", ["明白折卡号", "明白折账户"];
    AidCardName => "aid_card_name", "资助卡户名", ["资助卡姓名", "资助卡持卡人"];
    AidCardAccount => "aid_card_account", "资助卡账号", ["资助卡卡号", "资助卡号"];
    MentorName => "mentor_name", "帮扶人姓名", ["帮扶人", "帮扶责任人", "结对帮扶人"];
    MentorUnit => "mentor_unit", "帮扶人单位", ["帮扶单位", "帮扶人工作单位"];
    MentorPost => "mentor_post", "帮扶人职务", ["职务"];
    MentorPhone => "mentor_phone", "帮扶人电话", ["帮扶人联系电话", "帮扶人手机"];
    LeftBehind => "left_behind", "是否留守儿童", ["留守儿童", "是否留守"];
    Orphan => "orphan", "是否孤儿", ["孤儿"];
    MartyrChild => "martyr_child", "是否烈士子女", ["烈士子女"];
    DisabilityCategory => "disability_category", "残疾类别", ["残疾类型", "残疾种类", "残疾类"];
    DisabilityLevel => "disability_level", "残疾等级", ["残疾级别"];
    DisabilityCertNo => "disability_cert_no", "残疾证号", ["残疾人证号", "残疾证号码", "残疾人证号码",
        "残疾证编号"];
    CertDate => "cert_date", "发证日期", ["办证日期", "发证时间"];
    HouseholdNo => "household_no", "户编号", ["户码", "家庭编号", "贫困户编号", "建档立卡户编号", "户号",
        "农户编号"];
    HeadName => "head_name", "户主姓名", ["户主"];
    HeadId => "head_id", "户主身份证号", ["户主身份证号码", "户主证件号码"];
    Relation => "relation", "与户主关系", ["家庭关系", "成员关系"];
    PovertyStatus => "poverty_status", "贫困户状态", ["脱贫状态", "脱贫情况", "户状态", "贫困状态",
        "脱贫属性", "贫困户属性", "贫困户类型"];
    LiftedYear => "lifted_year", "脱贫年度", ["脱贫年份", "脱贫时间"];
    Dibao => "dibao", "是否低保户", ["是否低保", "低保户", "低保"];
    Tekun => "tekun", "是否特困供养", ["是否特困", "特困供养", "特困户", "是否五保户", "五保户",
        "是否特困供养户", "特困供养户"];
    Cause => "cause", "致贫原因", ["主要致贫原因"];
    Income => "income", "人均纯收入", ["家庭人均纯收入", "人均收入", "年人均纯收入"];
    HouseholdSize => "household_size", "家庭人口数", ["家庭人口", "户人口数", "人口数", "家庭成员数"];
    InSchool => "in_school", "在校生状况", ["在校情况", "是否在校生", "在校生"];
    WelfareType => "welfare_type", "救助类型", ["保障类型", "救助类别", "保障类别", "供养类型", "对象类别",
        "人员类别", "救助对象类别", "保障对象类别"];
    WelfareCertNo => "welfare_cert_no", "救助证号", ["低保证号", "特困证号", "保障证号", "证号",
        "特困供养证号"];
    WelfareStart => "welfare_start", "纳入时间", ["享受起始时间", "起始时间", "审批时间", "纳入日期", "享受时间",
        "起始年月", "保障起始年月", "纳入年月"];
    SupportMode => "support_mode", "供养方式", ["供养形式"];
    Amount => "amount", "保障金额", ["月保障金额", "救助金额", "金额", "月救助金", "月保障金"];
    ValidFrom => "valid_from", "生效日期", ["开户日期", "启用日期", "办卡日期"];
    SchoolCategory => "school_category", "学校类别", ["办学类型", "学校类型"];
    Public => "is_public", "办学性质", ["公办民办", "举办者类型", "性质", "举办者"];
    StudentCount => "student_count", "在校生数", ["学生数", "在校学生数"];
    KeySchool => "key_school", "示范性高中", ["是否示范性高中", "示范高中"];
    Tuition => "tuition", "学费标准", ["学费", "收费标准"];
    RegionName => "region_name", "区划名称", ["名称", "地区名称", "行政区划名称"];
    ParentCode => "parent_code", "上级区划代码", ["上级代码", "上级编码", "父级代码"];
    RegionLevel => "region_level", "级别", ["层级", "区划级别"];
    UrbanRuralCode => "urban_rural_code", "城乡分类代码", ["城乡分类", "城乡属性代码"];
}

/// Header names that are never data: row numbers, remarks, and the four
/// columns a rejection report adds, so that a corrected report can be
/// imported again as it is.
const IGNORED: &[&str] = &[
    "序号",
    "编号",
    "备注",
    "说明",
    "no",
    "行号",
    "列",
    "值",
    "原因",
    "退回原因",
    "问题说明",
];

/// Alias names that mean one field in one kind of list and another field in
/// another: the first field the list accepts wins.
const SHARED: &[(&str, &[Field])] = &[
    ("联系电话", &[Field::GuardianPhone, Field::Phone]),
    ("电话", &[Field::GuardianPhone, Field::Phone]),
    ("手机号码", &[Field::GuardianPhone, Field::Phone]),
    ("手机号", &[Field::GuardianPhone, Field::Phone]),
    ("联系方式", &[Field::GuardianPhone, Field::Phone]),
    (
        "与学生关系",
        &[Field::GuardianRelation, Field::HolderRelation],
    ),
    ("资助卡号", &[Field::AidCardAccount, Field::AccountNo]),
    ("户名", &[Field::HolderName]),
    ("户主", &[Field::HeadName]),
];

/// The lookup table from normalised header text to candidate fields.
fn table() -> &'static HashMap<String, Vec<Field>> {
    static TABLE: OnceLock<HashMap<String, Vec<Field>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map: HashMap<String, Vec<Field>> = HashMap::new();
        for (alias, fields) in SHARED {
            map.insert(crate::text::normalize_header(alias), fields.to_vec());
        }
        for field in Field::ALL {
            for alias in field.aliases() {
                let entry = map.entry(crate::text::normalize_header(alias)).or_default();
                if !entry.contains(field) {
                    entry.push(*field);
                }
            }
            let key = field.key().to_string();
            map.entry(key).or_default().push(*field);
        }
        map
    })
}

/// What a header cell means for a given kind of list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderMatch {
    /// A field the list accepts.
    Field(Field),
    /// A column that is never data (序号, 备注, …).
    Ignored,
    /// Nothing known.
    Unknown,
}

/// Looks a header cell up for a list that accepts `accepted`.
pub fn match_header(text: &str, accepted: &[Field]) -> HeaderMatch {
    let norm = crate::text::normalize_header(text);
    if norm.is_empty() {
        return HeaderMatch::Unknown;
    }
    if IGNORED
        .iter()
        .any(|i| crate::text::normalize_header(i) == norm)
    {
        return HeaderMatch::Ignored;
    }
    if let Some(candidates) = table().get(&norm)
        && let Some(f) = candidates.iter().find(|f| accepted.contains(f))
    {
        return HeaderMatch::Field(*f);
    }
    HeaderMatch::Unknown
}

/// Finds a field by its canonical label, any alias, or its ASCII key, for
/// mapping files; the list kind is not considered.
pub fn field_by_name(name: &str) -> Option<Field> {
    let norm = crate::text::normalize_header(name);
    Field::ALL
        .iter()
        .find(|f| f.key() == name.trim() || crate::text::normalize_header(f.label()) == norm)
        .copied()
        .or_else(|| table().get(&norm).and_then(|v| v.first().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::ListKind;

    fn check(kind: ListKind, header: &str, expected: HeaderMatch) {
        assert_eq!(
            match_header(header, kind.accepted()),
            expected,
            "{kind}: {header}"
        );
    }

    #[test]
    fn id_number_variants() {
        for h in [
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "身份证件号",
            "证件号码",
            "学生身份证号",
            "身份证号码（18位）",
            "公民身份號碼",
            " 身份证 号 ",
        ] {
            check(ListKind::Roster, h, HeaderMatch::Field(Field::IdNumber));
        }
    }

    #[test]
    fn shared_names_follow_the_list() {
        check(
            ListKind::Roster,
            "联系电话",
            HeaderMatch::Field(Field::GuardianPhone),
        );
        check(
            ListKind::Households,
            "联系电话",
            HeaderMatch::Field(Field::Phone),
        );
        check(
            ListKind::Roster,
            "与学生关系",
            HeaderMatch::Field(Field::GuardianRelation),
        );
        check(
            ListKind::Accounts,
            "与学生关系",
            HeaderMatch::Field(Field::HolderRelation),
        );
        check(
            ListKind::Accounts,
            "资助卡号",
            HeaderMatch::Field(Field::AccountNo),
        );
        check(
            ListKind::Roster,
            "资助卡号",
            HeaderMatch::Field(Field::AidCardAccount),
        );
    }

    #[test]
    fn template_columns_are_known() {
        // The student columns of a real Hunan county template (MISSION §4).
        for h in [
            "姓名",
            "身份证件号",
            "学号",
            "学校名称",
            "年级",
            "班级名称",
            "贫困类型",
            "家庭现地址",
            "省",
            "市",
            "县",
            "乡镇",
            "村",
            "组",
            "监护人姓名",
            "监护人联系电话",
            "银行卡号",
            "民族",
            "户口性质",
            "是否寄宿",
            "明白折户名",
            "明白折身份证号",
            "明白折与学生关系",
            "明白折账号",
            "资助卡户名",
            "资助卡账号",
            "帮扶人姓名",
            "帮扶人单位",
            "帮扶人职务",
            "帮扶人电话",
        ] {
            assert!(
                matches!(
                    match_header(h, ListKind::Roster.accepted()),
                    HeaderMatch::Field(_)
                ),
                "{h}"
            );
        }
    }

    #[test]
    fn ignored_and_unknown() {
        check(ListKind::Roster, "序号", HeaderMatch::Ignored);
        check(ListKind::Roster, "原因", HeaderMatch::Ignored);
        check(ListKind::Roster, "爱好", HeaderMatch::Unknown);
        // A field another list uses is unknown to this one.
        check(ListKind::Regions, "身份证号", HeaderMatch::Unknown);
    }

    #[test]
    fn aliases_do_not_collide() {
        // Two fields sharing an alias must be declared in SHARED, otherwise
        // the winner would depend on declaration order.
        let mut seen: HashMap<String, Field> = HashMap::new();
        let shared: Vec<String> = SHARED
            .iter()
            .map(|(a, _)| crate::text::normalize_header(a))
            .collect();
        for f in Field::ALL {
            for a in f.aliases() {
                let n = crate::text::normalize_header(a);
                if shared.contains(&n) {
                    continue;
                }
                if let Some(other) = seen.insert(n.clone(), *f) {
                    assert_eq!(other, *f, "alias {a} names {other:?} and {f:?}");
                }
            }
        }
    }
}
