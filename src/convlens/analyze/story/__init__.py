"""The story of a run, told from its data (NumPy only, no torch, no disk).

Per epoch and layer, ``class_separation`` measures how well each class stands apart in the
layer's own space (k-nearest-neighbour class purity over the stored activations) and which class
pairs are mixed (how often one class's neighbours belong to the other). ``layer_story`` turns a
layer's epochs into a ``LayerStory`` and its events ("sheep separates", "pigeon and seagull
untangle"); ``accuracy_events`` finds accuracy jumps, drops and stalls; ``tell_story`` puts all
of it into a ``RunStory`` with plain sentences for subtitles, timeline markers and a layer's
explanation (``RunStory.layer_sentence`` says when a layer does not separate the kinds). Pair
mixing is kept sparse (``PairMixing``: per epoch the pairs that matter, about 15 per class at
most), so a 1,000-class story stays small.
"""

from ._events import Event, accuracy_events, layer_events
from ._mixing import PairMixing, dense_pairs
from ._separation import class_separation, neighbours_for
from ._story import LayerStory, RunStory, layer_story, tell_story

__all__ = [
    "Event",
    "LayerStory",
    "PairMixing",
    "RunStory",
    "accuracy_events",
    "class_separation",
    "dense_pairs",
    "layer_events",
    "layer_story",
    "neighbours_for",
    "tell_story",
]
