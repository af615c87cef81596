"""Where a test run's time went: each JUnit report's counts and wall time, then the slowest tests.

``make test`` and ``make canary`` write one report per pytest run to ``test-reports/`` (the
Makefile's ``REPORTS``); this prints them, so a slow test is seen the day it lands:

    python .ci/timings.py test-reports            # every report there, then the 25 slowest tests
    python .ci/timings.py test-reports --slowest 60
    python .ci/timings.py test-reports --phases .ci-phases.tsv   # .ci/run's own phases first

A report's wall time is its run's (``testsuite`` ``time``: under pytest-xdist the whole run's,
not the sum of its tests'); a test's time is its setup, call and teardown, as pytest measured it.
"""

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def read(report: Path) -> tuple[dict, list[tuple[float, str]]]:
    root = ET.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    cases = []
    for suite in suites:
        for key in ("tests", "failures", "errors", "skipped"):
            counts[key] += int(suite.get(key, 0))
        counts["time"] += float(suite.get("time", 0))
        for case in suite.iter("testcase"):
            name = f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":")
            cases.append((float(case.get("time", 0)), name))
    return counts, cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", type=Path, help="a folder of JUnit XML reports (or one report)")
    parser.add_argument("--slowest", type=int, default=25, help="how many of the slowest tests to list")
    parser.add_argument("--phases", type=Path, help="a file of 'phase<TAB>seconds' lines to print first")
    args = parser.parse_args()

    if args.phases and args.phases.exists():
        print("==> where the run's time went")
        total = 0.0
        for line in args.phases.read_text().splitlines():
            name, _, seconds = line.partition("\t")
            total += float(seconds)
            print(f"  {minutes(float(seconds)):>8}  {name}")
        print(f"  {minutes(total):>8}  in all")

    files = sorted(args.reports.glob("*.xml")) if args.reports.is_dir() else [args.reports]
    files = [f for f in files if f.exists()]
    if not files:
        print(f"==> no test reports in {args.reports}")
        return 0
    print("==> the test runs (wall time; tests passed, failed, skipped)")
    every = []
    for report in files:
        try:
            counts, cases = read(report)
        except ET.ParseError:
            print(f"  {report.name}: not a whole report (the run was stopped)")
            continue
        failed = counts["failures"] + counts["errors"]
        passed = counts["tests"] - failed - counts["skipped"]
        print(
            f"  {minutes(counts['time']):>8}  {report.stem}: {passed} passed, {failed} failed,"
            f" {counts['skipped']} skipped"
        )
        every += [(seconds, f"{report.stem}  {name}") for seconds, name in cases]
    print(f"==> the {args.slowest} slowest tests")
    for seconds, name in sorted(every, reverse=True)[: args.slowest]:
        print(f"  {seconds:7.1f} s  {name}")
    flaky = args.reports / "flaky.txt" if args.reports.is_dir() else None
    if flaky is not None and flaky.exists():  # .ci/alone.py's list
        print("==> failed side by side, passed alone (flaky under load: fix them)")
        for test_id in flaky.read_text().split():
            print(f"  {test_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
