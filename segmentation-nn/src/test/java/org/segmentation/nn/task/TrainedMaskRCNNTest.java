package org.segmentation.nn.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.detect.AnchorGenerator;
import org.segmentation.nn.detect.RoiHeadsConfig;
import org.segmentation.nn.detect.RpnConfig;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.model.MaskRCNN;
import org.segmentation.nn.model.MaskRCNNConfig;
import org.segmentation.nn.model.MaskRCNNTransform;
import org.segmentation.nn.model.ResNetConfig;
import org.segmentation.nn.model.UNet;
import org.segmentation.nn.model.UNetConfig;

class TrainedMaskRCNNTest {
    @TempDir
    Path dir;

    private static MaskRCNNConfig tiny() {
        return new MaskRCNNConfig(new ResNetConfig(ResNetConfig.Block.BOTTLENECK, new int[] {1, 1, 1, 1},
                new int[] {4, 4, 8, 8}, 8, 3), 16, AnchorGenerator.small(),
                new RpnConfig(150, 100, 80, 50, 0.7, 0.7, 0.3, 64, 0.5, 0.0, 1e-3),
                new RoiHeadsConfig(0.5, 0.5, 64, 0.25, 0.05, 0.5, 15), 4, 32, 8, DataType.FLOAT);
    }

    private static PlanarF32 image(int w, int h, long seed) {
        Random rng = new Random(seed);
        PlanarF32 img = new PlanarF32(3, w, h);
        for (int i = 0; i < img.data.length; i++) {
            img.data[i] = (float) rng.nextDouble();
        }
        return img;
    }

    @Test
    void savedModelLoadsWithItsConfigTransformAndNamesAndPredictsTheSame() throws Exception {
        TrainedMaskRCNN model = new TrainedMaskRCNN(new MaskRCNN(tiny(), 3), MaskRCNNTransform.imagenet(48, 80),
                List.of("background", "cat", "dog", "bird"));
        model.save(dir.resolve("m"));
        TrainedMaskRCNN loaded = TrainedMaskRCNN.load(dir.resolve("m"));
        assertEquals(tiny().toString().replaceAll("@[0-9a-f]+", ""), loaded.network().config().toString()
                .replaceAll("@[0-9a-f]+", ""));
        assertEquals(MaskRCNN.configToJson(tiny()), MaskRCNN.configToJson(loaded.network().config()));
        assertEquals(List.of("background", "cat", "dog", "bird"), loaded.classNames());
        assertArrayEquals(new double[] {0.485, 0.456, 0.406}, loaded.transform().input().mean(), 0);
        assertEquals(80, loaded.transform().maxSize());
        PlanarF32 img = image(70, 50, 1);
        InstanceSegmentation a = model.segment(img);
        InstanceSegmentation b = loaded.segment(img);
        assertTrue(a.size() > 0, "random weights score every class about 1/4, above the 0.05 threshold");
        assertEquals(70, b.labels().width);
        assertArrayEquals(a.classes(), b.classes());
        assertArrayEquals(a.scores(), b.scores(), 0);
        assertArrayEquals(a.boxes(), b.boxes(), 0);
        assertArrayEquals(a.labels().data, b.labels().data);
    }

    @Test
    void badModelFoldersAreTypedErrorsNamingTheField() throws Exception {
        TrainedMaskRCNN model = new TrainedMaskRCNN(new MaskRCNN(tiny(), 3), MaskRCNNTransform.imagenet(48, 80),
                TrainedUNet.defaultClassNames(4));
        Path m = dir.resolve("m");
        model.save(m);
        Path config = m.resolve(ModelFiles.CONFIG);
        ObjectMapper json = new ObjectMapper();
        String good = Files.readString(config);

        ObjectNode c = (ObjectNode) json.readTree(good);
        c.put("fpn", 32);   // the weights are of a 16-channel FPN
        Files.writeString(config, c.toString());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TrainedMaskRCNN.load(m));
        assertTrue(e.getMessage().contains("backbone.fpn"), e.getMessage());

        c = (ObjectNode) json.readTree(good);
        c.put("anchor_sizes", 3);
        Files.writeString(config, c.toString());
        e = assertThrows(ModelFormatException.class, () -> TrainedMaskRCNN.load(m));
        assertTrue(e.getMessage().contains("unknown config field \"anchor_sizes\""), e.getMessage());

        c = (ObjectNode) json.readTree(good);
        c.put("block", "WIDE");
        Files.writeString(config, c.toString());
        e = assertThrows(ModelFormatException.class, () -> TrainedMaskRCNN.load(m));
        assertTrue(e.getMessage().contains("\"block\" is \"WIDE\""), e.getMessage());

        c = (ObjectNode) json.readTree(good);
        ((ObjectNode) c.get("input")).putArray("std").add(1).add(0).add(1);
        Files.writeString(config, c.toString());
        e = assertThrows(ModelFormatException.class, () -> TrainedMaskRCNN.load(m));
        assertTrue(e.getMessage().contains("std finite and > 0"), e.getMessage());

        c = (ObjectNode) json.readTree(good);
        c.remove("class_names");
        Files.writeString(config, c.toString());
        e = assertThrows(ModelFormatException.class, () -> TrainedMaskRCNN.load(m));
        assertTrue(e.getMessage().contains("needs \"transform\", \"input\" and \"class_names\""), e.getMessage());

        new UNet(UNetConfig.of(3, 2).withDepth(2).withBaseFilters(4), 1).save(dir.resolve("unet"));
        e = assertThrows(ModelFormatException.class, () -> MaskRCNN.fromSaved(ModelFiles.loadModel(
                dir.resolve("unet")), dir.resolve("unet")));
        assertTrue(e.getMessage().contains("architecture is \"unet\", expected \"maskrcnn\""), e.getMessage());
    }

    @Test
    void describesTellsTheArchitecturesApartAndRefusesMalformedConfigsNamingTheFile() throws Exception {
        TrainedMaskRCNN model = new TrainedMaskRCNN(new MaskRCNN(tiny(), 3), MaskRCNNTransform.imagenet(48, 80),
                TrainedUNet.defaultClassNames(4));
        Path m = dir.resolve("m");
        model.save(m);
        new UNet(UNetConfig.of(3, 2).withDepth(2).withBaseFilters(4), 1).save(dir.resolve("unet"));
        assertTrue(TrainedMaskRCNN.describes(m));
        assertFalse(TrainedMaskRCNN.describes(dir.resolve("unet")));

        Path config = m.resolve(ModelFiles.CONFIG);
        String good = Files.readString(config);
        String arch = "\"architecture\" : \"maskrcnn\"";
        byte[] utf32 = new byte[] {0, 0, (byte) 0xfe, (byte) 0xff, 0, 0, 0, '{', 0, 0};
        Object[][] cases = {
            {"", "not a JSON object"},
            {"[1, 2]", "not a JSON object"},
            {good.substring(0, good.length() / 2), "not valid JSON"},
            {good + " trailing", "not valid JSON"},
            {good.replace(arch, arch + ", \"architecture\" : \"unet\""), "Duplicate field 'architecture'"},
            {good.replace(arch, "\"architecture\" : 5"), "\"architecture\" is 5, not a string"},
            {good.replace(arch, "\"architecture\" : [\"maskrcnn\"]"),
                "\"architecture\" is [\"maskrcnn\"], not a string"},
            {good.replaceFirst("\"format_version\" : \\d+", "\"format_version\" : \"2\""),
                "format_version is \"2\", not a positive integer"},
            {"[".repeat(5000), "not valid JSON"},
            {utf32, "not valid UTF-8"},
            {new byte[] {'{', (byte) 0xc3, '}'}, "not valid UTF-8"},
        };
        for (Object[] c : cases) {
            if (c[0] instanceof String text) {
                Files.writeString(config, text);
            } else {
                Files.write(config, (byte[]) c[0]);
            }
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> TrainedMaskRCNN.describes(m),
                    c[1].toString());
            assertEquals(config, e.file());
            assertTrue(e.getMessage().startsWith(config + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(c[1].toString()), "'" + c[1] + "' in " + e.getMessage());
        }
    }

    @Test
    void absurdSizesInTheConfigAreRefusedBeforeTheNetworkIsAllocated() throws Exception {
        TrainedMaskRCNN model = new TrainedMaskRCNN(new MaskRCNN(tiny(), 3), MaskRCNNTransform.imagenet(48, 80),
                TrainedUNet.defaultClassNames(4));
        Path m = dir.resolve("m");
        model.save(m);
        Path config = m.resolve(ModelFiles.CONFIG);
        ObjectMapper json = new ObjectMapper();
        String good = Files.readString(config);
        // each took gigabytes (std::bad_alloc from ND4J, or minutes and then OutOfMemoryError) before the check
        String[][] cases = {
            {"representation", "2000000000", "declares a network of at least"},
            {"fpn", "100000", "declares a network of at least"},
            {"classes", "100000000", "declares a network of at least"},
            {"mask_width", "1000000", "declares a network of at least"},
            {"input_channels", "100000000", "declares a network of at least"},
            {"widths", "[4, 4, 8, 100000]", "declares a network of at least"},
            {"blocks", "[1, 1, 1, 100000]", "needs 1..1024 blocks"},
            {"transform", "5", "\"transform\" is 5, not an object"},
            // resized images of 48 x 2e9 pixels, a padded batch rounded up to 2e9: refused before the network too
            {"transform", "{\"min_size\": 48, \"max_size\": 2000000000, \"size_divisible\": 32}",
                "\"transform\": MaskRCNNTransform: min_size 48 x max_size 2000000000 = 96000000000 pixels exceeds"
                    + " the limit of 67108864 for a resized image"},
            {"transform", "{\"min_size\": 8193, \"max_size\": 8193, \"size_divisible\": 32}",
                "min_size 8193 x max_size 8193 = 67125249 pixels exceeds the limit of 67108864"},
            {"transform", "{\"min_size\": 48, \"max_size\": 80, \"size_divisible\": 2000000000}",
                "\"transform\": MaskRCNNTransform: size_divisible 2000000000 exceeds the limit of 256"},
            {"transform", "{\"min_size\": 48, \"max_size\": 80, \"size_divisible\": 2e9}",
                "transform field \"size_divisible\" is 2.0E9, not an int"},
            {"sizes", "[8, 16, 32]", "config field \"sizes\" has 3 values [8, 16, 32], expected one anchor size per"
                + " pyramid level (5)"},
            {"sizes", "[8, 16, 32, 64, 128, 256]", "config field \"sizes\" has 6 values"},
            {"sizes", "[8, 16, 0, 64, 128]", "config field \"sizes\" has 0, not a positive anchor size"},
            {"ratios", "[]", "config field \"ratios\" has 0 values, expected 1..16"},
            {"ratios", "[" + "1,".repeat(1000) + "1]", "config field \"ratios\" has 1001 values, expected 1..16"},
            {"ratios", "[0.5, -1, 2]", "config field \"ratios\" has -1.0, not a positive finite aspect ratio"},
            {"ratios", "[0.5, 0, 2]", "config field \"ratios\" has 0.0, not a positive finite aspect ratio"},
            // 1e400 parses as infinite, which the edit writes as the string "Infinity"
            {"ratios", "[0.5, 1e400, 2]", "config field \"ratios\" has \"Infinity\", not a number"},
            {"rpn_fg_iou", "7", "RpnConfig: expected 0 <= bgIouThresh <= fgIouThresh <= 1"},
            {"box_nms", "-0.5", "a NMS threshold in [0, 1]"},
        };
        for (String[] c : cases) {
            ObjectNode edited = (ObjectNode) json.readTree(good);
            edited.set(c[0], json.readTree(c[1]));
            Files.writeString(config, edited.toString());
            long t0 = System.nanoTime();
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> TrainedMaskRCNN.load(m), c[0]);
            assertTrue(e.getMessage().startsWith(config + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(c[2]), "'" + c[2] + "' in " + e.getMessage());
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, c[0] + " refused at once");
        }
    }

    @Test
    void aFolderWhereAModelFileShouldBeIsNamed() throws Exception {
        TrainedMaskRCNN model = new TrainedMaskRCNN(new MaskRCNN(tiny(), 3), MaskRCNNTransform.imagenet(48, 80),
                TrainedUNet.defaultClassNames(4));
        Path m = dir.resolve("m");
        model.save(m);
        Path weights = m.resolve(ModelFiles.WEIGHTS);
        Files.delete(weights);
        Files.createDirectory(weights);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TrainedMaskRCNN.load(m));
        assertEquals(weights + ": is a folder, not a file", e.getMessage());
    }
}
