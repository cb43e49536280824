package org.segmentation.core.coco;

import java.util.Arrays;
import org.segmentation.core.image.Mask;

/**
 * A binary mask run-length encoded as the COCO format stores it (the {@code pycocotools} mask API's
 * conventions): pixels are taken in column-major order (down each column, columns left to right) and
 * {@code counts} holds the lengths of alternating runs, the first one of 0-pixels (so it may be 0), summing to
 * height × width. An instance's annotation gives it either as a list of counts ("uncompressed") or as the compact
 * string of {@link #toCompressedString()} ("compressed"), with {@code "size": [height, width]}.
 *
 * <p>Immutable; {@link #counts()} returns a copy.
 */
public final class CocoRle {
    /**
     * The most boundary steps {@link #fromPolygon} walks (at 5x scale): 2^24, 200 MB of work arrays, a perimeter of
     * over 3 million pixels.
     */
    public static final int MAX_POLYGON_STEPS = 1 << 24;

    private final int height;
    private final int width;
    private final int[] counts;

    private CocoRle(int height, int width, int[] counts) {
        this.height = height;
        this.width = width;
        this.counts = counts;
    }

    /**
     * An RLE from its counts.
     *
     * @throws IllegalArgumentException if a dimension is not positive, a count is negative, or the counts do not
     *     sum to height × width (the message gives the index of the bad count or the sum)
     */
    public static CocoRle of(int height, int width, int[] counts) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("RLE size must be positive, got [" + height + ", " + width + "]");
        }
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < 0) {
                throw new IllegalArgumentException("RLE count " + i + " is negative: " + counts[i]);
            }
            total += counts[i];
        }
        if (total != (long) height * width) {
            throw new IllegalArgumentException("RLE counts sum to " + total + ", but size [" + height + ", " + width
                    + "] has " + (long) height * width + " pixels");
        }
        return new CocoRle(height, width, counts.clone());
    }

    /** The RLE of a mask (any pixel that is not 0 is on). */
    public static CocoRle encode(Mask mask) {
        int h = mask.height;
        int w = mask.width;
        int[] runs = new int[h * w + 1];
        int n = 0;
        int run = 0;
        boolean current = false;
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                boolean on = mask.unsafe_get(x, y);
                if (on != current) {
                    runs[n++] = run;
                    run = 0;
                    current = on;
                }
                run++;
            }
        }
        runs[n++] = run;
        return new CocoRle(h, w, Arrays.copyOf(runs, n));
    }

    /**
     * The mask this RLE encodes.
     *
     * @param out receives the mask (reshaped to width × height), or null for a new one
     * @return out
     */
    public Mask decode(Mask out) {
        if (out == null) {
            out = new Mask(width, height);
        } else {
            out.reshape(width, height);
        }
        int x = 0;
        int y = 0;
        for (int i = 0; i < counts.length; i++) {
            boolean on = (i & 1) == 1;
            for (int k = 0; k < counts[i]; k++) {
                out.unsafe_set(x, y, on);
                if (++y == height) {   // down the column, then the next column
                    y = 0;
                    x++;
                }
            }
        }
        return out;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** A copy of the run lengths. */
    public int[] counts() {
        return counts.clone();
    }

    /** The number of on pixels. */
    public long area() {
        long a = 0;
        for (int i = 1; i < counts.length; i += 2) {
            a += counts[i];
        }
        return a;
    }

    /**
     * The tight bounding box of the on pixels as COCO writes it, {x, y, width, height} in pixels ({0, 0, 0, 0}
     * for an empty mask).
     */
    public int[] bbox() {
        int minX = Integer.MAX_VALUE;
        int minY = Integer.MAX_VALUE;
        int maxX = -1;
        int maxY = -1;
        long p = 0;
        for (int i = 0; i < counts.length; i++) {
            if ((i & 1) == 1 && counts[i] > 0) {
                long first = p;
                long last = p + counts[i] - 1;
                int x0 = (int) (first / height);
                int x1 = (int) (last / height);
                minX = Math.min(minX, x0);
                maxX = Math.max(maxX, x1);
                // a run that spans a column boundary covers the full height of the columns it crosses
                minY = Math.min(minY, x1 > x0 ? 0 : (int) (first % height));
                maxY = Math.max(maxY, x1 > x0 ? height - 1 : (int) (last % height));
            }
            p += counts[i];
        }
        return maxX < 0 ? new int[4] : new int[] {minX, minY, maxX - minX + 1, maxY - minY + 1};
    }

    /**
     * The number of pixels on in both masks, from the runs without decoding (the time is linear in the number of
     * runs, not of pixels).
     *
     * @throws IllegalArgumentException if the sizes differ
     */
    public long intersectionArea(CocoRle other) {
        if (other.height != height || other.width != width) {
            throw new IllegalArgumentException("CocoRle.intersectionArea: size [" + other.height + ", "
                    + other.width + "] differs from [" + height + ", " + width + "]");
        }
        int[] a = counts;
        int[] b = other.counts;
        int i = 0;
        int j = 0;
        long leftA = a.length > 0 ? a[0] : 0;
        long leftB = b.length > 0 ? b[0] : 0;
        long inter = 0;
        while (i < a.length && j < b.length) {
            long step = Math.min(leftA, leftB);
            if ((i & 1) == 1 && (j & 1) == 1) {   // odd runs are the on pixels
                inter += step;
            }
            leftA -= step;
            leftB -= step;
            if (leftA == 0 && ++i < a.length) {
                leftA = a[i];
            }
            if (leftB == 0 && ++j < b.length) {
                leftB = b[j];
            }
        }
        return inter;
    }

    /**
     * COCO's mask IoU of detections and ground truths, from their runs ({@link #intersectionArea}): intersection
     * over union, or over the detection's area for a crowd ground truth; 0 where the union is empty.
     *
     * @return [detection][ground truth]
     * @throws IllegalArgumentException if the sizes differ or {@code crowd} has another length than {@code truths}
     */
    public static double[][] iou(CocoRle[] detections, CocoRle[] truths, boolean[] crowd) {
        if (crowd.length != truths.length) {
            throw new IllegalArgumentException("CocoRle.iou: " + truths.length + " ground truths, " + crowd.length
                    + " crowd flags");
        }
        double[][] out = new double[detections.length][truths.length];
        for (int d = 0; d < detections.length; d++) {
            long ad = detections[d].area();
            for (int g = 0; g < truths.length; g++) {
                long inter = detections[d].intersectionArea(truths[g]);
                long union = crowd[g] ? ad : ad + truths[g].area() - inter;
                out[d][g] = union > 0 ? (double) inter / union : 0;
            }
        }
        return out;
    }

    /**
     * The union of RLEs of the same size, taken on their runs (pairwise, in a balanced tree): time proportional to
     * the runs times log(rles), not to the image.
     */
    public static CocoRle union(CocoRle... rles) {
        if (rles.length == 0) {
            throw new IllegalArgumentException("CocoRle.union of no RLEs");
        }
        for (CocoRle r : rles) {
            if (r.height != rles[0].height || r.width != rles[0].width) {
                throw new IllegalArgumentException("CocoRle.union: size [" + r.height + ", " + r.width
                        + "] differs from [" + rles[0].height + ", " + rles[0].width + "]");
            }
        }
        long total = (long) rles[0].height * rles[0].width;
        int[][] level = new int[rles.length][];
        for (int i = 0; i < rles.length; i++) {
            level[i] = rles[i].counts;
        }
        int n = level.length;
        while (n > 1) {
            int half = (n + 1) / 2;
            for (int i = 0; i < n / 2; i++) {
                level[i] = unionCounts(level[2 * i], level[2 * i + 1], total);
            }
            if (n % 2 == 1) {
                level[half - 1] = level[n - 1];
            }
            n = half;
        }
        // one RLE is put in the form encode gives, as a union of several is
        return new CocoRle(rles[0].height, rles[0].width, rles.length == 1 ? unionCounts(level[0], new int[0], total)
                : level[0]);
    }

    /**
     * The counts of the union of two masks of {@code total} pixels given by their counts, in the form
     * {@link #encode} gives: alternating runs from a 0-run (which may be empty), no other empty run.
     */
    private static int[] unionCounts(int[] a, int[] b, long total) {
        int[] out = new int[a.length + b.length + 1];
        int n = 0;
        long na = a.length > 1 ? a[0] : Long.MAX_VALUE;   // the position of each one's next toggle
        long nb = b.length > 1 ? b[0] : Long.MAX_VALUE;
        int ia = 1;
        int ib = 1;
        boolean inA = false;
        boolean inB = false;
        boolean on = false;
        long previous = 0;
        while (true) {
            long p = Math.min(na, nb);
            if (p >= total) {
                break;
            }
            while (na == p) {
                inA = !inA;
                na = ia < a.length - 1 ? na + a[ia++] : Long.MAX_VALUE;
            }
            while (nb == p) {
                inB = !inB;
                nb = ib < b.length - 1 ? nb + b[ib++] : Long.MAX_VALUE;
            }
            if ((inA || inB) != on) {
                out[n++] = (int) (p - previous);
                previous = p;
                on = !on;
            }
        }
        out[n++] = (int) (total - previous);
        return Arrays.copyOf(out, n);
    }

    /**
     * The compact string form: each count, from the fourth on as its difference from the count two before, is
     * written as a signed little-endian sequence of 5-bit groups, one character ({@code '0'} + group) per group,
     * bit 5 set on every group but the last (the pycocotools mask API's {@code rleToString} format).
     */
    public String toCompressedString() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < counts.length; i++) {
            long v = i > 2 ? (long) counts[i] - counts[i - 2] : counts[i];
            while (true) {
                int group = (int) (v & 0x1f);
                v >>= 5;
                // stop once the rest is only sign bits that the group's top bit already implies
                boolean last = (group & 0x10) != 0 ? v == -1 : v == 0;
                s.append((char) ('0' + (last ? group : group | 0x20)));
                if (last) {
                    break;
                }
            }
        }
        return s.toString();
    }

    /**
     * Parses the compact string form of {@link #toCompressedString()}.
     *
     * @throws IllegalArgumentException if a character is outside '0'..'o', the string ends inside a count, a
     *     count is negative or too large, or the counts do not sum to height × width
     */
    public static CocoRle fromCompressedString(String s, int height, int width) {
        int[] counts = new int[Math.max(1, s.length())];
        int m = 0;
        int p = 0;
        while (p < s.length()) {
            long v = 0;
            int shift = 0;
            boolean more = true;
            while (more) {
                if (p >= s.length()) {
                    throw new IllegalArgumentException("RLE string ends inside count " + m);
                }
                char ch = s.charAt(p);
                int c = ch - '0';
                if (c < 0 || c > 0x3f) {
                    throw new IllegalArgumentException("RLE string has character '" + ch + "' at " + p
                            + "; expected '0'..'o'");
                }
                if (shift > 35) {
                    throw new IllegalArgumentException("RLE string: count " + m + " is too long");
                }
                v |= (long) (c & 0x1f) << shift;
                more = (c & 0x20) != 0;
                p++;
                shift += 5;
                if (!more && (c & 0x10) != 0) {
                    v |= -1L << shift;   // sign-extend a negative difference
                }
            }
            if (m > 2) {
                v += counts[m - 2];
            }
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("RLE string: count " + m + " is " + v);
            }
            counts[m++] = (int) v;
        }
        return of(height, width, Arrays.copyOf(counts, m));
    }

    /**
     * Rasterises one polygon as COCO's annotations were made (the pycocotools mask API's {@code frPoly}): the
     * vertices are scaled by 5 and rounded, each edge is walked one step at a time along its longer axis (from
     * its lower end, so an edge rounds the same in both directions) giving a dense closed boundary, and wherever
     * that boundary crosses the centre line of a pixel column, the pixels of that column from the crossing down
     * toggle between outside and inside. A pixel is thus inside when an odd number of boundary crossings lie above
     * its centre in its column.
     *
     * @param xy x0, y0, x1, y1, ... in pixels (pixel (i, j) covers [i, i + 1) × [j, j + 1)), at least 3 vertices
     * @throws IllegalArgumentException with fewer than 3 vertices, a vertex outside [0, width] × [0, height], more
     *     than height × width = 2^31 − 1 pixels, or a boundary of more than {@link #MAX_POLYGON_STEPS} steps
     */
    public static CocoRle fromPolygon(double[] xy, int height, int width) {
        requirePolygonImage(height, width);
        int[][] s = scaledVertices(xy, height, width);
        long boundary = boundarySteps(s);
        if (boundary > MAX_POLYGON_STEPS) {
            // a few vertices can zigzag across a wide image many times: bound the boundary arrays, not the file
            throw new IllegalArgumentException("the polygon's boundary takes " + boundary + " steps at 5x scale, more"
                    + " than the limit of " + MAX_POLYGON_STEPS);
        }
        return rasterise(s, boundary, height, width);
    }

    /**
     * The union of polygons, each rasterised as {@link #fromPolygon} does, as an annotation of several polygons
     * means. Their boundaries together may take at most {@link #MAX_POLYGON_STEPS} steps, so that neither many
     * polygons nor long ones make the work unbounded; the union is taken on the runs, in time proportional to
     * them, not to the image.
     *
     * @throws IllegalArgumentException naming the polygon ("polygon 3: ...") for a problem of one polygon (see
     *     {@link #fromPolygon}), or if there is no polygon or the boundaries together exceed the limit
     */
    public static CocoRle fromPolygons(double[][] polygons, int height, int width) {
        requirePolygonImage(height, width);
        if (polygons.length == 0) {
            throw new IllegalArgumentException("no polygons");
        }
        int[][][] scaled = new int[polygons.length][][];
        long[] steps = new long[polygons.length];
        long total = 0;
        for (int p = 0; p < polygons.length; p++) {
            try {
                scaled[p] = scaledVertices(polygons[p], height, width);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("polygon " + p + ": " + e.getMessage(), e);
            }
            steps[p] = boundarySteps(scaled[p]);
            total += steps[p];
            if (total > MAX_POLYGON_STEPS) {
                throw new IllegalArgumentException((p == 0 ? "polygon 0: the polygon's boundary takes " + steps[p]
                        : "polygons 0.." + p + " of " + polygons.length + ": their boundaries take " + total)
                        + " steps at 5x scale, more than the limit of " + MAX_POLYGON_STEPS
                        + (p == 0 ? "" : " for one annotation"));
            }
        }
        CocoRle[] parts = new CocoRle[polygons.length];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = rasterise(scaled[p], steps[p], height, width);
        }
        return union(parts);
    }

    private static void requirePolygonImage(int height, int width) {
        if (height <= 0 || width <= 0 || (long) height * width > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("polygon into size [" + height + ", " + width + "]: each side must"
                    + " be positive and the pixel count an int");
        }
    }

    /** The vertices scaled by 5 and rounded, x and y, the first repeated at the end. */
    private static int[][] scaledVertices(double[] xy, int height, int width) {
        if (xy.length < 6 || xy.length % 2 != 0) {
            throw new IllegalArgumentException("a polygon needs an even number of at least 6 coordinates, got "
                    + xy.length);
        }
        int k = xy.length / 2;
        int[] sx = new int[k + 1];
        int[] sy = new int[k + 1];
        for (int j = 0; j < k; j++) {
            double x = xy[2 * j];
            double y = xy[2 * j + 1];
            if (!(x >= 0 && x <= width && y >= 0 && y <= height)) {
                throw new IllegalArgumentException("polygon vertex " + j + " (" + x + ", " + y
                        + ") lies outside the " + width + "x" + height + " image");
            }
            sx[j] = (int) (POLYGON_SCALE * x + .5);
            sy[j] = (int) (POLYGON_SCALE * y + .5);
        }
        sx[k] = sx[0];
        sy[k] = sy[0];
        return new int[][] {sx, sy};
    }

    /** The points of the dense boundary through scaled vertices. */
    private static long boundarySteps(int[][] scaled) {
        int[] sx = scaled[0];
        int[] sy = scaled[1];
        long boundary = 0;
        for (int j = 0; j + 1 < sx.length; j++) {
            boundary += Math.max(Math.abs((long) sx[j + 1] - sx[j]), Math.abs((long) sy[j + 1] - sy[j])) + 1;
        }
        return boundary;
    }

    private static final int POLYGON_SCALE = 5;

    /** The polygon of scaled vertices with a boundary of {@code boundary} points, at most the limit. */
    private static CocoRle rasterise(int[][] scaled, long boundary, int height, int width) {
        int[] sx = scaled[0];
        int[] sy = scaled[1];
        int k = sx.length - 1;
        final int scale = POLYGON_SCALE;
        int points = (int) boundary;
        int[] u = new int[points];
        int[] v = new int[points];
        int m = 0;
        for (int j = 0; j < k; j++) {
            int x0 = sx[j];
            int y0 = sy[j];
            int x1 = sx[j + 1];
            int y1 = sy[j + 1];
            int dx = Math.abs(x1 - x0);
            int dy = Math.abs(y1 - y0);
            boolean alongX = dx >= dy;
            boolean reversed = alongX ? x0 > x1 : y0 > y1;
            if (reversed) {
                int t = x0;
                x0 = x1;
                x1 = t;
                t = y0;
                y0 = y1;
                y1 = t;
            }
            int steps = alongX ? dx : dy;
            double slope = alongX ? (double) (y1 - y0) / dx : (double) (x1 - x0) / dy;
            for (int d = 0; d <= steps; d++, m++) {
                int t = reversed ? steps - d : d;   // keep the boundary's own order
                if (alongX) {
                    u[m] = x0 + t;
                    v[m] = (int) (y0 + slope * t + .5);
                } else {
                    v[m] = y0 + t;
                    u[m] = (int) (x0 + slope * t + .5);
                }
            }
        }
        // crossings of column centre lines: a step between scaled columns 5i + 2 and 5i + 3 crosses pixel column
        // i's centre at scaled height min(v); the first pixel centre at or below it is row ceil((v - 2) / 5)
        int[] starts = new int[m + 1];
        int n = 0;
        for (int j = 1; j < m; j++) {
            if (u[j] == u[j - 1]) {
                continue;
            }
            int col = Math.min(u[j], u[j - 1]);
            if (col % scale != 2 || col / scale > width - 1) {
                continue;
            }
            int row = Math.min(v[j], v[j - 1]) - 2;
            row = row <= 0 ? 0 : Math.min(height, (row + scale - 1) / scale);
            starts[n++] = col / scale * height + row;
        }
        starts[n++] = height * width;
        Arrays.sort(starts, 0, n);
        // runs between consecutive toggles; two toggles at one pixel cancel, joining the runs around them
        int[] runs = new int[n];
        int r = 0;
        int previous = 0;
        for (int j = 0; j < n; j++) {
            int len = starts[j] - previous;
            previous = starts[j];
            if (len > 0 || r == 0) {
                runs[r++] = len;
            } else if (j + 1 < n) {
                j++;
                runs[r - 1] += starts[j] - previous;
                previous = starts[j];
            }
        }
        return of(height, width, Arrays.copyOf(runs, r));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CocoRle r && r.height == height && r.width == width && Arrays.equals(r.counts, counts);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * height + width) + Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return "CocoRle[" + height + "x" + width + ", " + counts.length + " runs, area " + area() + "]";
    }
}
