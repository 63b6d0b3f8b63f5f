"""Frames and video of the training timeline: NumPy in, uint8 frames / PNG / MP4 / GIF out.

Never imports torch. ``FrameRenderer`` draws one frame per time step (points glide between
epochs) with its own fast NumPy/Pillow rasteriser; ``write_mp4``, ``write_gif`` and
``encode_png`` turn frames into files. The pictures drawn once use matplotlib (Agg, a
``Figure`` each, never pyplot): ``curve_chart`` and ``curve_grid`` draw static line charts of
``Curve`` s (pruning curves).
``draw_graph`` draws a network graph laid out in 3-D (``GraphDrawing``, ``GraphStyle``),
``graph_panels`` several side by side in one scale, ``graph_ink`` measures the ink its edges
use, ``mix_class_colors`` colours rows of class weights.
"""

from ._curves import Curve, curve_chart, curve_grid
from ._data import COLOR_BY, FrameStyle, PanelData, VideoData
from ._encode import encode_png, write_gif, write_mp4
from ._graph import GraphDrawing, GraphStyle, draw_graph, graph_ink, graph_panels
from ._palette import class_colors, mix_class_colors
from ._renderer import FrameRenderer

__all__ = [
    "COLOR_BY",
    "Curve",
    "FrameRenderer",
    "FrameStyle",
    "GraphDrawing",
    "GraphStyle",
    "PanelData",
    "VideoData",
    "class_colors",
    "curve_chart",
    "curve_grid",
    "draw_graph",
    "encode_png",
    "graph_ink",
    "graph_panels",
    "mix_class_colors",
    "write_gif",
    "write_mp4",
]
