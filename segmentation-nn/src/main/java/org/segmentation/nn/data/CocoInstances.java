package org.segmentation.nn.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.core.coco.CocoDataset;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.nn.model.MaskRCNN;

/**
 * A COCO instances dataset as Mask R-CNN training data: its images (read from the image folder, scaled to [0, 1]
 * with {@code channels} channels) and each one's {@link MaskRCNN.Target}. The categories become classes 1..K−1 in
 * the file's order (class 0 is background), so a file with category ids 1, 3, 7 trains a 4-class model whose class
 * names are "background" and the categories' names. Crowd regions are not targets ({@link MaskRCNN.Target#of}).
 *
 * <p>Immutable; images are read on every call. Safe to call from several threads.
 */
public final class CocoInstances {
    private final CocoDataset dataset;
    private final Path imageDir;
    private final int channels;
    private final List<Long> imageIds;
    private final Map<Integer, Integer> classOf;
    private final List<String> classNames;

    private CocoInstances(CocoDataset dataset, Path imageDir, int channels) {
        this.dataset = dataset;
        this.imageDir = imageDir;
        this.channels = channels;
        this.imageIds = List.copyOf(dataset.images().keySet());
        Map<Integer, Integer> classes = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        names.add("background");
        for (CocoDataset.Category c : dataset.categories().values()) {
            classes.put(c.id(), names.size());
            names.add(c.name());
        }
        this.classOf = Collections.unmodifiableMap(classes);
        this.classNames = List.copyOf(names);
    }

    /**
     * Reads the instances JSON and checks that every image file exists ({@link CocoDataset#read}).
     *
     * @param channels 1 or 3, the channels images are read with
     * @throws org.segmentation.core.coco.CocoFormatException naming the file and the record if the JSON is not a
     *     consistent COCO instances file or an image file is missing
     */
    public static CocoInstances open(Path json, Path imageDir, int channels) throws IOException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        return new CocoInstances(CocoDataset.read(json, imageDir), imageDir, channels);
    }

    public CocoDataset dataset() {
        return dataset;
    }

    /** The number of images, those without annotations included. */
    public int size() {
        return imageIds.size();
    }

    /** Image {@code i}'s COCO id, in the file's order. */
    public long imageId(int i) {
        return imageIds.get(i);
    }

    /** K: the categories and the background. */
    public int classes() {
        return classNames.size();
    }

    /** "background", then the categories' names in the file's order. */
    public List<String> classNames() {
        return classNames;
    }

    /** The class of each category id. */
    public Map<Integer, Integer> classOf() {
        return classOf;
    }

    /**
     * Image {@code i} scaled to [0, 1].
     *
     * @throws DatasetException naming the file if it cannot be decoded, or if its size is not the one the JSON
     *     gives (the annotations would not fit it)
     */
    public PlanarF32 image(int i) {
        CocoDataset.Image img = dataset.images().get(imageIds.get(i));
        Path file = imageDir.resolve(img.fileName());
        PlanarF32 p = DatasetImageReader.readImage(file, channels);
        if (p.width != img.width() || p.height != img.height()) {
            throw new DatasetException(file, file + ": the image is " + p.width + "x" + p.height + ", the COCO file says "
                    + img.width() + "x" + img.height() + " (image " + img.id() + ")");
        }
        return p;
    }

    /** Image {@code i}'s target: its non-crowd annotations' boxes, classes and masks. */
    public MaskRCNN.Target target(int i, DataType dtype) {
        long id = imageIds.get(i);
        return MaskRCNN.Target.of(dataset.images().get(id), dataset.annotations(id), classOf, dtype);
    }

    /**
     * Image {@code i} as a training sample: the image in [0, 1], the class of every pixel and the instance map
     * (instance k + 1 is the image's k-th non-crowd annotation in the file's order). Crowd regions are background.
     * Where annotations overlap, the smaller one (by mask area) keeps the pixels, so that an object lying on a
     * larger one stays whole; the larger one's mask target loses them, a limit of one label map per image.
     *
     * @throws DatasetException naming the file if the image cannot be decoded or is not of the JSON's size
     */
    public Sample sample(int i) {
        long id = imageIds.get(i);
        CocoDataset.Image img = dataset.images().get(id);
        PlanarF32 image = image(i);
        List<CocoDataset.Annotation> kept = dataset.annotations(id).stream().filter(a -> !a.crowd()).toList();
        Integer[] order = new Integer[kept.size()];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        // largest first, so that smaller annotations are painted over them; ties in file order
        java.util.Arrays.sort(order, (a, b) -> Long.compare(kept.get(b).mask().area(), kept.get(a).mask().area()));
        LabelMap classes = new LabelMap(img.width(), img.height());
        LabelMap instances = new LabelMap(img.width(), img.height());
        org.segmentation.core.image.Mask m = null;
        for (int k : order) {
            CocoDataset.Annotation a = kept.get(k);
            m = a.mask().decode(m);
            int c = classOf.get(a.categoryId());
            for (int y = 0; y < img.height(); y++) {
                for (int x = 0; x < img.width(); x++) {
                    if (m.unsafe_get(x, y)) {
                        classes.unsafe_set(x, y, c);
                        instances.unsafe_set(x, y, k + 1);
                    }
                }
            }
        }
        return new Sample(image, classes, instances);
    }

    /**
     * The images as a {@link SegmentationDataset} of {@link #sample}s with {@link #classes()} classes, what a
     * Mask R-CNN trains on ({@link org.segmentation.nn.train.MaskRCNNTrainable}). Images are read on every call.
     */
    public SegmentationDataset samples() {
        return new SegmentationDataset() {
            @Override
            public int size() {
                return CocoInstances.this.size();
            }

            @Override
            public Sample get(int index) {
                SegmentationDataset.checkIndex(index, size());
                return sample(index);
            }

            @Override
            public int numClasses() {
                return classes();
            }

            @Override
            public int channels() {
                return channels;
            }
        };
    }
}
