//! Generates a synthetic county and prints the summary, for measuring time
//! and output by hand:
//!
//! ```text
//! cargo run --release -p zizhu-gen --example county -- OUT_DIR [STUDENTS] [csv|xlsx|both] [SEED]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use zizhu_gen::{Format, GenConfig, generate};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("用法：county 输出目录 [学生数] [csv|xlsx|both] [种子]");
        return ExitCode::from(2);
    };
    let mut config = GenConfig::default();
    if let Some(n) = args.get(1) {
        match n.replace('_', "").parse() {
            Ok(n) => config.students = n,
            Err(_) => {
                eprintln!("学生数无效：{n}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(f) = args.get(2) {
        match Format::parse(f) {
            Ok(f) => config.format = f,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(s) = args.get(3) {
        match s.parse() {
            Ok(s) => config.seed = s,
            Err(_) => {
                eprintln!("种子无效：{s}");
                return ExitCode::from(2);
            }
        }
    }
    match generate(&config, &PathBuf::from(out)) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
