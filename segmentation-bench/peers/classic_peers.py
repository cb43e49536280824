#!/usr/bin/python3
"""Peer timings of the classic workloads: OpenCV and scikit-image on the inputs `seg bench` writes.

Run with the system Python that has python3-opencv and python3-skimage (/usr/bin/python3 on Debian):

    /usr/bin/python3 classic_peers.py --workload otsu --peer opencv --inputs DIR --size 4096

It reads DIR/<workload>_<size>[_part].npy (written by org.segmentation.bench.classic.ClassicInputs), times
the calls by the rules of peer_timing.py (--warmup untimed calls, then until --repeats calls or --budget
seconds, at least 3 calls), and prints one JSON line: the median and all times in milliseconds, the thread
count, the library version, and a check value computed from the result (threshold, region count, ...) that
the Java side computes the same way on its own result.

Each timed call does what the Java benchmark's call does; any copy the peer needs because it modifies its
input (cv2.watershed's markers) is made before the clock starts.
"""
import argparse
import sys

import numpy as np

import peer_timing


def load(args, part=""):
    return np.load("%s/%s_%d%s.npy" % (args.inputs, args.workload, args.size, part))


# Every workload returns (call, prepare, check): prepare() runs untimed before each call and returns its
# argument; call(arg) is timed; check(result) summarises the last result for the sanity column.

def otsu(args, cv2):
    img = load(args)
    if args.peer == "opencv":
        def call(_):
            return cv2.threshold(img, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        return call, None, lambda r: int(r[0])
    from skimage.filters import threshold_otsu

    def call(_):
        t = threshold_otsu(img)
        return t, img > t
    return call, None, lambda r: int(r[0])


def multi_otsu(args, cv2):
    from skimage.filters import threshold_multiotsu
    img = load(args)

    def call(_):
        t = threshold_multiotsu(img, classes=3)
        return t, np.digitize(img, bins=t)
    return call, None, lambda r: [int(v) for v in r[0]]


def watershed(args, cv2):
    elev = load(args, "_elevation")
    markers = load(args, "_markers")
    if args.peer == "opencv":
        # cv2.watershed floods a 3-channel 8-bit image by the largest channel difference between neighbours;
        # given the elevation in all three channels, its priorities are |elevation(p) - elevation(q)|.
        elev3 = np.ascontiguousarray(np.dstack([elev, elev, elev]))

        def prepare():
            return markers.copy()

        def call(m):
            return cv2.watershed(elev3, m)
        return call, prepare, label_sum
    from skimage.segmentation import watershed as sk_watershed

    def call(_):
        return sk_watershed(elev, markers, connectivity=1)
    return call, None, label_sum


def label_sum(labels):
    """Sum of the positive labels: equal for two label maps that agree (cv2's -1 watershed lines left out)."""
    return int(labels[labels > 0].sum(dtype=np.int64))


def kmeans(args, cv2):
    img = load(args)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 0.0)

    def prepare():
        cv2.setRNGSeed(42)
        return None

    def call(_):
        data = img.reshape(-1, 3).astype(np.float32)
        return cv2.kmeans(data, 4, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    # compactness: the sum of squared distances to the centres, the Java side's inertia
    return call, prepare, lambda r: float("%.6g" % r[0])


def flood(args, cv2):
    img = load(args)
    seed_x, seed_y, tol = 40, 40, 16
    if args.peer == "opencv":
        h, w = img.shape
        flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8)

        def call(_):
            mask = np.zeros((h + 2, w + 2), np.uint8)
            cv2.floodFill(img, mask, (seed_x, seed_y), 0, tol, tol, flags)
            return mask
        return call, None, lambda r: int(np.count_nonzero(r[1:-1, 1:-1]))
    from skimage.segmentation import flood as sk_flood

    def call(_):
        return sk_flood(img, (seed_y, seed_x), tolerance=tol, connectivity=1)
    return call, None, lambda r: int(np.count_nonzero(r))


def connected_components(args, cv2):
    binary = load(args).astype(np.uint8)
    if args.peer == "opencv":
        def call(_):
            return cv2.connectedComponents(binary, connectivity=8, ltype=cv2.CV_32S)
        return call, None, lambda r: int(r[0] - 1)
    from skimage.measure import label

    def call(_):
        return label(binary, connectivity=2, return_num=True)
    return call, None, lambda r: int(r[1])


WORKLOADS = {
    "otsu": (otsu, ("opencv", "skimage")),
    "multi-otsu": (multi_otsu, ("skimage",)),
    "watershed": (watershed, ("opencv", "skimage")),
    "kmeans": (kmeans, ("opencv",)),
    "flood": (flood, ("opencv", "skimage")),
    "connected-components": (connected_components, ("opencv", "skimage")),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    p.add_argument("--peer", required=True, choices=("opencv", "skimage"))
    p.add_argument("--inputs", required=True, help="folder of the .npy inputs")
    p.add_argument("--size", required=True, type=int)
    peer_timing.add_options(p, default_threads=1)
    args = p.parse_args()

    import cv2
    cv2.setNumThreads(args.threads)
    make, peers = WORKLOADS[args.workload]
    if args.peer not in peers:
        sys.exit("workload %s has no %s peer" % (args.workload, args.peer))
    call, prepare, check = make(args, cv2)
    times, result = peer_timing.time_calls(call, prepare, args)
    if args.peer == "opencv":
        version = "opencv " + cv2.__version__
    else:
        import skimage
        version = "scikit-image " + skimage.__version__
    peer_timing.print_result(args, times, {"size": args.size},
                             threads=cv2.getNumThreads() if args.peer == "opencv" else 1, version=version,
                             check=check(result))


if __name__ == "__main__":
    main()
