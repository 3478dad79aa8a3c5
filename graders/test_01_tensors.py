"""Hidden grader of 01_tensors.

Every item is a battery: fixed corner cases (the same on every seed, each known mistake of the
item is separated from the correct answer by at least one of them) and random cases (seeded per
run). The student's answers are compared in the scorer with the reference's, computed on the same
inputs in the reference's own worker.

What is outcome-proof and what is a rule (README "How grading works"):
- values of every item: outcome (compared here with the reference's values);
- `flatten_images.view`, `numpy_view` (memory sharing): outcome. The result stays in the worker,
  the input is then changed in place by a value drawn here after the call (a trusted probe),
  the result is fetched and must show the change. A copy cannot, whatever it claims;
  (`torch.asarray(arr)` copies a 0-dim array, so it loses on the 0-dim case: that is true, not a
  grader quirk; `torch.from_numpy` and `torch.as_tensor` share in every case);
- `pairwise_sum` "no Python loops": a rule, checked on the student's source here (static,
  the function and every helper it calls in the file), a deterrent rather than a proof.
"""

from contextlib import contextmanager

import numpy as np
import pytest
import torch

from torchdojo.coursekit import probes
from torchdojo.grading import (
    expect_tensor_named,
    with_korean_name,
    GradeFailure,
    StudentError,
    cases,
    ensure,
    expect_sequence,
    expect_student_raises,
    expect_tensor,
    fail,
    fixed_generator,
)
from torchdojo.grading import random_int as _size


def _randn(gen, *shape, dtype=torch.float32):
    return torch.randn(*shape, generator=gen, dtype=dtype)


_named = with_korean_name  # the Korean message names the value in Korean
_expect = expect_tensor_named


def _same(a, b):
    return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a.double(), b.double(), rtol=1e-5, atol=1e-6))


def _delta(rng, shape, dtype=torch.float32):
    """A change drawn here, after the student's function returned: never zero anywhere."""
    if dtype.is_floating_point:
        size = torch.rand(shape, generator=rng) + 0.5
    else:
        size = torch.randint(1, 5, shape, generator=rng)
    sign = torch.randint(0, 2, shape, generator=rng) * 2 - 1
    return (size * sign).to(dtype)


@contextmanager
def _input_changed(label, label_ko, name):
    """The grader's in-place change of the input failed: the student's code changed the input itself."""
    try:
        yield
    except StudentError as err:
        if err.kind != "exception":
            raise
        fail(en=f"{label}: after your function returned, the grader could not change {name} in place "
                f"({err.type_name}): your function changed {name} itself (its shape or its memory). Leave {name} as "
                "it is and return a tensor that shares its memory",
             ko=f"{label_ko}: 함수가 끝난 뒤 채점기가 {name}을(를) 제자리에서 바꾸지 못했습니다 ({err.type_name}): 함수가 "
                f"{name} 자체(모양이나 메모리)를 바꿨습니다. {name}은(는) 그대로 두고 그 메모리를 공유하는 텐서를 돌려주세요")


# -- row_stats ------------------------------------------------------------------------------

def _row_stats_case(rng):
    n = _size(rng, 1, 9)
    m = _size(rng, 2, 9)
    return torch.randn(n, m, generator=rng) * 3 + 1


def _row_stats_fixed():
    g = fixed_generator(1)
    return [
        _randn(g, 2, 5) * 3 + 1,           # wide: column sums have 5 values, not 2
        _randn(g, 6, 3) * 2 - 1,           # tall
        _randn(g, 1, 7) + 4,               # one row
        (_randn(g, 5, 3) * 2).t(),         # not contiguous
        _randn(g, 4, 4, dtype=torch.float64),  # square, float64
    ]


@pytest.mark.points(3)
def test_row_stats(student, reference, rng):
    for x in cases(rng, fixed=_row_stats_fixed(), random=_row_stats_case):
        label = f"row_stats(x) for x of shape {list(x.shape)}"
        label_ko = f"모양이 {list(x.shape)}인 x에 대한 row_stats(x)"
        got = student.row_stats(x)
        expected = reference.row_stats(x)
        with _named(en=label, ko=label_ko):
            expect_sequence(got, 3, label)
        names = (("row_sums (sum of each row)", "행 합계 row_sums"),
                 ("row_means (mean of each row)", "행 평균 row_means"),
                 ("row_stds (std of each row)", "행 표준편차 row_stds"))
        for (en, ko), g, e in zip(names, got, expected):
            if isinstance(g, torch.Tensor) and g.shape != e.shape and list(g.shape) == [x.shape[1]]:
                fail(en=f"{label}, {en}: got {x.shape[1]} values, one per column; reduce over dim=1 to get one per row",
                     ko=f"{label_ko}, {ko}: 열마다 하나씩 {x.shape[1]}개가 나왔습니다. dim=1로 줄여서 행마다 하나씩 구하세요")
            if en.startswith("row_stds") and isinstance(g, torch.Tensor) and _same(g, x.std(dim=1, unbiased=False)):
                fail(en=f"{label}, {en}: this is the population std (divides by M); torch's default x.std(dim=1) "
                        "is unbiased (divides by M - 1)",
                     ko=f"{label_ko}, {ko}: 모표준편차(M으로 나눔)입니다. 파이토치 기본값 x.std(dim=1)은 불편 표준편차"
                        "(M - 1로 나눔)입니다")
            _expect(g, e, en=f"{label}, {en}", ko=f"{label_ko}, {ko}")


# -- flatten_images -------------------------------------------------------------------------

def _permuted(gen, b, c, h, w):
    """[B, C, H, W] that is not contiguous (channels-last memory, as after permute)."""
    return _randn(gen, b, h, w, c).permute(0, 3, 1, 2)


def _flatten_fixed():
    g = fixed_generator(2)
    return [
        _randn(g, 2, 3, 4, 5),                  # contiguous, several channels
        _permuted(g, 2, 3, 4, 5),               # permuted, C > 1, H, W > 1: view fails
        _permuted(g, 1, 3, 2, 4),               # permuted, B == 1
        _randn(g, 2, 3, 5, 4).transpose(2, 3),  # H and W swapped: not contiguous
        _randn(g, 1, 3, 4, 4),                  # B == 1: squeeze drops the batch dim
        _randn(g, 1, 1, 3, 3),                  # B == 1, one channel
        _randn(g, 3, 1, 4, 4),                  # one channel
        _permuted(g, 2, 1, 3, 4),               # permuted, one channel (view happens to work)
    ]


def _flatten_case(rng):
    b, c, h, w = _size(rng, 1, 5), _size(rng, 1, 5), _size(rng, 1, 6), _size(rng, 1, 6)
    layout = _size(rng, 0, 3)
    if layout == 1:
        return _permuted(rng, b, c, h, w)
    if layout == 2:
        return torch.randn(b, c, w, h, generator=rng).transpose(2, 3)
    return torch.randn(b, c, h, w, generator=rng)


VIEW_EN = ("view() needs contiguous memory, and after permute/transpose the memory is no longer in "
           "row order: use x.reshape(x.shape[0], -1) (a view when possible, a copy when it must) or "
           "x.contiguous().view(x.shape[0], -1)")
VIEW_KO = ("view()는 메모리가 연속적(contiguous)이어야 하는데, permute/transpose 뒤에는 메모리가 행 순서가 "
           "아닙니다: x.reshape(x.shape[0], -1)(가능하면 뷰, 아니면 복사본)이나 x.contiguous().view(x.shape[0], -1)을 "
           "쓰세요")


@contextmanager
def _explain_view(label, label_ko):
    """A view on a non-contiguous tensor: name the idea, not only the RuntimeError."""
    try:
        yield
    except StudentError as err:
        if err.kind == "exception" and err.is_a("RuntimeError") and "view size is not compatible" in err.raw_message:
            where = f" (line {err.where[-1]['line']})" if err.where else ""
            where_ko = f" ({err.where[-1]['line']}번째 줄)" if err.where else ""
            fail(en=f"{label}: your code raised RuntimeError from view(){where} on an input that is not "
                    f"contiguous. {VIEW_EN}",
                 ko=f"{label_ko}: 연속적이지 않은 입력에서 view()가 RuntimeError를 냈습니다{where_ko}. {VIEW_KO}")
        raise


def _layout(x):
    return "contiguous" if x.is_contiguous() else "not contiguous"


@pytest.mark.points(2)
def test_flatten_images(student, reference, rng):
    for x in cases(rng, fixed=_flatten_fixed(), random=_flatten_case):
        shape = list(x.shape)
        label = f"flatten_images(x) for x of shape {shape} ({_layout(x)})"
        label_ko = (f"모양이 {shape}인 x({'연속적' if x.is_contiguous() else '연속적이지 않음'})에 대한 "
                    "flatten_images(x)")
        with _explain_view(label, label_ko):
            got = student.flatten_images(x)
        expected = reference.flatten_images(x)
        if isinstance(got, torch.Tensor) and shape[0] == 1 and got.dim() < 2:
            fail(en=f"{label}: expected shape {list(expected.shape)}, got {list(got.shape)}: the batch dimension "
                    "was dropped. Keep it even when B == 1 (do not squeeze)",
                 ko=f"{label_ko}: 모양이 {list(expected.shape)}이어야 하는데 {list(got.shape)}입니다: 배치 차원이 "
                    "사라졌습니다. B == 1이어도 배치 차원을 지키세요 (squeeze 금지)")
        _expect(got, expected, en=label, ko=label_ko)


def _view_fixed():
    g = fixed_generator(3)
    return [_randn(g, 2, 3, 4, 4), _randn(g, 3, 1, 2, 5), _randn(g, 2, 2, 1, 1)]


def _view_case(rng):
    b, c, h, w = _size(rng, 2, 5), _size(rng, 1, 5), _size(rng, 1, 6), _size(rng, 2, 6)
    return torch.randn(b, c, h, w, generator=rng)


@pytest.mark.points(1, item="flatten_images.view")
def test_flatten_images_returns_view(student, reference, rng):
    """Outcome: after the call, x changes in place by a value drawn here; a view shows the change."""
    for x in cases(rng, fixed=_view_fixed(), random=_view_case, count=2):
        shape = list(x.shape)
        label = f"flatten_images(x) for a contiguous x of shape {shape}"
        label_ko = f"모양이 {shape}인 연속적인 x에 대한 flatten_images(x)"
        x_remote = student.put(x)
        kept = student.call("flatten_images", x_remote, _keep=True, _what="calling flatten_images")
        delta = _delta(rng, x.shape)  # drawn only now, after the student's function returned
        with _input_changed(label, label_ko, "x"):
            got = student.call(probes.add_in_place, x_remote, delta, kept,
                               _what="changing x in place after flatten_images returned")
        expected_then = reference.flatten_images(x)
        expected_now = reference.flatten_images(x + delta)
        if _same(got, expected_then):
            fail(en=f"{label}: the result is a copy. After the call the grader changed x in place, and a view "
                    "would show that change; yours did not. For a contiguous x return a view: "
                    "x.view(x.shape[0], -1) or x.reshape(x.shape[0], -1) (clone() and contiguous() after a copy do "
                    "not share memory)",
                 ko=f"{label_ko}: 결과가 복사본입니다. 함수가 끝난 뒤 채점기가 x를 제자리에서 바꿨는데, 뷰라면 그 변화가 "
                    "결과에도 보여야 합니다. 연속적인 x에는 뷰를 돌려주세요: x.view(x.shape[0], -1)이나 "
                    "x.reshape(x.shape[0], -1) (clone() 등으로 만든 복사본은 메모리를 공유하지 않습니다)")
        _expect(got, expected_now, en=f"{label}: the result after x was changed in place (it must follow x)",
                ko=f"{label_ko}: x를 제자리에서 바꾼 뒤의 결과 (x를 따라 바뀌어야 합니다)")


# -- split_and_stack ------------------------------------------------------------------------

def _split_fixed():
    g = fixed_generator(4)
    return [
        (_randn(g, 12, 2), 3),     # 3 chunks of 4: split(x, 3) gives 4 chunks of 3
        (_randn(g, 12, 2), 4),     # 4 chunks of 3
        (_randn(g, 10), 2),        # 1-D, 2 chunks of 5
        (_randn(g, 6, 2, 3), 3),   # 3-D rows
        (_randn(g, 5, 3), 1),      # one chunk
        (_randn(g, 4, 3), 4),      # chunks of one row
        (_randn(g, 9, 2), 3),      # n == chunk size (a stack on the wrong dim still differs)
    ]


def _split_case(rng):
    n, k, d = _size(rng, 1, 6), _size(rng, 1, 6), _size(rng, 1, 4)
    return torch.randn(n * k, d, generator=rng), n


@pytest.mark.points(2)
def test_split_and_stack(student, reference, rng):
    for x, n in cases(rng, fixed=_split_fixed(), random=_split_case):
        label = f"split_and_stack(x, {n}) for x of shape {list(x.shape)}"
        label_ko = f"모양이 {list(x.shape)}인 x에 대한 split_and_stack(x, {n})"
        got = student.split_and_stack(x, n)
        expected = reference.split_and_stack(x, n)
        k = len(x) // n
        if isinstance(got, torch.Tensor) and n != k and _same(got, x.reshape(k, n, *x.shape[1:])):
            fail(en=f"{label}: expected shape {list(expected.shape)}, got {list(got.shape)}: that is {k} chunks of "
                    f"{n} rows. split(x, size) takes the size of each chunk: use torch.split(x, len(x) // n) or "
                    "torch.chunk(x, n), then stack on dim 0",
                 ko=f"{label_ko}: 모양이 {list(expected.shape)}이어야 하는데 {list(got.shape)}입니다: {n}행짜리 조각 "
                    f"{k}개입니다. split(x, size)의 인자는 조각 하나의 크기입니다: torch.split(x, len(x) // n)이나 "
                    "torch.chunk(x, n)을 쓴 뒤 0번 차원으로 쌓으세요")
        if isinstance(got, torch.Tensor) and n > 1 and k > 1 and _same(got, expected.transpose(0, 1)):
            fail(en=f"{label}: expected shape {list(expected.shape)}, got {list(got.shape)}: the chunks were stacked "
                    "on dim 1. Stack them on a new dim 0: torch.stack(chunks) (dim=0 is the default)",
                 ko=f"{label_ko}: 모양이 {list(expected.shape)}이어야 하는데 {list(got.shape)}입니다: 조각을 1번 차원으로 "
                    "쌓았습니다. 새 0번 차원으로 쌓으세요: torch.stack(chunks) (기본값이 dim=0)")
        _expect(got, expected, en=label, ko=label_ko)


def _not_divisible_case(rng):
    n = _size(rng, 2, 6)
    return torch.randn(n * _size(rng, 1, 4) + _size(rng, 1, n), 3, generator=rng), n


@pytest.mark.points(1, item="split_and_stack.error")
def test_split_and_stack_not_divisible(student, rng):
    g = fixed_generator(5)
    fixed = [(_randn(g, 7, 3), 2), (_randn(g, 10, 2), 3), (_randn(g, 3, 2), 4), (_randn(g, 9), 6)]
    for x, n in cases(rng, fixed=fixed, random=_not_divisible_case, count=2):
        label = f"split_and_stack(x of length {len(x)}, {n})"
        with _named(en=label, ko=f"길이가 {len(x)}인 x에 대한 split_and_stack(x, {n})"), \
                expect_student_raises("ValueError", label) as raised:
            student.split_and_stack(x, n)
        ensure(bool(raised["message"].strip()),
               en="split_and_stack: give the ValueError a message that says what is wrong",
               ko="split_and_stack: ValueError에 무엇이 잘못됐는지 알려주는 메시지를 넣으세요")


# -- pairwise_sum ---------------------------------------------------------------------------

def _pairwise_case(rng):
    return torch.randn(_size(rng, 1, 8), generator=rng), torch.randn(_size(rng, 1, 8), generator=rng)


LOOP_CALLS = ("map", "reduce", "starmap", "accumulate", "filter")


@pytest.mark.points(2)
def test_pairwise_sum(student, reference, source, rng):
    g = fixed_generator(6)
    fixed = [(_randn(g, 3), _randn(g, 5)), (_randn(g, 5), _randn(g, 2)), (_randn(g, 1), _randn(g, 4)),
             (_randn(g, 4), _randn(g, 1)), (_randn(g, 3, dtype=torch.float64), _randn(g, 3, dtype=torch.float64))]
    for col, row in cases(rng, fixed=fixed, random=_pairwise_case):
        label = f"pairwise_sum(col, row) for col of length {len(col)} and row of length {len(row)}"
        label_ko = f"길이 {len(col)}인 col과 길이 {len(row)}인 row에 대한 pairwise_sum(col, row)"
        got = student.pairwise_sum(col, row)
        _expect(got, reference.pairwise_sum(col, row), en=label, ko=label_ko)
    ensure(source.ok, en="pairwise_sum: the grader could not read your file to check the rule \"no Python loops\"",
           ko="pairwise_sum: \"파이썬 반복문 금지\" 규칙을 확인하려고 했지만 파일을 읽지 못했습니다")
    lines = source.loops("pairwise_sum") + source.calls("pairwise_sum", LOOP_CALLS)
    if lines:
        where = ", ".join(str(n) for n in sorted(set(lines)))
        fail(en=f"pairwise_sum: the values are right, but it uses a Python loop (line {where}; for, while, a "
                "comprehension or map, also in a helper it calls). The exercise is broadcasting without loops: "
                "col[:, None] + row[None, :]",
             ko=f"pairwise_sum: 값은 맞지만 파이썬 반복문을 씁니다 ({where}번째 줄: for, while, 컴프리헨션이나 map, 호출하는 "
                "보조 함수 안도 포함). 이 문제는 반복문 없이 브로드캐스팅으로 푸는 것입니다: col[:, None] + row[None, :]")


# -- matmul_and_elementwise -----------------------------------------------------------------

def _matmul_case(rng):
    n = _size(rng, 2, 6)
    return torch.randn(n, n, generator=rng), torch.randn(n, n, generator=rng)


@pytest.mark.points(2)
def test_matmul_and_elementwise(student, reference, rng):
    g = fixed_generator(7)
    fixed = [
        (_randn(g, 3, 3), _randn(g, 3, 3)),  # square: same shapes, different values
        (_randn(g, 1, 4), _randn(g, 4, 1)),  # a @ b is [1, 1], a * b broadcasts to [4, 4]
        (_randn(g, 1, 3), _randn(g, 3, 3)),  # a @ b is [1, 3], a * b is [3, 3]
        (_randn(g, 2, 2, dtype=torch.float64), _randn(g, 2, 2, dtype=torch.float64)),
    ]
    for a, b in cases(rng, fixed=fixed, random=_matmul_case):
        shapes = f"a of shape {list(a.shape)}, b of shape {list(b.shape)}"
        shapes_ko = f"a의 모양 {list(a.shape)}, b의 모양 {list(b.shape)}"
        got = student.matmul_and_elementwise(a, b)
        expected = reference.matmul_and_elementwise(a, b)
        with _named(en=f"matmul_and_elementwise(a, b) for {shapes}", ko=f"matmul_and_elementwise(a, b) ({shapes_ko})"):
            expect_sequence(got, 2, f"matmul_and_elementwise(a, b) for {shapes}")
        if (_same(got[0], expected[1]) and _same(got[1], expected[0])) and not _same(got[0], expected[0]):
            fail(en=f"matmul_and_elementwise(a, b) for {shapes}: the two results are swapped: the first is a * b "
                    "(element-wise) and the second a @ b (matrix product). Return (a @ b, a * b) in that order",
                 ko=f"matmul_and_elementwise(a, b) ({shapes_ko}): 두 결과의 순서가 바뀌었습니다: 첫 번째가 요소별 곱 "
                    "a * b이고 두 번째가 행렬 곱 a @ b입니다. (a @ b, a * b) 순서로 돌려주세요")
        _expect(got[0], expected[0], en=f"matmul_and_elementwise(a, b) for {shapes}: first result (a @ b, matrix product)",
                ko=f"matmul_and_elementwise(a, b) ({shapes_ko}): 첫 번째 결과(행렬 곱 a @ b)")
        _expect(got[1], expected[1],
                en=f"matmul_and_elementwise(a, b) for {shapes}: second result (a * b, element-wise product)",
                ko=f"matmul_and_elementwise(a, b) ({shapes_ko}): 두 번째 결과(요소별 곱 a * b)")


# -- numpy_view -----------------------------------------------------------------------------

def _numpy_case(rng):
    dtype = (torch.float64, torch.float32, torch.int64)[_size(rng, 0, 3)]
    t = torch.randn(_size(rng, 1, 6), _size(rng, 1, 6), generator=rng) * 5
    return t.to(dtype).numpy()


@pytest.mark.points(2)
def test_numpy_view(student, reference, rng):
    """Values, and an outcome for sharing: after the call the array changes in place by a value
    drawn here; a tensor that shares its memory shows the change, a copy does not."""
    g = fixed_generator(8)
    fixed = [
        _randn(g, 3, 4, dtype=torch.float64).numpy(),
        _randn(g, 2, 5).numpy(),                          # float32 stays float32
        (_randn(g, 6) * 10).to(torch.int64).numpy(),      # integers
        np.array(2.5),                                    # 0-dim
    ]
    for arr in cases(rng, fixed=fixed, random=_numpy_case, count=2):
        label = f"numpy_view(arr) for an array of shape {list(arr.shape)} and dtype {arr.dtype}"
        label_ko = f"모양 {list(arr.shape)}, dtype {arr.dtype}인 배열에 대한 numpy_view(arr)"
        arr_remote = student.put(arr)
        kept = student.call("numpy_view", arr_remote, _keep=True, _what="calling numpy_view")
        first = kept.fetch()
        _expect(first, reference.numpy_view(arr), en=label, ko=label_ko)
        dtype = torch.as_tensor(arr).dtype
        delta = _delta(rng, arr.shape, dtype)  # drawn only now, after the student's function returned
        with _input_changed(label, label_ko, "arr"):
            got = student.call(probes.add_in_place, arr_remote, delta, kept, _to_device=False,
                               _what="changing the array in place after numpy_view returned")
        if _same(got, first):
            fail(en=f"{label}: the tensor does not share memory with the array: after the call the grader changed "
                    "the array in place, and the tensor stayed as it was. torch.tensor(arr) (and np.array copies) make "
                    "a copy; torch.from_numpy(arr) or torch.as_tensor(arr) share the memory",
                 ko=f"{label_ko}: 텐서가 배열과 메모리를 공유하지 않습니다: 함수가 끝난 뒤 채점기가 배열을 제자리에서 "
                    "바꿨는데 텐서는 그대로였습니다. torch.tensor(arr)는 복사본을 만들고, torch.from_numpy(arr)나 "
                    "torch.as_tensor(arr)는 메모리를 공유합니다")
        _expect(got, reference.numpy_view(np.asarray(arr + delta.numpy())), en=f"{label}: the tensor after the array was changed",
                ko=f"{label_ko}: 배열을 바꾼 뒤의 텐서")
