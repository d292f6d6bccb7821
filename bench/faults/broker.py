"""Fault: the broker (Redis) stopped for 60 s (30 s in the short run) and started again, empty.

The private Redis keeps nothing on disk, so every message it held is gone: queued exchanges, retries
waiting for their countdown, and the tasks workers had taken but not acknowledged. Meanwhile requests
that would enqueue a task cannot reach the broker. What must hold: requests still commit (the task is
published after commit, and a failed publish only logs), and beat's sweeper enqueues again every pending
exchange nobody touched for 30 s (15 s short) (``requeue_stale_exchanges``), so every dossier moves on without a
person. (RabbitMQ with durable queues would keep its messages; this is the harder case.)

    python bench/faults/broker.py [--short] [--fault-seconds 60] [--rate 4]
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import common  # noqa: E402


def fault(stack, load, args):
    stack.redis.stop()
    common.log(f"redis-server stopped for {args.fault_seconds:g} s")
    time.sleep(args.fault_seconds)
    stack.redis.start()
    common.log("redis-server started again, empty")
    stale = float(stack.env["ONESTOP_EXCHANGE_STALE_MINUTES"]) * 60
    return {"broker": "redis (no persistence)", "stale_after_s": stale, "sweep_every_s": 5}


if __name__ == "__main__":
    sys.exit(common.main("broker", __doc__, 60, 30, fault, "Broker stopped and started again"))
