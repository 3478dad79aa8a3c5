"""One self-contained HTML file of the class overview: tables and plots that open offline.

Plots are drawn here with matplotlib (Agg) and embedded as base64 PNG data URIs; the page has no
script, no external style sheet, font or image, and a Content-Security-Policy that forbids
fetching anything (`default-src 'none'; img-src data:`). Every name and message is escaped.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime, timezone

from ..i18n import texts
from .overview import ClassOverview

BAR = "#2b6cb0"  # plots' bar colour (the screenshot test looks for it)
FULL = "#2f855a"
WARN = "#c53030"

_T = texts({
    "title": {"en": "torchdojo class report", "ko": "torchdojo 반 채점 보고서"},
    "students": {"en": "students", "ko": "학생"},
    "mean": {"en": "mean", "ko": "평균"},
    "median": {"en": "median", "ko": "중앙값"},
    "modules": {"en": "Modules", "ko": "모듈"},
    "items": {"en": "Items", "ko": "항목"},
    "causes": {"en": "Most common failures", "ko": "가장 흔한 실패"},
    "roster": {"en": "Students", "ko": "학생별 점수"},
    "similar": {"en": "Similar submissions", "ko": "비슷한 제출물"},
    "dist": {"en": "Distribution of total scores", "ko": "총점 분포"},
    "module_plot": {"en": "Mean and full-score share per module", "ko": "모듈별 평균과 만점 비율"},
    "item_plot": {"en": "Share of students passing each item", "ko": "항목별 통과 비율"},
    "share": {"en": "share of students", "ko": "학생 비율"},
    "percent": {"en": "% of points", "ko": "점수 (%)"},
    "pass": {"en": "pass", "ko": "통과"},
    "full": {"en": "full", "ko": "만점"},
    "not_done": {"en": "not done", "ko": "안 함"},
    "top": {"en": "most common failure", "ko": "가장 흔한 실패"},
    "problems": {"en": "problems", "ko": "문제"},
    "none": {"en": "none", "ko": "없음"},
    "made": {"en": "made", "ko": "작성"},
})


def _t(key: str, lang: str) -> str:
    return _T[key].pick(lang)  # type: ignore[arg-type]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def plots(ov: ClassOverview, lang: str) -> dict[str, str]:
    """The report's plots as PNG data URIs: total-score histogram, modules, items."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    fig, ax = plt.subplots(figsize=(6, 2.6))
    percents = [s.percent for s in ov.students]
    ax.hist(percents, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.0001], color=BAR, edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of points" if lang == "en" else "% of points (점수 비율)")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    out["dist"] = _png(fig)

    names = [m.name for m in ov.modules]
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(names) + 1))
    ys = list(range(len(names)))[::-1]
    ax.barh([y + 0.2 for y in ys], [100 * m.mean / m.max_score if m.max_score else 0 for m in ov.modules],
            height=0.38, color=BAR, label="mean %")
    ax.barh([y - 0.2 for y in ys], [100 * m.share_full for m in ov.modules], height=0.38, color=FULL,
            label="full score (% of students)")
    ax.set_yticks(ys, names)
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right", fontsize=8)
    out["modules"] = _png(fig)

    items = [i for m in ov.modules for i in m.items]
    fig, ax = plt.subplots(figsize=(6, 0.28 * len(items) + 1))
    ys = list(range(len(items)))[::-1]
    ax.barh(ys, [100 * i.share_passed for i in items], color=[BAR if i.share_passed >= 0.5 else WARN for i in items])
    ax.set_yticks(ys, [f"{i.module.split('_', 1)[0]} {i.name}" for i in items], fontsize=7)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of students passing")
    out["items"] = _png(fig)
    return out


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans KR","Malgun Gothic",sans-serif;margin:24px;color:#1a202c}
h1{font-size:26px;margin:0 0 4px} h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #cbd5e0}
.key{display:flex;gap:18px;margin:12px 0}
.key div{border:1px solid #cbd5e0;border-radius:6px;padding:8px 14px}
.key b{display:block;font-size:26px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
td,th{border:1px solid #e2e8f0;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#edf2f7} td.n{text-align:right;font-variant-numeric:tabular-nums}
.plots{display:flex;flex-wrap:wrap;gap:16px} .plots figure{margin:0}
figcaption{font-size:13px;color:#4a5568}
.low{color:#c53030;font-weight:600} .small{color:#718096;font-size:12px}
"""


def html_report(ov: ClassOverview, *, lang: str | None = None, title: str | None = None,
                similarity_report: str | None = None) -> str:
    """The whole page as one string (write it with encoding='utf-8')."""
    lang = lang or ov.lang
    pics = plots(ov, lang)
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    h: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(lang)}"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title or _t('title', lang))}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title or _t('title', lang))}</h1>",
        f'<p class="small">{_t("made", lang)} {made}'
        + (f" · seed {_e(ov.seed)}" if ov.seed is not None else "") + (f" · {_e(ov.device)}" if ov.device else "")
        + "</p>",
        '<div class="key">',
        f'<div id="k-students">{_t("students", lang)}<b>{len(ov.students)}</b></div>',
        f'<div id="k-mean">{_t("mean", lang)}<b>{ov.mean_percent:.1f}%</b></div>',
        f'<div id="k-median">{_t("median", lang)}<b>{ov.median_percent:.1f}%</b></div>',
        "</div>",
        '<div class="plots">',
        f'<figure><img id="plot-dist" alt="{_e(_t("dist", lang))}" src="{pics["dist"]}">'
        f"<figcaption>{_e(_t('dist', lang))}</figcaption></figure>",
        f'<figure><img id="plot-modules" alt="{_e(_t("module_plot", lang))}" src="{pics["modules"]}">'
        f"<figcaption>{_e(_t('module_plot', lang))}</figcaption></figure>",
        "</div>",
        f"<h2>{_t('modules', lang)}</h2>",
        f"<table id='modules'><tr><th>module</th><th>max</th><th>{_t('mean', lang)}</th>"
        f"<th>{_t('median', lang)}</th><th>{_t('full', lang)}</th><th>histogram 0-20-40-60-80-100%</th></tr>",
    ]
    for m in ov.modules:
        h.append(f"<tr><td>{_e(m.name)}</td><td class='n'>{_e(_n(m.max_score))}</td><td class='n'>{m.mean:.1f}</td>"
                 f"<td class='n'>{_e(_n(m.median))}</td><td class='n'>{m.share_full:.0%}</td>"
                 f"<td>{' '.join(map(str, m.histogram()))}</td></tr>")
    h.append("</table>")
    h.append(f"<h2>{_t('causes', lang)}</h2><ul id='causes'>")
    causes = ov.common_causes(10)
    for item, group in causes:
        h.append(f"<li><b>{group.count / item.failed:.0%}</b> of failures on <code>{_e(item.module)}.{_e(item.name)}"
                 f"</code> ({group.count}/{item.failed}): {_e(group.message)} "
                 f"<span class='small'>({_e(', '.join(group.students))})</span></li>")
    if not causes:
        h.append(f"<li>{_t('none', lang)}</li>")
    h.append("</ul>")
    h.append(f"<h2>{_t('items', lang)}</h2>")
    h.append(f'<figure><img id="plot-items" alt="{_e(_t("item_plot", lang))}" src="{pics["items"]}">'
             f"<figcaption>{_e(_t('item_plot', lang))}</figcaption></figure>")
    h.append(f"<table id='items'><tr><th>item</th><th>pts</th><th>{_t('pass', lang)}</th><th>{_t('mean', lang)}</th>"
             f"<th>{_t('not_done', lang)}</th><th>{_t('top', lang)}</th></tr>")
    for m in ov.modules:
        for i in m.items:
            top = ""
            if i.causes:
                g = i.causes[0]
                top = f"{g.count / i.failed:.0%}: {_e(g.message)}"
            low = " low" if i.share_passed < 0.5 else ""
            h.append(f"<tr><td>{_e(i.module)}.{_e(i.name)}</td><td class='n'>{_e(_n(i.max_score))}</td>"
                     f"<td class='n{low}'>{i.share_passed:.0%}</td><td class='n'>{i.mean:.2f}</td>"
                     f"<td class='n'>{i.not_done or ''}</td><td>{top}</td></tr>")
    h.append("</table>")
    h.append(f"<h2>{_t('roster', lang)}</h2><table id='students'><tr><th>student</th>"
             + "".join(f"<th>{_e(m.name.split('_', 1)[0])}</th>" for m in ov.modules)
             + f"<th>total</th><th>%</th><th>{_t('problems', lang)}</th></tr>")
    for r in ov.students:
        cells = "".join(
            f"<td class='n'>{_e(_n(r.modules[m.name][0]))}/{_e(_n(r.modules[m.name][1]))}</td>"
            if m.name in r.modules else "<td></td>" for m in ov.modules)
        h.append(f"<tr><td>{_e(r.student)}</td>{cells}<td class='n'>{_e(_n(r.score))}/{_e(_n(r.max_score))}</td>"
                 f"<td class='n'>{r.percent:.0f}%</td><td>{_e('; '.join(r.problems))}</td></tr>")
    h.append("</table>")
    if ov.similarity_threshold is not None:
        h.append(f"<h2>{_t('similar', lang)} (copydetect ≥ {ov.similarity_threshold:.0%})</h2><table id='similar'>"
                 "<tr><th>module</th><th>student</th><th>student</th><th>similarity</th></tr>")
        for p in ov.similar:
            h.append(f"<tr><td>{_e(p.module)}</td><td>{_e(p.first)}</td><td>{_e(p.second)}</td>"
                     f"<td class='n'>{p.similarity:.0%}</td></tr>")
        if not ov.similar:
            h.append(f"<tr><td colspan='4'>{_t('none', lang)}</td></tr>")
        h.append("</table>")
        if similarity_report:
            h.append(f"<p class='small'>copydetect: {_e(similarity_report)}</p>")
    h.append("</body></html>")
    return "\n".join(h) + "\n"


def _n(x: float) -> str:
    return str(int(x) if float(x).is_integer() else round(float(x), 2))
