//! Roles, accounts and passwords: the library behind `zizhu user
//! add|passwd|disable`, the administrator's user page and the demo.
//!
//! A role decides which pages and actions a user has; the scope stored with
//! the account decides which records. The two are checked together when an
//! account is made, so a school officer cannot be given the whole county.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::Rng;
use zizhu_store::{AuditContext, Scope, Store, StoreError, UserRecord};

/// What a user does in zizhu (MISSION.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// 系统管理员: accounts, the audit log, imports.
    Admin,
    /// 县资助中心: imports, the whole county, personal data when needed.
    CountyCenter,
    /// 县局领导/督查: reads the whole county, changes nothing, sees personal
    /// data masked.
    Inspector,
    /// 乡镇教育办: one township's schools, students and households.
    Township,
    /// 学校资助专干: one school.
    SchoolOfficer,
    /// 班主任: their own classes of one school.
    ClassTeacher,
    /// 基金会: the whole county, masked, for grants.
    Foundation,
}

/// The kind of area a role is confined to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    /// The whole county.
    County,
    /// One township.
    Township,
    /// One school.
    School,
    /// Some classes of one school.
    Classes,
}

impl Role {
    /// Every role, in the order menus list them.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::CountyCenter,
        Role::Inspector,
        Role::Township,
        Role::SchoolOfficer,
        Role::ClassTeacher,
        Role::Foundation,
    ];

    /// The Chinese name, also what the store keeps.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::CountyCenter => "县资助中心",
            Role::Inspector => "县局领导/督查",
            Role::Township => "乡镇教育办",
            Role::SchoolOfficer => "学校资助专干",
            Role::ClassTeacher => "班主任",
            Role::Foundation => "基金会",
        }
    }

    /// The command-line name.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CountyCenter => "county",
            Role::Inspector => "inspector",
            Role::Township => "township",
            Role::SchoolOfficer => "school",
            Role::ClassTeacher => "teacher",
            Role::Foundation => "foundation",
        }
    }

    /// Accepts the command-line name or the Chinese name (and a few usual
    /// short forms: 管理员, 资助中心, 督查, 局领导, 教育办, 资助专干).
    pub fn parse(s: &str) -> Result<Role, AccountError> {
        let t = s.trim();
        let role = match t.to_ascii_lowercase().as_str() {
            "admin" | "系统管理员" | "管理员" => Role::Admin,
            "county" | "县资助中心" | "资助中心" => Role::CountyCenter,
            "inspector" | "leader" | "县局领导/督查" | "督查" | "局领导" | "县局领导" => {
                Role::Inspector
            }
            "township" | "乡镇教育办" | "教育办" | "中心校" => Role::Township,
            "school" | "学校资助专干" | "资助专干" => Role::SchoolOfficer,
            "teacher" | "班主任" => Role::ClassTeacher,
            "foundation" | "基金会" | "教育基金会" => Role::Foundation,
            _ => {
                return Err(AccountError::UnknownRole { text: t.to_owned() });
            }
        };
        Ok(role)
    }

    /// The area the role works in.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::Admin | Role::CountyCenter | Role::Inspector | Role::Foundation => {
                ScopeKind::County
            }
            Role::Township => ScopeKind::Township,
            Role::SchoolOfficer => ScopeKind::School,
            Role::ClassTeacher => ScopeKind::Classes,
        }
    }

    /// Whether the role may see ID, bank, phone and address numbers in
    /// full on a person page: those who keep records right and pay money.
    /// Leaders, inspectors, the foundation and the administrator work with
    /// masked data.
    pub fn may_unmask(self) -> bool {
        matches!(
            self,
            Role::CountyCenter | Role::Township | Role::SchoolOfficer | Role::ClassTeacher
        )
    }

    /// Whether the role may upload lists. Only county roles: an import can
    /// touch any school's records, and the importer does not yet confine a
    /// file to the uploader's school.
    pub fn may_import(self) -> bool {
        matches!(self, Role::Admin | Role::CountyCenter)
    }

    /// Whether the role sees import batches (those of its area).
    pub fn may_view_imports(self) -> bool {
        !matches!(self, Role::ClassTeacher | Role::Foundation)
    }

    /// Whether the role reads the audit log and manages accounts.
    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Why an account operation failed, in Chinese for the person at the
/// terminal or the administrator's page.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(
        "未知角色“{text}”，应为：系统管理员(admin)、县资助中心(county)、县局领导/督查(inspector)、乡镇教育办(township)、学校资助专干(school)、班主任(teacher)、基金会(foundation)"
    )]
    UnknownRole { text: String },
    #[error("{role}需要指定{what}")]
    MissingScope {
        role: &'static str,
        what: &'static str,
    },
    #[error("{what}无效：{detail}")]
    BadScope { what: &'static str, detail: String },
    #[error("用户名“{name}”无效：只能使用字母、数字、下划线、点和连字符，长度 2–32")]
    BadUsername { name: String },
    #[error("用户“{name}”不存在")]
    NoSuchUser { name: String },
    #[error("用户名“{name}”已存在")]
    UserExists { name: String },
    #[error("密码不符合要求：{0}")]
    WeakPassword(String),
    #[error("演示账号需要登记信息库中至少有一所学校，请先导入学校名录或生成演示数据")]
    NoSchools,
    #[error("密码处理失败：{0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    /// Login name: letters, digits, `_`, `.`, `-`.
    pub username: String,
    /// The name shown on pages and in the audit log.
    pub display_name: String,
    /// The role.
    pub role: Role,
    /// The township (9 digits) of a 乡镇教育办 account.
    pub township: Option<String>,
    /// The school (10-digit 学校标识码) of a school officer or head teacher.
    pub school: Option<String>,
    /// The classes of a head teacher, as the roster spells them.
    pub classes: Vec<String>,
}

impl NewAccount {
    /// The scope the role and codes give, or why they do not fit.
    pub fn scope(&self) -> Result<Scope, AccountError> {
        let role = self.role.label();
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        match self.role.scope_kind() {
            ScopeKind::County => Ok(Scope::All),
            ScopeKind::Township => {
                let t =
                    self.township
                        .as_deref()
                        .map(str::trim)
                        .ok_or(AccountError::MissingScope {
                            role,
                            what: "乡镇代码（9 位，如 431126100）",
                        })?;
                if !digits(t, 9) {
                    return Err(AccountError::BadScope {
                        what: "乡镇代码",
                        detail: format!("应为 9 位数字，实为“{t}”"),
                    });
                }
                Ok(Scope::Township(t.to_owned()))
            }
            ScopeKind::School | ScopeKind::Classes => {
                let s =
                    self.school
                        .as_deref()
                        .map(str::trim)
                        .ok_or(AccountError::MissingScope {
                            role,
                            what: "学校标识码（10 位）",
                        })?;
                zizhu_core::SchoolCode::parse(s).map_err(|e| AccountError::BadScope {
                    what: "学校标识码",
                    detail: e.to_string(),
                })?;
                if self.role.scope_kind() == ScopeKind::School {
                    return Ok(Scope::School(s.to_owned()));
                }
                let classes: Vec<String> = self
                    .classes
                    .iter()
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect();
                if classes.is_empty() {
                    return Err(AccountError::MissingScope {
                        role,
                        what: "所带班级（如 3（1）班）",
                    });
                }
                Ok(Scope::Classes {
                    school: s.to_owned(),
                    classes,
                })
            }
        }
    }
}

/// One account made by [`create_demo_accounts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoAccount {
    /// Login name.
    pub username: String,
    /// Its (random) password.
    pub password: String,
    /// The role's Chinese name.
    pub role_label: String,
    /// The area it sees, in Chinese (全县, 某某镇, 某某学校 3（1）班).
    pub scope_label: String,
}

fn valid_username(name: &str) -> bool {
    (2..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Checks a new password against the rules every account follows, with a
/// Chinese explanation of the first rule it breaks.
pub fn check_password(username: &str, password: &str) -> Result<(), AccountError> {
    let weak = |s: &str| Err(AccountError::WeakPassword(s.to_owned()));
    if password.chars().count() < 8 {
        return weak("至少 8 个字符");
    }
    if password.chars().count() > 128 {
        return weak("最多 128 个字符");
    }
    if !password.chars().any(|c| c.is_ascii_digit()) || !password.chars().any(|c| c.is_alphabetic())
    {
        return weak("须同时包含字母和数字");
    }
    if password.eq_ignore_ascii_case(username)
        || password.to_lowercase().contains(&username.to_lowercase()) && username.len() >= 4
    {
        return weak("不能包含用户名");
    }
    const COMMON: [&str; 8] = [
        "password1",
        "12345678a",
        "a12345678",
        "abc12345",
        "qwerty123",
        "zizhu123",
        "admin123",
        "passw0rd",
    ];
    if COMMON.iter().any(|c| c.eq_ignore_ascii_case(password)) {
        return weak("过于常见，容易被猜中");
    }
    Ok(())
}

/// Hashes a password with Argon2id (default parameters, random salt) into a
/// PHC string. Runs on a blocking thread: a hash takes tens of milliseconds
/// of CPU on purpose, which must not stall the server's other requests.
pub async fn hash_password(password: &str) -> Result<String, AccountError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hash(e.to_string()))?
}

/// Whether `password` matches a stored PHC string. The parameters stored in
/// the hash are used, so raising the cost later keeps old hashes valid.
pub async fn verify_password(password: &str, hash: &str) -> bool {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A random password for a new account or a reset: 12 characters from an
/// alphabet without look-alikes (no 0/O, 1/l/I), always with letters and
/// digits, easy to read out over the telephone.
pub fn generate_password() -> String {
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rng();
    loop {
        let p: String = (0..12)
            .map(|i| {
                let set = if i % 4 == 3 { DIGITS } else { LETTERS };
                char::from(set[rng.random_range(0..set.len())])
            })
            .collect();
        if check_password("", &p).is_ok() {
            return p;
        }
    }
}

fn audit(actor: &str, reason: String) -> AuditContext {
    AuditContext {
        actor: actor.to_owned(),
        reason,
        batch_id: None,
    }
}

/// Creates an account. With `password` `None` a random initial password is
/// generated; either way it is returned, and the user must change it at the
/// first login. `actor` is who does it (a login name, or `命令行` for the CLI).
pub async fn add_user(
    store: &Store,
    account: &NewAccount,
    password: Option<&str>,
    actor: &str,
) -> Result<String, AccountError> {
    add_user_inner(store, account, password, actor, true).await
}

async fn add_user_inner(
    store: &Store,
    account: &NewAccount,
    password: Option<&str>,
    actor: &str,
    must_change: bool,
) -> Result<String, AccountError> {
    if !valid_username(&account.username) {
        return Err(AccountError::BadUsername {
            name: account.username.clone(),
        });
    }
    let scope = account.scope()?;
    let password = match password {
        Some(p) => {
            check_password(&account.username, p)?;
            p.to_owned()
        }
        None => generate_password(),
    };
    if store
        .get_user_by_username(&account.username)
        .await?
        .is_some()
    {
        return Err(AccountError::UserExists {
            name: account.username.clone(),
        });
    }
    let hash = hash_password(&password).await?;
    let record = UserRecord {
        username: account.username.clone(),
        display_name: account.display_name.trim().to_owned(),
        role: account.role.label().to_owned(),
        scope,
    };
    let mut tx = store
        .begin_write(audit(
            actor,
            format!("新建账号 {}（{}）", account.username, account.role.label()),
        ))
        .await?;
    tx.add_user(&record, &hash, must_change).await?;
    tx.commit().await?;
    Ok(password)
}

/// Sets a user's password (an administrator's reset). With `password`
/// `None` a random one is generated. The user must change it at the next
/// login, and every open session of the user ends. Returns the password.
pub async fn set_password(
    store: &Store,
    username: &str,
    password: Option<&str>,
    actor: &str,
) -> Result<String, AccountError> {
    let user =
        store
            .get_user_by_username(username)
            .await?
            .ok_or_else(|| AccountError::NoSuchUser {
                name: username.to_owned(),
            })?;
    let password = match password {
        Some(p) => {
            check_password(username, p)?;
            p.to_owned()
        }
        None => generate_password(),
    };
    let hash = hash_password(&password).await?;
    let mut tx = store
        .begin_write(audit(actor, format!("重置账号 {username} 的密码")))
        .await?;
    tx.set_user_password(user.id, &hash, true).await?;
    tx.commit().await?;
    Ok(password)
}

/// Disables an account (it can no longer sign in; its sessions end). The
/// account and its history stay, since the audit log names it.
pub async fn disable_user(store: &Store, username: &str, actor: &str) -> Result<(), AccountError> {
    set_disabled(store, username, actor, true).await
}

/// Re-enables a disabled account.
pub async fn enable_user(store: &Store, username: &str, actor: &str) -> Result<(), AccountError> {
    set_disabled(store, username, actor, false).await
}

async fn set_disabled(
    store: &Store,
    username: &str,
    actor: &str,
    disabled: bool,
) -> Result<(), AccountError> {
    let user =
        store
            .get_user_by_username(username)
            .await?
            .ok_or_else(|| AccountError::NoSuchUser {
                name: username.to_owned(),
            })?;
    let what = if disabled { "停用" } else { "启用" };
    let mut tx = store
        .begin_write(audit(actor, format!("{what}账号 {username}")))
        .await?;
    tx.set_user_disabled(user.id, disabled).await?;
    tx.commit().await?;
    Ok(())
}

/// A scope in words, with names from the registry where it has them.
pub async fn scope_label(store: &Store, scope: &Scope) -> Result<String, StoreError> {
    Ok(match scope {
        Scope::All => "全县".to_owned(),
        Scope::Township(t) => {
            let names = store.region_names(&[t.as_str()]).await?;
            names.get(t).cloned().unwrap_or_else(|| format!("乡镇 {t}"))
        }
        Scope::School(c) => school_name(store, c).await?,
        Scope::Classes { school, classes } => {
            format!(
                "{} {}",
                school_name(store, school).await?,
                classes.join("、")
            )
        }
    })
}

async fn school_name(store: &Store, code: &str) -> Result<String, StoreError> {
    Ok(match zizhu_core::SchoolCode::parse(code) {
        Ok(c) => store
            .get_school(&c)
            .await?
            .map(|s| s.record.name)
            .unwrap_or_else(|| format!("学校 {code}")),
        Err(_) => format!("学校 {code}"),
    })
}

/// Creates (or, run again, resets) one account per role for a
/// demonstration, each with a fresh random password and no forced change,
/// scoped to the first township and school in the registry and to the most
/// populated class of that school in the latest term.
///
/// Demo passwords are random on purpose: a demo left running on an office
/// network must not open with a password printed in the manual.
pub async fn create_demo_accounts(store: &Store) -> Result<Vec<DemoAccount>, AccountError> {
    let schools = store.list_schools(&Scope::All).await?;
    // Prefer a township's 中心小学 (a primary school with a township, so
    // the township account and the school account see related records and
    // the school has the most aid work), else any primary school with a
    // township, else any school with one. The directory lists a township's
    // 幼儿园 first, which made a poor demonstration.
    let with_township = |s: &&zizhu_store::School| s.township_code.is_some();
    let primary = |s: &&zizhu_store::School| s.record.stages.contains(&zizhu_core::Stage::Primary);
    let school = schools
        .iter()
        .filter(with_township)
        .find(|s| primary(s) && s.record.name.contains("中心小学"))
        .or_else(|| schools.iter().filter(with_township).find(primary))
        .or_else(|| schools.iter().find(with_township))
        .or(schools.first())
        .ok_or(AccountError::NoSchools)?;
    let school_code = school.record.code.as_str().to_owned();
    let township = school.township_code.clone();
    let class = demo_class(store, &school_code).await?;
    let mut out = Vec::new();
    for role in Role::ALL {
        if role == Role::Township && township.is_none() {
            continue;
        }
        let account = NewAccount {
            username: format!("demo-{}", role.code()),
            display_name: format!("演示{}", role.label()),
            role,
            township: township.clone(),
            school: Some(school_code.clone()),
            classes: class.clone().into_iter().collect(),
        };
        if role == Role::ClassTeacher && account.classes.is_empty() {
            continue;
        }
        let password = generate_password();
        let actor = "演示数据";
        match store.get_user_by_username(&account.username).await? {
            None => {
                add_user_inner(store, &account, Some(&password), actor, false).await?;
            }
            Some(user) => {
                let hash = hash_password(&password).await?;
                let record = UserRecord {
                    username: account.username.clone(),
                    display_name: account.display_name.clone(),
                    role: role.label().to_owned(),
                    scope: account.scope()?,
                };
                let mut tx = store
                    .begin_write(audit(actor, format!("重置演示账号 {}", account.username)))
                    .await?;
                tx.update_user(user.id, &record).await?;
                tx.set_user_password(user.id, &hash, false).await?;
                tx.set_user_disabled(user.id, false).await?;
                tx.commit().await?;
            }
        }
        out.push(DemoAccount {
            username: account.username.clone(),
            password,
            role_label: role.label().to_owned(),
            scope_label: scope_label(store, &account.scope()?).await?,
        });
    }
    Ok(out)
}

/// The class with the most students of a school in the latest term.
async fn demo_class(store: &Store, school: &str) -> Result<Option<String>, StoreError> {
    let Some(term) = store.terms().await?.into_iter().next() else {
        return Ok(None);
    };
    let Ok(code) = zizhu_core::SchoolCode::parse(school) else {
        return Ok(None);
    };
    let filter = zizhu_store::StudentFilter {
        school_code: Some(code),
        ..Default::default()
    };
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let rows = store
        .list_students(&term, &Scope::School(school.to_owned()), &filter, 5000, 0)
        .await?;
    for r in rows {
        if let Some(c) = r.enrollment.record.class_name {
            *counts.entry(c).or_default() += 1;
        }
    }
    Ok(counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(c, _)| c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_codes_and_chinese() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()).unwrap(), role);
            assert_eq!(Role::parse(role.label()).unwrap(), role);
        }
        assert_eq!(Role::parse(" 督查 ").unwrap(), Role::Inspector);
        assert!(
            Role::parse("校长")
                .unwrap_err()
                .to_string()
                .contains("未知角色")
        );
    }

    #[test]
    fn password_rules() {
        for (pw, ok) in [
            ("short1", false),
            ("onlyletters", false),
            ("1234567890", false),
            ("zizhu123", false),
            ("li.teacher9x", false),
            ("Good4Pass", true),
            ("资助2018年度", true),
        ] {
            assert_eq!(check_password("li.teacher", pw).is_ok(), ok, "{pw}");
        }
    }

    #[test]
    fn generated_passwords_pass_the_rules() {
        for _ in 0..50 {
            let p = generate_password();
            assert_eq!(p.len(), 12);
            check_password("someone", &p).unwrap();
        }
    }

    #[test]
    fn scopes_follow_roles() {
        let mut a = NewAccount {
            username: "t".into(),
            display_name: "t".into(),
            role: Role::SchoolOfficer,
            township: None,
            school: None,
            classes: vec![],
        };
        assert!(matches!(a.scope(), Err(AccountError::MissingScope { .. })));
        a.school = Some("2143000001".into());
        assert_eq!(a.scope().unwrap(), Scope::School("2143000001".into()));
        a.role = Role::ClassTeacher;
        assert!(a.scope().is_err());
        a.classes = vec!["3（1）班".into()];
        assert!(matches!(a.scope().unwrap(), Scope::Classes { .. }));
        a.role = Role::Inspector;
        assert_eq!(a.scope().unwrap(), Scope::All);
        a.role = Role::Township;
        a.township = Some("43112610".into());
        assert!(matches!(a.scope(), Err(AccountError::BadScope { .. })));
    }
}
