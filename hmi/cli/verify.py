"""`ms5 verify`: everything that can be checked on a station's store, one line per check."""

from __future__ import annotations

import argparse

from core import store_verify
from core.config import ConfigError, load_config
from hmi.cli.people import add_db_option, read_store
from hmi.errors import UsageError


def cmd_verify(args: argparse.Namespace) -> int:
    config = None
    if args.config:
        try:
            config = load_config(args.config)
        except ConfigError as exc:
            raise UsageError(str(exc), located=True) from None
    with read_store(args.db) as store:
        findings = [store_verify.integrity(store)]
        if findings[0].ok:
            # On a damaged file the other checks would only meet the damage again.
            findings += [store_verify.audit_chain(store), *store_verify.anchor(store)]
            findings += store_verify.archives(store)
            if config is not None:
                findings += store_verify.projections(config, store)
    for finding in findings:
        print(("ok     " if finding.ok else "FAILED ") + finding.text)
    if config is None and findings[0].ok:
        print("-       the projections were not checked: give the station's config (ms5 verify CONFIG)")
    return 0 if all(f.ok for f in findings) else 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    about = (
        "Check a station's store: SQLite's integrity check, the audit chain, the database against "
        "its anchor, the archive files and the journal's ids, and (with CONFIG) the journal against "
        "the projections. Read-only; exit 0 when "
        "everything holds, 1 when something does not."
    )
    p = sub.add_parser(
        "verify", help="Check a station's store (file, audit chain, anchor, projections).", description=about
    )
    p.set_defaults(func=cmd_verify)
    p.add_argument("config", nargs="?", help="the station's TOML config, for the projections check")
    add_db_option(p)
