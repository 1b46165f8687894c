#!/usr/bin/env python
"""X8: face comparisons (counter photo against the ID document's photo): CPU time per comparison and the
eventlet hub's longest stall while comparing as verification does (``eventlet.tpool``), against the heartbeat
rule (design.md §4: a tenth of the heartbeat interval).

    python bench/face.py [--comparisons N] [--json PATH]

Photographs: ``services/verification/tests/data/faces`` (real people, from the ``face_recognition`` source
package), each pair compared in turn: same person and different person.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "services" / "verification"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from eventlet import tpool  # noqa: E402
from meters import HubStall  # noqa: E402

from verification import faces  # noqa: E402

PHOTOS = REPO / "services" / "verification" / "tests" / "data" / "faces"
HEARTBEAT_DEFAULT = 60.0  # nameko's default AMQP heartbeat, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comparisons", type=int, default=40)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    photos = {name: (PHOTOS / name).read_bytes() for name in ("obama.jpg", "obama2.jpg", "biden.jpg")}
    pairs = [("obama.jpg", "obama2.jpg", "same_person"), ("obama.jpg", "biden.jpg", "different_person")]
    started_cpu = time.process_time()
    tpool.execute(faces.compare, photos["obama.jpg"], photos["obama2.jpg"])  # loads the models once
    load_cpu = time.process_time() - started_cpu

    right = 0
    with HubStall() as stall:
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(args.comparisons):
            a, b, expected = pairs[i % len(pairs)]
            right += tpool.execute(faces.compare, photos[a], photos[b]).outcome == expected
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    gap = [stall.seconds]
    report = {"comparisons": args.comparisons, "right": right, "model_load_cpu_s": load_cpu,
              "cpu_s_per_comparison": cpu / args.comparisons, "wall_s_per_comparison": wall / args.comparisons,
              "longest_hub_stall_s": gap[0], "stall_below_tenth_of_heartbeat": gap[0] < HEARTBEAT_DEFAULT / 10}
    print(f"outcomes right {right}/{args.comparisons}; models loaded in {load_cpu:.2f} s CPU")
    print(f"per comparison: {report['cpu_s_per_comparison']:.3f} s CPU, {report['wall_s_per_comparison']:.3f} s wall")
    print(f"longest hub stall while comparing: {gap[0] * 1000:.1f} ms (goal below {HEARTBEAT_DEFAULT / 10:.0f} s)")
    line = json.dumps(report)
    if args.json:
        args.json.write_text(line + "\n")
    print(line)
    return 0 if report["stall_below_tenth_of_heartbeat"] else 1


if __name__ == "__main__":
    sys.exit(main())
