"""What grader files import: checks that explain themselves, and tensor metadata.

A grader test receives `student` and `reference` (proxies of the module's file loaded in
sandboxed workers), calls them with the same random inputs, and compares with these checks.
"""

from ..i18n import Text
from ..sandbox.remote import RemoteObject, StudentError, TensorMeta, meta_of
from .cases import cases, fixed_generator
from .checks import (
    GradeFailure,
    describe_type,
    ensure,
    expect_equal,
    expect_sequence,
    expect_student_raises,
    expect_tensor,
    expect_tensor_named,
    fail,
    random_float,
    random_int,
    with_hint,
    with_korean_name,
)

__all__ = [
    "cases",
    "fixed_generator",
    "GradeFailure",
    "RemoteObject",
    "StudentError",
    "TensorMeta",
    "Text",
    "describe_type",
    "ensure",
    "expect_equal",
    "expect_sequence",
    "expect_student_raises",
    "expect_tensor",
    "expect_tensor_named",
    "fail",
    "meta_of",
    "random_float",
    "random_int",
    "with_hint",
    "with_korean_name",
]
