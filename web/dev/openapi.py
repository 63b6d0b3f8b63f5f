"""Write the server's OpenAPI document, sorted and indented, for `npm run gen:api`.

    PYTHONPATH=../src ../.venv/bin/python dev/openapi.py openapi.json   # from web/

The document does not depend on the runs folder (an empty temporary one is used). The test
tests/test_web_api_types.py fails when web/openapi.json or web/src/api/schema.d.ts is stale.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def openapi_text() -> str:
    """The OpenAPI document of ``create_app`` as deterministic JSON text."""
    from convlens.server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        doc = create_app(tmp).openapi()
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "openapi.json")
    out.write_text(openapi_text(), encoding="utf-8")
    print(f"wrote {out}")
