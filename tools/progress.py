"""``nox -s list``: every kata grouped by category, with status, best time and hints used."""

from __future__ import annotations

import argparse

from tools import EXIT_OK, catalog, state
from tools.listing import print_listing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--category", choices=catalog.CATEGORIES, help="only this category")


def run(args: argparse.Namespace) -> int:
    katas = [k for k in catalog.load_all() if args.category in (None, k.category)]
    print_listing(katas, state.load())
    return EXIT_OK
