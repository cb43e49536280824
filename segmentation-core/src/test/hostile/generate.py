#!/usr/bin/python3
"""Writes the hostile-input corpus: files that a reader of this library must refuse with a typed error naming the
file and the problem, or read correctly (the unusual but valid ones), and cases.tsv, which says which.

Run from anywhere: /usr/bin/python3 segmentation-core/src/test/hostile/generate.py. Only the standard library is used, and every
file is built byte by byte, so the output is the same on every machine. The tests
(org.segmentation.bench.cli.HostileCorpusTest) read cases.tsv; each line is

    id <TAB> reader <TAB> file <TAB> expected

reader: image (every ImageFiles reader), npy (NpyFiles.read), safetensors (SafeTensors.read), coco
(CocoDataset.read, with the image files looked up in files/);
expected: "ok" or "error:<text the message must contain>". Cases that need a trained model or a dataset folder
are built by the test itself from a freshly trained tiny model, and CLI parameter cases are listed in the test.
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "files")
os.makedirs(FILES, exist_ok=True)
cases = []


def put(name, data, reader, expected):
    path = os.path.join(FILES, name)
    with open(path, "wb") as f:
        f.write(data)
    cases.append((os.path.splitext(name)[0], reader, "files/" + name, expected))


# ---------------------------------------------------------------- PNG

def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(w, h, bit_depth=8, color=0, rows=None, extra=b"", idat=None):
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color, 0, 0, 0))
    if idat is None:
        idat = zlib.compress(b"".join(b"\x00" + r for r in rows), 9)
    return b"\x89PNG\r\n\x1a\n" + ihdr + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zero_stream(total):
    """A zlib stream of `total` zero bytes, compressed chunk by chunk so that no large buffer is built."""
    c = zlib.compressobj(9)
    out = []
    block = bytes(1 << 20)
    left = total
    while left > 0:
        n = min(left, len(block))
        out.append(c.compress(block[:n]))
        left -= n
    out.append(c.flush())
    return b"".join(out)


gray4 = [bytes([0, 64, 128, 255]) for _ in range(4)]
good = png(4, 4, rows=gray4)
put("png_ok_gray.png", good, "image", "ok")
put("png_ok_1x1.png", png(1, 1, rows=[b"\x07"]), "image", "ok")
put("png_ok_16bit.png", png(3, 2, 16, 0, rows=[b"\x00\x00\x80\x00\xff\xff"] * 2), "image", "ok")
put("png_ok_gray_alpha.png", png(2, 2, 8, 4, rows=[b"\x10\xff\x20\x00"] * 2), "image", "ok")
put("png_ok_rgba.png", png(2, 2, 8, 6, rows=[b"\x10\x20\x30\xff\x40\x50\x60\x00"] * 2), "image", "ok")
plte = chunk(b"PLTE", bytes([0, 0, 0, 255, 0, 0, 0, 255, 0]))
put("png_ok_palette.png", png(3, 1, 8, 3, rows=[b"\x00\x01\x02"], extra=plte), "image", "ok")
put("png_truncated.png", good[: len(good) // 2], "image", "error:")
bad_crc = bytearray(good)
bad_crc[-20] ^= 0xFF  # a byte of the IDAT data; its CRC no longer matches
put("png_bad_crc.png", bytes(bad_crc), "image", "error:")
put("png_empty.png", b"", "image", "error:empty")
put("png_signature_only.png", b"\x89PNG\r\n\x1a\n", "image", "error:")
put("png_bomb_ihdr_100000.png", png(100000, 100000, idat=zlib.compress(b"\x00" * 100001)), "image",
    "error:more than the limit")
# The bomb: 16384 x 16384 gray zeros, a real zlib stream of 268 MB in about 260 KB.
put("png_bomb_16384.png", png(16384, 16384, idat=zero_stream(16384 * 16385)), "image", "error:more than the limit")
put("png_bomb_rgba_16384.png", png(16384, 16384, 8, 6, idat=zero_stream(1 << 20)), "image",
    "error:more than the limit")
put("png_bomb_just_over_limit.png", png(4097, 4096, idat=zero_stream(4096 * 4098)), "image",
    "error:more than the limit")
put("png_zero_width.png", png(0, 4, idat=zlib.compress(b"\x00" * 4)), "image", "error:")
put("png_width_2pow31.png", png(0x80000000, 1, idat=zlib.compress(b"\x00")), "image", "error:")
put("png_bit_depth_7.png", png(4, 4, 7, 0, rows=gray4), "image", "error:")
put("png_no_idat.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
    + chunk(b"IEND", b""), "image", "error:")
put("png_idat_garbage.png", png(4, 4, idat=b"\x78\x9c" + bytes(range(200, 250))), "image", "error:")
put("png_palette_missing_plte.png", png(3, 1, 8, 3, rows=[b"\x00\x01\x02"]), "image", "error:")
put("png_short_rows.png", png(4, 4, idat=zlib.compress(b"\x00\x01\x02")), "image", "error:")

# ---------------------------------------------------------------- other formats

put("gif_image.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "image", "error:unknown image format")
put("text_file.png", b"this is not an image\n", "image", "error:unknown image format")


def jpeg_sof(w, h):
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, h, w, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + sof + b"\xff\xd9"


# The JDK decoder refuses this one before its size is asked (no SOS marker); the PNG and TIFF bombs test the limit.
put("jpeg_sof_65535.jpg", jpeg_sof(65535, 65535), "image", "error:")
put("jpeg_sof_only.jpg", jpeg_sof(8, 8), "image", "error:")
put("jpeg_soi_garbage.jpg", b"\xff\xd8" + bytes(range(256)) * 4, "image", "error:")
put("jpeg_soi_only.jpg", b"\xff\xd8", "image", "error:")


def tiff(w, h, bits, fmt, data, spp=1, offset=None, count=None):
    """A little-endian baseline TIFF, one uncompressed strip; fmt is SampleFormat (1 uint, 2 int, 3 float)."""
    entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, bits), (259, 3, 1, 1), (262, 3, 1, 1 if spp == 1 else 2),
               (273, 4, 1, 0), (277, 3, 1, spp), (278, 4, 1, h), (279, 4, 1, len(data) if count is None else count),
               (339, 3, 1, fmt)]
    ifd_size = 2 + 12 * len(entries) + 4
    data_at = 8 + ifd_size
    out = bytearray(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries)))
    for tag, typ, n, value in entries:
        if tag == 273:
            value = data_at if offset is None else offset
        packed = struct.pack("<H", value) + b"\x00\x00" if typ == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, typ, n) + packed
    out += struct.pack("<I", 0)
    return bytes(out) + data


put("tiff_float32_unit.tif", tiff(3, 1, 32, 3, struct.pack("<3f", 0.0, 0.5, 1.0)), "image", "ok")
put("tiff_float64_unit.tif", tiff(3, 1, 64, 3, struct.pack("<3d", 0.0, 0.25, 1.0)), "image", "ok")
put("tiff_int16_signed.tif", tiff(3, 1, 16, 2, struct.pack("<3h", -1000, 0, 1000)), "image", "ok")
put("tiff_float32_255.tif", tiff(3, 1, 32, 3, struct.pack("<3f", 0.0, 128.0, 255.0)), "image", "error:not in [0, 1]")
put("tiff_float32_nan.tif", tiff(3, 1, 32, 3, struct.pack("<3f", 0.0, float("nan"), 1.0)), "image",
    "error:NaN and infinite")
put("tiff_float32_inf.tif", tiff(3, 1, 32, 3, struct.pack("<3f", 0.0, float("inf"), 1.0)), "image",
    "error:NaN and infinite")
put("tiff_float64_neg_inf.tif", tiff(3, 1, 64, 3, struct.pack("<3d", float("-inf"), 0.0, 1.0)), "image",
    "error:NaN and infinite")
put("tiff_huge_dims.tif", tiff(100000, 100000, 8, 1, b"\x00" * 16), "image", "error:more than the limit")
put("tiff_strip_beyond_file.tif", tiff(4, 4, 8, 1, b"\x00" * 16, offset=1 << 30), "image", "error:")
put("tiff_truncated.tif", tiff(64, 64, 8, 1, b"\x00" * 4096)[:600], "image", "error:")
put("tiff_header_only.tif", b"II*\x00\x08\x00\x00\x00", "image", "error:")
put("tiff_ifd_beyond_file.tif", b"II*\x00" + struct.pack("<I", 1 << 30), "image", "error:")


def bmp(w, h, bpp=24, pixels=None, data_offset=54):
    row = (w * bpp // 8 + 3) // 4 * 4
    if pixels is None:
        pixels = b"\x00" * row * abs(h)
    header = b"BM" + struct.pack("<IHHI", data_offset + len(pixels), 0, 0, data_offset)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, bpp, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


put("bmp_ok_top_down.bmp", bmp(2, -2), "image", "ok")
put("bmp_huge_dims.bmp", bmp(100000, 100000, pixels=b"\x00" * 64), "image", "error:")
put("bmp_truncated.bmp", bmp(64, 64)[:200], "image", "error:")
put("bmp_bpp_13.bmp", bmp(4, 4, 13, pixels=b"\x00" * 64), "image", "error:")
put("bmp_offset_beyond_file.bmp", bmp(4, 4, data_offset=1 << 30), "image", "error:")

# ---------------------------------------------------------------- .npy


def npy(header, data=b"", version=1):
    text = header.encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<H", len(text)) + text + data


put("npy_ok_f4.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", struct.pack("<4f", 1, 2, 3, 4)),
    "npy", "ok")
put("npy_huge_shape.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }"),
    "npy", "error:")
put("npy_negative_shape.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }"), "npy", "error:")
put("npy_object_dtype.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"\x80\x04N."), "npy",
    "error:")
put("npy_pickle_payload.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                                  b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x93."),
    "npy", "error:")
put("npy_fortran_order.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", b"\x00" * 16),
    "npy", "error:")
put("npy_truncated_data.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100, 100), }", b"\x00" * 64),
    "npy", "error:")
put("npy_bad_magic.npy", b"\x93NUMPX\x01\x00" + b"\x00" * 60, "npy", "error:")
put("npy_header_beyond_file.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr'", "npy", "error:")
put("npy_complex_dtype.npy", npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", b"\x00" * 16), "npy",
    "error:")
put("npy_big_endian.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", b"\x00" * 4), "npy",
    "error:")
put("npy_header_not_dict.npy", npy("__import__('os').system('true')", b""), "npy", "error:")
put("npy_shape_overflow.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
    "npy", "error:")
put("npy_version_9.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", b"\x00" * 4, version=9),
    "npy", "error:")

# ---------------------------------------------------------------- safetensors


def st(header, data=b"", length=None):
    h = header.encode("utf-8")
    return struct.pack("<Q", len(h) if length is None else length) + h + data


put("st_ok.safetensors", st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b"\x00" * 8), "safetensors", "ok")
put("st_header_longer_than_file.safetensors", st('{"a":{}}', length=1 << 20), "safetensors", "error:")
put("st_header_length_2pow63.safetensors", st('{}', length=1 << 63), "safetensors", "error:")
put("st_overlapping_offsets.safetensors", st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                             '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b"\x00" * 12),
    "safetensors", "error:")
put("st_offsets_out_of_range.safetensors", st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8000000000]}}',
                                              b"\x00" * 8), "safetensors", "error:")
put("st_negative_offset.safetensors", st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}', b"\x00" * 8),
    "safetensors", "error:")
put("st_duplicate_keys.safetensors", st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                        '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b"\x00" * 8),
    "safetensors", "error:")
put("st_unknown_dtype.safetensors", st('{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}', b"\x00" * 8),
    "safetensors", "error:")
put("st_shape_size_mismatch.safetensors", st('{"a":{"dtype":"F32","shape":[3,3],"data_offsets":[0,8]}}',
                                             b"\x00" * 8), "safetensors", "error:")
put("st_not_json.safetensors", st('{"a": nope', b""), "safetensors", "error:")
put("st_not_utf8.safetensors", struct.pack("<Q", 4) + b"\xff\xfe\xfd\xfc", "safetensors", "error:")
put("st_empty.safetensors", b"", "safetensors", "error:")
put("st_huge_shape.safetensors", st('{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}',
                                    b"\x00" * 8), "safetensors", "error:")
put("st_nested_65_deep.safetensors", st('{"a":' + "[" * 64 + "]" * 64 + "}"), "safetensors",
    "error:nesting depth (65) exceeds the maximum allowed (64")

# ---------------------------------------------------------------- COCO instances (image files looked up in files/)


def coco(annotations, images=None, categories=None):
    if images is None:
        images = '[{"id": 1, "file_name": "png_ok_gray.png", "width": 4, "height": 4}]'
    if categories is None:
        categories = '[{"id": 1, "name": "cell"}]'
    return ('{"images": %s, "categories": %s, "annotations": [%s]}' % (images, categories, annotations)).encode()


def ann(segmentation, extra=""):
    return '{"id": 1, "image_id": 1, "category_id": 1%s, "segmentation": %s}' % (extra, segmentation)


put("coco_ok.json", coco(ann("[[0, 0, 2, 0, 2, 2, 0, 2], [2, 2, 4, 2, 4, 4, 2, 4]]") + ", "
                         + ann('{"size": [4, 4], "counts": [5, 6, 5]}').replace('"id": 1,', '"id": 2,')), "coco", "ok")
# 4000 polygons on a 1000 x 1000 image: united on their runs (each used to be decoded at the image's size)
big = '[{"id": 1, "file_name": "png_ok_gray.png", "width": 1000, "height": 1000}]'
squares = ", ".join("[%d, %d, %d, %d, %d, %d, %d, %d]" % (x, y, x + 2, y, x + 2, y + 2, x, y + 2)
                    for x, y in ((p % 997, p // 997 * 40) for p in range(4000)))
put("coco_ok_4000_polygons.json", coco(ann("[" + squares + "]"), images=big), "coco", "ok")
huge = '[{"id": 1, "file_name": "png_ok_gray.png", "width": 4000, "height": 4000}]'
put("coco_polygons_over_budget.json", coco(ann("[" + ", ".join(["[0, 0, 4000, 0, 0, 4000]"] * 300) + "]"), images=huge),
    "coco", "error:their boundaries take 16800840 steps at 5x scale, more than the limit of 16777216")
put("coco_rle_counts_past_area.json", coco(ann('{"size": [4, 4], "counts": [5, 6, 50]}')), "coco",
    "error:RLE counts sum to 61, but size [4, 4] has 16 pixels")
put("coco_rle_counts_overflow_int.json", coco(ann('{"size": [4, 4], "counts": [2147483647, 2147483647, 2]}')),
    "coco", "error:RLE counts sum to 4294967296")
put("coco_rle_count_beyond_int.json", coco(ann('{"size": [4, 4], "counts": [4294967297, 0]}')), "coco",
    "error:RLE count 0 is 4294967297")
put("coco_rle_string_past_area.json", coco(ann('{"size": [4, 4], "counts": "0Xo0"}')), "coco", "error:bad RLE")
put("coco_negative_coordinate.json", coco(ann("[[-0.5, 0, 2, 0, 2, 2]]")), "coco",
    "error:polygon 0: polygon vertex 0 (-0.5, 0.0) lies outside the 4x4 image")
put("coco_infinite_coordinate.json", coco(ann("[[0, 0, 1e400, 0, 2, 2]]")), "coco",
    "error:polygon vertex 1 (Infinity, 0.0) lies outside")
put("coco_nan_coordinate.json", coco(ann("[[0, 0, NaN, 0, 2, 2]]")), "coco", "error:not valid JSON")
put("coco_image_id_beyond_long.json", coco(ann("[[0, 0, 2, 0, 2, 2]]"),
                                           images='[{"id": 99999999999999999999, "file_name": "png_ok_gray.png",'
                                                  ' "width": 4, "height": 4}]'), "coco",
    'error:an image: "id" must be an integer, got 99999999999999999999')
put("coco_category_id_beyond_int.json", coco(ann("[[0, 0, 2, 0, 2, 2]]"), categories='[{"id": 4294967297, "name": "c"}]'),
    "coco", 'error:"id" is 4294967297, outside the int range')
put("coco_width_beyond_int.json", coco("", images='[{"id": 1, "file_name": "png_ok_gray.png", "width": 4294967300,'
                                                  ' "height": 4}]'), "coco", 'error:"width" is 4294967300')
put("coco_annotation_of_unlisted_image.json", coco(ann("[[0, 0, 2, 0, 2, 2]]").replace('"image_id": 1', '"image_id": 5')),
    "coco", "error:image 5 is not among the file's 1 images")
put("coco_image_file_missing.json", coco("", images='[{"id": 1, "file_name": "no_such_image.png", "width": 4,'
                                                    ' "height": 4}]'), "coco", "error:no_such_image.png does not exist")
put("coco_duplicate_key.json", coco(ann("[[0, 0, 2, 0, 2, 2]]").replace('"id": 1,', '"id": 1, "id": 2,')), "coco",
    "error:Duplicate field 'id'")
put("coco_nested_100_deep.json", coco(ann("[[0, 0, 2, 0, 2, 2]]", ', "x": ' + "[" * 100 + "]" * 100)), "coco",
    "error:nesting depth (65) exceeds the maximum allowed (64")
put("coco_iscrowd_string.json", coco(ann("[[0, 0, 2, 0, 2, 2]]", ', "iscrowd": "yes"')), "coco",
    'error:iscrowd must be 0 or 1, got "yes"')

with open(os.path.join(HERE, "cases.tsv"), "w") as f:
    f.write("# id\treader\tfile\texpected   (written by generate.py; do not edit)\n")
    for c in cases:
        f.write("\t".join(c) + "\n")
print(len(cases), "cases")
