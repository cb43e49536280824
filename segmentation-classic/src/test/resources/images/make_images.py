"""Copies the real test images, downscaled, into this directory as PNG (lossless, so Java and Python read
identical pixels). Run with the system Python: /usr/bin/python3 make_images.py"""
import os

import cv2
from skimage import data, io

cv2.setNumThreads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
SK = os.path.dirname(data.__file__)


def save(name, img, scale=1.0):
    if scale != 1.0:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    io.imsave(os.path.join(HERE, name + ".png"), img, check_contrast=False)
    print(name, img.shape, img.dtype)


save("camera", io.imread(os.path.join(SK, "camera.png")), 0.5)
save("coins", io.imread(os.path.join(SK, "coins.png")))
save("moon", io.imread(os.path.join(SK, "moon.png")), 0.5)
save("page", io.imread(os.path.join(SK, "page.png")))
save("astronaut", io.imread(os.path.join(SK, "astronaut.png")), 1 / 3)
save("chelsea", io.imread(os.path.join(SK, "chelsea.png")), 1 / 3)
save("coffee", io.imread(os.path.join(SK, "coffee.png")), 1 / 3)
