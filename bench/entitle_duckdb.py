#!/usr/bin/env python3
"""The peer of zizhu-policy's `entitle`: the Hunan 2018 policies for the
2018秋 term written as one DuckDB SQL query over the facts CSV that
`bench_entitle --write-facts` writes, the formulation a user with DuckDB
might otherwise write by hand.

Usage: entitle_duckdb.py FACTS.csv [--threads 2] [--memory-limit 3GB]

Prints `load_ms` / `entitle_ms` lines, then per policy the payable 人次 and
金额 in fen as `P<TAB>code<TAB>人次<TAB>分` and a `P<TAB>合计` line, the same
format as `bench_entitle --facts`, so bench/entitle.sh can compare them.

What this reproduces of crates/zizhu-policy/policies/hunan-2018.toml for
2018秋: stages and grades; every eligibility rule in three-valued logic
(SQL NULL = 未知; only a TRUE result pays); 脱贫不脱政策 (已脱贫 counts
as 建档立卡 through 2020); 困难等级 derived from the special groups and
overridden by 学校认定; tiers (小学/初中, 建档立卡 一档); per-school 学杂费
(unknown fee = 信息缺失, not paid); the per-stage amount table; yearly
amounts paid once in 秋; the loan (applied, ≥1000 元, capped at 8000 元);
payment preconditions (学籍确认, and a valid bank account for 打卡);
quotas (per-mille of the covered population county-wide or per school,
rounded up; fixed count; per-school count), with guaranteed students
first and the selection order 遴选顺序 → 困难等级 → 人员编号, places taken
by eligible-but-blocked students too, as the engine does; and the
exclusivity group by priority (SPECIAL_EDU_LIVING before BOARDING_LIVING;
NONBOARDING_LIVING starts 2019秋).

What it does NOT reproduce: the policy file itself (the rules are
hand-translated into SQL for this one file and term; a changed TOML needs a
changed query, and inactive policies — EXAM_FEE_WAIVER 春, NONBOARDING_LIVING
from 2019秋 — are simply left out); per-entitlement records with status
and cause (受阻：无银行账户 / 学籍未确认 / 信息缺失：寄宿 / 名额已满 第 M 位 /
与 X 不可兼得), traces and `explain`, `coverage()` (应享未享), funding
splits by level, quota warnings, strict (严格) exclusivity with recorded
choices, and validation of the facts (the CSV is trusted). It only
totals payable 人次 and 金额.
"""

import argparse
import time

import duckdb

COLUMNS = {
    "person": "VARCHAR",
    "school": "VARCHAR",
    "township": "VARCHAR",
    "school_type": "VARCHAR",
    "special_school": "BOOLEAN",
    "school_fee_fen": "BIGINT",
    "stage": "VARCHAR",
    "grade": "TINYINT",
    "boarding": "BOOLEAN",
    "out_of_county": "BOOLEAN",
    "enrolled": "BOOLEAN",
    "bank": "VARCHAR",
    "poverty": "VARCHAR",
    "lifted_year": "SMALLINT",
    "dibao": "BOOLEAN",
    "tekun": "BOOLEAN",
    "orphan": "BOOLEAN",
    "martyr_child": "BOOLEAN",
    "disability": "VARCHAR",
    "parent_disabled": "BOOLEAN",
    "left_behind": "BOOLEAN",
    "rural_hukou": "BOOLEAN",
    "agri_major": "BOOLEAN",
    "recognition": "VARCHAR",
    "loan_applied_fen": "BIGINT",
    "nominated": "VARCHAR",
}

# One query: derive per-student facts, one SELECT per active policy
# (candidates: rule not FALSE and an amount rule that gives something),
# quotas by window functions, exclusivity by priority, then totals.
QUERY = """
WITH s0 AS (
    SELECT *,
        -- 建档立卡 under 脱贫不脱政策: 未脱贫, or 已脱贫 while term year 2018 <= 2020.
        (poverty = '未脱贫' OR (poverty = '已脱贫' AND 2018 <= 2020)) AS poor,
        disability IS NOT NULL AS disabled
    FROM facts
),
s AS (
    SELECT *,
        -- 困难等级 0..3; 学校认定 overrides the derived level.
        coalesce(
            CASE recognition WHEN '不困难' THEN 0 WHEN '一般困难' THEN 1
                             WHEN '困难' THEN 2 WHEN '特别困难' THEN 3 END,
            CASE WHEN poor OR tekun OR orphan OR dibao THEN 3
                 WHEN disabled OR parent_disabled OR martyr_child THEN 2
                 WHEN poverty = '边缘户' THEN 1 ELSE 0 END) AS diff,
        (poor OR dibao OR tekun OR orphan OR disabled) AS guaranteed,
        enrolled IS TRUE AS pay_waive,
        enrolled IS TRUE AND bank IS NOT DISTINCT FROM '有效' AS pay_card,
        -- 公办学校 或 普惠性民办
        school_type IN ('公办', '普惠性民办') AS public_or_inclusive,
        list_contains(string_split(coalesce(nominated, ''), '|'), 'VOC_SCHOLARSHIP') AS nom_vs,
        list_contains(string_split(coalesce(nominated, ''), '|'), 'FANHAI') AS nom_fh
    FROM s0
),
-- elig: the rule's value (NULL = 未知); amount NULL = 信息缺失;
-- pay: the payment precondition; quota fields only where a quota applies.
cand AS (
    SELECT 1 AS ord, 'PRESCHOOL' AS code, person, school, diff,
           diff > 0 AND public_or_inclusive AS elig, 50000::BIGINT AS amount, pay_card AS pay,
           guaranteed AS g, CASE WHEN diff >= 2 THEN 0 WHEN left_behind THEN 1 ELSE 2 END AS oi
    FROM s WHERE stage = '学前'
    UNION ALL
    SELECT 2, 'BOARDING_LIVING', person, school, diff,
           diff > 0 AND boarding, CASE stage WHEN '小学' THEN 50000 ELSE 62500 END, pay_card,
           NULL, NULL
    FROM s WHERE stage IN ('小学', '初中')
    UNION ALL
    SELECT 4, 'SPECIAL_EDU_LIVING', person, school, diff,
           special_school, 50000, pay_card, NULL, NULL
    FROM s WHERE stage IN ('小学', '初中')
    UNION ALL
    SELECT 6, 'HIGH_SCHOOL_GRANT', person, school, diff,
           diff > 0, CASE WHEN poor THEN 150000 ELSE 100000 END, pay_card, NULL, NULL
    FROM s WHERE stage = '普通高中'
    UNION ALL
    SELECT 7, 'HIGH_SCHOOL_FEE_WAIVER', person, school, diff,
           poor OR (disabled AND diff > 0) OR (dibao AND rural_hukou) OR (tekun AND rural_hukou),
           school_fee_fen, pay_waive, NULL, NULL
    FROM s WHERE stage = '普通高中'
    UNION ALL
    SELECT 8, 'VOC_TUITION_WAIVER', person, school, diff,
           rural_hukou OR agri_major OR diff > 0, 120000, pay_waive, NULL, NULL
    FROM s WHERE stage = '中职' AND grade IN (1, 2, 3)
    UNION ALL
    SELECT 9, 'VOC_GRANT', person, school, diff,
           agri_major OR diff > 0, 100000, pay_card,
           guaranteed, CASE WHEN diff >= 2 THEN 0 WHEN agri_major THEN 1 ELSE 2 END
    FROM s WHERE stage = '中职' AND grade IN (1, 2)
    UNION ALL
    SELECT 10, 'VOC_SCHOLARSHIP', person, school, diff,
           nom_vs, 600000, pay_card, FALSE, 0
    FROM s WHERE stage = '中职' AND grade IN (2, 3)
    UNION ALL
    SELECT 11, 'YULU', person, school, diff,
           poor, 150000, pay_card, NULL, NULL
    FROM s WHERE stage IN ('中职', '高职本专科')
    UNION ALL
    -- No application, or below the 1000 元 minimum: no entitlement at all.
    SELECT 12, 'HOMETOWN_LOAN', person, school, diff,
           diff > 0, least(loan_applied_fen, 800000), pay_waive, NULL, NULL
    FROM s WHERE stage = '高职本专科' AND loan_applied_fen >= 100000
    UNION ALL
    SELECT 13, 'MATERIALS_FEE_WAIVER', person, school, diff,
           poor, CASE stage WHEN '小学' THEN 5000 WHEN '初中' THEN 6000 ELSE 8000 END,
           pay_waive, NULL, NULL
    FROM s WHERE stage IN ('小学', '初中', '普通高中')
    UNION ALL
    SELECT 14, 'FANHAI', person, school, diff,
           poor AND nom_fh, 500000, pay_card, FALSE, 0
    FROM s WHERE stage = '高职本专科' AND grade = 1
),
c AS (
    SELECT *, elig IS TRUE AND amount IS NOT NULL AS sure,
           elig IS TRUE AND amount IS NOT NULL AND pay AS payable
    FROM cand WHERE elig IS NOT FALSE
),
-- Quota bases: every covered student, eligible or not.
preschool_places AS (
    SELECT (count(*) * 150 + 999) // 1000 AS places FROM facts WHERE stage = '学前'
),
voc_grant_places AS (
    SELECT school, (count(*) * 150 + 999) // 1000 AS places
    FROM facts WHERE stage = '中职' AND grade IN (1, 2) GROUP BY school
),
-- Selection: guaranteed first, then the order rule, hardship, person key;
-- ranked among all eligible candidates, payable or not.
ranked AS (
    SELECT c.*, row_number() OVER (
               PARTITION BY code, CASE WHEN code IN ('PRESCHOOL', 'FANHAI') THEN '' ELSE school END
               ORDER BY NOT g, oi, diff DESC, person) AS rnk
    FROM c WHERE sure AND code IN ('PRESCHOOL', 'VOC_GRANT', 'VOC_SCHOLARSHIP', 'FANHAI')
),
quota_ok AS (
    SELECT r.code, r.person, r.payable AND (r.g OR r.rnk <= CASE r.code
               WHEN 'PRESCHOOL' THEN (SELECT places FROM preschool_places)
               WHEN 'VOC_GRANT' THEN v.places
               WHEN 'VOC_SCHOLARSHIP' THEN 1
               WHEN 'FANHAI' THEN 129 END) AS payable
    FROM ranked r LEFT JOIN voc_grant_places v
      ON r.code = 'VOC_GRANT' AND v.school = r.school
),
after_quota AS (
    SELECT ord, code, person, amount,
           CASE WHEN code IN ('PRESCHOOL', 'VOC_GRANT', 'VOC_SCHOLARSHIP', 'FANHAI')
                THEN coalesce(q.payable, FALSE) ELSE c.payable END AS payable
    FROM c LEFT JOIN quota_ok q USING (code, person)
),
-- Exclusivity by priority: BOARDING_LIVING only if SPECIAL_EDU_LIVING is not payable.
special_paid AS (
    SELECT person FROM after_quota WHERE code = 'SPECIAL_EDU_LIVING' AND payable
),
final AS (
    SELECT ord, code, amount FROM after_quota a
    WHERE payable AND NOT (code = 'BOARDING_LIVING'
                           AND person IN (SELECT person FROM special_paid))
)
SELECT code, count(*) AS person_times, sum(amount)::BIGINT AS fen
FROM final GROUP BY ord, code ORDER BY ord
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("facts")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit; default its own")
    a = ap.parse_args()

    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    if a.memory_limit:
        con.execute(f"SET memory_limit = '{a.memory_limit}'")
    con.execute("SET preserve_insertion_order = false")

    cols = ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items())
    t0 = time.perf_counter()
    c0 = time.process_time()
    con.execute(
        f"CREATE TABLE facts AS SELECT * FROM read_csv(?, header = true, "
        f"columns = {{{cols}}}, auto_detect = false, delim = ',', quote = '')",
        [a.facts],
    )
    n = con.execute("SELECT count(*) FROM facts").fetchone()[0]
    print(
        f"load_ms\t{round((time.perf_counter() - t0) * 1000)}\t"
        f"cpu_ms\t{round((time.process_time() - c0) * 1000)}\t{n} 名学生"
    )

    t1 = time.perf_counter()
    c1 = time.process_time()
    rows = con.execute(QUERY).fetchall()
    print(
        f"entitle_ms\t{round((time.perf_counter() - t1) * 1000)}\t"
        f"cpu_ms\t{round((time.process_time() - c1) * 1000)}\t"
        f"一条 SQL（DuckDB {duckdb.__version__}，{a.threads} 个线程）"
    )
    total_n = total_fen = 0
    for code, pt, fen in rows:
        print(f"P\t{code}\t{pt}\t{fen}")
        total_n += pt
        total_fen += fen
    print(f"P\t合计\t{total_n}\t{total_fen}")


if __name__ == "__main__":
    main()
