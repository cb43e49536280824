#!/usr/bin/python3
"""Writes the foreign-made fixtures read by the tests of org.segmentation.core.io.

Run from anywhere with the system Python (NumPy, OpenCV 4.6, Pillow, scikit-image):

    /usr/bin/python3 segmentation-core/src/test/resources/io/make_io_fixtures.py

Every file lands beside this script. Nothing here is read at test time except the outputs.

* npy_*.npy     arrays written by NumPy itself (np.save / np.lib.format.write_array). Their values follow the
                formulas below, which the Java test recomputes independently.
* img_*.*       small images written by OpenCV's cv2.imwrite (PNG, TIFF, BMP, JPEG) or Pillow (palette PNG).
* expect_*.npy  the pixels of each image as decoded by cv2.imread (colour converted BGR -> RGB), or for palette
                PNGs the palette indices Pillow wrote; the Java readers must reproduce them (JPEG within a
                tolerance, everything else exactly).
"""
import os

import cv2
import numpy as np
from PIL import Image
from skimage import io as skio

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "..", "images")
W, H = 23, 17  # odd sizes, so row padding and 8x8 JPEG blocks do not line up with the image


def out(name):
    return os.path.join(HERE, name)


def save_npy(name, a, version=None):
    with open(out(name), "wb") as f:
        np.lib.format.write_array(f, a, version=version, allow_pickle=False)


# ------------------------------------------------------------------ .npy written by NumPy
i = np.arange(H * W, dtype=np.int64)

f4 = ((i - 150) / 8.0).astype(np.float32)  # multiples of 1/8: exact in float32
f4[:6] = [np.nan, np.inf, -np.inf, -0.0, np.float32(1e-45), np.finfo(np.float32).max]
save_npy("npy_f4.npy", f4.reshape(H, W))
save_npy("npy_f4_v2.npy", f4.reshape(H, W), version=(2, 0))

u1 = ((i * 37 + 11) % 256).astype(np.uint8)
save_npy("npy_u1.npy", u1.reshape(H, W))

u2 = ((i * 2654435761) % 65536).astype(np.uint16)
save_npy("npy_u2.npy", u2.reshape(H, W))
save_npy("npy_u2_v3.npy", u2.reshape(H, W), version=(3, 0))

i4 = ((i * 2654435761) % 2**32).astype(np.uint32).view(np.int32)  # wraps to both signs
save_npy("npy_i4.npy", i4.reshape(H, W))

c = np.arange(3 * H * W, dtype=np.int64)
save_npy("npy_f4_chw.npy", (c * 0.25 - 7.0).astype(np.float32).reshape(3, H, W))
save_npy("npy_u1_hwc.npy", ((c * 7) % 256).astype(np.uint8).reshape(H, W, 3))

yy, xx = np.mgrid[0:H, 0:W]
save_npy("npy_b1.npy", (xx * xx + yy) % 3 == 0)

# ------------------------------------------------------------------ images written by OpenCV and Pillow
gray8 = ((xx * 7 + yy * 13) % 256).astype(np.uint8)
gray16 = ((xx * 2003 + yy * 997 + 300) % 65536).astype(np.uint16)
rgb = np.dstack([(xx * 11) % 256, (yy * 15) % 256, (xx * yy * 3 + 50) % 256]).astype(np.uint8)
alpha = ((xx + yy) * 5 % 256).astype(np.uint8)


def write_cv(name, rgb_or_gray, params=()):
    a = rgb_or_gray
    if a.ndim == 3:
        a = cv2.cvtColor(a, cv2.COLOR_RGB2BGR if a.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    assert cv2.imwrite(out(name), a, list(params)), name
    back = cv2.imread(out(name), cv2.IMREAD_UNCHANGED)
    if back.ndim == 3:
        back = cv2.cvtColor(back, cv2.COLOR_BGR2RGB if back.shape[2] == 3 else cv2.COLOR_BGRA2RGBA)
    if not name.endswith(".jpg"):
        assert np.array_equal(back, rgb_or_gray), name  # lossless formats must give back what was written
    save_npy("expect_" + name.replace(".", "_") + ".npy", back)


write_cv("img_gray8.png", gray8)
write_cv("img_gray16.png", gray16)
write_cv("img_rgb.png", rgb)
write_cv("img_rgba.png", np.dstack([rgb, alpha]))
write_cv("img_gray8.tif", gray8)
# OpenCV's default TIFF compression is LZW with the horizontal-differencing predictor, which the JDK's TIFF
# decoder supports for 8-bit samples only; the 16-bit file is also written uncompressed.
write_cv("img_gray16.tif", gray16, (cv2.IMWRITE_TIFF_COMPRESSION, 1))
write_cv("img_gray16_lzw.tif", gray16)
write_cv("img_rgb16_lzw.tif", np.dstack([gray16, 65535 - gray16, (gray16 * 7) % 65536]).astype(np.uint16))
write_cv("img_rgb.tif", rgb)
write_cv("img_gray8.bmp", gray8)
write_cv("img_rgb.bmp", rgb)
write_cv("img_rgb.jpg", rgb, (cv2.IMWRITE_JPEG_QUALITY, 90))
write_cv("img_gray8.jpg", gray8, (cv2.IMWRITE_JPEG_QUALITY, 90))

# Palette PNGs: the label is the palette index, whatever colour the palette gives it.
voc = np.zeros((256, 3), np.uint8)
for label in range(256):
    r = g = b = 0
    cid = label
    for j in range(8):
        r |= ((cid >> 0) & 1) << (7 - j)
        g |= ((cid >> 1) & 1) << (7 - j)
        b |= ((cid >> 2) & 1) << (7 - j)
        cid >>= 3
    voc[label] = (r, g, b)
index = ((xx + 3 * yy) % 21).astype(np.uint8)
index[0, :5] = 255  # the VOC "void" label
im = Image.fromarray(index, mode="P")
im.putpalette(voc.tobytes())
im.save(out("img_pal_voc.png"))
save_npy("expect_img_pal_voc_png.npy", np.asarray(Image.open(out("img_pal_voc.png"))))
save_npy("expect_img_pal_voc_png_rgb.npy", voc[index])

# 16 colours in a scrambled order: Pillow writes a 4-bit palette PNG.
scrambled = np.random.default_rng(5).integers(0, 256, size=(16, 3), dtype=np.uint8)
index4 = ((xx * yy + xx) % 16).astype(np.uint8)
im = Image.fromarray(index4, mode="P")
im.putpalette(scrambled.tobytes())
im.save(out("img_pal4.png"))
with open(out("img_pal4.png"), "rb") as f:
    assert f.read(25)[24] == 4, "expected a 4-bit palette PNG"
save_npy("expect_img_pal4_png.npy", np.asarray(Image.open(out("img_pal4.png"))))
save_npy("expect_img_pal4_png_rgb.npy", scrambled[index4])

# Pillow-only layouts: 1-bit gray (the usual bilevel mask PNG) and gray + alpha, whose alpha must be ignored.
bilevel = (xx * 3 + yy * yy) % 5 < 2
Image.fromarray(bilevel).convert("1").save(out("img_mask1.png"))
with open(out("img_mask1.png"), "rb") as f:
    assert f.read(26)[24:26] == bytes([1, 0]), "expected a 1-bit gray PNG"
save_npy("expect_img_mask1_png.npy", np.asarray(Image.open(out("img_mask1.png"))).astype(np.uint8))
gray_alpha = np.dstack([gray8 * (xx % 2), 255 - gray8]).astype(np.uint8)  # every other column is 0 under alpha
Image.fromarray(gray_alpha, mode="LA").save(out("img_gray_alpha.png"))
save_npy("expect_img_gray_alpha_png.npy", np.asarray(Image.open(out("img_gray_alpha.png"))))

# ------------------------------------------------------------------ crops of the shared test images
save_npy("expect_camera_crop.npy", skio.imread(os.path.join(IMAGES, "camera.png"))[200:232, 240:272])
save_npy("expect_coins_crop.npy", skio.imread(os.path.join(IMAGES, "coins.png"))[100:132, 50:82])
fish = cv2.cvtColor(cv2.imread(os.path.join(IMAGES, "HappyFish.jpg"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
save_npy("expect_happyfish_crop.npy", fish[60:124, 100:164])
print("fixtures written to", HERE)
