"""`ms5 user` and `ms5 audit`: the people of a station and the trail of what they did."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core import store_verify
from core.audit import AuditLog
from core.auth import DEFAULT_POLICY, ROLES, AuthError, PinPolicy, UserStore
from core.config import ConfigError, load_config
from core.store import Store, StoreError
from core.timefmt import iso, parse_time
from hmi.errors import UsageError
from hmi.paths import default_db

SHELL_USER = "shell"


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help=f"the station's database (default: {default_db()})")


@contextmanager
def _opened(opener: Callable[[Path], Store], path: Path) -> Iterator[Store]:
    """`opener(path)` with a refusal as one line, and what opening found said on stderr."""
    try:
        store = opener(path)
    except StoreError as exc:
        raise UsageError(str(exc), located=True) from None
    try:
        for note in store.notes:
            print(note, file=sys.stderr)
        yield store
    finally:
        store.close()


@contextmanager
def open_store(db: str | None, *, create: bool = True) -> Iterator[Store]:
    """The store for writing (`ms5 user`): its data folder and files made private first."""
    path = Path(db) if db else default_db()
    if not create and not path.exists():
        raise UsageError(f"{path}: no such database")
    with _opened(Store.open, path) as store:
        yield store


@contextmanager
def read_store(db: str | None) -> Iterator[Store]:
    """An existing store opened read-only (reports, audits, exports: an auditor's copy too)."""
    path = Path(db) if db else default_db()
    with _opened(Store.open_read_only, path) as store:
        yield store


def _read_pin(args: argparse.Namespace) -> str:
    if args.pin_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UsageError("--pin-stdin: nothing on standard input")
        return line.strip()
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask the PIN on: use --pin-stdin")
    first = getpass.getpass("PIN (4-8 digits): ")
    second = getpass.getpass("PIN again: ")
    if first != second:
        raise UsageError("the two PINs differ; nothing changed")
    return first


def _policy(args: argparse.Namespace) -> PinPolicy:
    """The PIN policy of the station's config (`[people]`, docs/CONFIG.md), the default without one."""
    if not getattr(args, "config", None):
        return DEFAULT_POLICY
    try:
        people = load_config(args.config).people
    except ConfigError as exc:
        raise UsageError(str(exc), located=True) from None
    return PinPolicy(min_digits=people.pin_min_digits, simple_pins=people.simple_pins)


def _shell_actor() -> str:
    # Users are managed from the station's own shell: whoever can write the database file.
    try:
        return f"{SHELL_USER}:{getpass.getuser()}"
    except (KeyError, OSError):
        return SHELL_USER


def cmd_user(args: argparse.Namespace) -> int:
    now = time.time()
    policy = _policy(args)
    with open_store(args.db) as store:
        users = UserStore(store.conn)
        audit = store.audit()
        who = _shell_actor()
        try:
            if args.action == "add":
                pin = _read_pin(args)
                user = users.add(args.name, args.role, pin, now, policy=policy)
                audit.append(now, who, "admin", "user_add", user.name, "ok", f"role {user.role}")
                print(f"user {user.name!r} added as {user.role}")
            elif args.action == "remove":
                users.remove(args.name)
                audit.append(now, who, "admin", "user_remove", args.name, "ok")
                print(f"user {args.name!r} removed")
            elif args.action == "reset-pin":
                if users.get(args.name) is None:
                    raise AuthError(f"unknown user {args.name!r}")
                users.reset_pin(args.name, _read_pin(args), policy=policy)
                audit.append(now, who, "admin", "user_reset_pin", args.name, "ok")
                print(f"PIN of {args.name!r} reset")
            else:
                for user in users.list():
                    locked = ""
                    if user.locked_until is not None and user.locked_until > now:
                        locked = f"  locked until {iso(user.locked_until)}"
                    print(f"{user.name:<24} {user.role}{locked}")
        except AuthError as exc:
            if args.action != "list":
                audit.append(
                    now, who, "admin", f"user_{args.action.replace('-', '_')}", args.name, "refused", str(exc)
                )
            raise UsageError(str(exc)) from None
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    with read_store(args.db) as store:
        log = AuditLog(store.conn)
        if args.action == "verify":
            # Said only when it fails: the chain's own lines stay first (scripts read them).
            quick = store_verify.integrity(store, quick=True)
            if quick.ok:
                findings = [store_verify.audit_chain(store), *store_verify.anchor(store)]
            else:
                findings = [quick, store_verify.Finding(False, "the audit chain was not checked")]
            for finding in findings:
                print(finding.text)
            return 0 if all(f.ok for f in findings) else 1
        since = None
        if args.since:
            try:
                since = parse_time(args.since)
            except ValueError as exc:
                raise UsageError(f"--since: {exc}") from None
        for row in log.rows(since):
            role = f" ({row.role})" if row.role else ""
            target = f" {row.target}" if row.target else ""
            detail = f" — {row.detail}" if row.detail else ""
            who = f"{row.user or '-'}{role}"
            print(f"{row.id:>6} {iso(row.ts)} {who} {row.command}{target}: {row.result}{detail}")
    return 0


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="TOML",
        help="the station's config, for its PIN policy ([people]; default: strict)",
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("user", help="Manage the station's users.", description="Manage the station's users.")
    p.set_defaults(func=cmd_user)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("add", help="Add a user (PIN asked twice, or read with --pin-stdin).")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")
    _add_config_option(a)
    add_db_option(a)
    a = actions.add_parser("list", help="List the users.")
    add_db_option(a)
    a = actions.add_parser("remove", help="Remove a user.")
    a.add_argument("name")
    add_db_option(a)
    a = actions.add_parser("reset-pin", help="Give a user a new PIN (and lift a lockout).")
    a.add_argument("name")
    a.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")
    _add_config_option(a)
    add_db_option(a)

    p = sub.add_parser(
        "audit", help="Show or verify the audit trail.", description="Show or verify the audit trail."
    )
    p.set_defaults(func=cmd_audit)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("show", help="Print the audit rows.")
    a.add_argument("--since", metavar="ISO", help="only rows from this time on")
    add_db_option(a)
    a = actions.add_parser(
        "verify",
        help="Check the hash chain and the database against its anchor: exit 0 when both hold, "
        "1 naming the first broken row or the rows missing.",
    )
    add_db_option(a)
