package org.segmentation.nn.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.Memory;
import org.segmentation.nn.Shapes;
import org.segmentation.nn.detect.AnchorGenerator;
import org.segmentation.nn.detect.BalancedSampler;
import org.segmentation.nn.detect.BoxCoder;
import org.segmentation.nn.detect.BoxHead;
import org.segmentation.nn.detect.BoxOps;
import org.segmentation.nn.detect.MaskHead;
import org.segmentation.nn.detect.MaskPaste;
import org.segmentation.nn.detect.MultiScaleRoIAlign;
import org.segmentation.nn.detect.RoiHeads;
import org.segmentation.nn.detect.Rpn;
import org.segmentation.nn.detect.RpnConfig;
import org.segmentation.nn.detect.RpnHead;
import org.segmentation.nn.param.ParameterBuffer;

/**
 * Mask R-CNN (He et al., 2017) wired in plain Java as torchvision's {@code MaskRCNN}: a {@link ResNet} and an
 * {@link Fpn} (P2..P5 and the pooled P6), the region proposal network ({@link RpnHead}, {@link Rpn}), RoIAlign over
 * P2..P5 ({@link MultiScaleRoIAlign}, 7×7 for boxes and 14×14 for masks, sampling ratio 2), the box head and the
 * mask head ({@link BoxHead}, {@link MaskHead}, {@link RoiHeads}). Parameter and buffer names are torchvision's
 * state_dict names ({@code backbone.body.*}, {@code backbone.fpn.*}, {@code rpn.head.*}, {@code roi_heads.*}).
 *
 * <p>Images are given as the network sees them: normalised and of the size to process (torchvision's
 * {@code GeneralizedRCNNTransform}, resizing and normalisation, is not part of this class). One instance serves one
 * thread at a time.
 */
public final class MaskRCNN {
    /** The {@code "architecture"} of a Mask R-CNN's {@code config.json}. */
    public static final String ARCHITECTURE = "maskrcnn";

    private final MaskRCNNConfig config;
    private final ParameterBuffer params;
    private final Map<String, INDArray> buffers;
    private final ResNet body;
    private final Fpn fpn;
    private final RpnHead rpnHead;
    private final BoxHead boxHead;
    private final MaskHead maskHead;
    private final MultiScaleRoIAlign boxPool = new MultiScaleRoIAlign(7, 7, 2, false);
    private final MultiScaleRoIAlign maskPool = new MultiScaleRoIAlign(14, 14, 2, false);
    private boolean training = true;
    private Samples lastSamples;

    /**
     * The anchors and proposals a training step sampled for its losses, per image: the RPN's (indices into the
     * anchors) and the box head's (indices into the image's proposals followed by its ground-truth boxes).
     */
    public record Samples(BalancedSampler.Sample[] rpn, BalancedSampler.Sample[] roi) {
    }

    /** The ground truth of one image: boxes, their classes in [1, K), and their 0/1 masks (G, H, W). */
    public record Target(double[] boxes, int[] labels, INDArray masks) {
        public Target {
            int g = BoxOps.countOrdered("MaskRCNN target boxes", boxes);
            if (labels == null || labels.length != g) {
                throw new IllegalArgumentException("MaskRCNN target: expected " + g + " labels, got "
                        + (labels == null ? "null" : labels.length));
            }
            Shapes.require("MaskRCNN target masks", "(G,H,W)", masks, g, Shapes.ANY, Shapes.ANY);
        }

        /**
         * The target of an instance label map (0 background, 1..n instances; ids without pixels are skipped):
         * each instance's box is its pixel extent [xmin, xmax + 1) × [ymin, ymax + 1), its mask its pixels, and its
         * class the most frequent value of {@code classes} over its pixels (1 for every instance when
         * {@code classes} is null, e.g. cells).
         *
         * @throws IllegalArgumentException if the maps differ in size or an instance's class is 0 (background)
         */
        public static Target fromInstances(LabelMap instances, LabelMap classes, DataType dtype) {
            return of(truth(instances, classes), dtype);
        }

        /**
         * The ground truth of an instance label map as {@link #fromInstances} reads it (ids without pixels skipped,
         * each instance's class the most frequent value of {@code classes} over its pixels, 1 for all when
         * {@code classes} is null), as instances with score 1: what the COCO AP of a prediction is measured against.
         *
         * @throws IllegalArgumentException if the maps differ in size or an instance's class is 0 (background)
         */
        public static InstanceSegmentation truth(LabelMap instances, LabelMap classes) {
            if (classes != null && (classes.width != instances.width || classes.height != instances.height)) {
                throw new IllegalArgumentException("MaskRCNN.Target.fromInstances: instance map " + instances.width
                        + "x" + instances.height + " but class map " + classes.width + "x" + classes.height);
            }
            int max = instances.maxLabel();
            Map<Integer, Map<Integer, Integer>> votes = new java.util.HashMap<>();
            for (int y = 0; y < instances.height; y++) {
                for (int x = 0; x < instances.width; x++) {
                    int id = instances.get(x, y);
                    if (id > 0) {
                        int c = classes == null ? 1 : classes.get(x, y);
                        votes.computeIfAbsent(id, k -> new java.util.TreeMap<>()).merge(c, 1, Integer::sum);
                    }
                }
            }
            int[] classOf = new int[max + 1];
            for (Map.Entry<Integer, Map<Integer, Integer>> e : votes.entrySet()) {
                int c = e.getValue().entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
                if (c <= 0) {
                    throw new IllegalArgumentException("MaskRCNN.Target.fromInstances: instance " + e.getKey()
                            + " is mostly class " + c + "; object classes start at 1");
                }
                classOf[e.getKey()] = c;
            }
            return InstanceSegmentation.fromLabels(instances, classOf);
        }

        /**
         * The target of one image's COCO annotations: each non-crowd annotation's box (COCO's
         * [x, y, width, height] as corners), its class and its decoded mask; masks may overlap, as COCO's do.
         * Crowd annotations are left out, as torchvision's reference training does.
         *
         * @param classOf the class (≥ 1) of each category id; e.g. categories numbered 1..K−1 in file order
         * @throws IllegalArgumentException if a category has no class, a class is below 1, or a mask is not of the
         *     image's size
         */
        public static Target of(org.segmentation.core.coco.CocoDataset.Image image,
                List<org.segmentation.core.coco.CocoDataset.Annotation> annotations, Map<Integer, Integer> classOf,
                DataType dtype) {
            List<org.segmentation.core.coco.CocoDataset.Annotation> kept = annotations.stream()
                    .filter(a -> !a.crowd()).toList();
            int g = kept.size();
            int h = image.height();
            int w = image.width();
            double[] boxes = new double[4 * g];
            int[] labels = new int[g];
            float[] m = new float[g * h * w];
            org.segmentation.core.image.Mask scratch = null;
            for (int k = 0; k < g; k++) {
                org.segmentation.core.coco.CocoDataset.Annotation a = kept.get(k);
                Integer c = classOf.get(a.categoryId());
                if (c == null || c < 1) {
                    throw new IllegalArgumentException("MaskRCNN.Target.of: annotation " + a.id() + " has category "
                            + a.categoryId() + ", whose class is " + c + "; classes start at 1");
                }
                if (a.mask().height() != h || a.mask().width() != w) {
                    throw new IllegalArgumentException("MaskRCNN.Target.of: annotation " + a.id() + " has a "
                            + a.mask().width() + "x" + a.mask().height() + " mask in a " + w + "x" + h + " image");
                }
                labels[k] = c;
                double[] b = a.bbox();
                boxes[4 * k] = b[0];
                boxes[4 * k + 1] = b[1];
                boxes[4 * k + 2] = b[0] + b[2];
                boxes[4 * k + 3] = b[1] + b[3];
                scratch = a.mask().decode(scratch);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        if (scratch.unsafe_get(x, y)) {
                            m[(k * h + y) * w + x] = 1;
                        }
                    }
                }
            }
            INDArray masks = g == 0 ? Nd4j.zeros(dtype, 0, h, w)
                    : Nd4j.create(m, new long[] {g, h, w}, 'c').castTo(dtype);
            return new Target(boxes, labels, masks);
        }

        /** The target of ground-truth instances: their boxes, classes and pixels (each label's own). */
        public static Target of(InstanceSegmentation truth, DataType dtype) {
            LabelMap l = truth.labels();
            int g = truth.size();
            float[] m = new float[g * l.height * l.width];
            for (int y = 0; y < l.height; y++) {
                for (int x = 0; x < l.width; x++) {
                    int v = l.unsafe_get(x, y);
                    if (v > 0) {
                        m[((v - 1) * l.height + y) * l.width + x] = 1;
                    }
                }
            }
            INDArray masks = g == 0 ? Nd4j.zeros(dtype, 0, l.height, l.width)
                    : Nd4j.create(m, new long[] {g, l.height, l.width}, 'c').castTo(dtype);
            return new Target(truth.boxes().clone(), truth.classes().clone(), masks);
        }
    }

    /** The five training losses of one step; torchvision sums them unweighted. */
    public record Losses(double rpnObjectness, double rpnBox, double classifier, double boxRegression, double mask) {
        public double total() {
            return rpnObjectness + rpnBox + classifier + boxRegression + mask;
        }
    }

    /** The detections of one image by descending score, with each one's 28×28 mask probabilities in its box. */
    public record Instances(double[] boxes, double[] scores, int[] labels, INDArray maskProbabilities) {
        public int size() {
            return labels.length;
        }

        /**
         * The detections as the library's instance result: the masks pasted into a height×width image and
         * thresholded into one instance label map ({@link MaskPaste#labelMap}; instance i + 1 is detection i, a
         * higher-scoring detection keeps overlaps), with each detection's class, score and box.
         *
         * @param threshold mask probability above which a pixel belongs to an instance (torchvision's users: 0.5)
         */
        public InstanceSegmentation segmentation(int height, int width, double threshold) {
            int m = (int) maskProbabilities.size(2);
            double[][] masks = new double[size()][];
            for (int d = 0; d < size(); d++) {
                masks[d] = maskProbabilities.get(org.nd4j.linalg.indexing.NDArrayIndex.point(d)).castTo(DataType.DOUBLE)
                        .dup('c').reshape(-1).toDoubleVector();
            }
            LabelMap labelMap = MaskPaste.labelMap(masks, m, boxes, height, width, threshold);
            return new InstanceSegmentation(labelMap, labels.clone(), scores.clone(), boxes.clone());
        }
    }

    /**
     * The configuration as one flat JSON object whose keys name torchvision's {@code MaskRCNN} arguments, as the
     * peer scripts build the same model from it: {@code block}, {@code blocks}, {@code widths}, {@code stem} (the
     * ResNet), {@code fpn}, {@code classes}, {@code representation}, {@code mask_width}, {@code sizes} (one anchor
     * size per level), {@code ratios}, the RPN's {@code rpn_pre_nms_train}, {@code rpn_post_nms_train},
     * {@code rpn_pre_nms_test}, {@code rpn_post_nms_test}, {@code rpn_nms}, {@code rpn_fg_iou}, {@code rpn_bg_iou},
     * {@code rpn_batch}, {@code rpn_positive_fraction}, {@code rpn_score}, and the heads' {@code box_fg_iou},
     * {@code box_bg_iou}, {@code box_batch}, {@code box_positive_fraction}, {@code box_score}, {@code box_nms},
     * {@code detections}.
     *
     * @throws IllegalArgumentException if the anchors have more than one size per level or differ in their ratios
     *     between levels, which torchvision's arguments cannot express here
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode configToJson(MaskRCNNConfig c) {
        double[][] sizes = c.anchors().sizes();
        double[][] ratios = c.anchors().ratios();
        for (int l = 0; l < sizes.length; l++) {
            if (sizes[l].length != 1 || !Arrays.equals(ratios[l], ratios[0])) {
                throw new IllegalArgumentException("MaskRCNN.configToJson: expected one anchor size per level and the"
                        + " same ratios on every level, got " + c.anchors());
            }
        }
        com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory
                .instance.objectNode();
        o.put("architecture", ARCHITECTURE).put("input_channels", c.backbone().inputChannels());
        o.put("block", c.backbone().block().name());
        Arrays.stream(c.backbone().blocks()).forEach(o.putArray("blocks")::add);
        Arrays.stream(c.backbone().widths()).forEach(o.putArray("widths")::add);
        o.put("stem", c.backbone().stemWidth());
        o.put("fpn", c.fpnChannels()).put("classes", c.classes()).put("representation", c.representation())
                .put("mask_width", c.maskWidth());
        Arrays.stream(sizes).forEach(s -> o.withArray("sizes").add((int) s[0]));
        Arrays.stream(ratios[0]).forEach(o.putArray("ratios")::add);
        RpnConfig r = c.rpn();
        o.put("rpn_pre_nms_train", r.preNmsTopNTrain()).put("rpn_post_nms_train", r.postNmsTopNTrain())
                .put("rpn_pre_nms_test", r.preNmsTopNTest()).put("rpn_post_nms_test", r.postNmsTopNTest())
                .put("rpn_nms", r.nmsThresh()).put("rpn_fg_iou", r.fgIouThresh()).put("rpn_bg_iou", r.bgIouThresh())
                .put("rpn_batch", r.batchSizePerImage()).put("rpn_positive_fraction", r.positiveFraction())
                .put("rpn_score", r.scoreThresh()).put("rpn_min_size", r.minSize());
        org.segmentation.nn.detect.RoiHeadsConfig h = c.roiHeads();
        o.put("box_fg_iou", h.fgIouThresh()).put("box_bg_iou", h.bgIouThresh()).put("box_batch",
                h.batchSizePerImage()).put("box_positive_fraction", h.positiveFraction())
                .put("box_score", h.scoreThresh()).put("box_nms", h.nmsThresh())
                .put("detections", h.detectionsPerImage());
        o.put("dtype", c.dtype() == DataType.DOUBLE ? "float64" : "float32");
        return o;
    }

    private static final java.util.Set<String> CONFIG_KEYS = java.util.Set.of("architecture", "input_channels",
            "block", "blocks", "widths", "stem", "fpn", "classes", "representation", "mask_width", "sizes", "ratios",
            "rpn_pre_nms_train", "rpn_post_nms_train", "rpn_pre_nms_test", "rpn_post_nms_test", "rpn_nms",
            "rpn_fg_iou", "rpn_bg_iou", "rpn_batch", "rpn_positive_fraction", "rpn_score", "rpn_min_size",
            "box_fg_iou", "box_bg_iou", "box_batch", "box_positive_fraction", "box_score", "box_nms", "detections",
            "dtype");
    /** Fields a task-level model adds beside the architecture ({@code TrainedMaskRCNN}); the network ignores them. */
    private static final java.util.Set<String> TASK_KEYS = java.util.Set.of("transform", "input", "class_names");

    /**
     * Parses the fields written by {@link #configToJson}.
     *
     * @param file named in errors (may be null)
     * @throws org.segmentation.nn.io.ModelFormatException naming the field on another architecture, a missing,
     *     unknown or ill-typed field, or values that the configuration records reject
     */
    public static MaskRCNNConfig configFromJson(com.fasterxml.jackson.databind.JsonNode json, java.nio.file.Path file)
            throws org.segmentation.nn.io.ModelFormatException {
        if (json == null || !json.isObject()) {
            throw new org.segmentation.nn.io.ModelFormatException(file, null, "the config is not a JSON object");
        }
        com.fasterxml.jackson.databind.JsonNode arch = json.get("architecture");
        if (arch == null || !ARCHITECTURE.equals(arch.asText(null))) {
            throw new org.segmentation.nn.io.ModelFormatException(file, null, "architecture is " + arch
                    + ", expected \"" + ARCHITECTURE + "\"");
        }
        for (java.util.Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!CONFIG_KEYS.contains(key) && !TASK_KEYS.contains(key)) {
                throw new org.segmentation.nn.io.ModelFormatException(file, null, "unknown config field \"" + key
                        + "\"");
            }
        }
        try {
            String block = ConfigFields.field(json, "block", file).asText("");
            if (!block.equals("BASIC") && !block.equals("BOTTLENECK")) {
                throw new org.segmentation.nn.io.ModelFormatException(file, null, "config field \"block\" is "
                        + json.get("block") + ", expected \"BASIC\" or \"BOTTLENECK\"");
            }
            ResNetConfig backbone = new ResNetConfig(ResNetConfig.Block.valueOf(block),
                    ConfigFields.intArray(json, "blocks", file), ConfigFields.intArray(json, "widths", file),
                    ConfigFields.intField(json, "stem", file), ConfigFields.intField(json, "input_channels", file));
            int[] sizes = ConfigFields.intArray(json, "sizes", file);
            double[] ratios = ConfigFields.numberArray(json, "ratios", file);
            checkAnchors(sizes, ratios, file);
            AnchorGenerator anchors = AnchorGenerator.uniformRatios(Arrays.stream(sizes).asDoubleStream().toArray(),
                    ratios);
            RpnConfig rpn = new RpnConfig(ConfigFields.intField(json, "rpn_pre_nms_train", file),
                    ConfigFields.intField(json, "rpn_pre_nms_test", file),
                    ConfigFields.intField(json, "rpn_post_nms_train", file),
                    ConfigFields.intField(json, "rpn_post_nms_test", file),
                    ConfigFields.numberField(json, "rpn_nms", file), ConfigFields.numberField(json, "rpn_fg_iou", file),
                    ConfigFields.numberField(json, "rpn_bg_iou", file), ConfigFields.intField(json, "rpn_batch", file),
                    ConfigFields.numberField(json, "rpn_positive_fraction", file),
                    ConfigFields.numberField(json, "rpn_score", file),
                    ConfigFields.numberField(json, "rpn_min_size", file));
            org.segmentation.nn.detect.RoiHeadsConfig heads = new org.segmentation.nn.detect.RoiHeadsConfig(
                    ConfigFields.numberField(json, "box_fg_iou", file), ConfigFields.numberField(json, "box_bg_iou",
                    file), ConfigFields.intField(json, "box_batch", file),
                    ConfigFields.numberField(json, "box_positive_fraction", file),
                    ConfigFields.numberField(json, "box_score", file), ConfigFields.numberField(json, "box_nms", file),
                    ConfigFields.intField(json, "detections", file));
            return new MaskRCNNConfig(backbone, ConfigFields.intField(json, "fpn", file), anchors, rpn, heads,
                    ConfigFields.intField(json, "classes", file), ConfigFields.intField(json, "representation", file),
                    ConfigFields.intField(json, "mask_width", file), ConfigFields.dtypeField(json, file));
        } catch (IllegalArgumentException e) {
            throw new org.segmentation.nn.io.ModelFormatException(file, null, "invalid config: " + e.getMessage(), e);
        }
    }

    /** Anchor ratios per pyramid cell that a config may ask for (torchvision 3); more only multiply the work. */
    static final int MAX_ANCHOR_RATIOS = 16;

    /**
     * The anchor fields of a config: one size per pyramid level ({@link MaskRCNNConfig#LEVELS}), each a
     * positive int, and 1..{@link #MAX_ANCHOR_RATIOS} ratios, each positive and finite.
     */
    private static void checkAnchors(int[] sizes, double[] ratios, java.nio.file.Path file)
            throws org.segmentation.nn.io.ModelFormatException {
        if (sizes.length != MaskRCNNConfig.LEVELS) {
            throw new org.segmentation.nn.io.ModelFormatException(file, null, "config field \"sizes\" has "
                    + sizes.length + " values " + Arrays.toString(sizes) + ", expected one anchor size per pyramid"
                    + " level (" + MaskRCNNConfig.LEVELS + ")");
        }
        for (int s : sizes) {
            if (s < 1) {
                throw new org.segmentation.nn.io.ModelFormatException(file, null, "config field \"sizes\" has " + s
                        + ", not a positive anchor size");
            }
        }
        if (ratios.length < 1 || ratios.length > MAX_ANCHOR_RATIOS) {
            throw new org.segmentation.nn.io.ModelFormatException(file, null, "config field \"ratios\" has "
                    + ratios.length + " values, expected 1.." + MAX_ANCHOR_RATIOS);
        }
        for (double r : ratios) {
            if (!(r > 0) || !Double.isFinite(r)) {
                throw new org.segmentation.nn.io.ModelFormatException(file, null, "config field \"ratios\" has " + r
                        + ", not a positive finite aspect ratio");
            }
        }
    }

    /**
     * The model of a loaded directory ({@link org.segmentation.nn.io.ModelFiles#loadModel}), in evaluation mode:
     * the config is validated, then every tensor is checked before any is copied.
     *
     * @param dir the directory it was read from, named in errors
     * @throws org.segmentation.nn.io.ModelFormatException if the config or a tensor does not fit
     */
    public static MaskRCNN fromSaved(org.segmentation.nn.io.SavedModel saved, java.nio.file.Path dir)
            throws org.segmentation.nn.io.ModelFormatException {
        MaskRCNNConfig config = configFromJson(saved.config(), dir.resolve(org.segmentation.nn.io.ModelFiles.CONFIG));
        checkSizeBeforeAllocation(config, saved, dir);
        MaskRCNN model = new MaskRCNN(config, 0);
        model.load(saved.weights());
        model.setTraining(false);
        return model;
    }

    /**
     * A hand-edited config (a representation, FPN width or class count of a billion) would make the constructor
     * allocate gigabytes, or fail in ND4J's allocator, before the weights' shapes are compared. A lower bound on
     * the parameters, biases and batch norms left out: the stem, one 3x3 convolution per residual block, the
     * FPN's convolutions, the RPN head's, the box head's fully connected layers and the mask head's convolutions
     * ({@link ConfigFields#requireWeightsFor}).
     */
    private static void checkSizeBeforeAllocation(MaskRCNNConfig c, org.segmentation.nn.io.SavedModel saved,
            java.nio.file.Path dir) throws org.segmentation.nn.io.ModelFormatException {
        ResNetConfig b = c.backbone();
        double fpn = c.fpnChannels();
        double rep = c.representation();
        double mask = c.maskWidth();
        double k = c.classes();
        double needed = 49.0 * b.stemWidth() * b.inputChannels();
        for (int s = 0; s < b.stages(); s++) {
            double w = b.widths()[s];
            needed += b.blocks()[s] * 9 * w * w + w * b.block().expansion() * fpn;
        }
        needed += 5 * 9 * fpn * fpn + 5 * fpn * c.anchors().anchorsPerCell(0);
        needed += 49 * fpn * rep + rep * rep + 5 * rep * k;
        needed += 9 * fpn * mask + 31 * mask * mask + mask * k;
        ConfigFields.requireWeightsFor(needed, "input_channels " + b.inputChannels() + ", stem " + b.stemWidth()
                + ", blocks " + Arrays.toString(b.blocks()) + ", widths " + Arrays.toString(b.widths()) + ", fpn "
                + c.fpnChannels() + ", representation " + c.representation() + ", mask_width " + c.maskWidth()
                + ", classes " + c.classes(), saved, dir);
    }

    /** A new model with PyTorch-style random initial weights drawn from {@code seed}. */
    public MaskRCNN(MaskRCNNConfig config, long seed) {
        this.config = config;
        Random rng = new Random(seed);
        ParameterBuffer.Builder b = ParameterBuffer.builder(config.dtype());
        Map<String, INDArray> bufs = new LinkedHashMap<>();
        body = new ResNet(b, bufs, "backbone.body.", config.backbone(), rng);
        int[] in = new int[4];
        for (int s = 0; s < 4; s++) {
            in[s] = config.backbone().outChannels(s);
        }
        fpn = new Fpn(b, "backbone.fpn.", in, config.fpnChannels(), true, rng);
        rpnHead = new RpnHead(b, "rpn.head.", config.fpnChannels(), config.anchors().anchorsPerCell(0), 5, rng);
        boxHead = new BoxHead(b, "roi_heads.box_head.", "roi_heads.box_predictor.", config.fpnChannels() * 49,
                config.representation(), config.classes(), rng);
        maskHead = new MaskHead(b, "roi_heads.mask_head.", "roi_heads.mask_predictor.", config.fpnChannels(),
                config.maskWidth(), config.classes(), rng);
        params = b.build();
        maskHead.initTransposedWeight(rng);
        buffers = Collections.unmodifiableMap(bufs);
    }

    public MaskRCNNConfig config() {
        return config;
    }

    public ParameterBuffer parameters() {
        return params;
    }

    /** The batch norms' running averages by name; live arrays. */
    public Map<String, INDArray> buffers() {
        return buffers;
    }

    /** The samples of the last {@link #trainStep}, or null before the first. */
    public Samples lastSamples() {
        return lastSamples;
    }

    /** Every parameter, then every buffer, under torchvision's state_dict names, in the model's dtype. */
    public org.segmentation.nn.io.TensorFile toTensors() {
        return ModelWeights.toTensors(ModelWeights.named(params, buffers));
    }

    /**
     * Loads parameters and buffers by torchvision's state_dict names (all or nothing; {@code num_batches_tracked}
     * ignored), e.g. a torchvision {@code MaskRCNN} of the same configuration saved to safetensors.
     *
     * @throws org.segmentation.nn.io.ModelFormatException naming the tensor that is missing, unexpected or of
     *     another shape or dtype
     */
    public void load(org.segmentation.nn.io.TensorFile file) throws org.segmentation.nn.io.ModelFormatException {
        ModelWeights.load(ModelWeights.named(params, buffers), file);
    }

    /** Training mode (batch statistics in the backbone) or evaluation mode. */
    public void setTraining(boolean training) {
        this.training = training;
        body.setTraining(training);
        fpn.setTraining(training);
    }

    /**
     * One training pass: every loss, and their gradients added into {@link #parameters()} (zero them before).
     * An image without ground truth trains its RPN and box head on background only.
     *
     * @param images (N, 3, H, W)
     * @param targets one per image
     * @param rng draws the sampled anchors and proposals
     */
    public Losses trainStep(INDArray images, List<Target> targets, Random rng) {
        int n = checkImages(images);
        int[][] sizes = new int[n][];
        Arrays.fill(sizes, new int[] {(int) images.size(2), (int) images.size(3)});
        return trainStep(images, sizes, targets, rng);
    }

    /**
     * One training pass on a batch of images of different sizes padded into one tensor (see
     * {@link #predict(INDArray, int[][])}): image i's proposals are clipped to {@code sizes[i]}, and its target's
     * masks are of that size, unpadded, as torchvision's transform leaves them.
     *
     * @param sizes per image, its height and width before padding
     */
    public Losses trainStep(INDArray images, int[][] sizes, List<Target> targets, Random rng) {
        if (!training) {
            throw new IllegalStateException("MaskRCNN.trainStep in evaluation mode; call setTraining(true)");
        }
        int n = checkImages(images);
        if (targets == null || targets.size() != n) {
            throw new IllegalArgumentException("MaskRCNN.trainStep: expected " + n + " targets, one per image, got "
                    + (targets == null ? "null" : targets.size()));
        }
        int maxH = checkSizes("MaskRCNN.trainStep", images, sizes);
        int h = (int) images.size(2);
        int w = (int) images.size(3);
        for (int i = 0; i < n; i++) {
            Target t = targets.get(i);
            if (t.masks().size(1) != sizes[i][0] || t.masks().size(2) != sizes[i][1]) {
                throw new IllegalArgumentException("MaskRCNN target masks of image " + i + ": expected "
                        + sizes[i][0] + "x" + sizes[i][1] + ", got " + t.masks().size(1) + "x" + t.masks().size(2));
            }
        }
        INDArray[] c = body.forward(images);
        INDArray[] feats = fpn.forward(c);
        INDArray[] pooledLevels = Arrays.copyOf(feats, 4);

        // region proposal network
        RpnHead.Output out = rpnHead.forward(feats);
        double[][] anchorLevels = config.anchors().anchors(h, w, heights(feats), widths(feats));
        double[] anchors = AnchorGenerator.concat(anchorLevels);
        int[] perLevel = Arrays.stream(anchorLevels).mapToInt(a -> a.length / 4).toArray();
        double[][] fo = Rpn.flattenObjectness(out.objectness());
        double[][] fd = Rpn.flattenDeltas(out.deltas());
        int[][] rpnLabels = new int[n][];
        double[][] rpnTargets = new double[n][];
        BalancedSampler.Sample[] rpnSamples = new BalancedSampler.Sample[n];
        double[][] proposals = new double[n][];
        for (int i = 0; i < n; i++) {
            proposals[i] = Rpn.propose(fo[i], fd[i], anchors, perLevel, sizes[i][0], sizes[i][1], config.rpn(),
                    true).boxes();
            Rpn.Targets t = Rpn.assign(anchors, targets.get(i).boxes(), config.rpn().matcher());
            rpnLabels[i] = t.labels();
            rpnTargets[i] = BoxCoder.RPN.encode(t.matchedBoxes(), anchors, null);
            rpnSamples[i] = config.rpn().sampler().sample(t.labels(), rng);
        }
        Rpn.Loss rpnLoss = Rpn.loss(fo, fd, rpnLabels, rpnTargets, rpnSamples);
        BalancedSampler.Sample[] roiSamples = new BalancedSampler.Sample[n];
        INDArray[] dObj = Rpn.unflattenObjectness(rpnLoss.dObjectness(), out.objectness());
        INDArray[] dDel = Rpn.unflattenDeltas(rpnLoss.dDeltas(), out.deltas());
        Memory.free(out.objectness());
        Memory.free(out.deltas());
        INDArray[] dFeats = rpnHead.backward(dObj, dDel);
        Memory.free(dObj);
        Memory.free(dDel);

        // box head on sampled proposals (with the ground truth added)
        List<RoiHeads.Selection> sel = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Target t = targets.get(i);
            double[] props = RoiHeads.withGroundTruth(proposals[i], t.boxes());
            RoiHeads.Assignment a = RoiHeads.assign(props, t.boxes(), t.labels(), config.roiHeads().matcher());
            roiSamples[i] = config.roiHeads().sampler().sample(a.labels(), rng);
            sel.add(RoiHeads.select(props, t.boxes(), a, roiSamples[i]));
        }
        int total = sel.stream().mapToInt(RoiHeads.Selection::size).sum();
        double[] boxes = new double[4 * total];
        int[] batch = new int[total];
        int[] labels = new int[total];
        double[] regTargets = new double[4 * total];
        for (int i = 0, at = 0; i < n; i++) {
            RoiHeads.Selection s = sel.get(i);
            System.arraycopy(s.boxes(), 0, boxes, 4 * at, 4 * s.size());
            System.arraycopy(s.labels(), 0, labels, at, s.size());
            System.arraycopy(s.regressionTargets(), 0, regTargets, 4 * at, 4 * s.size());
            Arrays.fill(batch, at, at + s.size(), i);
            at += s.size();
        }
        RoiHeads.BoxLoss boxLoss = new RoiHeads.BoxLoss(0, 0, new double[0], new double[0]);
        if (total > 0) {   // none only if every proposal was filtered out and there is no ground truth
            INDArray pooled = boxPool.forward(pooledLevels, boxes, batch, maxH);
            BoxHead.Output bo = boxHead.forward(pooled);
            boxLoss = RoiHeads.boxLoss(doubles(bo.logits()), doubles(bo.deltas()), labels, regTargets);
            INDArray dPooled = boxHead.backward(array(boxLoss.dLogits(), bo.logits()), array(boxLoss.dRegression(),
                    bo.deltas()));
            Memory.free(pooled, bo.logits(), bo.deltas());
            addInto(dFeats, boxPool.backward(dPooled));
            Memory.free(dPooled);
        }

        // mask head on the positive sampled proposals
        double maskLossValue = 0;
        List<Integer> pos = new ArrayList<>();
        for (int k = 0; k < total; k++) {
            if (labels[k] > 0) {
                pos.add(k);
            }
        }
        if (!pos.isEmpty()) {
            int p = pos.size();
            double[] posBoxes = new double[4 * p];
            int[] posBatch = new int[p];
            int[] posLabels = new int[p];
            INDArray maskTargets = Memory.detached(config.dtype(), p, 28, 28);
            int start = 0;
            for (int i = 0, k = 0, offset = 0; i < n; offset += sel.get(i).size(), i++) {
                RoiHeads.Selection s = sel.get(i);
                List<Integer> mine = new ArrayList<>();
                for (int j = 0; j < s.size(); j++) {
                    if (s.labels()[j] > 0) {
                        mine.add(j);
                    }
                }
                if (mine.isEmpty()) {
                    continue;
                }
                double[] b = new double[4 * mine.size()];
                int[] matched = new int[mine.size()];
                for (int m = 0; m < mine.size(); m++, k++) {
                    int j = mine.get(m);
                    System.arraycopy(s.boxes(), 4 * j, b, 4 * m, 4);
                    matched[m] = s.matchedIdx()[j];
                    System.arraycopy(s.boxes(), 4 * j, posBoxes, 4 * k, 4);
                    posBatch[k] = i;
                    posLabels[k] = s.labels()[j];
                }
                INDArray mt = RoiHeads.maskTargets(targets.get(i).masks().castTo(config.dtype()), b, matched, 28);
                maskTargets.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(start, start + mine.size()))
                        .assign(mt);
                start += mine.size();
            }
            INDArray maskPooled = maskPool.forward(pooledLevels, posBoxes, posBatch, maxH);
            INDArray maskLogits = maskHead.forward(maskPooled);
            RoiHeads.MaskLoss ml = RoiHeads.maskLoss(maskLogits, posLabels, maskTargets);
            maskLossValue = ml.loss();
            INDArray dMaskPooled = maskHead.backward(ml.dLogits());
            Memory.free(maskPooled, maskLogits, maskTargets, ml.dLogits());
            addInto(dFeats, maskPool.backward(dMaskPooled));
            Memory.free(dMaskPooled);
        }

        INDArray[] dC = fpn.backward(dFeats);
        Memory.free(dFeats);
        Memory.free(feats);
        body.backward(dC, false);
        Memory.free(dC);
        Memory.free(c);
        lastSamples = new Samples(rpnSamples, roiSamples);
        return new Losses(rpnLoss.objectness(), rpnLoss.box(), boxLoss.classification(), boxLoss.box(),
                maskLossValue);
    }

    /**
     * Detections for each image, in evaluation mode (switched to for the call and back): proposals, the box head's
     * per-class boxes, score threshold, per-class NMS, the detection cap, then the mask head on the kept boxes.
     */
    public List<Instances> predict(INDArray images) {
        int n = checkImages(images);
        int[][] sizes = new int[n][];
        Arrays.fill(sizes, new int[] {(int) images.size(2), (int) images.size(3)});
        return predict(images, sizes);
    }

    /**
     * Detections for a batch of images of different sizes padded into one tensor, as torchvision batches them:
     * image i fills the top-left {@code sizes[i][0]} × {@code sizes[i][1]} pixels of its slice, and its proposals
     * and detections are clipped to that size; anchors span the padded tensor, and RoIAlign's level scales are
     * measured against the largest image height.
     *
     * @param sizes per image, its height and width before padding
     * @throws IllegalArgumentException if a size is missing, not positive or larger than the tensor
     */
    public List<Instances> predict(INDArray images, int[][] sizes) {
        int n = checkImages(images);
        int maxH = checkSizes("MaskRCNN.predict", images, sizes);
        boolean was = training;
        setTraining(false);
        try {
            int h = (int) images.size(2);
            int w = (int) images.size(3);
            INDArray[] c = body.forward(images);
            INDArray[] feats = fpn.forward(c);
            Memory.free(c);
            INDArray[] pooledLevels = Arrays.copyOf(feats, 4);
            RpnHead.Output out = rpnHead.forward(feats);
            double[][] anchorLevels = config.anchors().anchors(h, w, heights(feats), widths(feats));
            double[] anchors = AnchorGenerator.concat(anchorLevels);
            int[] perLevel = Arrays.stream(anchorLevels).mapToInt(a -> a.length / 4).toArray();
            double[][] fo = Rpn.flattenObjectness(out.objectness());
            double[][] fd = Rpn.flattenDeltas(out.deltas());
            Memory.free(out.objectness());
            Memory.free(out.deltas());
            rpnHead.discard();
            List<Instances> result = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int hi = sizes[i][0];
                int wi = sizes[i][1];
                double[] props = Rpn.propose(fo[i], fd[i], anchors, perLevel, hi, wi, config.rpn(), false).boxes();
                RoiHeads.Detections det;
                if (props.length == 0) {
                    det = new RoiHeads.Detections(new double[0], new double[0], new int[0]);
                } else {
                    INDArray pooled = boxPool.forward(pooledLevels, props, filled(props.length / 4, i), maxH);
                    BoxHead.Output bo = boxHead.forward(pooled);
                    det = RoiHeads.detect(doubles(bo.logits()), doubles(bo.deltas()), props, hi, wi,
                            config.roiHeads());
                    boxHead.discard();
                    Memory.free(pooled, bo.logits(), bo.deltas());
                }
                INDArray probs;
                if (det.size() == 0) {
                    probs = Memory.detachedZeros(config.dtype(), 0, 28, 28);
                } else {
                    INDArray mp = maskPool.forward(pooledLevels, det.boxes(), filled(det.size(), i), maxH);
                    INDArray logits = maskHead.forward(mp);
                    maskHead.discard();
                    probs = Memory.detached(config.dtype(), det.size(), 28, 28);
                    for (int d = 0; d < det.size(); d++) {
                        probs.get(org.nd4j.linalg.indexing.NDArrayIndex.point(d)).assign(Transforms.sigmoid(
                                logits.get(org.nd4j.linalg.indexing.NDArrayIndex.point(d),
                                        org.nd4j.linalg.indexing.NDArrayIndex.point(det.labels()[d])), true));
                    }
                    Memory.free(mp, logits);
                }
                result.add(new Instances(det.boxes(), det.scores(), det.labels(), probs));
            }
            Memory.free(feats);
            return result;
        } finally {
            setTraining(was);
        }
    }

    private int checkImages(INDArray images) {
        Shapes.require("MaskRCNN images", "(N,C,H,W)", images, Shapes.ANY, config.backbone().inputChannels(),
                Shapes.ANY, Shapes.ANY);
        Shapes.requireType("MaskRCNN images", images, config.dtype());
        return (int) images.size(0);
    }

    /** Checks one (height, width) per image within the tensor; returns the largest height. */
    private static int checkSizes(String what, INDArray images, int[][] sizes) {
        long n = images.size(0);
        if (sizes == null || sizes.length != n) {
            throw new IllegalArgumentException(what + ": expected " + n + " image sizes, got "
                    + (sizes == null ? "null" : sizes.length));
        }
        int maxH = 0;
        for (int i = 0; i < n; i++) {
            if (sizes[i] == null || sizes[i].length != 2 || sizes[i][0] < 1 || sizes[i][1] < 1
                    || sizes[i][0] > images.size(2) || sizes[i][1] > images.size(3)) {
                throw new IllegalArgumentException(what + ": image " + i + " has size " + Arrays.toString(sizes[i])
                        + " in a tensor of " + images.size(2) + "x" + images.size(3));
            }
            maxH = Math.max(maxH, sizes[i][0]);
        }
        return maxH;
    }

    private static int[] filled(int length, int value) {
        int[] a = new int[length];
        Arrays.fill(a, value);
        return a;
    }

    private static int[] heights(INDArray[] feats) {
        return Arrays.stream(feats).mapToInt(f -> (int) f.size(2)).toArray();
    }

    private static int[] widths(INDArray[] feats) {
        return Arrays.stream(feats).mapToInt(f -> (int) f.size(3)).toArray();
    }

    private static double[] doubles(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    private static INDArray array(double[] v, INDArray like) {
        return Nd4j.create(v, like.shape(), 'c').castTo(like.dataType());
    }

    /** acc[l] += add[l] for the levels add has; frees add. */
    private static void addInto(INDArray[] acc, INDArray[] add) {
        for (int l = 0; l < add.length; l++) {
            acc[l].addi(add[l]);
            Memory.free(add[l]);
        }
    }
}
