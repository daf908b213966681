"""Command line: ``python -m nkbook <command>`` (also installed as ``nkbook``).

build      execute the chapters and build the book (``--data-dir``, ``--param``, ``--force``, ``--jobs``)
validate   validate a data folder against the project's schemas and cross-checks
describe   recompute the descriptor's checksums, sizes and row counts after editing data/
check-results / update-results   compare this build's results with the published snapshot
(build --pdf also prints the whole book to _build/html/book.pdf with Debian's Chromium)
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nkbook", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="execute the chapters and build the book")
    b.add_argument("--data-dir", default=None, help="folder of CSV files (default: data/)")
    b.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter for every chapter that declares it, or CHAPTER.NAME=VALUE",
    )
    b.add_argument("--force", action="store_true", help="re-execute every chapter and rebuild every page")
    b.add_argument("--jobs", type=int, default=None, help="chapters executed at once (default: one per core)")
    b.add_argument("--build-dir", default=None, help="where the build keeps its cache and the book (default: _build)")
    b.add_argument("--chapters", default=None, help="another chapters file (default: chapters.yml)")
    b.add_argument(
        "--pdf",
        dest="pdf",
        action="store_true",
        default=None,
        help="also make book.pdf (default: when Debian's chromium is installed)",
    )
    b.add_argument("--no-pdf", dest="pdf", action="store_false", help="skip the PDF")

    v = sub.add_parser("validate", help="validate a data folder")
    v.add_argument("--data-dir", default=None)

    d = sub.add_parser("describe", help="recompute checksums, sizes and row counts in data/datapackage.json")
    d.add_argument("--check", action="store_true", help="only report drift; exit 1 if the descriptor is stale")

    sub.add_parser("check-results", help="compare the last build's results with results/published.json")
    sub.add_parser("update-results", help="make the last build's results the published snapshot")

    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            from nkbook.build.driver import build

            record = build(
                data_dir=args.data_dir,
                params=args.param,
                force=args.force,
                jobs=args.jobs,
                root=args.build_dir,
                chapters_file=args.chapters,
                pdf=args.pdf,
            )
            print(
                f"built: executed {record['executed'] or 'no chapter'}, reused {record['cached'] or 'none'}; "
                f"sphinx {record['sphinx']}; {record['total_seconds']} s. Open {record['html']}/index.html"
            )
        elif args.command == "validate":
            from nkbook.build.driver import validate
            from nkbook.core.paths import display_path
            from nkbook.data import resolve_data_dir

            frames = validate(args.data_dir)
            print(f"{display_path(resolve_data_dir(args.data_dir))}: {len(frames)} datasets valid")
        elif args.command == "describe":
            from nkbook.data import describe

            changes = describe.update(check_only=args.check)
            for line in changes:
                print(line)
            if args.check and changes:
                return 1
            if not changes:
                print("data/datapackage.json is up to date")
        elif args.command in ("check-results", "update-results"):
            from nkbook.build import published

            if args.command == "update-results":
                print(published.update())
            else:
                diffs = published.check()
                if diffs:
                    print("published results moved:\n" + "\n".join(f"  {d}" for d in diffs))
                    return 1
                print("results match the published snapshot")
    except Exception as exc:  # DataError, BuildError and friends: one clear message, no traceback
        from nkbook.build.driver import BuildError

        data_mod = sys.modules.get("nkbook.data")  # loaded only if the data was read
        data_error = getattr(data_mod, "DataError", ()) if data_mod else ()
        if isinstance(exc, (BuildError, FileNotFoundError, KeyError, ValueError)) or (
            data_error and isinstance(exc, data_error)
        ):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
