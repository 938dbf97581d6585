"""Subprocess helper for the multi-process and crash tests: writes events to a telemetry database.

`python -m tests.telemetry.writer_proc writer DB N TAG` — N events through TelemetryWriter (the server's path);
`python -m tests.telemetry.writer_proc batches DB` — committed batches forever, printing the count after each
commit (so the parent knows what is durable when it kills us);
`python -m tests.telemetry.writer_proc acked DB TAG` — events through TelemetryWriter forever, and after each
`flush()` that wrote everything, the number of events acknowledged (the server's path, killed by the parent).
"""
from __future__ import annotations

import sys
import time

from cache.telemetry import TelemetryStore, TelemetryWriter


def event(cid: str, tag: str) -> dict:
    return {"completion_id": cid, "kind": "shown", "ts": time.time(), "session": tag, "language": "python",
            "features": {"chars_before": 4, "prefix_end": "space"}, "latency_ms": 12.5}


def main() -> int:
    mode, db = sys.argv[1], sys.argv[2]
    if mode == "writer":
        n, tag = int(sys.argv[3]), sys.argv[4]
        writer = TelemetryWriter(lambda: TelemetryStore(db), batch_size=50, linger_s=0.01)
        for i in range(n):
            writer.put(event(f"{tag}-{i}", tag))
            if i % 50 == 0:
                time.sleep(0.005)  # interleave with the other process
        writer.close(timeout=120)
        print(f"written {writer.written} dropped {writer.dropped}", flush=True)
        return 0 if writer.written == n else 1
    if mode == "batches":
        store = TelemetryStore(db).open()
        seq = 0
        while True:
            store.write([event(f"k-{seq + j}", "batches") for j in range(200)])
            seq += 200
            print(seq, flush=True)
    if mode == "acked":
        tag = sys.argv[3]
        writer = TelemetryWriter(lambda: TelemetryStore(db), batch_size=64, linger_s=0.005)
        seq = 0
        while True:
            for _ in range(100):
                writer.put({**event(f"{tag}-{seq}", tag), "prompt_tokens": seq})
                seq += 1
            if writer.flush(timeout=60) and writer.written == seq:
                print(seq, flush=True)  # acknowledged: every event before this one is committed
    return 2


if __name__ == "__main__":
    sys.exit(main())
