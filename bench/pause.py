#!/usr/bin/env python3
"""Host pauses: time the machine's CPUs did not run at all, measured beside a benchmark.

One process per CPU, pinned to it, at real-time priority (SCHED_FIFO), sleeps 10 ms at a time
(no more often than the kernel's own tick, so that it does not change how the CPUs are shared) and
writes each wake-up that came more than THRESHOLD_MS late:

    <epoch seconds at wake-up> cpu<N> <ms late>

A real-time thread preempts every ordinary thread of the guest (the server, PostgreSQL, wrk), so a
late wake-up is time the CPU itself did not run: interrupts, or, on a virtual machine, the
hypervisor not running the vCPU (steal). A request in flight on that CPU waits as long, and wrk,
which corrects for coordinated omission, counts a pause of T ms on one of 64 connections as about
T samples spread from 0 to T ms: one 100 ms pause in a 5-second run lifts its p99 from 3 to 14 ms.

    bench/pause.py FILE     (runs until killed; real-time priority needs root, or CAP_SYS_NICE)
"""
import os
import signal
import sys
import time

THRESHOLD_MS = 2.0
PERIOD_S = 0.010


def watch(cpu: int, out: str) -> None:
    os.sched_setaffinity(0, {cpu})
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    except PermissionError:
        print(f"pause.py: no real-time priority on cpu{cpu}: its delays include the guest's own scheduling",
              file=sys.stderr)
    with open(out, "a", buffering=1) as f:
        last = time.monotonic()
        while True:
            time.sleep(PERIOD_S)
            now = time.monotonic()
            late = (now - last - PERIOD_S) * 1000
            last = now
            if late > THRESHOLD_MS:
                f.write(f"{time.time():.3f} cpu{cpu} {late:.1f}\n")


def main() -> None:
    out = sys.argv[1]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    children = []
    for cpu in sorted(os.sched_getaffinity(0)):
        pid = os.fork()
        if pid == 0:
            try:
                watch(cpu, out)
            finally:
                os._exit(0)
        children.append(pid)
    try:
        for pid in children:
            os.waitpid(pid, 0)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for pid in children:
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    main()
