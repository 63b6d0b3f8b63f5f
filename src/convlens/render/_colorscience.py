"""Colour science for the palette: CIELAB, CIEDE2000 and colour-vision-deficiency simulation.

NumPy only. ``simulate_cvd`` applies the matrices of Machado, Oliveira & Fernandes (2009), "A
physiologically-based model for simulation of color vision deficiency" (severity 1.0, i.e.
full dichromacy), in linear RGB, as colour-blindness simulators (colorspacious, DaltonLens) do.
"""

from __future__ import annotations

import numpy as np

# Machado et al. (2009), table of severity 1.0, applied to linear RGB.
CVD_MATRICES: dict[str, np.ndarray] = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """Linear RGB in 0..1 of sRGB colours ``[..., 3]`` in 0..255."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(lin: np.ndarray) -> np.ndarray:
    """sRGB in 0..255 (floats) of linear RGB ``[..., 3]`` (clipped to 0..1)."""
    x = np.clip(lin, 0.0, 1.0)
    out = np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)
    return np.asarray(255.0 * out)


def simulate_cvd(rgb: np.ndarray, kind: str) -> np.ndarray:
    """How sRGB colours ``[..., 3]`` (0..255) look to a dichromat: ``kind`` is a key of
    :data:`CVD_MATRICES` (``"protanopia"``, ``"deuteranopia"``, ``"tritanopia"``)."""
    if kind not in CVD_MATRICES:
        raise ValueError(f"unknown colour-vision deficiency {kind!r}: use {sorted(CVD_MATRICES)}")
    return linear_to_srgb(srgb_to_linear(rgb) @ CVD_MATRICES[kind].T)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB colours given as ``[..., 3]`` values in 0..255."""
    lin = srgb_to_linear(rgb)
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference of CIELAB colours (broadcast over leading dimensions).

    Sharma, Wu & Dalal (2005) formulation; about 1 is a just-noticeable difference, 10 or more
    reads as a different colour at a glance.
    """
    L1, a1, b1 = np.moveaxis(np.asarray(lab1, np.float64), -1, 0)
    L2, a2, b2 = np.moveaxis(np.asarray(lab2, np.float64), -1, 0)
    C1, C2 = np.hypot(a1, b1), np.hypot(a2, b2)
    Cm7 = ((C1 + C2) / 2) ** 7
    G = 0.5 * (1 - np.sqrt(Cm7 / (Cm7 + 25.0**7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dLp = L2 - L1
    dCp = C2p - C1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(C1p * C2p == 0, 0.0, dh)
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh) / 2)
    Lm = (L1 + L2) / 2
    Cmp = (C1p + C2p) / 2
    hsum = h1p + h2p
    hm = np.where(
        C1p * C2p == 0,
        hsum,
        np.where(
            np.abs(h1p - h2p) <= 180,
            hsum / 2,
            np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2),
        ),
    )
    T = (
        1
        - 0.17 * np.cos(np.radians(hm - 30))
        + 0.24 * np.cos(np.radians(2 * hm))
        + 0.32 * np.cos(np.radians(3 * hm + 6))
        - 0.20 * np.cos(np.radians(4 * hm - 63))
    )
    d_theta = 30 * np.exp(-(((hm - 275) / 25) ** 2))
    Cmp7 = Cmp**7
    Rc = 2 * np.sqrt(Cmp7 / (Cmp7 + 25.0**7))
    Sl = 1 + 0.015 * (Lm - 50) ** 2 / np.sqrt(20 + (Lm - 50) ** 2)
    Sc = 1 + 0.045 * Cmp
    Sh = 1 + 0.015 * Cmp * T
    Rt = -np.sin(np.radians(2 * d_theta)) * Rc
    dl, dc, dhh = dLp / Sl, dCp / Sc, dHp / Sh
    return np.asarray(np.sqrt(dl**2 + dc**2 + dhh**2 + Rt * dc * dhh))


def min_pair_distance(rgb: np.ndarray, vision: str | None = None) -> float:
    """Smallest CIEDE2000 difference between any two of the colours ``[n, 3]``, as seen with
    normal vision (``None``) or a simulated ``vision`` (a key of :data:`CVD_MATRICES`)."""
    c = np.asarray(rgb, np.float64)
    if vision is not None:
        c = simulate_cvd(c, vision)
    lab = srgb_to_lab(c)
    d = ciede2000(lab[:, None, :], lab[None, :, :])
    np.fill_diagonal(d, np.inf)
    return float(d.min()) if len(c) > 1 else float("inf")
