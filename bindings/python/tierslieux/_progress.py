"""tqdm progress bars for the engine's progress callbacks, shown only where somebody watches. Internal."""
from __future__ import annotations

import importlib.util
import sys
from typing import Callable, Optional


def watched() -> bool:
    """True on a terminal (stderr is a TTY), or in a Jupyter kernel that can draw a widget bar (ipywidgets);
    False in piped logs, files and plain notebooks, where a bar would only print lines of noise."""
    if "ipykernel" in sys.modules:
        return importlib.util.find_spec("ipywidgets") is not None
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def bar(enabled: bool, label: str, unit: str = "source") -> Optional[Callable[[int, int], None]]:
    """A callback(done, total) driving one tqdm bar, or None when disabled or when nobody watches."""
    if not enabled or not watched():
        return None
    from tqdm.auto import tqdm

    b = tqdm(desc=label, unit=unit, leave=False)

    def update(done: int, total: int) -> None:
        b.total = total
        b.n = done
        b.refresh()
        if done >= total:
            b.close()

    return update


def stages(enabled: bool) -> Optional[Callable[[str, int, int], None]]:
    """A callback(stage, done, total) giving each stage of a run its own bar, or None when disabled."""
    if not enabled or not watched():
        return None
    state: dict = {"stage": None, "update": None}

    def update(stage: str, done: int, total: int) -> None:
        if stage != state["stage"]:
            state["stage"], state["update"] = stage, bar(True, stage, unit="step")
        state["update"](done, total)

    return update
