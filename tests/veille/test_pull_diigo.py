"""`indexer pull diigo` against a loopback /api/v2/bookmarks serving the real sample, in pages.

The sample (../shared/corpus/formats/diigo_api_v2_json: 1,523 bookmarks, 985 annotations) is
served 100 at a time, newest update first, to the right key, account and password only; the
server checks the paging parameters, answers 503 to a client too fast and on a schedule, a
429 with Retry-After, and drops one page mid-body.
"""

from __future__ import annotations

import logging
import signal

import pytest
from httpserver import Reply, TestServer
from veille_helpers import (
    DIIGO_SAMPLE,
    KEY,
    PASSWORD,
    content,
    counts,
    diigo_items,
    imported,
    indexer_cmd,
    run_cmd,
    store_bytes,
)
from veille_servers import FakeDiigo

from indexer import pulling
from indexer.config import Paths
from indexer.errors import PullError

pytestmark = pytest.mark.shared
USER = "jasalt"


@pytest.fixture
def server():
    with TestServer() as srv:
        yield srv


def options(api: FakeDiigo, **kw) -> pulling.PullOptions:
    kw.setdefault("backoff", 0.05)
    return pulling.PullOptions(api.base_url, kw.pop("page_size", 100), **kw)


def pull(home: Paths, api: FakeDiigo, full: bool = False, **kw) -> pulling.PullSummary:
    return pulling.pull_diigo(home, USER, pulling.Secret(KEY), pulling.Secret(PASSWORD),
                              full=full, options=options(api, **kw))


def cli_args(api: FakeDiigo) -> tuple[str, ...]:
    return ("pull", "diigo", "--user", USER, "--base-url", api.base_url, "--delay", "0",
            "--backoff", "0.05")


ENV = {"DIIGO_API_KEY": KEY, "DIIGO_PASSWORD": PASSWORD}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The store's content after importing the whole sample file."""
    return content(imported(Paths(tmp_path_factory.mktemp("file")), *DIIGO_SAMPLE))


def test_pull_imports_what_the_file_import_gives_through_faults(tmp_path, server, reference):
    api = FakeDiigo(server, diigo_items(), USER, KEY, PASSWORD, cut={8},
                    replies={3: Reply(503, b"Service Unavailable"),
                             6: Reply(429, b"", {"Retry-After": "1"})})
    summary = pull(Paths(tmp_path / "home"), api)

    assert content(Paths(tmp_path / "home")) == reference
    assert {k: len(v) for k, v in reference.items()}["excerpts"] == 985
    assert api.violations == []
    assert (summary.received, summary.new, summary.pages, summary.retried) == (1523, 1523, 16, 3)
    answered = [p for n, p in enumerate(api.params, 1) if n not in (3, 6, 8)]
    assert [int(p["start"]) for p in answered] == list(range(0, 1600, 100))
    assert all(p["count"] == "100" and p["sort"] == "1" and p["user"] == USER for p in answered)


def test_second_pull_makes_only_the_since_request_and_imports_nothing(tmp_path, server):
    api = FakeDiigo(server, diigo_items(), USER, KEY, PASSWORD)
    home = Paths(tmp_path / "home")
    pull(home, api)
    before, asked = content(home), len(api.params)

    again = pull(home, api)

    assert len(api.params) == asked + 1 and api.params[-1]["start"] == "0"
    assert (again.received, again.pages, again.bookmarks_new) == (0, 1, 0)
    assert again.lines()[0].endswith("nothing new (1 request)")
    assert content(home) == before


def test_incremental_pull_stops_at_the_mark_and_full_walks_everything(tmp_path, server):
    items = diigo_items()
    api = FakeDiigo(server, items, USER, KEY, PASSWORD)
    home = Paths(tmp_path / "home")
    pull(home, api)
    changed = sorted(items, key=lambda b: b["updated_at"])[:3]  # the three oldest updates
    for n, bookmark in enumerate(changed):
        bookmark["updated_at"] = f"2016/03/0{n + 1} 10:00:00 +0000"  # after the newest
        bookmark["annotations"] = bookmark["annotations"] + [
            {"content": f"Un passage ajouté {n}", "created_at": bookmark["updated_at"],
             "user": USER, "comments": []}]
    untouched = sorted(items, key=lambda b: b["updated_at"])[10]
    untouched["tags"] += ",retag"  # Diigo does not move updated_at for a tag edit
    asked = len(api.params)

    again = pull(home, api)

    assert len(api.params) == asked + 1  # one page holds the three, then the mark
    assert (again.received, again.updated, again.excerpts_new) == (3, 3, 3)
    assert counts(home)["excerpts"] == 988
    full = pull(home, api, full=True)
    assert full.full and full.pages == 16 and full.updated == 1  # the retagged one
    found = content(home)
    bid = next(b[0] for b in found["bookmarks"] if b[1] == untouched["url"])
    assert "retag" in {t for b, t in found["tags"] if b == bid}


def test_too_fast_is_answered_503_and_the_pull_backs_off(tmp_path, server, reference):
    api = FakeDiigo(server, diigo_items(), USER, KEY, PASSWORD, min_interval=0.1)
    summary = pull(Paths(tmp_path / "home"), api, backoff=0.15)
    assert api.too_fast > 0 and summary.retried == api.too_fast
    assert content(Paths(tmp_path / "home")) == reference


def test_a_killed_pull_resumes_to_the_same_counts(tmp_path, server, reference):
    api = FakeDiigo(server, diigo_items(), USER, KEY, PASSWORD, block=5)
    home = Paths(tmp_path / "home")
    child = indexer_cmd(home, *cli_args(api), env=ENV)
    try:
        assert api.blocked.wait(60), "the pull never asked for page 5"
        child.send_signal(signal.SIGKILL)
        child.wait(60)
    finally:
        api.release.set()
    assert child.returncode == -signal.SIGKILL
    assert counts(home)["bookmarks"] == 400

    code, out, err = run_cmd(home, *cli_args(api), env=ENV)

    assert code == 0, err
    assert api.params[5]["start"] == "400"  # it went on with the walk, not from the top
    assert content(home) == reference
    assert "1123 bookmarks (1123 new, 0 updated, 0 unchanged) in 12 pages" in out
    assert "resumed where the last pull stopped" in out


def test_credentials_never_appear_anywhere(tmp_path, server, capsys, caplog):
    api = FakeDiigo(server, diigo_items()[:250], USER, KEY, PASSWORD, cut={2})
    home = Paths(tmp_path / "home")
    outputs = [run_cmd(home, "--verbose", *cli_args(api), env=ENV)]
    api.replies = {n: Reply(503, f"bad key={KEY}".encode()) for n in range(5, 99)}
    outputs.append(run_cmd(home, *cli_args(api), "--full", "--retries", "1", env=ENV))
    assert outputs[-1][0] != 0 and "HTTP 503 after 2 tries" in outputs[-1][2]
    key_file, password_file = tmp_path / "key", tmp_path / "password"
    key_file.write_text(KEY, encoding="utf-8")
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    api.replies.clear()
    outputs.append(run_cmd(home, *cli_args(api), "--key-file", str(key_file),
                           "--password-file", str(password_file)))
    wrong = run_cmd(home, *cli_args(api), env={**ENV, "DIIGO_PASSWORD": "not-it"})
    outputs.append(wrong)
    for command in (("status",), ("status", "--format", "json"), ("pull", "list"),
                    ("export", "--format", "jsonl"), ("export", "--format", "csljson")):
        outputs.append(run_cmd(home, *command))
    with caplog.at_level(logging.DEBUG):
        pull(home, api)
    printed = capsys.readouterr()

    assert wrong[0] != 0 and "HTTP 401: the API refused the credentials" in wrong[2]
    assert counts(home)["bookmarks"] == 250
    texts = [text for code, out, err in outputs for text in (out, err)]
    texts += [printed.out, printed.err, caplog.text]
    for secret in (KEY, PASSWORD, "key="):
        assert not [t for t in texts if secret in t], secret
        assert secret.encode() not in store_bytes(home)
    assert any(r.name.startswith("httpcore") for r in caplog.records)


def test_missing_credentials_and_bad_answers_say_what_to_do(tmp_path, server):
    api = FakeDiigo(server, diigo_items()[:10], USER, KEY, PASSWORD,
                    replies={1: Reply(200, b'{"not": "a list"}')})
    home = Paths(tmp_path / "home")
    code, _out, err = run_cmd(home, *cli_args(api), env={"DIIGO_PASSWORD": PASSWORD})
    assert code == 2 and err == "error: diigo: no API key: set $DIIGO_API_KEY or pass " \
                                "--key-file FILE\n"
    code, _out, err = run_cmd(home, *cli_args(api), env={"DIIGO_API_KEY": KEY})
    assert code == 2 and "needs the account's password" in err
    with pytest.raises(PullError, match=r"page 1 \(start=0\): not a list of bookmarks; "
                                        "nothing was pulled"):
        pull(home, api)
    api.replies = {len(api.params) + 1: Reply(200, b'[{"url": "https://exemple.org", '
                                                 b'"desc": "", "annotations": "oops"}]')}
    with pytest.raises(PullError, match="'annotations' should be a list"):
        pull(home, api)
    with pytest.raises(PullError, match="--page-size must be between 1 and 100"):
        pull(home, api, page_size=101)
    assert counts(home)["bookmarks"] == 0
