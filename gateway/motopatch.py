"""How the lab marks its patches of moto's classes (moto's classes are process-wide, like its backends, so each is
patched once per process). Whether a class is patched is read from the function the lab installed, marked with
`lab_patch`, not from a marker on moto's class or a module-level set: one way for every patch."""
from __future__ import annotations

from typing import Callable, TypeVar

LAB_PATCH = "securecart_lab_patch"
F = TypeVar("F", bound=Callable[..., object])


def lab_patch(function: F) -> F:
    """Mark `function` as the lab's replacement of one of moto's methods."""
    setattr(function, LAB_PATCH, True)
    return function


def is_lab_patch(function: object) -> bool:
    """Whether `function` (a method as a class holds it now) is the lab's replacement."""
    return bool(getattr(function, LAB_PATCH, False))
