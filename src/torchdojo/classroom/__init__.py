"""The class as a whole, for instructors: overview, HTML report, feedback files, exports
(Canvas, JUnit XML, Excel-friendly CSV), regrade diffs and similarity. Library code: no printing.

    from torchdojo.classroom import build_overview, format_overview, html_report
"""

from __future__ import annotations

from .overview import ClassOverview, ItemStats, ModuleStats, build_overview, format_overview, load_journal_reports

__all__ = ["ClassOverview", "ItemStats", "ModuleStats", "build_overview", "format_overview", "load_journal_reports"]
