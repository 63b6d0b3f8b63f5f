"""Frames and video of the training timeline: NumPy in, uint8 frames / PNG / MP4 / GIF out.

Never imports torch. ``FrameRenderer`` draws one frame per time step (points glide between
epochs); ``write_mp4``, ``write_gif`` and ``encode_png`` turn frames into files.
``curve_chart`` and ``curve_grid`` draw static line charts of ``Curve`` s (pruning curves).
"""

from ._curves import Curve, curve_chart, curve_grid
from ._data import FrameStyle, PanelData, VideoData
from ._encode import encode_png, write_gif, write_mp4
from ._palette import class_colors
from ._renderer import FrameRenderer

__all__ = [
    "Curve",
    "FrameRenderer",
    "FrameStyle",
    "PanelData",
    "VideoData",
    "class_colors",
    "curve_chart",
    "curve_grid",
    "encode_png",
    "write_gif",
    "write_mp4",
]
