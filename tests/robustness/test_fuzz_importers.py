"""Property-based fuzzing of every importer (issue 8), on mutated real samples.

The seed corpus is every real export sample in ../shared/corpus/formats (large ones cut to
their first records, so that an example parses in milliseconds), the bundled Diigo page
export, and our own fixtures (the whole corpus when ../shared is absent). Each example mutates
one seed (bytes deleted, inserted, duplicated, overwritten, the file cut short; for the JSON
formats, values replaced by JSON of any type) and checks the one property that matters to a
user: the file either imports into a real store, or ``load`` raises :class:`InputError` with
one line of message. Any other exception is a bug. Fixed budget, derandomized: the same
examples on every run.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED, SHARED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.errors import InputError
from indexer.sources import load
from indexer.store import Store

FORMATS = SHARED / "corpus" / "formats"
EXAMPLES = 100
CUT_RECORDS = 12  # records kept from a large sample

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _json_head(path: Path, key: str | None = None) -> bytes:
    data = json.loads(path.read_text(encoding="utf-8"))
    if key is None:
        data = data[:CUT_RECORDS]
    else:
        data[key] = data[key][:CUT_RECORDS]
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def _csv_head(path: Path) -> bytes:
    rows = list(zip(range(CUT_RECORDS + 1), csv.reader(io.StringIO(path.read_text("utf-8")))))
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(r for _, r in rows)
    return out.getvalue().encode("utf-8")


def seeds() -> dict[str, list[bytes]]:
    """Seed files per format: the real samples when ../shared is there, our fixtures always."""
    out = {
        "diigo-page": [SEED.read_bytes()],
        "diigo-csv": [(FIXTURES / "diigo_small.csv").read_bytes()],
        "diigo-api": [(FIXTURES / "diigo_api_small.json").read_bytes()],
        "hypothesis": [(FIXTURES / "hypothesis_small.json").read_bytes()],
        "native": [(FIXTURES / "native_small.csv").read_bytes(),
                   (FIXTURES / "native_small.jsonl").read_bytes()],
    }
    if FORMATS.is_dir():
        out["diigo-page"] += [p.read_bytes() for p in sorted((SHARED / "seed").glob("*.txt"))]
        out["diigo-csv"] += [_csv_head(p) for p in sorted((FORMATS / "diigo_csv").glob("*.csv"))]
        out["diigo-api"] += [_json_head(p) for p in
                             sorted((FORMATS / "diigo_api_v2_json").glob("*.json"))]
        out["hypothesis"] += [_json_head(p, "rows") if p.stat().st_size > 20_000
                              else p.read_bytes()
                              for p in sorted((FORMATS / "hypothesis_api_search_json").glob("*.json"))]
    return out


SEEDS = seeds()

TOKENS = [b'"', b'""', b",", b"\n", b"\r", b"\r\n", b"\x00", b"{", b"}", b"[", b"]", b":",
          b"\\", b"\\u0000", b"null", b"-1", b"1e999", b'"rows"', b"Highlight:",
          b"Sticky notes:", b"\xc3\xa9", b"\xe2\x80\xa6", b"\xff", b"\t", b"<style>", b"&amp;",
          b" - ", b" | ", b"...3 more annotations...", b"\xc2\xa0", b"#", b"'"]


@st.composite
def mutated(draw, pool: list[bytes]) -> bytes:
    """A seed with 1 to 4 byte-level mutations."""
    data = bytearray(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "overwrite", "cut"]))
        at = draw(st.integers(0, len(data)))
        if op == "delete":
            del data[at : at + draw(st.integers(1, 80))]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.text(max_size=6).map(str.encode)
                               | st.binary(max_size=4))
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
        elif op == "overwrite":
            data[at : at + 1] = draw(st.binary(min_size=1, max_size=1))
        else:
            del data[at:]
    return bytes(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, path + (i,))


@st.composite
def json_mutated(draw, pool: list[bytes]) -> bytes:
    """A JSON seed with 1 to 3 values (anywhere in the tree) replaced by any JSON value."""
    doc = json.loads(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_nodes(doc))))
        if not path:
            doc = draw(JSON_VALUES)
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = draw(JSON_VALUES)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def sandbox():
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "fuzz.sqlite") as store:
        yield Path(tmp), store


def check(sandbox, data: bytes, fmt: str | None) -> None:
    """The property: imports into the store, or one-line InputError; nothing else."""
    tmp, store = sandbox
    path = tmp / "export.bin"
    path.write_bytes(data)
    try:
        source, parsed = load(path, fmt)
    except InputError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    store.import_parsed(parsed, source.path, source.sha256)


@pytest.mark.parametrize("fmt", list(SEEDS))
def test_mutated_samples_import_or_fail_in_one_line(sandbox, fmt):
    @FUZZ
    @given(data=mutated(SEEDS[fmt]), forced=st.booleans())
    def run(data, forced):
        check(sandbox, data, fmt if forced else None)

    run()


@pytest.mark.parametrize("fmt", ["diigo-api", "hypothesis"])
def test_json_values_of_any_type_import_or_fail_in_one_line(sandbox, fmt):
    @FUZZ
    @given(data=json_mutated(SEEDS[fmt]))
    def run(data):
        check(sandbox, data, fmt)

    run()


def _native_line(obj) -> bytes:
    return b'{"format": "indexer/1"}\n' + json.dumps(obj).encode("utf-8", "surrogatepass")


def test_native_jsonl_lines_of_any_shape(sandbox):
    line = json.loads(SEEDS["native"][1].splitlines()[1])

    @FUZZ
    @given(data=json_mutated([json.dumps(line).encode()]))
    def run(data):
        check(sandbox, _native_line(json.loads(data)), "native")

    run()


def test_seed_corpus_holds_every_real_sample():
    if not FORMATS.is_dir():
        pytest.skip("needs ../shared/corpus/formats (the shared test material is absent)")
    exports = [p for p in FORMATS.rglob("*") if p.suffix in (".json", ".csv")]
    total = sum(len(v) for v in SEEDS.values())
    assert total == len(exports) + 1 + 6  # + the shared seed page, the bundled export, our 5 fixtures
