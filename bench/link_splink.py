"""Splink peer for `bench/link.sh`: links two lists in zizhu's link CSV layout
(record_id,name,sex,birth_date,id_number,guardian_name,address) with Splink 5
on DuckDB, after the same Chinese normalisation zizhu applies.

    python3 link_splink.py LEFT.csv RIGHT.csv TRUTH.csv OUT_DIR [--threads N]

Writes OUT_DIR/splink-default.csv (links at match probability 0.5, the
conventional default) and OUT_DIR/splink-best.csv (links at the threshold with
the best F1 in the sweep below), and prints tab-separated lines:

    phase   prepare|train|predict   SECONDS
    sweep   raw|one_to_one   THRESHOLD   PRECISION   RECALL   F1   LINKS
    best    raw|one_to_one   THRESHOLD   PRECISION   RECALL   F1   LINKS
    default raw|one_to_one   0.5         PRECISION   RECALL   F1   LINKS

"raw" is Splink's own output (every pair above the threshold); "one_to_one"
adds the greedy one-to-one resolution zizhu uses (best weight first), which
Splink itself does not have. The truth is read only after prediction, to
score the sweep.

Normalisation (what a careful user with pypinyin and OpenCC would do):

- text: Unicode NFKC (full-width digits and letters), spaces and middle dots
  removed, traditional → simplified (OpenCC t2s), Latin lower-cased;
- names: pinyin without tones (pypinyin, surnames in their surname reading:
  单 shan, 曾 zeng …), compound surnames (欧阳, 司马 …) split off, so that
  surname / given-name / full-name pinyin columns exist for blocking and
  comparison; guardians the same, with 父/母/父亲/母亲 labels removed;
- ID numbers: upper case, spaces and dashes removed, 15 → 18 digits (the
  century taken from the birth-date column when it has one);
- birth dates: ISO, compact, slashes, dots, 年月日, with a time part, Excel
  serials, D/M/YYYY and M/D/YYYY; taken from the ID number when the column
  is empty; sex likewise;
- addresses: province / city / county prefix removed.
"""

import argparse
import csv
import datetime as dt
import functools
import os
import re
import sys
import time
import unicodedata

import duckdb
import pandas as pd
from opencc import OpenCC
from pypinyin import Style, lazy_pinyin

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

T2S = OpenCC("t2s")
DOTS = "·•・.‧∙●。·"
COMPOUND_SURNAMES = set(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 "
    "端木 百里 呼延 独孤 南宫 西门 澹台 公冶 宗政 濮阳 太叔 申屠 闻人 万俟 赫连 拓跋 "
    "第五 司空 亓官 闾丘 左丘 东郭 梁丘 单于 公羊 谷梁 乐正 漆雕 巫马 微生".split()
)
# Surnames read differently from the character's common reading.
SURNAME_READING = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao",
    "查": "zha", "覃": "qin", "盖": "ge", "缪": "miao", "繁": "po", "乐": "yue",
    "召": "shao", "长": "zhang", "尉": "yu", "员": "yun", "翟": "zhai", "重": "chong",
    "秘": "bi", "种": "chong", "肖": "xiao", "万": "wan", "沈": "shen", "薄": "bo",
}
ROLE_PREFIX = re.compile(r"^(父亲|母亲|爸爸|妈妈|祖父|祖母|爷爷|奶奶|外公|外婆|监护人|父|母)[:：]?")
TRAILING_ROLE = re.compile(r"[(（](父亲|母亲|父|母|爷爷|奶奶|祖父|祖母|外公|外婆)[)）]$")
ADMIN_PREFIX = re.compile(
    r"^(?:[^省]{2,7}?省)?(?:[^省市县区]{2,4}?市(?![镇乡]))?(?:[^省市县区]{2,4}?[县区](?![镇乡]))?"
)


def fold(s):
    s = unicodedata.normalize("NFKC", s or "")
    return re.sub(r"\s+", "", s)


@functools.lru_cache(maxsize=None)
def norm_name(raw):
    s = T2S.convert(fold(raw))
    s = "".join(c for c in s if c not in DOTS).lower()
    return s


@functools.lru_cache(maxsize=None)
def split_surname(name):
    if not name or name.isascii():
        return "", name
    n = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:n], name[n:]


@functools.lru_cache(maxsize=None)
def py(text, surname=False):
    if not text:
        return ""
    if text.isascii():
        return text
    if surname and len(text) == 1 and text in SURNAME_READING:
        return SURNAME_READING[text]
    return "".join(lazy_pinyin(text, style=Style.NORMAL, errors="default"))


def name_columns(raw, prefix):
    n = norm_name(raw)
    folded = T2S.convert(fold(raw))
    if any(c in DOTS for c in folded.strip(DOTS)):
        # A transliterated minority name: the part before the dot is a given
        # name, but it plays the surname's part in blocking.
        first = re.split("[" + DOTS + "]", folded.strip(DOTS))[0].lower()
        sur, given = first, n[len(first):]
    else:
        sur, given = split_surname(n)
    return {
        prefix: n or None,
        prefix + "_sur": sur or None,
        prefix + "_given": given or None,
        prefix + "_py": (py(sur, True) + py(given)) or None,
        prefix + "_sur_py": py(sur, True) or None,
        prefix + "_given_py": py(given) or None,
    }


def guardian_name(raw):
    s = fold(raw)
    s = ROLE_PREFIX.sub("", s)
    s = TRAILING_ROLE.sub("", s)
    return re.split(r"[、,，/;；]", s)[0]


def excel_serial(n):
    return dt.date(1899, 12, 30) + dt.timedelta(days=n)


def make_date(y, m, d):
    try:
        date = dt.date(int(y), int(m), int(d))
    except ValueError:
        return None
    return date if 1900 <= date.year <= 2100 else None


@functools.lru_cache(maxsize=None)
def parse_date(raw):
    s = fold(raw)
    if not s:
        return None
    s = re.sub(r"(\d)(?:T|\s)?\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", r"\1", s)
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        return excel_serial(int(float(s)))
    if re.fullmatch(r"\d{8}", s):
        return make_date(s[:4], s[4:6], s[6:])
    g = re.findall(r"\d+", s)
    if len(g) == 3 and len(g[0]) == 4:
        return make_date(*g)
    if len(g) == 3 and len(g[2]) == 4:
        a, b, y = int(g[0]), int(g[1]), g[2]
        if a > 12:
            return make_date(y, b, a)
        return make_date(y, a, b) or make_date(y, b, a)
    return None


def check_digit(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(first17, weights))
    return "10X98765432"[total % 11]


def norm_id(raw, field_date):
    s = re.sub(r"[\s\-']", "", fold(raw)).upper()
    if len(s) == 15 and s.isdigit():
        century = "20" if field_date is not None and field_date.year >= 2000 else "19"
        first17 = s[:6] + century + s[6:]
        s = first17 + check_digit(first17)
    return s or None


def id_date(idn):
    if idn and len(idn) == 18 and idn[:17].isdigit():
        return make_date(idn[6:10], idn[10:12], idn[12:14])
    return None


def id_sex(idn):
    if idn and len(idn) == 18 and idn[16].isdigit():
        return "男" if int(idn[16]) % 2 == 1 else "女"
    return None


def norm_sex(raw):
    s = fold(raw).lower()
    return {"男": "男", "男性": "男", "1": "男", "m": "男", "male": "男",
            "女": "女", "女性": "女", "2": "女", "f": "女", "female": "女"}.get(s)


@functools.lru_cache(maxsize=None)
def norm_address(raw):
    s = T2S.convert(fold(raw))
    s = re.sub(r"[,，、\-—()（）#:：;；]", "", s)
    return ADMIN_PREFIX.sub("", s, count=1) or s or None


def load(path):
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            field_date = parse_date(r["birth_date"])
            idn = norm_id(r["id_number"], field_date)
            dob = field_date or id_date(idn)
            row = {
                "unique_id": r["record_id"],
                "id_number": idn,
                "dob": dob.isoformat() if dob else None,
                "sex": norm_sex(r["sex"]) or id_sex(idn),
                "address": norm_address(r["address"]),
            }
            row.update(name_columns(r["name"], "name"))
            row.update(name_columns(guardian_name(r["guardian_name"]), "guardian"))
            rows.append(row)
    return pd.DataFrame(rows)


def settings():
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("name_py").configure(label_for_charts="同音"),
            cll.DamerauLevenshteinLevel("name", 1),
            cll.JaroWinklerLevel("name_py", 0.92),
            cll.ExactMatchLevel("name_sur_py").configure(label_for_charts="同姓"),
            cll.ElseLevel(),
        ],
    )
    guardian = cl.CustomComparison(
        output_column_name="guardian",
        comparison_levels=[
            cll.NullLevel("guardian"),
            cll.ExactMatchLevel("guardian", term_frequency_adjustments=True),
            cll.ExactMatchLevel("guardian_py"),
            cll.DamerauLevenshteinLevel("guardian", 1),
            cll.JaroWinklerLevel("guardian_py", 0.9),
            cll.ElseLevel(),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.DamerauLevenshteinLevel("dob", 1),
            cll.CustomLevel(
                "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) "
                "AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
                "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
            ).configure(label_for_charts="日月颠倒"),
            cll.AbsoluteDateDifferenceLevel(
                "dob", threshold=1, metric="month", input_is_string=True
            ),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.DamerauLevenshteinAtThresholds("id_number", [1, 2]),
            name,
            dob,
            cl.ExactMatch("sex"),
            guardian,
            cl.CustomComparison(
                output_column_name="address",
                comparison_levels=[
                    cll.NullLevel("address"),
                    cll.ExactMatchLevel("address"),
                    cll.JaroWinklerLevel("address", 0.9),
                    cll.JaroWinklerLevel("address", 0.75),
                    cll.ElseLevel(),
                ],
            ),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("dob", "name_sur_py"),
            block_on("name_py", "substr(dob, 1, 4)"),
            block_on("name_given_py", "dob"),
            block_on("name_py", "guardian_py"),
            block_on("name_py", "address"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def greedy_one_to_one(pred):
    pred = pred.sort_values(
        ["match_weight", "unique_id_l", "unique_id_r"], ascending=[False, True, True]
    )
    used_l, used_r, keep = set(), set(), []
    for a, b in zip(pred["unique_id_l"], pred["unique_id_r"]):
        ok = a not in used_l and b not in used_r
        if ok:
            used_l.add(a)
            used_r.add(b)
        keep.append(ok)
    return pred[keep]


def scores(pred, truth_n, thresholds):
    """(threshold, precision, recall, f1, links) for each threshold."""
    out = []
    p = pred["match_probability"].to_numpy()
    ok = pred["correct"].to_numpy()
    for t in thresholds:
        sel = p >= t
        n = int(sel.sum())
        c = int(ok[sel].sum())
        prec = c / n if n else 0.0
        rec = c / truth_n if truth_n else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out.append((t, prec, rec, f1, n))
    return out


def write_links(path, pred):
    pred[["unique_id_l", "unique_id_r", "match_probability"]].to_csv(
        path, index=False, header=["left_id", "right_id", "match_probability"],
        float_format="%.6f",
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("left")
    ap.add_argument("right")
    ap.add_argument("truth")
    ap.add_argument("out_dir")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--u-pairs", type=float, default=1e7)
    a = ap.parse_args()

    t0 = time.time()
    left, right = load(a.left), load(a.right)
    t1 = time.time()
    print(f"phase\tprepare\t{t1 - t0:.2f}", flush=True)

    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    db = DuckDBAPI(connection=con)
    linker = Linker(
        [db.register(left, dataset_display_name="list_left"),
         db.register(right, dataset_display_name="list_right")],
        settings(),
        log_level=30,
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number"), block_on("name", "dob")], recall=0.9
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=a.u_pairs, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("id_number")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name_py", "dob")
    )
    t2 = time.time()
    print(f"phase\ttrain\t{t2 - t1:.2f}", flush=True)

    pred = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    pred = pred[["unique_id_l", "unique_id_r", "source_dataset_l",
                 "match_weight", "match_probability"]]
    flip = pred["source_dataset_l"] != "list_left"
    pred.loc[flip, ["unique_id_l", "unique_id_r"]] = pred.loc[
        flip, ["unique_id_r", "unique_id_l"]].to_numpy()
    t3 = time.time()
    print(f"phase\tpredict\t{t3 - t2:.2f}", flush=True)

    truth = pd.read_csv(a.truth, dtype=str)
    truth_set = set(zip(truth["left_id"], truth["right_id"]))
    pred["correct"] = [
        (x, y) in truth_set for x, y in zip(pred["unique_id_l"], pred["unique_id_r"])
    ]
    one = greedy_one_to_one(pred)
    grid = [round(0.01 * i, 2) for i in range(1, 100)] + [0.995, 0.999, 0.9999]
    best = {}
    for kind, frame in (("raw", pred), ("one_to_one", one)):
        rows = scores(frame, len(truth_set), grid)
        for r in rows:
            print("sweep\t%s\t%g\t%.4f\t%.4f\t%.4f\t%d" % (kind, *r))
        b = max(rows, key=lambda r: r[3])
        best[kind] = b
        print("best\t%s\t%g\t%.4f\t%.4f\t%.4f\t%d" % (kind, *b))
        d = scores(frame, len(truth_set), [0.5])[0]
        print("default\t%s\t%g\t%.4f\t%.4f\t%.4f\t%d" % (kind, *d))
    write_links(os.path.join(a.out_dir, "splink-default.csv"),
                pred[pred["match_probability"] >= 0.5])
    kind = max(best, key=lambda k: best[k][3])
    frame = pred if kind == "raw" else one
    write_links(os.path.join(a.out_dir, "splink-best.csv"),
                frame[frame["match_probability"] >= best[kind][0]])


if __name__ == "__main__":
    sys.exit(main())
