"""Alignment: the strategies on our own French fixture, the store stage, and the test set
built from the real pages of ../shared (skipped without them)."""

from __future__ import annotations

import json
import random

import alignset
import pytest
from conftest import FIXTURES, SHARED

from indexer.align import (
    AlignOptions,
    Hint,
    Target,
    align_all,
    align_excerpt,
    orphans,
)
from indexer.progress import Progress
from indexer.records import BookmarkRecord, ExcerptRecord, ParseResult
from indexer.store import Store

TEXT = (FIXTURES / "align_fr.txt").read_text(encoding="utf-8")
REPEATED = "Le numérique ne remplace pas la rencontre."


def span_of(piece: str, nth: int = 0) -> tuple[int, int]:
    at = -1
    for _ in range(nth + 1):
        at = TEXT.index(piece, at + 1)
    return at, at + len(piece)


def check(excerpt: str, piece: str, method: str = "exact", **kw):
    a = align_excerpt(excerpt, TEXT, **kw)
    assert a.method == method, a
    assert (a.start, a.end) == span_of(piece), a
    assert a.matched_text == piece
    return a


# -- strategies on the fixture -------------------------------------------------------------


def test_exact_unaltered_with_context():
    piece = "La mutualisation des moyens apparaît comme une réponse."
    a = check(piece, piece)
    assert a.score == 1.0 and a.in_main_text is True
    assert TEXT[a.start - len(a.prefix):a.start] == a.prefix and len(a.prefix) == 32
    assert a.suffix == TEXT[a.end:a.end + 32]


def test_typographic_and_whitespace_variants_match_exactly():
    piece = "« Nous n’avons ni le temps ni l’argent pour former nos bénévoles »"
    check('"Nous n\'avons ni le temps\u00a0ni l\'argent pour former nos bénévoles"', piece)
    check("Nous n'avons ni le temps ni\n\nl'argent", "Nous n’avons ni le temps ni l’argent")
    check("Le constat revient souvent - et il pèse sur les projets.",
          "Le constat revient souvent – et il pèse sur les projets.")
    check("demandent des indicateurs... toujours plus", "demandent des indicateurs… toujours plus")
    check("rien ne vaut\u202fune réunion", "rien ne vaut une réunion")


def test_decomposed_accents_and_case():
    check("LES BÉNÉVOLES LE RÉPÈTENT", "Les bénévoles le répètent")
    check("Les be\u0301ne\u0301voles le re\u0301pe\u0300tent", "Les bénévoles le répètent")


def test_fuzzy_edited_excerpt_with_score():
    piece = ("Plusieurs réseaux proposent désormais des serveurs partagés, des formations courtes "
             "et un accompagnement juridique.")
    edited = ("Plusieurs réseau proposent maintenant des serveurs partagés, des formations "
              "courtes et un accompagnement juridque.")
    a = check(edited, piece, method="fuzzy")
    assert 0.75 < a.score < 1.0


def test_elided_pieces_cover_first_to_last():
    piece = ("Les financeurs publics, eux, demandent des indicateurs… toujours plus d’indicateurs. "
             "Les petites structures peinent à suivre le rythme des appels à projets.")
    for marker in ("[…]", "(...)", "[...]"):
        excerpt = f"Les financeurs publics, eux, demandent {marker} suivre le rythme des appels à projets."
        a = check(excerpt, piece, method="fuzzy")
        assert a.strategy == "pieces"


def test_repeated_passage_chosen_by_reading_order_and_context():
    first, second = span_of(REPEATED, 0), span_of(REPEATED, 1)
    assert align_excerpt(REPEATED, TEXT).start == first[0]
    assert align_excerpt(REPEATED, TEXT, prev_end=first[1]).start == second[0]
    hint = Hint(prefix="toujours plus d’indicateurs. Les petites structures peinent à suivre "
                       "le rythme des appels à projets.\n")
    assert align_excerpt(REPEATED, TEXT, hint=hint).start == second[0]


def test_start_end_and_paragraph_crossing_excerpts():
    check("Les associations face au numérique", "Les associations face au numérique")
    check("et selon quelles règles ?", "et selon quelles règles ?")
    check("selon quelles règles?", "selon quelles règles ?")
    piece = "bien avant les logiciels de gestion.\n« Nous n’avons"
    check("bien avant les logiciels de gestion. « Nous n'avons", piece)


def test_characters_outside_the_bmp():
    check("autour d’une table 🙂 pour décider", "autour d’une table 🙂 pour décider")
    check("l’état d’esprit général 𝔄 la fin", "l’état d’esprit général 𝔄 la fin")
    # an emoji-laden article beyond edlib's 256-symbol alphabet still aligns fuzzily
    emoji = "".join(chr(0x1F300 + i) for i in range(300))
    text = emoji + " " + TEXT
    a = align_excerpt("Plusieurs réseau proposent désormais des serveurs partagés", text)
    assert a.method == "fuzzy" and text[a.start:a.end].startswith("Plusieurs r")


def test_empty_long_and_unrelated_excerpts_are_orphans():
    assert align_excerpt("  \u200b ", TEXT).orphan_cause == "empty_excerpt"
    longer = align_excerpt(TEXT + " " + TEXT, TEXT[:300])
    assert longer.method == "orphan" and longer.orphan_cause == "not_found"
    words = ["La", "mutualisation", "des", "moyens", "apparaît", "comme", "une", "réponse", "aux", "projets"]
    random.Random(3).shuffle(words)
    a = align_excerpt(" ".join(words), TEXT)
    assert a.method == "orphan" and 0 <= a.best_score < 0.75
    assert align_excerpt("Le gouvernement annonce une réforme des retraites.", TEXT).method == "orphan"
    short = align_excerpt("court passage absent", TEXT)  # too short for fuzzy: no best score
    assert short.method == "orphan" and short.best_score is None


def test_fallback_text_when_main_misses():
    main = TEXT[:600]
    fallback = "Menu Accueil Contact\n" + TEXT + "\nMentions légales · Dernière mise à jour"
    a = align_excerpt("Mentions légales", main, fallback)
    assert a.method == "exact" and a.in_main_text is False
    assert fallback[a.start:a.end] == "Mentions légales"
    assert align_excerpt("Depuis dix ans", main, fallback).in_main_text is True


def test_exact_in_the_page_beats_fuzzy_in_the_main_text():
    # the page shows a heading the extractor dropped; the reader's highlight starts with it
    heading = "Une réponse commune"
    at = TEXT.index("La mutualisation")
    page = TEXT[:at] + heading + "\n" + TEXT[at:]
    excerpt = heading + " La mutualisation des moyens apparaît comme une réponse. Plusieurs"
    main_only = align_excerpt(excerpt, TEXT)  # what the main text alone gives: "ur les projets"
    assert main_only.method == "fuzzy" and main_only.start < at
    assert TEXT[main_only.start - 1].isalpha() and TEXT[main_only.start].isalpha()
    a = align_excerpt(excerpt, TEXT, page)
    assert (a.method, a.in_main_text, a.score) == ("exact", False, 1.0)
    assert a.matched_text == page[a.start:a.end] and a.matched_text.startswith(heading + "\n")
    # verbatim in the main text: the main text still wins, and an edited excerpt found in
    # neither verbatim stays a fuzzy match in the main text
    assert align_excerpt("La mutualisation des moyens", TEXT, page).in_main_text is True
    edited = "La mutualisation des moyen apparaît comme une réponse. Plusieurs réseaux"
    assert (align_excerpt(edited, TEXT, page).method,
            align_excerpt(edited, TEXT, page).in_main_text) == ("fuzzy", True)


def test_hint_realigns_to_the_same_offsets():
    second = span_of(REPEATED, 1)
    a = align_excerpt(REPEATED, TEXT, prev_end=second[0] - 5)
    assert (a.start, a.end) == second
    hint = Hint(exact=a.matched_text, prefix=a.prefix, suffix=a.suffix, start=a.start)
    # the article grew at the top: offsets move with it, the same passage is found
    grown = "Avant-propos.\n" + TEXT
    for _ in range(3):
        b = align_excerpt(REPEATED, grown, hint=hint)
        assert b.strategy == "hint exact" and b.start == a.start + 14
        hint = Hint(exact=b.matched_text, prefix=b.prefix, suffix=b.suffix, start=b.start)


# -- the store stage -----------------------------------------------------------------------


def _store_with_pages(tmp_path) -> Store:
    """Bookmarks with and without a URL, one fetched and extracted by the real extract stage."""
    from indexer.cache import Cache
    from indexer.extract import ExtractOptions, extract_all

    store = Store(tmp_path / "s.sqlite")
    excerpts = [ExcerptRecord("Plusieurs réseau proposent maintenant des serveurs partagés, "
                              "des formations courtes"),
                ExcerptRecord(REPEATED), ExcerptRecord(REPEATED), ExcerptRecord("Phrase qui ne figure nulle part dans "
                "cet article, vraiment nulle part.")]
    records = [
        BookmarkRecord("Article", url="https://example.org/a#old", excerpts=excerpts),
        BookmarkRecord("Sans lien", excerpts=[ExcerptRecord("Un extrait sans page.")]),
        BookmarkRecord("Mort", url="https://example.org/dead", excerpts=[ExcerptRecord("x y z")]),
        BookmarkRecord("Plus tard", url="https://example.org/later",
                       excerpts=[ExcerptRecord("pas encore")]),
    ]
    store.import_parsed(ParseResult("test", records), "t", "sha")
    ids = {r["title"]: r["id"] for r in store.conn.execute("SELECT id, title FROM bookmarks")}
    cache = Cache(tmp_path / "cache")
    paras = "".join(f"<p>{p}</p>" for p in TEXT.split("\n") if p)
    sha = cache.put(f"<html><body><article>{paras}</article></body></html>".encode())
    with store.transaction() as conn:
        conn.execute("INSERT INTO fetches(bookmark_id, url, status, content_type, sha256, attempts)"
                     " VALUES (?,?,?,?,?,1)", (ids["Article"], "https://example.org/a", 200,
                                               "text/html; charset=utf-8", sha))
        conn.execute("INSERT INTO fetches(bookmark_id, url, attempts, error) VALUES (?,?,1,?)",
                     (ids["Mort"], "https://example.org/dead", "http_404"))
    extract_all(store, cache, ExtractOptions())
    return store


def test_align_all_methods_causes_and_incremental(tmp_path):
    store = _store_with_pages(tmp_path)
    first = align_all(store)
    assert (first.excerpts, first.aligned, first.pending) == (7, 6, 1)
    assert first.causes == {"no_url": 1, "fetch_failed": 1, "not_found": 1}
    rows = {r["seq"]: r for r in store.conn.execute(
        "SELECT e.seq, a.* FROM alignments a JOIN excerpts e ON e.id = a.excerpt_id"
        " JOIN bookmarks b ON b.id = e.bookmark_id WHERE b.title = 'Article'")}
    article = store.conn.execute("SELECT text, text_hash FROM articles").fetchone()
    # the repeated passage: once on its first occurrence, then (reading order) on the second
    assert rows[0]["start"] < rows[1]["start"] < rows[2]["start"]
    assert article["text"][rows[2]["start"]:rows[2]["end"]] == REPEATED
    assert rows[0]["method"] == "fuzzy" and rows[1]["method"] == "exact"
    assert rows[1]["fragment_url"].startswith("https://example.org/a#:~:text=")
    assert rows[3]["method"] == "orphan" and rows[3]["best_score"] is not None
    assert rows[0]["text_hash"] == article["text_hash"]
    counts = store.counts()
    assert counts["aligned_exact"] == 2 and counts["orphans"] == 3
    assert {r["cause"] for r in orphans(store)} == {"no_url", "fetch_failed", "not_found"}

    again = align_all(store)
    assert again.aligned == 0 and again.unchanged == 6

    # a new extraction (another text hash) re-aligns, through the stored hint, to the same place
    with store.transaction() as conn:
        conn.execute("UPDATE articles SET text = 'Préambule.\n' || text, text_hash = 'changed'")
    third = align_all(store)
    assert third.aligned == 4
    moved = {r["seq"]: r for r in store.conn.execute(
        "SELECT e.seq, a.start FROM alignments a JOIN excerpts e ON e.id = a.excerpt_id"
        " WHERE a.text_hash = 'changed'")}
    assert moved[2]["start"] == rows[2]["start"] + 11
    store.close()


def test_align_all_interrupted_keeps_whole_batches_and_resumes(tmp_path):
    store = _store_with_pages(tmp_path)

    class Interrupting(Progress):  # Ctrl-C on the fourth excerpt
        calls = 0

        def advance(self, n=1, **counts):
            self.calls += n
            if self.calls == 4:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        align_all(store, AlignOptions(batch_size=2), progress=Interrupting())
    assert store.conn.execute("SELECT COUNT(*) FROM alignments").fetchone()[0] == 2
    resumed = align_all(store)
    assert (resumed.aligned, resumed.unchanged) == (4, 2)
    store.close()


# -- the test set from real pages ---------------------------------------------------------


@pytest.fixture(scope="module")
def aset():
    html = SHARED / "corpus" / "html"
    if not html.exists():
        pytest.skip("needs ../shared/corpus/html (the shared test material is absent)")
    built = alignset.build(html, pages=40, per_page=3)
    targets = {k: Target.of(v) for k, v in built.texts.items()}
    results = {id(c): align_excerpt(c.excerpt, targets[c.doc]) for c in built.cases}
    return built, targets, results


@pytest.mark.parametrize("category", alignset.EXACT_CATEGORIES)
def test_set_exact_categories_all_align_to_the_original_span(aset, category):
    built, _, results = aset
    cases = built.by(category)
    assert len(cases) >= 30
    for c in cases:
        a = results[id(c)]
        assert a.method == "exact", (c, a)
        assert a.matched_text == built.texts[c.doc][c.start:c.end], (c, a)


@pytest.mark.parametrize("category", alignset.FUZZY_CATEGORIES)
def test_set_altered_categories_align_to_the_right_span(aset, category):
    built, _, results = aset
    cases = built.by(category)
    right = sum(alignset.right_span(results[id(c)].start, results[id(c)].end, c) for c in cases)
    assert len(cases) >= 100 and right / len(cases) >= 0.97, (category, right, len(cases))


@pytest.mark.parametrize("category", alignset.NEGATIVE_CATEGORIES)
def test_set_negative_controls_are_all_orphans(aset, category):
    built, _, results = aset
    for c in built.by(category):
        assert results[id(c)].method == "orphan", (c, results[id(c)])
        assert results[id(c)].orphan_cause == "not_found"


def test_set_realigning_with_stored_hint_is_stable(aset):
    built, targets, results = aset
    for c in built.cases:
        a = results[id(c)]
        if a.method == "orphan":
            continue
        hint = Hint(exact=a.matched_text, prefix=a.prefix, suffix=a.suffix, start=a.start)
        for _ in range(2):
            b = align_excerpt(c.excerpt, targets[c.doc], hint=hint)
            assert (b.start, b.end, b.method) == (a.start, a.end, a.method), (c, a, b)
            hint = Hint(exact=b.matched_text, prefix=b.prefix, suffix=b.suffix, start=b.start)


def test_set_highlights_outside_the_main_text_are_exact_in_the_page(aset):
    # a sentence the main text lacks, or a dropped heading and the paragraph under it: the
    # page has them verbatim, which beats an edited match in the main text
    built, targets, _ = aset
    pages = {k: Target.of(v) for k, v in built.fallbacks.items()}
    cases = alignset.outside_cases(built)
    assert len(cases) >= 60 and {c.category for c in cases} == {"outside", "heading"}
    for c in cases:
        a = align_excerpt(c.excerpt, targets[c.doc], pages[c.doc])
        assert (a.method, a.in_main_text) == ("exact", False), (c, a)
        assert built.fallbacks[c.doc][a.start:a.end] == c.excerpt, (c, a)


def test_hypothesis_sample_main_text_and_footer_in_fallback(shared):
    from indexer.extract import extract_page

    folder = shared("corpus", "formats", "hypothesis_api_search_json")
    page = extract_page((folder / "wikipedia-regression-testing.html").read_bytes(), "text/html")
    rows = json.loads((folder / "wikipedia-regression-testing.json").read_text())["rows"]
    main, fallback = Target.of(page.text), Target.of(page.fallback_text)
    where = {}
    for row in rows:
        quote = next(s for s in row["target"][0]["selector"] if s["type"] == "TextQuoteSelector")
        hint = Hint(prefix=quote.get("prefix"), suffix=quote.get("suffix"))
        a = align_excerpt(quote["exact"], main, fallback, hint=hint)
        assert a.method == "exact", quote
        assert " ".join(a.matched_text.split()) == " ".join(quote["exact"].split())
        where[quote["exact"]] = a.in_main_text
    assert sorted(where.values()) == [False, True, True, True, True]
    assert where["11 November 2016"] is False
