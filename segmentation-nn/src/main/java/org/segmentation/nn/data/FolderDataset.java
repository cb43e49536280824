package org.segmentation.nn.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.core.label.LabelOps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dataset on disk: {@code root/images/} holds the images and {@code root/masks/} one label mask per image with
 * the same file stem ({@code images/cell_07.jpg} pairs with {@code masks/cell_07.png}).
 *
 * <p>Masks are gray PNGs whose pixel value is the label, or palette PNGs whose palette <em>index</em> is the
 * label (the colours are ignored, as for PASCAL VOC masks). Lossy formats (JPEG) are refused for masks because
 * they blend labels. Images may be any format {@link javax.imageio.ImageIO} reads; they are scaled to [0, 1] and
 * converted to the configured channel count.
 *
 * <p>The pairing is checked when the dataset is opened, and {@link #scan} decodes every sample once to find bad
 * files before training; each sample's files are decoded on every {@link #get}, so a dataset larger than memory
 * works and several threads may read at once. Samples are ordered by stem.
 */
public final class FolderDataset implements SegmentationDataset {
    private static final Logger LOG = LoggerFactory.getLogger(FolderDataset.class);
    private static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff");
    private static final Set<String> MASK_EXTENSIONS = Set.of("png", "bmp", "gif", "tif", "tiff");

    /**
     * How to read a folder.
     *
     * @param channels 1 (colour images are converted to gray) or 3 (gray images are replicated)
     * @param numClasses number of classes, background included, or {@link #INFER} to use the largest label found
     *     in the masks (other than the ignore label) plus one, which reads every mask when the dataset is opened
     * @param ignoreLabel the mask value of unlabelled pixels (255 in PASCAL VOC), or {@link IgnoreLabel#NONE}
     */
    public record Config(int channels, int numClasses, IgnoreLabel ignoreLabel) {
        /** {@link #numClasses} value asking the dataset to infer the class count from the masks. */
        public static final int INFER = 0;

        /** @throws IllegalArgumentException if a value is out of range (the message names it) */
        public Config {
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
            }
            if (numClasses < 0) {
                throw new IllegalArgumentException("numClasses must be positive or INFER (0), got " + numClasses);
            }
            if (ignoreLabel == null) {
                throw new IllegalArgumentException("ignoreLabel is required (IgnoreLabel.NONE for none)");
            }
            if (numClasses != INFER) {
                ignoreLabel.checkFor(numClasses);
            }
        }
    }

    private final Path root;
    private final List<Path> images;
    private final List<Path> masks;
    private final int channels;
    private final int numClasses;
    private final IgnoreLabel ignoreLabel;

    private FolderDataset(Path root, List<Path> images, List<Path> masks, int channels, int numClasses,
            IgnoreLabel ignoreLabel) {
        this.root = root;
        this.images = images;
        this.masks = masks;
        this.channels = channels;
        this.numClasses = numClasses;
        this.ignoreLabel = ignoreLabel;
    }

    /**
     * Pairs the files under {@code root} and, if asked to, infers the class count.
     *
     * @throws DatasetException naming the file or folder if a folder is missing or empty, two images share a
     *     stem, an image has no mask or a mask no image, a mask is a JPEG, or (when inferring the class count)
     *     a mask cannot be read
     */
    public static FolderDataset open(Path root, Config config) {
        Map<String, Path> images = list(root.resolve("images"), IMAGE_EXTENSIONS, "image");
        Map<String, Path> masks = list(root.resolve("masks"), null, "mask");
        if (images.isEmpty()) {
            throw new DatasetException(root.resolve("images"), "no images in " + root.resolve("images"));
        }
        List<Path> imageList = new ArrayList<>();
        List<Path> maskList = new ArrayList<>();
        for (Map.Entry<String, Path> e : images.entrySet()) {
            Path mask = masks.get(e.getKey());
            if (mask == null) {
                throw new DatasetException(e.getValue(), "image " + e.getValue() + " has no mask: expected "
                        + root.resolve("masks").resolve(e.getKey() + ".png"));
            }
            if (!MASK_EXTENSIONS.contains(extension(mask))) {
                throw new DatasetException(mask, "mask " + mask + " is not in a lossless format; use PNG");
            }
            imageList.add(e.getValue());
            maskList.add(mask);
        }
        for (Map.Entry<String, Path> e : masks.entrySet()) {
            if (!images.containsKey(e.getKey())) {
                throw new DatasetException(e.getValue(), "mask " + e.getValue() + " has no image with stem '"
                        + e.getKey() + "' in " + root.resolve("images"));
            }
        }
        int numClasses = config.numClasses();
        if (numClasses == Config.INFER) {
            int max = -1;
            for (Path mask : maskList) {
                LabelMap labels = DatasetImageReader.readLabels(mask);
                for (int i = 0; i < labels.pixelCount(); i++) {
                    int v = labels.data[i];
                    if (!config.ignoreLabel().matches(v)) {
                        max = Math.max(max, v);
                    }
                }
            }
            numClasses = max + 1;
            if (numClasses < 2) {
                throw new DatasetException(root.resolve("masks"), "every mask in " + root.resolve("masks")
                        + " is background (0) or ignored; give numClasses explicitly");
            }
            if (config.ignoreLabel().valueOr(Integer.MAX_VALUE) < numClasses) {
                throw new DatasetException(root.resolve("masks"), "the ignore label "
                        + config.ignoreLabel().value() + " is below the largest label " + max + " found in "
                        + root.resolve("masks"));
            }
        }
        LOG.info("{}: {} image/mask pairs, {} classes", root, imageList.size(), numClasses);
        return new FolderDataset(root, List.copyOf(imageList), List.copyOf(maskList), config.channels(),
                numClasses, config.ignoreLabel());
    }

    /** Regular, non-hidden files of {@code dir} by stem; {@code extensions} (lower case) filters when not null. */
    private static Map<String, Path> list(Path dir, Set<String> extensions, String what) {
        if (!Files.isDirectory(dir)) {
            throw new DatasetException(dir, "missing " + what + " folder " + dir);
        }
        Map<String, Path> byStem = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String name = f.getFileName().toString();
                if (name.startsWith(".") || !Files.isRegularFile(f)) {
                    continue;
                }
                if (extensions != null && !extensions.contains(extension(f))) {
                    LOG.debug("skipping {}: not an image file extension", f);
                    continue;
                }
                int dot = name.lastIndexOf('.');
                String stem = dot > 0 ? name.substring(0, dot) : name;
                Path previous = byStem.put(stem, f);
                if (previous != null) {
                    throw new DatasetException(f, "two " + what + " files share the stem '" + stem + "': "
                            + previous + " and " + f);
                }
            }
        } catch (IOException e) {
            throw new DatasetException(dir, "cannot list " + what + " folder " + dir + ": " + e.getMessage(), e);
        }
        return byStem;
    }

    private static String extension(Path f) {
        String name = f.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * Decodes sample {@code index}.
     *
     * @throws DatasetException naming the file if it cannot be read, the mask's size differs from the image's,
     *     or the mask holds a label that is neither a class nor the ignore label
     */
    @Override
    public Sample get(int index) {
        SegmentationDataset.checkIndex(index, images.size());
        Path imageFile = images.get(index);
        Path maskFile = masks.get(index);
        PlanarF32 image = DatasetImageReader.readImage(imageFile, channels);
        LabelMap target = DatasetImageReader.readLabels(maskFile);
        if (!image.isSameShape(target)) {
            throw new DatasetException(maskFile, "mask " + maskFile + " is " + target.width + "x" + target.height
                    + " but image " + imageFile + " is " + image.width + "x" + image.height);
        }
        String bad = LabelOps.firstInvalidClass(target, numClasses, ignoreLabel);
        if (bad != null) {
            throw new DatasetException(maskFile, "mask " + maskFile + ": " + bad);
        }
        return new Sample(image, target);
    }

    /**
     * Decodes every sample once, so that a file the training would fail on hours later (an unreadable or
     * unsupported image, NaN samples, a mask of another size, a label out of range) fails now. Costs one read of
     * the whole dataset; skip it for datasets too large to read twice.
     *
     * @return this dataset
     * @throws DatasetException naming the first file that cannot be used, and how many samples were found bad
     */
    public FolderDataset scan() {
        DatasetException first = null;
        int bad = 0;
        for (int i = 0; i < size(); i++) {
            try {
                get(i);
            } catch (DatasetException e) {
                bad++;
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw new DatasetException(first.file(), first.getMessage() + (bad > 1 ? " (and " + (bad - 1)
                    + " more bad sample" + (bad > 2 ? "s" : "") + " of " + size() + ")" : ""), first);
        }
        return this;
    }

    /** The image file of sample {@code index}. */
    public Path imageFile(int index) {
        SegmentationDataset.checkIndex(index, images.size());
        return images.get(index);
    }

    /** The mask file of sample {@code index}. */
    public Path maskFile(int index) {
        SegmentationDataset.checkIndex(index, masks.size());
        return masks.get(index);
    }

    /** The folder this dataset was opened from. */
    public Path root() {
        return root;
    }

    @Override
    public int size() {
        return images.size();
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public IgnoreLabel ignoreLabel() {
        return ignoreLabel;
    }
}
