"""`torchdojo list`: every module, its items and points, and the student's last status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .course import load_course
from .grading.state import load_state


def progress(directory: Path) -> dict[str, Any]:
    """Plain data: modules in course order; items from the last check, else from the manifest."""
    course = load_course()
    state = load_state(directory)
    catalog = {m.name: dict(m.items) for m in course.modules}
    modules = []
    for module in course.modules:
        if module.name in state:
            items = [{"name": i.name, "points": i.max_score, "score": i.score, "status": i.status}
                     for i in state[module.name].items]
            checked = True
        else:
            items = [{"name": name, "points": points, "score": 0, "status": "not checked"}
                     for name, points in catalog.get(module.name, {}).items()]
            checked = False
        modules.append({
            "name": module.name,
            "title": module.title.model_dump(),
            "checked": checked,
            "score": sum(i["score"] for i in items),
            "max_score": sum(i["points"] for i in items),
            "items": items,
        })
    all_items = [i for m in modules for i in m["items"]]
    passed = sum(1 for i in all_items if i["status"] == "passed")
    return {
        "submission": str(directory),
        "score": sum(m["score"] for m in modules),
        "max_score": sum(m["max_score"] for m in modules),
        "items_passed": passed,
        "items": len(all_items),
        "progress": round(passed / len(all_items), 4) if all_items else 0.0,
        "modules": modules,
    }
