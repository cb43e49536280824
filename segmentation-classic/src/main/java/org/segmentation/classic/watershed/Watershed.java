package org.segmentation.classic.watershed;

import java.util.Arrays;
import java.util.Objects;
import org.segmentation.core.image.Connectivity;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

/**
 * Marker-based watershed by priority flooding (F. Meyer, "Topographic distance and watershed lines", Signal
 * Processing 38, 1994): every marker pixel enters a priority queue; the lowest pixel leaves it and labels its
 * unlabelled neighbours with its own label, which then enter the queue at their elevation.
 *
 * <p>Order and ties follow {@code skimage.segmentation.watershed} exactly, so the results are identical: the queue
 * is the same binary heap keyed by (elevation, age), where markers have age 0 and every later push a new, larger
 * age (first in, first out within a level); markers enter in raster order; neighbours are visited up, left, right,
 * down, then up-left, up-right, down-left, down-right. Plain mode labels a pixel when it is pushed; with watershed
 * lines or compactness a pixel is labelled when it is popped, and with lines a pixel whose neighbours carry two
 * different labels stays 0 and blocks the flooding.
 *
 * <p>Speed: the heap is needed while two markers of the same elevation (age 0, so ties broken by the heap's
 * layout) are queued; for 8- and 16-bit elevations in plain mode, once no two markers left share a level, every
 * key is distinct and the order (level, age) is exactly a first-in-first-out bucket per level, each marker first
 * in its bucket, and flooding continues in O(1) per pixel.
 *
 * <p>Compact watershed (P. Neubert and P. Protzel, "Compact Watershed and Preemptive SLIC", ICPR 2014): the
 * priority of a pixel is its elevation plus {@code compactness} times its Euclidean distance to the marker pixel
 * its label came from.
 *
 * <p>Labels: the output holds the marker labels (any positive int; they need not be consecutive); 0 marks
 * watershed lines, pixels outside the mask and pixels that no marker reaches. Markers on pixels outside the mask
 * are ignored. Float elevations must be finite. The instance reuses its buffers; not thread-safe.
 */
public final class Watershed {
    private final WatershedConfig config;
    private final boolean compact;
    private final boolean lines;

    // Padded working images, (width+2) x (height+2), border pixels masked out as scikit-image does.
    private double[] elevation = new double[0];
    private byte[] inMask = new byte[0];
    private int[] label = new int[0];

    // The heap: heap[k] is a slot number; a slot holds one item's value, age, pixel and source pixel.
    private int[] heap = new int[0];
    private double[] value = new double[0];
    private int[] age = new int[0];
    private int[] pixel = new int[0];
    private int[] source = new int[0];
    private int items;
    /** Number of integer elevation levels (256 or 65536) when the bucket queue may be used, else 0. */
    private int levels;
    // Bucket queue: per level a FIFO list of pixels linked through next[].
    private int[] head = new int[0];
    private int[] tail = new int[0];
    private int[] next = new int[0];

    /** A watershed with these settings. */
    public Watershed(WatershedConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.compact = config.compactness() > 0;
        this.lines = config.watershedLine();
    }

    /** The settings. */
    public WatershedConfig config() {
        return config;
    }

    /**
     * Floods an 8-bit elevation image from the markers.
     *
     * @param markers seed labels, 0 where there is none; same size as the elevation; not modified
     * @param mask pixels to label, or null for all; not modified
     * @param dst output labels, or null to allocate
     * @return {@code dst}
     * @throws IllegalArgumentException if a size differs or a marker label is negative
     */
    public LabelMap process(GrayU8 elevation, LabelMap markers, Mask mask, LabelMap dst) {
        return fillAndFlood(elevation, markers, mask, dst, 256, (e, p, s, w, y) -> {
            for (int x = 0; x < w; x++) {
                e[p + x] = elevation.data[s + x] & 0xFF;
            }
        });
    }

    /** Floods a 16-bit elevation image; see {@link #process(GrayU8, LabelMap, Mask, LabelMap)}. */
    public LabelMap process(GrayU16 elevation, LabelMap markers, Mask mask, LabelMap dst) {
        return fillAndFlood(elevation, markers, mask, dst, 65536, (e, p, s, w, y) -> {
            for (int x = 0; x < w; x++) {
                e[p + x] = elevation.data[s + x] & 0xFFFF;
            }
        });
    }

    /**
     * Floods a float elevation image; see {@link #process(GrayU8, LabelMap, Mask, LabelMap)}.
     *
     * @throws IllegalArgumentException also if an elevation is NaN or infinite
     */
    public LabelMap process(GrayF32 elevation, LabelMap markers, Mask mask, LabelMap dst) {
        return fillAndFlood(elevation, markers, mask, dst, 0, (e, p, s, w, y) -> {
            for (int x = 0; x < w; x++) {
                float v = elevation.data[s + x];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("elevation at (" + x + ", " + y + ") is " + v
                            + ": the watershed needs finite values");
                }
                e[p + x] = v;
            }
        });
    }

    /** Copies one row of an elevation image into the padded elevation buffer. */
    @FunctionalInterface
    private interface RowCopy {
        /**
         * Copies the {@code w} pixels of row {@code y} that start at index {@code s} of the image's data to
         * {@code padded} from index {@code p}; {@code y} is there for the error messages.
         */
        void copy(double[] padded, int p, int s, int w, int y);
    }

    /**
     * Prepares the buffers, copies the elevation into the padded buffer a row at a time, then floods with
     * {@code levels} integer elevation levels (0 for none). Only the copy of a row depends on the pixel type, so
     * each type's loop over its own primitive array stays as it was, one call a row.
     */
    private LabelMap fillAndFlood(ImageBase<?> elevation, LabelMap markers, Mask mask, LabelMap dst, int levels,
            RowCopy row) {
        int w = prepare(elevation, markers, mask);
        double[] e = this.elevation;
        for (int y = 0; y < elevation.height; y++) {
            row.copy(e, (y + 1) * (w + 2) + 1, elevation.startIndex + y * elevation.stride, w, y);
        }
        this.levels = levels;
        return flood(w, elevation.height, dst);
    }

    /** Checks shapes, sizes the buffers and fills the padded mask and labels; returns the width. */
    private int prepare(ImageBase<?> image, LabelMap markers, Mask mask) {
        Objects.requireNonNull(image, "elevation");
        Objects.requireNonNull(markers, "markers");
        image.checkSameShape(markers, "marker map");
        if (mask != null) {
            image.checkSameShape(mask, "mask");
        }
        int w = image.width;
        int h = image.height;
        int pw = w + 2;
        int n = pw * (h + 2);
        if (label.length < n) {
            elevation = new double[n];
            inMask = new byte[n];
            label = new int[n];
        }
        Arrays.fill(elevation, 0, n, 0.0);
        Arrays.fill(inMask, 0, n, (byte) 0);
        Arrays.fill(label, 0, n, 0);
        for (int y = 0; y < h; y++) {
            int p = (y + 1) * pw + 1;
            int mk = markers.startIndex + y * markers.stride;
            int ms = mask == null ? 0 : mask.startIndex + y * mask.stride;
            for (int x = 0; x < w; x++) {
                boolean on = mask == null || mask.data[ms + x] != 0;
                int l = markers.data[mk + x];
                if (l < 0) {
                    throw new IllegalArgumentException("marker label " + l + " at (" + x + ", " + y
                            + ") is negative");
                }
                inMask[p + x] = (byte) (on ? 1 : 0);
                label[p + x] = on ? l : 0;
            }
        }
        return w;
    }

    private LabelMap flood(int w, int h, LabelMap dst) {
        int pw = w + 2;
        int[] offsets = config.connectivity() == Connectivity.FOUR
                ? new int[] {-pw, -1, 1, pw}
                : new int[] {-pw, -1, 1, pw, -pw - 1, -pw + 1, pw - 1, pw + 1};
        if (compact) {
            floodCompact(w, h, offsets);
        } else {
            floodPacked(w, h, offsets);
        }
        dst = ImageBase.output(dst, w, h, LabelMap::new);
        for (int y = 0; y < h; y++) {
            System.arraycopy(label, (y + 1) * pw + 1, dst.data, dst.startIndex + y * dst.stride, w);
        }
        return dst;
    }

    /**
     * Plain and watershed-line modes. The elevation of every pixel is a float (8-bit, 16-bit and float images all
     * are), so the key (elevation, age) packs into one long: the float's bits made order-preserving as a signed
     * int in the high half, the age in the low half. Comparing keys is then one long comparison.
     */
    private void floodPacked(int w, int h, int[] offsets) {
        int n = (w + 2) * (h + 2);
        if (levels > 0 && !lines && n <= MAX_SMALL) {
            floodSmall(offsets, n);
            return;
        }
        int[] out = label;
        byte[] m = inMask;
        double[] e = elevation;
        heapSize = 0;
        for (int p = 0; p < n; p++) {
            if (out[p] != 0) {
                pushPacked(key(e[p], 0), p, out[p]);
            }
        }
        long nextAge = 1;
        int markersLeft = heapSize;
        while (heapSize > 0) {
            if (markersLeft == 0 && levels > 0 && !lines) {
                // Every key left is (level, unique age): a FIFO bucket per level pops in the same order.
                long[] byAge = new long[heapSize];
                for (int i = 0; i < heapSize; i++) {
                    byAge[i] = (hKey[i] & 0xFFFFFFFFL) << 32 | hPixel[i];
                }
                floodBuckets(offsets, n, byAge);
                return;
            }
            popPacked();
            int p = popPixel;
            int l = popLabel;
            if (popIsMarker) {
                markersLeft--;
            }
            if (lines) {
                if (out[p] != 0 && !popIsMarker) {
                    continue;
                }
                if (differentNeighbours(out, offsets, p)) {
                    continue;
                }
                out[p] = l;
            }
            for (int q : offsets) {
                int nb = p + q;
                if (m[nb] == 0 || out[nb] != 0) {
                    continue;
                }
                nextAge++;
                if (nextAge > Integer.MAX_VALUE) {
                    throw new IllegalStateException("more than 2^31 queue insertions");
                }
                if (!lines) {
                    out[nb] = l;
                }
                pushPacked(key(e[nb], (int) nextAge), nb, l);
            }
        }
    }

    /**
     * Plain mode on integer elevations once every marker has left the heap: the remaining items all have distinct
     * ages, so ordering by (level, age) is a FIFO queue per level. The heap's items move to their buckets in age
     * order, then flooding continues in O(1) per pixel. Labels were set when the pixels were pushed.
     */
    private void floodBuckets(int[] offsets, int n, long[] byAge) {
        if (head.length < levels) {
            head = new int[levels];
            tail = new int[levels];
        }
        Arrays.fill(head, 0, levels, -1);
        if (next.length < n) {
            next = new int[n];
        }
        int[] out = label;
        byte[] m = inMask;
        double[] e = elevation;
        Arrays.sort(byAge);
        int current = levels;
        for (long a : byAge) {
            int p = (int) a;
            int level = (int) e[p];
            append(level, p);
            current = Math.min(current, level);
        }
        heapSize = 0;
        int[] hd = head;
        int[] nx = next;
        while (true) {
            while (current < levels && hd[current] < 0) {
                current++;
            }
            if (current == levels) {
                return;
            }
            int p = hd[current];
            hd[current] = nx[p];
            int l = out[p];
            for (int q : offsets) {
                int nb = p + q;
                if (m[nb] == 0 || out[nb] != 0) {
                    continue;
                }
                out[nb] = l;
                int level = (int) e[nb];
                append(level, nb);
                if (level < current) {
                    current = level;
                }
            }
        }
    }

    private void append(int level, int p) {
        next[p] = -1;
        if (head[level] < 0) {
            head[level] = p;
        } else {
            next[tail[level]] = p;
        }
        tail[level] = p;
    }

    /** The order-preserving packed key of (value, age); value is a float widened to double. */
    private static long key(double value, int age) {
        int bits = Float.floatToRawIntBits((float) value + 0.0f); // + 0.0f turns -0 into +0, which compare equal
        int sortable = bits < 0 ? bits ^ 0x7FFFFFFF : bits;
        return ((long) sortable << 32) | age;
    }

    // Packed heap: keys, pixels and labels moved together; ordering identical to scikit-image's pointer heap.
    private long[] hKey = new long[0];
    private int[] hPixel = new int[0];
    private int[] hLabel = new int[0];
    private int heapSize;
    private int popPixel;
    private int popLabel;
    private boolean popIsMarker;

    private void pushPacked(long k, int p, int l) {
        if (heapSize == hPixel.length) { // hKey may be longer: floodSmall grows it alone
            int cap = Math.max(1024, hPixel.length * 2);
            hKey = Arrays.copyOf(hKey, Math.max(cap, hKey.length));
            hPixel = Arrays.copyOf(hPixel, cap);
            hLabel = Arrays.copyOf(hLabel, cap);
        }
        int child = heapSize++;
        long[] hk = hKey;
        while (child > 0) {
            int parent = (child + 1) / 2 - 1;
            if (k < hk[parent]) {
                hk[child] = hk[parent];
                hPixel[child] = hPixel[parent];
                hLabel[child] = hLabel[parent];
                child = parent;
            } else {
                break;
            }
        }
        hk[child] = k;
        hPixel[child] = p;
        hLabel[child] = l;
    }

    /**
     * Removes the root into popPixel, popLabel, popIsMarker. The layout afterwards is that of scikit-image's
     * sift-down (the last item goes down while a child is strictly smaller, the smaller child, left on ties), but
     * reached bottom-up (Floyd; Wegener 1993): the hole left by the root follows the smaller children to a leaf,
     * then the last item climbs back while the item above it is not smaller. The children on that path are
     * non-decreasing, so the items moved up are exactly those smaller than the last item, as in the sift-down;
     * the last item is a late, large key that belongs near the leaves, so this costs one comparison per level
     * instead of two.
     */
    private void popPacked() {
        long[] hk = hKey;
        int[] hp = hPixel;
        int[] hl = hLabel;
        popPixel = hp[0];
        popLabel = hl[0];
        popIsMarker = (int) hk[0] == 0;
        int size = --heapSize;
        if (size == 0) {
            return;
        }
        long k = hk[size];
        int p = hp[size];
        int l = hl[size];
        int i = 0;
        int left;
        while ((left = 2 * i + 1) < size) {
            int c = left + 1 < size && hk[left + 1] < hk[left] ? left + 1 : left;
            hk[i] = hk[c];
            hp[i] = hp[c];
            hl[i] = hl[c];
            i = c;
        }
        while (i > 0) {
            int parent = (i - 1) >> 1;
            if (hk[parent] < k) {
                break;
            }
            hk[i] = hk[parent];
            hp[i] = hp[parent];
            hl[i] = hl[parent];
            i = parent;
        }
        hk[i] = k;
        hp[i] = p;
        hl[i] = l;
    }

    /** Largest padded image for {@link #floodSmall}: pixel and age fit in 24 bits each. */
    private static final int MAX_SMALL = (1 << 24) - 4;
    private int[] markersPerLevel = new int[0];
    private static final int SMALL_SHIFT = 24;
    private static final long SMALL_MASK = (1L << SMALL_SHIFT) - 1;

    /**
     * Plain mode on 8- or 16-bit elevations of at most {@link #MAX_SMALL} padded pixels: the same heap as
     * {@link #floodPacked}, but an item is one long, level (16 bits) | age (24) | pixel (24), the label being the
     * pixel's own (plain mode labels on push). Keys compare on their top 40 bits only, so markers (age 0) still
     * tie exactly as in scikit-image's heap and the layout, hence the order, is the same; each move of the
     * sift-up and sift-down copies one long instead of a key, a pixel and a label.
     */
    private void floodSmall(int[] offsets, int n) {
        int[] out = label;
        byte[] m = inMask;
        double[] e = elevation;
        heapSize = 0;
        // Markers left in the heap per level; tied counts the levels holding two or more of them.
        if (markersPerLevel.length < levels) {
            markersPerLevel = new int[levels];
        }
        int[] perLevel = markersPerLevel;
        Arrays.fill(perLevel, 0, levels, 0);
        int tied = 0;
        for (int p = 0; p < n; p++) {
            if (out[p] != 0) {
                int level = (int) e[p];
                pushSmall(((long) level << 48) | p);
                if (++perLevel[level] == 2) {
                    tied++;
                }
            }
        }
        long nextAge = 1;
        while (heapSize > 0) {
            if (tied == 0) {
                // All keys are distinct now (markers, age 0, on distinct levels; others with unique ages): the heap
                // pops in key order, as FIFO buckets per level do with each marker first in its bucket.
                long[] hk = hKey;
                long[] byAge = new long[heapSize];
                for (int i = 0; i < heapSize; i++) {
                    byAge[i] = ((hk[i] >>> SMALL_SHIFT) & SMALL_MASK) << 32 | (hk[i] & SMALL_MASK);
                }
                heapSize = 0;
                floodBuckets(offsets, n, byAge);
                return;
            }
            long item = popSmall();
            int p = (int) (item & SMALL_MASK);
            if (((item >>> SMALL_SHIFT) & SMALL_MASK) == 0 && --perLevel[(int) (item >>> 48)] == 1) {
                tied--;
            }
            int l = out[p];
            for (int q : offsets) {
                int nb = p + q;
                if (m[nb] == 0 || out[nb] != 0) {
                    continue;
                }
                nextAge++;
                out[nb] = l;
                pushSmall(((long) (int) e[nb] << 48) | (nextAge << SMALL_SHIFT) | nb);
            }
        }
    }

    private void pushSmall(long item) {
        if (heapSize == hKey.length) {
            hKey = Arrays.copyOf(hKey, Math.max(1024, hKey.length * 2));
        }
        long[] hk = hKey;
        long k = item >>> SMALL_SHIFT;
        int child = heapSize++;
        while (child > 0) {
            int parent = (child - 1) >> 1;
            long pk = hk[parent];
            if (k < (pk >>> SMALL_SHIFT)) {
                hk[child] = pk;
                child = parent;
            } else {
                break;
            }
        }
        hk[child] = item;
    }

    /** {@link #popPacked()} on one-long items, comparing their top 40 bits. */
    private long popSmall() {
        long[] hk = hKey;
        long top = hk[0];
        int size = --heapSize;
        if (size == 0) {
            return top;
        }
        long item = hk[size];
        long k = item >>> SMALL_SHIFT;
        int i = 0;
        int left;
        while ((left = 2 * i + 1) < size) {
            int c = left + 1 < size && (hk[left + 1] >>> SMALL_SHIFT) < (hk[left] >>> SMALL_SHIFT) ? left + 1 : left;
            hk[i] = hk[c];
            i = c;
        }
        while (i > 0) {
            int parent = (i - 1) >> 1;
            if ((hk[parent] >>> SMALL_SHIFT) < k) {
                break;
            }
            hk[i] = hk[parent];
            i = parent;
        }
        hk[i] = item;
        return top;
    }

    /** Compact mode: priorities are doubles, so the heap keeps (value, age) apart. */
    private void floodCompact(int w, int h, int[] offsets) {
        int pw = w + 2;
        int n = pw * (h + 2);
        items = 0;
        int[] out = label;
        byte[] m = inMask;
        double[] e = elevation;
        for (int p = 0; p < n; p++) {
            if (out[p] != 0) {
                push(e[p], 0, p, p);
            }
        }
        int nextAge = 1;
        while (items > 0) {
            int slot = pop();
            int p = pixel[slot];
            int src = source[slot];
            if (out[p] != 0 && p != src) {
                continue;
            }
            if (lines && differentNeighbours(out, offsets, p)) {
                continue;
            }
            out[p] = out[src];
            for (int q : offsets) {
                int nb = p + q;
                if (m[nb] == 0 || out[nb] != 0) {
                    continue;
                }
                nextAge++;
                int dy = nb / pw - src / pw;
                int dx = nb % pw - src % pw;
                double v = e[nb] + config.compactness() * Math.sqrt((double) dy * dy + (double) dx * dx);
                push(v, nextAge, nb, src);
            }
        }
    }

    /**
     * True, and {@code p} masked out as a line pixel, when {@code p} is masked out already or its masked-in
     * neighbours carry two different labels; the same test, quirks included, as scikit-image's.
     */
    private boolean differentNeighbours(int[] out, int[] offsets, int p) {
        if (inMask[p] == 0) {
            return true;
        }
        int l0 = 0;
        for (int q : offsets) {
            int nb = p + q;
            if (inMask[nb] != 0) {
                if (l0 == 0) {
                    l0 = out[nb];
                } else {
                    int l1 = out[nb];
                    if (l1 != 0 && l1 != l0) {
                        inMask[p] = 0;
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private boolean smaller(int a, int b) {
        if (value[a] != value[b]) {
            return value[a] < value[b];
        }
        return age[a] < age[b];
    }

    /** Binary-heap push, written to order equal keys exactly as scikit-image's heap does. */
    private void push(double v, int a, int p, int src) {
        if (items == heap.length) {
            int cap = Math.max(1024, heap.length * 2);
            int old = heap.length;
            heap = Arrays.copyOf(heap, cap);
            for (int k = old; k < cap; k++) {
                heap[k] = k;
            }
            value = Arrays.copyOf(value, cap);
            age = Arrays.copyOf(age, cap);
            pixel = Arrays.copyOf(pixel, cap);
            source = Arrays.copyOf(source, cap);
        }
        int child = items;
        int slot = heap[child];
        value[slot] = v;
        age[slot] = a;
        pixel[slot] = p;
        source[slot] = src;
        items++;
        while (child > 0) {
            int parent = (child + 1) / 2 - 1;
            if (smaller(heap[child], heap[parent])) {
                int t = heap[parent];
                heap[parent] = heap[child];
                heap[child] = t;
                child = parent;
            } else {
                break;
            }
        }
    }

    /**
     * Removes the smallest item and returns its slot, which stays valid until the next push (the slot moves to the
     * free end of the heap, as in scikit-image).
     */
    private int pop() {
        int top = heap[0];
        items--;
        if (items == 0) {
            return top;
        }
        heap[0] = heap[items];
        heap[items] = top;
        int i = 0;
        int smallest = 0;
        while (true) {
            int l = 2 * i + 1;
            int r = 2 * i + 2;
            if (l < items) {
                if (smaller(heap[l], heap[i])) {
                    smallest = l;
                }
                if (r < items && smaller(heap[r], heap[smallest])) {
                    smallest = r;
                }
            } else {
                break;
            }
            if (smallest == i) {
                break;
            }
            int t = heap[i];
            heap[i] = heap[smallest];
            heap[smallest] = t;
            i = smallest;
        }
        return top;
    }
}
