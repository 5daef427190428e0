"""The ``tzomet`` command: serve, run an action, list nodes, print OpenAPI, keys, evals.

Every action-specific command (``run``, ``eval``, ``train``, ``synth``) takes the action
name and finds the node in the registry, like the HTTP routes do.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from nodes.core import registry
from nodes.core.auth import new_key
from nodes.core.config import ConfigError, Settings, hash_key, load_settings
from nodes.core.node import Context, Node
from nodes.core.problems import Problem
from nodes.core.runner import execute


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(a[4][0]).is_loopback for a in socket.getaddrinfo(host, None))
        except OSError:
            return False


def _action(name: str) -> Node:
    if not registry.exists(name) or registry.hidden(name):
        raise click.BadParameter(f"no action {name!r}; actions: {', '.join(registry.names())}", param_hint="ACTION")
    return registry.get(name)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tzomet")
def main() -> None:
    """Tzomet: Hebrew-first AI action nodes for n8n."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to bind.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="gunicorn worker processes.")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(1, 1024),
              help="Threads per worker: each serves one connection at a time, stalled clients included.")
@click.option("--timeout", default=120, show_default=True, type=int, help="Worker timeout in seconds.")
def serve(host: str, port: int, workers: int, threads: int, timeout: int) -> None:
    """Serve the HTTP API with gunicorn."""
    import gc
    import shutil

    from gunicorn.app.base import BaseApplication

    from nodes.core.metrics import DIR_ENV
    from server import TzometWorker, create_app

    settings = _settings()
    if not settings.auth_enabled:
        if not _is_loopback(host):
            raise click.ClickException(
                f"refusing to serve on {host} without API keys. Create one with `tzomet keys new` and set "
                "TZOMET_API_KEYS=<key> (or add its hashed line to the TZOMET_CONFIG file), "
                "or bind 127.0.0.1."
            )
        click.secho(
            "WARNING: no API keys configured - anyone who can reach this port can call every action. "
            f"Serving on loopback ({host}) only. Run `tzomet keys new` to create a key.",
            fg="yellow", bold=True, err=True,
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Every worker writes its request totals here; /metrics adds them up (see nodes.core.metrics).
    metrics_dir = Path(tempfile.mkdtemp(prefix="tzomet-metrics-"))
    os.environ[DIR_ENV] = str(metrics_dir)
    app = create_app(settings, workers=workers)
    for name in registry.names():  # the models every worker shares: loaded once, before the fork
        try:
            registry.get(name).preload(settings)
        except Exception as exc:  # each worker tries again in `warm`, and readyz reports it
            click.echo(f"node {name} did not preload: {type(exc).__name__}", err=True)

    def warm(worker: Any) -> None:
        # Open stores and start writers after the fork (models preloaded above are already
        # there), so each worker is ready before its first request.
        for name in registry.names():
            try:
                registry.get(name).load(settings)
            except Exception as exc:  # readyz reports it; serving the other actions goes on
                worker.log.warning("node %s did not load: %s", name, type(exc).__name__)
        # The models are there for the worker's life: keep the garbage collector from walking
        # them again on every full collection (a pause of tens of ms per worker otherwise).
        gc.collect()
        gc.freeze()

    def worker_exit(server: Any, worker: Any) -> None:
        for node in registry.built():  # stop background writers cleanly (their work stays queued)
            node.shutdown()

    def on_exit(server: Any) -> None:
        shutil.rmtree(metrics_dir, ignore_errors=True)

    class Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("timeout", timeout)
            self.cfg.set("worker_class", TzometWorker)  # gthread; see its docstring
            self.cfg.set("threads", threads)
            self.cfg.set("post_worker_init", warm)
            self.cfg.set("worker_exit", worker_exit)
            self.cfg.set("on_exit", on_exit)
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", "info")

        def load(self) -> Any:
            return app

    click.echo(f"Tzomet serving on http://{host}:{port} with {workers} workers of {threads} threads", err=True)
    Gunicorn().run()


@main.command()
@click.argument("action")
@click.argument("file", default="-", type=click.File("rb"))
def run(action: str, file: Any) -> None:
    """Run ACTION in-process on the JSON in FILE (or stdin) and print the output."""
    node = _action(action)
    raw = file.read()
    ctx = Context(settings=_settings())
    try:
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise Problem(400, f"The input is not valid JSON: {err}") from None
        click.echo(_dump(execute(node, data, ctx)))
    except Problem as problem:
        click.echo(_dump(problem.body(ctx.request_id)), err=True)
        sys.exit(1)


@main.command(name="nodes")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_nodes(as_json: bool) -> None:
    """List the actions."""
    rows = [{"name": n, "title": registry.get(n).title, "description": registry.get(n).description}
            for n in registry.names()]
    if as_json:
        click.echo(_dump(rows))
        return
    for row in rows:
        click.echo(f"{row['name']:<26} {row['description']}")


@main.command()
def openapi() -> None:
    """Print the OpenAPI 3.1 document."""
    from nodes.core.schemas import openapi_document

    click.echo(_dump(openapi_document()))


@main.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("new")
@click.option("--tenant", default="default", show_default=True, help="Tenant name for the config line.")
def keys_new(tenant: str) -> None:
    """Print a fresh API key and the hashed entry for the TZOMET_CONFIG file."""
    key = new_key()
    click.echo(f"API key (give it to the client, it is not stored anywhere):\n  {key}\n")
    click.echo("Add to your TZOMET_CONFIG file (TOML):\n")
    click.echo(f'[[tenants]]\nname = "{tenant}"\nkeys = ["{hash_key(key)}"]\n')
    click.echo(f"or, for a simple setup, export TZOMET_API_KEYS={key}")


@main.command(name="eval")
@click.argument("action")
@click.option("--data", "data_path", type=click.Path(exists=True), help="Gold data (default: the shipped set).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write an HTML report here.")
@click.option("--min-macro-f1", type=float, help="Exit 1 when macro-F1 is below this.")
@click.option("--min", "minimums", multiple=True, metavar="METRIC=VALUE", help="Exit 1 when METRIC < VALUE.")
def evaluate(action: str, data_path: str | None, as_json: bool, html_path: str | None,
             min_macro_f1: float | None, minimums: tuple[str, ...]) -> None:
    """Score ACTION on gold data and print its report."""
    from nodes.engine.metrics import check_minimums, format_report, write_html

    node = _action(action)
    node.load(_settings())
    report = node.evaluate(data_path)
    if html_path:
        write_html(report, Path(html_path), title=f"{action} evaluation")
    click.echo(_dump(report) if as_json else format_report(report))
    wanted = list(minimums) + ([f"macro_f1={min_macro_f1}"] if min_macro_f1 is not None else [])
    failures = check_minimums(report, wanted)
    if failures:
        for failure in failures:
            click.secho(f"quality gate failed: {failure}", fg="red", err=True)
        sys.exit(1)


@main.command()
@click.argument("action")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False),
              help="Training data, JSON lines of {\"text\", \"category\"} (default: the shipped data).")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Where to write the model (default: <data dir>/models/ACTION/<version>.joblib).")
def train(action: str, data_path: str | None, out: str | None) -> None:
    """Train ACTION's local model from its data and print its version and path."""
    node = _action(action)
    try:
        report = node.train(data_path, out, _settings())
    except NotImplementedError:
        raise click.ClickException(f"{action} has no trainable model") from None
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    click.echo(_dump(report))


@main.command()
@click.argument("action")
@click.option("--seed", default=13, show_default=True, type=int, help="Random seed (same seed, same data).")
@click.option("--n", "per_seed", default=3, show_default=True, type=int, help="Variants per seed message.")
@click.option("--out", type=click.Path(dir_okay=False), help="Output JSONL (default: stdout).")
def synth(action: str, seed: int, per_seed: int, out: str | None) -> None:
    """Expand ACTION's seed data into synthetic training data."""
    node = _action(action)
    synthesizer = getattr(node, "synth", None)
    if synthesizer is None:
        raise click.ClickException(f"{action} has no synthetic data pipeline")
    rows = synthesizer(seed=seed, per_seed=per_seed)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if out:
        Path(out).write_text(lines, encoding="utf-8")
        click.echo(f"wrote {len(rows)} rows to {out}", err=True)
    else:
        click.echo(lines, nl=False)


@main.group()
def workflows() -> None:
    """The shipped n8n workflows (workflows/*.json)."""


@workflows.command(name="render")
@click.option("--base-url", required=True, help="Where n8n reaches this service, e.g. http://tzomet:8080.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory to write to.")
@click.option("--tenant", help="Client name: suffixes workflow names, gives unique ids and webhook paths.")
@click.option("--set", "values", multiple=True, metavar="NAME=VALUE",
              help="Another value of the 'Tzomet config' node, e.g. owner_whatsapp=972501234567.")
def render_workflows(base_url: str, out_dir: str, tenant: str | None, values: tuple[str, ...]) -> None:
    """Write copies of every workflow with the config node filled in, ready to import."""
    from nodes.core.workflows import RenderError, render_all

    pairs: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        pairs[name.strip()] = value
    try:
        written = render_all(Path(out_dir), base_url, tenant, pairs)
    except RenderError as err:
        raise click.ClickException(str(err)) from None
    for path in written:
        click.echo(str(path))


def _add_node_commands() -> None:
    """Add the commands each action declares (:meth:`nodes.core.node.Node.commands`)."""
    for name in registry.names():
        for command in registry.get(name).commands():
            main.add_command(command)


_add_node_commands()

if __name__ == "__main__":
    main()
