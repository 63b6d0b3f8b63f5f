"""The public surface is small and changes only on purpose."""

from __future__ import annotations

import convlens
import convlens.core
import convlens.record
import convlens.store


def test_top_level_surface() -> None:
    assert set(convlens.__all__) == {
        "Capture",
        "ConvLensError",
        "Recorder",
        "Run",
        "RunFormatError",
        "RunWriter",
        "UserInputError",
        "__version__",
        "list_runs",
        "resolve_layers",
        "show",
    }
    for name in convlens.__all__:
        assert hasattr(convlens, name)


def test_room_surfaces_are_exported() -> None:
    for mod in (convlens.core, convlens.record, convlens.store):
        for name in mod.__all__:
            assert hasattr(mod, name), f"{mod.__name__}.{name}"
        public_modules = [
            n
            for n in dir(mod)
            if not n.startswith("_")
            and n not in mod.__all__
            and type(getattr(mod, n)).__name__ == "module"
        ]
        assert public_modules == [], f"{mod.__name__} exposes implementation modules"


def test_store_never_imports_torch() -> None:
    import subprocess
    import sys

    code = "import sys, convlens.store, convlens.core; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
