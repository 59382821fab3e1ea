"""A tiny MMV-instrumented process for tests/integration/metrics.test.ts: its own counters and an
instant value, mapped into shared memory by PCP's MMV library (python3-pcp's pcp.mmv) so that
pmcd's mmv PMDA serves them as mmv.<name>.*. Every 100 ms: requests[get] += 5 and
requests[put] += 1 (counters: 50/s and 10/s), sent += 2 Kbyte (a counter in Kbyte: 20 KiB/s);
queue stays 7 (instant). Runs until killed. Argument: the MMV file's name."""
import sys
import time

import cmmv
import cpmapi as api
from pcp import mmv
from pcp.pmapi import pmUnits

name = sys.argv[1]
ops = mmv.mmv_indom(serial=1, shorttext="request kinds")
ops.set_instances([mmv.mmv_instance(0, "get"), mmv.mmv_instance(1, "put")])
count = pmUnits(0, 0, 1, 0, 0, api.PM_COUNT_ONE)
kbyte = pmUnits(1, 0, 0, api.PM_SPACE_KBYTE, 0, 0)


def metric(name, item, typeof, semantics, units, indom, text):
    m = mmv.mmv_metric(name, item, typeof, semantics, units, indom, text)
    # python3-pcp 6.0.3's mmv_metric.__init__ drops its semantics and dimension arguments (every
    # metric would be a unitless counter): set them on the structure itself.
    m.semantics = semantics
    m.dimension = units
    return m


# MMV_FLAG_PROCESS: the mmv PMDA serves these metrics only while this process lives, so when it
# exits they go from the host (without it they would stay, frozen at their last values).
values = mmv.MemoryMappedValues(name, cmmv.MMV_FLAG_PROCESS)
values.add_indoms([ops])
values.add_metrics([
    metric("requests", 1, cmmv.MMV_TYPE_U64, cmmv.MMV_SEM_COUNTER, count, 1, "requests served"),
    metric("sent", 2, cmmv.MMV_TYPE_U64, cmmv.MMV_SEM_COUNTER, kbyte, 0, "data sent"),
    metric("queue", 3, cmmv.MMV_TYPE_U32, cmmv.MMV_SEM_INSTANT, count, 0, "requests waiting"),
])
values.start()
get = values.lookup_mapping("requests", "get")
put = values.lookup_mapping("requests", "put")
sent = values.lookup_mapping("sent", None)
values.set(values.lookup_mapping("queue", None), 7)
print("ready", flush=True)
while True:
    values.add(get, 5)
    values.add(put, 1)
    values.add(sent, 2)
    time.sleep(0.1)
