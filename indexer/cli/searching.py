"""``indexer entities``, ``indexer index``, ``indexer search``, ``indexer facets``, ``indexer show``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from .. import index as index_mod
from .. import search as search_mod
from ..documents import FACETS
from ..entities import EntitySummary, compute_entities
from ..errors import quoted
from ..export import UNITS, WORK_WRITERS, write_rows, write_selection
from ..progress import count
from ..store import Store
from . import app, engine_option, fail, progress, say, session, store_paths
from .aligning import check_export_format

FORMAT_HELP = ("table, json, jsonl or csv (this page of hits); csljson, ris, bibtex (a "
               "citation per work hit), w3c or hypothesis (an annotation per excerpt hit): "
               "these five take every hit, whatever --limit and --page.")
TABLE_FACETS = search_mod.DEFAULT_FACETS
SCOPE_HELP = ("Where to look: team (what the team wrote: excerpts, descriptions and notes), "
              "excerpts, descriptions, notes, articles or all.")

# The search filters, the same on every command that takes a search (search, watch add).
TAG = typer.Option([], "--tag", help="Only these tags (repeat: OR).")
ANNOTATOR = typer.Option([], "--annotator", help="Only these annotators.")
AUTHOR = typer.Option([], "--author", help="Only these article authors.")
SITE = typer.Option([], "--site", help="Only these sites (repeat: OR).")
ENTITY = typer.Option([], "--entity", help="Only texts naming these entities.")
LANG = typer.Option(None, "--lang", help="Only this language (fr, en...).")
SINCE = typer.Option(None, "--since", help="Saved on or after (YYYY[-MM[-DD]]).")
UNTIL = typer.Option(None, "--until", help="Saved on or before (YYYY[-MM[-DD]]).")
SCOPE = typer.Option(search_mod.DEFAULT_SCOPE, "--in", help=SCOPE_HELP)


def search_filters(tag, annotator, author, site, entity, lang) -> dict[str, list[str]]:
    """The filters of those options, as :func:`indexer.search.search` takes them."""
    return {"tag": tag, "annotator": annotator, "author": author, "site": site,
            "entity": entity, "language": [lang] if lang else []}


@app.command("entities")
def entities_cmd(
    ctx: typer.Context,
    workers: int = typer.Option(
        1, "--workers", "-w", help="Processes finding entities in parallel (2 on two cores)."),
) -> None:
    """Find people, organisations and places in new or changed French texts (spaCy)."""
    if workers < 1:
        fail("--workers must be at least 1", 2)
    summary = compute_entities(store_paths(ctx), progress(ctx), workers=workers)
    for line in entity_lines(summary):
        typer.echo(line)


def entity_lines(s: EntitySummary) -> list[str]:
    """The report of one ``entities`` run (also used by ``indexer build``)."""
    line = (f"entities: {s.analysed} of {count(s.texts, 'French text')} analysed, "
            f"{count(s.entities, 'entity')} found")
    if s.dropped:
        line += f"; entities dropped for {count(s.dropped, 'text')} no longer French or gone"
    if s.others:
        line += (f" ({count(s.others, 'other text')} not analysed: another language or "
                 "too few words to tell; `indexer facets --field language` counts them)")
    if not s.unknown:
        return [line]
    return [line, (f"  {count(s.unknown, 'text')} of no known language yet, not analysed: "
                   "`indexer extract` finds the language of each bookmark, then run `indexer "
                   "entities` again (`indexer build` does both)")]


@app.command("index")
def index_cmd(
    ctx: typer.Context,
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Build a fresh index aside, then swap it in."
    ),
    wait: float = typer.Option(0.0, "--wait", help="Seconds to wait for another build to finish."),
    engine: str | None = engine_option(),
    workers: int = typer.Option(
        1, "--workers", "-w",
        help="Processes analysing the documents of a build (tantivy; 2 on two cores)."),
) -> None:
    """Update the search index from the store (or rebuild it with --rebuild)."""
    if workers < 1:
        fail("--workers must be at least 1", 2)
    where = store_paths(ctx)
    summary = index_mod.build_index(where, rebuild=rebuild, wait=wait, engine=engine,
                                    progress=progress(ctx), workers=workers)
    for line in index_lines(summary):
        typer.echo(line)
    advice = None if session(ctx).quiet else index_mod.advise_engine(where, summary)
    if advice:  # asked only when it can be heard: it is said once
        say(ctx, advice)


def index_lines(s: index_mod.IndexSummary) -> list[str]:
    """The report of one ``index`` run (also used by ``indexer build``)."""
    kinds = ", ".join(count(n, k) for k, n in sorted(s.by_kind.items())) or "no documents"
    return [
        f"index {'rebuilt' if s.rebuilt else 'updated'}: {kinds}; {s.added} added, "
        f"{s.updated} updated, {s.deleted} deleted, {s.unchanged} unchanged; {s.seconds:.1f} s"
    ]


def _style(colour: bool):
    if colour:
        return lambda text: typer.style(text, fg="yellow", bold=True)
    return lambda text: f"[{text}]"


def _marked(snippet, colour: bool) -> str:
    style = _style(colour)
    out, last = [], 0
    for start, end in snippet.spans:
        out += [snippet.text[last:start], style(snippet.text[start:end])]
        last = end
    out.append(snippet.text[last:])
    return "".join(out).replace("\n", " ")


def _print_table(results, colour: bool, top: int = 8) -> None:
    first = (results.page - 1) * results.limit + 1
    shown = f"{first}-{first + len(results.hits) - 1} of " if results.hits else ""
    typer.echo(f"{shown}{count(results.total, 'hit')} for {quoted(results.query)}"
               f" (index built {results.index_built})")
    for n, hit in enumerate(results.hits, first):
        score = f"{hit.score:.2f}" if hit.score is not None else "-"
        title = hit.row.get("title") or ""
        head = typer.style(title, bold=True) if colour else title
        typer.echo(f"\n{n}. {head}  [{hit.kind} {hit.row['id']}]")
        tags = ", ".join(hit.row.get("tags") or []) or "-"
        typer.echo(f"   {hit.row.get('site') or '-'} | tags: {tags}"
                   f" | {hit.row.get('annotator') or '-'} | score {score}")
        typer.echo(f"   {_marked(hit.snippet, colour)}")
        if hit.context_before or hit.context_after:
            before = " ".join(hit.context_before.split())[-80:]
            after = " ".join(hit.context_after.split())[:80]
            typer.echo(f"   context: …{before} ⟨excerpt⟩ {after}…")
    if results.hint:
        typer.echo(f"hint: {results.hint}")
    for name, counts in results.facets.items():
        if counts:
            shown = ", ".join(f"{v} ({c})" for v, c in counts[:top])
            more = f", … {len(counts) - top} more" if len(counts) > top else ""
            typer.echo(f"{name}: {shown}{more}")


def _write_machine(results, fmt: str, output: Path | None, excel: bool) -> None:
    if fmt == "json":
        text = json.dumps(results.payload(), ensure_ascii=False, indent=2) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    write_rows(results.rows(), fmt, output, excel=excel, columns=search_mod.SEARCH_COLUMNS)


@app.command("search")
def search_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(
        "", help='Whoosh syntax: words (AND-ed), OR, NOT, "phrase", field:value, prefix*, fuzzy~.'
    ),
    tag: list[str] = TAG,
    annotator: list[str] = ANNOTATOR,
    author: list[str] = AUTHOR,
    site: list[str] = SITE,
    entity: list[str] = ENTITY,
    lang: str | None = LANG,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    scope: str = SCOPE,
    sort: str = typer.Option("relevance", "--sort", help="relevance, saved or published."),
    limit: int = typer.Option(10, "--limit", help="Hits per page."),
    page: int = typer.Option(1, "--page", help="Page number (from 1)."),
    context: int = typer.Option(200, "--context", help="Article chars around an excerpt."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
    excel: bool = typer.Option(False, "--excel", help="CSV for a French Excel: UTF-8 BOM, ';'."),
    engine: str | None = engine_option(),
) -> None:
    """Search what the team wrote (or the articles) with filters and facet counts."""
    check_export_format(fmt, excel, allowed=("table", "json"))
    filters = search_filters(tag, annotator, author, site, entity, lang)
    asked = {"filters": filters, "scope": scope, "sort": sort, "since": since, "until": until,
             "context": context, "engine": engine}
    if fmt in WORK_WRITERS:
        _export_hits(ctx, query, fmt, output, asked)
        return
    results = search_mod.search(
        store_paths(ctx), query, limit=limit, page=page,
        facets=TABLE_FACETS if fmt in ("table", "json") else None, **asked,
    )
    if fmt == "table" and output is None:
        _print_table(results, colour=sys.stdout.isatty())
    elif fmt == "table":
        fail("-o needs a machine format: --format json, jsonl, csv or an export format", 2)
    else:
        _write_machine(results, fmt, output, excel)


def _export_hits(ctx: typer.Context, query: str, fmt: str, output: Path | None,
                 asked: dict) -> None:
    """Every hit of the query, written as citations or annotations."""
    paths = store_paths(ctx)
    results = search_mod.search_all(paths, query, **asked)
    with Store(paths.db) as store:
        n = write_selection(store, fmt, output, rows=results.rows())
    where = f" to {output}" if output is not None else ""
    say(ctx, f"{count(results.total, 'hit')}: {count(n, UNITS[fmt])} written{where}")


@app.command("facets")
def facets_cmd(
    ctx: typer.Context,
    query: str = typer.Argument("", help="Count over this query's hits (default: all)."),
    field: list[str] = typer.Option([], "--field", help=f"Facets to count: {', '.join(FACETS)}."),
    top: int = typer.Option(20, "--top", help="Values shown per facet."),
    scope: str = typer.Option(search_mod.DEFAULT_SCOPE, "--in", help=SCOPE_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    engine: str | None = engine_option(),
) -> None:
    """Facet counts (tag, annotator, author, site, language, year, kind, entity)."""
    if fmt not in ("table", "json"):
        fail(f"unknown --format {quoted(fmt)}; use table or json", 2)
    results = search_mod.facets(store_paths(ctx), query, field or TABLE_FACETS, scope=scope,
                                engine=engine)
    if fmt == "json":
        payload = {k: [[v, c] for v, c in vc[:top]] for k, vc in results.facets.items()}
        typer.echo(json.dumps({"query": query, "total": results.total, "facets": payload},
                              ensure_ascii=False, indent=2))
        return
    what = search_mod.SCOPE_WORDS.get(scope, scope).replace(" or ", " and ")
    typer.echo(f"{results.total} {what} match {quoted(query)}" if query
               else f"{results.total} {what}")
    for name, counts in results.facets.items():
        typer.echo(f"\n{name} ({len(counts)} values)")
        width = max((len(v) for v, _ in counts[:top]), default=0)
        for value, n in counts[:top]:
            typer.echo(f"  {value:<{width}}  {n}")


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    doc_id: str = typer.Argument(..., help="Excerpt id (or prefix), or d-<bookmark id>."),
    context: int = typer.Option(400, "--context", help="Article characters before and after."),
) -> None:
    """One excerpt inside its article: context before and after, metadata, link."""
    view = search_mod.show(store_paths(ctx), doc_id, context=context)
    row, colour = view.row, sys.stdout.isatty()
    typer.echo(typer.style(row.get("title") or "", bold=True) if colour else row.get("title"))
    for key in ("id", "url", "site", "annotator", "created_at", "author", "published", "language",
                "method", "archived_date", "archived_url", "fragment_url"):
        if row.get(key) not in (None, ""):
            typer.echo(f"{key}: {row[key]}")
    if row.get("tags"):
        typer.echo(f"tags: {', '.join(row['tags'])}")
    if row.get("orphan_cause"):
        typer.echo(f"not found in the article: {row['orphan_cause']}")
    typer.echo("")
    body = _style(colour)(row.get("text") or "")
    if view.before or view.after:
        body = f"…{view.before}{body}{view.after}…"
    typer.echo(body)
