"""Hidden grader of 01_tensors. Inputs are random (seeded per run); the student's answers are
compared with the reference's, computed on the same inputs in a separate worker."""

import pytest
import torch

from torchdojo.grading import ensure, expect_sequence, expect_student_raises, expect_tensor, meta_of
from torchdojo.grading import random_int as _size


@pytest.mark.points(3)
def test_row_stats(student, reference, rng):
    n = _size(rng, 2, 9)
    m = n + _size(rng, 2, 6)  # never square: column sums then have the wrong shape
    x = torch.randn(n, m, generator=rng) * 3 + 1
    got = student.row_stats(x)
    expected = reference.row_stats(x)
    expect_sequence(got, 3, "row_stats(x)")
    for name, g, e in zip(("row_sums", "row_means", "row_stds"), got, expected):
        expect_tensor(g, e, name)


@pytest.mark.points(2)
@pytest.mark.parametrize("layout", ["contiguous", "permuted", "batch_of_one"])
def test_flatten_images(student, reference, rng, layout):
    b = 1 if layout == "batch_of_one" else _size(rng, 2, 6)
    c, h, w = _size(rng, 1, 4), _size(rng, 2, 7), _size(rng, 2, 7)
    x = torch.randn(b, c, h, w, generator=rng)
    if layout == "permuted":  # same shape, not contiguous
        x = torch.randn(b, h, w, c, generator=rng).permute(0, 3, 1, 2)
    got = student.flatten_images(x)
    expect_tensor(got, reference.flatten_images(x), f"flatten_images(x) for x of shape {list(x.shape)}")


@pytest.mark.points(1, item="flatten_images.view")
def test_flatten_images_returns_view(student, rng):
    x = torch.randn(_size(rng, 2, 5), 3, 4, 4, generator=rng)
    got = student.flatten_images(x)
    meta = meta_of(got)
    ensure(meta is not None and "args[0]" in meta.shares_with,
           "flatten_images: for a contiguous input return a view that shares memory with it, not a copy "
           "(view/reshape give a view; clone/contiguous/flatten of a copy do not)",
           "flatten_images: 입력이 연속적이면 복사본이 아니라 입력과 메모리를 공유하는 뷰를 돌려주세요 "
           "(view/reshape은 뷰를, clone 등은 복사본을 만듭니다)")


@pytest.mark.points(2)
def test_split_and_stack(student, reference, rng):
    n, k, d = _size(rng, 2, 5), _size(rng, 1, 5), _size(rng, 1, 4)
    x = torch.randn(n * k, d, generator=rng)
    expect_tensor(student.split_and_stack(x, n), reference.split_and_stack(x, n), f"split_and_stack(x, {n})")


@pytest.mark.points(1, item="split_and_stack.error")
def test_split_and_stack_not_divisible(student, rng):
    n = _size(rng, 2, 5)
    x = torch.randn(n * _size(rng, 1, 4) + 1, 3, generator=rng)
    with expect_student_raises("ValueError", f"split_and_stack(x of length {len(x)}, {n})") as raised:
        student.split_and_stack(x, n)
    ensure(bool(raised["message"].strip()),
           "split_and_stack: give the ValueError a message that says what is wrong",
           "split_and_stack: ValueError에 무엇이 잘못됐는지 알려주는 메시지를 넣으세요")


@pytest.mark.points(2)
def test_pairwise_sum(student, reference, rng):
    n = _size(rng, 2, 8)
    m = n + _size(rng, 1, 5)
    col, row = torch.randn(n, generator=rng), torch.randn(m, generator=rng)
    expect_tensor(student.pairwise_sum(col, row), reference.pairwise_sum(col, row), "pairwise_sum(col, row)")


@pytest.mark.points(2)
def test_matmul_and_elementwise(student, reference, rng):
    n = _size(rng, 2, 6)
    a, b = torch.randn(n, n, generator=rng), torch.randn(n, n, generator=rng)
    got = student.matmul_and_elementwise(a, b)
    expected = reference.matmul_and_elementwise(a, b)
    expect_sequence(got, 2, "matmul_and_elementwise(a, b)")
    expect_tensor(got[0], expected[0], "first result (a @ b, matrix product)")
    expect_tensor(got[1], expected[1], "second result (a * b, element-wise product)")


@pytest.mark.points(2)
def test_numpy_view(student, reference, rng):
    arr = torch.randn(_size(rng, 2, 6), _size(rng, 2, 6), generator=rng, dtype=torch.float64).numpy()
    got = student.numpy_view(arr)
    expect_tensor(got, reference.numpy_view(arr), "numpy_view(arr)")
    meta = meta_of(got)
    ensure(meta is not None and "args[0]" in meta.shares_with,
           "numpy_view: the tensor must share memory with the NumPy array (torch.from_numpy); "
           "torch.tensor(arr) makes a copy",
           "numpy_view: 텐서가 NumPy 배열과 메모리를 공유해야 합니다 (torch.from_numpy). "
           "torch.tensor(arr)는 복사본을 만듭니다")
