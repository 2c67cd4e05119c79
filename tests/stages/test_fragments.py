"""Text-fragment links per the WICG draft: encoding, range form, context only when needed."""

from __future__ import annotations

from urllib.parse import unquote

from conftest import FIXTURES

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


# -- against the page as rendered (issue 14) -----------------------------------------------

MAIN = ("Le réseau propose trois services :\n- un hébergement de fichiers\n- une messagerie\n"
        "- des formations\nPour la directrice, « c’est un lieu où l’on apprend », dit-elle.\n"
        "| Ville | Lieux |\n|---|---|\n| Rennes \\| Brest | 4 |\n"
        "Salariés et bénévoles. Les bénévoles restent le cœur du projet. Sans eux, rien.")
PAGE = ("Accueil\nÀ la une\nLes bénévoles restent le cœur du projet.\n"
        "Le réseau propose trois services :\nun hébergement de fichiers\nune messagerie\n"
        "des formations\nPour la directrice, «\u00a0 c’est un lieu où l’on apprend\u00a0»,"
        " dit-elle.\n"
        "Ville\nLieux\nRennes | Brest\n4\nSalariés et bénévoles. Les bénévoles restent le cœur du "
        "projet. Sans eux, rien.")


def decoded(directive: str) -> list[str]:
    return [unquote(p) for p in terms(directive)]


def test_page_whitespace_runs_are_kept_in_terms():
    s, e = MAIN.index("« c’est"), MAIN.index("»") + 1
    parts = decoded(text_directive(MAIN, s, e, page_text=PAGE))
    assert parts == ["«\u00a0 c’est un lieu où l’on apprend\u00a0»"]  # two characters wide
    # alone, a text is its own page: its no-break spaces stay as they are too
    lone = "Il dit «\u00a0 oui\u00a0» et part."
    assert decoded(text_directive(lone, 7, 16)) == ["«\u00a0 oui\u00a0»"]


def test_list_markers_and_table_pipes_never_reach_a_term():
    s, e = MAIN.index("un hébergement"), MAIN.index("des formations") + 14
    assert decoded(text_directive(MAIN, s, e, page_text=PAGE)) == [
        "un hébergement de fichiers", "des formations"]
    s, e = MAIN.index("Rennes"), MAIN.index("| 4 |") + 3
    assert decoded(text_directive(MAIN, s, e, page_text=PAGE)) == ["Rennes | Brest", "4"]
    # no page text to take words from: the extraction's own, its furniture left out
    alone = text_directive(MAIN, s - 2, e, page_text="Nothing alike here.")
    assert decoded(alone) == ["Rennes | Brest 4"]  # the page's own pipe stays


def test_uniqueness_of_the_start_is_judged_on_the_page():
    s = MAIN.index("Les bénévoles")
    quote = "Les bénévoles restent le cœur du projet."
    assert decoded(text_directive(MAIN, s, s + len(quote))) == [quote]  # once in the main text
    parts = decoded(text_directive(MAIN, s, s + len(quote), page_text=PAGE))
    # twice on the page: the context of the occurrence the main text's context points to
    assert parts == ["Salariés et bénévoles.-", quote, "-Sans eux, rien."]


def test_whole_block_quote_repeated_takes_the_neighbouring_blocks_as_context():
    page = "Titre\nUn constat partagé\nSuite.\nAutre bloc\nUn constat partagé\nFin du texte"
    s = page.rindex("Un constat")
    assert decoded(text_directive(page, s, s + 18)) == ["Autre bloc-", "Un constat partagé",
                                                        "-Fin du texte"]


def test_words_joined_by_an_apostrophe_or_a_decimal_comma_are_one_word():
    text = "Le Quai d’Orsay a cédé 1,6 % et l’économie aujourd’hui recule."
    s = text.index("d’Orsay")
    assert decoded(text_directive(text, text.index("Quai"), s + 1)) == ["Quai d’Orsay"]
    s = text.index("6 %")
    assert decoded(text_directive(text, s, s + 1)) == ["1,6"]
    s = text.index("conomie")
    assert decoded(text_directive(text, s, s + 7)) == ["l’économie"]
    decomposed = "Une e\u0301tude re\u0301cente."
    assert decoded(text_directive(decomposed, 5, 8)) == ["e\u0301tude"]


def test_quote_the_extractor_moved_gets_its_ends_from_the_page():
    # trafilatura put a sidebar sentence inside the paragraph: no run of the page holds both
    main = "Le chômage baisse peu. Abonnez-vous à la revue papier. Les jeunes restent exclus."
    page = ("Le chômage baisse peu.\nLes jeunes restent exclus.\nMenu\n"
            "Abonnez-vous à la revue papier.")
    parts = decoded(text_directive(main, 0, len(main), page_text=page))
    assert parts == ["Le chômage baisse peu.", "Les jeunes restent exclus."]


def test_fixture_page_the_four_cases():
    from indexer.align import align_excerpt
    from indexer.extract import extract_page

    page = extract_page((FIXTURES / "pages" / "fragments-fr.html").read_bytes(), "text/html")

    def link(excerpt: str) -> list[str]:
        a = align_excerpt(excerpt, page.text, page.fallback_text)
        text = page.text if a.in_main_text else page.fallback_text
        return decoded(text_directive(text, a.start, a.end, page_text=page.fallback_text))

    assert "«\u00a0 c’est" in page.fallback_text and "«\u00a0 c’est" not in page.text
    assert link("« c'est un endroit où l'on apprend en faisant »")[0].startswith("«\u00a0 c’est")
    assert "- des formations courtes" in page.text
    assert link("un hébergement de fichiers partagé entre les associations du lieu une messagerie"
                " commune avec des adresses à leur nom des formations courtes") == [
        "un hébergement de fichiers", "des formations courtes"]
    assert page.text.count("Les bénévoles restent") == 1
    assert len(link("Les bénévoles restent le cœur du projet.")) == 3
    assert "Un modèle qui essaime" not in page.text
    assert link("Un modèle qui essaime D’autres villes observent l’expérience avec attention.")[0] \
        == "Un modèle qui essaime"
