/**
 * The COCO instance-segmentation format (Lin et al., Microsoft COCO, 2014): run-length encoded masks and polygons
 * as its mask API defines them ({@link org.segmentation.core.coco.CocoRle}), the instances JSON that annotation
 * tools (CVAT, Label Studio) and public datasets export, and the results JSON that detections are written as.
 */
package org.segmentation.core.coco;
