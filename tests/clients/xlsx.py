"""xlsx.py: kuntamon's XLSX workbook as analysts' Python reads it, held to
the JSON rows of the same question.

    python3 xlsx.py DATA.xlsx DATA.json

openpyxl reads the workbook: it must have the sheets data, indicators and
query; the data sheet's header is the JSON's columns and each row the
JSON's row: text as text, value, numerator, denominator, reporting and
expected as numeric cells (empty where the JSON has null), the flag as
text (empty where null). libxlsxwriter 1.1.4 writes a number with 16
significant digits (Excel itself keeps 15), so a number equals the JSON's
to a relative 1e-15; how many are exact is printed. pandas, when present,
reads the data sheet too, as an analyst's read_excel would. Prints one
"ok NAME" or "not ok NAME (why)" line per check; exits 1 if any failed,
2 on bad usage.
"""
import json
import math
import sys

import openpyxl

NUMERIC = ("value", "numerator", "denominator", "reporting", "expected")
REL_TOL = 1e-15

n_failed = 0


def check(name, cond, why=""):
    global n_failed
    if cond:
        print(f"ok {name}")
    else:
        n_failed += 1
        print(f"not ok {name}" + (f" ({why})" if why else ""))
    sys.stdout.flush()


def cell_equals(column, want, got):
    """Whether a cell read back is the JSON's field; (is_equal, is_exact)."""
    if want is None or want == "":
        return got is None, True
    if column in NUMERIC:
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return False, False
        return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=0.0), got == want
    return got == want, True


def main():
    if len(sys.argv) != 3:
        print("usage: python3 xlsx.py DATA.xlsx DATA.json", file=sys.stderr)
        return 2
    xlsx_path, json_path = sys.argv[1], sys.argv[2]
    with open(json_path, encoding="utf-8") as f:
        table = json.load(f)
    columns, rows = table["columns"], table["rows"]
    wb = openpyxl.load_workbook(xlsx_path, read_only=True)
    check("xlsx sheets data, indicators, query",
          wb.sheetnames == ["data", "indicators", "query"],
          repr(wb.sheetnames))
    if "data" not in wb.sheetnames:
        return 1

    got = list(wb["data"].iter_rows(values_only=True))
    header = list(got[0]) if got else []
    check("xlsx data header is the JSON's columns", header == columns,
          repr(header))
    body = got[1:]
    check(f"xlsx data has the JSON's {len(rows)} rows", len(body) == len(rows),
          f"{len(body)} rows")
    n_bad = n_numbers = n_exact = n_withheld = 0
    first_bad = ""
    for want, row in zip(rows, body):
        row = list(row) + [None] * (len(columns) - len(row))
        for k, column in enumerate(columns):
            is_equal, is_exact = cell_equals(column, want[k], row[k])
            if column in NUMERIC and want[k] is not None:
                n_numbers += 1
                n_exact += is_exact and is_equal
            if not is_equal:
                n_bad += 1
                if not first_bad:
                    first_bad = f"{want[:5]} {column}: JSON {want[k]!r}, cell {row[k]!r}"
        flag = want[columns.index("flag")]
        if flag == "suppressed":
            n_withheld += 1
    check(f"xlsx data cells equal the JSON rows ({n_numbers} numbers, "
          f"{n_exact} exact, {n_withheld} withheld)",
          n_bad == 0, f"{n_bad} differ; first {first_bad}")

    if "indicators" in wb.sheetnames:
        ind = list(wb["indicators"].iter_rows(values_only=True))
        head = list(ind[0]) if ind else []
        by_id = {r[0]: dict(zip(head, r)) for r in ind[1:]}
        meta = table.get("indicators", {})
        bad = [i for i, m in meta.items()
               if i not in by_id or by_id[i].get("name") != m["name"]
               or by_id[i].get("unit") != m["unit"]
               or not by_id[i].get("definition")]
        check(f"xlsx indicators: the JSON's {len(meta)} with names, units, definitions",
              head[:4] == ["id", "kind", "name", "unit"] and not bad
              and len(by_id) == len(meta), f"{bad or head}")
    if "query" in wb.sheetnames:
        q = {r[0]: r[1] for r in wb["query"].iter_rows(values_only=True) if r}
        check("xlsx query: the question and when it was made",
              q.get("query") == table.get("query") and
              isinstance(q.get("made"), str) and q["made"].endswith("Z")
              and q.get("rows") == len(rows) and bool(q.get("suppression")),
              repr(q))
    wb.close()

    try:
        import pandas
    except ImportError:
        print("skip pandas: not installed")
    else:
        df = pandas.read_excel(xlsx_path, sheet_name="data", engine="openpyxl")
        values = [r[columns.index("value")] for r in rows]
        read = df["value"].tolist() if "value" in df else []
        same = len(read) == len(values) and all(
            (w is None and math.isnan(g)) or
            (w is not None and math.isclose(g, w, rel_tol=REL_TOL, abs_tol=0.0))
            for w, g in zip(values, read))
        check("xlsx pandas read_excel gives the JSON's values",
              list(df.columns) == columns and same,
              f"columns {list(df.columns)}")
    return 0 if n_failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
