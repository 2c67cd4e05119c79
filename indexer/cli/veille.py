"""``indexer pull hypothesis|diigo|list`` and ``indexer watch add|list|remove|run``.

Thin: each command reads its options (and the credentials, from the environment or a file:
never from the command line, where `ps` and the shell history would show them) and calls one
function of :mod:`indexer.pulling` or :mod:`indexer.watches`.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from .. import pulling
from .. import watches as watches_mod
from ..errors import PullError
from ..progress import count
from . import _Group, app, engine_option, fail, paths, progress, say, store_paths
from .searching import (
    ANNOTATOR, AUTHOR, ENTITY, LANG, SCOPE, SINCE, SITE, TAG, UNTIL, search_filters,
)

pull_app = typer.Typer(cls=_Group, no_args_is_help=True, rich_markup_mode=None,
                       help="Pull bookmarks and annotations from the Hypothesis or Diigo API.")
watch_app = typer.Typer(cls=_Group, no_args_is_help=True, rich_markup_mode=None,
                        help="Saved searches that publish what is new: feeds and a digest.")
app.add_typer(pull_app, name="pull")
app.add_typer(watch_app, name="watch")

ENV_HYPOTHESIS_TOKEN = "HYPOTHESIS_TOKEN"
ENV_DIIGO_KEY = "DIIGO_API_KEY"
ENV_DIIGO_PASSWORD = "DIIGO_PASSWORD"


def _options(base_url: str, page_size: int, delay: float, retries: int,
             backoff: float) -> pulling.PullOptions:
    return pulling.PullOptions(base_url, page_size, delay=delay, retries=retries,
                               backoff=backoff)


def _report(summary: pulling.PullSummary) -> None:
    for line in summary.lines():
        typer.echo(line)


def _pulled(run) -> None:
    """Run a pull; on failure print what was kept before the error line."""
    try:
        summary = run()
    except PullError as exc:
        if exc.summary is not None and exc.summary.pages:
            _report(exc.summary)
        raise
    _report(summary)


@pull_app.command("hypothesis")
def pull_hypothesis_cmd(
    ctx: typer.Context,
    group: str | None = typer.Option(None, "--group", help="Only this group's annotations."),
    user: str | None = typer.Option(None, "--user",
                                    help="Only this user's (acct:NAME@hypothes.is)."),
    uri: str | None = typer.Option(None, "--uri", help="Only the annotations of this page."),
    token_file: Path | None = typer.Option(
        None, "--token-file",
        help=f"File holding the API token (default: ${ENV_HYPOTHESIS_TOKEN})."),
    base_url: str = typer.Option(pulling.hypothesis.DEFAULT_URL, "--base-url",
                                 envvar="INDEXER_HYPOTHESIS_URL", help="The API's address."),
    page_size: int = typer.Option(pulling.hypothesis.MAX_PAGE, "--page-size",
                                  help="Annotations per request (at most 200)."),
    delay: float = typer.Option(0.5, "--delay", help="Seconds between requests."),
    retries: int = typer.Option(5, "--retries", help="Retries on 429, 5xx and dropped answers."),
    backoff: float = typer.Option(2.0, "--backoff", help="First pause before a retry (doubles)."),
) -> None:
    """Pull the annotations updated since the last pull of this search (Hypothesis API)."""
    token = pulling.load_secret("token", os.environ, ENV_HYPOTHESIS_TOKEN, token_file)
    if token is None:
        say(ctx, f"no token (${ENV_HYPOTHESIS_TOKEN} or --token-file): public annotations only")
    filters = pulling.HypothesisFilters(group, user, uri)
    options = _options(base_url, page_size, delay, retries, backoff)
    _pulled(lambda: pulling.pull_hypothesis(paths(ctx), filters, token, options, progress(ctx)))


@pull_app.command("diigo")
def pull_diigo_cmd(
    ctx: typer.Context,
    user: str = typer.Option(..., "--user", help="The Diigo account whose bookmarks to pull."),
    key_file: Path | None = typer.Option(
        None, "--key-file", help=f"File holding the API key (default: ${ENV_DIIGO_KEY})."),
    password_file: Path | None = typer.Option(
        None, "--password-file",
        help=f"File holding the account's password (default: ${ENV_DIIGO_PASSWORD})."),
    full: bool = typer.Option(False, "--full", help="Walk every page (the periodic full sync)."),
    base_url: str = typer.Option(pulling.diigo.DEFAULT_URL, "--base-url",
                                 envvar="INDEXER_DIIGO_URL", help="The API's address."),
    page_size: int = typer.Option(pulling.diigo.MAX_PAGE, "--page-size",
                                  help="Bookmarks per request (at most 100)."),
    delay: float = typer.Option(2.0, "--delay", help="Seconds between requests (Diigo answers "
                                "503 to a client too fast)."),
    retries: int = typer.Option(5, "--retries", help="Retries on 429, 5xx and dropped answers."),
    backoff: float = typer.Option(5.0, "--backoff", help="First pause before a retry (doubles)."),
) -> None:
    """Pull the bookmarks updated since the last pull (Diigo API v2), or all with --full."""
    key = pulling.load_secret("API key", os.environ, ENV_DIIGO_KEY, key_file)
    password = pulling.load_secret("password", os.environ, ENV_DIIGO_PASSWORD, password_file)
    if key is None:
        fail(f"diigo: no API key: set ${ENV_DIIGO_KEY} or pass --key-file FILE", 2)
    if password is None:
        fail(f"diigo: the API needs the account's password too: set ${ENV_DIIGO_PASSWORD} or "
             "pass --password-file FILE", 2)
    options = _options(base_url, page_size, delay, retries, backoff)
    _pulled(lambda: pulling.pull_diigo(paths(ctx), user, key, password, full=full,
                                       options=options, progress=progress(ctx)))


@pull_app.command("list")
def pull_list_cmd(ctx: typer.Context) -> None:
    """The sources pulled into this store and where each stands."""
    sources = pulling.pull_sources(store_paths(ctx))
    if not sources:
        typer.echo("no source pulled yet: `indexer pull hypothesis` or `indexer pull diigo`")
    for s in sources:
        where = s.cursor or s.mark or "-"
        walk = f"; a walk stopped at start={s.walk['start']} resumes" if s.walk else ""
        full = f"; last full sync {s.last_full}" if s.last_full else ""
        typer.echo(f"{s.source}: updated up to {where}, last pull {s.last_pull or '-'}"
                   f"{full}{walk}")


@watch_app.command("add")
def watch_add_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The watch's name (letters, digits, - _ .)."),
    query: str = typer.Argument("", help="The search query (see `indexer search --help`)."),
    tag: list[str] = TAG,
    annotator: list[str] = ANNOTATOR,
    author: list[str] = AUTHOR,
    site: list[str] = SITE,
    entity: list[str] = ENTITY,
    lang: str | None = LANG,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    scope: str = SCOPE,
    from_now: bool = typer.Option(False, "--from-now", help="Publish only what is imported "
                                  "from now on (default: the first run publishes every hit)."),
    engine: str | None = engine_option(),
) -> None:
    """Save a search as a watch: each `watch run` publishes its new hits."""
    filters = search_filters(tag, annotator, author, site, entity, lang)
    w = watches_mod.add_watch(store_paths(ctx), name, query, filters=filters, scope=scope,
                              since=since, until=until, from_now=from_now, engine=engine)
    start = "what is imported from now on" if from_now else "every hit on its first run"
    typer.echo(f"watch {w.name} added: {w.search_words()}; it publishes {start}")


@watch_app.command("list")
def watch_list_cmd(ctx: typer.Context) -> None:
    """The watches, their searches and where each stands."""
    found = watches_mod.list_watches(store_paths(ctx))
    if not found:
        typer.echo("no watch yet: `indexer watch add NAME QUERY`")
    for w in found:
        last = f"last published {w.last_run}" if w.last_run else "never run"
        typer.echo(f"{w.name}: {w.search_words()}; {count(w.published, 'document')} published,"
                   f" {last}")


@watch_app.command("remove")
def watch_remove_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The watch to remove."),
) -> None:
    """Remove a watch and the record of what it published (its files are left)."""
    w = watches_mod.remove_watch(store_paths(ctx), name)
    typer.echo(f"watch {w.name} removed ({count(w.published, 'document')} it had published)")


@watch_app.command("run")
def watch_run_cmd(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, help="The watches to run (default: all)."),
    output: Path | None = typer.Option(
        None, "-o", "--output", metavar="DIR", help="Directory for the feeds and the digest "
        "(default: corpus/watches/)."),
    engine: str | None = engine_option(),
) -> None:
    """Publish what is new to each watch since its last run: Atom feeds and a digest."""
    where = store_paths(ctx)
    run = watches_mod.run_watches(where, names or None, output=output, engine=engine)
    for news in run.news:
        kinds = ", ".join(count(n, k) for k, n in _kinds(news).items())
        typer.echo(f"{news.name}: {count(len(news.entries), 'new document')} ({kinds}) -> "
                   f"{_shown(where, run.feeds[news.name])}")
    for name in run.quiet:
        why = f" ({run.skipped[name]})" if name in run.skipped else ""
        typer.echo(f"{name}: nothing new{why}")
    if run.news:
        typer.echo("digest: " + ", ".join(_shown(where, p) for p in run.digest))
    else:
        typer.echo(f"nothing new since the last run (index built {run.index_built}): "
                   "no file written")


def _kinds(news) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in news.entries:
        out[e.kind] = out.get(e.kind, 0) + 1
    return out


def _shown(where, path: Path) -> str:
    """A path relative to the home when it lies inside it."""
    try:
        return str(Path(path).resolve().relative_to(where.home))
    except ValueError:
        return str(path)
