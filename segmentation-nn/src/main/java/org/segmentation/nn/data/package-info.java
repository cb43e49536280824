/**
 * Training data for the segmentation networks, independent of the tensor library.
 *
 * <ul>
 *   <li>{@link org.segmentation.nn.data.SegmentationDataset}: indexed {@link org.segmentation.nn.data.Sample}s
 *       (a {@code (C,H,W)} image, a class target, optionally instances), from a folder of images and masks
 *       ({@link org.segmentation.nn.data.FolderDataset}), from memory
 *       ({@link org.segmentation.nn.data.InMemoryDataset}), or split into train and validation parts
 *       ({@link org.segmentation.nn.data.DatasetSplit}).</li>
 *   <li>{@link org.segmentation.nn.data.Augmentation}s applied jointly to image and labels and composed in an
 *       {@link org.segmentation.nn.data.AugmentationPipeline}: flips, quarter turns, crop or pad
 *       ({@link org.segmentation.nn.data.Augmentations}), the U-Net elastic deformation
 *       ({@link org.segmentation.nn.data.ElasticDeformation}), brightness, contrast, gamma and noise.</li>
 *   <li>{@link org.segmentation.nn.data.BatchLoader}: seeded shuffling into plain-array
 *       {@link org.segmentation.nn.data.Batch}es {@code (N,C,H,W)} / {@code (N,H,W)}, prepared on worker threads
 *       and identical for a seed whatever the thread count.</li>
 *   <li>Generators shared by tests, demos and benchmarks: {@link org.segmentation.nn.data.SyntheticCells}
 *       (touching cells with instance and 3-class targets) and
 *       {@link org.segmentation.nn.data.TexturedComposites} (Fashion-MNIST items on texture photographs,
 *       11 classes).</li>
 * </ul>
 *
 * <p>Randomness always comes from an explicit seed; a sample's augmentation depends only on
 * {@code (seed, epoch, index)}.
 */
package org.segmentation.nn.data;
