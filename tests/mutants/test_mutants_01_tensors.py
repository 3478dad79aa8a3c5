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
    Mutant("view_after_permute_b1", M, loses=("flatten_images",), why="plain view(B, -1) on permuted input",
           code="""
        def flatten_images(x):
            b, c, h, w = x.shape
            return x.view(b, c * h * w)
    """),
    Mutant("flatten_copy", M, loses=("flatten_images.view",), why="flatten of a copy", code="""
        def flatten_images(x):
            return x.contiguous().clone().flatten(1)
    """),
    Mutant("flatten_returns_input", M, loses=("flatten_images", "flatten_images.view"),
           why="shares memory (meta would say so) but does not flatten", code="""
        def flatten_images(x):
            return x
    """),
    Mutant("frees_input_memory", M, loses=("flatten_images.view",),
           why="forgery: frees x's memory so the copy may land at the same address (meta claimed sharing)", code="""
        def flatten_images(x):
            values = x.detach().reshape(x.shape[0], -1).tolist()
            dtype = x.dtype
            x.set_()
            return torch.tensor(values, dtype=dtype)
    """),
    Mutant("split_size_n", M, loses=("split_and_stack",), why="split(x, n): chunks of n rows, not n chunks", code="""
        def split_and_stack(x, n):
            if len(x) % n:
                raise ValueError("len(x) is not divisible by n")
            return torch.stack(torch.split(x, n))
    """),
    Mutant("pairwise_loops", M, loses=("pairwise_sum",), why="Python loops (for)", code="""
        def pairwise_sum(col, row):
            out = torch.empty(len(col), len(row), dtype=col.dtype)
            for i in range(len(col)):
                out[i] = col[i] + row
            return out
    """),
    Mutant("pairwise_comprehension", M, loses=("pairwise_sum",), why="Python loops (a comprehension)", code="""
        def pairwise_sum(col, row):
            return torch.stack([c + row for c in col])
    """),
    Mutant("pairwise_helper_loop", M, loses=("pairwise_sum",), why="Python loops hidden in a helper", code="""
        def _one_row(c, row):
            return c + row

        def _rows(col, row):
            result = []
            i = 0
            while i < len(col):
                result.append(_one_row(col[i], row))
                i += 1
            return result

        def pairwise_sum(col, row):
            return torch.stack(_rows(col, row))
    """),
    Mutant("pairwise_map", M, loses=("pairwise_sum",), why="Python loops (map)", code="""
        def pairwise_sum(col, row):
            return torch.stack(list(map(lambda c: c + row, col)))
    """),
    Mutant("numpy_copy", M, loses=("numpy_view",), why="from_numpy of a copy", code="""
        def numpy_view(arr):
            return torch.from_numpy(np.array(arr))
    """),
    Mutant("frees_array_memory", M, loses=("numpy_view",),
           why="forgery: frees the array's buffer so the copy may land at the same address", code="""
        def numpy_view(arr):
            copy = torch.tensor(arr.tolist(), dtype=torch.from_numpy(arr[...]).dtype)
            try:
                arr.resize((0,), refcheck=False)
            except ValueError:
                pass
            return copy
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
    alternative("tutorial_styles", M, why="d2l / pytorch tutorials: axis=, reshape(-1, 1), torch.flatten, mm",
                code="""
        def row_stats(x):
            return x.sum(axis=1), x.mean(axis=1), x.std(axis=1)

        def flatten_images(x):
            b, c, h, w = x.shape
            return x.reshape(-1, c * h * w)

        def split_and_stack(x, n):
            if len(x) % n != 0:
                raise ValueError("the length of x must be divisible by n")
            return x.reshape(n, len(x) // n, *x.shape[1:])

        def pairwise_sum(col, row):
            return col.reshape(-1, 1) + row.reshape(1, -1)

        def matmul_and_elementwise(a, b):
            return torch.mm(a, b), a.mul(b)

        def numpy_view(arr):
            return torch.as_tensor(arr, device="cpu")  # torch.asarray copies a 0-dim array: not a view
    """),
    alternative("more_styles", M, why="flatten(1), unflatten, view(-1, 1), matmul", code="""
        def flatten_images(x):
            return x.flatten(1)

        def split_and_stack(x, n):
            if n < 1 or x.shape[0] % n:
                raise ValueError(f"cannot split {x.shape[0]} rows into {n} equal parts")
            return x.unflatten(0, (n, -1))

        def pairwise_sum(col, row):
            return col.view(-1, 1) + row

        def matmul_and_elementwise(a, b):
            return torch.matmul(a, b), a * b
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)
