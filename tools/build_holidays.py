"""Build ``shared/kernel/data/holidays.json``, the shipped working-day calendar (design.md §6, P2, P8).

The data comes from the ``chinesecalendar`` package (import name ``chinese_calendar``), which transcribes the
State Council General Office's yearly notices (国务院办公厅关于{year}年部分节假日安排的通知). The package is a
build tool only: the services read the JSON (``shared.kernel.workdays``) and never import it. For each year the
package covers, the file holds the object an administrator would load for that year (``parse_schedule``): the
official days off with their holiday names, the adjusted working Saturdays and Sundays, and the source.

    python tools/build_holidays.py            # write the file
    python tools/build_holidays.py --check    # exit 1 if the file differs from what the package gives

Needs ``pip install chinesecalendar==1.11.0`` (a development dependency).
"""

import argparse
import json
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "shared" / "kernel" / "data" / "holidays.json"
PACKAGE = "chinesecalendar"
HOME = "https://github.com/LKI/chinese-calendar"
# The package's short names, written as the notices write them.
NOTICE_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}
# Years whose days off also come from a special notice besides the yearly one.
SPECIAL_NOTICES = {
    2015: "the State Council's notice on the day off for the 70th anniversary of the victory (2015-09-03)",
    2020: "the State Council General Office's notice extending the 2020 Spring Festival holiday",
}


def build() -> dict:
    """The file's content, from the installed package."""
    import chinese_calendar

    chinese = {h.value: NOTICE_NAMES.get(h.chinese, h.chinese) for h in chinese_calendar.Holiday}
    version = chinese_calendar.__version__
    holidays: dict[int, list[date]] = defaultdict(list)
    workdays: dict[int, list[date]] = defaultdict(list)
    for day in chinese_calendar.holidays:
        holidays[day.year].append(day)
    for day in chinese_calendar.workdays:
        workdays[day.year].append(day)
    schedules = []
    for year in sorted(holidays):
        source = f"国务院办公厅关于{year}年部分节假日安排的通知"
        if year in SPECIAL_NOTICES:
            source += f" and {SPECIAL_NOTICES[year]}"
        schedules.append(
            {
                "year": year,
                "holidays": [
                    {"date": day.isoformat(), "name": chinese[chinese_calendar.holidays[day]]}
                    for day in sorted(holidays[year])
                ],
                "workdays": [day.isoformat() for day in sorted(workdays[year])],
                "source": f"{source}, as transcribed by {PACKAGE} {version}",
            }
        )
    if set(workdays) - set(holidays):
        raise SystemExit(f"working days for years without holidays: {sorted(set(workdays) - set(holidays))}")
    return {
        "source": (
            f"Built by tools/build_holidays.py from {PACKAGE} {version} ({HOME}), which transcribes the State "
            "Council General Office's yearly notices 国务院办公厅关于{year}年部分节假日安排的通知. Later years: an "
            "administrator loads the year's notice (shared.kernel.workdays.parse_schedule)."
        ),
        "package": f"{PACKAGE}=={version}",
        "schedules": schedules,
    }


def render(content: dict) -> str:
    """JSON with one holiday per line, so that a change to the data reads as a small diff."""
    lines = ["{"]
    lines.append(f'  "source": {json.dumps(content["source"], ensure_ascii=False)},')
    lines.append(f'  "package": {json.dumps(content["package"])},')
    lines.append('  "schedules": [')
    for index, schedule in enumerate(content["schedules"]):
        lines.append("    {")
        lines.append(f'      "year": {schedule["year"]},')
        lines.append(f'      "source": {json.dumps(schedule["source"], ensure_ascii=False)},')
        lines.append('      "holidays": [')
        entries = [json.dumps(entry, ensure_ascii=False) for entry in schedule["holidays"]]
        lines.extend(f"        {entry}{',' if i < len(entries) - 1 else ''}" for i, entry in enumerate(entries))
        lines.append("      ],")
        lines.append(f'      "workdays": {json.dumps(schedule["workdays"])}')
        lines.append("    }" + ("," if index < len(content["schedules"]) - 1 else ""))
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    if json.loads(text) != content:
        raise AssertionError("render() does not round-trip")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file instead of writing")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO))
    from shared.kernel.workdays import WorkingCalendar, schedules_from_shipped

    content = build()
    calendar = WorkingCalendar(schedules_from_shipped(content))  # the runtime's own checks (InvalidValue)
    text = render(content)
    years = calendar.official_years
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(REPO)} differs from {content['package']}: run tools/build_holidays.py")
            return 1
        print(f"{TARGET.relative_to(REPO)} is up to date ({years[0]}-{years[-1]}, {content['package']})")
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)}: {len(years)} years {years[0]}-{years[-1]} from {content['package']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
