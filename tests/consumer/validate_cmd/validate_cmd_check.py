"""validate_cmd_check.py — `hookgate-consumer validate`: exit codes, summary, problem
list and --output, run against the real binary (HGC_VALIDATE_BIN: hookgate-consumer,
or tests/consumer/validate_driver which dispatches the same way). Named *_check.py
so the worker's pytest run over tests/consumer/ does not collect it; meson passes
it explicitly."""
import os
import stat
import subprocess

import pytest

BIN = os.environ["HGC_VALIDATE_BIN"]

CONFIG = """{"project":"mkt","name":"campaign_tags","schema":"sheets",
 "mappings":[{"name":"id","type":"int"},{"name":"tag","type":"string"},
             {"name":"price","type":"float"},{"name":"day","type":"date"}],
 "options":{"index_column":"id","required":["tag"],"on_empty":"drop_row",
            "multi_value_column":"tag","multi_value_separator":",",
            "split_multi_values":true,"unique_index":true}}"""


def run(*args):
    p = subprocess.run([BIN, "validate", *args], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


@pytest.fixture
def tables(tmp_path):
    d = tmp_path / "tables"
    d.mkdir()
    (d / "campaign_tags.json").write_text(CONFIG, encoding="utf-8")
    return d


def write_csv(tmp_path, text, name="campaign_tags.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def test_valid_file_exit_0_and_output(tmp_path, tables):
    csv = write_csv(tmp_path, "\ufeffid,tag,price,day\r\n1,\"夏,冬\",1.5,2024-02-29\r\n2,ー,2,2024-01-01\r\n")
    out = tmp_path / "out.csv"
    rc, so, se = run("--tables", str(tables), str(csv), "--output", str(out))
    assert rc == 0, se
    assert so == ("campaign_tags.csv: valid: 2 rows read, 2 written, 1 dropped, %d bytes, "
                  "normalised CSV in %s\n" % (csv.stat().st_size, out))
    assert se == ""
    assert out.read_text(encoding="utf-8") == "id,tag,price,day\n1,夏,1.5,2024-02-29\n1,冬,1.5,2024-02-29\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campaign_tags.csv", "out.csv", "tables"]
    assert out.stat().st_mode & 0o777 == 0o644 & ~current_umask()


def test_invalid_file_exit_1_lists_problems(tmp_path, tables):
    csv = write_csv(tmp_path, "id,tag,price,day\n1,a,abc,2024-01-01\n2,x，y,1,2024-02-30\n1,b,1,2024-01-01\n")
    out = tmp_path / "out.csv"
    rc, so, se = run("--tables", str(tables), str(csv), "--output", str(out))
    assert rc == 1, se
    lines = so.splitlines()
    assert lines[0] == "campaign_tags.csv: 4 problems in 3 rows (3 rows could not be loaded); no output written"
    assert lines[1] == "  Row 1 (line 2), column 'price': 'abc' is not a number (float)"
    assert lines[2] == "  Row 2 (line 3), column 'tag': 'x，y' separates values with '，'; use ',' instead"
    assert lines[3] == "  Row 2 (line 3), column 'day': '2024-02-30' is not a date like 2024-01-31 (date)"
    assert lines[4] == "  Row 3 (line 4), column 'id': '1' appears more than once (the index must be unique)"
    assert len(lines) == 5
    assert not out.exists(), "no output for an invalid file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campaign_tags.csv", "tables"]


def current_umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_output_that_is_no_regular_file_refused(tmp_path, tables):
    # The output goes to a temporary file renamed over OUT.csv: renamed over
    # a FIFO (or /dev/null, run as root) it turned that into a plain file.
    csv = write_csv(tmp_path, "id,tag,price,day\n1,a,1.5,2024-02-29\n")
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    rc, so, se = run("--tables", str(tables), str(csv), "--output", str(fifo))
    assert rc == 2 and so == "", (rc, so, se)
    assert se == ("validate: --output %s is not a regular file (it is written beside it and "
                  "renamed over it)\n" % fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campaign_tags.csv", "out.fifo", "tables"]


def test_output_temporary_name_does_not_follow_a_planted_link(tmp_path, tables):
    # A fixed temporary name (OUT.csv.tmp) was opened with O_TRUNC: a
    # symbolic link planted there truncated and overwrote its target, and
    # the link itself was then renamed to OUT.csv.
    csv = write_csv(tmp_path, "id,tag,price,day\n1,a,1.5,2024-02-29\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    out = tmp_path / "out.csv"
    os.symlink(victim, tmp_path / "out.csv.tmp")
    rc, so, se = run("--tables", str(tables), str(csv), "--output", str(out))
    assert rc == 0, se
    assert victim.read_text() == "keep me\n"
    assert not out.is_symlink() and out.read_text() == "id,tag,price,day\n1,a,1.5,2024-02-29\n"


def test_max_problems(tmp_path, tables):
    rows = "".join("%d,a,x%d,2024-01-01\n" % (i, i) for i in range(30))
    csv = write_csv(tmp_path, "id,tag,price,day\n" + rows)
    rc, so, _ = run("--tables", str(tables), "--max-problems", "3", str(csv))
    assert rc == 1
    lines = so.splitlines()
    assert lines[0].startswith("campaign_tags.csv: 30 problems in 30 rows")
    assert len(lines) == 5
    assert lines[4] == "  ... and 27 more (raise --max-problems to see them)"
    rc, so, _ = run("--tables", str(tables), str(csv))
    assert rc == 1 and len(so.splitlines()) == 1 + 20 + 1


def test_header_and_encoding_problems(tmp_path, tables):
    csv = write_csv(tmp_path, b"id,tags,price,day\n1,\x83\x65,1,2024-01-01\n")
    rc, so, _ = run("--tables", str(tables), str(csv))
    assert rc == 1
    assert "  Header, column 'tag': expected 'tag' but found 'tags'" in so.splitlines()
    assert "not valid UTF-8" in so


@pytest.mark.parametrize("args,needle", [
    ([], "--tables DIR is required"),
    (["--tables"], "--tables needs a value"),
    (["--tables", "T"], "FILE.csv is required"),
    (["--tables", "T", "--bogus", "x.csv"], "unknown option --bogus"),
    (["--tables", "T", "a.csv", "b.csv"], "only one FILE.csv"),
    (["--tables", "T", "--max-problems", "0", "x.csv"], "--max-problems must be a number"),
    (["--tables", "T", "--max-problems", "12x", "x.csv"], "--max-problems must be a number"),
])
def test_usage_errors_exit_2(args, needle):
    rc, so, se = run(*args)
    assert rc == 2
    assert needle in se
    assert so == ""


def test_config_errors_exit_2(tmp_path, tables):
    # No config for the file's name.
    other = write_csv(tmp_path, "id\n1\n", name="other_table.csv")
    rc, _, se = run("--tables", str(tables), str(other))
    assert rc == 2 and "no table config other_table.json for other_table.csv" in se
    # A config of the wrong shape names the field.
    (tables / "broken.json").write_text(
        '{"project":"p","name":"broken","schema":"s","mappings":[{"name":"id","type":"int"}],'
        '"options":{"on_empty":"skip"}}')
    broken = write_csv(tmp_path, "id\n1\n", name="broken.csv")
    rc, _, se = run("--tables", str(tables), str(broken))
    assert rc == 2
    assert se.strip() == 'validate: broken.json: options.on_empty: must be "drop_row" or "error"'
    # A file name that cannot name a table.
    bad = write_csv(tmp_path, "id\n1\n", name="bad name.csv")
    rc, _, se = run("--tables", str(tables), str(bad))
    assert rc == 2 and "may only contain" in se
    # A missing CSV.
    rc, _, se = run("--tables", str(tables), str(tmp_path / "campaign_tags.csv"))
    assert rc == 2 and "cannot open" in se


def test_help_exit_0():
    rc, so, _ = run("--help")
    assert rc == 0 and so.startswith("usage: hookgate-consumer validate")


def test_large_file_constant_memory(tmp_path, tables):
    """~40 MB through 256 KiB reads: valid, and the peak RSS stays small."""
    csv = tmp_path / "campaign_tags.csv"
    row = "%d,\"長いテキスト,with comma\",12.5,2024-01-01\n"
    with open(csv, "w", encoding="utf-8") as f:
        f.write("id,tag,price,day\n")
        for start in range(0, 800_000, 100_000):
            f.write("".join(row % i for i in range(start, start + 100_000)))
    size = csv.stat().st_size
    assert size > 35_000_000
    p = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "validate", "--tables", str(tables), str(csv)],
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().startswith("campaign_tags.csv: valid: 800000 rows read, 1600000 written")
    peak_kb = int(p.stderr.decode().strip().splitlines()[-1])
    # Fixed buffers (< 8 MiB) + 8 bytes per row for uniqueness (6.4 MB) + program;
    # far below the file size. Sanitizer builds add their own overhead.
    assert peak_kb < 64 * 1024, peak_kb
