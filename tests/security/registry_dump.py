"""Run as `python -m tests.security.registry_dump` with the app's environment: imports
app.py exactly as production does and prints, as JSON, every Flask rule, Dash page and
Dash callback it registered (what tests/security/test_matrix.py checks the matrix against)."""
from __future__ import annotations

import json
import sys


def dump() -> dict:
    import dash
    import dash._callback as registry

    import app  # noqa: F401  the real assembly: server, sign-in, routes, pages, callbacks

    rules = sorted({f"{m} {r.rule}" for r in app.server.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}})
    pages = sorted(p.get("path_template") or p["path"] for p in dash.page_registry.values())
    callbacks = {}
    for output, cb in {**registry.GLOBAL_CALLBACK_MAP, **app.app.callback_map}.items():
        fn = cb.get("callback")
        if fn is None:
            key = "clientside " + "...".join(o.split("@", 1)[0] for o in output.split("...")) \
                if output.startswith("..") else "clientside " + output.split("@", 1)[0]
        else:
            key = f"callback {fn.__module__}.{fn.__name__}"
        assert key not in callbacks, f"two callbacks map to {key}"
        callbacks[key] = output
    return {"rules": rules, "pages": pages, "callbacks": callbacks}


if __name__ == "__main__":
    out = dump()
    sys.stdout.write("\n@@REGISTRY@@" + json.dumps(out) + "\n")
