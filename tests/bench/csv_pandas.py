#!/usr/bin/python3
"""csv_pandas.py — the validation rules of consumer/csv_validate.c written with pandas
(Debian python3-pandas), as the benchmark's baseline: strict UTF-8 (BOM dropped),
header equal to the mappings, column count, types (int within int64, strtod-style
float without inf/nan, bool true/false/1/0 any case, real dates, timestamps with
T or space, fraction and offset), empty markers (required → drop_row/error,
optional → empty), forbidden separators in the multi-valued column, per-part
types, unique index; then the normalised CSV (split rows, LF, minimal quoting).

usage: csv_pandas.py TABLES_DIR FILE.csv OUT.csv   (exit 0 valid, 1 problems)"""
import csv
import json
import os
import re
import sys

import numpy as np
import pandas as pd

INT_RE = r"[+-]?[0-9]+"
FLOAT_RE = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TS_RE = (r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?"
         r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?")
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def check_type(s, typ):
    """Boolean Series: which (non-empty) values parse as typ."""
    if typ == "string":
        return pd.Series(True, index=s.index)
    if typ == "int":
        ok = s.str.fullmatch(INT_RE)
        big = ok & (s.str.lstrip("+-").str.lstrip("0").str.len() >= 19)
        if big.any():
            ok[big] = s[big].map(lambda x: INT64_MIN <= int(x) <= INT64_MAX)
        return ok
    if typ == "float":
        ok = s.str.fullmatch(FLOAT_RE)
        vals = pd.to_numeric(s.where(ok, "0"), errors="coerce")
        return ok & np.isfinite(vals.to_numpy(dtype="float64"))
    if typ == "bool":
        return s.str.lower().isin(["true", "false"]) | s.isin(["1", "0"])
    if typ == "date":
        ok = s.str.fullmatch(DATE_RE)
        d = pd.to_datetime(s.where(ok, "2000-01-01"), format="%Y-%m-%d", errors="coerce")
        return ok & d.notna() & (s.str.slice(0, 4) != "0000")
    if typ == "timestamp":
        m = s.str.extract("^" + TS_RE + "$")
        ok = m[0].notna()
        d = pd.to_datetime(m[0].where(ok, "2000-01-01"), format="%Y-%m-%d", errors="coerce")
        hh = pd.to_numeric(m[1], errors="coerce")
        mi = pd.to_numeric(m[2], errors="coerce")
        ss = pd.to_numeric(m[3], errors="coerce")
        return ok & d.notna() & (hh <= 23) & (mi <= 59) & (ss <= 60)
    raise ValueError(typ)


def main():
    tables, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
    name = os.path.basename(path)[:-4]
    with open(os.path.join(tables, name + ".json"), encoding="utf-8") as f:
        cfg = json.load(f)
    cols = [m["name"] for m in cfg["mappings"]]
    types = {m["name"]: m["type"] for m in cfg["mappings"]}
    opt = cfg.get("options", {})
    markers = opt.get("empty_markers", [" ", "-", "ー"])
    sep = opt.get("multi_value_separator", ",")
    forbidden = [x for x in opt.get("forbidden_separators", ["、", "，", ", "]) if x != sep]
    index = opt.get("index_column")
    required = set(opt.get("required", [])) | ({index} if index else set())
    mv = opt.get("multi_value_column")

    # Strict UTF-8 (BOM dropped), RFC 4180 quoting, column count (C engine raises).
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                     encoding="utf-8-sig", engine="c", on_bad_lines="error")
    problems = 0
    if list(df.columns) != cols:
        problems += 1
    empty = (df == "") | df.isin(markers)
    bad = pd.Series(False, index=df.index)
    req = [c for c in cols if c in required]
    req_empty = empty[req].any(axis=1) if req else pd.Series(False, index=df.index)
    if opt.get("on_empty", "error") == "error":
        problems += int(empty[req].sum().sum())
        bad |= req_empty
        drop = pd.Series(False, index=df.index)
    else:
        drop = req_empty
    for c in cols:
        s = df[c][~empty[c]]
        if c == mv:
            fb = s.str.contains("|".join(re.escape(x) for x in forbidden)) if forbidden else s == None  # noqa: E711
            problems += int(fb.sum())
            bad[fb[fb].index] = True
            if types[c] != "string":
                parts = s[~fb].str.split(sep, regex=False).explode()
                parts = parts[(parts != "") & ~parts.isin(markers)]
                okp = check_type(parts, types[c])
                badrows = okp[~okp].index.unique()
                problems += int((~okp).sum())
                bad[badrows] = True
            continue
        ok = check_type(s, types[c])
        problems += int((~ok).sum())
        bad[ok[~ok].index] = True
    if index and opt.get("unique_index"):
        ix = df[index]
        if types[index] == "int":
            ix = ix.map(lambda x: int(x) if re.fullmatch(INT_RE, x) else x)
        dup = ix[~drop & ~empty[index]].duplicated()
        problems += int(dup.sum())
        bad[dup[dup].index] = True

    good = df[~bad & ~drop].copy()
    for c in cols:
        if c not in required:
            good.loc[empty.loc[good.index, c], c] = ""
    if mv and opt.get("split_multi_values"):
        parts = good[mv].str.split(sep, regex=False)
        good = good.assign(**{mv: parts}).explode(mv)
        good = good[(good[mv] != "") & ~good[mv].isin(markers)]
    if problems == 0:
        good.to_csv(out, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    print("%s: %s: %d rows read, %d written, %d dropped, %d problems" % (
        os.path.basename(path), "valid" if problems == 0 else "invalid", len(df), len(good),
        int(drop.sum()), problems))
    return 0 if problems == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
