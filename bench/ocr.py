#!/usr/bin/env python
"""X7: OCR of identity documents' scans: field accuracy on generated documents, CPU time per document, and the
eventlet hub's longest stall while reading them as intake does (``eventlet.tpool``), against the heartbeat rule
(design.md §4: a tenth of the heartbeat interval).

    python bench/ocr.py [--documents N] [--filings N] [--json PATH]

Documents: ``shared.testing.documents.generated_document`` (ID cards, business licences, organisation-code
certificates drawn with WenQuanYi Zen Hei from known data, rotated up to 3°, blurred, JPEG quality 70). A field
is right when what ``intake.domain.reading`` extracts equals what was drawn, compared as pre-verification
compares (``precheck.readings.normalised``).

Per filing: the two scans the journey uploads for each filing (``shared.testing.documents.scans_of`` of the unit
sample: a business licence and an ID card's front), drawn once (cached) and read ``--filings`` times as intake reads
them: what each filing of the system tests, ``bin/demo`` and ``bench/e2e.py`` costs intake in OCR.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "services" / "intake", REPO / "services" / "precheck"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from eventlet import tpool  # noqa: E402
from meters import HubStall  # noqa: E402

from intake import ocr  # noqa: E402
from intake.domain.reading import read  # noqa: E402
from precheck.readings import normalised  # noqa: E402
from shared.testing.documents import generated_document, scans_of  # noqa: E402
from shared.testing.samples import unit_filing  # noqa: E402

HEARTBEAT_DEFAULT = 60.0  # nameko's default AMQP heartbeat, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--filings", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    documents = [generated_document(seed) for seed in range(args.documents)]
    tpool.execute(ocr.read_scan, documents[0][1])  # load the models once, as the first upload does

    right, total, wrong, cpu = Counter(), Counter(), [], []
    with HubStall() as stall:
        started = time.perf_counter()
        for truth, scan in documents:
            lines = tpool.execute(ocr.read_scan, scan)
            cpu.append(time.process_time())
            found = read(lines)
            for name, value in truth.fields.items():
                total[name] += 1
                got = found.fields.get(name, ("", 0))[0]
                if normalised(name, got) == normalised(name, value):
                    right[name] += 1
                else:
                    wrong.append({"kind": truth.kind, "field": name, "drawn": value, "read": got})
        elapsed = time.perf_counter() - started
    gap = [stall.seconds]
    process_cpu = cpu[-1] - cpu[0] if len(cpu) > 1 else 0.0
    filing = journey_filing(args.filings)
    report = {"documents": args.documents, "fields": sum(total.values()), "right": sum(right.values()),
              "accuracy": sum(right.values()) / sum(total.values()),
              "by_field": {k: right[k] / total[k] for k in total},
              "wall_s_per_document": elapsed / args.documents,
              "cpu_s_per_document": process_cpu / max(1, args.documents - 1),
              "longest_hub_stall_s": gap[0], "stall_below_tenth_of_heartbeat": gap[0] < HEARTBEAT_DEFAULT / 10,
              "journey_filing": filing, "wrong": wrong[:20]}
    print(f"field accuracy {report['right']}/{report['fields']} = {report['accuracy']:.4f}")
    for name, share in report["by_field"].items():
        print(f"  {name:22} {share:.4f}")
    print(f"per document: {report['cpu_s_per_document']:.2f} s CPU, {report['wall_s_per_document']:.2f} s wall")
    print(f"longest hub stall while reading: {gap[0] * 1000:.1f} ms (goal below {HEARTBEAT_DEFAULT / 10:.0f} s)")
    print(f"per journey filing (2 scans, {filing['bytes']} bytes): {filing['cpu_s']:.2f} s CPU, "
          f"{filing['wall_s']:.2f} s wall to read; drawn once in {filing['draw_cpu_s']:.2f} s CPU, then cached; "
          f"fields right: {filing['fields_right']}")
    line = json.dumps(report, ensure_ascii=False)
    if args.json:
        args.json.write_text(line + "\n")
    print(line)
    return 0 if report["stall_below_tenth_of_heartbeat"] else 1


def journey_filing(filings: int) -> dict:
    """CPU and wall time of reading the journey's two scans of a filing, averaged over ``filings`` reads."""
    data = unit_filing()
    drawn = time.process_time()
    scans = scans_of(data)
    drawn = time.process_time() - drawn
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(filings):
        readings = {kind: read(tpool.execute(ocr.read_scan, scan)) for kind, scan in scans.items()}
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    truth = {"sponsor_document": data["sponsor"], "responsible_person_document": data["responsible_person"]}
    right = all(normalised(name, readings[kind].fields.get(name, ("", 0))[0]) == normalised(name, truth[kind][name])
                for kind in scans for name in ("name", "document_number"))
    return {"filings": filings, "bytes": sum(map(len, scans.values())), "draw_cpu_s": drawn,
            "cpu_s": cpu / filings, "wall_s": wall / filings, "fields_right": right}


if __name__ == "__main__":
    sys.exit(main())
