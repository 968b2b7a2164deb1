"""`taskforge keys create|list|revoke` and `taskforge audit list`."""

import argparse

from dishka import AsyncContainer

from taskforge_app.audit_log import ListAudit
from taskforge_app.manage_keys import CreateKey, InvalidKeyRequest, KeyNotFound, ListKeys, RevokeKey
from taskforge_app.ports.api_keys import KeyNameTaken
from taskforge_app.ports.audit_trail import AuditQuery
from taskforge_domain.access import Grant
from taskforge_entrypoints.operator_cli.exit_codes import Conflict, ExitCode, Refused
from taskforge_entrypoints.operator_cli.json_output import print_json
from taskforge_entrypoints.operator_cli.operator import operator
from taskforge_entrypoints.operator_cli.tables import audit_table, keys_table
from taskforge_entrypoints.presentation.access_json import (
    AuditEntryOut,
    AuditPage,
    CreatedKeyOut,
    KeyOut,
    KeysOut,
)


async def create_key(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    grant = Grant(args.scopes, args.queues)
    try:
        created = await (await container.get(CreateKey))(
            operator(), args.name, grant, args.expires_in
        )
    except InvalidKeyRequest as exc:
        raise Refused(str(exc)) from None
    except KeyNameTaken as exc:
        raise Conflict(f"{exc}; revoked keys keep their names, choose another") from None
    if args.json:
        print_json(CreatedKeyOut(key=KeyOut.of(created.key), token=created.token))
        return ExitCode.OK
    print(created.token)
    print(
        f"key {created.key.name!r} created; the line above is its secret, shown this once: "
        "Taskforge keeps only its hash",
    )
    return ExitCode.OK


async def list_keys(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    keys = await (await container.get(ListKeys))()
    if args.json:
        print_json(KeysOut(keys=[KeyOut.of(key) for key in keys]))
    else:
        print(keys_table(keys) if keys else "no API keys")
    return ExitCode.OK


async def revoke_key(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    try:
        key = await (await container.get(RevokeKey))(operator(), args.name)
    except KeyNotFound as exc:
        raise Refused(str(exc)) from None
    if args.json:
        print_json(KeyOut.of(key))
    else:
        print(f"key {key.name!r} revoked: every API process refuses it from now on")
    return ExitCode.OK


async def list_audit(container: AsyncContainer, args: argparse.Namespace) -> ExitCode:
    query = AuditQuery(
        limit=args.limit,
        actor=args.actor,
        action=args.audit_action,
        job_id=args.job_id,
        after=args.after,
        before=args.before,
        below_id=args.cursor,
    )
    entries = await (await container.get(ListAudit))(query)
    more = len(entries) == args.limit
    if args.json:
        print_json(
            AuditPage(
                entries=[AuditEntryOut.of(entry) for entry in entries],
                next=str(entries[-1].id) if more else None,
            )
        )
        return ExitCode.OK
    print(audit_table(entries) if entries else "no audit entries match")
    if more:
        print(f"next page: --cursor {entries[-1].id}")
    return ExitCode.OK
