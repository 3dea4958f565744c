"""A failed check's maps as one small PNG for feedback.html: the call's input and kernel (when
small), the expected map, the returned map and their difference, side by side as heatmaps.

The expected and the returned map share one colour scale (`cividis`, readable in greyscale and
by colour-blind readers); the difference `returned - expected` has a diverging scale centred on
0 (`PuOr`); the wrong cells are outlined in black over white, visible on any colour. A 3-D map
gets one row per channel (up to 4). Drawn from a check's `arrays`
(`autograder.core.judge.ArrayExpect.maps`) with matplotlib's Agg renderer, imported only when a
picture is drawn; no pyplot, so no global backend state changes.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["CONFUSION_MAP", "DIFFERENCE_MAP", "VALUES_MAP", "cnn_png", "draw", "png",
           "preload_in_background"]

VALUES_MAP = "cividis"
DIFFERENCE_MAP = "PuOr"
MAX_CHANNELS = 4
_ANNOTATE_CELLS = 8  # maps at most this many cells wide and high show their numbers
_PANEL_IN = 1.75
_DPI = 80


def preload_in_background() -> None:
    """Import matplotlib's figure, its Agg renderer and what the pictures and the class charts
    use (about a third of a second), in a daemon thread: for a process that draws later and
    waits meanwhile (a batch and its workers wait on their sandboxes), so that the first
    picture does not pay for it. A drawing that comes first just waits for the import."""
    threading.Thread(target=_import_matplotlib, name="preload-matplotlib", daemon=True).start()


def _import_matplotlib() -> None:
    with contextlib.suppress(Exception):  # missing or broken: the drawing says so, not this
        import matplotlib.backends.backend_agg
        import matplotlib.figure
        import matplotlib.patches
        import matplotlib.ticker  # noqa: F401


def _array(arrays: Mapping[str, Any], key: str) -> np.ndarray | None:
    value = arrays.get(key)
    if value is None:
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.ndim in (2, 3) and array.size and np.all(np.isfinite(array)) else None


def _channel(array: np.ndarray, c: int) -> np.ndarray | None:
    if array.ndim == 2:
        return array if c == 0 else None
    return array[:, :, c] if c < array.shape[2] else None


def _limits(*maps: np.ndarray) -> tuple[float, float]:
    low = min(float(m.min()) for m in maps)
    high = max(float(m.max()) for m in maps)
    return (low - 0.5, high + 0.5) if high - low < 1e-12 else (low, high)


def _annotate(ax: Any, values: np.ndarray, image: Any) -> None:
    """Each cell's number, dark on light cells and light on dark ones."""
    if max(values.shape) > _ANNOTATE_CELLS:
        return
    for (i, j), v in np.ndenumerate(values):
        r, g, b, _ = image.cmap(image.norm(v))
        ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7, color=ink)


def _outline(ax: Any, wrong: np.ndarray) -> None:
    from matplotlib.patches import Rectangle

    for i, j in zip(*np.nonzero(wrong), strict=True):
        for colour, width in (("white", 2.6), ("black", 1.2)):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=colour,
                                   linewidth=width))


def png(arrays: Mapping[str, Any] | None) -> bytes | None:
    """The picture of a failed check's maps, or None when there are no usable maps."""
    if not arrays:
        return None
    expected, returned = _array(arrays, "expected"), _array(arrays, "returned")
    if expected is None or returned is None:
        return None
    wrong = None
    if expected.shape == returned.shape and arrays.get("wrong") is not None:
        mask = np.asarray(arrays["wrong"], dtype=bool)
        wrong = mask if mask.shape == returned.shape else None
    same = expected.shape == returned.shape
    extras = [(name, a) for name in ("input", "kernel") if (a := _array(arrays, name)) is not None]
    rows = min(max(m.shape[2] if m.ndim == 3 else 1 for m in (expected, returned)), MAX_CHANNELS)
    columns = [*(name for name, _ in extras), "expected", "returned",
               *(["returned − expected"] if same else [])]

    from matplotlib.figure import Figure

    figure = Figure(figsize=(_PANEL_IN * len(columns) + 1.2 * (1 + same), _PANEL_IN * rows + 0.4),
                    dpi=_DPI, layout="constrained")
    axes = figure.subplots(rows, len(columns), squeeze=False)
    values_limits = _limits(expected, returned)
    difference = returned - expected if same else None
    spread = float(np.max(np.abs(difference))) if difference is not None else 0.0
    spread = spread if spread > 0 else 1.0
    shown_values, shown_differences = [], []
    values_image = difference_image = None
    for c in range(rows):
        panels: list[tuple[str, np.ndarray | None]] = [
            *((name, _channel(a, c)) for name, a in extras),
            ("expected", _channel(expected, c)), ("returned", _channel(returned, c))]
        if difference is not None:
            panels.append(("returned − expected", _channel(difference, c)))
        for k, (title, values) in enumerate(panels):
            ax = axes[c][k]
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_title(title, fontsize=9)
            if k == 0 and rows > 1:
                ax.set_ylabel(f"channel {c}", fontsize=8)
            if values is None:
                ax.set_axis_off()
                continue
            if title == "returned − expected":
                image = ax.imshow(values, cmap=DIFFERENCE_MAP, vmin=-spread, vmax=spread)
                difference_image = image
                shown_differences.append(ax)
            elif title in ("expected", "returned"):
                image = ax.imshow(values, cmap=VALUES_MAP, vmin=values_limits[0],
                                  vmax=values_limits[1])
                values_image = image
                shown_values.append(ax)
            else:  # the input or the kernel: a scale of its own
                image = ax.imshow(values, cmap=VALUES_MAP, vmin=_limits(values)[0],
                                  vmax=_limits(values)[1])
            _annotate(ax, values, image)
            if wrong is not None and title in ("returned", "returned − expected"):
                cells = _channel(wrong, c)
                if cells is not None:
                    _outline(ax, cells)
    if values_image is not None:
        figure.colorbar(values_image, ax=shown_values, shrink=0.8, label="value")
    if difference_image is not None:
        figure.colorbar(difference_image, ax=shown_differences, shrink=0.8, label="difference")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


CONFUSION_MAP = "Blues"  # counts: light to dark, readable in greyscale


def _grid_of(figure: Any, cell: Any, maps: np.ndarray, title: str, cmap: str) -> None:
    """`maps (h, w, n)` as a small grid of images in one cell of the figure's layout."""
    n = maps.shape[2]
    columns = min(n, 4)
    rows = -(-n // columns)
    sub = cell.subgridspec(rows, columns, wspace=0.05, hspace=0.05)
    limit = float(np.max(np.abs(maps))) or 1.0
    for k in range(rows * columns):
        ax = figure.add_subplot(sub[k // columns, k % columns])
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= n:
            ax.set_axis_off()
            continue
        ax.imshow(maps[..., k], cmap=cmap, vmin=-limit if cmap == DIFFERENCE_MAP else 0,
                  vmax=limit)
        if k == 0:
            ax.set_title(title, fontsize=9, loc="left")


def cnn_png(arrays: Mapping[str, Any] | None) -> bytes | None:
    """The trained model as the MNIST check saw it: the first layer's kernels (diverging scale,
    0 in the middle), one test digit and its feature maps after that layer, and the confusion
    matrix with its counts (rows: the true digit). None without a confusion matrix."""
    if not arrays or arrays.get("kind") != "cnn":
        return None
    confusion = _array(arrays, "confusion")
    if confusion is None or confusion.ndim != 2:
        return None
    kernels, maps = _array(arrays, "kernels"), _array(arrays, "feature_maps")
    digit = _array(arrays, "digit")

    from matplotlib.figure import Figure

    shown = [k for k in (kernels, maps) if k is not None and k.ndim == 3]
    figure = Figure(figsize=(3.2 * (len(shown) + 1) + (1.6 if digit is not None else 0), 3.6),
                    dpi=_DPI, layout="constrained")
    widths = [*([0.5] if digit is not None else []), *([1.0] * len(shown)), 1.0]
    layout = figure.add_gridspec(1, len(widths), width_ratios=widths)
    column = 0
    if digit is not None and digit.ndim == 2:
        ax = figure.add_subplot(layout[0, column])
        ax.imshow(digit, cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("a test digit", fontsize=9)
        column += 1
    if kernels is not None and kernels.ndim == 3:
        _grid_of(figure, layout[0, column], kernels, "first-layer kernels", DIFFERENCE_MAP)
        column += 1
    if maps is not None and maps.ndim == 3:
        _grid_of(figure, layout[0, column], maps, "its feature maps", VALUES_MAP)
        column += 1
    ax = figure.add_subplot(layout[0, column])
    image = ax.imshow(confusion, cmap=CONFUSION_MAP)
    for (i, j), count in np.ndenumerate(confusion.astype(int)):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=6,
                    color="white" if count > confusion.max() / 2 else "black")
    ax.set_xlabel("predicted", fontsize=8)
    ax.set_ylabel("true digit", fontsize=8)
    ax.set_xticks(range(confusion.shape[1]))
    ax.set_yticks(range(confusion.shape[0]))
    ax.tick_params(labelsize=7)
    accuracy, threshold = arrays.get("accuracy"), arrays.get("threshold")
    title = "confusion matrix"
    if isinstance(accuracy, (int, float)) and isinstance(threshold, (int, float)):
        title += f": accuracy {accuracy:.3f} (needed {threshold:.2f})"
    ax.set_title(title, fontsize=9)
    figure.colorbar(image, ax=ax, shrink=0.7)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def draw(arrays: Mapping[str, Any] | None) -> bytes | None:
    """The picture of a check's arrays, whichever kind they are (a trained CNN, or maps)."""
    return cnn_png(arrays) or png(arrays)
