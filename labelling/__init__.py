"""Labelling archives of recordings: speech segmentation, per-segment and per-file results, reports."""
from labelling.segmenter import Segment, SegmenterConfig, StreamingSegmenter, segment_stream

__all__ = ["Segment", "SegmenterConfig", "StreamingSegmenter", "segment_stream"]
