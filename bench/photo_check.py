#!/usr/bin/env python
"""P4 photo checks per second on 800×600 images, and the eventlet hub's longest stall while checking, each
against a baseline measured in the same run (design.md §7: these machines are noisy, only same-run ratios mean
anything).

    python bench/photo_check.py [--photos N] [--workers N] [--json PATH]

Images: ``shared.testing.faces.backdrop_photo`` (scikit-image's astronaut and ``lfw_subset`` faces on the
backdrop with the logo, JPEG, 800×600), made before timing.

Phases, each over the same ``--photos`` images:

- ``decode``   (baseline): Pillow decodes each JPEG to RGB, nothing else: what any photo endpoint pays;
- ``check``:   ``verification.photos.check_photo`` (decode, size, colour, Haar face detection, logo template
  match, perceptual hash), called directly, one after another;
- ``tpool``:   the same checks as the service runs them (``eventlet.tpool.execute``) from ``--workers`` green
  threads at once, while a green thread ticks every 10 ms and records the longest gap between ticks: the hub's
  longest stall, i.e. how long nameko could not answer the broker's heartbeats;
- ``on_hub``:  the same checks run directly on the hub from the green threads (what happens without tpool),
  with the same ticker.

Output: a table, the ratios check/decode (cost per photo) and stall(tpool)/stall(on_hub), a verdict against the
heartbeat interval (nameko's default 60 s and a strict 1 s), and the whole report as JSON on stdout's last line.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "services" / "verification"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from eventlet import tpool  # noqa: E402
from PIL import Image  # noqa: E402

from shared.testing.faces import backdrop_photo  # noqa: E402
from verification import photos  # noqa: E402

HEARTBEAT_DEFAULT = 60.0  # nameko's default AMQP heartbeat, seconds
HEARTBEAT_STRICT = 1.0


def decode(data: bytes) -> None:
    Image.open(io.BytesIO(data)).convert("RGB").load()


def sequential(fn, images: list[bytes]) -> float:
    started = time.perf_counter()
    for data in images:
        fn(data)
    return time.perf_counter() - started


def concurrent(images: list[bytes], workers: int, offload: bool) -> tuple[float, float, int]:
    """(seconds, longest gap between 10 ms ticks, ticks) while ``workers`` green threads check every image."""
    done, gaps = [False], [0.0]
    ticks = [0]

    def ticker():
        last = time.perf_counter()
        while not done[0]:
            eventlet.sleep(0.01)
            now = time.perf_counter()
            gaps[0] = max(gaps[0], now - last - 0.01)
            last = now
            ticks[0] += 1

    queue = list(images)

    def worker():
        while queue:
            data = queue.pop()
            if offload:
                tpool.execute(photos.check_photo, data)
            else:
                photos.check_photo(data)
            eventlet.sleep(0)

    tick = eventlet.spawn(ticker)
    eventlet.sleep(0.05)
    started = time.perf_counter()
    pool = [eventlet.spawn(worker) for _ in range(workers)]
    for thread in pool:
        thread.wait()
    elapsed = time.perf_counter() - started
    done[0] = True
    tick.wait()
    return elapsed, max(gaps[0], 0.0), ticks[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    faces = [None] + [i for i in range(1, 100) if i not in (4, 13, 30, 83)]
    images = [backdrop_photo(faces=(faces[i % len(faces)],), seed=i) for i in range(args.photos)]
    assert all(photos.check_photo(images[i]).passed for i in range(min(5, len(images))))
    sequential(photos.check_photo, images[:10])  # warm caches, OpenCV's thread pool and the CPU before timing

    report: dict = {"photos": args.photos, "workers": args.workers, "size": "800x600", "format": "JPEG"}
    report["decode_s"] = sequential(decode, images)
    cpu_started = time.process_time()
    report["check_s"] = sequential(photos.check_photo, images)
    report["check_cpu_ms_per_photo"] = (time.process_time() - cpu_started) / args.photos * 1000
    tp_s, tp_stall, tp_ticks = concurrent(images, args.workers, offload=True)
    hub_s, hub_stall, hub_ticks = concurrent(images, args.workers, offload=False)
    report.update(tpool_s=tp_s, tpool_stall_s=tp_stall, tpool_ticks=tp_ticks, on_hub_s=hub_s,
                  on_hub_stall_s=hub_stall, on_hub_ticks=hub_ticks)
    rate = {k: args.photos / report[f"{k}_s"] for k in ("decode", "check", "tpool", "on_hub")}
    report["per_second"] = rate
    report["ratio_check_cost_vs_decode"] = report["check_s"] / report["decode_s"]
    report["ratio_stall_tpool_vs_on_hub"] = tp_stall / hub_stall if hub_stall else None
    report["stall_below_default_heartbeat"] = tp_stall < HEARTBEAT_DEFAULT
    report["stall_below_1s"] = tp_stall < HEARTBEAT_STRICT

    print(f"{'phase':8} {'photos/s':>9} {'seconds':>8} {'longest hub stall':>18}")
    print(f"{'decode':8} {rate['decode']:9.1f} {report['decode_s']:8.2f} {'-':>18}")
    print(f"{'check':8} {rate['check']:9.1f} {report['check_s']:8.2f} {'-':>18}")
    print(f"{'tpool':8} {rate['tpool']:9.1f} {tp_s:8.2f} {tp_stall * 1000:15.1f} ms")
    print(f"{'on_hub':8} {rate['on_hub']:9.1f} {hub_s:8.2f} {hub_stall * 1000:15.1f} ms")
    print(f"check costs {report['ratio_check_cost_vs_decode']:.1f}x a plain decode, "
          f"{report['check_cpu_ms_per_photo']:.1f} ms of CPU per photo (OpenCV's threads included)")
    if report["ratio_stall_tpool_vs_on_hub"] is not None:
        print(f"longest stall with tpool is {report['ratio_stall_tpool_vs_on_hub']:.3f}x the stall without it")
    print(f"stall with tpool below the heartbeat: default 60 s {report['stall_below_default_heartbeat']}, "
          f"1 s {report['stall_below_1s']}")
    print(f"target tpool_stall_s: {tp_stall:.3f} (goal ≤ {HEARTBEAT_STRICT:g}) "
          f"{'met' if report['stall_below_1s'] else 'missed'}")
    line = json.dumps(report)
    if args.json:
        args.json.write_text(line + "\n")
    print(line)
    return 0 if report["stall_below_1s"] else 1


if __name__ == "__main__":
    sys.exit(main())
