"""Golden files for ConnectedComponentsTest: skimage.measure.label on binarised real images.

Run with the system Python (scikit-image 0.19, OpenCV 4.6):
    /usr/bin/python3 make_golden.py
from this directory. Writes <name>_mask.png (8-bit, 0/255) and <name>_labels_c1.png / _c2.png (16-bit labels).
"""
import os

import cv2
import numpy as np
from skimage import data, measure

cv2.setNumThreads(1)
HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, mask):
    cv2.imwrite(os.path.join(HERE, name + "_mask.png"), mask.astype(np.uint8) * 255)
    for c in (1, 2):
        lab = measure.label(mask, connectivity=c, background=0)
        assert lab.max() < 65536
        cv2.imwrite(os.path.join(HERE, "%s_labels_c%d.png" % (name, c)), lab.astype(np.uint16))
        print(name, "connectivity", c, "components", lab.max())


# coins: Otsu foreground, many small specks plus the 24 coins.
coins = data.coins()
_, m = cv2.threshold(coins, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
write("coins", m > 0)
# page: dark text on a lit page, cropped; many letters, diagonal touches differ between 4 and 8.
page = data.page()
write("page", page < 100)
