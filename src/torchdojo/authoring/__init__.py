"""Writing and checking a course: `torchdojo new`, `torchdojo dev new`, `torchdojo dev check`.

Instructors' tools (trusted code): nothing here runs next to student code.
"""

from .mutants import Mutant, alternative, build_submission, mutant_problems

__all__ = ["Mutant", "alternative", "build_submission", "mutant_problems"]
