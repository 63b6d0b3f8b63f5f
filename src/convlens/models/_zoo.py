"""Small reference CNNs, registered in ``MODELS``.

Every activation is a module (``relu1``, ``pool1``, ...) so that it can be hooked and recorded;
the functional ``F.relu`` could not be.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import Tensor, nn

from convlens.core import Registry, UserInputError

MODELS: Registry[type[nn.Module]] = Registry("model")


def _check_sizes(name: str, in_channels: int, num_classes: int, image_size: int, min_size: int):
    for arg, value, lowest in (
        ("in_channels", in_channels, 1),
        ("num_classes", num_classes, 1),
        ("image_size", image_size, min_size),
    ):
        if not isinstance(value, int) or value < lowest:
            raise UserInputError(f"model '{name}' needs {arg} >= {lowest}, got {value!r}")


@MODELS.register("paper", help="The TrainVideo paper's CNN: two 5x5 conv+pool layers, fc 50")
class PaperCNN(nn.Module):
    """The CNN of the TrainVideo paper (Peters et al., 2019).

    ``conv1`` 5x5 with 32 channels, ReLU, 2x2 max-pool; ``conv2`` 5x5 with 64 channels, ReLU,
    2x2 max-pool; ``fc1`` to 50 units, ReLU, dropout 0.5; ``fc2`` to the classes. Convolutions
    pad by 2 so only the pools change the size: ``fc1`` takes ``64 * (image_size // 4) ** 2``.

    Args:
        in_channels: 1 (grayscale) or 3 (RGB).
        num_classes: Number of outputs.
        image_size: Height and width of the (square) input, at least 4.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 64):
        super().__init__()
        _check_sizes("paper", in_channels, num_classes, image_size, 4)
        side = image_size // 2 // 2
        self.conv1 = nn.Conv2d(in_channels, 32, kernel_size=5, padding=2)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=5, padding=2)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64 * side * side, 50)
        self.relu3 = nn.ReLU()
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(50, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.dropout(self.relu3(self.fc1(self.flatten(x))))
        return self.fc2(x)


def _vgg_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(c_in, c_out, kernel_size=3, padding=1),
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(c_out, c_out, kernel_size=3, padding=1),
            relu2=nn.ReLU(),
            pool=nn.MaxPool2d(2),
        )
    )


@MODELS.register("tinyvgg", help="TinyVGG of CNN Explainer: two (conv3x3, conv3x3, pool) blocks")
class TinyVGG(nn.Module):
    """The TinyVGG of CNN Explainer: two blocks of (conv 3x3, ReLU, conv 3x3, ReLU, max-pool).

    Block 1 has 10 channels, block 2 has 16; then ``flatten`` and one ``classifier`` Linear.
    Modules are named ``block1.conv1``, ``block1.relu1``, ..., ``block2.pool``, ``classifier``.

    Args:
        in_channels: 1 (grayscale) or 3 (RGB).
        num_classes: Number of outputs.
        image_size: Height and width of the (square) input, at least 4.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, image_size: int = 64):
        super().__init__()
        _check_sizes("tinyvgg", in_channels, num_classes, image_size, 4)
        side = image_size // 2 // 2
        self.block1 = _vgg_block(in_channels, 10)
        self.block2 = _vgg_block(10, 16)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(16 * side * side, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.flatten(self.block2(self.block1(x))))
