"""Task families over lists and graphs: sorting, counting, windows, binary search, components, shortest paths."""

from __future__ import annotations

import random
from collections.abc import Callable

from harness.models.pretraining.tasks import TEXT, Task, fill, heading, io_names, joined, numbers, pick_style, program_first


def list_program(rng: random.Random, body: str) -> str:
    """A program that reads n and a list `a`, then runs `body`."""
    style = pick_style(rng)
    return fill(TEXT["list_read"][style] + body, **io_names(rng))


def list_inputs(rng: random.Random, low: int = 1, high: int = 20) -> tuple[str, ...]:
    """One or two example inputs of the form `n` then `n` numbers."""
    inputs = []
    for _ in range(rng.randint(1, 2)):
        n = rng.randint(3, 7)
        inputs.append(f"{n}\n{joined(numbers(rng, n, low, high))}\n")
    return tuple(inputs)


def list_task(rng: random.Random, family: str, variant: str = "", low: int = 1, high: int = 20) -> Task:
    """A family whose program reads one list: its heading, then its program (the variant's body), then inputs."""
    values = TEXT[family]["variants"][variant] if variant else {"body": TEXT[family]["body"]}
    return heading(rng, family, **values).task(list_program(rng, values["body"]), list_inputs(rng, low, high))


def sort_list(rng: random.Random) -> Task:
    """Print the list sorted, in one direction or the other."""
    return list_task(rng, "sort_list", "descending" if rng.random() < 0.5 else "ascending")


def distinct_values(rng: random.Random) -> Task:
    """Distinct values, counted or listed."""
    return list_task(rng, "distinct_values", "listed" if rng.random() < 0.5 else "counted", 1, 6)


def most_frequent(rng: random.Random) -> Task:
    """The most common value, smallest on ties."""
    return list_task(rng, "most_frequent", low=1, high=5)


def max_subarray(rng: random.Random) -> Task:
    """Kadane's maximum subarray sum."""
    return list_task(rng, "max_subarray", low=-9, high=9)


def n_k_then_list(rng: random.Random, sizes: tuple[int, int], k_range: Callable[[int], tuple[int, int]],
                  values: tuple[int, int]) -> str:
    """An example input: n and k on the first line (k drawn from `k_range(n)`), then n numbers."""
    n = rng.randint(*sizes)
    return f"{n} {rng.randint(*k_range(n))}\n{joined(numbers(rng, n, *values))}\n"


def window_sum(rng: random.Random) -> Task:
    """Largest sum of k consecutive elements with a sliding window."""
    return program_first(rng, "window_sum", lambda r: n_k_then_list(r, (4, 8), lambda n: (1, n), (-5, 20)))


def count_at_most(rng: random.Random) -> Task:
    """Queries 'how many elements are at most x', answered with bisect after sorting."""

    def example(r: random.Random) -> str:
        n, q = r.randint(3, 7), r.randint(2, 4)
        return f"{n} {q}\n{joined(numbers(r, n, 1, 30))}\n" + "".join(f"{r.randint(0, 32)}\n" for _ in range(q))

    return program_first(rng, "count_at_most", example)


def pair_with_sum(rng: random.Random) -> Task:
    """Count index pairs with a given sum using a dictionary of counts."""
    return program_first(rng, "pair_with_sum", lambda r: n_k_then_list(r, (4, 7), lambda n: (4, 10), (1, 8)))


def graph_inputs(rng: random.Random) -> str:
    """A small undirected graph: `n m` then m edges."""
    n = rng.randint(3, 6)
    edges = [(rng.randint(1, n), rng.randint(1, n)) for _ in range(rng.randint(1, n))]
    return f"{n} {len(edges)}\n" + "".join(f"{u} {v}\n" for u, v in edges)


def graph_task(rng: random.Random, family: str) -> Task:
    """A family over one small graph: its program, its heading, then two graphs."""
    code = fill(TEXT[family]["code"], **io_names(rng))
    return heading(rng, family).task(code, (graph_inputs(rng), graph_inputs(rng)))


def components(rng: random.Random) -> Task:
    """Connected components with a disjoint-set union."""
    return graph_task(rng, "components")


def shortest_path(rng: random.Random) -> Task:
    """Breadth-first search distance from town 1 to town n."""
    return graph_task(rng, "shortest_path")


FAMILIES = [sort_list, distinct_values, most_frequent, window_sum, count_at_most, max_subarray, pair_with_sum,
            components, shortest_path]
