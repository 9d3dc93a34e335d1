# test_record_schema.py — records written by hg_record_write validate
# against common/record.schema.json (JSON Schema draft 2020-12), and the
# schema refuses what hg_record_parse refuses. Run by meson (suite unit)
# with RECORD_SAMPLES (the record_samples program) and RECORD_SCHEMA set;
# integration tests can import validate_record() for what lands on Kafka.
import copy
import json
import os
import subprocess

import jsonschema
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_PATH = os.environ.get("RECORD_SCHEMA",
                             os.path.join(HERE, "..", "..", "common", "record.schema.json"))


def load_schema():
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


def validate_record(obj, schema=None):
    """Raise jsonschema.ValidationError unless obj is a valid version-1 record."""
    schema = schema or load_schema()
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(obj)


def samples():
    exe = os.environ.get("RECORD_SAMPLES")
    if not exe:
        pytest.fail("RECORD_SAMPLES is not set (run through meson test)")
    out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line]


def test_schema_is_valid_2020_12():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    # every property is described
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name
    assert schema["additionalProperties"] is True


def test_written_records_validate():
    recs = samples()
    assert len(recs) == 3
    for rec in recs:
        validate_record(rec)
    assert recs[0]["slackretrynum"] == 3
    assert "slackretrynum" not in recs[1]


def test_unknown_extension_allowed():
    rec = samples()[0]
    rec["someextension"] = {"x": 1}
    validate_record(rec)


@pytest.mark.parametrize("mutate", [
    lambda r: r.pop("id"),
    lambda r: r.pop("data"),
    lambda r: r.pop("hgrecordversion"),
    lambda r: r.update(hgrecordversion=2),
    lambda r: r.update(specversion="0.3"),
    lambda r: r.update(data=[1]),
    lambda r: r.update(id=""),
    lambda r: r.update(id="x" * 129),
    lambda r: r.update(type="com.example.other"),
    lambda r: r.update(time="2018-07-12 18:36:58"),
    lambda r: r.update(slackretrynum=0),
    lambda r: r.update(hgroute="other"),
    lambda r: r.update(hgenvelope="lambda"),
    lambda r: r.update(hgencoding="xml"),
    lambda r: r.update(slackteam=5),
])
def test_invalid_records_rejected(mutate):
    rec = copy.deepcopy(samples()[0])
    mutate(rec)
    with pytest.raises(jsonschema.ValidationError):
        validate_record(rec)
