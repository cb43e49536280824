package org.segmentation.nn.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.ImageBase;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.label.LabelOps;

/**
 * An 11-class semantic segmentation problem on real textures: Fashion-MNIST items pasted at random positions
 * and scales onto crops of photographed brick, grass and gravel. Label 0 is the background texture and label
 * {@code k + 1} is Fashion-MNIST class {@code k} (see {@link #CLASS_NAMES}); the instance map numbers the
 * visible items 1..n.
 *
 * <p>The data are bundled resources (see {@code LICENSES.md} beside them): 100 items of each Fashion-MNIST
 * class (MIT licence) and three 256x256 gray CC0 texture crops from scikit-image. An item covers the pixels
 * where its resampled intensity exceeds {@link #ITEM_THRESHOLD}; there the image shows the item, elsewhere the
 * texture. Later items occlude earlier ones. A seed determines everything.
 */
public final class TexturedComposites {
    /** Number of target classes: the background texture and the ten Fashion-MNIST classes. */
    public static final int NUM_CLASSES = 11;
    /** Name of each target label. */
    public static final List<String> CLASS_NAMES = List.of("background", "T-shirt/top", "trouser", "pullover",
            "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot");
    /** Resampled item intensity (0..1) above which a pixel belongs to the item; Fashion-MNIST backgrounds are 0. */
    public static final float ITEM_THRESHOLD = 0.05f;

    private static final int ITEM_SIZE = 28;
    private static final int ITEMS_PER_CLASS = 100;
    private static final String[] TEXTURES = {"texture-brick.png", "texture-grass.png", "texture-gravel.png"};

    /**
     * Generator settings.
     *
     * @param width image width in pixels
     * @param height image height in pixels
     * @param minItems fewest items pasted
     * @param maxItems most items pasted
     * @param minScale smallest item scale (1 = 28 px)
     * @param maxScale largest item scale; an item never exceeds the image
     * @param noiseSigma standard deviation of the additive Gaussian noise on the [0, 1] scale
     */
    public record Config(int width, int height, int minItems, int maxItems, double minScale, double maxScale,
            double noiseSigma) {
        /** @throws IllegalArgumentException if a value is out of range (the message names it) */
        public Config {
            ImageBase.checkedSize(width, height, 1);
            if (width < ITEM_SIZE || height < ITEM_SIZE) {
                throw new IllegalArgumentException("images must be at least 28x28, got " + width + "x" + height);
            }
            if (minItems < 1 || maxItems < minItems) {
                throw new IllegalArgumentException("need 1 <= minItems <= maxItems, got " + minItems + ".."
                        + maxItems);
            }
            if (!(minScale >= 0.5 && maxScale >= minScale && Double.isFinite(maxScale))) {
                throw new IllegalArgumentException("need 0.5 <= minScale <= maxScale, got " + minScale + ".."
                        + maxScale);
            }
            if (!(noiseSigma >= 0 && noiseSigma < 1)) {
                throw new IllegalArgumentException("noiseSigma must be in [0, 1), got " + noiseSigma);
            }
        }

        /** 128x128 images with 2 to 6 items of 28 to 70 px and noise 0.02. */
        public static Config defaults() {
            return new Config(128, 128, 2, 6, 1.0, 2.5, 0.02);
        }
    }

    private final Config config;
    /** Items of class {@code c}: {@code items[c][k*784 + y*28 + x]}, gray bytes. */
    private final byte[][] items;
    private final GrayU8[] textures;

    /**
     * A generator; reads the bundled resources.
     *
     * @throws UncheckedIOException if a resource is missing or corrupt
     */
    public TexturedComposites(Config config) {
        this.config = config;
        this.items = readItems();
        this.textures = new GrayU8[TEXTURES.length];
        for (int t = 0; t < TEXTURES.length; t++) {
            textures[t] = DatasetImageReader.readGrayResource(TEXTURES[t]);
        }
    }

    private static byte[][] readItems() {
        String name = "fashion-mnist-subset.bin.gz";
        int perClass = ITEMS_PER_CLASS * ITEM_SIZE * ITEM_SIZE;
        byte[] all;
        try (InputStream raw = TexturedComposites.class.getResourceAsStream(name)) {
            if (raw == null) {
                throw new UncheckedIOException(new IOException("missing resource " + name));
            }
            try (GZIPInputStream in = new GZIPInputStream(raw)) {
                all = in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name + ": " + e.getMessage(), e);
        }
        if (all.length != 10 * perClass) {
            throw new UncheckedIOException(new IOException("resource " + name + " has " + all.length
                    + " bytes, expected " + 10 * perClass));
        }
        byte[][] out = new byte[10][];
        for (int c = 0; c < 10; c++) {
            out[c] = Arrays.copyOfRange(all, c * perClass, (c + 1) * perClass);
        }
        return out;
    }

    /** The settings. */
    public Config config() {
        return config;
    }

    /** {@code n} images, image {@code i} generated from seed {@code (seed, i)}, as an 11-class dataset. */
    public InMemoryDataset dataset(int n, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("dataset size must be at least 1, got " + n);
        }
        List<Sample> samples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            samples.add(generate(Seeds.mix(seed, i)));
        }
        return new InMemoryDataset(samples, NUM_CLASSES);
    }

    /** One composite: a 1-channel image in [0, 1], the 11-class target and the instance map. */
    public Sample generate(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int w = config.width();
        int h = config.height();
        PlanarF32 image = new PlanarF32(1, w, h);
        float[] img = image.data;

        GrayU8 tex = textures[rng.nextInt(textures.length)];
        int ox = rng.nextInt(tex.width);
        int oy = rng.nextInt(tex.height);
        boolean flip = rng.nextBoolean();
        float gain = (float) (0.5 + 0.4 * rng.nextDouble());
        float offset = (float) (0.05 + 0.1 * rng.nextDouble());
        for (int y = 0; y < h; y++) {
            int ty = ElasticDeformation.mirror(oy + y, tex.height);
            for (int x = 0; x < w; x++) {
                int tx = ElasticDeformation.mirror(ox + (flip ? -x : x), tex.width);
                img[y * w + x] = offset + gain * tex.unsafe_get(tx, ty) / 255f;
            }
        }

        LabelMap target = new LabelMap(w, h);
        LabelMap instances = new LabelMap(w, h);
        int n = config.minItems() + rng.nextInt(config.maxItems() - config.minItems() + 1);
        for (int k = 1; k <= n; k++) {
            int cls = rng.nextInt(10);
            int item = rng.nextInt(ITEMS_PER_CLASS);
            double scale = config.minScale() + rng.nextDouble() * (config.maxScale() - config.minScale());
            int size = Math.min(Math.min(w, h), (int) Math.round(ITEM_SIZE * scale));
            int x0 = rng.nextInt(w - size + 1);
            int y0 = rng.nextInt(h - size + 1);
            boolean mirror = rng.nextBoolean();
            float itemGain = (float) (0.75 + 0.25 * rng.nextDouble());
            paste(img, target, instances, w, cls, item, size, x0, y0, mirror, itemGain, k);
        }
        LabelOps.relabel(instances);   // items hidden by later ones vanish; ids 1..n in raster order
        for (int i = 0; i < img.length; i++) {
            double v = img[i] + config.noiseSigma() * rng.nextGaussian();
            img[i] = (float) Math.min(1.0, Math.max(0.0, v));
        }
        return new Sample(image, target, instances);
    }

    /** Bilinear resampling of a 28x28 item to {@code size x size} at {@code (x0, y0)}, pixel centres aligned. */
    private void paste(float[] img, LabelMap target, LabelMap instances, int w, int cls, int item, int size,
            int x0, int y0, boolean mirror, float gain, int id) {
        byte[] data = items[cls];
        int base = item * ITEM_SIZE * ITEM_SIZE;
        double ratio = (double) ITEM_SIZE / size;
        for (int y = 0; y < size; y++) {
            double sy = Math.min(ITEM_SIZE - 1, Math.max(0, (y + 0.5) * ratio - 0.5));
            int iy = Math.min((int) sy, ITEM_SIZE - 2);
            double ty = sy - iy;
            for (int x = 0; x < size; x++) {
                double sx = Math.min(ITEM_SIZE - 1, Math.max(0, ((mirror ? size - 1 - x : x) + 0.5) * ratio - 0.5));
                int ix = Math.min((int) sx, ITEM_SIZE - 2);
                double tx = sx - ix;
                int p = base + iy * ITEM_SIZE + ix;
                double top = (1 - tx) * (data[p] & 0xFF) + tx * (data[p + 1] & 0xFF);
                double bottom = (1 - tx) * (data[p + ITEM_SIZE] & 0xFF) + tx * (data[p + ITEM_SIZE + 1] & 0xFF);
                float v = (float) (((1 - ty) * top + ty * bottom) / 255.0);
                if (v > ITEM_THRESHOLD) {
                    int i = (y0 + y) * w + x0 + x;
                    img[i] = gain * v;
                    target.data[i] = cls + 1;
                    instances.data[i] = id;
                }
            }
        }
    }
}
