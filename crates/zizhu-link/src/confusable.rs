//! Characters that look alike (形近字), as confused by OCR of paper forms and
//! by hurried handwriting transcription.
//!
//! Homophones need no table (their pinyin is equal); this list is for pairs
//! that sound different but look alike, so that 王己 read back as 王已 is
//! still recognised as one typing slip rather than a different given name.

use std::sync::OnceLock;

/// Groups of mutually confusable characters; every pair within a group counts.
const GROUPS: &[&str] = &[
    "己已巳",
    "未末",
    "日曰",
    "士土",
    "人入",
    "王玉主",
    "大太犬",
    "天夭",
    "干千于",
    "午牛",
    "甲申由田",
    "休体",
    "晴睛",
    "帅师",
    "侯候",
    "戊戌戍",
    "洁浩",
    "秀季",
    "宏宋",
    "怡恰",
    "鸣呜",
    "免兔",
    "宇字",
    "官宫",
    "雪雷",
    "明朋",
    "晶昌",
    "佳住",
    "嘉喜",
    "冉再",
    "贝见",
    "东车",
    "兵乒乓",
    "淑叔",
    "梅海悔",
    "辩辨辫",
    "折拆",
    "治冶",
    "微徽",
    "崇祟",
    "茶荼",
    "毫豪",
    "刀力",
    "儿几",
    "今令",
    "仑仓",
    "史吏",
    "木本术",
    "尤龙",
    "斤斥",
    "皂皇",
    "赢嬴",
    "竞竟",
    "婧靖",
    "彬杉衫",
    "男勇",
    "思恩",
    "锦绵",
    "泽译择",
    "轩轨",
    "瑞端",
    "涛祷",
    "丹舟",
    "小少",
    "子孑",
    "心必",
    "文丈",
    "方万",
    "云去",
    "平乎",
    "芳苦",
    "华毕",
    "军车",
    "勤勒",
    "波泼",
    "超起",
    "飞习",
    "磊晶",
    "鹤鸽",
    "玲伶",
    "琳淋",
    "凤风",
    "芬芳",
    "婷亭",
    "亭停",
    "萍苹",
    "清情请",
    "红虹",
    "霞瑕",
    "敏繁",
    "辰晨",
    "毅毅",
    "强虽",
    "兰当",
    "桂佳",
    "林材",
    "森淼",
    "莉利",
    "蓉容",
    "静净",
    "琦倚",
    "娇骄",
    "姣皎",
    "婉碗",
    "杨扬汤",
    "杰燕",
    "妍研",
    "雅稚",
    "彤肜",
    "晓哓",
    "梓辛",
    "欣炊",
    "坤伸",
    "建健",
    "俊浚",
    "峰锋",
    "涵函",
    "旭旬",
    "晖挥",
    "辉挥",
    "凯岂",
    "鑫鈊",
    "宁守",
    "义叉",
];

struct Table {
    /// Every confusable pair as (smaller, larger), sorted.
    pairs: Vec<(char, char)>,
    /// One bit per character of the basic CJK block: whether it belongs to
    /// any group. Most character pairs compared are in no group, and this
    /// answers that without a search.
    members: Vec<u64>,
}

const CJK_START: u32 = 0x4E00;
const CJK_END: u32 = 0x9FFF;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut pairs = Vec::new();
        let mut members = vec![0u64; ((CJK_END - CJK_START) / 64 + 1) as usize];
        for group in GROUPS {
            let chars: Vec<char> = group.chars().collect();
            for (i, &a) in chars.iter().enumerate() {
                let code = u32::from(a);
                if (CJK_START..=CJK_END).contains(&code) {
                    let bit = code - CJK_START;
                    members[(bit / 64) as usize] |= 1 << (bit % 64);
                }
                for &b in &chars[i + 1..] {
                    if a != b {
                        pairs.push((a.min(b), a.max(b)));
                    }
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        Table { pairs, members }
    })
}

fn is_member(t: &Table, c: char) -> bool {
    let code = u32::from(c);
    if !(CJK_START..=CJK_END).contains(&code) {
        return false;
    }
    let bit = code - CJK_START;
    t.members[(bit / 64) as usize] & (1 << (bit % 64)) != 0
}

/// Whether two distinct characters are a known look-alike pair.
pub fn look_alike(a: char, b: char) -> bool {
    let t = table();
    a != b
        && is_member(t, a)
        && is_member(t, b)
        && t.pairs.binary_search(&(a.min(b), a.max(b))).is_ok()
}

#[cfg(test)]
mod tests {
    use super::look_alike;

    #[test]
    fn look_alike_is_symmetric() {
        assert!(look_alike('己', '已'));
        assert!(look_alike('已', '己'));
        assert!(look_alike('甲', '田'));
        assert!(!look_alike('甲', '乙'));
        assert!(!look_alike('甲', '甲'));
    }
}
