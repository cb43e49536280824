"""Golden values for org.segmentation.core.metrics, from scikit-image 0.19.

Run with the system Python (it has skimage 0.19, scipy, numpy, OpenCV):
    /usr/bin/python3 make_metrics_goldens.py
from this directory. It writes label images as 16-bit PNG and the reference numbers as ``key=value`` lines in
metrics_goldens.txt (floats in repr form, i.e. round-trip exact; ``inf`` for infinity).

Segmentations: two real skimage images at reduced size (camera 128x128, coins 152x192, by plain subsampling),
each thresholded at two levels and labelled (8-connectivity); a third segmentation thresholds a shifted, noisy
copy of the image. Pairs (a, b) and (a, c) are scored with skimage.metrics; percentile Hausdorff distances and
instance matching (scipy.optimize.linear_sum_assignment) are brute-force references written here.
"""
import os

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment
import skimage
from skimage import data, measure, metrics, segmentation

assert skimage.__version__.startswith('0.19'), skimage.__version__

out_dir = os.path.dirname(os.path.abspath(__file__))
lines = ['# made by make_metrics_goldens.py with scikit-image ' + skimage.__version__]


def put(key, value):
    value = float(value)
    lines.append('%s=%s' % (key, 'inf' if np.isinf(value) else repr(value)))


def save_labels(name, labels):
    assert labels.max() < 65536
    cv2.imwrite(os.path.join(out_dir, name + '.png'), labels.astype(np.uint16))
    back = cv2.imread(os.path.join(out_dir, name + '.png'), cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint16 and np.array_equal(back, labels)


def pooled_percentile_hd(a, b, q):
    """Brute-force: every on pixel of a to its nearest on pixel of b and vice versa, pooled, numpy percentile."""
    pa = np.argwhere(a)
    pb = np.argwhere(b)
    if len(pa) == 0 or len(pb) == 0:
        return 0.0 if len(pa) == len(pb) else np.inf
    d = np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(-1).astype(np.float64))
    pooled = np.concatenate([d.min(axis=1), d.min(axis=0)])
    return np.percentile(pooled, q)  # default 'linear' interpolation


def instance_scores(t, p, thr):
    """Optimal instance matching at an IoU threshold: most pairs, then largest IoU sum (the StarDist criterion),
    solved by scipy's linear_sum_assignment on a dense matrix. Labels are consecutive 1..n (from measure.label)."""
    nt, npred = t.max(), p.max()
    inter = np.bincount((t.astype(np.int64) * (npred + 1) + p).ravel(),
                        minlength=(nt + 1) * (npred + 1)).reshape(nt + 1, npred + 1)[1:, 1:]
    st = np.bincount(t.ravel(), minlength=nt + 1)[1:]
    sp = np.bincount(p.ravel(), minlength=npred + 1)[1:]
    iou = inter / (st[:, None] + sp[None, :] - inter)
    cand = (iou >= thr) & (inter > 0)
    weight = np.where(cand, min(nt, npred) + 1.0 + iou, 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    ok = cand[rows, cols]
    tp = int(ok.sum())
    return tp, int(npred - tp), int(nt - tp), (iou[rows, cols][ok].sum() / tp if tp else np.nan)


rng = np.random.default_rng(2019)
images = {
    'camera': (data.camera()[::4, ::4], (60, 140)),
    'coins': (data.coins()[::2, ::2], (100, 150)),
}
for name, (img, (t1, t2)) in images.items():
    img = img.astype(np.float64)
    noisy = np.roll(img, (2, -1), axis=(0, 1)) + rng.normal(0, 20, img.shape)
    segs = {
        'a': measure.label(img > t1),
        'b': measure.label(img > t2),
        'c': measure.label(noisy > t1),
    }
    for s, lab in segs.items():
        save_labels('%s_%s' % (name, s), lab)
        put('%s_%s.labels' % (name, s), lab.max())
    for x, y in (('a', 'b'), ('a', 'c')):
        key = '%s_%s_%s' % (name, x, y)
        t, p = segs[x], segs[y]
        err, prec, rec = metrics.adapted_rand_error(t, p)
        put(key + '.are.error', err)
        put(key + '.are.precision', prec)
        put(key + '.are.recall', rec)
        err, prec, rec = metrics.adapted_rand_error(t, p, ignore_labels=())
        put(key + '.are_noignore.error', err)
        put(key + '.are_noignore.precision', prec)
        put(key + '.are_noignore.recall', rec)
        split, merge = metrics.variation_of_information(t, p)
        put(key + '.vi.split', split)
        put(key + '.vi.merge', merge)
        split, merge = metrics.variation_of_information(t, p, ignore_labels=(0,))
        put(key + '.vi_ignore0.split', split)
        put(key + '.vi_ignore0.merge', merge)
        put(key + '.hausdorff', metrics.hausdorff_distance(t > 0, p > 0))
        put(key + '.hd95', pooled_percentile_hd(t > 0, p > 0, 95))
        # Boundary pixels (find_boundaries 'thick', connectivity 1) differ more than the masks themselves.
        bt = segmentation.find_boundaries(t, connectivity=1, mode='thick')
        bp = segmentation.find_boundaries(p, connectivity=1, mode='thick')
        put(key + '.boundaries.hausdorff', metrics.hausdorff_distance(bt, bp))
        put(key + '.boundaries.hd95', pooled_percentile_hd(bt, bp, 95))
        put(key + '.boundaries.hd80', pooled_percentile_hd(bt, bp, 80))
    for x, y in (('a', 'b'), ('a', 'c'), ('b', 'c')):
        key = '%s_%s_%s.inst' % (name, x, y)
        for thr in (0.1, 0.3, 0.5, 0.75):
            tp, fp, fn, miou = instance_scores(segs[x], segs[y], thr)
            put('%s.%s.tp' % (key, thr), tp)
            put('%s.%s.fp' % (key, thr), fp)
            put('%s.%s.fn' % (key, thr), fn)
            if tp:
                put('%s.%s.miou' % (key, thr), miou)
        aps = []
        for k in range(10):
            tp, fp, fn, _ = instance_scores(segs[x], segs[y], (10 + k) / 20.0)
            aps.append(tp / (tp + fp + fn))
        put(key + '.map', np.mean(aps))
    # Boundaries: every pixel with a 4-neighbour of another label (find_boundaries 'thick', connectivity 1).
    bnd = segmentation.find_boundaries(segs['a'], connectivity=1, mode='thick')
    cv2.imwrite(os.path.join(out_dir, name + '_a_boundaries.png'), bnd.astype(np.uint8) * 255)

with open(os.path.join(out_dir, 'metrics_goldens.txt'), 'w') as f:
    f.write('\n'.join(lines) + '\n')
