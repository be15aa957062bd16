"""Evaluation metrics: top-k accuracy, segmentation confusion-matrix scores and COCO AP."""
