"""Similarity across a class with copydetect (winnowed fingerprints of the tokenized code).

`find_similar(subs, modules)` compares, module by module, every student's `<module>.py` with
every other student's. What the course hands out is boilerplate: the exercise stubs always
(their fingerprints never count), and the reference solution unless `reference=False`. In
short exercises most correct answers look like the reference (`x.sum(dim=1)`), so a match
there says nothing; what is left is each student's own code, and two students sharing much
of that is what an instructor wants to see.

Submissions are read with `read_regular_file` (never through a link, size-capped, without
blocking) into a private folder; copydetect only ever reads those copies. Its HTML report
(`html_path`) is copydetect's own page, with the private folder's paths replaced by
`student/module.py` and its links to a CDN (Bootstrap) removed, so it opens offline.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ..grading.report import safe_label
from .overview import SimilarPair

DEFAULT_THRESHOLD = 0.5
SOURCE_BYTES = 512 * 1024  # a student's module file; bigger ones are skipped (and listed)
_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)
_EXTERNAL = re.compile(r"<link\b[^>]*\bhref=\"https?://[^>]*>|<script\b[^>]*\bsrc=\"https?://[^>]*>\s*</script>",
                       re.IGNORECASE)


@dataclass
class SimilarityResult:
    pairs: list[SimilarPair]  # at or above the threshold, most similar first
    threshold: float
    compared: dict[str, int] = field(default_factory=dict)  # module -> files compared
    skipped: list[str] = field(default_factory=list)  # "student/module.py: why" (links, too large, ...)
    html_path: Path | None = None


def _read(folder: Path, module: str) -> bytes | None | str:
    """The file's bytes; None when there is none; a reason (str) when it may not be read."""
    from ..sandbox.files import UnsafeFile, read_regular_file

    try:
        return read_regular_file(Path(folder) / f"{module}.py", SOURCE_BYTES, root=folder)
    except FileNotFoundError:
        return None
    except UnsafeFile as exc:
        return safe_label(exc.text.en, 200)
    except OSError as exc:
        return safe_label(f"cannot be read ({exc.strerror or exc})", 200)


def _boilerplate(module: str, reference: bool) -> list[Path]:
    from ..course import exercises_dir, reference_dir

    dirs = [exercises_dir()] + ([reference_dir()] if reference else [])
    return [d / f"{module}.py" for d in dirs if (d / f"{module}.py").is_file()]


def find_similar(subs: Sequence[tuple[str, Path]], modules: Iterable[str], *,
                 threshold: float = DEFAULT_THRESHOLD, reference: bool = True,
                 html_path: Path | None = None, noise: int = 25, guarantee: int = 30) -> SimilarityResult:
    """Pairs of students whose files of one module share at least `threshold` of their own
    code (the larger of the two directions), stubs and (by default) the reference left out."""
    from copydetect import CopyDetector

    modules = list(modules)
    work = Path(tempfile.mkdtemp(prefix="torchdojo-similarity-"))
    work.chmod(0o700)
    try:
        names: dict[str, str] = {}  # folder name in `work` -> student
        files: dict[str, list[tuple[str, Path]]] = {m: [] for m in modules}
        skipped: list[str] = []
        for number, (student, folder) in enumerate(subs):
            label = safe_label(student)
            safe = f"{_UNSAFE.sub('_', label).strip('._')[:60] or 'student'}-{number}"
            names[safe] = label
            for module in modules:
                data = _read(Path(folder), module)
                if data is None:
                    continue
                if isinstance(data, str):
                    skipped.append(f"{label}/{module}.py: {data}")
                    continue
                dest = work / safe / f"{module}.py"
                dest.parent.mkdir(exist_ok=True)
                dest.write_bytes(data)
                files[module].append((label, dest))
        pairs: list[SimilarPair] = []
        compared = {m: len(f) for m, f in files.items()}
        detector = CopyDetector(extensions=["py"], noise_t=noise, guarantee_t=guarantee, display_t=threshold,
                                same_name_only=True, autoopen=False, silent=True,
                                out_file=str(work / "report.html"))
        for module in modules:
            for path in _boilerplate(module, reference):
                detector.add_file(str(path), type="boilerplate")
            for _label, path in files[module]:
                detector.add_file(str(path))
        if sum(compared.values()) < 2:
            return SimilarityResult([], threshold, compared, skipped)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            detector.run()
        index = {f: i for i, f in enumerate(detector.test_files)}
        for module in modules:
            entries = files[module]
            for a in range(len(entries)):
                for b in range(a + 1, len(entries)):
                    (first, pa), (second, pb) = entries[a], entries[b]
                    i, j = index.get(str(pa)), index.get(str(pb))
                    if i is None or j is None:
                        continue
                    s1, s2 = (float(x) for x in detector.similarity_matrix[i, j])
                    if max(s1, s2) >= threshold:
                        pairs.append(SimilarPair(module, first, second, max(s1, s2), s1, s2))
        pairs.sort(key=lambda p: (-p.similarity, p.module, p.first, p.second))
        written = None
        if html_path is not None:
            page = detector.generate_html_report(output_mode="return") or ""
            for safe, label in sorted(names.items(), key=lambda kv: -len(kv[0])):
                page = page.replace(f"{work}/{safe}/", f"{_html(label)}/")
            page = page.replace(str(work), "")
            page = _EXTERNAL.sub("", page)  # copydetect links Bootstrap from a CDN: the page opens offline
            for path in {p for m in modules for p in _boilerplate(m, reference)}:
                page = page.replace(str(path.parent), path.parent.name)
            html_path = Path(html_path)
            if html_path.is_symlink():
                html_path.unlink()
            html_path.write_text(page, encoding="utf-8")
            written = html_path
        return SimilarityResult(pairs, threshold, compared, skipped, written)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _html(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def similarity_of_root(root: Path, modules: Iterable[str], **kwargs) -> SimilarityResult:
    """`find_similar` over every submission folder of `root` (as `grade` lists them); a class of
    returned notebooks (nbgrader's submitted/ or a course folder) is compared on the code of their
    setup and answer cells, as `grade` grades it."""
    from ..grading.runner import class_submissions
    from ..release.notebooks import notebook_class_root, notebooks_to_submission
    from ..sandbox.files import is_link

    notebooks = notebook_class_root(root)
    subs = [(s, p) for s, p in class_submissions(notebooks or root) if not is_link(p)]
    if notebooks is None:
        return find_similar(subs, modules, **kwargs)
    work = Path(tempfile.mkdtemp(prefix="torchdojo-similarity-nb-"))
    work.chmod(0o700)
    try:
        converted = []
        for number, (student, folder) in enumerate(subs):
            dest = work / f"s{number}"
            with contextlib.suppress(Exception):  # a broken notebook has no code to compare
                notebooks_to_submission(folder, dest)
            converted.append((student, dest))
        return find_similar(converted, modules, **kwargs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
