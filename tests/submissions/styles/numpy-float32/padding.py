"""Padding in float32 throughout."""

import numpy as np

F32 = np.float32


def same_padding(n, kernel_size, stride=1):
    for value in (n, kernel_size, stride):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"n, kernel_size and stride must be positive ints, got {value!r}")
    out = (n + stride - 1) // stride
    total = max((out - 1) * stride + kernel_size - n, 0)
    return int(total // 2), int(total - total // 2)


def zero_pad(image, pads):
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"image must be a non-empty 2D or 3D array, got shape {image.shape}")
    (top, bottom), (left, right) = pads
    if min(top, bottom, left, right) < 0:
        raise ValueError(f"pads must not be negative, got {pads!r}")
    h, w = image.shape[:2]
    out = np.zeros((top + h + bottom, left + w + right, *image.shape[2:]), dtype=F32)
    out[top:top + h, left:left + w] = image
    return out


def correlate2d_padded(image, kernel, padding="valid"):
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    image, kernel = np.asarray(image), np.asarray(kernel).astype(F32)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2D arrays")
    kh, kw = kernel.shape
    if padding == "same":
        image = zero_pad(image, (same_padding(image.shape[0], kh), same_padding(image.shape[1], kw)))
    else:
        image = image.astype(F32)
        if kh > image.shape[0] or kw > image.shape[1]:
            raise ValueError(f"kernel {kernel.shape} does not fit in image {image.shape}")
    rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((rows, cols), dtype=F32)
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * image[i:i + rows, j:j + cols]
    return out
