//! Command-line definitions, with Chinese help text and the English flag
//! names a county's IT person types.
//!
//! clap's own headings and messages are English; the templates and the error
//! translation below keep everything the user reads in Chinese.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, error::ErrorKind};

/// The help layout shared by every (sub)command, with Chinese headings.
const HELP_TEMPLATE: &str = "\
{before-help}{about-with-newline}
用法：{usage}

{all-args}{after-help}
";

/// The database used when neither `--database` nor `ZIZHU_DATABASE_URL` is
/// given: an embedded SQLite file in the working directory.
pub const DEFAULT_DATABASE: &str = "sqlite://zizhu.sqlite";

#[derive(Debug, Parser)]
#[command(
    name = "zizhu",
    version,
    about = "资助 zizhu —— 县级教育精准扶贫信息系统（学生资助、控辍保学、比对、统计）",
    help_template = HELP_TEMPLATE,
    subcommand_help_heading = "命令",
    next_help_heading = "选项",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// 显示帮助
    #[arg(short = 'h', long = "help", action = clap::ArgAction::Help, global = true)]
    pub help: Option<bool>,

    /// 显示版本
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    pub version: Option<bool>,
}

/// The database option every subcommand that touches data takes.
#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    /// 数据库地址：sqlite://文件路径（单机内置）或 postgres://用户@主机/库名；
    /// 也可用环境变量 ZIZHU_DATABASE_URL 给出；默认为当前目录下的 zizhu.sqlite
    #[arg(long = "database", env = "ZIZHU_DATABASE_URL", default_value = DEFAULT_DATABASE, value_name = "URL", hide_default_value = true, hide_env = true)]
    pub database: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 创建或升级数据库结构（可重复执行）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Init(InitArgs),
    /// 启动网页服务
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Serve(ServeArgs),
    /// 生成一个虚拟县的各部门名单（演示、测试与基准用）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Gen(GenArgs),
    /// 演示：生成虚拟县、载入内置数据库、启动网页服务
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Demo(DemoArgs),
    /// 导入各部门名单（xlsx、xls、CSV；UTF-8 或 GBK）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Import(ImportArgs),
    /// 导出名册或三级台账（xlsx）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Export(ExportArgs),
    /// 导入批次：列出、整批回滚
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项", subcommand_help_heading = "命令")]
    Batches(BatchesArgs),
    /// 计算一个学期每名学生应享的资助（补、助、免、奖、贷），或解释某名学生
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Entitle(EntitleArgs),
    /// 比对两份名单，找出同一人（身份证号修复、繁简、同音、日期格式）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Link(LinkArgs),
    /// 大数据比对：登记信息与已导入的各部门名单逐一比对，生成复核队列和异常名单
    #[command(
        help_template = HELP_TEMPLATE,
        next_help_heading = "选项",
        subcommand_help_heading = "命令",
        args_conflicts_with_subcommands = true
    )]
    Compare(CompareArgs),
    /// 账号管理：新建、重设密码、停用、启用
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项", subcommand_help_heading = "命令")]
    User(UserArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// 名单种类：roster(学籍) households(建档立卡) disabled(残联) welfare(民政)
    /// population(人口) accounts(资助卡) schools(学校) regions(区划)
    #[arg(value_name = "种类", help_heading = "参数")]
    pub kind: String,
    /// 名单文件
    #[arg(value_name = "文件", help_heading = "参数")]
    pub file: PathBuf,
    /// 只读取这个工作表
    #[arg(long, value_name = "工作表")]
    pub sheet: Option<String>,
    /// 列名对照文件（TOML），用于系统不认识的表头
    #[arg(long, value_name = "文件")]
    pub mapping: Option<PathBuf>,
    /// 只检查、不写入（仍生成退回报告）
    #[arg(long)]
    pub dry_run: bool,
    /// 名单所属学期（表中没有学期时使用），如 2018秋
    #[arg(long, value_name = "学期")]
    pub term: Option<String>,
    /// 退回报告的存放目录（默认与名单同目录）
    #[arg(long, value_name = "目录")]
    pub report_dir: Option<PathBuf>,
    /// 同一文件已导入过时仍重新导入
    #[arg(long)]
    pub force: bool,
    /// 操作人（记入批次与审计日志）
    #[arg(
        long,
        default_value = "命令行",
        value_name = "姓名",
        hide_default_value = true
    )]
    pub actor: String,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    /// 学生名册
    Students,
    /// 三级台账（县、乡镇、学校，按 --township / --school 选择层级）
    Ledger,
    /// 学校名册
    Schools,
    /// 行政区划
    Regions,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// 导出内容：students、ledger、schools、regions
    #[arg(
        value_enum,
        value_name = "内容",
        help_heading = "参数",
        hide_possible_values = true
    )]
    pub what: ExportWhat,
    /// 输出文件（.xlsx）
    #[arg(long, value_name = "文件")]
    pub out: PathBuf,
    /// 学期，如 2018秋（默认 2018秋）
    #[arg(
        long,
        default_value = "2018秋",
        value_name = "学期",
        hide_default_value = true
    )]
    pub term: String,
    /// 只导出这个乡镇（9位代码）
    #[arg(long, value_name = "代码")]
    pub township: Option<String>,
    /// 只导出这所学校（10位学校标识码）
    #[arg(long, value_name = "代码")]
    pub school: Option<String>,
    /// 导出完整的身份证号、银行卡号等（默认打码；记入查看完整信息日志）
    #[arg(long)]
    pub full: bool,
    /// 操作人（完整导出时记入查看完整信息日志）
    #[arg(
        long,
        default_value = "命令行",
        value_name = "姓名",
        hide_default_value = true
    )]
    pub actor: String,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct EntitleArgs {
    /// 学期，如 2018秋
    #[arg(long, value_name = "学期")]
    pub term: String,
    /// 只试算、不写入
    #[arg(long)]
    pub dry_run: bool,
    /// 政策文件（TOML；默认为内置的湖南省 2018 年标准）
    #[arg(long, value_name = "文件")]
    pub policy: Option<PathBuf>,
    /// 解释某名学生的计算过程：身份证号、学籍号或人员编号
    #[arg(long, value_name = "证件号")]
    pub explain: Option<String>,
    /// 操作人（记入审计日志）
    #[arg(
        long,
        default_value = "命令行",
        value_name = "姓名",
        hide_default_value = true
    )]
    pub actor: String,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LinkEngine {
    /// 本机多线程（默认）
    Local,
    /// DataFusion Ballista 集群（需以 distributed 功能编译）
    Ballista,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// 左名单（UTF-8 CSV，表头 record_id,name,sex,birth_date,id_number,guardian_name,address）
    #[arg(value_name = "左名单", help_heading = "参数")]
    pub left: PathBuf,
    /// 右名单（同上）
    #[arg(value_name = "右名单", help_heading = "参数")]
    pub right: PathBuf,
    /// 输出文件（CSV：left_id,right_id,match_probability）
    #[arg(long, value_name = "文件")]
    pub out: PathBuf,
    /// 判定为同一人的概率阈值，0 到 1（默认由模型决定）
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// 计算引擎：local 或 ballista（默认 local）
    #[arg(
        long,
        value_enum,
        default_value = "local",
        value_name = "引擎",
        hide_default_value = true,
        hide_possible_values = true
    )]
    pub engine: LinkEngine,
    /// Ballista 调度器地址，如 df://127.0.0.1:50050（不填则在本机内置运行）
    #[arg(long, value_name = "URL")]
    pub scheduler: Option<String>,
    /// 分布式比对的中间文件目录（集群上须为各执行节点共享的路径；默认系统临时目录）
    #[arg(long, value_name = "目录")]
    #[cfg_attr(
        not(feature = "distributed"),
        allow(dead_code, reason = "only the distributed engine reads it")
    )]
    pub staging_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BatchesArgs {
    #[command(subcommand)]
    pub command: BatchesCommand,
}

#[derive(Debug, Subcommand)]
pub enum BatchesCommand {
    /// 列出最近的导入批次
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    List {
        /// 最多列出多少个
        #[arg(
            long,
            default_value_t = 50,
            value_name = "个数",
            hide_default_value = true
        )]
        limit: u64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// 整批回滚一个导入批次（记入审计日志）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Rollback {
        /// 批次号
        #[arg(value_name = "批次号", help_heading = "参数")]
        batch: i64,
        /// 回滚原因
        #[arg(long, value_name = "原因")]
        reason: String,
        /// 操作人
        #[arg(
            long,
            default_value = "命令行",
            value_name = "姓名",
            hide_default_value = true
        )]
        actor: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(subcommand)]
    pub command: Option<CompareCommand>,
    #[command(flatten)]
    pub run: CompareRunArgs,
}

#[derive(Debug, Args)]
pub struct CompareRunArgs {
    /// 学期，如 2018秋（默认 2018秋）
    #[arg(
        long,
        default_value = "2018秋",
        value_name = "学期",
        hide_default_value = true
    )]
    pub term: String,
    /// 只试算、不写入
    #[arg(long)]
    pub dry_run: bool,
    /// 自动确认阈值：匹配概率不低于此值的链接自动确认（默认 0.99）
    #[arg(long, value_name = "P")]
    pub auto: Option<f64>,
    /// 复核阈值：匹配概率不低于此值（且低于自动确认阈值）的链接进入复核队列（默认 0.5）
    #[arg(long, value_name = "P")]
    pub review: Option<f64>,
    /// 操作人（记入审计日志）
    #[arg(
        long,
        default_value = "命令行",
        value_name = "姓名",
        hide_default_value = true
    )]
    pub actor: String,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum CompareCommand {
    /// 复核队列：不带 --link 时列出待复核的链接；带 --link 时确认或否决一条
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Review {
        /// 学期，如 2018秋（默认 2018秋）
        #[arg(
            long,
            default_value = "2018秋",
            value_name = "学期",
            hide_default_value = true
        )]
        term: String,
        /// 要复核的链接编号
        #[arg(long, value_name = "编号")]
        link: Option<i64>,
        /// 确认为同一人
        #[arg(long, conflicts_with = "reject")]
        accept: bool,
        /// 否决（不是同一人）
        #[arg(long)]
        reject: bool,
        /// 复核理由（必填，记入审计日志）
        #[arg(long, value_name = "理由")]
        reason: Option<String>,
        /// 最多列出多少条
        #[arg(
            long,
            default_value_t = 50,
            value_name = "条数",
            hide_default_value = true
        )]
        limit: u64,
        /// 显示完整的姓名和身份证号（默认打码）
        #[arg(long)]
        full: bool,
        /// 复核人（记入审计日志）
        #[arg(
            long,
            default_value = "命令行",
            value_name = "姓名",
            hide_default_value = true
        )]
        actor: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// 导出异常名单（xlsx，每类一个工作表）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Export {
        /// 输出文件（.xlsx）
        #[arg(long, value_name = "文件")]
        out: PathBuf,
        /// 学期，如 2018秋（默认 2018秋）
        #[arg(
            long,
            default_value = "2018秋",
            value_name = "学期",
            hide_default_value = true
        )]
        term: String,
        /// 只导出这一类：疑似失学辍学、应享未享、不应享而享、重复享受、县外就读信息缺失
        #[arg(long, value_name = "类别")]
        kind: Option<String>,
        /// 只导出这个乡镇（9位代码）
        #[arg(long, value_name = "代码")]
        township: Option<String>,
        /// 只导出这所学校（10位学校标识码）
        #[arg(long, value_name = "代码")]
        school: Option<String>,
        /// 导出完整的姓名和身份证号（默认打码）
        #[arg(long)]
        full: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// 新建账号（首次登录须修改密码）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Add {
        /// 登录名
        #[arg(value_name = "登录名", help_heading = "参数")]
        username: String,
        /// 角色：admin(系统管理员) county(县资助中心) inspector(县局领导/督查)
        /// township(乡镇教育办) school(学校资助专干) teacher(班主任) foundation(基金会)
        #[arg(long, value_name = "角色")]
        role: String,
        /// 显示的姓名（默认同登录名）
        #[arg(long, value_name = "姓名")]
        name: Option<String>,
        /// 乡镇教育办账号的乡镇（9位代码）
        #[arg(long, value_name = "代码")]
        township: Option<String>,
        /// 学校账号的学校标识码（10位）
        #[arg(long, value_name = "代码")]
        school: Option<String>,
        /// 班主任所带班级，可重复
        #[arg(long = "class", value_name = "班级")]
        classes: Vec<String>,
        /// 初始密码（不给则随机生成并显示）
        #[arg(long, value_name = "密码")]
        password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// 重设密码（下次登录须修改）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Passwd {
        /// 登录名
        #[arg(value_name = "登录名", help_heading = "参数")]
        username: String,
        /// 新密码（不给则随机生成并显示）
        #[arg(long, value_name = "密码")]
        password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// 停用账号（立即结束其所有会话）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Disable {
        /// 登录名
        #[arg(value_name = "登录名", help_heading = "参数")]
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// 重新启用账号
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Enable {
        /// 登录名
        #[arg(value_name = "登录名", help_heading = "参数")]
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// 监听地址（默认 127.0.0.1:8080）
    #[arg(
        long,
        default_value = "127.0.0.1:8080",
        value_name = "地址:端口",
        hide_default_value = true
    )]
    pub listen: SocketAddr,
    /// 上传文件与退回报告的存放目录（默认 ./zizhu-data）
    #[arg(
        long,
        default_value = "zizhu-data",
        value_name = "目录",
        hide_default_value = true
    )]
    pub data_dir: PathBuf,
    /// 网站经 https 访问时打开：会话 Cookie 只经加密连接发送
    #[arg(long)]
    pub secure_cookies: bool,
    /// 数据库连接数上限（默认 32；同时访问的人多时调大）
    #[arg(
        long,
        default_value_t = 32,
        value_name = "个数",
        hide_default_value = true
    )]
    pub db_connections: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GenFormat {
    /// 只写 Excel（xlsx）
    Xlsx,
    /// 只写 CSV
    Csv,
    /// 两种都写
    Both,
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// 输出目录（须为空目录或不存在）
    #[arg(long, value_name = "目录")]
    pub out: PathBuf,
    /// 县级行政区划代码（默认 431126 宁远县）
    #[arg(
        long,
        default_value = "431126",
        value_name = "代码",
        hide_default_value = true
    )]
    pub county: String,
    /// 在校学生人数（默认 150000）
    #[arg(
        long,
        default_value_t = 150_000,
        value_name = "人数",
        hide_default_value = true
    )]
    pub students: u64,
    /// 随机种子，同一种子输出完全相同（默认 1）
    #[arg(
        long,
        default_value_t = 1,
        value_name = "种子",
        hide_default_value = true
    )]
    pub seed: u64,
    /// 文件格式：xlsx、csv 或 both（默认 both）
    #[arg(
        long,
        value_enum,
        default_value = "both",
        value_name = "格式",
        hide_default_value = true,
        hide_possible_values = true
    )]
    pub format: GenFormat,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// 监听地址（默认 127.0.0.1:8080）
    #[arg(
        long,
        default_value = "127.0.0.1:8080",
        value_name = "地址:端口",
        hide_default_value = true
    )]
    pub listen: SocketAddr,
    /// 演示数据所在目录，数据库与生成的名单都放在这里（默认 zizhu-demo）
    #[arg(
        long,
        default_value = "zizhu-demo",
        value_name = "目录",
        hide_default_value = true
    )]
    pub dir: PathBuf,
    /// 在校学生人数（默认 150000）
    #[arg(
        long,
        default_value_t = 150_000,
        value_name = "人数",
        hide_default_value = true
    )]
    pub students: u64,
    /// 随机种子（默认 1）
    #[arg(
        long,
        default_value_t = 1,
        value_name = "种子",
        hide_default_value = true
    )]
    pub seed: u64,
    /// 丢弃已有的演示数据库，重新生成
    #[arg(long)]
    pub fresh: bool,
    /// 只准备数据，不启动网页服务
    #[arg(long)]
    pub no_serve: bool,
}

/// Parses the command line, turning clap's English errors into Chinese ones.
/// Help and version requests come back as `Err` with the text to print and
/// exit code 0.
pub fn parse() -> Result<Cli, (String, i32)> {
    Cli::try_parse().map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let code = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                2
            } else {
                0
            };
            (e.render().to_string(), code)
        }
        _ => (translate_error(&e), 2),
    })
}

fn translate_error(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let ctx = |kind: ContextKind| -> String {
        match e.get(kind) {
            Some(ContextValue::String(s)) => s.clone(),
            Some(ContextValue::Strings(v)) => v.join("、"),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    };
    let arg = ctx(ContextKind::InvalidArg);
    let value = ctx(ContextKind::InvalidValue);
    let what = match e.kind() {
        ErrorKind::UnknownArgument => format!("未知的参数 {arg}"),
        ErrorKind::InvalidSubcommand => {
            format!("未知的命令 {}", ctx(ContextKind::InvalidSubcommand))
        }
        ErrorKind::MissingRequiredArgument => format!("缺少必填参数 {arg}"),
        ErrorKind::MissingSubcommand => "缺少命令".to_owned(),
        ErrorKind::InvalidValue => {
            let valid = ctx(ContextKind::ValidValue);
            if valid.is_empty() {
                format!("参数 {arg} 的值“{value}”无效")
            } else {
                format!("参数 {arg} 的值“{value}”无效，可选：{valid}")
            }
        }
        ErrorKind::ValueValidation => {
            format!(
                "参数 {arg} 的值“{value}”无效（{}）",
                std::error::Error::source(e)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            )
        }
        ErrorKind::ArgumentConflict => {
            format!("参数 {arg} 不能与 {} 同时使用", ctx(ContextKind::PriorArg))
        }
        ErrorKind::TooManyValues => format!("参数 {arg} 给了多次或多余的值"),
        ErrorKind::NoEquals => format!("参数 {arg} 需要用等号给值"),
        _ => "命令行有误".to_owned(),
    };
    format!("错误：{what}\n运行 zizhu --help 查看用法。\n")
}
