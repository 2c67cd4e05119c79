"""`indexer pull hypothesis` against a loopback /api/search serving the real sample, in pages.

The sample (../shared/corpus/formats/hypothesis_api_search_json) holds five annotations of one
page, newest first, as the API gives them by default; the server pages them two at a time,
oldest first, checks the token and every paging parameter, and answers a 429 with
Retry-After, a 503 and a page cut mid-body on a schedule.
"""

from __future__ import annotations

import json
import logging
import signal

import pytest
from httpserver import Reply, TestServer
from veille_helpers import (
    HYPOTHESIS_SAMPLE,
    TOKEN,
    content,
    counts,
    hypothesis_rows,
    imported,
    indexer_cmd,
    run_cmd,
    store_bytes,
)
from veille_servers import FakeHypothesis

from indexer import pulling
from indexer.config import Paths
from indexer.errors import PullError
from indexer.ingest import import_files

pytestmark = pytest.mark.shared


@pytest.fixture
def server():
    with TestServer() as srv:
        yield srv


def options(api: FakeHypothesis, **kw) -> pulling.PullOptions:
    kw.setdefault("backoff", 0.05)
    return pulling.PullOptions(api.base_url, kw.pop("page_size", 2), **kw)


def pull(home: Paths, api: FakeHypothesis, **kw) -> pulling.PullSummary:
    return pulling.pull_hypothesis(home, token=pulling.Secret(TOKEN), options=options(api, **kw))


def test_pull_imports_what_the_file_import_gives_through_faults(tmp_path, server):
    api = FakeHypothesis(server, hypothesis_rows(), TOKEN, cut={3},
                         replies={2: Reply(429, b"slow down", {"Retry-After": "1"}),
                                  5: Reply(503, b"")})
    summary = pull(Paths(tmp_path / "pulled"), api)
    reference = imported(Paths(tmp_path / "file"), *HYPOTHESIS_SAMPLE)

    assert content(Paths(tmp_path / "pulled")) == content(reference)
    assert counts(reference) == {"bookmarks": 1, "tags": 0, "excerpts": 5, "notes": 0}
    assert api.violations == []
    assert (summary.received, summary.new, summary.pages, summary.complete) == (5, 5, 3, True)
    assert summary.retried == 3  # the 429, the cut page, the 503
    # paged as documented: oldest first, each page after the last row of the one before
    answered = [p for n, p in enumerate(api.params, 1) if n not in (2, 3, 5)]
    assert all(p["sort"] == "updated" and p["order"] == "asc" and p["limit"] == "2"
               for p in answered)
    by_date = sorted(r["updated"] for r in hypothesis_rows())
    assert [p.get("search_after") for p in answered] == [None, by_date[1], by_date[3]]


def test_second_pull_makes_only_the_since_request_and_imports_nothing(tmp_path, server):
    api = FakeHypothesis(server, hypothesis_rows(), TOKEN)
    home = Paths(tmp_path / "home")
    pull(home, api)
    before, asked = content(home), len(api.params)

    again = pull(home, api)

    assert len(api.params) == asked + 1
    assert api.params[-1]["search_after"] == max(r["updated"] for r in hypothesis_rows())
    assert (again.received, again.pages, again.bookmarks_new, again.excerpts_new) == (0, 0, 0, 0)
    assert again.lines()[0].endswith("nothing new (1 request)")
    assert content(home) == before


def test_an_edited_annotation_updates_its_excerpt_in_place(tmp_path, server):
    rows = hypothesis_rows()
    api = FakeHypothesis(server, rows, TOKEN)
    home = Paths(tmp_path / "home")
    pull(home, api)
    edited = dict(rows[0], text="Une note ajoutée ensuite.", tags=["relu"],
                  updated="2017-01-05T10:00:00.000000+00:00")
    api.rows = [edited] + rows[1:]

    again = pull(home, api)

    assert (again.received, again.new, again.updated) == (1, 0, 1)
    assert counts(home)["excerpts"] == 5  # the same excerpt, its note changed
    # and it is what importing the newer saved search gives
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"total": 5, "rows": api.rows}), encoding="utf-8")
    reference = Paths(tmp_path / "file")
    import_files(reference, [newer])
    assert content(home) == content(reference)


def test_a_newer_export_in_another_order_adds_no_duplicate(tmp_path):
    """The store numbers equal texts per bookmark from what the import wrote, not from the
    stored order: a newer Hypothesis export listing a new annotation first (the API's
    default, newest first) keeps the old excerpts' ids."""
    rows = hypothesis_rows()
    home = Paths(tmp_path / "home")
    older, newer = tmp_path / "older.json", tmp_path / "newer.json"
    older.write_text(json.dumps({"rows": rows[2:]}), encoding="utf-8")
    newer.write_text(json.dumps({"rows": rows}), encoding="utf-8")
    import_files(home, [older])
    import_files(home, [newer])
    assert counts(home)["excerpts"] == 5


def test_a_killed_pull_resumes_to_the_same_counts(tmp_path, server):
    api = FakeHypothesis(server, hypothesis_rows(), TOKEN, block=2)
    home = Paths(tmp_path / "home")
    args = ("pull", "hypothesis", "--base-url", api.base_url, "--page-size", "2",
            "--delay", "0")
    child = indexer_cmd(home, *args, env={"HYPOTHESIS_TOKEN": TOKEN})
    try:
        assert api.blocked.wait(60), "the pull never asked for page 2"
        child.send_signal(signal.SIGKILL)
        child.wait(60)
    finally:
        api.release.set()
    assert child.returncode == -signal.SIGKILL
    assert counts(home)["excerpts"] == 2  # page 1 was saved, page 2 never came

    code, out, err = run_cmd(home, *args, env={"HYPOTHESIS_TOKEN": TOKEN})

    assert code == 0, err
    assert api.params[2]["search_after"] == sorted(r["updated"] for r in hypothesis_rows())[1]
    reference = imported(Paths(tmp_path / "file"), *HYPOTHESIS_SAMPLE)
    assert content(home) == content(reference)
    assert "3 annotations (3 new, 0 updated, 0 unchanged) in 2 pages" in out


def test_a_failure_midway_keeps_the_pages_and_says_so(tmp_path, server):
    api = FakeHypothesis(server, hypothesis_rows(), TOKEN,
                         replies={n: Reply(502, b"bad gateway") for n in range(2, 10)})
    home = Paths(tmp_path / "home")
    with pytest.raises(PullError) as caught:
        pull(home, api, retries=2)
    message = str(caught.value)
    assert "HTTP 502 after 3 tries" in message and "run the same pull again" in message
    assert "2 annotations of 1 page(s) pulled before are kept" in message
    assert counts(home)["excerpts"] == 2
    api.replies.clear()
    assert pull(home, api).received == 3
    assert counts(home)["excerpts"] == 5


def test_the_token_never_appears_anywhere(tmp_path, server, capsys, caplog):
    api = FakeHypothesis(server, hypothesis_rows(), TOKEN, cut={2})
    home = Paths(tmp_path / "home")
    env = {"HYPOTHESIS_TOKEN": TOKEN}
    args = ("pull", "hypothesis", "--base-url", api.base_url, "--page-size", "2", "--delay",
            "0", "--backoff", "0.05", "--group", "__world__")
    outputs = [run_cmd(home, "--verbose", *args, env=env)]
    api.rows.append(dict(hypothesis_rows()[0], id="late", updated="2030-01-01T00:00:00+00:00"))
    api.replies = {n: Reply(500, TOKEN.encode()) for n in range(len(api.params) + 1, 99)}
    outputs.append(run_cmd(home, *args, "--retries", "1", env=env))  # fails: an error line
    assert outputs[-1][0] != 0 and "HTTP 500 after 2 tries" in outputs[-1][2]
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    api.replies.clear()
    outputs.append(run_cmd(home, *args, "--token-file", str(token_file)))
    for command in (("status",), ("status", "--format", "json"), ("pull", "list"),
                    ("export", "--format", "jsonl"), ("export", "--format", "hypothesis")):
        outputs.append(run_cmd(home, *command))
    with caplog.at_level(logging.DEBUG):  # a library user's logs, httpx's included
        pulling.pull_hypothesis(home, pulling.HypothesisFilters(group="__world__"),
                                pulling.Secret(TOKEN), options(api))
    printed = capsys.readouterr()

    assert counts(home)["excerpts"] == 6
    texts = [text for code, out, err in outputs for text in (out, err)]
    texts += [printed.out, printed.err, caplog.text, repr(pulling.Secret(TOKEN))]
    assert not [t for t in texts if TOKEN in t]
    assert TOKEN.encode() not in store_bytes(home)
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # the logs were heard


def test_bad_pages_and_settings_say_what_to_do(tmp_path, server):
    api = FakeHypothesis(server, hypothesis_rows(), TOKEN, replies={1: Reply(200, b"[1, 2]")})
    home = Paths(tmp_path / "home")
    with pytest.raises(PullError, match=r"page 1: not a search result \(no 'rows' list\); "
                                        "nothing was pulled"):
        pull(home, api)
    with pytest.raises(PullError, match="HTTP 401: the API refused the credentials"):
        pulling.pull_hypothesis(home, token=pulling.Secret("wrong"), options=options(api))
    with pytest.raises(PullError, match="--page-size must be between 1 and 200"):
        pull(home, api, page_size=500)
    code, _out, err = run_cmd(home, "pull", "hypothesis", "--token-file",
                             str(tmp_path / "missing.txt"))
    assert code == 2 and err.startswith("error: ") and "missing.txt" in err
    assert "cannot read the token" in err and len(err.strip().splitlines()) == 1
    code, _out, err = run_cmd(home, "pull", "hypothesis", "--base-url", api.base_url)
    assert code == 1 and err.splitlines() == [
        "no token ($HYPOTHESIS_TOKEN or --token-file): public annotations only",
        (f"error: hypothesis: page 1 of {api.base_url}/api/search: HTTP 401: the API refused"
         " the credentials (check the token, key or password given); nothing was pulled: run"
         " the same pull again to resume")]
    assert counts(home)["excerpts"] == 0
