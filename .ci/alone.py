"""A side-by-side run's failures, run once more: alone, one at a time.

Run 1 and run 3 of ``make test`` put three workers and their servers on a 2-core machine; a test
that waits against a bound (a socket's connect in 5 s, a browser's selector in 15 s) can miss it
there and pass on a quiet machine. Under ``FAILED_TESTS=FILE`` (the Makefile sets it) the root
``conftest.py`` writes each failed test's id to FILE; when the run fails, this runs those tests
again in one process, nothing else of the suite beside them:

    python .ci/alone.py test-reports/1-failed.txt -- .venv/bin/pytest --junitxml=test-reports/1-alone.xml

Exit 0 when every one of them passes alone: the run counts as passed, and each test is named
under "failed side by side, passed alone" here and in ``flaky.txt`` beside FILE (``.ci/timings.py``
prints it again at the end), to be fixed, not forgotten. Exit 1 when one fails again, when more
than ``--most`` failed (that is a broken change, not a loaded machine), or when the run failed
with no test failing (a collection error, an interrupted worker).
"""

import argparse
import subprocess
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("failed", type=Path, help="the file of failed test ids the run wrote")
    parser.add_argument("--most", type=int, default=8, help="run them again only if at most this many failed")
    parser.add_argument("pytest", nargs=argparse.REMAINDER, help="-- then the pytest command line to run them with")
    args = parser.parse_args()
    command = args.pytest[1:] if args.pytest[:1] == ["--"] else args.pytest

    ids = list(dict.fromkeys(args.failed.read_text().split("\n"))) if args.failed.exists() else []
    ids = [test_id for test_id in ids if test_id]
    if not ids:
        print("==> the run failed with no test failing (see above): nothing to run again", file=sys.stderr)
        return 1
    if len(ids) > args.most:
        print(f"==> {len(ids)} tests failed side by side (more than {args.most}): not run again", file=sys.stderr)
        return 1
    print(f"==> {len(ids)} test(s) failed side by side; once more, alone:", *ids, sep="\n    ")
    if subprocess.run([*command, *ids]).returncode != 0:
        print("==> failed alone too", file=sys.stderr)
        return 1
    print("==> failed side by side, passed alone (flaky under load: fix them):", *ids, sep="\n    ")
    with open(args.failed.parent / "flaky.txt", "a") as flaky:
        flaky.writelines(f"{test_id}\n" for test_id in ids)
    return 0


if __name__ == "__main__":
    sys.exit(main())
