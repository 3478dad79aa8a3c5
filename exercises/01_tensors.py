"""01_tensors — 텐서 다루기 / Tensors

텐서(Tensor)는 파이토치에서 데이터를 담는 기본 그릇입니다. NumPy와 비슷하지만 GPU에서
계산할 수 있고, 모양(shape)·dtype·메모리 배치(contiguous 여부)를 항상 의식해야 합니다.
A tensor is PyTorch's basic container: like a NumPy array, but it can live on a GPU, and
you always have to keep its shape, dtype and memory layout (contiguous or not) in mind.

각 함수의 `raise NotImplementedError`를 지우고 구현한 뒤 `make check`로 확인하세요.
Replace each `raise NotImplementedError` with your code, then run `make check`.
"""

import numpy as np
import torch


def row_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """TODO: 2차원 실수 텐서 `x` ([N, M])의 행(row)마다 합, 평균, 표준편차를 구하세요.
    결과는 모양이 [N]인 텐서 세 개 `(row_sums, row_means, row_stds)`입니다. 표준편차는
    파이토치 기본값(불편 표준편차, unbiased)을 쓰고, 파이썬 숫자가 아니라 텐서로 돌려주세요.
    힌트: `dim` 인자 — `dim=1`은 열 방향으로 줄여 행마다 값 하나를 남깁니다.

    TODO: for a 2-D float tensor `x` of shape [N, M], return the sum, mean and standard
    deviation of every row as three tensors of shape [N]. Use torch's default (unbiased)
    std and return tensors, not Python floats. Hint: the `dim` argument; `dim=1` reduces
    across columns and leaves one value per row.
    """
    raise NotImplementedError


def flatten_images(x: torch.Tensor) -> torch.Tensor:
    """TODO: 이미지 배치 `[B, C, H, W]`를 `[B, C*H*W]`로 펴세요. B가 1이어도 배치 차원을
    지켜야 하고(`squeeze` 금지), 메모리가 연속적이지 않은 입력(`permute` 뒤)에서도 동작해야
    합니다. 입력이 연속적이면 복사하지 말고 뷰(view)를 돌려주세요. `view`는 연속 메모리를
    요구하고, `reshape`은 가능하면 뷰를, 아니면 복사본을 만듭니다.

    TODO: flatten a batch of images `[B, C, H, W]` into `[B, C*H*W]`. Keep the batch
    dimension even when B == 1 (no `squeeze`), work on non-contiguous input (after
    `permute`), and return a view (no copy) when the input is contiguous. `view` needs
    contiguous memory; `reshape` returns a view when it can and a copy when it must.
    """
    raise NotImplementedError


def split_and_stack(x: torch.Tensor, n: int) -> torch.Tensor:
    """TODO: `x`의 0번 차원을 크기가 같은 n개 조각으로 나눈 뒤(`split`/`chunk`), 새 0번
    차원으로 쌓으세요(`stack`). `[n*k, ...] -> [n, k, ...]`. `len(x)`가 n으로 나누어떨어지지
    않으면 무엇이 잘못됐는지 알려주는 메시지와 함께 `ValueError`를 발생시키세요.

    TODO: split dim 0 of `x` into n equal chunks (`split`/`chunk`) and stack them on a
    new dim 0 (`stack`): `[n*k, ...] -> [n, k, ...]`. When `len(x)` is not divisible by
    n, raise `ValueError` with a message that says what is wrong.
    """
    raise NotImplementedError


def pairwise_sum(col: torch.Tensor, row: torch.Tensor) -> torch.Tensor:
    """TODO: 길이 N인 `col`과 길이 M인 `row`로 `out[i, j] = col[i] + row[j]`인 `[N, M]`
    텐서를 만드세요. 파이썬 반복문 없이 브로드캐스팅(broadcasting)으로: 차원을 하나씩
    추가하면(`col[:, None]`, `unsqueeze`) 모양이 자동으로 맞춰집니다. `for`/`while`,
    컴프리헨션, `map`은 이 함수가 부르는 보조 함수 안에 있어도 반복문으로 봅니다.

    TODO: from `col` ([N]) and `row` ([M]) build the [N, M] tensor with
    `out[i, j] = col[i] + row[j]`, by broadcasting and without Python loops: add a
    dimension to each (`col[:, None]`, `unsqueeze`) and let the shapes line up.
    `for`/`while`, comprehensions and `map` count as loops, also in a helper it calls.
    """
    raise NotImplementedError


def matmul_and_elementwise(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """TODO: 행렬 곱 `a @ b`(`torch.matmul`)와 요소별 곱 `a * b`를 이 순서대로 튜플로
    돌려주세요. 두 연산의 차이를 분명히 아는 것이 중요합니다.

    TODO: return the matrix product `a @ b` (`torch.matmul`) and the element-wise product
    `a * b`, in that order. Knowing the difference between the two matters.
    """
    raise NotImplementedError


def numpy_view(arr: np.ndarray) -> torch.Tensor:
    """TODO: NumPy 배열 `arr`와 메모리를 공유하는 텐서를 돌려주세요. 하나를 바꾸면 다른
    쪽도 바뀌어야 합니다. `torch.tensor(arr)`는 복사본을 만들고, `torch.from_numpy(arr)`는
    메모리를 공유합니다.

    TODO: return a tensor that shares memory with the NumPy array `arr`: changing one must
    change the other. `torch.tensor(arr)` copies; `torch.from_numpy(arr)` shares.
    """
    raise NotImplementedError
