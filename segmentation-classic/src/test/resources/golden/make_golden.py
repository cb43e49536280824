"""Golden files for the segmentation-classic tests, computed by OpenCV 4.6 and scikit-image 0.19 on the PNG
images in ../images (made by ../images/make_images.py). Run with the system Python from this directory:
    /usr/bin/python3 make_golden.py [section ...]
Sections: threshold, flood, watershed, markers, kmeans (default: all)."""
import json
import os
import sys

import cv2
import numpy as np
from skimage import filters, io, segmentation

cv2.setNumThreads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "..", "images")
GRAY = ["camera", "coins", "moon", "page"]
COLOUR = ["astronaut", "chelsea", "coffee"]
WIDE = ["camera", "coins", "moon", "chelsea"]  # also tested as 16-bit and float


def load(name):
    return io.imread(os.path.join(IMAGES, name + ".png"))


def gray(name):
    img = load(name)
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def dump(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)


def threshold():
    out = {"otsu_u8": {}, "otsu_u16": {}, "otsu_f32": {}, "multiotsu": {}}
    os.makedirs(os.path.join(HERE, "threshold"), exist_ok=True)
    for name in GRAY + COLOUR:
        g = gray(name)
        t, _ = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        out["otsu_u8"][name] = int(t)
        out["multiotsu"][name] = {str(c): [int(v) for v in filters.threshold_multiotsu(g, classes=c)]
                                  for c in range(2, 6)}
        if name not in WIDE:
            continue
        # A 16-bit image with many levels: the gray image at half size times 257, smoothed so that values between
        # the 8-bit levels occur.
        small = cv2.resize(g, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        u16 = np.round(cv2.GaussianBlur(small.astype(np.float64) * 257.0, (5, 5), 1.5)).astype(np.uint16)
        cv2.imwrite(os.path.join(HERE, "threshold", name + "_u16.png"), u16)
        out["otsu_u16"][name] = int(filters.threshold_otsu(u16))
        # The float image is that 16-bit image / 65535 in single precision (the Java test does the same).
        f = u16.astype(np.float32) / np.float32(65535)
        out["otsu_f32"][name] = {"threshold": float(filters.threshold_otsu(f, nbins=256)),
                                 "bin_width": float((f.max() - f.min()) / 256)}
        out.setdefault("multiotsu_f32", {})[name] = {
            str(c): [float(v) for v in filters.threshold_multiotsu(f, classes=c, nbins=256)] for c in range(2, 6)}
    dump("threshold.json", out)


FLOOD_SEEDS = {  # (x, y) and tolerance of each flood; gray images are flooded as gray, colour ones as RGB
    "camera": ((60, 40), 12), "coins": ((10, 10), 25), "moon": ((128, 128), 10), "page": ((288, 47), 15),
    "astronaut": ((42, 42), 25), "chelsea": ((112, 25), 25), "coffee": ((150, 33), 25)}


def cv_flood(img, seed, tol, conn):
    mask = np.zeros((img.shape[0] + 2, img.shape[1] + 2), np.uint8)
    diff = (tol,) * 3 if img.ndim == 3 else tol
    cv2.floodFill(img.copy(), mask, seed, 0, diff, diff, conn | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY
                  | (1 << 8))
    return mask[1:-1, 1:-1] > 0


def flood():
    """<name>_flood.png: bit 0 the 4-connected fill, bit 1 the 8-connected fill, from FLOOD_SEEDS."""
    os.makedirs(os.path.join(HERE, "flood"), exist_ok=True)
    meta = {}
    for name, ((x, y), tol) in FLOOD_SEEDS.items():
        img = load(name)
        out = np.zeros(img.shape[:2], np.uint8)
        for bit, conn in ((0, 4), (1, 8)):
            m = cv_flood(img, (x, y), tol, conn)
            if img.ndim == 2:
                sk = segmentation.flood(img, (y, x), connectivity=1 if conn == 4 else 2, tolerance=tol)
                assert (sk == m).all(), (name, conn, int((sk != m).sum()))
            out |= (m.astype(np.uint8) << bit)
            meta.setdefault(name, {})[str(conn)] = int(m.sum())
        meta[name]["seed"] = [x, y]
        meta[name]["tolerance"] = tol
        cv2.imwrite(os.path.join(HERE, "flood", name + "_flood.png"), out)
    dump("flood.json", meta)


def watershed():
    """Per image: <name>_elev.png (8-bit Sobel magnitude), <name>_markers.png (16-bit labels of the flat,
    low-gradient areas of at least 20 pixels) and skimage.segmentation.watershed results as 16-bit labels:
    _c1, _c2 (connectivity 1, 2), _c1_line (watershed_line=True), _c2_compact (compactness=0.5), _c1_mask
    (mask = gray > 40). camera also gets a 16-bit elevation on a crop (_crop_*)."""
    from skimage import measure, morphology
    os.makedirs(os.path.join(HERE, "watershed"), exist_ok=True)
    counts = {}

    def save(name, suffix, a):
        cv2.imwrite(os.path.join(HERE, "watershed", name + suffix + ".png"), a.astype(np.uint16))

    for name in GRAY + COLOUR:
        g = gray(name)
        sob = filters.sobel(g)
        elev = np.clip(np.round(sob * (255.0 / sob.max())), 0, 255).astype(np.uint8)
        flat = morphology.remove_small_objects(elev <= 4, 20)
        markers = measure.label(flat, connectivity=1)
        cv2.imwrite(os.path.join(HERE, "watershed", name + "_elev.png"), elev)
        save(name, "_markers", markers)
        save(name, "_c1", segmentation.watershed(elev, markers, connectivity=1))
        save(name, "_c2", segmentation.watershed(elev, markers, connectivity=2))
        save(name, "_c1_line", segmentation.watershed(elev, markers, connectivity=1, watershed_line=True))
        save(name, "_c2_compact", segmentation.watershed(elev, markers, connectivity=2, compactness=0.5))
        save(name, "_c1_mask", segmentation.watershed(elev, markers, connectivity=1, mask=g > 40))
        counts[name] = int(markers.max())
        if name == "camera":  # 16-bit elevation on a 128x128 crop, to keep the files small
            crop = (slice(64, 192), slice(64, 192))
            e16 = np.round(sob * (65535.0 / sob.max())).astype(np.uint16)[crop]
            save(name, "_crop_elev16", e16)
            save(name, "_crop_markers", markers[crop])
            save(name, "_crop_c2_u16", segmentation.watershed(e16, markers[crop], connectivity=2))
    dump("watershed.json", {"markers": counts})


def markers():
    """Marker goldens: regional maxima of camera (connectivity 1 and 2, bits 0 and 1 of camera_maxima.png),
    h-maxima of camera with h=40 (camera_hmax40.png), and the coins split pipeline: white top-hat with disk(30)
    (coins_tophat30.png), Otsu, fill holes, opening with disk(3), EDT, peak_local_max(min_distance=10, threshold_abs=0, exclude_border=False), watershed of -EDT from
    the peaks inside the foreground (coins_split.png, 16-bit labels; peaks in markers.json)."""
    from scipy import ndimage as ndi
    from skimage import feature, morphology
    os.makedirs(os.path.join(HERE, "markers"), exist_ok=True)
    g = gray("camera")
    m1 = morphology.local_maxima(g, connectivity=1)
    m2 = morphology.local_maxima(g, connectivity=2)
    cv2.imwrite(os.path.join(HERE, "markers", "camera_maxima.png"), m1.astype(np.uint8) | (m2.astype(np.uint8) << 1))
    cv2.imwrite(os.path.join(HERE, "markers", "camera_hmax40.png"), morphology.h_maxima(g, 40).astype(np.uint8))
    c = morphology.white_tophat(gray("coins"), morphology.disk(30))
    cv2.imwrite(os.path.join(HERE, "markers", "coins_tophat30.png"), c)
    t, _ = cv2.threshold(c, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    fg = morphology.binary_opening(ndi.binary_fill_holes(c > t), morphology.disk(3))
    dist = ndi.distance_transform_edt(fg)
    peaks = feature.peak_local_max(dist, min_distance=10, threshold_abs=0, exclude_border=False)
    pm = np.zeros(c.shape, bool)
    pm[tuple(peaks.T)] = True
    mk, n = ndi.label(pm)
    labels = segmentation.watershed(-dist, mk, mask=fg, connectivity=2)
    cv2.imwrite(os.path.join(HERE, "markers", "coins_split.png"), labels.astype(np.uint16))
    dump("markers.json", {"coins_peaks_xy": sorted([[int(p[1]), int(p[0])] for p in peaks]), "coins_count": int(n),
                          "camera_maxima_c1": int(m1.sum()), "camera_maxima_c2": int(m2.sum()),
                          "camera_hmax40": int(morphology.h_maxima(g, 40).sum())})


def kmeans():
    """cv2.kmeans compactness (sum of squared distances) with KMEANS_PP_CENTERS, attempts=3, criteria
    (EPS + MAX_ITER, 100 iterations, eps 1e-3), on pixel features: rgb (R, G, B), gray (cv2 luma), lab (skimage
    rgb2lab), rgbxy (R, G, B, 0.5 x, 0.5 y). k-means is randomised and single runs (of either library) often end in
    local minima a few percent apart, so each entry is the best over the RNG seeds 0..2 (the Java test takes the
    best of three seeds too), which is stable to well under 1%."""
    from skimage import color
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 100, 1e-3)
    out = {}
    for name in GRAY + COLOUR:
        img = load(name)
        feats = {"gray": gray(name).reshape(-1, 1).astype(np.float32)}
        if img.ndim == 3:
            h, w = img.shape[:2]
            rgb = img.reshape(-1, 3).astype(np.float32)
            yy, xx = np.mgrid[:h, :w]
            feats["rgb"] = rgb
            feats["lab"] = color.rgb2lab(img).reshape(-1, 3).astype(np.float32)
            feats["rgbxy"] = np.hstack([rgb, 0.5 * xx.reshape(-1, 1).astype(np.float32),
                                        0.5 * yy.reshape(-1, 1).astype(np.float32)]).astype(np.float32)
        for fname, data in feats.items():
            for k in ((4, 8) if fname in ("rgb", "gray") else (4,)):
                runs = []
                for seed in range(3):
                    cv2.setRNGSeed(seed)
                    runs.append(cv2.kmeans(data, k, None, crit, 3, cv2.KMEANS_PP_CENTERS)[0])
                out["%s/%s/%d" % (name, fname, k)] = float(np.min(runs))
    dump("kmeans.json", out)


if __name__ == "__main__":
    sections = sys.argv[1:] or ["threshold", "flood", "watershed", "markers", "kmeans"]
    for s in sections:
        if s in globals():
            globals()[s]()
