"""`taskforge migrate up|down|version|force`: the SQL migrations, driven by an operator."""

import argparse

from taskforge_entrypoints import ioc
from taskforge_entrypoints.config.settings import Settings


async def migrate(settings: Settings, args: argparse.Namespace) -> int:
    async with ioc.migrations(settings) as migrator:
        if args.action == "up":
            applied = await migrator.up()
            print(f"applied: {', '.join(map(str, applied)) or 'nothing, already up to date'}")
        elif args.action == "down":
            rolled_back = await migrator.down(args.steps)
            print(f"rolled back: {', '.join(map(str, rolled_back)) or 'nothing'}")
        elif args.action == "force":
            await migrator.force(args.version)
            print(f"version forced to {args.version}")
        version, dirty = await migrator.version()
        print(f"version: {'none' if version is None else version}{' (dirty)' if dirty else ''}")
    return 0
