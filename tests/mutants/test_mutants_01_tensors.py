"""01_tensors: every COURSE.md "Catch" loses its item; correct alternatives keep full points."""

import pytest

from mutation import Mutant, alternative, assert_mutant_scored

M = "01_tensors"

MUTANTS = [
    Mutant("column_sums", M, loses=("row_stats",), why="column sums", code="""
        def row_stats(x):
            return x.sum(dim=0), x.mean(dim=1), x.std(dim=1)
    """),
    Mutant("population_std", M, loses=("row_stats",), why="population std", code="""
        def row_stats(x):
            return x.sum(dim=1), x.mean(dim=1), x.std(dim=1, unbiased=False)
    """),
    Mutant("python_floats", M, loses=("row_stats",), why="Python floats where tensors are due", code="""
        def row_stats(x):
            return ([float(v) for v in x.sum(dim=1)], [float(v) for v in x.mean(dim=1)],
                    [float(v) for v in x.std(dim=1)])
    """),
    Mutant("view_after_permute", M, loses=("flatten_images",), why="plain view fails on non-contiguous input",
           code="""
        def flatten_images(x):
            return x.view(x.shape[0], -1)
    """),
    Mutant("squeeze_batch", M, loses=("flatten_images",), why="drops the batch dim when B == 1", code="""
        def flatten_images(x):
            return x.reshape(x.shape[0], -1).squeeze()
    """),
    Mutant("copies", M, loses=("flatten_images.view",), why="copies when the input is contiguous", code="""
        def flatten_images(x):
            return x.reshape(x.shape[0], -1).clone()
    """),
    Mutant("no_value_error", M, loses=("split_and_stack.error",), why="no ValueError when not divisible", code="""
        def split_and_stack(x, n):
            k = len(x) // n
            return torch.stack(torch.split(x[: n * k], k, dim=0))
    """),
    Mutant("stack_wrong_dim", M, loses=("split_and_stack",), why="stacked on the wrong dim", code="""
        def split_and_stack(x, n):
            if len(x) % n:
                raise ValueError("len(x) is not divisible by n")
            return torch.stack(torch.split(x, len(x) // n, dim=0), dim=1)
    """),
    Mutant("outer_product", M, loses=("pairwise_sum",), why="product instead of sum", code="""
        def pairwise_sum(col, row):
            return col[:, None] * row[None, :]
    """),
    Mutant("swapped", M, loses=("matmul_and_elementwise",), why="the two swapped", code="""
        def matmul_and_elementwise(a, b):
            return a * b, a @ b
    """),
    Mutant("tensor_copy", M, loses=("numpy_view",), why="torch.tensor(arr) copies", code="""
        def numpy_view(arr):
            return torch.tensor(arr)
    """),
    alternative("view_contiguous", M, why="view on a contiguous copy is fine when needed", code="""
        def flatten_images(x):
            if x.is_contiguous():
                return x.view(x.size(0), -1)
            return x.contiguous().view(x.size(0), -1)
    """),
    alternative("flatten_start_dim", M, why="torch.flatten(x, 1) returns a view when it can", code="""
        def flatten_images(x):
            return torch.flatten(x, start_dim=1)
    """),
    alternative("chunk_and_loops", M, why="chunk + stack, ValueError subclass", code="""
        class NotDivisible(ValueError):
            pass

        def split_and_stack(x, n):
            if len(x) % n != 0:
                raise NotDivisible(f"{len(x)} rows cannot be split into {n} equal parts")
            return torch.stack(list(x.chunk(n)))

        def pairwise_sum(col, row):
            return col.unsqueeze(1) + row.unsqueeze(0)

        def matmul_and_elementwise(a, b):
            return torch.einsum("ij,jk->ik", a, b), torch.mul(a, b)

        def numpy_view(arr):
            return torch.as_tensor(arr)

        def row_stats(x):
            return torch.sum(x, 1), torch.mean(x, 1), torch.std(x, 1, correction=1)
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)
