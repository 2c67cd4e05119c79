"""Text-fragment links per the WICG draft: encoding, range form, context only when needed."""

from __future__ import annotations

from urllib.parse import unquote

from indexer.fragments import LONG, encode, fragment_url, text_directive

TEXT = ("Intro. Le chat-noir, dort & rêve. Le chat-noir, dort & rêve encore.\n"
        "Second paragraphe ici avec des mots, et une fin.")


def terms(directive: str) -> list[str]:
    assert directive.startswith("text=")
    return directive[5:].split(",")


def test_encoding_of_syntax_characters():
    assert encode("a-b, c&d é") == "a%2Db%2C%20c%26d%20%C3%A9"
    assert encode("A_z.0~") == "A_z.0~"


def test_unique_quote_is_one_term_and_replaces_fragment():
    s = TEXT.index("Second")
    url = fragment_url("https://ex.org/a?q=1#top", TEXT, s, s + 17)
    assert url == "https://ex.org/a?q=1#:~:text=Second%20paragraphe"


def test_partial_words_are_widened():
    s = TEXT.index("econd")
    assert terms(text_directive(TEXT, s, s + 14)) == ["Second%20paragraphe"]


def test_ambiguous_start_gets_prefix_and_suffix():
    s = TEXT.index("chat-noir")
    parts = terms(text_directive(TEXT, s, s + len("chat-noir")))
    assert parts[0] == encode("Intro. Le") + "-"
    assert parts[1] == "chat%2Dnoir"
    assert parts[2] == "-" + encode(", dort &")


def test_range_form_across_paragraphs_and_for_long_quotes():
    s, e = TEXT.index("rêve encore"), TEXT.index("avec des")
    parts = [unquote(p) for p in terms(text_directive(TEXT, s, e + 8))]
    assert parts == ["rêve encore.", "paragraphe ici avec des"]
    long_text = " ".join(f"mot{i}" for i in range(100))
    assert len(long_text) > LONG
    parts = [unquote(p) for p in terms(text_directive(long_text, 0, len(long_text)))]
    assert parts == ["mot0 mot1 mot2 mot3", "mot96 mot97 mot98 mot99"]


def test_range_end_lengthened_until_unambiguous():
    words = [f"mot{i}" for i in range(80)]
    body = " ".join(["début du texte ici"] + words[:40] + ["la fin du texte"] + words[40:]
                    + ["la fin du texte"])
    parts = [unquote(p) for p in terms(text_directive(body, 0, len(body)))]
    assert parts[1] == "mot79 la fin du texte"


def test_no_url_no_link():
    assert fragment_url(None, TEXT, 0, 5) is None
    assert fragment_url("https://ex.org/", TEXT, 5, 5) is None
