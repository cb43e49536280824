"""The timing rules shared by the peer scripts of `seg bench` (classic_peers.py, torch_peers.py).

A peer script adds these options to its parser, builds (call, prepare) for its workload and prints the one
JSON line that org.segmentation.bench.compare.ComparisonRunner reads:

    add_options(parser, default_threads)
    times, result = time_calls(call, prepare, args)
    print_result(args, times, threads=..., version=..., check=...)

prepare() runs untimed before every call and returns the call's argument (e.g. a copy of an input the call
modifies); call(arg) is what is timed, with time.perf_counter.
"""
import json
import statistics
import time


def add_options(parser, default_threads):
    """The options every peer script takes besides --workload, --peer, --inputs and the workload's params."""
    parser.add_argument("--repeats", type=int, default=15, help="timed calls at most (default 15)")
    parser.add_argument("--budget", type=float, default=3.0, help="seconds of timed calls at most (default 3)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls first (default 2)")
    parser.add_argument("--threads", type=int, default=default_threads,
                        help="threads the library is told to use (default %d)" % default_threads)


def time_calls(call, prepare, args):
    """--warmup untimed calls, then timed calls until --repeats calls or --budget seconds (at least 3 calls).

    Returns (times in milliseconds, the last call's result)."""
    prepare = prepare or (lambda: None)
    result = None
    for _ in range(args.warmup):
        result = call(prepare())
    times = []
    start = time.perf_counter()
    while len(times) < args.repeats and (len(times) < 3 or time.perf_counter() - start < args.budget):
        arg = prepare()
        t0 = time.perf_counter()
        result = call(arg)
        times.append((time.perf_counter() - t0) * 1e3)
    return times, result


def print_result(args, times, params, threads, version, check):
    """Prints the JSON line: workload, peer, the workload's params, the median and all times, threads, version,
    check."""
    line = {"workload": args.workload, "peer": args.peer}
    line.update(params)
    line.update({"median_ms": statistics.median(times), "times_ms": times, "threads": threads, "version": version,
                 "check": check})
    print(json.dumps(line))
