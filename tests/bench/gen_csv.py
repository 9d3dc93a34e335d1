#!/usr/bin/python3
"""gen_csv.py — writes a valid campaign-tags style CSV of about SIZE_MB megabytes for
the validation benchmark: Korean/Japanese text, quoted cells with commas, doubled
quotes and newlines, multi-valued tags, every column type; and its table config.

usage: gen_csv.py OUT_DIR SIZE_MB   → OUT_DIR/bench_tags.csv, OUT_DIR/bench_tags.json"""
import json
import os
import random
import sys

CONFIG = {
    "project": "mkt", "name": "bench_tags", "schema": "sheets",
    "mappings": [
        {"name": "id", "type": "int"}, {"name": "tags", "type": "string"},
        {"name": "price", "type": "float"}, {"name": "active", "type": "bool"},
        {"name": "day", "type": "date"}, {"name": "updated_at", "type": "timestamp"},
        {"name": "title", "type": "string"}, {"name": "note", "type": "string"},
        {"name": "qty", "type": "int"},
    ],
    "options": {
        "index_column": "id", "required": ["tags", "title"], "on_empty": "drop_row",
        "multi_value_column": "tags", "multi_value_separator": ",", "split_multi_values": True,
        "unique_index": True,
    },
}

WORDS = ["夏のセール", "新商品", "限定", "送料無料", "キャンペーン", "会員様", "겨울 할인", "신상품",
         "한정판", "무료 배송", "이벤트", "spring", "sale", "東京", "서울", "おすすめ", "인기"]
NOTES = ["在庫あり", "お問い合わせください", "재고 있음", "문의 바랍니다", "発送は3営業日以内",
         "배송은 3일 이내", "ok", "n/a"]


def row(i, rnd):
    tags = ",".join(rnd.sample(WORDS, rnd.randint(1, 3)))
    if "," in tags:
        tags = '"' + tags + '"'
    if rnd.random() < 0.01:
        tags = rnd.choice(("ー", "-", ""))        # empty required cell: row dropped
    price = "%d.%02d" % (rnd.randint(0, 99999), rnd.randint(0, 99))
    active = rnd.choice(("true", "false", "TRUE", "1", "0"))
    day = "20%02d-%02d-%02d" % (rnd.randint(10, 29), rnd.randint(1, 12), rnd.randint(1, 28))
    at = "%sT%02d:%02d:%02d+09:00" % (day, rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59))
    title = " ".join(rnd.sample(WORDS, 3))
    k = rnd.random()
    if k < 0.15:
        note = '"%s, %s"' % (rnd.choice(NOTES), rnd.choice(NOTES))          # quoted comma
    elif k < 0.22:
        note = '"%s\n%s"' % (rnd.choice(NOTES), rnd.choice(NOTES))          # quoted newline
    elif k < 0.27:
        note = '"""%s"" %s"' % (rnd.choice(NOTES), rnd.choice(NOTES))       # doubled quotes
    elif k < 0.30:
        note = "ー"                                                        # empty marker
    else:
        note = rnd.choice(NOTES)
    return "%d,%s,%s,%s,%s,%s,%s,%s,%d\r\n" % (i, tags, price, active, day, at, title, note,
                                               rnd.randint(-1000, 100000))


def main():
    out_dir, size_mb = sys.argv[1], float(sys.argv[2])
    target = int(size_mb * 1e6)
    rnd = random.Random(4)
    with open(os.path.join(out_dir, "bench_tags.json"), "w", encoding="utf-8") as f:
        json.dump(CONFIG, f, ensure_ascii=False)
    path = os.path.join(out_dir, "bench_tags.csv")
    written = 0
    i = 1
    with open(path, "w", encoding="utf-8", newline="") as f:
        head = "\ufeff" + ",".join(m["name"] for m in CONFIG["mappings"]) + "\r\n"
        f.write(head)
        written += len(head.encode())
        while written < target:
            batch = "".join(row(i + k, rnd) for k in range(20000))
            i += 20000
            f.write(batch)
            written += len(batch.encode())
    print("%s: %d bytes, %d rows" % (path, written, i - 1))


if __name__ == "__main__":
    main()
