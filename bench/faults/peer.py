"""Fault: the population database (a peer agency's system) hangs, then answers slowly, then answers
garbage, a third of the fault each (90 s in all, 30 s in the short run).

- hang: the peer takes each request and never answers in time (60 s, the read timeout here is 3 s):
  each attempt times out, the exchange is tried again with backoff (5 s, doubled, 5 attempts);
- slow: each answer takes 2 s, under the read timeout: exchanges succeed, slowly;
- garbage: 200 with an unsigned HTML body: not trustworthy, not retried. The exchange fails at once
  and raises an incident on the dossier with the reason, which officials see in their incident list.

After the fault the ward's specialist retries each open incident (one click each in the workspace);
everything must then finish. Figures: incidents raised (a clear error, not a loss) and retried.

    python bench/faults/peer.py [--short] [--fault-seconds 90] [--rate 4]
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import common  # noqa: E402

READ_TIMEOUT = 3.0


def setup(stack):
    from onestop.interop.models import Peer

    Peer.objects.filter(code="population").update(read_timeout=READ_TIMEOUT)


def fault(stack, load, args):
    phase = args.fault_seconds / 3
    stack.peer_control(delay=60)
    common.log(f"peer hangs for {phase:g} s")
    time.sleep(phase)
    stack.peer_control(delay=2)
    common.log(f"peer answers in 2 s for {phase:g} s")
    time.sleep(phase)
    stack.peer_control(delay=0, garbage=True)
    common.log(f"peer answers garbage for {phase:g} s")
    time.sleep(phase)
    stack.peer_control(garbage=False)
    common.log("peer back to normal; the specialists retry the open incidents")
    retried = retry_incidents(stack)
    return {"read_timeout_s": READ_TIMEOUT, "incidents_retried_by_officials": retried}


def retry_incidents(stack):
    """As the wards' specialists would: retry every open incident of an exchange."""
    retried = 0
    for prefix in common.WARDS.values():
        token = stack.tokens[f"{prefix}.specialist"]
        status, data = common.call(stack.web_port, "GET", "/api/v1/incidents/?open=true&page_size=200", token)
        if status != 200:
            raise common.FaultFailure(f"incident list answered {status}: {data}")
        for incident in data["results"]:
            status, data = common.call(stack.web_port, "POST", f"/api/v1/incidents/{incident['id']}/retry/", token)
            retried += status == 200
    return retried


if __name__ == "__main__":
    sys.exit(common.main("peer", __doc__, 90, 30, fault, "Peer agency hangs, is slow, answers garbage",
                         setup=setup))
