//! `zizhu gen`: the synthetic county's department lists, for the demo, the
//! tests and the benchmarks.

use anyhow::{Context, Result};
use zizhu_gen::{Format, GenConfig};

use crate::cli::{GenArgs, GenFormat};

pub fn gen_config(args: &GenArgs) -> GenConfig {
    GenConfig {
        county: args.county.clone(),
        students: args.students,
        seed: args.seed,
        format: match args.format {
            GenFormat::Xlsx => Format::Xlsx,
            GenFormat::Csv => Format::Csv,
            GenFormat::Both => Format::Both,
        },
        ..GenConfig::default()
    }
}

pub fn generate(args: GenArgs) -> Result<()> {
    let config = gen_config(&args);
    let summary = zizhu_gen::generate(&config, &args.out)
        .with_context(|| format!("生成虚拟县失败（输出目录 {}）", args.out.display()))?;
    crate::say!("{summary}");
    crate::say!(
        "名单已写入 {}，真值在 {}/{}/",
        args.out.display(),
        args.out.display(),
        zizhu_gen::TRUTH_DIR
    );
    Ok(())
}
