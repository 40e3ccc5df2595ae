"""Splink baseline on the same two CSV files zizhu-link reads, for a side-by-side
comparison.

    pip install splink          # 5.x, DuckDB backend
    python3 splink_baseline.py LEFT.csv RIGHT.csv TRUTH.csv [THRESHOLD]

TRUTH.csv has the header left_id,right_id. The script gives Splink what a
careful general-purpose user would: Unicode NFKC folding (full-width digits,
spaces), upper-case IDs, dates parsed from the common shapes and from Excel
serials, Jaro-Winkler and Levenshtein comparisons with term-frequency
adjustment on names, five blocking rules, u from random sampling, m by EM on
two sessions, then the same greedy one-to-one resolution zizhu-link uses. It
does not know Chinese: no traditional/simplified folding, no pinyin, no ID
check digit, no twin guard.
"""

import csv
import datetime as dt
import re
import sys
import time
import unicodedata

from splink import Linker, SettingsCreator, block_on
import splink.comparison_library as cl
from splink.backends.duckdb import DuckDBAPI


def clean_text(s):
    s = unicodedata.normalize("NFKC", s or "")
    return re.sub(r"\s+", "", s) or None


def clean_date(s):
    s = unicodedata.normalize("NFKC", s or "").strip()
    if not s:
        return None
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        n = int(float(s))
        return (dt.date(1899, 12, 30) + dt.timedelta(days=n)).isoformat()
    m = re.fullmatch(r"(\d{4})\D?(\d{1,2})\D?(\d{1,2})\D?(?:\s.*)?", s)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    return None


def load(path, source):
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            rows.append(
                {
                    "unique_id": r["record_id"],
                    "name": clean_text(r["name"]),
                    "sex": clean_text(r["sex"]),
                    "dob": clean_date(r["birth_date"]),
                    "id_number": (clean_text(r["id_number"]) or "").upper() or None,
                    "guardian": clean_text(r["guardian_name"]),
                    "address": clean_text(r["address"]),
                }
            )
    # Sex codes 1/2 and M/F as 男/女, as any cleaning step would.
    for r in rows:
        r["sex"] = {"1": "男", "M": "男", "2": "女", "F": "女"}.get(r["sex"], r["sex"])
    return rows


def main():
    left_path, right_path, truth_path = sys.argv[1:4]
    threshold = float(sys.argv[4]) if len(sys.argv) > 4 else 0.5
    left, right = load(left_path, "l"), load(right_path, "r")
    start = time.time()
    db = DuckDBAPI()
    dfl = db.register(left, dataset_display_name="list_a")
    dfr = db.register(right, dataset_display_name="list_b")
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.JaroWinklerAtThresholds("name", [0.9, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.LevenshteinAtThresholds("dob", [1, 2]),
            cl.ExactMatch("sex"),
            cl.JaroWinklerAtThresholds("guardian", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("dob", "substr(name, 1, 1)"),
            block_on("name", "substr(dob, 1, 4)"),
            block_on("guardian", "substr(dob, 1, 4)"),
            block_on("name", "address"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker([dfl, dfr], settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    except Exception:  # A list without birth dates: train the rest on names.
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    pred = linker.inference.predict(threshold_match_probability=threshold).as_record_list()
    # Greedy one-to-one, best first, as zizhu-link does.
    pred.sort(key=lambda p: (-p["match_weight"], p["unique_id_l"], p["unique_id_r"]))
    used_l, used_r, links = set(), set(), []
    for p in pred:
        a, b = p["unique_id_l"], p["unique_id_r"]
        if p["source_dataset_l"] != "list_a":
            a, b = b, a
        if a in used_l or b in used_r:
            continue
        used_l.add(a)
        used_r.add(b)
        links.append((a, b))
    secs = time.time() - start
    with open(truth_path, newline="") as f:
        truth = {(r["left_id"], r["right_id"]) for r in csv.DictReader(f)}
    correct = sum(1 for p in links if p in truth)
    precision = correct / max(len(links), 1)
    recall = correct / max(len(truth), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    print(
        f"splink {len(left)} x {len(right)}: {secs:.1f} s; {len(links)} links, "
        f"{len(truth)} true pairs; precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f}"
    )


if __name__ == "__main__":
    main()
